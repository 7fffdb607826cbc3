from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.errors import SchemaError

from batchport.columns import COLUMNS
from batchport.findings import CODES
from batchport.intake import Table
from batchport.validation import Validation, validate_file, validate_table
from batchport.validation.checks import CONTEXT, ROW_SCHEMA, checked_frame, failed_cells
from batchport.validation.normalise import normalise

TODAY = dt.date(2026, 11, 27)  # a Friday
US = {
    "phoneNumber": "(212) 555-0143",
    "name": "Acme",
    "streetNum": "350",
    "streetName": "Fifth",
    "city": "New York",
    "state": "NY",
    "zipCode": "10118",
    "existingPortOutPin": "1234",
}
CA = {
    **US,
    "phoneNumber": "416-555-0143",
    "city": "Toronto",
    "state": "ON",
    "zipCode": "M5X 1A9",
    "resellerName": "Northern Resale",
}


def validate_rows(*rows: dict[str, str]) -> Validation:
    keys = sorted({k for row in rows for k in row})
    frame = pd.DataFrame([{k: row.get(k, "") for k in keys} for row in rows], dtype="str")
    frame.index = pd.RangeIndex(2, 2 + len(rows), name="row")
    table = Table(frame, {k: k for k in keys}, Path("test.xlsx"), None, 1)
    return validate_table(table, today=TODAY)


def problems(validation: Validation, severity: str = "error") -> set[tuple[int, str, str]]:
    return {(f.row, f.column, f.code) for f in validation.findings if f.severity == severity}


def test_clean_us_and_canadian_rows_pass() -> None:
    validation = validate_rows(
        US, {**CA, "phoneNumber": "604-555-0101", "state": "BC", "zipCode": "V6E 3P3"}
    )
    assert problems(validation) == set()
    assert validation.error_rows == frozenset()
    assert validation.rows["country"].tolist() == ["US", "CA"]


@pytest.mark.parametrize(
    ("changes", "column", "code"),
    [
        ({"phoneNumber": ""}, "phoneNumber", "phone_missing"),
        ({"phoneNumber": "800-555-0100"}, "phoneNumber", "phone_toll_free"),
        ({"phoneNumber": "876-555-0100"}, "phoneNumber", "phone_other_country"),
        ({"name": ""}, "name", "missing_required"),
        ({"streetNum": ""}, "streetNum", "missing_required"),
        ({"city": ""}, "city", "missing_required"),
        ({"state": ""}, "state", "missing_required"),
        ({"zipCode": ""}, "zipCode", "missing_required"),
        ({"name": "x" * 101}, "name", "too_long"),
        ({"state": "ZZ"}, "state", "state_invalid"),
        ({"state": "ON"}, "state", "state_wrong_country"),
        ({"zipCode": "1011X"}, "zipCode", "postal_code_invalid"),
        ({"zipCode": "M5X 1A9"}, "zipCode", "postal_code_wrong_country"),
        ({"typeOfService": "Government"}, "typeOfService", "type_of_service_invalid"),
        ({"accountPhoneNumber": "123"}, "accountPhoneNumber", "account_phone_invalid"),
        ({"authorizingDate": "someday"}, "authorizingDate", "invalid_date"),
        ({"authorizingDate": "2026-11-28"}, "authorizingDate", "authorizing_date_future"),
        ({"desiredPortDate": "2026-11-26"}, "desiredPortDate", "port_date_past"),
        ({"desiredPortDate": "31/31/2026"}, "desiredPortDate", "invalid_date"),
        ({"desiredPortTime": "25:00"}, "desiredPortTime", "invalid_time"),
        ({"desiredPortTimeZone": "Mars"}, "desiredPortTimeZone", "invalid_time_zone"),
        ({"onDemandActivation": "maybe"}, "onDemandActivation", "invalid_boolean"),
        ({"customerOrderReference": "PO<1>"}, "customerOrderReference", "forbidden_characters"),
        ({"customerOrderReference": "R" * 101}, "customerOrderReference", "too_long"),
        ({"voiceType": "SMS"}, "voiceType", "voice_type_invalid"),
        ({"voiceType": "EST"}, "trunkId", "voice_id_missing"),
        ({"voiceType": "RTC", "trunkId": "T1"}, "appId", "voice_id_missing"),
        ({"serviceId": "F1"}, "voiceType", "voice_type_missing"),
        ({"e911Name": "Front desk"}, "e911City", "e911_incomplete"),
        (
            {
                "e911StreetNum": "1",
                "e911StreetInfo": "Main #2",
                "e911City": "X",
                "e911State": "NY",
                "e911PostalCode": "10118",
            },
            "e911StreetInfo",
            "forbidden_characters",
        ),
        (
            {
                "e911StreetNum": "1",
                "e911StreetInfo": "Main",
                "e911City": "X",
                "e911State": "NY",
                "e911PostalCode": "10118",
                "e911PostalCodePlusFour": "12",
            },
            "e911PostalCodePlusFour",
            "plus_four_invalid",
        ),
    ],
)
def test_each_rule_catches_its_error(changes: dict[str, str], column: str, code: str) -> None:
    validation = validate_rows({**US, **changes})
    assert (2, column, code) in problems(validation)
    assert validation.error_rows == frozenset({2})


@pytest.mark.parametrize(
    ("changes", "column", "code"),
    [
        ({"existingPortOutPin": ""}, "existingPortOutPin", "port_out_credentials_missing"),
        ({"desiredPortDate": "2026-11-28"}, "desiredPortDate", "port_date_weekend"),
    ],
)
def test_warnings_do_not_make_a_row_invalid(
    changes: dict[str, str], column: str, code: str
) -> None:
    validation = validate_rows({**US, **changes})
    assert (2, column, code) in problems(validation, "warning")
    assert validation.error_rows == frozenset()


@pytest.mark.parametrize(
    "changes",
    [
        {"existingPortOutPin": "", "accountNum": "A-1"},
        {"desiredPortDate": "2026-11-27", "desiredPortTime": "9am"},
        {"desiredPortDate": "12/1/2026", "desiredPortTimeZone": "Pacific"},
        {"desiredPortDate": "25/12/2026"},
        {"authorizingDate": "2026-11-27", "onDemandActivation": "yes"},
        {"voiceType": "Fax", "serviceId": "F1"},
        {"state": "new york", "zipCode": "10118-1234", "typeOfService": "Residential"},
        {"customerOrderReference": "R" * 100},
    ],
)
def test_valid_variants_pass(changes: dict[str, str]) -> None:
    assert problems(validate_rows({**US, **changes})) == set()


def test_canadian_rules() -> None:
    validation = validate_rows(
        {**CA, "resellerName": ""},
        {**CA, "phoneNumber": "416-555-0144", "state": "NY", "zipCode": "10118"},
    )
    assert problems(validation) == {
        (2, "resellerName", "reseller_required"),
        (3, "state", "state_wrong_country"),
        (3, "zipCode", "postal_code_wrong_country"),
    }


def test_duplicates_name_the_first_row() -> None:
    validation = validate_rows(US, {**US, "phoneNumber": "212.555.0143"}, US)
    dups = [f for f in validation.findings if f.code == "duplicate_number"]
    assert [(f.row, f.severity.value) for f in dups] == [(3, "error"), (4, "error")]
    assert all("row 2" in f.message for f in dups)
    assert dups[0].value == "212.555.0143"


def test_rows_of_one_account_must_agree() -> None:
    first = {**US, "accountNum": "ACCT-99887766"}
    validation = validate_rows(
        first,
        {**first, "phoneNumber": "212-555-0144", "name": "Other"},
        {**first, "phoneNumber": "212-555-0145"},
    )
    found = [f for f in validation.findings if f.code == "account_details_differ"]
    assert [f.row for f in found] == [2, 3, 4]
    assert all(f.severity == "warning" and "Rows 2, 3, 4" in f.message for f in found)
    assert all(f.value == "****7766" for f in found)


def test_order_group_needs_one_schedule() -> None:
    grouped = {**US, "orderGroup": "G1", "desiredPortTime": "09:00:00"}
    validation = validate_rows(
        grouped,
        {**grouped, "phoneNumber": "212-555-0144", "desiredPortTime": "9:00"},
        {**grouped, "phoneNumber": "212-555-0145", "desiredPortTime": "14:00:00"},
        {**grouped, "phoneNumber": "212-555-0146", "orderGroup": "G2", "desiredPortTime": "15:00"},
    )
    assert problems(validation) == {(4, "orderGroup", "order_group_schedule_conflict")}


def test_secret_values_are_masked_in_findings() -> None:
    validation = validate_rows({**US, "existingPortOutPin": "9" * 30})
    (finding,) = [f for f in validation.findings if f.column == "existingPortOutPin"]
    assert finding.code == "too_long" and finding.value == "****"


def test_too_long_message_names_the_limit() -> None:
    validation = validate_rows({**US, "name": "x" * 101})
    [finding] = [f for f in validation.findings if f.code == "too_long"]
    assert finding.message == "End User Name is too long: shorten it to at most 100 characters."


def test_other_country_message_names_the_country() -> None:
    validation = validate_rows({**US, "phoneNumber": "876-555-0100"})
    (finding,) = [f for f in validation.findings if f.code == "phone_other_country"]
    assert finding.is_error and finding.row == 2
    assert finding.message.endswith("Area code 876 is in Jamaica.")


@pytest.mark.parametrize(
    ("phone", "state", "zip_code", "territory"),
    [
        ("(787) 555-0143", "PR", "00901", "Puerto Rico"),
        ("(939) 555-0143", "Puerto Rico", "00901", "Puerto Rico"),
        ("(340) 555-0144", "VI", "00802", "the U.S. Virgin Islands"),
        ("(671) 555-0145", "GU", "96910", "Guam"),
        ("(684) 555-0146", "AS", "96799", "American Samoa"),
        ("(670) 555-0147", "MP", "96950", "the Northern Mariana Islands"),
    ],
)
def test_us_territories_get_one_rule_naming_the_territory(
    phone: str, state: str, zip_code: str, territory: str
) -> None:
    validation = validate_rows({**US, "phoneNumber": phone, "state": state, "zipCode": zip_code})
    assert problems(validation) == {
        (2, "phoneNumber", "phone_us_territory"),
        (2, "state", "state_us_territory"),
    }
    by_code = {f.code: f.message for f in validation.findings}
    assert by_code["phone_us_territory"].endswith(f"is in {territory}.")
    assert "US and Canadian numbers only" in by_code["phone_us_territory"]
    assert "US and Canadian" in by_code["state_us_territory"]


def test_a_territory_state_with_a_us_number_is_refused_alone() -> None:
    validation = validate_rows({**US, "state": "GU", "e911State": "VI"})
    assert problems(validation) == {
        (2, "state", "state_us_territory"),
        (2, "e911State", "state_us_territory"),
    } | {
        (2, key, "e911_incomplete")
        for key in ("e911StreetNum", "e911StreetInfo", "e911City", "e911PostalCode")
    }


@pytest.mark.parametrize(
    ("phone", "code", "says"),
    [
        ("+1 264 235 1234", "phone_other_country", "Area code 264 is in Anguilla."),
        ("+1 800 211 4511", "phone_toll_free", "Toll-free"),
        ("+1 900 411 1234", "phone_premium", "Premium-rate"),
        ("+1 555 234 5678", "phone_unassigned_area_code", "No US or Canadian area code"),
    ],
)
def test_a_refused_number_gets_its_true_reason(phone: str, code: str, says: str) -> None:
    validation = validate_rows({**US, "phoneNumber": phone})
    assert problems(validation) == {(2, "phoneNumber", code)}
    (message,) = [f.message for f in validation.findings if f.code == code]
    assert says in message
    assert "555 is not an area code" not in message


@pytest.mark.parametrize("phone", ["(679) 263-0143", "+1 624 305 0000", "+1 436 217 0000"])
def test_an_area_code_newer_than_the_number_data_is_a_warning(phone: str) -> None:
    validation = validate_rows({**US, "phoneNumber": phone, "state": "MI"})
    assert problems(validation) == set()
    assert (2, "phoneNumber", "phone_area_code_newer") in problems(validation, "warning")
    assert validation.rows.loc[2, "country"] == "US"


def test_a_newer_area_code_in_canada_still_needs_a_reseller() -> None:
    validation = validate_rows({**CA, "phoneNumber": "(624) 305-0000", "resellerName": ""})
    assert problems(validation) == {(2, "resellerName", "reseller_required")}


def test_the_fiction_range_is_a_warning_only() -> None:
    validation = validate_rows(US)  # (212) 555-0143
    assert problems(validation) == set()
    (finding,) = [f for f in validation.findings if f.code == "phone_fictional"]
    assert finding.severity == "warning" and "no real service" in finding.message


def schema_checks() -> list[tuple[str, pa.Check]]:
    """Every check of the row schema with the column it reports on."""
    on_columns = [(key, check) for key, col in ROW_SCHEMA.columns.items() for check in col.checks]
    return on_columns + [(str(check.name), check) for check in ROW_SCHEMA.checks]


def test_every_check_carries_a_known_code_and_reports_on_an_input_column() -> None:
    keys = {c.key for c in COLUMNS}
    for key, check in schema_checks():
        assert check.error in CODES, (key, check)
        assert key in keys, (key, check)
    assert set(CONTEXT) == {k for k in ROW_SCHEMA.columns if k not in keys}


def test_every_code_of_the_schema_is_reachable() -> None:
    codes = {str(check.error) for _, check in schema_checks()} | {"missing_required"}
    rows = [
        {**US, "name": "", "phoneNumber": "212-111-0100"},
        {**US, "phoneNumber": "555-555-0100", "existingPortOutPin": "", "typeOfService": "Gov"},
        {**US, "phoneNumber": "900-555-0100"},
        {**US, "phoneNumber": "212-555-0199", "state": "ON", "zipCode": "M5X 1A9"},
        {**US, "phoneNumber": "500-555-0100", "state": "ZZ", "zipCode": "1011X"},
        {**US, "phoneNumber": "123", "accountPhoneNumber": "123", "authorizingDate": "soon"},
        {**US, "phoneNumber": "", "authorizingDate": "2026-11-28", "desiredPortDate": "later"},
        {**US, "phoneNumber": "800-555-0100", "desiredPortDate": "2026-11-21"},
        {**US, "phoneNumber": "876-555-0100", "desiredPortDate": "2026-11-29"},
        {**US, "desiredPortTime": "25:00", "desiredPortTimeZone": "Mars", "voiceType": "SMS"},
        {**US, "onDemandActivation": "maybe", "customerOrderReference": "PO<1>", "name": "x" * 101},
        {**CA, "resellerName": "", "voiceType": "EST", "e911Name": "Desk"},
        {**US, "appId": "A1", "e911PostalCodePlusFour": "12", "e911StreetInfo": "Main #2"},
        {**US, "phoneNumber": "787-555-0143", "state": "PR", "zipCode": "00901"},
        {**US, "streetName": "PO Box 12", "e911StreetNum": "1", "e911StreetInfo": "POB 3"},
    ]
    validation = validate_rows(*rows)
    found = {f.code for f in validation.findings}
    assert codes <= found, codes - found


def test_context_columns_never_appear_in_findings() -> None:
    validation = validate_rows({**CA, "phoneNumber": "876-555-0100", "resellerName": ""})
    assert {f.column for f in validation.findings} <= {c.key for c in COLUMNS}


def test_checked_frame_has_blanks_as_na_and_the_context() -> None:
    frame = pd.DataFrame([{**CA, "desiredPortDate": "soon"}], dtype="str", index=[7])
    norm = normalise(frame)
    checked = checked_frame(norm, TODAY)
    assert pd.isna(checked.loc[7, "desiredPortDate"]) and pd.isna(checked.loc[7, "appId"])
    assert checked.loc[7, "_country"] == "CA" and pd.isna(checked.loc[7, "_phone_problem"])
    assert checked.loc[7, "_today"] == "2026-11-27"
    assert checked.loc[7, "_given_desiredPortDate"]
    assert not checked.loc[7, "_given_authorizingDate"] and not checked.loc[7, "_any_e911"]


def test_a_crashing_check_raises_instead_of_passing_rows() -> None:
    schema = pa.DataFrameSchema(checks=[pa.Check(lambda f: f["absent"] != "", error="too_long")])
    with pytest.raises(SchemaError):
        failed_cells(schema, pd.DataFrame({"name": ["x"]}, index=[2]))


def test_frame_wide_failures_name_their_column_and_every_row() -> None:
    frame = pd.DataFrame({"resellerName": [None, "R", None], "_country": ["CA", "CA", "US"]})
    frame.index = pd.Index([5, 6, 9])
    schema = pa.DataFrameSchema(checks=[c for c in ROW_SCHEMA.checks if c.name == "resellerName"])
    cells = failed_cells(schema, frame)
    assert cells.to_dict("records") == [
        {"row": 5, "column": "resellerName", "code": "reseller_required"}
    ]


@pytest.mark.parametrize(
    ("number", "street"),
    [("", "PO Box 12"), ("", "P.O. Box 12"), ("", "p o box 12"), ("1187", "PO Box"),
     ("", "POB 12"), ("", "Post Office Box 77"), ("", "Box 12"), ("12", "Box"),
     ("PO Box 12", "Main"), ("", "PMB 401"), ("", "C.P. 123"), ("", "CP 45"),
     ("", "Case postale 88"), ("", "Boîte postale 4"), ("", "POBox 9")],
)  # fmt: skip
def test_a_po_box_is_a_warning_on_the_service_address(number: str, street: str) -> None:
    row = {**US, "streetName": street, **({"streetNum": number} if number else {})}
    validation = validate_rows(row)
    assert problems(validation, "warning") >= {(2, "streetName", "po_box_service_address")}
    assert validation.error_rows == frozenset()


@pytest.mark.parametrize(
    "street",
    [
        "Box Elder Rd",
        "Boxwood Ln",
        "Post Rd",
        "Pope Blvd",
        "Capital Blvd",
        "Poblano Way",
        "Boxer St",
        "Cape Pointe Dr",
        "Main St",
    ],
)
def test_streets_that_only_look_like_a_box_are_not_flagged(street: str) -> None:
    validation = validate_rows({**US, "streetName": street})
    assert not {f.code for f in validation.findings} & {"po_box_service_address", "po_box_e911"}


def test_a_po_box_in_the_e911_street_is_an_error() -> None:
    e911 = {"e911StreetNum": "1", "e911StreetInfo": "P.O. Box 88", "e911City": "Helena",
            "e911State": "MT", "e911PostalCode": "59601"}  # fmt: skip
    validation = validate_rows({**US, **e911})
    assert problems(validation) == {(2, "e911StreetInfo", "po_box_e911")}


def test_a_refused_cell_gets_one_finding_not_a_cascade() -> None:
    validation = validate_rows(
        {**US, "existingPortOutPin": "N/A"},
        {**US, "phoneNumber": "212-555-0144", "name": "#REF!"},
        {**US, "phoneNumber": "TBD"},
    )
    assert problems(validation) == {
        (2, "existingPortOutPin", "placeholder_refused"),
        (3, "name", "excel_error_value"),
        (4, "phoneNumber", "placeholder_refused"),
    }
    assert validation.error_rows == frozenset({2, 3, 4})
    assert not problems(validation, "warning") & {(2, "existingPortOutPin",
                                                   "port_out_credentials_missing")}  # fmt: skip


def test_placeholder_in_an_optional_column_leaves_the_row_valid_and_blank() -> None:
    validation = validate_rows({**US, "customerOrderReference": "TBD", "desiredPortDate": "TBD"})
    assert validation.error_rows == frozenset()
    assert problems(validation, "warning") >= {
        (2, "customerOrderReference", "placeholder_blanked"),
        (2, "desiredPortDate", "placeholder_blanked"),
    }
    assert validation.rows.loc[2, "customerOrderReference"] == ""
    assert validation.rows.loc[2, "desiredPortDate"] == ""


def test_a_placeholder_in_one_e911_field_still_needs_the_rest() -> None:
    e911 = {"e911StreetNum": "1", "e911StreetInfo": "Main St", "e911City": "N/A",
            "e911State": "NY", "e911PostalCode": "10118"}  # fmt: skip
    validation = validate_rows({**US, **e911})
    assert problems(validation) == {(2, "e911City", "e911_incomplete")}


def test_plus_four_advice_talks_about_four_digits() -> None:
    validation = validate_rows({**US, "e911PostalCodePlusFour": "12345"})
    (finding,) = [f for f in validation.findings if f.code == "plus_four_invalid"]
    assert finding.column == "e911PostalCodePlusFour"
    assert "4 extra digits" in finding.message and "A1A" not in finding.message


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_excel_csv_dates_with_midnight_leave_no_invalid_row(tmp_path: Path) -> None:
    head = "Phone Number,Name,Street Number,Street Name,City,State,ZIP,PIN,Authorizing Date,"
    source = write_csv(
        tmp_path / "midnight.csv",
        head + "Desired Port Date\n"
        "(212) 555-0143,Acme,350,Fifth Ave,New York,NY,10118,4821,11/2/2026 0:00,\n"
        "(212) 555-0144,Acme,350,Fifth Ave,New York,NY,10118,4821,11/2/2026 12:00:00 AM,\n"
        "(212) 555-0145,Acme,350,Fifth Ave,New York,NY,10118,4821,2026-11-02,12/8/2026 0:00\n",
    )
    validation = validate_file(source, today=TODAY)
    assert validation.invalid == 0
    assert validation.rows["authorizingDate"].tolist() == ["2026-11-02"] * 3
    assert validation.rows.loc[4, "desiredPortDate"] == "2026-12-08"


def test_day_first_csv_is_read_day_first_in_every_row(tmp_path: Path) -> None:
    head = "Phone Number,Name,Street Number,Street Name,City,State,ZIP,PIN,Reseller Name,"
    source = write_csv(
        tmp_path / "dayfirst.csv",
        head + "Authorizing Date,Desired Port Date\n"
        "(416) 555-0143,Acme,290,Bremner,Toronto,ON,M5V 3L9,4821,Lake,25/11/2026,25/01/2027\n"
        "(416) 555-0144,Acme,290,Bremner,Toronto,ON,M5V 3L9,4821,Lake,03/11/2026,12/01/2027\n",
    )
    validation = validate_file(source, today=TODAY)
    assert validation.rows.loc[3, "authorizingDate"] == "2026-11-03"
    assert validation.rows.loc[3, "desiredPortDate"] == "2027-01-12"
    day_first = {(f.row, f.column, f.sent) for f in validation.findings
                 if f.code == "date_read_day_first"}  # fmt: skip
    assert day_first == {(3, "authorizingDate", "2026-11-03"), (3, "desiredPortDate", "2027-01-12")}


def test_unused_columns_are_named_once_each(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "extra.csv",
        "Phone Number,Name,Street Number,Street Name,City,State,ZIP,PIN,Notes,PIN,Empty\n"
        "(212) 555-0143,Acme,350,Fifth,New York,NY,10118,4821,call first,9999,\n"
        "(212) 555-0144,Acme,350,Fifth,New York,NY,10118,4821,,9999,\n",
    )
    validation = validate_file(source, today=TODAY)
    unused = [f for f in validation.findings if f.code == "column_unused"]
    assert [(f.row, f.severity) for f in unused] == [(1, "warning"), (1, "warning")]
    messages = " ".join(f.message for f in unused)
    assert '"Notes"' in messages and "second Port-Out PIN column" in messages
    assert "Empty" not in messages  # a column with nothing in it loses nothing
    assert validation.invalid == 0
