"""Masking of secrets: one place decides what a secret looks like once shown to a person.

Port-out PINs, account numbers, tokens and key secrets never leave batchport unmasked: not in
logs, traces, exception messages, terminal output or workbooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["MASK", "SECRET_FIELDS", "mask", "mask_account", "mask_field", "redact_json"]

MASK = "****"

#: JSON field names (API and input columns) whose values are secrets.
SECRET_FIELDS = frozenset(
    {
        "existingPortOutPin",
        "newPortOutPin",
        "accountNum",
        "access_token",
        "client_secret",
        "key_secret",
        "password",
        "fileContent",
    }
)

# Fields that keep their last four characters, so a person can still tell accounts apart.
_KEEP_TAIL = frozenset({"accountNum"})


def mask(value: object) -> str:
    """Mask a secret completely; an empty value stays empty so "missing" remains visible."""
    if value is None or str(value) == "":
        return ""
    return MASK


def mask_account(value: object) -> str:
    """Mask an account number but keep its last four characters when it is long enough."""
    text = "" if value is None else str(value)
    if text == "":
        return ""
    if len(text) <= 6:
        return MASK
    return MASK + text[-4:]


def mask_field(field: str, value: object) -> object:
    """Mask ``value`` if ``field`` names a secret, else return it unchanged."""
    if field not in SECRET_FIELDS:
        return value
    return mask_account(value) if field in _KEEP_TAIL else mask(value)


def redact_json(data: Any) -> Any:
    """A deep copy of a JSON-like value with every secret field masked."""
    if isinstance(data, Mapping):
        return {key: redact_json(mask_field(key, value)) for key, value in data.items()}
    if isinstance(data, list):
        return [redact_json(item) for item in data]
    return data
