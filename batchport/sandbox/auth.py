"""Credentials: HTTP Basic with the key id and secret, or Bearer tokens from ``/oauth2/token``.

Tokens live ``token_lifetime_s`` seconds (3600, as published) measured on the monotonic clock
plus every day the sandbox clock has been advanced since the token was issued, so moving the
clock forward really expires them. Anything that is not a valid credential answers 401 with an
empty body.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from batchport.sandbox.config import SandboxConfig

__all__ = ["Authenticator"]

_DAY_S = 86_400


@dataclass(frozen=True)
class _Token:
    issued_at: float
    issued_clock_days: int


class Authenticator:
    """Checks ``Authorization`` headers and issues tokens.

    ``clock_days`` returns how many days the sandbox clock has been advanced so far.
    """

    def __init__(self, config: SandboxConfig, clock_days: Callable[[], int]) -> None:
        self._key_id = config.key_id
        self._key_secret = config.key_secret
        self._lifetime = config.token_lifetime_s
        self._monotonic = config.monotonic
        self._clock_days = clock_days
        self._tokens: dict[str, _Token] = {}

    def basic_ok(self, header: str | None) -> bool:
        """Whether ``header`` is HTTP Basic with the sandbox key id and secret."""
        if not header or not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        key_id, _, secret = decoded.partition(":")
        return hmac.compare_digest(key_id, self._key_id) and hmac.compare_digest(
            secret, self._key_secret
        )

    def allowed(self, header: str | None) -> str | None:
        """The caller's key id when ``header`` is valid Basic or a live Bearer token, else None."""
        if self.basic_ok(header):
            return self._key_id
        if not header or not header.lower().startswith("bearer "):
            return None
        token = self._tokens.get(header[7:].strip())
        if token is None:
            return None
        if self._age(token) >= self._lifetime:
            del self._tokens[header[7:].strip()]
            return None
        return self._key_id

    def issue(self) -> tuple[str, int]:
        """A new opaque token and its lifetime in seconds."""
        value = secrets.token_urlsafe(32)
        self._tokens[value] = _Token(self._monotonic(), self._clock_days())
        return value, self._lifetime

    def _age(self, token: _Token) -> float:
        days = self._clock_days() - token.issued_clock_days
        return self._monotonic() - token.issued_at + days * _DAY_S
