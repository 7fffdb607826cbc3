"""Orders moving on the sandbox clock: confirmation, FOC, activation, rejection, exclusion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sandbox_harness import API, Harness, harness, order_body, portable, quiet

from batchport.sandbox.carriers import REJECT_REASONS
from batchport.sandbox.lifecycle import instant

pytestmark = pytest.mark.anyio

NUMBERS = portable(8)


def _statuses(order: dict[str, Any]) -> set[str]:
    return {e["status"] for e in order["phoneNumbers"]}


def _scenario(tmp_path: Path, *rules: dict[str, Any]) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"numbers": list(rules)}))
    return path


async def _foc_days(h: Harness, order_id: int) -> list[str]:
    order = await h.order(order_id)
    return sorted({e["focDate"][:10] for e in order["phoneNumbers"] if "focDate" in e})


@pytest.mark.parametrize(
    ("day", "port_time", "zone", "expected"),
    [
        ("2027-05-15", "09:00:00", "US/Eastern", "2027-05-15T13:00:00Z"),
        ("2027-01-15", "09:00:00", "US/Eastern", "2027-01-15T14:00:00Z"),
        ("2027-07-01", "17:30:00", "US/Pacific", "2027-07-02T00:30:00Z"),
        ("2027-12-01", "17:30:00", "US/Pacific", "2027-12-02T01:30:00Z"),
        ("2027-03-13", "10:00:00", "US/Mountain", "2027-03-13T17:00:00Z"),
        ("2027-03-14", "10:00:00", "US/Mountain", "2027-03-14T16:00:00Z"),
        ("2027-07-01", "09:00:00", "GMT", "2027-07-01T09:00:00Z"),
    ],
)
def test_port_instant_honours_daylight_saving_time(
    day: str, port_time: str, zone: str, expected: str
) -> None:
    assert instant(day, port_time, zone) == expected


async def test_order_is_confirmed_then_activated_on_the_foc_date() -> None:
    async with harness() as h:
        await h.hook_to_receiver()
        order = await h.create(order_body(NUMBERS))
        await h.advance(0)
        assert (await h.order(order["id"]))["status"] == "PENDING"
        await h.advance(1)
        confirmed = await h.order(order["id"])
        focs = await _foc_days(h, order["id"])
        assert confirmed["status"] == "CONFIRMED" and _statuses(confirmed) == {"CONFIRMED"}
        assert focs[0] >= "2026-03-09"
        assert all(e["confirmedDate"].startswith("2026-03-03") for e in confirmed["phoneNumbers"])
        # 10:00 US/Central after daylight saving time began (2026-03-08) is 15:00Z.
        assert all(e["focDate"].endswith("T15:00:00Z") for e in confirmed["phoneNumbers"])
        days_to_first_foc = int(focs[0][-2:]) - 3
        await h.advance(days_to_first_foc - 1)
        assert (await h.order(order["id"]))["status"] == "CONFIRMED"
        await h.advance(int(focs[-1][-2:]) - int(focs[0][-2:]) + 1)
        done = await h.order(order["id"])
    assert done["status"] == "COMPLETED" and _statuses(done) == {"ACTIVATED"}
    assert all(e["activatedDate"] == e["focDate"] for e in done["phoneNumbers"])
    types = h.receiver.types()
    groups = {e["phoneNumberGroup"] for e in done["phoneNumbers"]}
    assert types.count("NUMBERS_CONFIRMED") == len(groups)
    assert types.count("NUMBERS_ACTIVATED") == len(groups)
    updates = [b["order"]["status"] for b in h.receiver.bodies if b["type"] == "ORDER_UPDATED"]
    assert updates == ["CONFIRMED", "COMPLETED"]


async def test_rejected_group_gets_reason_note_and_frees_numbers(tmp_path: Path) -> None:
    victim = NUMBERS[0]
    scenario = _scenario(
        tmp_path,
        {"match": victim, "carrier": "Picky Telco", "reject_reason": "Invalid port-out PIN"},
    )
    async with harness(quiet(scenario=scenario)) as h:
        await h.hook_to_receiver()
        order = await h.create(order_body(NUMBERS[:4]))
        await h.advance(1)
        after = await h.order(order["id"])
        again = await h.create(order_body([victim], customerOrderReference="retry"))
    entry = after["phoneNumbers"][0]
    assert entry["phoneNumberGroup"] == "GW Picky Telco Grp1"
    assert entry["status"] == "REJECTED" and entry["rejectReason"] == "Invalid port-out PIN"
    assert entry["exclusionReason"] == "Invalid port-out PIN" and "exclusionDate" in entry
    assert _statuses({"phoneNumbers": after["phoneNumbers"][1:]}) == {"CONFIRMED"}
    assert after["status"] == "CONFIRMED"
    assert after["notes"][0]["createdBy"] == "Sinch Porting Operations"
    assert "Invalid port-out PIN" in after["notes"][0]["note"]
    rejected = [b for b in h.receiver.bodies if b["type"] == "NUMBERS_REJECTED"]
    assert rejected[0]["phoneNumbers"] == [
        {"phoneNumber": victim, "status": "REJECTED", "rejectReason": "Invalid port-out PIN"}
    ]
    assert "NEW_ORDER_NOTE" in h.receiver.types()
    assert again["status"] == "PENDING"


async def test_excluded_number_does_not_hold_the_order_back(tmp_path: Path) -> None:
    left_out = NUMBERS[1]
    scenario = _scenario(tmp_path, {"match": left_out, "exclude_reason": "Hunt group member"})
    async with harness(quiet(scenario=scenario)) as h:
        order = await h.create(order_body(NUMBERS[:3]))
        await h.advance(30)
        done = await h.order(order["id"])
        listed = await h.call("GET", f"{API}/orders/portIns")
    entry = done["phoneNumbers"][1]
    assert entry["status"] == "EXCLUDED" and entry["exclusionReason"] == "Hunt group member"
    assert done["status"] == "COMPLETED"
    summary = listed.json()["orders"][0]
    assert (summary["activatedQuantity"], summary["excludedQuantity"]) == (2, 1)


async def test_every_group_rejected_cancels_the_order() -> None:
    async with harness(quiet(reject_rate=1.0)) as h:
        order = await h.create(order_body(NUMBERS[:3]))
        await h.advance(1)
        after = await h.order(order["id"])
    assert after["status"] == "CANCELED"
    assert _statuses(after) == {"REJECTED"}
    assert {e["rejectReason"] for e in after["phoneNumbers"]} <= set(REJECT_REASONS)


async def test_same_seed_same_story() -> None:
    async def story() -> dict[str, Any]:
        async with harness(quiet(reject_rate=0.3, exclude_rate=0.2)) as h:
            order = await h.create(order_body(NUMBERS))
            await h.advance(20)
            return await h.order(order["id"])

    assert await story() == await story()


async def test_confirmed_order_can_no_longer_be_changed() -> None:
    async with harness() as h:
        order = await h.create(order_body(NUMBERS[:2]))
        await h.advance(1)
        put = await h.call(
            "PUT", f"{API}/orders/portIns/{order['id']}", json=order_body(NUMBERS[:2])
        )
        delete = await h.call("DELETE", f"{API}/orders/portIns/{order['id']}")
    assert put.status_code == 422 and delete.status_code == 422
    assert "CONFIRMED" in put.json()["message"]


async def test_on_demand_activation_only_from_the_foc_date() -> None:
    async with harness() as h:
        await h.hook_to_receiver()
        order = await h.create(order_body(NUMBERS, onDemandActivation=True))
        oid = order["id"]
        await h.advance(1)
        groups = sorted({e["phoneNumberGroup"] for e in (await h.order(oid))["phoneNumbers"]})
        early = await h.call("GET", f"{API}/orders/portIns/{oid}/availableActivations")
        too_soon = await h.call(
            "POST", f"{API}/orders/portIns/{oid}/activate", json={"phoneNumberGroups": groups[:1]}
        )
        await h.advance(30)
        untouched = await h.order(oid)
        ready = await h.call("GET", f"{API}/orders/portIns/{oid}/availableActivations")
        one = await h.call(
            "POST",
            f"{API}/orders/portIns/{oid}/activate",
            json={"phoneNumberGroups": [groups[0], groups[0] + "x"]},
        )
        repeat = await h.call(
            "POST", f"{API}/orders/portIns/{oid}/activate", json={"phoneNumberGroups": groups[:1]}
        )
        rest = await h.call("POST", f"{API}/orders/portIns/{oid}/activate")
        done = await h.order(oid)
    assert early.status_code == 200 and early.json() == []
    assert too_soon.json()["phoneNumberGroups"][0]["status"] == "NOT_AVAILABLE"
    assert untouched["status"] == "CONFIRMED" and _statuses(untouched) == {"CONFIRMED"}
    assert [g["phoneNumberGroup"] for g in ready.json()] == groups
    assert ready.json()[0]["phoneNumbers"][0]["voiceConfiguration"]["type"] == "EST"
    assert [g["status"] for g in one.json()["phoneNumberGroups"]] == ["SUCCESS", "NOT_FOUND"]
    assert repeat.json()["phoneNumberGroups"][0]["status"] == "ALREADY_ACTIVATED"
    assert [g["phoneNumberGroup"] for g in rest.json()["phoneNumberGroups"]] == groups[1:]
    assert done["status"] == "COMPLETED"
    assert {e["activateUser"] for e in done["phoneNumbers"]} == {"sandbox"}
    assert h.receiver.types().count("NUMBERS_ACTIVATED") == len(groups)


async def test_on_demand_group_announces_it_is_ready_on_its_foc_date() -> None:
    async with harness() as h:
        await h.hook_to_receiver()
        order = await h.create(order_body(NUMBERS, onDemandActivation=True))
        oid = order["id"]
        await h.advance(1)
        confirmed = await h.order(oid)
        h.receiver.bodies.clear()
        by_group: dict[str, set[str]] = {}
        for entry in confirmed["phoneNumbers"]:
            by_group.setdefault(entry["phoneNumberGroup"], set()).add(entry["phoneNumber"])
        first_foc = min(e["focDate"][:10] for e in confirmed["phoneNumbers"])
        await h.advance(int(first_foc[-2:]) - 3 - 1)
        before_foc = list(h.receiver.bodies)
        await h.advance(10)
        ready = [b for b in h.receiver.bodies if b["type"] == "NUMBERS_CONFIRMED"]
        await h.advance(10)
        after = await h.order(oid)
    assert before_foc == []
    announced = sorted(sorted(n["phoneNumber"] for n in b["phoneNumbers"]) for b in ready)
    assert announced == sorted(sorted(numbers) for numbers in by_group.values())
    assert all(n["status"] == "CONFIRMED" for b in ready for n in b["phoneNumbers"])
    assert len(h.receiver.bodies) == len(ready)  # once per group, and nothing activated
    assert after["status"] == "CONFIRMED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"groupIds": ["GW x Grp1"]}, "groupIds"),
        ({"phoneNumberGroups": None}, "phoneNumberGroups"),
        ({"phoneNumberGroups": "GW x Grp1"}, "phoneNumberGroups"),
        (["GW x Grp1"], "body"),
    ],
    ids=["unknown-field", "null-groups", "text-groups", "array"],
)
async def test_activate_refuses_a_body_it_cannot_read_and_activates_nothing(
    body: Any, field: str
) -> None:
    async with harness() as h:
        order = await h.create(order_body(NUMBERS[:3], onDemandActivation=True))
        oid = order["id"]
        await h.advance(30)
        ready = await h.call("GET", f"{API}/orders/portIns/{oid}/availableActivations")
        refused = await h.call("POST", f"{API}/orders/portIns/{oid}/activate", json=body)
        after = await h.order(oid)
        still = await h.call("GET", f"{API}/orders/portIns/{oid}/availableActivations")
        empty = await h.call("POST", f"{API}/orders/portIns/{oid}/activate", json={})
    assert refused.status_code == 400
    fields = [v["field"] for v in refused.json()["details"][0]["fieldViolations"]]
    assert fields == [field]
    assert ready.json() and still.json() == ready.json()
    assert _statuses(after) == {"CONFIRMED"}
    assert {g["status"] for g in empty.json()["phoneNumberGroups"]} == {"SUCCESS"}


async def test_activate_refuses_an_order_without_on_demand_activation() -> None:
    async with harness() as h:
        order = await h.create(order_body(NUMBERS[:1]))
        reply = await h.call("POST", f"{API}/orders/portIns/{order['id']}/activate")
        listed = await h.call("GET", f"{API}/orders/portIns/{order['id']}/availableActivations")
    assert reply.status_code == 422
    assert reply.json()["details"][0]["fieldViolations"][0]["field"] == "onDemandActivation"
    assert listed.json() == []
