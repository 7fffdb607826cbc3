from __future__ import annotations

from batchport.redaction import mask, mask_account, redact_json


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
