"""Masking of secrets: one place decides what a secret looks like once shown to a person.

Port-out PINs, account numbers, tokens and key secrets never leave batchport unmasked: not in
logs, traces, journal, exception messages, terminal output or workbooks. Two rules do it:

- **by field name** (:func:`redact_json`, :func:`mask_field`): a JSON field or input column that
  holds a secret (:data:`SECRET_FIELDS`) is masked whatever its value;
- **by value** (:func:`scrub`, :func:`scrub_json`): every secret value this process has seen is
  masked wherever it appears inside any string, for the service may quote a request's PIN in a
  ``message``. Values are registered with :func:`remember` where they enter: the key secret, its
  HTTP Basic encoding and a static token when the auth flow is built, each access token when it
  is fetched, each PIN and account number when an order request is built or sent. The trace
  writer, the error mapping, the journal, the CLI's ``Error:`` line and its log handlers all
  pass their text through :func:`scrub`.

Matching is case-insensitive, inside larger words too ("PIN1234" loses its "1234"), and where
two registered values overlap the union of both is masked, so neither leaks a part. Values
shorter than :data:`MIN_SECRET_LENGTH` are not registered: see there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SECRETS",
    "SECRET_FIELDS",
    "ScrubFilter",
    "SecretRegistry",
    "mask",
    "mask_account",
    "mask_field",
    "redact_json",
    "remember",
    "scrub",
    "scrub_json",
]

MASK = "****"

#: The shortest value masked by value. Three, because port-out PINs of three characters exist
#: and the service quotes them back. Not fewer: a one- or two-character value ("7", "42") occurs
#: in nearly every status code, date, row number and order id, so masking it would garble every
#: message, and the holes it punched would themselves point at the value. Such a PIN is still
#: masked by field name (:func:`redact_json`, the workbooks' secret columns).
MIN_SECRET_LENGTH = 3

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


class SecretRegistry:
    """The secret values known to this process, and the rule that masks them in any text.

    :meth:`remember` adds values (each also in lower case and percent-encoded, as a service may
    quote them); :meth:`exempt` names values that are public although they travel as secrets
    (the sandbox's own key); :meth:`scrub` masks every remembered value in a string. Safe to use
    from several threads: writers take a lock, readers see either the old or the new entry.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        # The first MIN_SECRET_LENGTH characters of a value → the lengths of values starting so;
        # a scan looks up each position once and compares only values that can match there.
        self._lengths: dict[str, tuple[int, ...]] = {}
        self._public: set[str] = set()

    def __len__(self) -> int:
        return len(self._values)

    def remember(self, *values: str) -> None:
        """Register secret values; empty, short (see :data:`MIN_SECRET_LENGTH`) or exempt
        values are ignored. Surrounding blanks are not part of a value."""
        with self._lock:
            for value in values:
                text = value.strip()
                if len(text) < MIN_SECRET_LENGTH or text.lower() in self._public:
                    continue
                for form in {
                    text,
                    text.lower(),
                    quote(text, safe=""),
                    quote(text, safe="").lower(),
                }:
                    self._add(form)

    def _add(self, form: str) -> None:
        if form in self._values:
            return
        self._values.add(form)
        head = form[:MIN_SECRET_LENGTH]
        lengths = self._lengths.get(head, ())
        if len(form) not in lengths:
            self._lengths[head] = tuple(sorted((*lengths, len(form)), reverse=True))

    def exempt(self, *values: str) -> None:
        """Never mask ``values``: they are public though they travel where secrets do."""
        with self._lock:
            self._public.update(value.strip().lower() for value in values)

    def forget(self) -> None:
        """Drop every remembered value (exemptions stay); for tests and long-lived processes."""
        with self._lock:
            self._values = set()
            self._lengths = {}

    def scrub(self, text: str) -> str:
        """``text`` with every remembered value replaced by :data:`MASK`.

        Overlapping or adjacent occurrences become one mask covering all of them.
        """
        lengths, values = self._lengths, self._values
        if not lengths or len(text) < MIN_SECRET_LENGTH:
            return text
        folded = text.lower()
        # lower() keeps positions unless a character grows (e.g. "İ"); then match as written.
        subject = folded if len(folded) == len(text) else text
        spans: list[list[int]] = []
        for start in range(len(subject) - MIN_SECRET_LENGTH + 1):
            for size in lengths.get(subject[start : start + MIN_SECRET_LENGTH], ()):
                if subject[start : start + size] in values:
                    if spans and start <= spans[-1][1]:
                        spans[-1][1] = max(spans[-1][1], start + size)
                    else:
                        spans.append([start, start + size])
                    break  # the longest value found here covers the shorter ones
        if not spans:
            return text
        parts, done = [], 0
        for begin, end in spans:
            parts += [text[done:begin], MASK]
            done = end
        parts.append(text[done:])
        return "".join(parts)

    def scrub_json(self, data: Any) -> Any:
        """A copy of a JSON-like value with every string (keys too) scrubbed.

        A number that is a secret (a PIN sent back as ``1234``) becomes :data:`MASK`; a number
        that merely contains one (an order id) is left as it is.
        """
        if isinstance(data, str):
            return self.scrub(data)
        if isinstance(data, Mapping):
            return {self.scrub(str(key)): self.scrub_json(value) for key, value in data.items()}
        if isinstance(data, list | tuple):
            return [self.scrub_json(item) for item in data]
        if isinstance(data, int | float) and not isinstance(data, bool):
            return MASK if self.scrub(str(data)) == MASK else data
        return data


#: The registry of this process: what :func:`remember`, :func:`scrub` and :func:`scrub_json` use.
SECRETS = SecretRegistry()


def remember(*values: str) -> None:
    """Register secret values with :data:`SECRETS` (see :meth:`SecretRegistry.remember`)."""
    SECRETS.remember(*values)


def scrub(text: str) -> str:
    """``text`` with every secret known to this process masked (:meth:`SecretRegistry.scrub`)."""
    return SECRETS.scrub(text)


def scrub_json(data: Any) -> Any:
    """A JSON-like value with every secret known to this process masked in its strings."""
    return SECRETS.scrub_json(data)


class ScrubFilter(logging.Filter):
    """A log handler filter that scrubs each record's message, exception and stack text.

    It rewrites the record in place (message formatted, arguments dropped), so every handler
    that sees the record after it sees the scrubbed text. Never drops a record.
    """

    def __init__(self, registry: SecretRegistry = SECRETS) -> None:
        super().__init__()
        self._registry = registry

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub ``record``; always True."""
        record.msg, record.args = self._registry.scrub(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._registry.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._registry.scrub(record.stack_info)
        return True


_FORMATTER = logging.Formatter()
