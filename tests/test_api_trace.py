"""Tracing and redaction: a run with real-looking secrets leaves none in the trace or the logs."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import quoting_sinch as quoting
from api_fakes import base_settings, fake_client, run
from test_api_auth import KEY_ID, KEY_SECRET, FakeSinch, streamed
from test_api_client import ORDER_JSON, sample_order

from batchport.api import OrderRequest, PortOutInfo
from batchport.api.trace import TraceWriter, body_for_trace
from batchport.errors import (
    AmbiguousCreateError,
    ApiError,
    ApiRejected,
    AuthError,
    ConfigError,
)

ISSUED_TOKEN = "token-1"
PIN = "8642"
ACCOUNT = "ACCT-99812345"
DOCUMENT = b"Letter of authorization signed by Jo Smith"


class TracedSinch(FakeSinch):
    """FakeSinch answering each operation the run below uses, echoing secrets back."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = super().__call__(request)
        if answer.status_code != 200 or request.url.host == "auth.test":
            return answer
        path = answer.json()["path"]
        if path == "/orders/portIns" and request.method == "POST":
            echoed = json.loads(request.content)
            return httpx.Response(201, json=ORDER_JSON | {"phoneNumbers": echoed["phoneNumbers"]})
        if path.endswith("/documents"):
            return httpx.Response(200, json={"id": 1, "documentName": "loa.txt"})
        if "/documents/" in path:
            encoded = base64.b64encode(DOCUMENT).decode()
            return httpx.Response(200, json={"id": 1, "fileContent": encoded})
        if path == "/configuration":
            return httpx.Response(500, json={"message": "boom"})
        return httpx.Response(404)


def test_trace_and_logs_hold_no_secret(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    trace = tmp_path / "trace.jsonl"
    settings = base_settings(
        tmp_path, access_token="", key_id=KEY_ID, key_secret=KEY_SECRET, trace_path=trace
    )
    assert sample_order().phone_numbers[0].portOutInfo.existingPortOutPin == PIN
    errors: list[str] = []

    async def go() -> None:
        async with fake_client(TracedSinch(), settings) as client:
            await client.create_order(sample_order())
            await client.upload_document(7, "loa.txt", DOCUMENT)
            await client.get_document(7, 1)
            for failing in (client.get_configuration(), client.get_order(7)):
                try:
                    await failing
                except ApiError as exc:
                    errors.append(f"{exc} {exc!r}")

    with caplog.at_level(logging.DEBUG):
        run(go())
    text = trace.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    everything = text + caplog.text + " ".join(errors) + repr(settings)
    secrets = [KEY_SECRET, ISSUED_TOKEN, PIN, ACCOUNT, base64.b64encode(DOCUMENT).decode()]
    for secret in [*secrets, DOCUMENT.decode()]:
        assert secret not in everything, secret
    assert base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode() not in everything

    operations = [line["operation"] for line in lines]
    assert operations[:3] == ["fetch_token", "create_order", "upload_document"]
    create = lines[1]
    assert create["method"] == "POST" and create["path"].endswith("/orders/portIns")
    assert create["status"] == 201 and create["attempt"] == 1 and create["duration_ms"] >= 0
    sent = create["request"]["phoneNumbers"][0]["portOutInfo"]
    assert sent["existingPortOutPin"] == "****" and sent["accountNum"] == "****2345"
    assert lines[0]["response"]["access_token"] == "****"
    assert lines[0]["request"] == {"grant_type": "client_credentials"}
    assert {
        "time",
        "method",
        "path",
        "status",
        "duration_ms",
        "attempt",
        "request",
        "response",
    } <= set(create)


def test_failed_exchange_is_traced_with_its_error(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def go() -> None:
        settings = base_settings(tmp_path, trace_path=trace, max_attempts=2)
        async with fake_client(handler, settings) as client:
            await client.get_order(3)

    with pytest.raises(ApiError):
        run(go())
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [(line["attempt"], line["status"]) for line in lines] == [(1, None), (2, None)]
    assert "ConnectError" in lines[0]["error"]


def test_token_requests_are_traced_as_fetch_token_with_their_own_attempts(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    failures = [httpx.ConnectError]

    class Sinch(FakeSinch):
        def token(self, request: httpx.Request) -> httpx.Response:
            if failures:
                raise failures.pop(0)("refused", request=request)
            return super().token(request)

    async def go() -> None:
        settings = base_settings(
            tmp_path, access_token="", key_id=KEY_ID, key_secret=KEY_SECRET, trace_path=trace
        )
        async with fake_client(Sinch(), settings) as client:
            await client.get_configuration()

    run(go())
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [(line["operation"], line["attempt"], line["status"]) for line in lines] == [
        ("fetch_token", 1, None),
        ("fetch_token", 2, 200),
        ("get_configuration", 2, 200),
    ]
    assert "ConnectError" in lines[0]["error"] and lines[0]["path"] == "/oauth2/token"
    assert lines[1]["response"]["access_token"] == "****"


def test_streamed_answers_are_read_for_the_token_and_the_trace(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    sinch = FakeSinch()

    def handler(request: httpx.Request) -> httpx.Response:
        answer = sinch(request)  # token answers come streamed already
        return answer if request.url.host == "auth.test" else streamed(answer)

    async def go() -> Any:
        settings = base_settings(
            tmp_path, access_token="", key_id=KEY_ID, key_secret=KEY_SECRET, trace_path=trace
        )
        async with fake_client(handler, settings) as client:
            return await client.get_configuration()

    run(go())
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [line["response"] for line in lines] == [
        {"access_token": "****", "token_type": "Bearer", "expires_in": 3600},
        {"path": "/configuration"},
    ]


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b"", "application/json", None),
        (b'{"accountNum": "12"}', "application/json", {"accountNum": "****"}),
        (
            b"grant_type=x&client_secret=abc",
            "application/x-www-form-urlencoded",
            {"grant_type": "x", "client_secret": "****"},
        ),
        (b"\x00\x01binary", "application/pdf", "<8 bytes of application/pdf>"),
    ],
)
def test_body_for_trace(content: bytes, content_type: str, expected: Any) -> None:
    assert body_for_trace(content, content_type) == expected


def test_unwritable_trace_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"cannot write the trace file .*; choose another"):
        TraceWriter(blocker / "trace.jsonl")


# --- a service quoting the request's secrets back ---------------------------------------------


def quoted_order(reference: str) -> OrderRequest:
    """An order of four numbers carrying the PINs (3, 4, 6, 8 characters) and account numbers."""
    number = sample_order().phone_numbers[0]
    numbers = tuple(
        dataclasses.replace(
            number,
            phoneNumber=f"+1212555014{i}",
            portOutInfo=PortOutInfo(existingPortOutPin=pin, accountNum=account),
        )
        for i, (pin, account) in enumerate(zip(quoting.PINS, quoting.ACCOUNTS, strict=True))
    )
    return dataclasses.replace(
        sample_order(reference), phone_numbers=numbers, customer_order_reference=reference
    )


def quoting_settings(tmp_path: Path, trace: Path, **changes: Any) -> Any:
    values = {"access_token": "", "key_id": quoting.KEY_ID, "key_secret": quoting.KEY_SECRET}
    return base_settings(tmp_path, trace_path=trace, **(values | changes))


def shown(exc: ApiError) -> list[str]:
    """Everything an error can show a person or a log."""
    return [str(exc), repr(exc), *(f"{v.field} {v.description}" for v in exc.violations)]


def test_secrets_quoted_in_4xx_and_5xx_answers_leak_nowhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trace = tmp_path / "trace.jsonl"
    errors: list[ApiError] = []

    async def go() -> None:
        async with fake_client(quoting.QuotingSinch(), quoting_settings(tmp_path, trace)) as c:
            for reference in quoting.CREATE_ANSWERS:  # a 422, a 500 echo, a 400, in turn
                try:
                    await c.create_order(quoted_order(reference))
                except ApiError as exc:
                    errors.append(exc)

    with caplog.at_level(logging.DEBUG):
        run(go())
    assert [type(exc) for exc in errors] == [ApiRejected, AmbiguousCreateError, ApiRejected]
    texts = [trace.read_text(), caplog.text] + [text for exc in errors for text in shown(exc)]
    assert quoting.leaks(texts) == {}
    # The service's words are still there, with the secrets masked.
    assert errors[0].violations[0].description == "does not match any of " + ", ".join(["****"] * 8)
    assert "invalid port-out info: ****, ****" in errors[0].message
    assert "order refused; the carrier rejects ****" in errors[2].message
    echoed = [json.loads(line) for line in trace.read_text().splitlines()][2]["response"]
    assert echoed["request"]["phoneNumbers"][0]["portOutInfo"]["existingPortOutPin"] == "****"
    assert '"existingPortOutPin": "****"' in echoed["message"]


@pytest.mark.parametrize(("answer", "kind"), [("refuse", AuthError), ("fail", ApiError)])
def test_a_token_service_echoing_the_key_leaks_it_nowhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, answer: str, kind: type[ApiError]
) -> None:
    trace = tmp_path / "trace.jsonl"
    settings = quoting_settings(tmp_path, trace, max_attempts=2)

    async def go() -> None:
        async with fake_client(quoting.QuotingSinch(token=answer), settings) as client:
            await client.check_portability(["+12125550143"])

    with caplog.at_level(logging.DEBUG), pytest.raises(kind) as caught:
        run(go())
    texts = [trace.read_text(), caplog.text, *shown(caught.value)]
    assert quoting.leaks(texts) == {}
    message = caught.value.message
    assert "fetch_token (the token service https://auth.test/oauth2/token)" in message
    assert f"client {quoting.KEY_ID} with secret **** refused (Authorization: Basic ****)" in (
        message
    )


def test_a_new_trace_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "trace.jsonl"
    with TraceWriter(path):
        pass
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a full disk)")
def test_a_full_disk_stops_tracing_with_a_warning_and_the_calls_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = httpx.Request("GET", "https://porting.example/v1/projects/p/orders")
    writer = TraceWriter(Path("/dev/full"))
    with caplog.at_level(logging.WARNING, logger="batchport.api.trace"):
        for attempt in (1, 2):
            writer.record(
                operation="list_orders",
                attempt=attempt,
                request=request,
                response=httpx.Response(200, json={}),
                duration=0.01,
            )
    writer.close()
    assert writer.stopped
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("Tracing stopped: cannot write /dev/full")
