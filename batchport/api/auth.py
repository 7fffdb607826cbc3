"""Authorization for the Porting API: a static bearer token, or OAuth2 client credentials.

With client credentials the token is fetched from the token URL (HTTP Basic with the key id and
secret, form body ``grant_type=client_credentials``), cached, and fetched again shortly before it
expires; one fetch serves every concurrent caller. The client asks for a fresh token once when a
call is answered 401 (:meth:`ClientCredentials.invalidate`), then retries that call once.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import httpx

from batchport.api.errors import error_from_token_response
from batchport.api.retry import RetryPolicy
from batchport.errors import ApiError

__all__ = ["Authorizer", "ClientCredentials", "StaticToken"]

Send = Callable[[str, httpx.Request, int], Awaitable[httpx.Response]]

_OPERATION = "fetch_token"


class Authorizer(Protocol):
    """Supplies the ``Authorization`` header value for API calls."""

    renewable: bool

    async def authorization(self) -> str:
        """The header value to send now."""

    def invalidate(self, header: str) -> None:
        """Forget ``header`` because the service refused it."""


class StaticToken:
    """A bearer token given by the user; it cannot be renewed."""

    renewable = False

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def __repr__(self) -> str:
        return "StaticToken(****)"

    async def authorization(self) -> str:
        """The configured token as a bearer header."""
        return self._header

    def invalidate(self, header: str) -> None:
        """Nothing to do: a static token cannot be replaced."""


class ClientCredentials:
    """OAuth2 client-credentials tokens, cached until shortly before they expire.

    ``send(operation, request, attempt)`` performs one HTTP exchange (the client passes its own,
    so token fetches are traced and counted); ``policy`` retries transient failures of the
    fetch; ``clock`` is injectable. A token is renewed when less than a tenth of its lifetime
    (at most 60 s) is left.
    """

    renewable = True

    def __init__(
        self,
        *,
        token_url: str,
        key_id: str,
        key_secret: str,
        send: Send,
        policy: RetryPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = token_url
        basic = base64.b64encode(f"{key_id}:{key_secret}".encode()).decode("ascii")
        self._basic = f"Basic {basic}"
        self._send = send
        self._policy = policy
        self._clock = clock
        self._header = ""
        self._renew_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self._token_url!r}, key=****)"

    async def authorization(self) -> str:
        """A valid bearer header, fetching a new token when needed.

        Raises AuthError when the key is refused, RetriesExhausted when the token service
        stays unreachable, ApiError on an unusable answer.
        """
        async with self._lock:
            if not self._header or self._clock() >= self._renew_at:
                await self._policy.call(_OPERATION, self._fetch)
            return self._header

    def invalidate(self, header: str) -> None:
        """Drop the cached token if it is the one refused (another caller may have renewed)."""
        if header == self._header:
            self._header = ""

    async def _fetch(self) -> None:
        self.fetches += 1
        request = httpx.Request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": self._basic, "Accept": "application/json"},
        )
        response = await self._send(_OPERATION, request, self.fetches)
        if not response.is_success:
            raise error_from_token_response(response, _OPERATION)
        self._store(response)

    def _store(self, response: httpx.Response) -> None:
        try:
            data = response.json()
            token = str(data["access_token"])
            lifetime = float(data.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            raise ApiError(
                "The token service sent an answer without an access token",
                status=response.status_code,
                operation=_OPERATION,
            ) from None
        self._header = f"Bearer {token}"
        self._renew_at = self._clock() + lifetime - min(60.0, lifetime / 10)
