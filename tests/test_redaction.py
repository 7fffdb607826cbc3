"""Masking by field name and by value (the registry of secrets and its scrub rule)."""

from __future__ import annotations

import logging
import sys

import pytest

from batchport.redaction import (
    MIN_SECRET_LENGTH,
    ScrubFilter,
    SecretRegistry,
    mask,
    mask_account,
    redact_json,
)


def test_mask_hides_everything_but_keeps_empty_visible() -> None:
    assert mask("1234") == "****"
    assert mask("") == ""
    assert mask(None) == ""


def test_mask_account_keeps_last_four_of_long_numbers() -> None:
    assert mask_account("9876543210") == "****3210"
    assert mask_account("12345") == "****"


def test_redact_json_masks_nested_secrets_only() -> None:
    body = {
        "phoneNumbers": [
            {
                "phoneNumber": "+12125550143",
                "portOutInfo": {"existingPortOutPin": "4321", "accountNum": "ACC-99887766"},
            }
        ],
        "access_token": "tok",
    }
    redacted = redact_json(body)
    info = redacted["phoneNumbers"][0]["portOutInfo"]
    assert info == {"existingPortOutPin": "****", "accountNum": "****7766"}
    assert redacted["phoneNumbers"][0]["phoneNumber"] == "+12125550143"
    assert redacted["access_token"] == "****"
    assert body["phoneNumbers"][0]["portOutInfo"]["existingPortOutPin"] == "4321"


# --- masking by value: one registry, one scrub rule ------------------------------------------


@pytest.fixture
def registry() -> SecretRegistry:
    return SecretRegistry()


def test_scrub_masks_every_occurrence_of_a_remembered_value(registry: SecretRegistry) -> None:
    registry.remember("8642")
    assert registry.scrub("PIN 8642 does not match 8642") == "PIN **** does not match ****"
    assert registry.scrub("no secret here") == "no secret here"


def test_scrub_masks_inside_larger_words_and_ignores_case(registry: SecretRegistry) -> None:
    registry.remember("abc123", "ACCT-998")
    assert registry.scrub("pinABC123x, account=acct-998.") == "pin****x, account=****."


def test_the_longest_value_wins_where_two_start_together(registry: SecretRegistry) -> None:
    registry.remember("1234", "12345678")
    assert registry.scrub("got 12345678 and 1234") == "got **** and ****"


def test_overlapping_values_are_masked_as_one_union(registry: SecretRegistry) -> None:
    registry.remember("abc123", "123456")
    # Masking "abc123" alone would leave "456", the tail of the other secret.
    assert registry.scrub("x abc123456 y") == "x **** y"
    assert registry.scrub("x 123456abc123 y") == "x **** y"  # adjacent: one mask


def test_values_shorter_than_the_minimum_are_not_registered(registry: SecretRegistry) -> None:
    assert MIN_SECRET_LENGTH == 3
    registry.remember("42", "7", "", "   ", " 913 ")
    assert len(registry) > 0
    assert registry.scrub("HTTP 422 at 7:42, PIN 913") == "HTTP 422 at 7:42, PIN ****"


def test_percent_encoded_values_and_numbers_are_masked(registry: SecretRegistry) -> None:
    registry.remember("s3cr/t+key", "4321")
    assert registry.scrub("client_secret=s3cr%2Ft%2Bkey&x=1") == "client_secret=****&x=1"
    data = {"pin": 4321, "id": 143210, "ok": True, "s3cr/t+key": ["4321x", 4321.0]}
    scrubbed = registry.scrub_json(data)
    assert scrubbed == {"pin": "****", "id": 143210, "ok": True, "****": ["****x", 4321.0]}


def test_exempt_values_are_never_masked(registry: SecretRegistry) -> None:
    registry.exempt("sandbox")
    registry.remember("sandbox", "Sandbox", "real-secret")
    assert registry.scrub("sandbox real-secret") == "sandbox ****"


def test_forget_drops_the_values(registry: SecretRegistry) -> None:
    registry.remember("8642")
    registry.forget()
    assert registry.scrub("8642") == "8642" and len(registry) == 0


def test_the_log_filter_scrubs_message_arguments_and_traceback(registry: SecretRegistry) -> None:
    registry.remember("hunter22")
    try:
        raise ValueError("bad key hunter22")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "key %s", ("hunter22",), sys.exc_info()
        )
    assert ScrubFilter(registry).filter(record)
    text = logging.Formatter().format(record)
    assert "hunter22" not in text and "key ****" in text and "ValueError: bad key ****" in text


def test_every_secret_input_column_is_masked_by_field_name() -> None:
    from batchport.columns import COLUMNS, SECRET_KEYS
    from batchport.redaction import SECRET_FIELDS, mask_field

    assert SECRET_KEYS and SECRET_KEYS <= SECRET_FIELDS
    for column in COLUMNS:
        shown = mask_field(column.key, "12345678")
        assert (shown != "12345678") == column.secret, column.key
