"""Credentials: HTTP Basic with the key id and secret, or Bearer tokens from ``/oauth2/token``.

Tokens live ``token_lifetime_s`` seconds (3600, as published) of real time, measured on the
(injectable) monotonic clock. The sandbox's business clock plays no part: a test that advances it
a week and then reads an order is a caller whose token is minutes old. Anything that is not a
valid credential answers 401 with an empty body.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets

from batchport.sandbox.config import SandboxConfig

__all__ = ["Authenticator"]


class Authenticator:
    """Checks ``Authorization`` headers and issues tokens."""

    def __init__(self, config: SandboxConfig) -> None:
        self._key_id = config.key_id
        self._key_secret = config.key_secret
        self._lifetime = config.token_lifetime_s
        self._monotonic = config.monotonic
        self._tokens: dict[str, float] = {}  # token -> when it was issued

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
        issued_at = self._tokens.get(header[7:].strip())
        if issued_at is None:
            return None
        if self._monotonic() - issued_at >= self._lifetime:
            del self._tokens[header[7:].strip()]
            return None
        return self._key_id

    def issue(self) -> tuple[str, int]:
        """A new opaque token and its lifetime in seconds."""
        value = secrets.token_urlsafe(32)
        self._tokens[value] = self._monotonic()
        return value, self._lifetime
