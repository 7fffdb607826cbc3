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


def test_every_change_is_a_warning_with_the_rules_advice() -> None:
    frame = pd.DataFrame(
        {
            "phoneNumber": ["(212) 555-0143", "+12125550144"],
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
        assert finding.severity == CODES[finding.code].severity == "warning"
        if finding.column != "desiredPortDate":  # a date's message shows the date read
            assert finding.message == CODES[finding.code].message
    assert {f.value for f in findings if f.column == "zipCode"} == {"k1a0b1"}
