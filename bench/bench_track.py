"""Benchmark of ``batchport track`` against a served sandbox: open orders read at the rate limit.

    .venv/bin/python bench/bench_track.py [--orders 2000] [--limit 20] [--concurrency 8]
                                          [--target 1.2]

Tracking is the nightly cost at scale (#11). The script makes ``--orders`` open orders first,
cheaply: it generates an xlsx of about that many portable numbers (``bench_inputs``) in a
temporary directory and runs ``batchport run --max-per-order 1`` against ``batchport sandbox
serve --rate-limit off`` with no latency, keeping the sandbox's state file and the journal. It
then stops that server, serves the same state file again on the same 127.0.0.1 port (the
journal names the batch's target by its URL) with 50 ms latency and a limit of ``--limit``
requests/s (20), and runs ``batchport track --json --rate LIMIT`` as a whole process against it.

It prints the API calls made (the sandbox's ``/_sandbox/stats`` request count, token included,
as ``track --json`` does not report calls), the floor (one GET per open order at the limit),
the wall time of the track process, their ratio (``--target``, at most 1.2), the 429s and the
peak memory of the track process (target under 1 GiB). The wall time includes starting Python
and rewriting the batch's result workbook, so the ratio is the whole command's.

Making 2,000 orders takes about a minute on a 2-core machine, tracking them at least 100 s;
``--orders 200`` for a quick run. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_inputs import write_xlsx
from bench_run import (
    BATCHPORT,
    LATENCY_MS,
    RATE,
    Sandbox,
    free_port,
    run_process,
    serve_sandbox,
)

#: Setting up runs as fast as the machine allows: no rate limit, no latency on the sandbox.
SETUP_RATE = 1000
#: A few of the generated numbers are not portable; ask for a little more than the orders.
PORTABLE_SHARE = 0.97


@dataclass(frozen=True)
class Tracking:
    """How the ``batchport track`` process is told to pace itself, and what the sandbox allows."""

    limit: float = RATE
    concurrency: int = 8
    target: float = 1.2


def serve(state: Path, port: int, latency_ms: int, limit: str) -> Sandbox:
    """Serve a sandbox keeping its orders in ``state`` on ``port``; return once it listens."""
    return serve_sandbox(state, port, ["--latency-ms", str(latency_ms), "--rate-limit", limit])


def stats(sandbox: Sandbox) -> dict[str, Any]:
    """The sandbox's ``/_sandbox/stats``: requests, responses by status, faults, orders."""
    url = sandbox.env["SINCH_PORTING_URL"] + "/_sandbox/stats"
    with urllib.request.urlopen(url, timeout=10) as reply:
        answer: dict[str, Any] = json.load(reply)
        return answer


def make_orders(folder: Path, orders: int, port: int) -> int:
    """Create about ``orders`` one-number orders on an unlimited sandbox; return how many."""
    rows = round(orders / PORTABLE_SHARE)
    xlsx = write_xlsx(folder / "track.xlsx", rows)
    sandbox = serve(folder / "sandbox.sqlite", port, 0, "off")
    try:
        command = [*BATCHPORT, "run", str(xlsx), "--yes", "--json", "--max-per-order", "1"]
        command += ["--rate", str(SETUP_RATE), "--concurrency", "8"]
        command += ["--out", str(folder / "track.result.xlsx")]
        env = {**sandbox.env, "BATCHPORT_STATE": str(folder / "journal.sqlite")}
        summary, wall, _ = run_process(command, env, folder, "run")
    finally:
        sandbox.stop()
    made = len(summary["orders"])
    print(f"setup: {rows:,} rows -> {made:,} one-number orders in {wall:.0f} s (no rate limit)")
    return made


def track(folder: Path, port: int, tracking: Tracking) -> bool:
    """Serve the same orders with latency and a limit, track them, print the figures."""
    sandbox = serve(folder / "sandbox.sqlite", port, LATENCY_MS, f"{tracking.limit:g}")
    try:
        before = stats(sandbox)
        command = [*BATCHPORT, "track", "--json", "--rate", f"{tracking.limit:g}"]
        command += ["--concurrency", str(tracking.concurrency)]
        env = {**sandbox.env, "BATCHPORT_STATE": str(folder / "journal.sqlite")}
        result, wall, peak = run_process(command, env, folder, "track")
        after = stats(sandbox)
    finally:
        sandbox.stop()
    calls = after["requests"] - before["requests"]
    limited = after["faults"].get("rateLimited", 0) - before["faults"].get("rateLimited", 0)
    read = result["orders_read"]
    floor = read / tracking.limit
    ratio = wall / floor
    print(f"track: {read:,} open orders read; result workbook rewritten: {bool(result['result'])}")
    print(f"  API calls made:  {calls:,} (unavoidable: {read:,} GETs; the rest token requests)")
    print(f"  floor:           {read:,} GETs / {tracking.limit:g} req/s = {floor:.2f} s")
    print(f"  wall time:       {wall:.2f} s (the whole track process)")
    print(f"  ratio:           {ratio:.2f}x the floor (target <= {tracking.target:g})")
    print(f"  429s:            {limited}")
    print(f"  peak memory:     {peak} MiB (target < 1024)")
    return ratio <= tracking.target and peak < 1024


def main() -> None:
    """Make the open orders, track them, print the figures; exit 1 when a target fails."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--limit", type=float, default=RATE, help="the sandbox's requests/s")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--target", type=float, default=1.2, help="most wall time / floor")
    args = parser.parse_args()
    tracking = Tracking(args.limit, args.concurrency, args.target)
    with tempfile.TemporaryDirectory() as name:
        folder, port = Path(name), free_port()
        make_orders(folder, args.orders, port)
        ok = track(folder, port, tracking)
    print("all targets met" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
