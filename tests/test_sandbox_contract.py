"""Every reply and webhook of a session through all 14 operations, checked against Sinch's
published document (skipped, naming the file, when the document is absent).

The harness checks each exchange of every sandbox test the same way when the document exists;
this module proves the coverage and that the check can fail.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from openapi_contract import ContractViolation, load_contract
from sandbox_harness import API, HOOK_URL, Harness, harness, order_body, portable, quiet

pytestmark = pytest.mark.anyio


async def _session(h: Harness) -> None:
    numbers = portable(6)
    await h.call("POST", f"{API}/configuration", json={"webhookUrl": HOOK_URL})
    await h.call(
        "PUT", f"{API}/configuration", json={"webhookUrl": HOOK_URL, "defaultPortTime": "08:00:00"}
    )
    await h.call("GET", f"{API}/configuration")
    await h.call("POST", f"{API}/portabilityChecks", json={"phoneNumbers": numbers})
    order = await h.create(order_body(numbers[:3], onDemandActivation=True))
    path = f"{API}/orders/portIns/{order['id']}"
    await h.call("PUT", path, json=order_body(numbers[:4], onDemandActivation=True))
    await h.call("POST", f"{path}/notes", json={"note": "LOA attached"})
    doc = {
        "documentName": "loa.pdf",
        "description": "LOA",
        "fileContent": base64.b64encode(b"%PDF").decode(),
    }
    doc_id = (await h.call("POST", f"{path}/documents", json=doc)).json()["id"]
    await h.call("GET", f"{API}/orders/{order['id']}/documents/{doc_id}")
    await h.call("GET", f"{API}/orders/portIns", params={"pageSize": 1})
    await h.call("GET", path)
    other = await h.create(order_body(numbers[4:], customerOrderReference="second"))
    await h.call("DELETE", f"{API}/orders/portIns/{other['id']}")
    await h.advance(30)
    await h.call("GET", f"{path}/availableActivations")
    await h.call("POST", f"{path}/activate")
    # errors: 400, 401, 404, 422, 429
    await h.call("POST", f"{API}/orders/portIns", json={})
    await h.call("GET", f"{API}/configuration", headers={"Authorization": "Bearer x"}, auth=None)
    await h.call("GET", f"{API}/orders/portIns/1")
    await h.call("POST", f"{API}/orders/portIns", json=order_body(["+18005550100"]))


async def test_every_operation_reply_and_webhook_matches_the_document(openapi_path: Path) -> None:
    contract = load_contract(openapi_path)
    async with harness(quiet(reject_rate=0.5, exclude_rate=0.2)) as h:
        await _session(h)
        for _ in range(3):
            await h.call("GET", f"{API}/configuration")
    operations = {contract.operation(m, p)[0] + " " + m for m, p, _ in h.checked}
    assert len(operations) == 14, sorted(operations)
    statuses = {s for _, _, s in h.checked}
    assert {200, 201, 400, 401, 404, 422} <= statuses
    assert len(set(h.receiver.types())) == 5
    for event in h.receiver.bodies:
        contract.validate_webhook(event)


async def test_injected_faults_use_the_envelope(openapi_path: Path) -> None:
    async with harness(quiet(rate_limit=1.0, burst=1, fault_rate=0.5, seed=3)) as h:
        for _ in range(6):
            await h.call("GET", f"{API}/configuration")
    statuses = {s for _, _, s in h.checked}
    assert 429 in statuses and statuses & {500, 503}


def test_the_check_catches_wrong_replies(openapi_path: Path) -> None:
    contract = load_contract(openapi_path)
    create = f"{API}/orders/portIns"
    with pytest.raises(ContractViolation, match="status not published"):
        contract.validate_response(
            "POST", create, 200, {"desiredPortSchedule": {"desiredPortDate": "2026-01-01"}}
        )
    with pytest.raises(ContractViolation, match="desiredPortDate"):
        contract.validate_response("POST", create, 201, {"desiredPortSchedule": {}})
    with pytest.raises(ContractViolation):
        contract.validate_response(
            "POST", create, 422, {"code": "422", "message": "x", "details": {}}
        )
    with pytest.raises(ContractViolation, match="empty body"):
        contract.validate_response("GET", create, 401, {"code": 401})
    with pytest.raises(ContractViolation, match="BadRequest"):
        contract.validate_response(
            "POST",
            create,
            422,
            {"code": 422, "status": "INVALID_ARGUMENT", "message": "x", "details": []},
        )
    with pytest.raises(ContractViolation, match="no id"):
        contract.validate_webhook(
            {
                "type": "ORDER_UPDATED",
                "orderId": "5",
                "order": {"id": 5, "desiredPortSchedule": {"desiredPortDate": "2026-01-01"}},
            }
        )
    with pytest.raises(ContractViolation, match="not a published operation"):
        contract.validate_response("GET", f"{API}/orders/portIns/5/documents/1", 200, {})
