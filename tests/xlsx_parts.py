"""Workbooks written part by part with zipfile, for the cases no spreadsheet library writes.

A test states a sheet as its ``<sheetData>`` rows (and what follows it: merged ranges, an
autofilter) and gets a real .xlsx: the hostile and careless files of issue #9 (a far cell, a
decompression bomb, formulas without a saved value, error cells, hidden sheets and rows).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["cell", "row", "understate", "write_parts", "write_workbook"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}{strings}</Types>"
)
_SHEET_CT = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_STRINGS_CT = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def cell(ref: str, value: object = None, *, formula: str | None = None, kind: str = "") -> str:
    """One ``<c>``: text as an inline string, a number as ``<v>``; ``formula`` adds ``<f>``.

    ``kind`` sets ``t`` (``"e"`` for an error value, ``"str"`` for a formula's text); with a
    formula, ``value`` is its saved value (``None``: never calculated, no ``<v>``).
    """
    if formula is not None:
        saved = "" if value is None else f"<v>{escape(str(value))}</v>"
        kind_attr = f' t="{kind}"' if kind else ""
        return f'<c r="{ref}"{kind_attr}><f>{escape(formula)}</f>{saved}</c>'
    if kind:
        return f'<c r="{ref}" t="{kind}"><v>{escape(str(value))}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return (
        f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'
    )


def row(number: int, values: Sequence[object], *, hidden: bool = False) -> str:
    """A ``<row>`` of plain cells from column A (``None`` leaves a cell out)."""
    cells = "".join(
        cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values) if v is not None
    )
    flag = ' hidden="1"' if hidden else ""
    return f'<row r="{number}"{flag}>{cells}</row>'


def write_workbook(
    path: Path,
    sheets: Sequence[tuple[str, str]],
    *,
    hidden: Sequence[str] = (),
    after: dict[str, str] | None = None,
    shared_strings: bytes | None = None,
) -> Path:
    """Write ``sheets`` (name, ``<sheetData>`` content) as the workbook ``path``; return it.

    ``hidden`` names sheets whose tab is hidden; ``after`` maps a sheet name to XML placed
    after its ``<sheetData>`` (``<autoFilter>``, ``<mergeCells>``); ``shared_strings`` is
    written as ``xl/sharedStrings.xml`` when given.
    """
    parts: dict[str, bytes] = {}
    entries, rels, overrides = [], [], []
    for n, (name, data) in enumerate(sheets, start=1):
        state = ' state="hidden"' if name in hidden else ""
        entries.append(f'<sheet name="{escape(name)}" sheetId="{n}"{state} r:id="rId{n}"/>')
        rels.append(
            f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        )
        overrides.append(_SHEET_CT.format(n=n))
        tail = (after or {}).get(name, "")
        parts[f"xl/worksheets/sheet{n}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'
            f"<sheetData>{data}</sheetData>{tail}</worksheet>"
        ).encode()
    if shared_strings is not None:
        rels.append(
            f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
        parts["xl/sharedStrings.xml"] = shared_strings
    parts["[Content_Types].xml"] = _CT.format(
        sheets="".join(overrides), strings=_STRINGS_CT if shared_strings is not None else ""
    ).encode()
    parts["_rels/.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ).encode()
    parts["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f"<sheets>{''.join(entries)}</sheets></workbook>"
    ).encode()
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
        f"{''.join(rels)}</Relationships>"
    ).encode()
    return write_parts(path, parts)


def write_parts(path: Path, parts: dict[str, bytes]) -> Path:
    """Zip ``parts`` (member name to content, deflated) into ``path``; return it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


def understate(path: Path, member: str, size: int) -> Path:
    """Make the zip directory of ``path`` claim ``member`` expands to ``size`` bytes only.

    Both the local header and the central directory are rewritten, as a hostile file would.
    """
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, size_at, name_length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        start = data.find(signature)
        while start >= 0:
            length = int.from_bytes(
                data[start + name_length_at : start + name_length_at + 2], "little"
            )
            if data[start + name_at : start + name_at + length] == name:
                data[start + size_at : start + size_at + 4] = size.to_bytes(4, "little")
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    return path
