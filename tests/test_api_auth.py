"""Authorization: cached OAuth2 tokens, renewal before expiry, one renewal on a 401."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_fakes import VirtualClock, api_path, base_settings, fake_client, run

from batchport.api import RetryPolicy
from batchport.api.auth import ClientCredentials
from batchport.errors import AuthError, ConfigError
from batchport.settings import Settings

KEY_ID, KEY_SECRET = "key-id-1", "key-secret-XYZ"


class FakeSinch:
    """A token endpoint and an API that accepts only the newest token (unless told otherwise)."""

    def __init__(self, *, refuse_all: bool = False, lifetime: int = 3600) -> None:
        self.issued: list[str] = []
        self.refuse_all = refuse_all
        self.lifetime = lifetime
        self.revoked: set[str] = set()
        self.api_headers: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return self.token(request)
        header = request.headers.get("Authorization", "")
        self.api_headers.append(header)
        token = header.removeprefix("Bearer ")
        if self.refuse_all or token not in self.issued or token in self.revoked:
            return httpx.Response(401)
        return httpx.Response(200, json={"path": api_path(request)})

    def token(self, request: httpx.Request) -> httpx.Response:
        expected = base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return httpx.Response(401)
        assert request.content == b"grant_type=client_credentials"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        token = f"token-{len(self.issued) + 1}"
        self.issued.append(token)
        return httpx.Response(
            200,
            json={"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime},
        )


def oauth_settings(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {"access_token": "", "key_id": KEY_ID, "key_secret": KEY_SECRET}
    return base_settings(tmp_path, **(values | changes))


def test_token_is_fetched_once_and_shared_by_concurrent_calls(tmp_path: Path) -> None:
    sinch = FakeSinch()

    async def go() -> int:
        async with fake_client(sinch, oauth_settings(tmp_path)) as client:
            await asyncio.gather(*(client.get_configuration() for _ in range(6)))
            return int(client.calls)

    assert run(go()) == 7
    assert sinch.issued == ["token-1"]
    assert set(sinch.api_headers) == {"Bearer token-1"}


def test_a_401_renews_the_token_once_and_resends(tmp_path: Path) -> None:
    sinch = FakeSinch()

    async def go() -> int:
        async with fake_client(sinch, oauth_settings(tmp_path)) as client:
            await client.get_configuration()
            sinch.revoked.add("token-1")
            await client.get_configuration()
            return int(client.calls)

    assert run(go()) == 5  # token, call, refused call, token, resent call
    assert sinch.issued == ["token-1", "token-2"]
    assert sinch.api_headers == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]


def test_a_second_401_is_an_auth_error(tmp_path: Path) -> None:
    sinch = FakeSinch(refuse_all=True)

    async def go() -> None:
        async with fake_client(sinch, oauth_settings(tmp_path)) as client:
            await client.get_order(1)

    with pytest.raises(AuthError, match="HTTP 401"):
        run(go())
    assert len(sinch.issued) == 2 and len(sinch.api_headers) == 2


def test_a_static_token_refused_is_an_auth_error_without_retry(tmp_path: Path) -> None:
    sinch = FakeSinch()

    async def go() -> int:
        async with fake_client(sinch, base_settings(tmp_path)) as client:
            try:
                await client.get_order(1)
            finally:
                calls = int(client.calls)
        return calls

    with pytest.raises(AuthError):
        run(go())
    assert sinch.issued == [] and len(sinch.api_headers) == 1


def test_a_refused_key_names_the_variables(tmp_path: Path) -> None:
    async def go() -> None:
        settings = oauth_settings(tmp_path, key_secret="wrong-secret")
        async with fake_client(FakeSinch(), settings) as client:
            await client.get_configuration()

    with pytest.raises(AuthError) as caught:
        run(go())
    assert "SINCH_KEY_SECRET" in str(caught.value)
    assert "wrong-secret" not in str(caught.value) and "wrong-secret" not in repr(caught.value)


def test_token_is_renewed_shortly_before_it_expires() -> None:
    sinch = FakeSinch(lifetime=600)
    clock = VirtualClock()

    async def send(operation: str, request: httpx.Request, attempt: int) -> httpx.Response:
        return sinch(request)

    credentials = ClientCredentials(
        token_url="https://auth.test/oauth2/token",
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        send=send,
        policy=RetryPolicy(sleep=clock.sleep, clock=clock),
        clock=clock,
    )

    async def go() -> list[str]:
        headers = [await credentials.authorization()]
        clock.now = 539.0  # lifetime 600 s, renewed when less than 60 s are left
        headers.append(await credentials.authorization())
        clock.now = 540.0
        headers.append(await credentials.authorization())
        return headers

    assert run(go()) == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert "key-secret" not in repr(credentials)


def test_token_answer_without_token_is_an_error(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"token_type": "Bearer"})

    async def go() -> None:
        async with fake_client(handler, oauth_settings(tmp_path)) as client:
            await client.get_configuration()

    with pytest.raises(Exception, match="without an access token"):
        run(go())


def test_opening_a_client_without_credentials_is_a_config_error(tmp_path: Path) -> None:
    async def go() -> None:
        async with fake_client(FakeSinch(), base_settings(tmp_path, access_token="")):
            pass

    with pytest.raises(ConfigError, match="--sandbox"):
        run(go())
