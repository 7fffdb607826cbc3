"""An xlsx workbook looked at as the zip archive it is, before any parser is let near it.

A workbook is a zip of XML parts. The readers (calamine, openpyxl) trust what they find there,
and a hostile or careless file can make them exhaust memory or read something other than what
Excel shows. This module does the cheap checks first and reports what the readers do not:

- :func:`open_archive` refuses a decompression bomb from the zip directory alone (each member's
  declared size and compression ratio, the rule Apache POI applies) and lists the sheets with
  their XML part and whether Excel shows them;
- :func:`scan_sheet` streams one sheet's XML once, in bounded memory, and returns a
  :class:`SheetScan`: it refuses a sheet whose cells reach far beyond its data (calamine and
  openpyxl both allocate the whole rectangle up to the farthest cell: one space in XFD1048576
  asks for 512 GiB) and finds what a person sees differently from what the readers deliver:
  hidden and filtered-out rows, merged ranges, formulas never calculated, Excel error values.

The scan costs one decompression of the sheet plus a few substring searches: each kind of
mark is looked for with a regular expression only in the chunks that contain its tag.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from defusedxml import ElementTree

from batchport.errors import InputError

__all__ = [
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "Archive",
    "CellMark",
    "SheetPart",
    "SheetScan",
    "column_index",
    "column_letters",
    "open_archive",
    "scan_sheet",
]

#: The most one member of the archive may hold uncompressed (a full sheet of 1,048,576 rows of
#: a dozen columns is about 750 MiB of XML).
MAX_MEMBER_BYTES = 1 << 30
#: The highest compression ratio accepted for a member bigger than ``_RATIO_GRACE``: XML of a
#: real sheet compresses 5 to 20 times; Apache POI refuses beyond 100 too.
MAX_RATIO = 100
_RATIO_GRACE = 1 << 20
#: A sheet may span this many cells (rows x columns, from A1) whatever its size; beyond it, at
#: most one cell per ``_BYTES_PER_CELL`` bytes of its XML (a real cell takes 11 bytes or more).
_FREE_CELLS = 4_000_000
_BYTES_PER_CELL = 4
_NARROW_COLUMNS = 26
_SHORT_ROWS = 99_999
_CHUNK = 4 << 20


@dataclass(frozen=True)
class SheetPart:
    """A worksheet of the workbook: its name, its XML member and whether Excel shows its tab."""

    name: str
    member: str
    visible: bool


@dataclass(frozen=True)
class Archive:
    """What the workbook's archive holds: the path and its worksheets in tab order."""

    path: Path
    sheets: tuple[SheetPart, ...]
    sizes: dict[str, int] = field(default_factory=dict, repr=False)

    def size_of(self, part: SheetPart) -> int:
        """The uncompressed size of ``part``'s XML, as the zip directory declares it."""
        return self.sizes.get(part.member, 0)

    def sheet(self, name: str) -> SheetPart:
        """The worksheet called ``name``; raises ``KeyError`` when there is none."""
        for part in self.sheets:
            if part.name == name:
                return part
        raise KeyError(name)


@dataclass(frozen=True)
class CellMark:
    """Something the scan found about one cell (or, with ``column`` -1, a whole row).

    ``row`` is the spreadsheet row number, ``column`` the 0-based column index, ``code`` a
    finding code of :data:`batchport.findings.CODES`; ``value`` what the finding should name
    (for a filled merged cell, the merged range such as ``D2:D5``).
    """

    row: int
    column: int
    code: str
    value: str = ""


@dataclass(frozen=True)
class SheetScan:
    """What one sheet's XML says beyond its cell values.

    ``hidden_rows`` and ``filtered_rows``: rows Excel does not show (``filtered_rows`` are those
    an autofilter hides); ``merged``: ranges as ``(first row, first column, last row, last
    column)``, rows 1-based, columns 0-based; ``errors``: Excel error values (``#N/A``) by
    ``(row, column)``; ``uncalculated``: formula cells without a saved value.
    """

    hidden_rows: frozenset[int] = frozenset()
    filtered_rows: frozenset[int] = frozenset()
    merged: tuple[tuple[int, int, int, int], ...] = ()
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    uncalculated: frozenset[tuple[int, int]] = frozenset()


def column_index(letters: str) -> int:
    """The 0-based index of a column named by its letters: ``A`` is 0, ``XFD`` 16383."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def column_letters(index: int) -> str:
    """The letters of the 0-based column ``index``: 0 is ``A``, 27 is ``AB``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def open_archive(path: Path) -> Archive:
    """Check the zip directory of ``path`` and list its worksheets.

    Raises ``InputError`` (one line) when ``path`` is not a zip archive, when a member would
    expand beyond :data:`MAX_MEMBER_BYTES` or more than :data:`MAX_RATIO` times its compressed
    size (a decompression bomb; nothing is decompressed to find out), or when the workbook's
    list of sheets cannot be read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                _check_member(path, info)
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            return Archive(path, tuple(_sheet_parts(archive)), sizes)
    except (zipfile.BadZipFile, OSError, KeyError, ElementTree.ParseError, ValueError) as exc:
        raise unreadable(path, exc) from exc


def unreadable(path: Path, cause: object) -> InputError:
    """The one-line error for a workbook that cannot be read, ``cause`` saying why."""
    reason = " ".join(str(cause).split()) or type(cause).__name__
    return InputError(
        f"{path}: cannot be read as an .xlsx workbook ({reason}); open it in Excel, save it "
        "again as .xlsx (or export it as .csv) and try again"
    )


def _check_member(path: Path, info: zipfile.ZipInfo) -> None:
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > MAX_MEMBER_BYTES or (size > _RATIO_GRACE and size > MAX_RATIO * packed):
        raise InputError(
            f"{path}: refused as a decompression bomb: its part {info.filename} would expand "
            f"from {packed:,} to {size:,} bytes ({size // packed:,} times; a workbook's parts "
            f"expand at most {MAX_RATIO} times and to {MAX_MEMBER_BYTES >> 20:,} MiB); "
            "nothing was read"
        )


def _sheet_parts(archive: zipfile.ZipFile) -> Iterator[SheetPart]:
    # Tags and attributes are matched by local name: Strict Open XML uses other namespaces.
    names = set(archive.namelist())
    workbook_xml = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for rel in ElementTree.fromstring(archive.read("_rels/.rels")):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook_xml = rel.get("Target", workbook_xml).lstrip("/")
    folder = PurePosixPath(workbook_xml).parent
    rels_name = f"{folder}/_rels/{PurePosixPath(workbook_xml).name}.rels"
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in ElementTree.fromstring(archive.read(rels_name))
        if rel.get("Type", "").endswith("/worksheet")
    }
    for sheet in ElementTree.fromstring(archive.read(workbook_xml)).iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        ids = [value for key, value in sheet.attrib.items() if key.endswith("}id")]
        target = targets.get(ids[0]) if ids else None
        if target is None:
            continue  # a chart sheet: no cells to read
        member = _normal(target if target.startswith("/") else f"{folder}/{target}")
        if member not in names:
            raise KeyError(f"sheet {sheet.get('name')!r} has no part {member}")
        visible = sheet.get("state", "visible") == "visible"
        yield SheetPart(sheet.get("name", ""), member, visible)


def _normal(member: str) -> str:
    parts: list[str] = []
    for piece in member.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


# The tags the scan looks for. A sheet written with a namespace prefix (``<x:c>``) is rare; the
# prefix is found once and put into every pattern.
def _patterns(prefix: bytes) -> dict[str, re.Pattern[bytes]]:
    p = re.escape(prefix)
    ref = rb"<" + p + rb'c r="([A-Z]{1,3})([0-9]{1,7})"'
    value = rb"(?:<" + p + rb"v>([^<]*)</" + p + rb"v>|<" + p + rb"v/>)?"
    formula = rb"<" + p + rb"f\b[^>]*(?:/>|>[^<]*</" + p + rb"f>)"
    return {
        # Only cells beyond column Z or row 99,999 are captured: a sheet of a few columns costs
        # one pass of the regex engine and no match object per cell.
        "far": re.compile(rb"<" + p + rb'c r="([A-Z]{2,3}|[A-Z](?=[0-9]{6}))([0-9]{1,7})"'),
        "cell": re.compile(ref),
        "row": re.compile(rb"<" + p + rb'row r="([0-9]{6,7})"'),
        "hidden": re.compile(rb"<" + p + rb'row r="([0-9]+)"[^>]*\bhidden="(?:1|true)"'),
        "formula": re.compile(ref + rb"([^>]*)>" + formula + value),
        "error": re.compile(ref + rb'[^>]*\bt="e"[^>]*>(?:' + formula + rb")?" + value),
        "merge": re.compile(rb"<" + p + rb'mergeCell ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"'),
        "filter": re.compile(rb"<" + p + rb'autoFilter ref="[A-Z]+([0-9]+)(?::[A-Z]+([0-9]+))?"'),
    }


class _Scanner:
    """The state of one streaming scan; see :func:`scan_sheet`."""

    def __init__(self, prefix: bytes) -> None:
        self.patterns = _patterns(prefix)
        self.tags = {
            "formula": b"</" + prefix + b"f>",
            "merge": b"<" + prefix + b"mergeCell ",
            "filter": b"<" + prefix + b"autoFilter ",
        }
        self.formulas = False
        self.max_row = 0
        self.max_column = 0
        self.hidden: set[int] = set()
        self.merged: list[tuple[int, int, int, int]] = []
        self.errors: dict[tuple[int, int], str] = {}
        self.uncalculated: set[tuple[int, int]] = set()
        self.filters: list[tuple[int, int]] = []

    def feed(self, buffer: bytes, end: int, rows_only: bool) -> None:
        """Look at ``buffer[:end]``, a piece of the sheet's XML ending at a tag boundary.

        ``rows_only``: the piece ends with a row, so nothing after the rows (merged ranges, the
        autofilter) is in it. Searches take bounds rather than slices: no copy of the piece.
        """
        p = self.patterns
        far = p["far"].findall(buffer, 0, end)
        if far:
            letters, rows = zip(*far, strict=True)
            self.max_column = max(self.max_column, *map(_column_of, set(letters)))
            self.max_row = max(self.max_row, *map(int, set(rows)))
        tall = p["row"].findall(buffer, 0, end)
        if tall:
            self.max_row = max(self.max_row, *map(int, tall))
        if buffer.find(b'hidden="', 0, end) >= 0:
            self.hidden.update(int(r) for r in p["hidden"].findall(buffer, 0, end))
        if buffer.find(b't="e"', 0, end) >= 0:
            for letters, row, text in p["error"].findall(buffer, 0, end):
                self.errors[int(row), _column_of(letters)] = _error_text(text)
        self.formulas = self.formulas or buffer.find(self.tags["formula"], 0, end) >= 0
        if self.formulas:
            for letters, row, attributes, saved in p["formula"].findall(buffer, 0, end):
                if not saved and b't="str"' not in attributes and b't="e"' not in attributes:
                    self.uncalculated.add((int(row), _column_of(letters)))
        if rows_only:
            return
        if buffer.find(self.tags["merge"], 0, end) >= 0:
            for a, r0, b, r1 in p["merge"].findall(buffer, 0, end):
                self.merged.append((int(r0), _column_of(a), int(r1), _column_of(b)))
        if buffer.find(self.tags["filter"], 0, end) >= 0:
            for first, last in p["filter"].findall(buffer, 0, end):
                self.filters.append((int(first), int(last or first)))

    def result(self) -> SheetScan:
        """The marks found, hidden rows split into filtered-out and merely hidden."""

        def filtered(row: int) -> bool:
            return any(first < row <= last for first, last in self.filters)

        by_filter = frozenset(r for r in self.hidden if filtered(r))
        return SheetScan(
            hidden_rows=frozenset(self.hidden) - by_filter,
            filtered_rows=by_filter,
            merged=tuple(self.merged),
            errors=self.errors,
            uncalculated=frozenset(self.uncalculated),
        )


def _column_of(letters: bytes) -> int:
    return column_index(letters.decode("ascii"))


def _error_text(text: bytes) -> str:
    # Excel's error values (#N/A, #REF!, #DIV/0!, ...) are plain ASCII: nothing to unescape.
    return text.decode("ascii", "replace")


def scan_sheet(archive: Archive, name: str) -> SheetScan:
    """Stream the XML of sheet ``name`` once and return what it says beyond cell values.

    Raises ``InputError`` (one line, naming the sheet and the far cell) when the sheet's cells
    span a rectangle (from A1) far bigger than its XML could fill: the readers would allocate
    every cell of it. Raises ``InputError`` when the archive is damaged (the zip CRC and the
    declared size are checked while reading) and ``KeyError`` for an unknown sheet.
    """
    part = archive.sheet(name)
    scanner = _stream(archive, part, _feed_all)
    limit = max(_FREE_CELLS, archive.size_of(part) // _BYTES_PER_CELL)
    # Cells the far pattern did not capture lie within A1:Z99999.
    columns = max(scanner.max_column + 1, _NARROW_COLUMNS)
    rows = max(scanner.max_row, _SHORT_ROWS)
    last_row = max(scanner.max_row, 1)
    if columns * rows > limit and columns > _NARROW_COLUMNS:
        # A wide sheet: its rows are counted exactly, in a second pass over every cell.
        rows = last_row = max(scanner.max_row, _stream(archive, part, _feed_rows).max_row)
    if columns * rows > limit:
        far = f"{column_letters(scanner.max_column)}{last_row}"
        raise InputError(
            f"{archive.path}: sheet {name!r} has a cell at {far}, far beyond its data "
            f"(reading it would mean {columns * rows:,} cells); delete the rows and columns "
            "after your data (or clear that cell) and save the workbook again"
        )
    return scanner.result()


def _feed_all(scanner: _Scanner, buffer: bytes, end: int, rows_only: bool) -> None:
    scanner.feed(buffer, end, rows_only)


def _feed_rows(scanner: _Scanner, buffer: bytes, end: int, rows_only: bool) -> None:
    rows = {row for _letters, row in scanner.patterns["cell"].findall(buffer, 0, end)}
    rows.update(scanner.patterns["row"].findall(buffer, 0, end))
    if rows:
        scanner.max_row = max(scanner.max_row, *map(int, rows))


def _stream(
    archive: Archive, part: SheetPart, feed: Callable[[_Scanner, bytes, int, bool], None]
) -> _Scanner:
    try:
        with zipfile.ZipFile(archive.path) as zipped, zipped.open(part.member) as stream:
            head = stream.read(_CHUNK)
            found = re.search(rb"<(\w+:)?worksheet\b", head)
            scanner = _Scanner(found.group(1) or b"" if found else b"")
            carry = b""
            while head:
                buffer = carry + head if carry else head
                cut, rows_only = _boundary(buffer)
                feed(scanner, buffer, cut, rows_only)
                carry = buffer[cut:]
                head = stream.read(_CHUNK)
            feed(scanner, carry, len(carry), False)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise unreadable(archive.path, exc) from exc
    return scanner


def _boundary(buffer: bytes) -> tuple[int, bool]:
    # Cut after the last whole row (or cell, or tag) so that no pattern straddles two pieces;
    # what follows the rows (merged ranges, the autofilter) comes after the last row's end.
    end = buffer.rfind(b"row>")
    if end >= 0:
        return end + 4, True
    end = buffer.rfind(b">")
    return (end + 1 if end >= 0 else len(buffer)), False
