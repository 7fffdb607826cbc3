"""Contract: every request the client sends, and every sandbox answer it gets, validates against
Sinch's published document.

Every client test in the suite goes through ``api_fakes.fake_client``, which checks each
request it traced when the client closes, and each answer when the other side is the sandbox.
This module proves those checks can fail, and runs all 14 operations against the sandbox,
validating each traced exchange explicitly. It is skipped, with a message, when the published
document is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from api_fakes import VirtualClock, check_traced_requests, run, traced_requests
from openapi_contract import ContractViolation, validate_request, validate_response
from test_api_client import sample_order
from test_api_sandbox import every_operation, in_process


def test_all_fourteen_operations_send_published_requests(
    openapi_path: Path, tmp_path: Path
) -> None:
    async def go() -> None:
        async with in_process(tmp_path, VirtualClock()) as (client, admin):
            await every_operation(client, admin)

    run(go())
    exchanges = traced_requests(tmp_path / "trace.jsonl")
    for line in exchanges:
        validate_request(line["method"], line["path"], line["request"])
        validate_response(line["method"], line["path"], line["status"], line["response"])
    assert len({line["operation"] for line in exchanges}) == 14


def write_trace(path: Path, method: str, api_path: str, body: object) -> Path:
    line = {"operation": "x", "method": method, "path": api_path, "request": body}
    path.write_text(json.dumps(line) + "\n")
    return path


def test_the_trace_check_rejects_a_request_off_the_contract(
    openapi_path: Path, tmp_path: Path
) -> None:
    good = sample_order().to_json()
    trace = write_trace(tmp_path / "ok.jsonl", "POST", "/v1/projects/p/orders/portIns", good)
    assert check_traced_requests(trace) == 1
    broken = good | {"desiredPortSchedule": {"desiredPortTime": "10:00:00"}}
    trace = write_trace(tmp_path / "bad.jsonl", "POST", "/v1/projects/p/orders/portIns", broken)
    with pytest.raises(ContractViolation, match="desiredPortDate"):
        check_traced_requests(trace)
    trace = write_trace(tmp_path / "path.jsonl", "GET", "/v1/projects/p/orders/portIns/7/x", None)
    with pytest.raises(ContractViolation, match="not a published operation"):
        check_traced_requests(trace)
    reply = tmp_path / "reply.jsonl"
    line = {"operation": "x", "method": "GET", "path": "/v1/projects/p/configuration"}
    reply.write_text(json.dumps(line | {"request": None, "status": 200, "response": []}) + "\n")
    assert check_traced_requests(reply) == 1
    with pytest.raises(ContractViolation, match="response GET /configuration 200"):
        check_traced_requests(reply, responses=True)
