"""Authorization for the Porting API as httpx auth flows: a static bearer token, or OAuth2
client credentials.

Both are ``httpx.Auth`` objects handed to the client when it is built; neither needs the
client. With :class:`ClientCredentials` the flow itself yields the token request (HTTP Basic
with the key id and secret, form body ``grant_type=client_credentials``) before the API request
when no fresh token is cached, so the ``httpx.AsyncClient`` sends it like any other request:
its event hooks count and trace it (operation ``fetch_token``), and a failure to get a token
is a failure of the call, retried by the call's retry policy. The token is cached and fetched
again shortly before it expires, one fetch serving every concurrent caller; a call answered
401 makes the flow fetch a new token once and send the call once more.

Every secret an auth flow holds is registered with :func:`batchport.redaction.remember` as it
enters (the static token, the key secret and its Basic encoding when the flow is built, each
token when it is fetched), so a service quoting one back shows it masked everywhere.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator

import httpx

from batchport.api.errors import error_from_token_response, token_service
from batchport.api.trace import label, label_of
from batchport.errors import ApiError
from batchport.redaction import remember

__all__ = ["FETCH_TOKEN", "ClientCredentials", "StaticToken"]

logger = logging.getLogger(__name__)

#: The operation name of token requests in the trace and in errors.
FETCH_TOKEN = "fetch_token"


class StaticToken(httpx.Auth):
    """A bearer token given by the user; it cannot be renewed, so a 401 stands."""

    def __init__(self, token: str) -> None:
        remember(token)
        self._header = f"Bearer {token}"

    def __repr__(self) -> str:
        return "StaticToken(****)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send ``request`` with the configured token."""
        request.headers["Authorization"] = self._header
        yield request


class ClientCredentials(httpx.Auth):
    """OAuth2 client-credentials tokens, cached until shortly before they expire.

    A token is renewed when less than a tenth of its lifetime (at most 60 s) is left, by the
    injectable ``clock``. ``fetches`` counts the token requests made (each is traced as that
    attempt of ``fetch_token``).
    """

    def __init__(
        self,
        *,
        token_url: str,
        key_id: str,
        key_secret: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = token_url
        basic = base64.b64encode(f"{key_id}:{key_secret}".encode()).decode("ascii")
        remember(key_secret, basic)
        self._basic = f"Basic {basic}"
        self._clock = clock
        self._header = ""
        self._renew_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self._token_url!r}, key=****)"

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Send ``request`` with a valid token; after a 401 renew the token and send it once more.

        Raises AuthError when the key is refused, the call's errors of
        :func:`~batchport.api.errors.error_from_token_response` when the token service fails,
        ApiError when its answer holds no token.
        """
        refused: str | None = None
        while True:
            # The lock is held across the token request so that one fetch serves every caller.
            async with self._lock:
                if self._header == refused or self._clock() >= self._renew_at:
                    answer = yield self._token_request(request)
                    await self._store(answer)
                request.headers["Authorization"] = self._header
            response = yield request
            if response.status_code != 401 or refused is not None:
                return
            logger.info("%s: token refused, renewing it once", label_of(request).operation)
            refused = request.headers["Authorization"]

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        """The token request, with the API request's timeouts (httpx adds none to it)."""
        self.fetches += 1
        extensions = label(FETCH_TOKEN, self.fetches)
        if "timeout" in request.extensions:
            extensions["timeout"] = request.extensions["timeout"]
        return httpx.Request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": self._basic, "Accept": "application/json"},
            extensions=extensions,
        )

    async def _store(self, response: httpx.Response) -> None:
        await response.aread()
        if not response.is_success:
            raise error_from_token_response(response, FETCH_TOKEN)
        try:
            data = response.json()
            token = str(data["access_token"])
            lifetime = float(data.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            raise ApiError(
                f"{FETCH_TOKEN}: {token_service(response)} sent an answer without an access token",
                status=response.status_code,
                operation=FETCH_TOKEN,
            ) from None
        remember(token)
        self._header = f"Bearer {token}"
        self._renew_at = self._clock() + lifetime - min(60.0, lifetime / 10)
