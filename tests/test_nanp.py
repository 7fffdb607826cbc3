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
        ("+17875550100", NpaKind.US_TERRITORY),
        ("+12642351234", NpaKind.OTHER_COUNTRY),
        ("+19832001234", NpaKind.US),
        ("+12732001234", NpaKind.CA),  # opened in 2025: needs phonenumbers 9.0.40
        ("+16795550143", NpaKind.NEWER),
        ("+15555550100", NpaKind.UNASSIGNED),
        ("+12925550100", NpaKind.UNASSIGNED),
        ("+13745550100", NpaKind.UNASSIGNED),
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
    """(e164, country, problem) of each value."""
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
        # The true reason comes first: an N11 exchange does not make these "malformed".
        ("+1 800 211 4511", "phone_toll_free"),
        ("+1 888 411 4511", "phone_toll_free"),
        ("+1 900 411 1234", "phone_premium"),
        ("+1 264 235 1234", "phone_other_country"),
        ("+1 876 611 1234", "phone_other_country"),
        ("+1 787 411 1234", "phone_us_territory"),
        # N11 and 0/1 exchanges stay errors in local area codes, known or newer.
        ("+1 212 411 1234", "phone_invalid"),
        ("+1 416 911 1234", "phone_invalid"),
        ("+1 679 211 1234", "phone_invalid"),
        ("+1 679 055 1234", "phone_invalid"),
        # Reserved codes are not "newer": N9X, 37X, 96X, N00 and equal last digits.
        ("+1 292 555 0100", "phone_unassigned_area_code"),
        ("+1 374 555 0100", "phone_unassigned_area_code"),
        ("+1 965 555 0100", "phone_unassigned_area_code"),
        ("+1 300 555 0100", "phone_unassigned_area_code"),
        ("+1 444 555 0100", "phone_unassigned_area_code"),
    ],
)
def test_numbers_that_cannot_be_ported_say_why(written: str, problem: str) -> None:
    (_, country, found) = _phones(written)[0]
    assert found == problem
    assert country == ""


@pytest.mark.parametrize(
    ("written", "place"),
    [
        ("+1 264 235 1234", "Anguilla"),
        ("+1 284 229 1234", "the British Virgin Islands"),
        ("+1 664 349 1234", "Montserrat"),
        ("+1 721 510 1234", "Sint Maarten"),
        ("+1 869 229 1234", "Saint Kitts and Nevis"),
        ("+1 876 555 0100", "Jamaica"),
        ("+1 809 555 0100", "the Dominican Republic"),
    ],
)
def test_other_nanp_countries_are_named(written: str, place: str) -> None:
    (e164, _, problem) = _phones(written)[0]
    assert problem == "phone_other_country"
    assert nanp.area_code_place(e164[2:5]) == place


@pytest.mark.parametrize(
    ("npa", "territory"),
    [
        ("787", "Puerto Rico"),
        ("939", "Puerto Rico"),
        ("340", "the U.S. Virgin Islands"),
        ("671", "Guam"),
        ("670", "the Northern Mariana Islands"),
        ("684", "American Samoa"),
    ],
)
def test_every_us_territory_gets_one_rule(npa: str, territory: str) -> None:
    (_, country, problem) = _phones(f"+1 {npa} 555 0146")[0]
    assert (country, problem) == ("", "phone_us_territory")
    assert nanp.area_code_place(npa) == territory


def test_area_codes_newer_than_the_metadata_are_a_notice_not_a_problem() -> None:
    import pandas as pd

    written = ["(679) 555-0143", "+1 624 305 0000", "+1 436 217 0000", "(212) 263-1000"]
    frame = nanp.normalise_phones(pd.Series(written, dtype="str"))
    assert frame["problem"].tolist() == ["", "", "", ""]
    assert frame["e164"].tolist() == [
        "+16795550143",
        "+16243050000",
        "+14362170000",
        "+12122631000",
    ]
    assert frame["country"].tolist() == ["", "", "", "US"]  # the address decides
    assert frame["phone_area_code_newer"].tolist() == [True, True, True, False]


def test_current_area_codes_are_known_to_the_installed_metadata() -> None:
    # 983 (Colorado, 2024) is in service: the phonenumbers floor must know it.
    assert _phones("+1 983 200 1234") == [("+19832001234", "US", "")]


@pytest.mark.parametrize(
    ("written", "fictional"),
    [
        ("(212) 555-0100", True),
        ("(416) 555-0199", True),
        ("(679) 555-0143", True),
        ("(212) 555-0200", False),
        ("(212) 555-0099", False),
        ("(212) 556-0100", False),
        ("(800) 555-0100", False),  # refused as toll-free: no second word on it
    ],
)
def test_the_range_kept_for_fiction_is_flagged(written: str, fictional: bool) -> None:
    import pandas as pd

    frame = nanp.normalise_phones(pd.Series([written], dtype="str"))
    assert frame["phone_fictional"].tolist() == [fictional]


def test_canadian_numbers_are_canadian() -> None:
    assert _phones("416-555-0143", "(604) 555-0101") == [
        ("+14165550143", "CA", ""),
        ("+16045550101", "CA", ""),
    ]


def test_regions_names_and_codes() -> None:
    import pandas as pd

    written = pd.Series(["new york", "Ont.", "Québec", "qc", "XX", "British Columbia", " tx "])
    assert nanp.normalise_regions(written).tolist() == ["NY", "ON", "QC", "QC", "XX", "BC", "TX"]


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Québec", "QC"),
        ("QUÉBEC", "QC"),
        ("Nouvelle-Écosse", "NS"),
        ("Île-du-Prince-Édouard", "PE"),
        ("Ile du Prince Edouard", "PE"),
        ("Terre-Neuve-et-Labrador", "NL"),
        ("Newfoundland & Labrador", "NL"),
        ("Colombie-Britannique", "BC"),
        ("Nouveau-Brunswick", "NB"),
        ("Territoires du Nord-Ouest", "NT"),
        ("Montréal", "Montréal"),  # a city is not a province
    ],
)
def test_french_and_accented_province_names(written: str, code: str) -> None:
    import pandas as pd

    assert nanp.normalise_regions(pd.Series([written])).tolist() == [code]


def test_territory_names_become_their_codes_for_the_validator_to_refuse() -> None:
    import pandas as pd

    written = pd.Series(["Puerto Rico", "U.S. Virgin Islands", "Guam", "Northern Mariana Islands"])
    assert nanp.normalise_regions(written).tolist() == ["PR", "VI", "GU", "MP"]


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
    assert len(nanp.US_STATES) == 51
    assert {"NY", "DC"} <= set(nanp.US_STATES)
    assert not set(nanp.US_STATES) & {"ON", "QC", "BC"}
    assert not set(nanp.US_STATES) & set(nanp.US_TERRITORIES)
    assert set(nanp.US_TERRITORIES) == {"PR", "VI", "GU", "AS", "MP"}


def test_country_of_regions() -> None:
    import pandas as pd

    regions = pd.Series(["NY", "QC", "PR", "", "XX"])
    assert nanp.country_of_regions(regions).tolist() == ["US", "CA", "", "", ""]


@pytest.mark.parametrize(
    ("npa", "kind"),
    [
        ("212", NpaKind.US),
        ("416", NpaKind.CA),
        ("273", NpaKind.CA),
        ("800", NpaKind.TOLL_FREE),
        ("900", NpaKind.PREMIUM),
        ("500", NpaKind.NON_GEOGRAPHIC),
        ("600", NpaKind.NON_GEOGRAPHIC),
        ("264", NpaKind.OTHER_COUNTRY),
        ("876", NpaKind.OTHER_COUNTRY),
        ("787", NpaKind.US_TERRITORY),
        ("684", NpaKind.US_TERRITORY),
        ("679", NpaKind.NEWER),
        ("436", NpaKind.NEWER),
        ("555", NpaKind.UNASSIGNED),
        ("292", NpaKind.UNASSIGNED),
    ],
)
def test_each_area_code_is_classified_from_the_metadata(npa: str, kind: NpaKind) -> None:
    # The classifier itself, not the per-process cache in front of it.
    assert nanp._classify_npa(npa) is kind


@pytest.mark.parametrize(
    ("npa", "reserved"),
    [
        ("292", True),  # N9X: kept for expanding the plan
        ("595", True),
        ("374", True),  # 37X and 96X: kept for unforeseen uses
        ("965", True),
        ("300", True),  # N00
        ("444", True),  # equal last digits
        ("455", True),
        ("679", False),
        ("436", False),
        ("624", False),
        ("379", True),
        ("964", True),
        ("473", False),
        ("390", True),
    ],
)
def test_reserved_area_codes_follow_the_plan(npa: str, reserved: bool) -> None:
    assert nanp._is_reserved(npa) is reserved


def test_a_sample_number_is_valid_in_its_area_code_or_none() -> None:
    number = nanp._sample_number("416")
    assert number is not None and str(number.national_number).startswith("416")
    assert nanp._sample_number("555") is None


def test_the_place_of_an_area_code_outside_the_members_is_another_country() -> None:
    assert nanp.area_code_place("212") == "another country"
    assert nanp.area_code_place("787") == "Puerto Rico"
    assert nanp.area_code_place("876") == "Jamaica"


def test_a_column_with_blanks_keeps_its_row_numbers_and_says_what_is_missing() -> None:
    import pandas as pd

    frame = nanp.normalise_phones(pd.Series(["", "(212) 263-1000", " "], index=[7, 8, 9]))
    assert frame.index.tolist() == [7, 8, 9]
    assert frame["problem"].tolist() == ["phone_missing", "", "phone_missing"]
    assert frame["e164"].tolist() == ["", "+12122631000", ""]
    blank = nanp.normalise_phones(pd.Series(["", ""], index=[4, 5]))
    assert blank.index.tolist() == [4, 5]
    assert blank["problem"].tolist() == ["phone_missing", "phone_missing"]
    assert not blank["phone_fictional"].any() and not blank["phone_area_code_newer"].any()


@pytest.mark.parametrize(
    ("written", "e164", "problem"),
    [
        ("212-263-1000 ext", "", "phone_malformed"),  # ten digits, but words too
        ("212-263-1000 EXT", "", "phone_malformed"),
        ("+2122631000", "", "phone_malformed"),  # a plus needs the country code 1
        ("212-155-0143", "", "phone_invalid"),
        ("+1 800 211 4511", "+18002114511", "phone_toll_free"),
        ("+1 787 411 1234", "+17874111234", "phone_us_territory"),
        ("+1 212 263 1000", "+12122631000", ""),
    ],
)
def test_e164_is_given_only_for_a_well_formed_number(written: str, e164: str, problem: str) -> None:
    assert _phones(written)[0][0::2] == (e164, problem)


def test_state_codes_written_with_dots_are_codes() -> None:
    import pandas as pd

    assert nanp.normalise_regions(pd.Series(["N.Y.", "Q.C."])).tolist() == ["NY", "QC"]
