"""Serving the sandbox over TCP with uvicorn (``batchport sandbox serve``).

uvicorn handles Ctrl-C itself: it stops accepting connections, finishes the requests in
flight, runs the app's shutdown (closing the state file) and returns from ``serve``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading

import uvicorn

from batchport.errors import ConfigError
from batchport.sandbox.app import create_app
from batchport.sandbox.config import SandboxConfig
from batchport.sandbox.faults import DroppedConnection

__all__ = ["SandboxServer", "build_server", "export_lines", "listen", "serve"]


def export_lines(host: str, port: int, config: SandboxConfig, project_id: str) -> list[str]:
    """The shell ``export`` lines that point batchport (or curl) at a served sandbox."""
    root = f"http://{host}:{port}"
    return [
        f"export SINCH_PORTING_URL={root}",
        f"export SINCH_AUTH_URL={root}/oauth2/token",
        f"export SINCH_KEY_ID={config.key_id}",
        f"export SINCH_KEY_SECRET={config.key_secret}",
        f"export SINCH_PROJECT_ID={project_id}",
    ]


class _QuietDrops(logging.Filter):
    """Injected drops are on purpose: log one line instead of uvicorn's traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], DroppedConnection):
            record.msg, record.args, record.exc_info = "dropped a connection (injected)", (), None
        return True


class SandboxServer(uvicorn.Server):
    """A uvicorn server that also signals a ``threading.Event`` once it is listening.

    Tests serve it from a thread: wait on ``ready``, read ``port``, set ``should_exit`` to stop.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening, then set ``ready`` (also when startup failed, to not block)."""
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()

    @property
    def port(self) -> int:
        """The TCP port actually bound (useful with port 0)."""
        bound: tuple[str, int] = self.servers[0].sockets[0].getsockname()[:2]
        return bound[1]


def build_server(
    config: SandboxConfig, host: str, port: int, *, log_level: str = "warning"
) -> SandboxServer:
    """A uvicorn server for a new sandbox app, not yet started.

    Port 0 picks a free port (read ``server.port`` once ``server.ready`` is set). Raises
    ``ConfigError``/``JournalError`` for a bad scenario or state file.
    """
    app = create_app(config)
    uvicorn_config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, lifespan="on", access_log=False
    )
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    return SandboxServer(uvicorn_config)


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0 picks a free port) and listening.

    Bound before anything is printed, so the exports name the port really bound. Raises
    ConfigError with one line when the address is taken or cannot be used.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port "
            "(--port 0 picks a free one)"
        ) from exc
    return sock


def serve(config: SandboxConfig, sock: socket.socket) -> None:
    """Serve on ``sock`` until interrupted (Ctrl-C or SIGTERM); returns after a clean shutdown."""
    host, port = sock.getsockname()[:2]
    # uvicorn re-raises the Ctrl-C it caught once its own shutdown has finished.
    with contextlib.suppress(KeyboardInterrupt):
        build_server(config, host, port, log_level="info").run(sockets=[sock])
