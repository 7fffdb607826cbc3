"""``batchport.ops.webhooks``: the sandbox's webhooks alone move the journal and the workbook."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import uvicorn
from click.testing import CliRunner
from run_inputs import ca_row, sandbox_settings, us_row, write_input
from test_lifecycle_orders import env_for

from batchport.api import NumberStatus, Order, OrderNumber, OrderStatus
from batchport.cli import main
from batchport.connection import open_client
from batchport.journal import open_journal
from batchport.lifecycle.configuration import ConfigurationChange, set_configuration
from batchport.lifecycle.track import track_order
from batchport.ops.webhooks import (
    SECRET_HEADER,
    Delivery,
    ReceiverOptions,
    Refusal,
    WebhookReceiver,
    parse_delivery,
    read_at,
    receiver_url,
)
from batchport.pipeline import RunResult, run_batch
from batchport.redaction import scrub
from batchport.sandbox import BASE_URL, SandboxConfig, asgi_transport, create_app
from batchport.sandbox.serve import SandboxServer, listen
from batchport.settings import Settings

SECRET = "s3cret-Token_for-the-receiver"
REJECTED = "Account number does not match"
HOOKS = "http://receiver.local/sinch/porting"


def settings_for(tmp_path: Path) -> Settings:
    """In-process sandbox settings: (212) 555 numbers confirmed, (416) 555 numbers rejected."""
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            {
                "numbers": [
                    {"match": "+1212555", "carrier": "Verizon Wireless", "portable": True},
                    {"match": "+1416555", "carrier": "Rogers Wireless", "reject_reason": REJECTED},
                ]
            }
        )
    )
    options = f"scenario={scenario},reject_rate=0,exclude_rate=0,rate_limit=off"
    return sandbox_settings(tmp_path, options, webhook_secret=SECRET)


def submit(tmp_path: Path, settings: Settings) -> RunResult:
    source = write_input(tmp_path / "in.csv", [us_row(100), us_row(101), ca_row(200)])
    result = run_batch(source, settings)
    assert result.outcomes["submitted"] == 3
    return result


@dataclass
class World:
    """A sandbox (state kept where ``run --sandbox`` left it) wired to a receiver."""

    settings: Settings
    receiver: WebhookReceiver
    sandbox: httpx.AsyncClient

    async def advance(self, days: int) -> None:
        """Move the sandbox clock; its webhooks are delivered before this returns."""
        reply = await self.sandbox.post("/_sandbox/clock/advance", json={"days": days})
        assert reply.status_code == 200, reply.text

    async def post(self, body: Any, *, token: str | None = SECRET, **kwargs: Any) -> httpx.Response:
        """POST ``body`` (JSON, or bytes as given) straight to the receiver."""
        path = "/sinch/porting" + (f"/{token}" if token else "")
        async with receiver_client(self.receiver) as hooks:
            if isinstance(body, bytes) or hasattr(body, "__aiter__"):
                return await hooks.post(path, content=body, **kwargs)
            return await hooks.post(path, json=body, **kwargs)


def receiver_client(receiver: WebhookReceiver) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=receiver.app), base_url="http://receiver.local"
    )


def sandbox_app(settings: Settings, webhook_client: httpx.AsyncClient | None) -> Any:
    config = replace(
        SandboxConfig.from_options(settings.sandbox_options),
        state_path=settings.sandbox_state_path,
    )
    return create_app(config, webhook_client=webhook_client)


@asynccontextmanager
async def world(
    settings: Settings, *, hook_url: str | None = None, hooks: httpx.AsyncClient | None = None
) -> AsyncIterator[World]:
    """The sandbox of ``settings`` delivering to a receiver (in-process unless ``hooks`` and
    ``hook_url`` say otherwise); the project's webhook URL is set as `config set` sets it."""
    holder: dict[str, Any] = {}
    receiver = WebhookReceiver(
        journal_path=settings.state_path,
        target="sandbox",
        secret=SECRET,
        client_factory=lambda: open_client(settings, transport=asgi_transport(holder["app"])),
        options=ReceiverOptions(read_delay=0, settle=0),
    )
    async with receiver_client(receiver) if hooks is None else hooks as webhook_client:
        app = holder["app"] = sandbox_app(settings, webhook_client)
        async with httpx.AsyncClient(transport=asgi_transport(app), base_url=BASE_URL) as http:
            async with open_client(settings, transport=asgi_transport(app)) as client:
                url = receiver_url(hook_url or HOOKS, SECRET)
                await set_configuration(client, ConfigurationChange(webhook_url=url))
            yield World(settings, receiver, http)
        await app.state.sandbox.aclose()


def journal_numbers(settings: Settings, batch_id: str) -> dict[str, str]:
    with open_journal(settings.state_path) as journal:
        return {r.phone_number: r.number_status for r in journal.number_records(batch_id).values()}


def webhook_events(settings: Settings, batch_id: str) -> list[tuple[str, str, str]]:
    with open_journal(settings.state_path) as journal:
        return [e for e in journal.events(batch_id) if e[2].startswith("webhook:")]


def deliveries(settings: Settings) -> list[Any]:
    with open_journal(settings.state_path) as journal:
        return journal.deliveries("sandbox")


def workbook_statuses(path: Path) -> dict[str, str]:
    rows = list(openpyxl.load_workbook(path, read_only=True)["Rows"].values)
    header = list(rows[0])
    number, status = header.index("E.164"), header.index("Number status")
    return {row[number]: row[status] for row in rows[1:]}


def run(scenario: Callable[[], Any]) -> Any:
    return asyncio.run(scenario())


# -- the lifecycle from webhooks alone -----------------------------------------------------------


def test_a_batch_follows_its_lifecycle_from_webhooks_alone(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    batch = submit(tmp_path, settings)
    result = tmp_path / "in.result.xlsx"

    async def scenario() -> None:
        async with world(settings) as w, w.receiver:
            await w.advance(2)  # the carriers answer: US confirmed, CA rejected
            await w.receiver.idle()
            assert journal_numbers(settings, batch.batch_id) == {
                "+12125550100": "CONFIRMED",
                "+12125550101": "CONFIRMED",
                "+14165550200": "REJECTED",
            }
            assert workbook_statuses(result)["+14165550200"] == "REJECTED"
            await w.advance(30)  # past the FOC: the US numbers are activated
            await w.receiver.idle()
            assert w.receiver.counts.refused == 0

    run(scenario)
    numbers = journal_numbers(settings, batch.batch_id)
    assert numbers["+12125550100"] == numbers["+12125550101"] == "ACTIVATED"
    assert numbers["+14165550200"] == "REJECTED"
    assert workbook_statuses(result) == numbers
    events = webhook_events(settings, batch.batch_id)
    kinds = {kind for kind, _, _ in events}
    assert {"number_status", "foc_date", "order_status", "note"} <= kinds
    assert any("CONFIRMED → ACTIVATED" in detail for _, _, detail in events)
    assert any(REJECTED in detail for kind, _, detail in events if kind == "note")
    stored = deliveries(settings)
    assert {"NUMBERS_CONFIRMED", "NUMBERS_REJECTED", "NUMBERS_ACTIVATED"} <= {
        d.kind for d in stored
    }
    assert {d.state for d in stored} == {"applied"}
    with open_journal(settings.state_path) as journal:
        assert all(s.status for s in journal.submissions(batch.batch_id).values())
        statuses = {s.status for s in journal.submissions(batch.batch_id).values()}
    assert "COMPLETED" in statuses


def test_repeats_and_late_deliveries_change_nothing_and_never_move_a_number_back(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    batch = submit(tmp_path, settings)

    async def scenario() -> tuple[list[httpx.Response], int, int]:
        async with world(settings) as w, w.receiver:
            await w.advance(32)
            await w.receiver.idle()
            reads = w.receiver.counts.reads
            events = len(webhook_events(settings, batch.batch_id))
            order_id = next(d.order_id for d in deliveries(settings) if d.reference)
            late = {  # a confirmation of numbers that are activated by now
                "type": "NUMBERS_CONFIRMED",
                "orderId": str(order_id),
                "phoneNumbers": [{"phoneNumber": "+12125550100", "status": "CONFIRMED"}],
            }
            forged = {  # authenticated but false: the service says otherwise
                "event": "NUMBERS_REJECTED",
                "orderId": str(order_id),
                "phoneNumbers": [
                    {"phoneNumber": "+12125550101", "status": "REJECTED", "rejectReason": "x"}
                ],
            }
            # the same event again, and with its keys in another order and other spacing
            again = json.dumps(late, indent=2, sort_keys=True).encode()
            replies = []
            for body in (late, late, again, forged):
                replies.append(await w.post(body))
                await w.receiver.idle()
            added = len(webhook_events(settings, batch.batch_id)) - events
            return replies, w.receiver.counts.reads - reads, added

    replies, reads, added = run(scenario)
    assert [r.status_code for r in replies] == [200, 200, 200, 200]
    assert [r.json()["stored"] for r in replies] == [True, False, False, True]
    assert reads == 2  # each new delivery made the order be read once; repeats none
    assert added == 0  # what was read matched the journal: nothing recorded
    numbers = journal_numbers(settings, batch.batch_id)
    assert numbers["+12125550100"] == numbers["+12125550101"] == "ACTIVATED"
    stored = deliveries(settings)
    assert [d.kind for d in stored][-2:] == ["NUMBERS_CONFIRMED", "NUMBERS_REJECTED"]
    assert len({d.body for d in stored}) == len(stored)


def test_a_webhook_burst_of_one_order_is_read_once_per_burst(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)

    async def scenario() -> tuple[int, int]:
        async with world(settings) as w:
            order_id = _us_order(settings).order_id
            # the 20 deliveries arrive well within the second the order waits before its read
            w.receiver.options = replace(w.receiver.options, read_delay=1.0)
            async with w.receiver:
                bodies = [
                    {"type": "NEW_ORDER_NOTE", "orderId": str(order_id), "note": f"n{n}"}
                    for n in range(20)
                ]
                replies = await asyncio.gather(*(w.post(b) for b in bodies))
                assert {r.status_code for r in replies} == {200}
                await w.receiver.idle()
                return w.receiver.counts.stored, w.receiver.counts.reads

    stored, reads = run(scenario)
    assert (stored, reads) == (20, 1)


def test_an_order_is_read_once_its_deliveries_pause_and_at_the_latest_read_within() -> None:
    options = ReceiverOptions(read_delay=0.5, read_within=5.0)
    assert read_at(10.0, 10.0, options) == 10.5  # one delivery
    assert read_at(10.0, 10.4, options) == 10.9  # a burst: read after its last delivery
    assert read_at(10.0, 14.8, options) == 15.0  # a stream: read within 5 s all the same
    assert read_at(10.0, 10.0, ReceiverOptions(read_delay=2.0, read_within=1.0)) == 12.0


def test_many_deliveries_at_once_are_each_answered_once_stored(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    order_id = _us_order(settings).order_id

    async def scenario() -> tuple[list[httpx.Response], int]:
        async with world(settings) as w:
            w.receiver.options = replace(w.receiver.options, read_delay=30.0)
            async with w.receiver:
                bodies = [
                    {"type": "NEW_ORDER_NOTE", "orderId": str(order_id), "note": f"n{n % 40}"}
                    for n in range(60)
                ]  # 40 distinct, 20 repeats, sent together: stored by a few group commits
                replies = await asyncio.gather(*(w.post(b) for b in bodies))
                stored_when_answered = len(deliveries(settings))  # read by another connection
                w.receiver.options = replace(w.receiver.options, drain_timeout=0.01)
            return replies, stored_when_answered

    replies, stored_when_answered = run(scenario)
    assert {r.status_code for r in replies} == {200}
    assert sum(r.json()["stored"] for r in replies) == 40
    assert stored_when_answered == 40
    assert len(deliveries(settings)) == 40


@dataclass(frozen=True)
class _Created:
    reference: str
    order_id: int


def _created(settings: Settings) -> list[_Created]:
    with open_journal(settings.state_path) as journal:
        (batch,) = journal.batches()
        return [
            _Created(ref, sub.order_id)
            for ref, sub in sorted(journal.submissions(batch.id).items())
            if sub.order_id is not None
        ]


def _us_order(settings: Settings) -> _Created:
    """The order holding the (212) numbers."""
    with open_journal(settings.state_path) as journal:
        (batch,) = journal.batches()
        numbers = journal.number_records(batch.id).values()
        reference = next(n.reference for n in numbers if n.phone_number == "+12125550100")
    return next(o for o in _created(settings) if o.reference == reference)


def test_a_stale_read_never_moves_an_activated_number_back(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    batch = submit(tmp_path, settings)
    us = _us_order(settings)
    now = datetime(2026, 12, 1, tzinfo=UTC)

    def order(status: NumberStatus, order_status: OrderStatus) -> Order:
        numbers = tuple(OrderNumber(n, status) for n in ("+12125550100", "+12125550101"))
        return Order(us.order_id, order_status, us.reference, numbers)

    with open_journal(settings.state_path) as journal:
        done = track_order(
            journal, "sandbox", order(NumberStatus.ACTIVATED, OrderStatus.COMPLETED),
            source="webhook", now=now,
        )  # fmt: skip
        assert done is not None and done.recorded
        stale = track_order(
            journal, "sandbox", order(NumberStatus.PENDING, OrderStatus.COMPLETED),
            source="webhook", now=now,
        )  # fmt: skip
        assert stale is not None and not stale.recorded
        assert track_order(journal, "project-x", order(NumberStatus.PENDING, OrderStatus.PENDING),
                           source="webhook", now=now) is None  # fmt: skip
    numbers = journal_numbers(settings, batch.batch_id)
    assert numbers["+12125550100"] == numbers["+12125550101"] == "ACTIVATED"


# -- refusals ------------------------------------------------------------------------------


def test_a_wrong_or_missing_secret_gets_401_and_stores_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    (order, *_) = _created(settings)
    body = {"type": "NEW_ORDER_NOTE", "orderId": str(order.order_id), "note": "hi"}

    async def scenario() -> list[int]:
        async with world(settings) as w, w.receiver:
            codes = [
                (await w.post(body, token=None)).status_code,
                (await w.post(body, token=SECRET[:-1] + "x")).status_code,
                (await w.post(body, token=SECRET + "x")).status_code,
                (await w.post(body, token=None, headers={SECRET_HEADER: "nope"})).status_code,
                (await w.post(b"{not json", token="wrong")).status_code,
            ]
            assert w.receiver.counts.reads == 0
            assert deliveries(settings) == []
            # the right secret in the header is accepted
            codes.append(
                (await w.post(body, token=None, headers={SECRET_HEADER: SECRET})).status_code
            )
            await w.receiver.idle()
            return codes

    assert run(scenario) == [401, 401, 401, 401, 401, 200]
    assert [d.kind for d in deliveries(settings)] == ["NEW_ORDER_NOTE"]


def test_malformed_unknown_and_oversized_bodies_are_refused(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    (order, *_) = _created(settings)
    note = {"type": "NEW_ORDER_NOTE", "orderId": str(order.order_id), "note": "x" * 2000}

    async def chunks() -> AsyncIterator[bytes]:
        # no Content-Length: the cap must hold while the body is read
        for _ in range(4):
            yield b" " * 1000
        yield json.dumps(note).encode()

    async def scenario() -> list[tuple[int, str]]:
        async with world(settings) as w:
            w.receiver.options = replace(w.receiver.options, max_body=4096)
            async with w.receiver:
                replies = [
                    await w.post(b"{not json"),
                    await w.post(b"\xff\xfe"),
                    await w.post([1, 2]),
                    await w.post({"type": "ORDER_CREATED", "orderId": "1"}),
                    await w.post({"type": "NEW_ORDER_NOTE", "note": "no order"}),
                    await w.post({"type": "NEW_ORDER_NOTE", "orderId": "12a"}),
                    await w.post({**note, "note": "x" * 5000}),
                    await w.post(chunks()),
                    await w.post(b"<xml/>", headers={"Content-Type": "text/xml"}),
                ]
                assert deliveries(settings) == []
                return [(r.status_code, r.json()["error"]) for r in replies]

    answers = run(scenario)
    assert [code for code, _ in answers] == [400, 400, 400, 422, 422, 422, 413, 413, 415]
    assert "ORDER_CREATED" in answers[3][1]
    assert "over 4096 bytes" in answers[6][1]


def test_parse_delivery_accepts_event_as_the_older_name_of_type() -> None:
    older = parse_delivery(b'{"event": "ORDER_UPDATED", "order": {"id": 897867, "status": "X"}}')
    assert isinstance(older, Delivery)
    assert (older.kind, older.order_id) == ("ORDER_UPDATED", 897867)
    envelope = parse_delivery(b'{"type": "ORDER_UPDATED", "orderId": "897867", "order": {"id": 1}}')
    assert isinstance(envelope, Delivery) and envelope.order_id == 897867
    pin = parse_delivery(
        json.dumps(
            {"type": "ORDER_UPDATED", "orderId": "5", "order": {"phoneNumbers": [
                {"portOutInfo": {"existingPortOutPin": "90817", "accountNum": "5556667777"}}
            ]}}
        ).encode()
    )  # fmt: skip
    assert isinstance(pin, Delivery)
    assert "90817" not in pin.body and "5556667777" not in pin.body
    assert parse_delivery(b'{"type": "NEW_ORDER_NOTE", "orderId": true}') == Refusal(
        422, "NEW_ORDER_NOTE names no order id"
    )
    assert parse_delivery(b'{"type": "NEW_ORDER_NOTE", "orderId": "0"}') == Refusal(
        422, "NEW_ORDER_NOTE names no order id"
    )


def test_a_delivery_for_an_order_not_in_the_journal_is_stored_and_nothing_applied(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    body = {"type": "NEW_ORDER_NOTE", "orderId": "424242", "note": "not ours"}

    async def scenario() -> httpx.Response:
        async with world(settings) as w, w.receiver:
            reply = await w.post(body)
            await w.receiver.idle()
            assert w.receiver.counts.reads == 0
            return reply

    reply = run(scenario)
    assert reply.status_code == 200
    assert reply.json() == {"stored": True, "order": 424242, "applied": "unknown order"}
    (stored,) = deliveries(settings)
    assert (stored.order_id, stored.state, stored.batch_id) == (424242, "unknown_order", None)


def test_the_secret_is_masked_in_the_log_and_the_journal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    caplog.set_level("INFO")

    async def scenario() -> None:
        async with world(settings) as w, w.receiver:
            await w.advance(2)
            await w.post({"type": "NEW_ORDER_NOTE", "orderId": "7", "note": SECRET})
            await w.receiver.idle()

    run(scenario)
    assert scrub(SECRET) != SECRET  # registered by the receiver
    text = "\n".join(scrub(r.getMessage()) for r in caplog.records)
    assert "stored" in text and SECRET not in text
    assert all(SECRET not in d.body for d in deliveries(settings))


def test_receiver_url_puts_the_secret_last_once() -> None:
    assert receiver_url("https://hooks.example.com/sinch/porting/", SECRET) == (
        f"https://hooks.example.com/sinch/porting/{SECRET}"
    )
    already = f"https://hooks.example.com/sinch/porting/{SECRET}"
    assert receiver_url(already, SECRET) == already
    assert receiver_url("https://hooks.example.com/in?src=sinch", SECRET) == (
        f"https://hooks.example.com/in/{SECRET}?src=sinch"
    )
    assert (
        receiver_url("https://hooks.example.com", SECRET) == f"https://hooks.example.com/{SECRET}"
    )


# -- over a real socket ---------------------------------------------------------------------


def test_the_sandbox_delivers_to_a_receiver_served_by_uvicorn_on_127_0_0_1(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    batch = submit(tmp_path, settings)

    async def scenario() -> None:
        sock = listen("127.0.0.1", 0)
        port = sock.getsockname()[1]
        own_client = httpx.AsyncClient(timeout=10)  # the sandbox's client: a real socket
        async with world(
            settings, hook_url=f"http://127.0.0.1:{port}/sinch/porting", hooks=own_client
        ) as w:
            config = uvicorn.Config(
                w.receiver.app, lifespan="on", access_log=False, log_config=None
            )
            server = SandboxServer(config)
            task = asyncio.create_task(server.serve(sockets=[sock]))
            assert await asyncio.to_thread(server.ready.wait, 30) and server.started
            try:
                await w.advance(32)
                await w.receiver.idle()
                assert w.receiver.counts.stored > 0
            finally:
                server.should_exit = True
                await task
            stats = (await w.sandbox.get("/_sandbox/stats")).json()["webhooks"]
            assert stats["failed"] == 0 and stats["delivered"] == w.receiver.counts.stored

    run(scenario)
    numbers = journal_numbers(settings, batch.batch_id)
    assert numbers["+12125550100"] == "ACTIVATED" and numbers["+14165550200"] == "REJECTED"


# -- the command line ----------------------------------------------------------------------------


def cli_env(settings: Settings, secret: str = SECRET) -> dict[str, str]:
    return {**env_for(settings), "BATCHPORT_WEBHOOK_SECRET": secret}


def test_config_set_webhook_url_adds_the_secret_and_prints_the_url_masked(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    runner = CliRunner()
    args = [
        "config",
        "set",
        "--sandbox",
        "--webhook-url",
        "https://hooks.example.com/sinch/porting",
    ]
    result = runner.invoke(main, args, env=cli_env(settings))
    assert result.exit_code == 0, result.output
    assert "Sinch posts webhooks to https://hooks.example.com/sinch/porting/****" in result.output
    assert SECRET not in result.output
    shown = runner.invoke(main, ["config", "show", "--sandbox", "--json"], env=cli_env(settings))
    assert json.loads(shown.output)["webhook_url"] == "https://hooks.example.com/sinch/porting/****"

    async def configured() -> str:
        async with open_client(settings) as client:
            config = await client.get_configuration()
        return config.webhook_url

    assert asyncio.run(configured()) == f"https://hooks.example.com/sinch/porting/{SECRET}"
    again = runner.invoke(main, [*args[:-1], f"https://hooks.example.com/sinch/porting/{SECRET}"],
                          env=cli_env(settings))  # fmt: skip
    assert again.exit_code == 0 and asyncio.run(configured()).count(SECRET) == 1


def test_config_set_webhook_url_without_a_secret_warns(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    args = ["config", "set", "--sandbox", "--webhook-url", "https://hooks.example.com/x"]
    result = CliRunner().invoke(main, args, env=env_for(settings))
    assert result.exit_code == 0
    assert "no webhook secret is set" in result.output


def test_webhooks_serve_refuses_what_cannot_work(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    runner = CliRunner()
    served = {**cli_env(settings), "SINCH_PROJECT_ID": "p", "SINCH_ACCESS_TOKEN": "token-123"}
    sandbox = runner.invoke(main, ["webhooks", "serve", "--sandbox"], env=served)
    assert sandbox.exit_code == 2 and "sandbox serve" in sandbox.output
    path = runner.invoke(main, ["webhooks", "serve", "--path", "hooks/"], env=served)
    assert path.exit_code == 2 and "--path" in path.output
    no_secret = {**served, "BATCHPORT_WEBHOOK_SECRET": ""}
    missing = runner.invoke(main, ["webhooks", "serve"], env=no_secret)
    assert missing.exit_code == 1 and "no webhook secret" in missing.output
    weak = runner.invoke(
        main, ["webhooks", "serve"], env={**served, "BATCHPORT_WEBHOOK_SECRET": "short"}
    )
    assert weak.exit_code == 1 and "at least 16 characters" in weak.output
    assert "Traceback" not in missing.output + weak.output


def test_an_order_that_cannot_be_read_leaves_its_delivery_failed_and_the_receiver_running(
    tmp_path: Path,
) -> None:
    settings = replace(settings_for(tmp_path), max_attempts=1)
    submit(tmp_path, settings)
    order = _us_order(settings)
    down = httpx.MockTransport(lambda request: httpx.Response(503))
    receiver = WebhookReceiver(
        journal_path=settings.state_path,
        target="sandbox",
        secret=SECRET,
        client_factory=lambda: open_client(settings, transport=down),
        options=ReceiverOptions(read_delay=0, settle=0),
    )
    body = {"type": "NEW_ORDER_NOTE", "orderId": str(order.order_id), "note": "a"}

    async def scenario() -> list[int]:
        async with receiver, receiver_client(receiver) as hooks:
            path = f"/sinch/porting/{SECRET}"
            first = await hooks.post(path, json=body)
            await receiver.idle()
            second = await hooks.post(path, json={**body, "note": "b"})
            await receiver.idle()
            return [first.status_code, second.status_code]

    assert run(scenario) == [200, 200]
    assert receiver.counts.failed_reads == 2
    stored = deliveries(settings)
    assert [d.state for d in stored] == ["failed", "failed"]
    assert "reading the order failed" in stored[0].detail


def test_beyond_capacity_a_new_order_gets_503_and_is_not_stored(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    first, second = (o.order_id for o in _created(settings))

    def note(order_id: int, text: str) -> dict[str, str]:
        return {"type": "NEW_ORDER_NOTE", "orderId": str(order_id), "note": text}

    async def scenario() -> list[httpx.Response]:
        async with world(settings) as w:
            w.receiver.options = replace(w.receiver.options, capacity=1, read_delay=30.0)
            async with w.receiver:
                replies = [
                    await w.post(note(first, "a")),  # waits 30 s before its read
                    await w.post(note(second, "b")),  # a second order: over capacity
                    await w.post(note(first, "c")),  # the waiting order: coalesced
                ]
                assert len(deliveries(settings)) == 2
                w.receiver.options = replace(w.receiver.options, drain_timeout=0.01)
            return replies

    replies = run(scenario)
    assert [r.status_code for r in replies] == [200, 503, 200]
    assert replies[1].headers["Retry-After"] == "5"
    assert replies[2].json()["applied"] == "coalesced"
    assert {d.order_id for d in deliveries(settings)} == {first}


def test_the_body_cap_is_exact_with_or_without_content_length(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    body = json.dumps({"type": "NEW_ORDER_NOTE", "orderId": "424242", "note": "x"}).encode()
    limit = 1000

    def padded(size: int) -> bytes:
        return body + b" " * (size - len(body))

    async def streamed(data: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(data), 100):
            yield data[start : start + 100]

    async def scenario() -> list[int]:
        async with world(settings) as w:
            w.receiver.options = replace(w.receiver.options, max_body=limit)
            async with w.receiver:
                replies = [
                    await w.post(padded(limit)),
                    await w.post(padded(limit + 1)),
                    await w.post(streamed(padded(limit))),
                    await w.post(streamed(padded(limit + 1))),
                ]
                return [r.status_code for r in replies]

    assert run(scenario) == [200, 413, 200, 413]


@pytest.mark.slow
def test_webhooks_serve_receives_logs_masked_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BATCHPORT_STATE": str(tmp_path / "state" / "journal.sqlite"),
        "BATCHPORT_WEBHOOK_SECRET": SECRET,
        "BATCHPORT_CONFIG": "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SINCH_PROJECT_ID": "p-1",
        "SINCH_ACCESS_TOKEN": "token-of-the-test",
        "SINCH_PORTING_URL": "http://127.0.0.1:9",  # never called: no order is known
    }
    command = [sys.executable, "-m", "batchport", "webhooks", "serve", "--port", "0"]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        found = re.search(r"127\.0\.0\.1:(\d+)/sinch/porting/\*\*\*\* ", first)
        assert found, first
        port = int(found.group(1))
        url = f"http://127.0.0.1:{port}/sinch/porting"
        body = {"type": "NEW_ORDER_NOTE", "orderId": "424242", "note": "not ours"}
        assert httpx.post(f"{url}/{SECRET}", json=body, timeout=10).status_code == 200
        assert httpx.post(f"{url}/nope", json=body, timeout=10).status_code == 401
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        err = first + err
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "no batch in the journal created that order" in err
    assert "wrong or missing secret (401)" in err
    assert "Receiver stopped: 1 deliveries stored (1 NEW_ORDER_NOTE), 0 repeats, 1 refused" in err
    assert SECRET not in err and "token-of-the-test" not in err


def test_a_journal_that_fails_gets_503_with_retry_after(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    body = {"type": "NEW_ORDER_NOTE", "orderId": "424242", "note": "x"}

    async def scenario() -> httpx.Response:
        async with world(settings) as w, w.receiver:
            with sqlite3.connect(settings.state_path) as db:  # the table goes away under it
                db.execute("DROP TABLE deliveries")
            return await w.post(body)

    reply = run(scenario)
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "5"
    assert str(settings.state_path) not in reply.text


class Gated(httpx.AsyncBaseTransport):
    """The sandbox's transport, holding each order read until ``release`` is set."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "/orders/portIns/" in request.url.path:
            self.entered.set()
            await self.release.wait()
        return await self.inner.handle_async_request(request)


def test_a_delivery_during_a_read_makes_the_order_be_read_once_more(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    submit(tmp_path, settings)
    order_id = _us_order(settings).order_id

    async def scenario() -> tuple[list[str], int, list[str]]:
        gate = Gated(asgi_transport(sandbox_app(settings, None)))
        receiver = WebhookReceiver(
            journal_path=settings.state_path,
            target="sandbox",
            secret=SECRET,
            client_factory=lambda: open_client(settings, transport=gate),
            options=ReceiverOptions(read_delay=0, settle=0),
        )
        path = f"/sinch/porting/{SECRET}"
        async with receiver, receiver_client(receiver) as hooks:
            note = {"type": "NEW_ORDER_NOTE", "orderId": str(order_id)}
            first = await hooks.post(path, json={**note, "note": "a"})
            await gate.entered.wait()  # the order is being read now
            second = await hooks.post(path, json={**note, "note": "b"})
            states = [d.state for d in deliveries(settings)]
            gate.release.set()
            await receiver.idle()
            hows = [first.json()["applied"], second.json()["applied"]]
            return hows, receiver.counts.reads, states

    hows, reads, during = run(scenario)
    assert hows == ["queued", "read again after the read in progress"]
    assert during == ["received", "received"]
    assert reads == 2
    assert [d.state for d in deliveries(settings)] == ["applied", "applied"]
