from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from run_inputs import sandbox_settings

from batchport.columns import COLUMNS, SECRET_KEYS, column, header_key, looks_secret, match_header
from batchport.pipeline import run_batch
from batchport.report.validation import write_validation_report
from batchport.validation import validate_file


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("TN", "phoneNumber"),
        ("Telephone Number", "phoneNumber"),
        ("Phone #", "phoneNumber"),
        ("phone-number", "phoneNumber"),
        ("Zip", "zipCode"),
        ("Postal Code", "zipCode"),
        ("PIN", "existingPortOutPin"),
        ("Port Out PIN", "existingPortOutPin"),
        ("Account #", "accountNum"),
        ("BTN", "accountPhoneNumber"),
        ("Service Type", "typeOfService"),
        ("  STATE/PROVINCE ", "state"),
        ("desiredPortDate", "desiredPortDate"),
        ("Order Group", "orderGroup"),
    ],
)
def test_headers_people_write_match_their_column(header: str, key: str) -> None:
    assert match_header(header) == key


def test_unknown_header_matches_nothing() -> None:
    assert match_header("Internal notes") is None
    assert match_header("") is None


def test_header_key_ignores_case_and_punctuation() -> None:
    assert header_key("Phone #") == header_key("PHONE NUMBER") == "phonenumber"


def test_every_alias_names_one_column_only() -> None:
    owners: dict[str, str] = {}
    for col in COLUMNS:
        for name in (col.key, col.header, *col.aliases):
            owner = owners.setdefault(header_key(name), col.key)
            assert owner == col.key, f"{name!r} claimed by {owner} and {col.key}"


def test_spec_is_complete_and_consistent() -> None:
    keys = [c.key for c in COLUMNS]
    assert len(keys) == len(set(keys))
    required = {c.key for c in COLUMNS if c.required}
    assert required == {
        "phoneNumber",
        "name",
        "streetNum",
        "streetName",
        "city",
        "state",
        "zipCode",
    }
    assert all(c.max_length > 0 and c.description for c in COLUMNS)
    assert {"existingPortOutPin", "accountNum"} == SECRET_KEYS
    assert column("customerOrderReference").max_length == 100
    with pytest.raises(KeyError):
        column("nope")


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("PIN / Passcode", "existingPortOutPin"),
        ("Billing Telephone Number (BTN)", "accountPhoneNumber"),
        ("Zip Code (5 digits)", "zipCode"),
        ("Passcode / PIN", "existingPortOutPin"),
        ("Telephone Number", "phoneNumber"),
        ("Notes (internal)", None),
    ],
)
def test_port_form_headers_with_qualifiers_and_alternatives(header: str, key: str | None) -> None:
    assert match_header(header) == key


def test_headers_that_look_secret() -> None:
    assert looks_secret("Old PIN") and looks_secret("Account # (old carrier)")
    assert looks_secret("Passcode") and not looks_secret("Spinner notes")
    assert not looks_secret("Notes")


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("PIN / Passcode", "existingPortOutPin"),
        ("Billing Telephone Number (BTN)", "accountPhoneNumber"),
        ("Account Number (optional)", "accountNum"),
        ("Telephone Number", "phoneNumber"),
        ("Company", "name"),
        ("Company Name", "name"),
        ("House Number", "streetNum"),
        ("Street", "streetName"),
        ("City or Town", "city"),
        ("City / Town", "city"),
        ("Zip/Postal Code", "zipCode"),
        ("Province/State", "state"),
        ("Billing Account Number", "accountNum"),
        ("Number Transfer PIN", "existingPortOutPin"),
        ("Requested Port Date", "desiredPortDate"),
        ("Date Signed", "authorizingDate"),
        ("Authorized Signer", "authorizingName"),
        ("Current Provider", "resellerName"),
        ("Pre-Directional", "streetPreDir"),
        ("Suite Number", "locationValue1"),
    ],
)
def test_port_form_headers_match(header: str, key: str) -> None:
    assert match_header(header) == key


@pytest.mark.parametrize(
    "header",
    ["Notes (PIN)", "Contact (Phone)", "Phone / Account", "Contact Phone", "Fax Number",
     "Account Manager", "Address 2", "Port Order Number", "Customer ID", "PIN Expiry",
     "Street 2", "Previous Carrier Notes", "Billing Address"],
)  # fmt: skip
def test_near_misses_match_nothing(header: str) -> None:
    assert match_header(header) is None


@pytest.mark.parametrize(
    ("header", "secret"),
    [("PIN / Passcode", True), ("Carrier PIN 2", True), ("PortOutPin", True), ("Acct #", True),
     ("pass_code", False), ("Passcode", True), ("Account Manager", True), ("BAN", True),
     ("Security code", True), ("PIN#", True), ("Spinner", False), ("Pinellas", False),
     ("Banner", False), ("Notes", False)],
)  # fmt: skip
def test_headers_that_say_pin_passcode_or_account_look_secret(header: str, secret: bool) -> None:
    assert looks_secret(header) is secret


C12 = (
    "Telephone Number,Company,House Number,Street,City,State,Zip Code,Account number,"
    "PIN / Passcode,Billing Telephone Number (BTN),Carrier Passcode (old),Port PIN\n"
    "(212) 555-0143,Birchwood Dental,350,Fifth Ave,New York,NY,10118,ACCT-77120,6093,"
    "(212) 555-0100,8817,5521\n"
    "(212) 555-0144,Birchwood Dental,350,Fifth Ave,New York,NY,10118,ACCT-77120,6093,"
    "(212) 555-0100,8817,5521\n"
)


def workbook_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode("utf-8") for n in archive.namelist())


def test_port_form_headers_are_read_and_sent(tmp_path: Path) -> None:
    source = tmp_path / "form.csv"
    source.write_text(C12, encoding="utf-8")
    validation = validate_file(source, today=dt.date(2026, 11, 27))
    rows = validation.rows
    assert rows["existingPortOutPin"].tolist() == ["6093", "6093"]
    assert rows["accountPhoneNumber"].tolist() == ["+12125550100"] * 2
    assert rows["accountNum"].tolist() == ["ACCT-77120"] * 2
    assert rows["name"].tolist() == ["Birchwood Dental"] * 2
    assert rows["streetNum"].tolist() == ["350"] * 2
    unused = {f.column for f in validation.findings if f.code == "column_unused"}
    assert unused == {"Carrier Passcode (old)", "Port PIN"}
    assert validation.invalid == 0


def test_secret_columns_are_masked_in_every_workbook_even_unused(tmp_path: Path) -> None:
    source = tmp_path / "form.csv"
    source.write_text(C12, encoding="utf-8")
    validation = validate_file(source, today=dt.date(2026, 11, 27))
    report = write_validation_report(validation, tmp_path / "form.validation.xlsx")
    result = run_batch(source, sandbox_settings(tmp_path, rate=1000.0), dry_run=True,
                       out=tmp_path / "form.result.xlsx")  # fmt: skip
    for path in (report, result.result_path):
        text = workbook_text(path)
        assert "Birchwood Dental" in text  # the cells are there, in plain XML
        for secret in ("6093", "8817", "5521", "ACCT-77"):
            assert secret not in text, (path.name, secret)
