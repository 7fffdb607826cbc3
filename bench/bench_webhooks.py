"""Benchmark of the webhook receiver (#12): a burst of deliveries, answered fast, stored once.

    .venv/bin/python bench/bench_webhooks.py [--orders 200] [--deliveries 5000] [--seconds 10]
                                             [--clients 32]

The script first makes about ``--orders`` one-number orders (``bench_track.make_orders``: a
generated xlsx run against ``batchport sandbox serve``), then serves the same sandbox again with
50 ms latency and a limit of 50 requests/s, and starts ``batchport webhooks serve`` as a process
of its own (reading orders at ``--rate 40``). It sends the receiver ``--deliveries`` deliveries
over ``--seconds`` seconds from at most ``--clients`` connections at once: each order gets its
share as one burst of 0.3 s at a random moment, out of order, a fifth of them exact repeats of an
earlier one. Once every stored delivery is settled, the receiver is stopped (Ctrl-C) and its
closing line read.

It prints how many were answered 2xx, the answer time (median, 99th percentile, most; target:
99th percentile within 100 ms), the deliveries stored against the distinct ones sent (target:
equal), the orders read against the orders named (about one read per order and burst), and the
receiver's resident memory before and after the burst. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from bench_run import BATCHPORT, free_port
from bench_track import make_orders, serve

SECRET = "bench-secret-0123456789abcdef"
BURST_S = 0.3
REPEAT_SHARE = 0.2
P99_TARGET_MS = 100.0


def rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` now, in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def order_ids(journal: Path) -> list[int]:
    """The ids of the orders the journal's batch created."""
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT order_id FROM submissions WHERE order_id IS NOT NULL")
        return sorted(int(order_id) for (order_id,) in rows)


def unsettled(journal: Path) -> tuple[int, int]:
    """Deliveries stored, and those not yet applied (their order not read since)."""
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
        stored, waiting = db.execute(
            "SELECT count(*), coalesce(sum(state = 'received'), 0) FROM deliveries"
        ).fetchone()
        return int(stored), int(waiting)


def plan_deliveries(
    order_ids: list[int], count: int, seconds: float, seed: int = 7
) -> list[tuple[float, dict[str, Any]]]:
    """``(send at, body)`` pairs: each order's share in one burst, out of order, some repeated."""
    rng = random.Random(seed)
    kinds = ("NUMBERS_CONFIRMED", "ORDER_UPDATED", "NEW_ORDER_NOTE")
    per_order = count // len(order_ids)
    plan: list[tuple[float, dict[str, Any]]] = []
    for order_id in order_ids:
        start = rng.uniform(0, seconds - BURST_S)
        bodies: list[dict[str, Any]] = []
        for n in range(per_order):
            if bodies and rng.random() < REPEAT_SHARE:
                bodies.append(rng.choice(bodies))
                continue
            kind = kinds[n % len(kinds)]
            body: dict[str, Any] = {"type": kind, "orderId": str(order_id)}
            body["note" if kind == "NEW_ORDER_NOTE" else "seq"] = f"event {n}"
            bodies.append(body)
        rng.shuffle(bodies)
        plan += [(start + rng.uniform(0, BURST_S), body) for body in bodies]
    return sorted(plan, key=lambda item: item[0])


def start_receiver(folder: Path, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """``batchport webhooks serve`` on ``port``; return once it listens."""
    command = [*BATCHPORT, "webhooks", "serve", "--port", str(port), "--rate", "40"]
    command += ["--concurrency", "8"]
    log = (folder / "receiver.log").open("w")
    receiver = subprocess.Popen(
        command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=log, text=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return receiver
        except OSError:
            time.sleep(0.1)
    receiver.kill()
    raise SystemExit("the receiver did not start")


def stop_receiver(receiver: subprocess.Popen[str], folder: Path) -> str:
    """Stop it as Ctrl-C would; return its closing line (or the end of its log)."""
    receiver.send_signal(signal.SIGINT)
    receiver.wait(timeout=120)
    errors = (folder / "receiver.log").read_text()
    lines = [line for line in errors.splitlines() if line.startswith("Receiver stopped")]
    return lines[-1] if lines else errors[-2000:]


async def send(
    port: int, plan: list[tuple[float, dict[str, Any]]], clients: int
) -> tuple[list[float], list[int]]:
    """Send each body at its moment over at most ``clients`` connections; latencies (ms, from
    the first attempt) and status codes (0: a transport error, sent again up to twice).

    Each connection is a client of its own, lent to one request at a time: one httpx pool of
    ``clients`` connections spends more CPU choosing a connection than sending (httpcore scans
    every connection for every request), and this script measures the receiver, not that.
    """
    url = f"http://127.0.0.1:{port}/sinch/porting/{SECRET}"
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    latencies: list[float] = []
    codes: list[int] = []
    idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(clients):
            idle.put_nowait(
                await stack.enter_async_context(
                    httpx.AsyncClient(limits=one_connection, timeout=30)
                )
            )
        began = time.monotonic()

        async def one(at: float, body: dict[str, Any]) -> None:
            await asyncio.sleep(max(0.0, began + at - time.monotonic()))
            http = await idle.get()
            try:
                sent = time.monotonic()
                for _ in range(3):
                    try:
                        reply = await http.post(url, content=json.dumps(body))
                        break
                    except httpx.TransportError:  # a keep-alive connection the server closed
                        codes.append(0)
                else:
                    return
                latencies.append((time.monotonic() - sent) * 1000)
                codes.append(reply.status_code)
            finally:
                idle.put_nowait(http)

        await asyncio.gather(*(one(at, body) for at, body in plan))
    return latencies, codes


def main() -> None:
    """Make the orders, send the burst, print the figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        port = free_port()
        make_orders(folder, args.orders, port)
        journal = folder / "journal.sqlite"
        ids = order_ids(journal)
        plan = plan_deliveries(ids, args.deliveries, args.seconds)
        distinct = len({json.dumps(body, sort_keys=True) for _, body in plan})
        sandbox = serve(folder / "sandbox.sqlite", port, 50, "50")
        env = {**sandbox.env, "BATCHPORT_STATE": str(journal), "BATCHPORT_WEBHOOK_SECRET": SECRET}
        env.pop("BATCHPORT_CONFIG", None)
        hooks = free_port()
        receiver = start_receiver(folder, env, hooks)
        try:
            before = rss_mib(receiver.pid)
            started = time.monotonic()
            latencies, codes = asyncio.run(send(hooks, plan, args.clients))
            sent_in = time.monotonic() - started
            after = rss_mib(receiver.pid)
            stored, waiting = unsettled(journal)
            while waiting:
                time.sleep(0.2)
                stored, waiting = unsettled(journal)
            settled_in = time.monotonic() - started
        finally:
            closing = stop_receiver(receiver, folder)
            print(f"receiver: {closing}")
            sandbox.stop()
    ok = sum(200 <= code < 300 for code in codes)
    resent = codes.count(0)
    codes = [code for code in codes if code]
    p99 = statistics.quantiles(latencies, n=100)[98]
    print(
        f"deliveries sent: {len(plan):,} for {len(ids)} orders in {sent_in:.1f} s "
        f"({distinct:,} distinct, {len(plan) - distinct:,} repeats), {args.clients} connections"
    )
    print(
        f"answered 2xx: {ok:,}/{len(codes):,} ({resent} sent again after a transport error); "
        "answer time median "
        f"{statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms (target <= "
        f"{P99_TARGET_MS:.0f}), max {max(latencies):.1f} ms"
    )
    print(
        f"stored: {stored:,} (distinct sent: {distinct:,}); all applied {settled_in:.1f} s "
        "after the first delivery"
    )
    print(f"receiver memory: {before:.0f} MiB before the burst, {after:.0f} MiB after")
    missed = ok != len(plan) or p99 > P99_TARGET_MS or stored != distinct
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
