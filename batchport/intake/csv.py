"""Reading a delimited text file (csv, tsv, txt) into a frame of text, header row found.

The encoding is the one a byte-order mark announces (UTF-8, UTF-16 or UTF-32, little- or
big-endian: Excel's "Unicode Text" export is UTF-16LE, tab-separated, with a ``.txt`` suffix),
else UTF-16 when every other byte of the start is NUL, else UTF-8. A file that is not UTF-8
throughout is read as Windows-1252 when no line of it is UTF-8 with accents (an old export);
when some lines are UTF-8 and others are not (lines pasted from another file), each line is
decoded on its own and the Windows-1252 ones are returned, so that the reader names them:
never silent mojibake. The delimiter is the one under which the header row names the most known
columns. pyarrow parses the common case; the Python engine takes files with blank lines (so row
numbers do not shift) or ragged rows.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from batchport.columns import match_header
from batchport.errors import InputError
from batchport.intake.workbook import PROBE_ROWS, find_header, no_header

__all__ = ["DelimitedText", "decode_text", "read_csv"]

# UTF-32 first: its little-endian mark begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PROBE_BYTES = 4096


@dataclass(frozen=True, eq=False)  # a frame inside: compared by identity
class DelimitedText:
    """A delimited file read as text.

    ``header_index``: the header's 0-based line; ``frame``: every row from the header on, as
    text, columns by position; ``legacy_lines``: the 1-based lines read as Windows-1252 in an
    otherwise UTF-8 file (a row's line is its spreadsheet row number).
    """

    header_index: int
    frame: pd.DataFrame
    legacy_lines: tuple[int, ...] = ()


def read_csv(path: Path) -> DelimitedText:
    """The header row and every row from it on, as text, of the delimited file ``path``.

    Raises ``InputError`` for an empty file, a file its byte-order mark's encoding cannot
    decode, no header row, or a row wider than the header.
    """
    data, legacy = decode_text(path, path.read_bytes())
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    head = data[:65536].decode("utf-8", errors="replace").splitlines()[:PROBE_ROWS]
    delimiter, header_idx = _sniff_csv(path, head)
    return DelimitedText(header_idx, _parse_csv(path, data, delimiter, header_idx), legacy)


def decode_text(path: Path, data: bytes) -> tuple[bytes, tuple[int, ...]]:
    """``(data as UTF-8 without a byte-order mark, lines read as Windows-1252)``.

    See the module docstring for how the encoding is chosen. Raises ``InputError`` naming the
    line when the data is not valid in the encoding its byte-order mark (or NUL pattern) names.
    """
    encoding, skip = _declared_encoding(data)
    if encoding is not None:
        return _transcode(path, data[skip:], encoding), ()
    data = data[skip:]
    if _is_utf8(data):
        return data, ()
    return _decode_lines(data)


def _declared_encoding(data: bytes) -> tuple[str | None, int]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return (None if encoding == "utf-8" else encoding), len(bom)
    probe = data[:_PROBE_BYTES]
    if len(probe) >= 4 and probe.count(0) * 2 >= len(probe) - 1:
        # No mark, but text in UTF-16 has a NUL in every other byte (ASCII letters and digits).
        if not any(probe[1::2]):
            return "utf-16-le", 0
        if not any(probe[0::2]):
            return "utf-16-be", 0
    return None, 0


def _transcode(path: Path, data: bytes, encoding: str) -> bytes:
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise InputError(
            f"{path}: line {line} is not valid {encoding.upper()} although the file starts with "
            f"that encoding's byte-order mark; save the file again (CSV UTF-8)"
        ) from exc


def _decode_lines(data: bytes) -> tuple[bytes, tuple[int, ...]]:
    lines = data.split(b"\n")
    texts: list[str] = []
    legacy: list[int] = []
    utf8_accents = False
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8_accents = utf8_accents or not line.isascii()
        except UnicodeDecodeError:
            text = line.decode("cp1252", errors="replace")
            legacy.append(number)
        texts.append(text)
    if not utf8_accents:
        # Not one line of UTF-8 beyond ASCII: the whole file is an old Windows-1252 export.
        return data.decode("cp1252", errors="replace").encode("utf-8"), ()
    return "\n".join(texts).encode("utf-8"), tuple(legacy)


def _is_utf8(data: bytes) -> bool:
    # Chunk by chunk, so checking a large file never holds a second, decoded copy of it.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 22):
            decoder.decode(data[start : start + (1 << 22)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_csv(path: Path, head: list[str]) -> tuple[str, int]:
    best: tuple[int, str, int] | None = None
    for delimiter in (",", ";", "\t", "|"):
        rows = list(csv.reader(head, delimiter=delimiter))
        header_idx = find_header(rows)
        if header_idx is not None:
            score = sum(match_header(str(c)) is not None for c in rows[header_idx])
            if best is None or (score, -header_idx) > (best[0], -best[2]):
                best = (score, delimiter, header_idx)
    if best is None:
        raise no_header(path)
    return best[1], best[2]


def _parse_csv(path: Path, data: bytes, delimiter: str, header_idx: int) -> pd.DataFrame:
    try:
        # pyarrow cannot keep blank lines (row numbers would shift) or ragged rows.
        if b"\n\n" in data or b"\r\n\r\n" in data:
            raise ValueError("blank lines")
        frame = pd.read_csv(
            io.BytesIO(data), engine="pyarrow", sep=delimiter, header=None, dtype=str,
            keep_default_na=False, skiprows=header_idx,
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):
        frame = _parse_csv_slowly(path, data, delimiter, header_idx)
    return frame.fillna("")


def _parse_csv_slowly(path: Path, data: bytes, delimiter: str, header_idx: int) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.BytesIO(data), engine="python", sep=delimiter, header=None, dtype=str,
            keep_default_na=False, skiprows=header_idx, skip_blank_lines=False, na_filter=False,
        )  # fmt: skip
    except (ValueError, csv.Error) as exc:  # pandas' ParserError is a ValueError
        # A row wider than the header: most often a value holding an unquoted delimiter.
        raise InputError(
            f"{path}: {exc}; put quotes around a value that contains {delimiter!r}, "
            "or give the extra column a header"
        ) from exc
