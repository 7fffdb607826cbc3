"""Benchmark of ``batchport run`` against a served sandbox: speed at the rate limit, and safety.

    .venv/bin/python bench/bench_run.py [--rows 100000] [--concurrency 8] [--limit 20]
                                        [--rate LIMIT] [--target 1.2] [--only clean|faults]

Generates a realistic xlsx (``--rows``, US and Canadian numbers, see ``bench_inputs``) in a
temporary directory (nothing is committed), serves ``batchport sandbox serve`` on a free port of
127.0.0.1 with 50 ms latency and a rate limit of ``--limit`` requests/s (20), and runs
``batchport run --yes --json --rate LIMIT`` as a whole process against it, twice, each time with
a fresh sandbox and journal:

1. ``clean``: prints the API calls made, the floor (one portability call per 500 numbers plus
   one create per planned order, at the sandbox's limit), the API phase (portability, planning
   and submission, from the run's ``stages`` timings), their ratio (``--target``, at most 1.2 by
   default; ``--limit 5 --target 1.3`` is the slow-service check), the wall time and the peak
   memory of the run process (target under 1 GiB).
2. ``faults``: the same with 20 % ambiguous creates and 5 % random 5xx; then lists every order
   on the sandbox through ``batchport.api`` and checks that no two orders share a reference, no
   number is in two orders, and every portable number is in exactly one order.

The client runs 8 requests at once by default (``--concurrency``, at most 8): keeping 20
requests/s going needs 20 times the time each takes in flight (creates take the sandbox a median
of about 70 ms, 120 ms at the 90th percentile), and each submitting worker also does local work
between its creates; 8 leaves room for both.

``--rate 40`` runs the client faster than the sandbox allows, to see how it copes with 429s
(the floor stays at the sandbox's limit).

Takes about three minutes for 100,000 rows on a 2-core machine; ``--rows 5000`` for a quick run.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_inputs import write_xlsx

PYTHON = sys.executable
BATCHPORT = [PYTHON, "-m", "batchport"]
RATE = 20
LATENCY_MS = 50
CHUNK = 500
FAULTS = ["--ambiguous-rate", "0.2", "--fault-rate", "0.05"]


@dataclass(frozen=True)
class Client:
    """How the ``batchport run`` process is told to pace itself, and what the sandbox allows."""

    rate: float = RATE
    concurrency: int = 8
    limit: float = RATE
    target: float = 1.2


@dataclass
class Sandbox:
    """A ``batchport sandbox serve`` process and the environment that points batchport at it."""

    process: subprocess.Popen[str]
    env: dict[str, str]

    def faults(self) -> dict[str, int]:
        """What the sandbox injected or refused so far (its ``/_sandbox/stats``)."""
        url = self.env["SINCH_PORTING_URL"] + "/_sandbox/stats"
        with urllib.request.urlopen(url, timeout=10) as reply:
            counts: dict[str, int] = json.load(reply)["faults"]
            return counts

    def stop(self) -> None:
        """Stop the server (SIGTERM: uvicorn shuts down cleanly) and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_sandbox(state: Path, extra: list[str], limit: float) -> Sandbox:
    """Serve a sandbox keeping its orders in the new file ``state``; return once it listens."""
    options = ["--latency-ms", str(LATENCY_MS), "--rate-limit", f"{limit:g}", *extra]
    return serve_sandbox(state, free_port(), options)


def serve_sandbox(state: Path, port: int, options: list[str]) -> Sandbox:
    """Serve a sandbox with ``options`` on ``port``, its orders in ``state``; return once it
    listens, with the environment its ``export`` lines set."""
    command = [*BATCHPORT, "sandbox", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--state", str(state), "--seed", "7", *options]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    env = dict(os.environ)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            env[name] = value
        if "SINCH_PROJECT_ID" in line:
            break
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return Sandbox(process, env)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox did not start listening within 30 s")


def run_batch(xlsx: Path, folder: Path, sandbox: Sandbox, client: Client) -> dict[str, Any]:
    """Run ``batchport run`` as a process; return its JSON summary plus wall time and peak RSS."""
    env = {**sandbox.env, "BATCHPORT_STATE": str(folder / "journal.sqlite")}
    command = [*BATCHPORT, "run", str(xlsx), "--yes", "--json", "--rate", str(client.rate)]
    command += ["--concurrency", str(client.concurrency), "--out", str(folder / "result.xlsx")]
    summary, wall, peak = run_process(command, env, folder, "run")
    summary.update(wall=wall, peak_mib=peak)
    return dict(summary)


def run_process(command: list[str], env: dict[str, str], folder: Path, name: str) -> Any:
    """Run one batchport command; return its JSON output, wall time and peak RSS in MiB."""
    out_path, err_path = folder / f"{name}.json", folder / f"{name}.err"
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        message = err_path.read_text(errors="replace")[-800:]
        raise SystemExit(f"batchport {name} failed ({code}): {message}")
    return json.loads(out_path.read_text()), wall, usage.ru_maxrss // 1024


def floor_of(summary: dict[str, Any], limit: float) -> tuple[int, float]:
    """The calls the job cannot avoid, and the seconds they need at the rate limit."""
    outcomes = summary["outcomes"]
    unchecked = ("invalid", "duplicate", "already_in_order")
    checked = sum(n for name, n in outcomes.items() if name not in unchecked)
    needed = math.ceil(checked / CHUNK) + len(summary["orders"])
    return needed, needed / limit


def print_speed(name: str, summary: dict[str, Any], client: Client) -> float:
    """Print the figures of one run; return its ratio to the floor.

    Retries and lookups are extra calls, so only the clean run is held to the target.
    """
    stages = summary["stages"]
    parts = {key: stages.get(key, 0.0) for key in ("portability", "plan", "submit")}
    api = sum(parts.values())
    needed, floor = floor_of(summary, client.limit)
    counts = ", ".join(f"{k} {v:,}" for k, v in summary["outcomes"].items() if v)
    print(f"[{name}] {summary['rows']:,} rows ({counts}); {len(summary['orders'])} orders")
    print(f"  API calls made:  {summary['api_calls']} (unavoidable: {needed})")
    print(f"  floor:           {needed} calls / {client.limit:g} req/s = {floor:.2f} s")
    detail = ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
    print(f"  API phase:       {api:.2f} s ({detail})")
    target = f"target <= {client.target:g}"
    if name != "clean":
        target = "no target: retries and lookups add calls"
    print(f"  ratio:           {api / floor:.2f}x the floor ({target})")
    made = summary["api_calls"] / client.limit
    print(
        f"  every call made: {made:.2f} s at {client.limit:g} req/s "
        f"({api / made:.2f}x for the API phase)"
    )
    others = ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
    print(f"  wall time:       {summary['wall']:.2f} s (stages: {others})")
    print(f"  peak memory:     {summary['peak_mib']} MiB (target < 1024)")
    return api / floor


def e164_numbers(rows: int) -> list[str]:
    """The generated numbers as E.164 (every generated row is valid)."""
    from bench_inputs import make_rows

    numbers = []
    for values in make_rows(rows):
        digits = "".join(ch for ch in values[0] if ch.isdigit())
        numbers.append("+1" + digits[-10:])
    return numbers


async def sandbox_orders(env: dict[str, str], limit: float) -> tuple[list[Any], set[str]]:
    """Every order on the sandbox with its numbers, and the numbers the sandbox calls portable.

    Asked through ``batchport.api`` at the sandbox's rate limit; ``numbers`` to re-check come
    from the generated input, so the check does not trust the journal under test.
    """
    from batchport.connection import open_client
    from batchport.settings import Settings

    settings = Settings(
        project_id=env["SINCH_PROJECT_ID"],
        key_id=env["SINCH_KEY_ID"],
        key_secret=env["SINCH_KEY_SECRET"],
        porting_url=env["SINCH_PORTING_URL"],
        auth_url=env["SINCH_AUTH_URL"],
        rate=limit,
        concurrency=4,
        max_attempts=10,
    )
    async with open_client(settings) as client:
        summaries = [order async for order in client.iter_orders(page_size=100)]
        orders = await asyncio.gather(*(client.get_order(o.id) for o in summaries))
        numbers = e164_numbers(int(env["BENCH_ROWS"]))
        chunks = [numbers[i : i + CHUNK] for i in range(0, len(numbers), CHUNK)]
        answers = await asyncio.gather(*(client.check_portability(c) for c in chunks))
    portable = {a.phone_number for chunk in answers for a in chunk if a.portable}
    return list(orders), portable


def check_orders(orders: list[Any], portable: set[str]) -> bool:
    """Print the duplicate and coverage counts; return True when every check holds."""
    references = Counter(order.customer_order_reference for order in orders)
    active = [order for order in orders if str(order.status) != "CANCELED"]
    placed = Counter(n.phone_number for order in active for n in order.phone_numbers)
    shared_refs = sum(1 for count in references.values() if count > 1)
    twice = sum(1 for count in placed.values() if count > 1)
    missing = len(portable - placed.keys())
    stray = len(placed.keys() - portable)
    once = sum(1 for number in portable if placed.get(number) == 1)
    print(f"  orders on the sandbox: {len(orders)} ({len(active)} active)")
    print(f"  references shared by two or more orders: {shared_refs}")
    print(f"  numbers in two or more active orders:    {twice}")
    print(f"  portable numbers: {len(portable):,}; in exactly one order: {once:,}; "
          f"in none: {missing}; numbers in orders that are not portable: {stray}")  # fmt: skip
    return shared_refs == twice == missing == stray == 0


def scenario(name: str, xlsx: Path, rows: int, client: Client) -> bool:
    """One fresh sandbox and journal, one run; returns whether its targets held."""
    with tempfile.TemporaryDirectory() as folder:
        extra = FAULTS if name == "faults" else []
        sandbox = start_sandbox(Path(folder) / "sandbox.sqlite", extra, client.limit)
        try:
            summary = run_batch(xlsx, Path(folder), sandbox, client)
            ratio = print_speed(name, summary, client)
            injected = ", ".join(f"{k} {v}" for k, v in sandbox.faults().items())
            print(f"  sandbox replies: {injected} (rateLimited = 429s)")
            if name == "clean":
                return ratio <= client.target and summary["peak_mib"] < 1024
            if summary["outcomes"].get("failed"):
                # What a user does after retries ran out: the same command again (it resumes).
                failed = summary["outcomes"]["failed"]
                print(f"  {failed} rows failed; running the same command again")
                summary = run_batch(xlsx, Path(folder), sandbox, client)
                print(f"  rerun: {summary['outcomes']}, {summary['api_calls']} API calls")
            env = {**sandbox.env, "BENCH_ROWS": str(rows)}
            held = check_orders(*asyncio.run(sandbox_orders(env, client.limit)))
            return held and summary["peak_mib"] < 1024
        finally:
            sandbox.stop()


def main() -> None:
    """Generate the input, run the scenarios, print the figures; exit 1 when a target fails."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--limit", type=float, default=RATE, help="the sandbox's requests/s")
    parser.add_argument("--rate", type=float, help="the client's --rate (default: --limit)")
    parser.add_argument("--target", type=float, default=1.2, help="most API phase / floor")
    parser.add_argument("--only", choices=("clean", "faults"))
    args = parser.parse_args()
    client = Client(args.rate or args.limit, args.concurrency, args.limit, args.target)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        xlsx = write_xlsx(Path(folder) / "bench.xlsx", args.rows)
        print(f"{args.rows:,}-row input generated in {time.perf_counter() - started:.0f} s")
        ok = all(
            [
                scenario(name, xlsx, args.rows, client)
                for name in ("clean", "faults")
                if args.only in (None, name)
            ]
        )
    print("all targets met" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
