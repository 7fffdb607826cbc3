from __future__ import annotations

import pytest

from batchport.columns import COLUMNS, SECRET_KEYS, column, header_key, looks_secret, match_header


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
