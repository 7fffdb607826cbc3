"""The sandbox over a real socket: uvicorn on 127.0.0.1, the README's curl session, a drop."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sandbox_harness import order_body, portable
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from batchport.cli import main
from batchport.sandbox import SandboxConfig
from batchport.sandbox.serve import SandboxServer, build_server, export_lines, listen
from batchport.settings import SANDBOX_PROJECT

REPO_ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@contextmanager
def served(config: SandboxConfig) -> Iterator[SandboxServer]:
    """Serve a sandbox on a free loopback port from a thread; stop it cleanly afterwards."""
    server = build_server(config, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert server.ready.wait(timeout=30) and server.started, "sandbox did not start"
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive()


def test_session_over_a_real_socket_and_a_dropped_connection() -> None:
    numbers = portable(2, seed=0)
    body = order_body(numbers)
    body["desiredPortSchedule"]["desiredPortDate"] = (
        datetime.now(UTC).date() + timedelta(days=7)
    ).isoformat()
    with served(SandboxConfig(rate_limit=None)) as server:
        root = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=root) as client:
            token = client.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=("sandbox", "sandbox"),
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            api = "/v1/projects/p/orders/portIns"
            created = client.post(api, json=body, headers=headers)
            listed = client.get(api, headers=headers)
            unauthorized = client.get(api)
    assert created.status_code == 201
    assert listed.json()["totalItems"] == 1
    assert unauthorized.status_code == 401 and unauthorized.content == b""

    with (
        served(SandboxConfig(rate_limit=None, drop_rate=1.0)) as server,
        httpx.Client(base_url=f"http://127.0.0.1:{server.port}") as client,
    ):
        with pytest.raises(httpx.TransportError):
            client.get("/v1/projects/p/configuration", auth=("sandbox", "sandbox"))
        stats = client.get("/_sandbox/stats").json()
    assert stats["faults"]["dropped"] == 1


def _readme_session() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `batchport sandbox serve`", 1)[1]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return next(b for b in blocks if "curl" in b)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_session_works_as_written() -> None:
    session = _readme_session()
    with served(SandboxConfig()) as server:
        script = session.replace("127.0.0.1:8080", f"127.0.0.1:{server.port}")
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert lines[-1] == "CANCELED"
    assert '"carrier"' in lines[0] and re.match(r"created order \d+$", lines[1])
    assert '"status":"PENDING"' in lines[2] and '"totalItems":1' in lines[3]


def test_export_lines_point_at_the_server() -> None:
    lines = export_lines("127.0.0.1", 8080, SandboxConfig(), SANDBOX_PROJECT)
    assert lines == [
        "export SINCH_PORTING_URL=http://127.0.0.1:8080",
        "export SINCH_AUTH_URL=http://127.0.0.1:8080/oauth2/token",
        "export SINCH_KEY_ID=sandbox",
        "export SINCH_KEY_SECRET=sandbox",
        "export SINCH_PROJECT_ID=sandbox-project",
    ]


def test_serve_command_rejects_a_bad_rate_limit() -> None:
    result = CliRunner().invoke(main, ["sandbox", "serve", "--rate-limit", "fast"])
    assert result.exit_code == 1
    assert "rate_limit" in result.output


@pytest.mark.parametrize("where", ["given", "default", "memory"])
def test_serve_command_prints_exports_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, where: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    given = tmp_path / "new-folder" / "served.sqlite"
    default = tmp_path / "xdg" / "batchport" / "sandbox-served.sqlite"
    extra = {"given": ["--state", str(given)], "default": [], "memory": ["--memory"]}[where]
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")}
    env.pop("BATCHPORT_STATE", None)
    command = [sys.executable, "-m", "batchport", "sandbox", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        started = []
        for line in process.stderr:
            started.append(line)
            if "Application startup complete" in line:
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        err = "".join(started) + err
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert f"export SINCH_PORTING_URL=http://127.0.0.1:{port}" in out
    assert "Sandbox stopped." in err and "Application shutdown complete" in err
    expected = {"given": given, "default": default, "memory": None}[where]
    if expected is None:
        assert "Sandbox state: in memory" in err
        assert not default.exists()
    else:
        assert f"Sandbox state: {expected}" in err and expected.is_file()


def test_serve_command_refuses_memory_with_a_state_file(tmp_path: Path) -> None:
    args = ["sandbox", "serve", "--memory", "--state", str(tmp_path / "s.sqlite")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "--memory and --state" in result.output


def test_served_sandbox_delivers_webhooks_with_its_own_client() -> None:
    received: list[dict[str, object]] = []
    arrived = threading.Event()

    async def hook(request: Request) -> Response:
        received.append(json.loads(await request.body()))
        arrived.set()
        return Response(status_code=204)

    receiver = SandboxServer(
        uvicorn.Config(
            Starlette(routes=[Route("/hooks", hook, methods=["POST"])]),
            host="127.0.0.1",
            port=0,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=receiver.run, daemon=True)
    thread.start()
    assert receiver.ready.wait(timeout=30)
    body = order_body(portable(1, seed=0))
    body["desiredPortSchedule"]["desiredPortDate"] = (
        datetime.now(UTC).date() + timedelta(days=7)
    ).isoformat()
    try:
        with (
            served(SandboxConfig(rate_limit=None)) as server,
            httpx.Client(
                base_url=f"http://127.0.0.1:{server.port}/v1/projects/p",
                auth=("sandbox", "sandbox"),
            ) as client,
        ):
            url = f"http://127.0.0.1:{receiver.port}/hooks"
            assert client.post("/configuration", json={"webhookUrl": url}).status_code == 200
            order_id = client.post("/orders/portIns", json=body).json()["id"]
            client.post(f"/orders/portIns/{order_id}/notes", json={"note": "over the wire"})
            assert arrived.wait(timeout=30)
    finally:
        receiver.should_exit = True
        thread.join(timeout=30)
    assert received == [
        {"type": "NEW_ORDER_NOTE", "orderId": str(order_id), "note": "over the wire"}
    ]


def test_port_zero_prints_the_port_really_bound_and_serves_there(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "batchport", "sandbox", "serve", "--port", "0", "--memory"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert process.stdout is not None
        url = ""
        for line in iter(process.stdout.readline, ""):
            if line.startswith("export SINCH_PORTING_URL="):
                url = line.strip().split("=", 1)[1]
            if line.startswith("export SINCH_PROJECT_ID="):
                break
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        assert port != 0
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass  # the socket the exports name accepts connections
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_a_busy_port_is_one_line_before_any_export(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        args = ["sandbox", "serve", "--port", str(port), "--memory"]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "export" not in result.stdout
    assert result.stderr.strip().startswith(f"Error: cannot listen on 127.0.0.1:{port}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_connections_accepted_on_a_listening_socket_send_without_delay() -> None:
    # asyncio turns Nagle's algorithm off only on sockets it knows are TCP; with it on, a
    # response written in two parts (headers, body) waited 40 ms for the client's delayed ACK.
    async def accepted_nodelay() -> int:
        sock = listen("127.0.0.1", 0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = writer.get_extra_info("socket")
            seen.set_result(peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=sock)
        async with server:
            port = sock.getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            value = await asyncio.wait_for(seen, 10)
            writer.close()
        return value

    assert asyncio.run(accepted_nodelay()) != 0
