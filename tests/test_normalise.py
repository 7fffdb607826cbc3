from __future__ import annotations

import pandas as pd
import pytest

from batchport.findings import CODES, to_findings
from batchport.nanp import TIME_ZONES
from batchport.validation.normalise import boolean_ok, normalise, parse_dates, parse_times


def table(key: str, *values: str) -> pd.DataFrame:
    index = pd.RangeIndex(2, 2 + len(values), name="row")
    return pd.DataFrame({key: pd.Series(values, index=index, dtype="str")})


@pytest.mark.parametrize(
    ("written", "zone"),
    [
        ("Eastern", "US/Eastern"),
        ("ET", "US/Eastern"),
        ("est", "US/Eastern"),
        ("America/New_York", "US/Eastern"),
        ("Central Time", "US/Central"),
        ("America/Chicago", "US/Central"),
        ("MST", "US/Mountain"),
        ("America/Phoenix", "US/Mountain"),
        ("pacific", "US/Pacific"),
        ("America/Vancouver", "US/Pacific"),
        ("UTC", "GMT"),
        ("US/Central", "US/Central"),
    ],
)
def test_time_zone_aliases_become_the_api_enum(written: str, zone: str) -> None:
    norm = normalise(table("desiredPortTimeZone", written))
    assert norm.rows.loc[2, "desiredPortTimeZone"] == zone
    assert zone in TIME_ZONES
    codes = [f.code for f in to_findings(norm.findings)]
    assert codes == ([] if written == zone else ["time_zone_normalised"])


def test_unknown_time_zone_is_left_for_the_schema() -> None:
    norm = normalise(table("desiredPortTimeZone", "Mars"))
    assert norm.rows.loc[2, "desiredPortTimeZone"] == "Mars"
    assert norm.findings.empty


def test_service_type_words_become_b_or_r_and_blank_means_b() -> None:
    norm = normalise(table("typeOfService", "Business", "residential", "R", "", "Shop"))
    assert norm.rows["typeOfService"].tolist() == ["B", "R", "R", "B", "Shop"]
    warned = [(f.row, f.value) for f in to_findings(norm.findings)]
    assert warned == [(2, "Business"), (3, "residential")]


def test_voice_type_names_become_their_codes() -> None:
    norm = normalise(table("voiceType", "SIP Trunk", "voice api", "fax", "EST"))
    assert norm.rows["voiceType"].tolist() == ["EST", "RTC", "FAX", "EST"]
    assert {f.code for f in to_findings(norm.findings)} == {"voice_type_normalised"}


@pytest.mark.parametrize(
    ("written", "value", "recognised"),
    [
        ("yes", True, True),
        ("Y", True, True),
        ("TRUE", True, True),
        ("1", True, True),
        ("no", False, True),
        ("false", False, True),
        ("0", False, True),
        ("", False, True),
        ("maybe", False, False),
    ],
)
def test_yes_no_words_become_booleans(written: str, value: bool, recognised: bool) -> None:
    norm = normalise(table("onDemandActivation", written))
    assert bool(norm.rows.loc[2, "onDemandActivation"]) is value
    assert bool(boolean_ok(pd.Series([written], dtype="str")).iloc[0]) is recognised


def test_dates_in_common_forms_become_iso() -> None:
    written = pd.Series(
        ["2026-12-01", "12/01/2026", "12/1/26", "Dec 1, 2026", "1 December 2026", "20261201",
         "2026-12-01 00:00:00", "2026/12/01", "someday", ""]
    )  # fmt: skip
    assert parse_dates(written).tolist() == ["2026-12-01"] * 8 + ["", ""]


def test_times_in_common_forms_become_24_hour() -> None:
    written = pd.Series(["9:00", "9am", "2:30 PM", "14:30:00", "12 a.m.", "25:00", "9:75", ""])
    assert parse_times(written).tolist() == [
        "09:00:00", "09:00:00", "14:30:00", "14:30:00", "00:00:00", "", "", "",
    ]  # fmt: skip


def test_every_change_is_a_finding_with_its_advice_and_the_value_sent() -> None:
    frame = pd.DataFrame(
        {
            "phoneNumber": ["(212) 263-0143", "+12122630144"],
            "state": ["new york", "NY"],
            "zipCode": ["k1a0b1", "10118"],
            "desiredPortDate": ["12/01/2026", "2026-12-01"],
            "desiredPortTime": ["9am", "09:00:00"],
        },
        index=pd.RangeIndex(2, 4, name="row"),
    )
    findings = to_findings(normalise(frame).findings)
    assert {(f.row, f.column) for f in findings} == {
        (2, "phoneNumber"), (2, "state"), (2, "zipCode"), (2, "desiredPortDate"),
        (2, "desiredPortTime"),
    }  # fmt: skip
    for finding in findings:
        assert finding.severity == CODES[finding.code].severity
        if finding.column != "desiredPortDate":  # a date's message shows the date read
            assert finding.message == CODES[finding.code].message
    severities = {f.column: f.severity.value for f in findings}
    assert severities == {
        "phoneNumber": "info", "state": "info", "zipCode": "info",
        "desiredPortDate": "warning", "desiredPortTime": "warning",
    }  # fmt: skip
    sent = {f.column: f.sent for f in findings}
    assert sent == {
        "phoneNumber": "+12122630143", "state": "NY", "zipCode": "K1A 0B1",
        "desiredPortDate": "2026-12-01", "desiredPortTime": "09:00:00",
    }  # fmt: skip
    assert {f.value for f in findings if f.column == "zipCode"} == {"k1a0b1"}


def test_phone_notices_are_warnings_and_a_newer_area_code_takes_the_address_country() -> None:
    frame = pd.DataFrame(
        {
            "phoneNumber": ["(679) 263-0143", "(212) 555-0143", "(624) 305-0000", "+12122630144"],
            "state": ["MI", "NY", "Ontario", "NY"],
        },
        index=pd.RangeIndex(2, 6, name="row"),
    )
    norm = normalise(frame)
    notices = {(f.row, f.code) for f in to_findings(norm.findings) if f.code.startswith("phone_")}
    assert notices - {(r, "phone_reformatted") for r in (2, 3, 4)} == {
        (2, "phone_area_code_newer"),
        (3, "phone_fictional"),
        (4, "phone_area_code_newer"),
    }
    assert norm.rows["country"].tolist() == ["US", "US", "CA", "US"]
    assert norm.phone_problems.tolist() == ["", "", "", ""]


def dates(key: str, *values: str) -> tuple[list[str], list[tuple[int, str, str, str]]]:
    norm = normalise(table(key, *values))
    found = [(f.row, f.code, f.severity, f.sent) for f in to_findings(norm.findings)]
    return norm.rows[key].tolist(), found


def test_a_date_with_a_midnight_time_is_the_date() -> None:
    got, found = dates(
        "authorizingDate", "11/2/2026 0:00", "11/2/2026 12:00:00 AM", "2026-12-08 0:00",
        "2026-12-08T00:00:00", "2026-11-02",
    )  # fmt: skip
    assert got == ["2026-11-02", "2026-11-02", "2026-12-08", "2026-12-08", "2026-11-02"]
    assert [(row, code, sent) for row, code, _, sent in found] == [
        (2, "date_normalised", "2026-11-02"),
        (3, "date_normalised", "2026-11-02"),
        (4, "date_normalised", "2026-12-08"),
        (5, "date_normalised", "2026-12-08"),
    ]
    message = to_findings(normalise(table("authorizingDate", "11/2/2026 0:00")).findings)[0]
    assert "2026-11-02" in message.message and "midnight" in message.message


def test_a_time_other_than_midnight_is_not_dropped() -> None:
    got, found = dates("desiredPortDate", "11/2/2026 12:00 PM", "11/2/2026 9:30")
    assert got == ["", ""]  # left for the schema's invalid_date
    assert found == []


def test_a_date_finding_shows_the_date_it_was_read_as() -> None:
    norm = normalise(table("desiredPortDate", "02.11.2026"))
    (finding,) = to_findings(norm.findings)
    assert (finding.value, finding.sent) == ("02.11.2026", "2026-02-11")
    assert "02.11.2026 as 2026-02-11" in finding.message


def test_one_day_first_value_makes_the_whole_column_day_first() -> None:
    got, found = dates("desiredPortDate", "25/01/2027", "12/01/2027", "03/11/2026", "2027-02-01")
    assert got == ["2027-01-25", "2027-01-12", "2026-11-03", "2027-02-01"]
    assert [(row, code, sent) for row, code, _, sent in found] == [
        (3, "date_read_day_first", "2027-01-12"),
        (4, "date_read_day_first", "2026-11-03"),
        (2, "date_normalised", "2027-01-25"),
    ]
    norm = normalise(table("desiredPortDate", "25/01/2027", "12/01/2027"))
    message = next(f.message for f in to_findings(norm.findings) if f.row == 3)
    assert "2027-01-12" in message and "row 2 (25/01/2027" in message


def test_each_date_column_decides_its_own_order() -> None:
    frame = pd.DataFrame(
        {"authorizingDate": ["25/11/2026", "03/11/2026"],
         "desiredPortDate": ["12/01/2027", "12/02/2027"]},
        index=pd.RangeIndex(2, 4, name="row"),
    )  # fmt: skip
    rows = normalise(frame).rows
    assert rows["authorizingDate"].tolist() == ["2026-11-25", "2026-11-03"]
    assert rows["desiredPortDate"].tolist() == ["2027-12-01", "2027-12-02"]  # no evidence


def test_without_evidence_an_ambiguous_date_is_month_first_and_says_so() -> None:
    got, found = dates("desiredPortDate", "12/01/2027", "01/13/2027")
    assert got == ["2027-12-01", "2027-01-13"]
    assert [(row, code) for row, code, _, _ in found] == [
        (2, "date_normalised"),
        (3, "date_normalised"),
    ]


def test_a_column_with_evidence_both_ways_refuses_its_numeric_dates() -> None:
    got, found = dates("desiredPortDate", "25/01/2027", "12/01/2027", "01/26/2027", "2027-02-01")
    assert got == ["", "", "", "2027-02-01"]
    assert [(row, code, severity) for row, code, severity, _ in found] == [
        (2, "date_order_conflict", "error"),
        (3, "date_order_conflict", "error"),
        (4, "date_order_conflict", "error"),
    ]
    norm = normalise(table("desiredPortDate", "25/01/2027", "12/01/2027", "01/26/2027"))
    message = next(f.message for f in to_findings(norm.findings) if f.row == 3)
    assert "row 2" in message and "row 4" in message and "12/01/2027" in message


def test_two_digit_years_follow_the_usual_pivot() -> None:
    assert dates("authorizingDate", "12/1/26")[0] == ["2026-12-01"]
    assert dates("authorizingDate", "12/1/70")[0] == ["1970-12-01"]


@pytest.mark.parametrize(
    "written",
    ["N/A", "n/a", "NA", "none", "None", "-", "--", "—", "TBD", "tbd", "unknown", "?", "x",
     "XXXX", "null", "(blank)", "****", "Not applicable", "same as above", "pending"],
)  # fmt: skip
def test_a_placeholder_in_a_secret_column_is_an_error_and_never_sent(written: str) -> None:
    norm = normalise(table("existingPortOutPin", written))
    assert norm.rows.loc[2, "existingPortOutPin"] == ""
    (finding,) = to_findings(norm.findings)
    assert (finding.code, finding.severity) == ("placeholder_refused", "error")
    assert finding.value == "****"  # masked like any PIN
    assert written not in finding.message or written in ("-", "?", "x")


@pytest.mark.parametrize("key", ["name", "streetName", "city", "zipCode", "accountNum"])
def test_a_placeholder_in_a_required_or_secret_column_is_an_error(key: str) -> None:
    norm = normalise(table(key, "TBD"))
    assert norm.rows.loc[2, key] == ""
    assert [(f.code, f.severity) for f in to_findings(norm.findings)] == [
        ("placeholder_refused", "error")
    ]


@pytest.mark.parametrize(
    ("key", "written"),
    [("customerOrderReference", "N/A"), ("voiceType", "none"), ("desiredPortDate", "TBD"),
     ("resellerName", "unknown"), ("e911Location", "-"), ("onDemandActivation", "n/a")],
)  # fmt: skip
def test_a_placeholder_elsewhere_is_a_warning_and_read_as_blank(key: str, written: str) -> None:
    norm = normalise(table(key, written))
    (finding,) = to_findings(norm.findings)
    assert (finding.code, finding.severity) == ("placeholder_blanked", "warning")
    assert f'"{written}"' in finding.message and "nothing is sent" in finding.message
    assert norm.text[key].tolist() == [""]
    assert norm.rows.loc[2, key] in ("", False)


def test_x_is_still_a_yes_in_on_demand_activation() -> None:
    norm = normalise(table("onDemandActivation", "X"))
    assert bool(norm.rows.loc[2, "onDemandActivation"]) is True
    assert norm.findings.empty


def test_real_values_that_look_like_placeholders_are_kept() -> None:
    frame = pd.DataFrame(
        {"existingPortOutPin": ["0000", "NA12", "1234"], "name": ["Nadia", "Xavier", "Ted"],
         "streetName": ["Box Elder Rd", "N/A Street", "Main"]},
        index=pd.RangeIndex(2, 5, name="row"),
    )  # fmt: skip
    norm = normalise(frame)
    assert norm.findings.empty
    assert norm.rows["existingPortOutPin"].tolist() == ["0000", "NA12", "1234"]


@pytest.mark.parametrize(
    "error",
    ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!",
     "#GETTING_DATA", "#n/a"],
)  # fmt: skip
def test_an_excel_error_value_is_an_error_that_names_it(error: str) -> None:
    for key in ("existingPortOutPin", "name", "customerOrderReference"):
        norm = normalise(table(key, error))
        (finding,) = to_findings(norm.findings)
        assert (finding.code, finding.severity) == ("excel_error_value", "error")
        assert error.upper() in finding.message
        assert norm.rows.loc[2, key] == ""
