"""The input template: the workbook a customer fills in, generated from the column spec.

``write_template`` writes a ``Port-ins`` sheet (friendly headers, an input hint on every column,
dropdowns for the enumerations, three example rows, and Text as every column's format, so that
Excel and LibreOffice keep the leading zeros of whatever is typed on any row), an
``Instructions`` sheet describing each column, and a hidden ``Lists`` sheet that feeds the
longer dropdowns. The output is byte-for-byte reproducible.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from batchport import nanp
from batchport.columns import COLUMNS, Column
from batchport.nanp import TIME_ZONES
from batchport.report.xlsx import atomic_path, make_reproducible
from batchport.validation.examples import EXAMPLE_ROWS
from batchport.validation.normalise import VOICE_TYPES

__all__ = ["EXAMPLE_ROWS", "TEMPLATE_ROWS", "write_template"]

#: How many rows carry the dropdowns and hints (the Text format covers every row).
TEMPLATE_ROWS = 5000
_STAMP = datetime(2026, 1, 1)
_HEADER_FILL = PatternFill(start_color="DDEBF7", end_color="DDEBF7", fill_type="solid")
# Fonts name the workbook's default font: a font without a name is shown in a serif by
# LibreOffice.
_FONT = "Calibri"
_BOLD = Font(name=_FONT, bold=True)
_EXAMPLE_FONT = Font(name=_FONT, italic=True, color="7F7F7F")
_REQUIRED_FILL = PatternFill(start_color="BDD7EE", end_color="BDD7EE", fill_type="solid")


_INLINE_LISTS = {
    "typeOfService": ("B", "R"),
    "desiredPortTimeZone": TIME_ZONES,
    "voiceType": tuple(VOICE_TYPES),
    "onDemandActivation": ("Yes", "No"),
}
_REGION_LIST_KEYS = ("state", "e911State")


def write_template(path: Path) -> Path:
    """Write the input template to ``path`` (atomically, reproducibly); return ``path``.

    Raises ``OSError`` when ``path`` cannot be written.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Port-ins"
    regions = _write_lists(workbook.create_sheet("Lists"))
    _write_input_sheet(sheet, regions)
    _write_instructions(workbook.create_sheet("Instructions", 1))
    workbook.properties.creator = "batchport"
    workbook.properties.created = _STAMP
    with atomic_path(path) as temp:
        workbook.save(temp)
        make_reproducible(temp, _STAMP)
    return Path(path)


def _write_lists(sheet: Worksheet) -> str:
    codes = [*nanp.US_STATES, *nanp.CA_PROVINCES]
    sheet.append(["State/Province", "Name"])
    for code in codes:
        sheet.append([code, nanp.US_STATES.get(code) or nanp.CA_PROVINCES[code]])
    sheet.sheet_state = "hidden"
    return f"Lists!$A$2:$A${len(codes) + 1}"


def _write_input_sheet(sheet: Worksheet, regions: str) -> None:
    sheet.append([c.header for c in COLUMNS])
    for example in EXAMPLE_ROWS:
        sheet.append([example.get(c.key, "") for c in COLUMNS])
    sheet.freeze_panes = "B2"
    for position, col in enumerate(COLUMNS, start=1):
        letter = get_column_letter(position)
        head = sheet.cell(row=1, column=position)
        head.font = _BOLD
        head.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
        # Text as the column's own format: Excel and LibreOffice give it to every cell typed
        # into the column, on any row, so leading zeros and long digit strings survive.
        longest = max(len(example.get(col.key, "")) for example in EXAMPLE_ROWS)
        sheet.column_dimensions[letter].width = max(len(col.header) + 2, longest + 2, 12)
        sheet.column_dimensions[letter].number_format = "@"
        for row in range(2, len(EXAMPLE_ROWS) + 2):
            cell = sheet.cell(row=row, column=position)
            cell.number_format = "@"
            cell.font = _EXAMPLE_FONT  # greyed: rows to delete, not data
        sheet.add_data_validation(_validation_for(col, letter, regions))


def _validation_for(col: Column, letter: str, regions: str) -> DataValidation:
    if col.key in _INLINE_LISTS:
        source = '"' + ",".join(_INLINE_LISTS[col.key]) + '"'
        check = DataValidation(type="list", formula1=source, allow_blank=True)
    elif col.key in _REGION_LIST_KEYS:
        check = DataValidation(type="list", formula1=regions, allow_blank=True)
    else:
        check = DataValidation(allow_blank=True)
    check.showErrorMessage = col.key in _INLINE_LISTS
    check.showInputMessage = True
    check.promptTitle = col.header[:32]
    required = "Required. " if col.required else ""
    check.prompt = (required + col.description)[:255]
    check.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    return check


def _write_instructions(sheet: Worksheet) -> None:
    sheet.append(["How to fill in the Port-ins sheet"])
    sheet["A1"].font = Font(name=_FONT, bold=True, size=14)
    for line in (
        "One row per number to port. Darker headers are required.",
        "Copy the end-user name and address exactly as the losing carrier's bill shows them.",
        "Leave Desired Port Date blank to let batchport choose; run 'batchport validate' first.",
        "Delete the three example rows before you send the file: batchport refuses them.",
        "Every column is formatted as Text, so ZIP codes, PINs and account numbers keep their "
        "leading zeros; paste with Paste Special > Values to keep it that way.",
    ):
        sheet.append([line])
    sheet.append([])
    sheet.append(["Column", "Header", "Required", "Max length", "What goes in it", "Example"])
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    for col in COLUMNS:
        required = "yes" if col.required else ""
        sheet.append([col.key, col.header, required, col.max_length, col.description, col.example])
    for letter, width in zip("ABCDEF", (24, 26, 10, 11, 70, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=sheet.max_row - len(COLUMNS) + 1):
        row[4].alignment = Alignment(wrap_text=True)
