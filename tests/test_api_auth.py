"""Authorization: cached OAuth2 tokens, renewal before expiry, one renewal on a 401."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_fakes import ROOT, TOKEN, VirtualClock, api_path, base_settings, fake_client, run
from test_api_client import ORDER_JSON, sample_order

from batchport.api.auth import ClientCredentials, StaticToken
from batchport.errors import (
    AmbiguousCreateError,
    ApiError,
    AuthError,
    ConfigError,
    RetriesExhausted,
)
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
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}
        return streamed(httpx.Response(200, json=body))


def streamed(answer: httpx.Response) -> httpx.Response:
    """``answer`` with its body unread, as the network and ASGITransport hand answers over."""

    async def chunks() -> AsyncIterator[bytes]:
        yield answer.content

    return httpx.Response(answer.status_code, headers=answer.headers, content=chunks())


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


@pytest.mark.parametrize(
    ("lifetime", "renew_at"),
    [(600, 540.0), (300, 270.0), (3600, 3540.0), (0, 3540.0)],
    ids=["a-tenth-left", "short", "a-minute-left", "no-lifetime-given-is-an-hour"],
)
def test_token_is_renewed_shortly_before_it_expires(lifetime: int, renew_at: float) -> None:
    sinch = FakeSinch(lifetime=lifetime)
    clock = VirtualClock()
    credentials = ClientCredentials(
        token_url="https://auth.test/oauth2/token",
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        clock=clock,
    )

    async def go() -> None:
        transport = httpx.MockTransport(sinch)
        async with httpx.AsyncClient(transport=transport, auth=credentials) as http:
            for now in (0.0, renew_at - 1, renew_at):
                clock.now = now
                await http.get(f"https://porting.test{ROOT}/configuration")

    run(go())
    assert sinch.api_headers == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert credentials.fetches == 2
    assert "key-secret" not in repr(credentials) and KEY_ID not in repr(credentials)


def test_concurrent_calls_refused_together_share_one_renewal(tmp_path: Path) -> None:
    sinch = FakeSinch()
    sinch.revoked.add("token-1")
    refusals = 0
    all_refused = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal refusals
        answer = sinch(request)
        if answer.status_code == 401:  # hold every refusal until all four calls have one
            refusals += 1
            if refusals == 4:
                all_refused.set()
            await all_refused.wait()
        return answer

    async def go() -> int:
        async with fake_client(handler, oauth_settings(tmp_path)) as client:
            await asyncio.gather(*(client.get_configuration() for _ in range(4)))
            return int(client.calls)

    assert run(go()) == 1 + 4 + 1 + 4  # token, 4 refused, one renewal, 4 resent
    assert sinch.issued == ["token-1", "token-2"]
    assert sinch.api_headers == ["Bearer token-1"] * 4 + ["Bearer token-2"] * 4


def test_static_token_is_sent_as_given_and_kept_out_of_repr() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200)

    async def go() -> None:
        auth = StaticToken(TOKEN)
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as http:
            await http.get("https://porting.test/")
        assert TOKEN not in repr(auth)

    run(go())
    assert seen == [f"Bearer {TOKEN}"]


class FlakyTokens(FakeSinch):
    """FakeSinch whose token endpoint first fails as told (a response, or an httpx error)."""

    def __init__(self, *failures: httpx.Response | type[Exception]) -> None:
        super().__init__()
        self.failures = list(failures)
        self.token_requests: list[httpx.Request] = []

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests.append(request)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, type):
                raise failure("simulated", request=request)  # type: ignore[call-arg]
            return failure
        return super().token(request)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = super().__call__(request)
        if (
            answer.status_code == 200
            and request.method == "POST"
            and request.url.host != "auth.test"
        ):
            return httpx.Response(201, json=ORDER_JSON)
        return answer


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.Response(502, content=b"<html>"),
        httpx.ReadTimeout,
        httpx.ConnectError,
    ],
    ids=["503", "502", "read-timeout", "connect-error"],
)
def test_a_token_service_failure_is_retried_by_the_policy(tmp_path: Path, failure: Any) -> None:
    sinch = FlakyTokens(failure)
    clock = VirtualClock()

    async def go() -> int:
        async with fake_client(sinch, oauth_settings(tmp_path), clock) as client:
            await client.get_configuration()
            return int(client.calls)

    assert run(go()) == 3  # the failed token request, the token, the call
    assert clock.sleeps == [0.5]
    assert sinch.issued == ["token-1"] and sinch.api_headers == ["Bearer token-1"]


def test_a_throttled_token_request_honours_retry_after(tmp_path: Path) -> None:
    sinch = FlakyTokens(httpx.Response(429, headers={"Retry-After": "4"}))
    clock = VirtualClock()

    async def go() -> None:
        async with fake_client(sinch, oauth_settings(tmp_path), clock) as client:
            await client.get_configuration()

    run(go())
    assert clock.sleeps == [4.0] and sinch.issued == ["token-1"]


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(503), httpx.ReadTimeout, httpx.RemoteProtocolError],
    ids=["503", "read-timeout", "dropped"],
)
def test_create_is_retried_when_only_the_token_failed(tmp_path: Path, failure: Any) -> None:
    sinch = FlakyTokens(failure)

    async def go() -> int:
        async with fake_client(sinch, oauth_settings(tmp_path)) as client:
            return (await client.create_order(sample_order())).id

    assert run(go()) == ORDER_JSON["id"]
    assert len(sinch.api_headers) == 1  # the order went out once, with the token


def test_create_without_a_token_in_the_end_is_not_ambiguous(tmp_path: Path) -> None:
    sinch = FlakyTokens(*[httpx.Response(503)] * 3)

    async def go() -> None:
        async with fake_client(sinch, oauth_settings(tmp_path, max_attempts=3)) as client:
            await client.create_order(sample_order())

    with pytest.raises(RetriesExhausted) as caught:
        run(go())
    assert type(caught.value) is RetriesExhausted and "fetch_token" in str(caught.value)
    assert sinch.api_headers == []


def test_create_with_an_unusable_token_answer_is_not_ambiguous(tmp_path: Path) -> None:
    sinch = FlakyTokens(httpx.Response(200, json={"token_type": "Bearer"}))

    async def go() -> None:
        async with fake_client(sinch, oauth_settings(tmp_path)) as client:
            await client.create_order(sample_order())

    with pytest.raises(ApiError, match="without an access token") as caught:
        run(go())
    assert not isinstance(caught.value, AmbiguousCreateError)
    assert sinch.api_headers == [] and len(sinch.token_requests) == 1


def test_the_token_request_has_the_calls_timeout(tmp_path: Path) -> None:
    sinch = FlakyTokens()

    async def go() -> None:
        async with fake_client(sinch, oauth_settings(tmp_path, timeout=7.5)) as client:
            await client.get_configuration()

    run(go())
    timeout = sinch.token_requests[0].extensions["timeout"]
    assert timeout == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


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
