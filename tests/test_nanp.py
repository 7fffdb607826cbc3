from __future__ import annotations

import pytest

from batchport import nanp
from batchport.nanp import NpaKind


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("+12125550143", NpaKind.US),
        ("+14165550143", NpaKind.CA),
        ("+16045550101", NpaKind.CA),
        ("+18005550100", NpaKind.TOLL_FREE),
        ("+18885550100", NpaKind.TOLL_FREE),
        ("+19005550100", NpaKind.PREMIUM),
        ("+15005550100", NpaKind.NON_GEOGRAPHIC),
        ("+18765550100", NpaKind.OTHER_COUNTRY),
        ("+17875550100", NpaKind.OTHER_COUNTRY),
        ("+15555550100", NpaKind.UNASSIGNED),
        ("+12115550100", NpaKind.UNASSIGNED),
        ("+12121550100", NpaKind.UNASSIGNED),
        ("2125550143", NpaKind.UNASSIGNED),
    ],
)
def test_npa_kind(number: str, kind: NpaKind) -> None:
    assert nanp.npa_kind(number) is kind


def test_country_of_only_us_and_canada() -> None:
    assert nanp.country_of("+12125550143") == "US"
    assert nanp.country_of("+14165550143") == "CA"
    assert nanp.country_of("+18765550100") is None


def _phones(*values: str) -> list[tuple[str, str, str]]:
    import pandas as pd

    frame = nanp.normalise_phones(pd.Series(list(values), dtype="str"))
    return list(zip(frame["e164"], frame["country"], frame["problem"], strict=True))


@pytest.mark.parametrize(
    "written",
    [
        "(212) 555-0143",
        "212.555.0143",
        "1-212-555-0143",
        "+1 212 555 0143",
        "2125550143",
        "+12125550143",
        " 212 555 0143 ",
        "1 (212) 555-0143",
    ],
)
def test_every_common_way_of_writing_a_number(written: str) -> None:
    assert _phones(written) == [("+12125550143", "US", "")]


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("", "phone_missing"),
        ("212-555-014", "phone_malformed"),
        ("+44 20 7946 0958", "phone_malformed"),
        ("212-555-0143 x12", "phone_malformed"),
        ("2-212-555-0143", "phone_malformed"),
        ("212-155-0143", "phone_invalid"),
        ("212-911-0143", "phone_invalid"),
        ("112-555-0143", "phone_invalid"),
        ("555-555-0100", "phone_unassigned_area_code"),
        ("211-555-0100", "phone_invalid"),
        ("800-555-0100", "phone_toll_free"),
        ("900-555-0100", "phone_premium"),
        ("500-555-0100", "phone_non_geographic"),
        ("876-555-0100", "phone_other_country"),
    ],
)
def test_numbers_that_cannot_be_ported_say_why(written: str, problem: str) -> None:
    (_, country, found) = _phones(written)[0]
    assert found == problem
    assert country == ""


def test_canadian_numbers_are_canadian() -> None:
    assert _phones("416-555-0143", "(604) 555-0101") == [
        ("+14165550143", "CA", ""),
        ("+16045550101", "CA", ""),
    ]


def test_regions_names_and_codes() -> None:
    import pandas as pd

    written = pd.Series(["new york", "Ont.", "Québec", "qc", "XX", "British Columbia", " tx "])
    assert nanp.normalise_regions(written).tolist() == ["NY", "ON", "QC", "QC", "XX", "BC", "TX"]


def test_postal_codes_take_their_standard_form() -> None:
    import pandas as pd

    written = pd.Series(["k1a0b1", "K1A-0B1", "021081234", "02108", "abc"])
    assert nanp.normalise_postal_codes(written).tolist() == [
        "K1A 0B1",
        "K1A 0B1",
        "02108-1234",
        "02108",
        "abc",
    ]


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("K1A 0B1", True),
        ("M5X 1A9", True),
        ("D1A 1A1", False),
        ("K1A 0O1", False),
        ("W1A 1A1", False),
    ],
)
def test_canadian_postal_letters(code: str, valid: bool) -> None:
    import re

    assert bool(re.match(nanp.CA_POSTAL, code)) is valid


def test_states_and_provinces_tables() -> None:
    assert len(nanp.CA_PROVINCES) == 13
    assert {"NY", "DC", "PR"} <= set(nanp.US_STATES)
    assert not set(nanp.US_STATES) & {"ON", "QC", "BC"}
