"""Rebuild the sample inputs in this directory: ``python samples/make_samples.py``.

- ``clean-mixed.xlsx``: about forty US and Canadian numbers of several businesses and homes,
  written in many ways (some stored by Excel as numbers), blank desired port dates so the file
  never goes stale; it validates with zero errors.
- ``clean-mixed.csv``: the same rows exported to CSV under different header names.
- ``broken.xlsx``: one row per rule, each breaking that rule (plus Excel damage to repair).

Every number is in the 555-01XX range of a real area code. Output is byte-for-byte reproducible.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from batchport.report.xlsx import atomic_path, make_reproducible

HERE = Path(__file__).resolve().parent
STAMP = dt.datetime(2026, 1, 1)

HEADERS = [
    "Phone Number", "End User Name", "Street Number", "Street Name", "Street Type",
    "Location Type 1", "Location Value 1", "City", "State/Province", "ZIP/Postal Code",
    "Type of Service", "Port-Out PIN", "Account Number", "Authorizing Name", "Authorizing Date",
    "Desired Port Date", "Desired Port Time", "Desired Port Time Zone", "On-Demand Activation",
    "Customer Order Reference", "Reseller Name", "Voice Type", "SIP Trunk ID", "Notes",
]  # fmt: skip
CSV_HEADERS = [
    "TN", "Customer Name", "House Number", "Street", "Street Suffix", "Unit Type", "Unit",
    "Town", "Province", "Postal Code", "Service Type", "PIN", "Account #", "Authorized By",
    "LOA Date", "Port Date", "Port Time", "Time Zone", "On Demand", "PO Number",
    "Losing Carrier", "Voice", "Trunk ID", "Notes",
]  # fmt: skip

# (name, number, street, type, unit, city, state, zip, service, pin, account, zone, reseller)
SITES = [
    ("Hudson Dental Group", "350", "Fifth", "Ave", "Suite 2134", "New York", "NY", "10118",
     "Business", "4321", "8001234567", "Eastern", "", "212", 5),
    ("Golden Gate Florist", "88", "Valencia", "St", "", "San Francisco", "California", "94103",
     "B", "7788", "", "Pacific", "", "415", 3),
    ("Lakeshore Law LLP", "233", "Wacker", "Dr", "Floor 12", "Chicago", "IL", "60606",
     "B", "", "CHI-009912", "Central", "", "312", 4),
    ("Maria Lopez", "1200", "Brickell", "Ave", "Apt 5", "Miami", "FL", "33131",
     "Residential", "2468", "", "US/Eastern", "", "305", 1),
    ("Austin Bike Works", "600", "Congress", "Ave", "", "Austin", "tx", "78701",
     "B", "1357", "AUS-55120", "CT", "", "512", 3),
    ("Emerald Coffee Co", "1301", "Second", "Ave", "", "Seattle", "WA", "98101",
     "B", "9090", "", "PT", "", "206", 2),
    ("Boston Harbor Tours", "1", "Long", "Wharf", "", "Boston", "MA", "02110",
     "B", "5511", "BOS-77", "ET", "", "617", 2),
    ("Maple Bakery Inc", "100", "King", "St", "Suite 300", "Toronto", "ON", "M5X 1A9",
     "B", "", "556677889", "Eastern", "Northern Telecom Resale", "416", 5),
    ("Pacific Rim Imports", "1055", "Georgia", "St", "", "Vancouver", "British Columbia",
     "v6e 3p3", "B", "8642", "", "Pacific", "Coastal Voice Reseller", "604", 3),
    ("Cafe du Plateau", "4500", "Saint-Denis", "St", "", "Montreal", "QC", "H2J 2L3",
     "Business", "3030", "", "America/Toronto", "Laurentian Resale", "514", 3),
    ("Prairie Outfitters", "800", "Macleod", "Trail", "", "Calgary", "AB", "T2G 2M5",
     "B", "4747", "CAL-1188", "Mountain", "Rockies Reseller Inc", "403", 2),
    ("Jean Tremblay", "45", "Elgin", "St", "", "Ottawa", "Ontario", "K1P 5K7",
     "R", "1212", "", "Eastern", "Capital Resale", "613", 1),
    ("Harbourfront Marine", "1505", "Barrington", "St", "", "Halifax", "NS", "B3J 3K5",
     "B", "6060", "", "GMT", "Atlantic Voice Resale", "902", 2),
    ("Peachtree Realty", "191", "Peachtree", "St", "", "Atlanta", "GA", "30303",
     "B", "", "ATL-3434", "Eastern", "", "404", 2),
    ("Desert Sun Clinic", "2", "Washington", "St", "", "Phoenix", "AZ", "85003",
     "B", "8080", "", "US/Mountain", "", "602", 2),
]  # fmt: skip

STYLES = ["({a}) 555-{n}", "{a}.555.{n}", "1-{a}-555-{n}", "+1 {a} 555 {n}", "{a}555{n}", "num"]


def _phone(area: str, serial: int, style: str) -> object:
    tail = f"01{serial:02d}"
    if style == "num":
        return int(f"{area}555{tail}")  # stored by Excel as a number: repaired on read
    return style.format(a=area, n=tail)


def clean_rows() -> list[list[object]]:
    """About forty clean rows: one block of numbers per site, numbers written many ways."""
    rows: list[list[object]] = []
    serial = 0
    for site in SITES:
        name, num, street, kind, unit, city, state, zip_, service, pin, acct, zone, resel = site[
            :13
        ]
        area, count = site[13], site[14]
        unit_type, _, unit_value = unit.partition(" ")
        for _ in range(count):
            serial += 1
            phone = _phone(str(area), serial, STYLES[serial % len(STYLES)])
            voice = ("EST", "01G65Z755AFWAKHE12NY0CQ9FH") if serial % 4 == 0 else ("", "")
            rows.append([
                phone, name, num, street, kind, unit_type, unit_value, city, state, zip_,
                service, pin, acct, "Pat Morgan", dt.date(2026, 11, 2), "", "09:00:00" if
                int(area) % 2 else "", zone, "No", f"SAMPLE-{site[13]}", resel, *voice,
                "ported by sample" if serial % 7 == 0 else "",
            ])  # fmt: skip
    return rows


def broken_rows() -> list[list[object]]:
    """One row per rule, each breaking it; the comment column says which."""
    base = ["Hudson Dental Group", "350", "Fifth", "Ave", "", "", "New York", "NY", "10118",
            "B", "4321", "", "Pat Morgan", "2026-11-02", "", "", "US/Eastern", "No",
            "BROKEN", "", "", ""]  # fmt: skip
    ca = {1: "Maple Bakery Inc", 7: "Toronto", 8: "ON", 9: "M5X 1A9", 20: "Northern Resale"}

    def row(phone: object, note: str, **changes: object) -> list[object]:
        values: list[object] = [phone, *base, note, "", "", "", "", ""]
        for key, value in changes.items():
            values[int(key[1:])] = value
        return values

    def canadian(phone: str, note: str, **changes: object) -> list[object]:
        return row(phone, note, **{**{f"c{k}": v for k, v in ca.items()}, **changes})

    long_name = "Hudson Dental Group " * 8
    return [
        row("(212) 555-0101", "clean reference row"),
        row("", "phone_missing"),
        row("212-555-014", "phone_malformed"),
        row("212-155-0143", "phone_invalid"),
        row("555-555-0100", "phone_unassigned_area_code"),
        row("800-555-0199", "phone_toll_free"),
        row("900-555-0100", "phone_premium"),
        row("500-555-0100", "phone_non_geographic"),
        row("876-555-0100", "phone_other_country"),
        row("787-555-0100", "phone_us_territory", c8="NY"),
        row("679-555-0134", "phone_area_code_newer", c7="Detroit", c8="MI", c9="48226"),
        row("212.555.0101", "duplicate_number"),
        row("212-555-0102", "missing_required", c7=""),
        row("212-555-0103", "too_long", c1=long_name),
        row("212-555-0104", "state_invalid", c8="ZZ"),
        row("212-555-0105", "state_wrong_country", c8="ON"),
        row("212-555-0144", "state_us_territory", c8="PR", c9="00901"),
        row("212-555-0106", "postal_code_invalid", c9="1234X"),
        canadian("416-555-0107", "postal_code_wrong_country", c9="10118"),
        row("212-555-0108", "type_of_service_invalid", c10="Government"),
        row("212-555-0109", "port_out_credentials_missing", c11=""),
        row("212-555-0110", "invalid_date", c14="next tuesday"),
        row("212-555-0111", "authorizing_date_future", c14="2099-01-05"),
        row("212-555-0112", "port_date_past", c15="2020-01-15"),
        row("212-555-0113", "port_date_weekend", c15="2099-01-03"),
        row("212-555-0114", "invalid_time", c16="25:61"),
        row("212-555-0115", "invalid_time_zone", c17="Mars/Olympus"),
        row("212-555-0116", "invalid_boolean", c18="maybe"),
        row("212-555-0117", "forbidden_characters", c19="PO<17>"),
        canadian("416-555-0118", "reseller_required", c20=""),
        row("212-555-0119", "voice_type_invalid", c21="SMS"),
        row("212-555-0120", "voice_id_missing", c21="EST"),
        row("212-555-0121", "voice_type_missing", c22="01G65Z755AFWAKHE12NY0CQ9FH"),
        row("212-555-0122", "account_details_differ", c12="ACCT-0001"),
        row("212-555-0123", "account_details_differ", c12="ACCT-0001", c1="Someone Else"),
        row("212-555-0124", "order_group_schedule_conflict", c24="G1"),
        row("212-555-0125", "order_group_schedule_conflict", c24="G1", c16="14:00:00"),
        row(2125550126, "phone_stored_as_number"),
        row("212-555-0132", "stored_as_number", c11=4321),
        row("617-555-0127", "zip_leading_zeros_restored", c8="MA", c9=2110),
        row("212-555-0128", "excel_date_converted", c14=dt.date(2026, 11, 2)),
        row("212\u00a0555\u00a00129", "whitespace_cleaned", c1="Hudson\u00a0Dental Group "),
        row("212-555-0145", "control_characters_removed", c1="Hudson Dental\u202e Group"),
        row("212-555-0130", "account_phone_invalid", c25="123"),
        row("212-555-0131", "e911_incomplete", c26="Front desk"),
        row("(212) 555-0196", "template_example_row", c1="Bayside Dental LLC"),
        row("212-555-0133", "digits_lost", c12=8001234567890123),
        row("212-555-0134", "excel_error_value", c11="#SPILL!"),
        row("212-555-0135", "placeholder_refused", c11="N/A"),
        row("212-555-0136", "placeholder_blanked", c19="TBD"),
        row("212-555-0137", "date_order_conflict", c14="25/10/2026"),
        row("212-555-0138", "date_order_conflict", c14="10/26/2026"),
        row("212-555-0139", "proves the port date column day first", c15="26/01/2099"),
        row("212-555-0140", "date_read_day_first", c15="12/01/2099"),
        row("212-555-0141", "po_box_service_address", c3="PO Box 12"),
        row("212-555-0142", "po_box_e911", c27="P.O. Box 88"),
        row("212-555-0143", "plus_four_invalid", c28="12345"),
        row('=TEXT(2125550146,"000-000-0000")', "formula_not_calculated"),
        row("212-555-0147", "a merged City, its first row"),
        row("212-555-0148", "merged_cell_filled", c7=""),
        row("212-555-0149", "row_filtered_out"),
        row("212-555-0150", "row_hidden"),
    ]


def hide_and_merge(sheet: Worksheet) -> None:
    """What a person does not see in broken.xlsx: a hidden sheet, hidden rows, a merged range.

    The rows are found by their note; the autofilter ends above the ``row_hidden`` row, so that
    one is hidden by hand and the ``row_filtered_out`` one by the filter.
    """
    notes = {sheet.cell(n, 24).value: n for n in range(1, sheet.max_row + 1)}
    merged = notes["merged_cell_filled"]
    sheet.merge_cells(start_row=merged - 1, start_column=8, end_row=merged, end_column=8)
    sheet.auto_filter.ref = f"A3:{get_column_letter(sheet.max_column)}{notes['row_filtered_out']}"
    for note in ("row_filtered_out", "row_hidden"):
        sheet.row_dimensions[notes[note]].hidden = True
    old = sheet.parent.create_sheet("Old list")
    old.append(["Phone Number", "End User Name"])
    old.append(["(212) 555-0199", "Outdated Inc"])
    old.sheet_state = "hidden"


BROKEN_EXTRA_HEADERS = ["Order Group", "BTN", "E911 Name", "E911 Street", "E911 Plus Four"]


def _save_xlsx(
    path: Path,
    headers: list[str],
    rows: list[list[object]],
    title: str,
    decorate: Callable[[Worksheet], None] | None = None,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Numbers"
    sheet.append([title])
    sheet.append([])
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    if decorate is not None:
        decorate(sheet)
    workbook.properties.created = STAMP
    with atomic_path(path) as temp:
        workbook.save(temp)
        make_reproducible(temp, STAMP)


def _save_csv(path: Path, rows: list[list[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for values in rows:
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v)
                         for v in values])  # fmt: skip
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def main(folder: Path = HERE) -> None:
    """Write the three samples into ``folder`` (by default next to this script)."""
    clean = clean_rows()
    _save_xlsx(folder / "clean-mixed.xlsx", HEADERS, clean, "Port-in request: sample customers")
    _save_csv(folder / "clean-mixed.csv", clean)
    broken_headers = [*HEADERS[:-1], "Notes", *BROKEN_EXTRA_HEADERS]
    _save_xlsx(
        folder / "broken.xlsx",
        broken_headers,
        broken_rows(),
        "Every rule broken once",
        hide_and_merge,
    )


if __name__ == "__main__":
    main()
