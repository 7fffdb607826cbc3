"""Sandbox authentication: Basic, Bearer tokens that expire, empty 401s, project isolation."""

from __future__ import annotations

import httpx
import pytest
from api_fakes import VirtualClock
from sandbox_harness import API, harness, order_body, portable, quiet

from batchport.sandbox import BASE_URL, asgi_transport, create_app

pytestmark = pytest.mark.anyio

CONFIG = f"{API}/configuration"


async def _token(
    client: httpx.AsyncClient, auth: tuple[str, str] = ("sandbox", "sandbox")
) -> httpx.Response:
    return await client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)


async def test_token_endpoint_issues_bearer_tokens() -> None:
    async with harness(auth=None) as h:
        reply = await _token(h.client)
        body = reply.json()
        used = await h.call(
            "GET", CONFIG, headers={"Authorization": f"Bearer {body['access_token']}"}
        )
    assert reply.status_code == 200
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "")
    assert used.status_code == 404  # authenticated: no configuration yet


async def test_token_endpoint_refuses_bad_credentials_and_grants() -> None:
    async with harness(auth=None) as h:
        bad = await _token(h.client, ("sandbox", "wrong"))
        grant = await h.client.post(
            "/oauth2/token", data={"grant_type": "password"}, auth=("sandbox", "sandbox")
        )
    assert bad.status_code == 401 and bad.content == b""
    assert grant.status_code == 400


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic c2FuZGJveDp3cm9uZw==",  # sandbox:wrong
        "Basic !!!",
        "Bearer not-a-token",
        "Token sandbox",
    ],
    ids=["none", "bad-secret", "garbage-basic", "unknown-bearer", "other-scheme"],
)
async def test_anything_but_valid_credentials_is_401_with_empty_body(header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    async with harness(auth=None) as h:
        reply = await h.call("GET", CONFIG, headers=headers)
    assert reply.status_code == 401
    assert reply.content == b""


async def test_token_expires_after_its_lifetime_on_the_wall_clock() -> None:
    clock = VirtualClock()
    async with harness(quiet(monotonic=clock), auth=None) as h:
        token = (await _token(h.client)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        clock.now += 3599
        fresh = await h.call("GET", CONFIG, headers=headers)
        clock.now += 1
        expired = await h.call("GET", CONFIG, headers=headers)
    assert fresh.status_code == 404
    assert expired.status_code == 401 and expired.content == b""


async def test_token_outlives_a_move_of_the_sandbox_clock() -> None:
    clock = VirtualClock()
    body = order_body(portable(1))
    async with harness(quiet(monotonic=clock), auth=None) as h:
        token = (await _token(h.client)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = await h.call("POST", f"{API}/orders/portIns", json=body, headers=headers)
        order = created.json()
        await h.call("POST", "/_sandbox/clock/advance", json={"days": 7})
        clock.now += 60
        reply = await h.call("GET", f"{API}/orders/portIns/{order['id']}", headers=headers)
    assert created.status_code == 201 and reply.status_code == 200
    assert reply.json()["status"] != "PENDING"  # the week really passed for the order


async def test_projects_see_only_their_own_orders() -> None:
    async with harness() as h:
        order = await h.create(order_body(portable(1)))
        theirs = await h.call("GET", f"/v1/projects/proj-b/orders/portIns/{order['id']}")
        cancel = await h.call("DELETE", f"/v1/projects/proj-b/orders/portIns/{order['id']}")
        listed = await h.call("GET", "/v1/projects/proj-b/orders/portIns")
        mine = await h.order(order["id"])
    assert theirs.status_code == 404 and cancel.status_code == 404
    assert listed.json()["totalItems"] == 0
    assert mine["status"] == "PENDING"


async def test_configured_key_replaces_the_default() -> None:
    from batchport.sandbox import SandboxConfig

    app = create_app(SandboxConfig(key_id="k1", key_secret="s3cret", rate_limit=None))
    transport = asgi_transport(app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        default = await client.get(CONFIG, auth=("sandbox", "sandbox"))
        custom = await client.get(CONFIG, auth=("k1", "s3cret"))
    assert default.status_code == 401 and custom.status_code == 404
