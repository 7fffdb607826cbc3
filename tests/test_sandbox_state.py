"""Sandbox state in SQLite: a second app on the same file sees everything the first one did,
and a process killed mid-create leaves exactly what was committed."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sandbox_harness import API, TODAY, harness, order_body, portable, quiet

from batchport.errors import JournalError
from batchport.sandbox.state import Store

pytestmark = pytest.mark.anyio

NUMBERS = portable(6)


async def test_second_app_on_the_same_file_sees_orders_clock_and_configuration(
    tmp_path: Path,
) -> None:
    state = tmp_path / "sandbox.sqlite"
    doc = {"documentName": "loa.pdf", "fileContent": base64.b64encode(b"%PDF-1").decode()}
    async with harness(quiet(state_path=state)) as h:
        await h.call("POST", f"{API}/configuration", json={"defaultPortTime": "08:00:00"})
        first = await h.create(order_body(NUMBERS[:2]))
        second = await h.create(order_body(NUMBERS[2:4]))
        await h.call("DELETE", f"{API}/orders/portIns/{second['id']}")
        doc_id = (
            await h.call("POST", f"{API}/orders/portIns/{first['id']}/documents", json=doc)
        ).json()["id"]
        await h.advance(1)
        before = await h.order(first["id"])
    async with harness(quiet(state_path=state)) as h:
        after = await h.order(first["id"])
        clash = await h.call("POST", f"{API}/orders/portIns", json=order_body(NUMBERS[1:3]))
        third = await h.create(order_body(NUMBERS[2:4]))
        config = await h.call("GET", f"{API}/configuration")
        fetched = await h.call("GET", f"{API}/orders/{first['id']}/documents/{doc_id}")
        clock = (await h.call("GET", "/_sandbox/clock")).json()
        await h.advance(30)
        done = await h.order(first["id"])
    assert after == before and after["status"] == "CONFIRMED"
    assert clash.status_code == 422
    assert [v["field"] for v in clash.json()["details"][0]["fieldViolations"]] == [
        "phoneNumbers[0].phoneNumber"
    ]
    assert third["id"] == second["id"] + 1
    assert config.json() == {"defaultPortTime": "08:00:00"}
    assert fetched.json()["fileContent"] == doc["fileContent"]
    assert clock["clockDays"] == 1 and clock["today"] == "2026-03-03"
    assert done["status"] == "COMPLETED"


async def test_ported_in_numbers_stay_unportable_after_a_reopen(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.sqlite"
    ported, other = NUMBERS[4], NUMBERS[5]
    check = {"phoneNumbers": [ported, other]}
    async with harness(quiet(state_path=state)) as h:
        order = await h.create(order_body([ported]))
        before = (await h.call("POST", f"{API}/portabilityChecks", json=check)).json()
        await h.advance(30)
        assert (await h.order(order["id"]))["status"] == "COMPLETED"
    async with harness(quiet(state_path=state)) as h:
        after = (await h.call("POST", f"{API}/portabilityChecks", json=check)).json()
        elsewhere = (
            await h.call("POST", "/v1/projects/proj-b/portabilityChecks", json=check)
        ).json()
        later = {"desiredPortDate": "2026-06-01"}
        body = order_body([ported], desiredPortSchedule=later)
        again = await h.call("POST", f"{API}/orders/portIns", json=body)
    assert [a["portable"] for a in before["phoneNumbers"]] == [True, True]
    assert [a["portable"] for a in after["phoneNumbers"]] == [False, True]
    assert after["phoneNumbers"][0]["reason"] and after["phoneNumbers"][0]["carrier"] == "Sinch"
    assert elsewhere == after
    assert again.status_code == 422
    (violation,) = again.json()["details"][0]["fieldViolations"]
    assert violation["field"] == "phoneNumbers[0].phoneNumber"
    assert "ported" in violation["description"]


def test_unreadable_state_file_is_a_journal_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-database.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="cannot open sandbox state"):
        Store(bad)


_CRASHING_CLIENT = textwrap.dedent(
    """
    import asyncio, json, sys
    import httpx
    from batchport.sandbox import BASE_URL, SandboxConfig, asgi_transport, create_app

    async def main(state, point, bodies):
        config = SandboxConfig.from_options(
            f"crash_on_create=2,crash_point={point},rate_limit=none,today={sys.argv[4]}",
            state_path=state,
        )
        app = create_app(config)
        async with httpx.AsyncClient(
            transport=asgi_transport(app), base_url=BASE_URL, auth=("sandbox", "sandbox")
        ) as client:
            for body in bodies:
                reply = await client.post("/v1/projects/proj-a/orders/portIns", json=body)
                print(reply.status_code, flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
    """
)


@pytest.mark.parametrize(("point", "committed"), [("before", 1), ("after", 2)])
def test_crash_on_create_kills_the_process_at_the_chosen_point(
    tmp_path: Path, point: str, committed: int
) -> None:
    state = tmp_path / "sandbox.sqlite"
    bodies = [order_body([n], customerOrderReference=f"c{i}") for i, n in enumerate(NUMBERS[:3])]
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            _CRASHING_CLIENT,
            str(state),
            point,
            json.dumps(bodies),
            TODAY.isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == -9, run.stderr
    assert run.stdout.split() == ["201"]
    assert asyncio.run(_references(state)) == ["c0", "c1"][:committed]


async def _references(state: Path) -> list[str]:
    async with harness(quiet(state_path=state)) as h:
        listed = (await h.call("GET", f"{API}/orders/portIns")).json()
    return [o["customerOrderReference"] for o in listed["orders"]]
