"""Each validation rule: the status (400 structural, 422 value) and the field path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sandbox_harness import API, harness, order_body, portable, quiet

pytestmark = pytest.mark.anyio

Body = dict[str, Any]
NUMBERS = portable(4)
CANADIAN = portable(1, npa="416")[0]


def _violations(reply: Any) -> list[str]:
    return [v["field"] for d in reply.json()["details"] for v in d["fieldViolations"]]


def _set(path: str, value: Any) -> Callable[[Body], None]:
    """A mutation that sets (or, with ``...``, deletes) the value at a dotted path."""

    def mutate(body: Body) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is ...:
            del node[last]
        else:
            node[last] = value

    return mutate


CASES: list[tuple[str, Callable[[Body], None], int, str]] = [
    ("missing schedule", _set("desiredPortSchedule", ...), 400, "desiredPortSchedule"),
    (
        "missing desired date",
        _set("desiredPortSchedule.desiredPortDate", ...),
        400,
        "desiredPortSchedule.desiredPortDate",
    ),
    ("missing numbers", _set("phoneNumbers", ...), 400, "phoneNumbers"),
    ("empty numbers", _set("phoneNumbers", []), 422, "phoneNumbers"),
    ("missing end user", _set("phoneNumbers.1.endUser", ...), 400, "phoneNumbers[1].endUser"),
    *[
        (
            f"missing {field}",
            _set(f"phoneNumbers.3.endUser.{field}", ...),
            400,
            f"phoneNumbers[3].endUser.{field}",
        )
        for field in ("name", "streetNum", "streetName", "city", "state", "zipCode")
    ],
    ("blank name", _set("phoneNumbers.0.endUser.name", "  "), 422, "phoneNumbers[0].endUser.name"),
    (
        "bad zip",
        _set("phoneNumbers.3.endUser.zipCode", "1234"),
        422,
        "phoneNumbers[3].endUser.zipCode",
    ),
    ("bad state", _set("phoneNumbers.2.endUser.state", "XX"), 422, "phoneNumbers[2].endUser.state"),
    (
        "type of service",
        _set("phoneNumbers.0.endUser.typeOfService", "C"),
        422,
        "phoneNumbers[0].endUser.typeOfService",
    ),
    (
        "not e164",
        _set("phoneNumbers.1.phoneNumber", "2125550100"),
        422,
        "phoneNumbers[1].phoneNumber",
    ),
    (
        "toll free",
        _set("phoneNumbers.1.phoneNumber", "+18005550100"),
        422,
        "phoneNumbers[1].phoneNumber",
    ),
    (
        "foreign nanp",
        _set("phoneNumbers.1.phoneNumber", "+18765550100"),
        422,
        "phoneNumbers[1].phoneNumber",
    ),
    (
        "time zone",
        _set("desiredPortSchedule.desiredPortTimeZone", "US/Alaska"),
        422,
        "desiredPortSchedule.desiredPortTimeZone",
    ),
    (
        "date format",
        _set("desiredPortSchedule.desiredPortDate", "03/09/2026"),
        422,
        "desiredPortSchedule.desiredPortDate",
    ),
    (
        "date in the past",
        _set("desiredPortSchedule.desiredPortDate", "2026-03-01"),
        422,
        "desiredPortSchedule.desiredPortDate",
    ),
    (
        "time format",
        _set("desiredPortSchedule.desiredPortTime", "9am"),
        422,
        "desiredPortSchedule.desiredPortTime",
    ),
    (
        "authorized in the future",
        _set("phoneNumbers.2.portOutInfo.authorizingDate", "2026-03-03"),
        422,
        "phoneNumbers[2].portOutInfo.authorizingDate",
    ),
    (
        "RTC without appId",
        _set("phoneNumbers.0.voiceConfiguration", {"type": "RTC", "trunkId": "x"}),
        400,
        "phoneNumbers[0].voiceConfiguration.appId",
    ),
    (
        "EST without trunkId",
        _set("phoneNumbers.0.voiceConfiguration", {"type": "EST"}),
        400,
        "phoneNumbers[0].voiceConfiguration.trunkId",
    ),
    (
        "FAX without serviceId",
        _set("phoneNumbers.0.voiceConfiguration", {"type": "FAX", "appId": "x"}),
        400,
        "phoneNumbers[0].voiceConfiguration.serviceId",
    ),
    (
        "unknown voice type",
        _set("phoneNumbers.0.voiceConfiguration", {"type": "SIP"}),
        422,
        "phoneNumbers[0].voiceConfiguration.type",
    ),
    (
        "reference too long",
        _set("customerOrderReference", "r" * 101),
        422,
        "customerOrderReference",
    ),
    ("reference character", _set("customerOrderReference", "po[7]"), 422, "customerOrderReference"),
    ("on demand not boolean", _set("onDemandActivation", "yes"), 400, "onDemandActivation"),
    ("wrong type", _set("phoneNumbers.0.endUser.city", 12), 400, "phoneNumbers[0].endUser.city"),
]


@pytest.mark.parametrize(
    ("mutate", "status", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_rule(mutate: Callable[[Body], None], status: int, field: str) -> None:
    body = order_body(NUMBERS)
    mutate(body)
    async with harness() as h:
        reply = await h.call("POST", f"{API}/orders/portIns", json=body)
    assert reply.status_code == status, reply.text
    assert field in _violations(reply)


async def test_every_violation_is_reported_at_once() -> None:
    body = order_body(NUMBERS)
    body["phoneNumbers"][0]["endUser"]["zipCode"] = "ABCDE"
    body["phoneNumbers"][3]["endUser"]["state"] = "ZZ"
    body["customerOrderReference"] = "a=b"
    async with harness() as h:
        reply = await h.call("POST", f"{API}/orders/portIns", json=body)
    assert reply.status_code == 422
    assert set(_violations(reply)) == {
        "phoneNumbers[0].endUser.zipCode",
        "phoneNumbers[3].endUser.state",
        "customerOrderReference",
    }


async def test_malformed_json_is_400() -> None:
    async with harness() as h:
        reply = await h.call(
            "POST",
            f"{API}/orders/portIns",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        array = await h.call("POST", f"{API}/orders/portIns", json=[1, 2])
    assert reply.status_code == 400 and _violations(reply) == ["body"]
    assert array.status_code == 400


async def test_more_than_500_numbers_is_refused() -> None:
    numbers = [f"+1212{n:07d}" for n in range(2_000_000, 2_000_501)]
    async with harness() as h:
        reply = await h.call("POST", f"{API}/orders/portIns", json=order_body(numbers))
        check = await h.call("POST", f"{API}/portabilityChecks", json={"phoneNumbers": numbers})
    assert reply.status_code == 422 and "phoneNumbers" in _violations(reply)
    assert check.status_code == 422 and _violations(check) == ["phoneNumbers"]


async def test_canadian_number_needs_reseller_name() -> None:
    body = order_body([NUMBERS[0], CANADIAN])
    async with harness() as h:
        missing = await h.call("POST", f"{API}/orders/portIns", json=body)
        order = await h.create({**body, "resellerName": "Fido Solutions"})
    assert missing.status_code == 422 and _violations(missing) == ["resellerName"]
    assert [e["countryCode"] for e in order["phoneNumbers"]] == ["US", "CA"]


async def test_number_twice_in_one_order() -> None:
    body = order_body([NUMBERS[0], NUMBERS[1], NUMBERS[0]])
    async with harness() as h:
        reply = await h.call("POST", f"{API}/orders/portIns", json=body)
    assert reply.status_code == 422 and _violations(reply) == ["phoneNumbers[2].phoneNumber"]


async def test_number_already_in_another_active_order() -> None:
    async with harness() as h:
        await h.create(order_body(NUMBERS[:2]))
        reply = await h.call("POST", f"{API}/orders/portIns", json=order_body(NUMBERS[1:3]))
        other_project = await h.call(
            "POST", "/v1/projects/proj-b/orders/portIns", json=order_body(NUMBERS[1:3])
        )
    assert reply.status_code == 422 and _violations(reply) == ["phoneNumbers[0].phoneNumber"]
    assert "Already in another active order" in reply.text
    assert other_project.status_code == 201


async def test_any_non_portable_number_fails_the_whole_order(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    rule = {"match": NUMBERS[2], "portable": False, "reason": "Number is disconnected"}
    scenario.write_text(json.dumps({"numbers": [rule]}))
    async with harness(quiet(scenario=scenario)) as h:
        reply = await h.call("POST", f"{API}/orders/portIns", json=order_body(NUMBERS))
        listed = await h.call("GET", f"{API}/orders/portIns")
    assert reply.status_code == 422
    assert _violations(reply) == ["phoneNumbers[2].phoneNumber"]
    assert "Number is disconnected" in reply.text
    assert listed.json()["totalItems"] == 0


async def test_portability_check_rejects_bad_input() -> None:
    async with harness() as h:
        missing = await h.call("POST", f"{API}/portabilityChecks", json={})
        bad = await h.call("POST", f"{API}/portabilityChecks", json={"phoneNumbers": ["+44207", 5]})
    assert missing.status_code == 400 and _violations(missing) == ["phoneNumbers"]
    assert bad.status_code == 400
    assert _violations(bad) == ["phoneNumbers[0]", "phoneNumbers[1]"]


async def test_configuration_values_are_checked() -> None:
    body = {"defaultPortTime": "25:00:00", "defaultPortTimeZone": "EST", "webhookUrl": "a b"}
    async with harness() as h:
        reply = await h.call("POST", f"{API}/configuration", json=body)
    assert reply.status_code == 422
    assert set(_violations(reply)) == {"defaultPortTime", "defaultPortTimeZone", "webhookUrl"}
