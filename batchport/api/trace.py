"""``--trace FILE``: one JSON line per HTTP exchange, with every secret masked.

Each line holds the time (UTC), operation, attempt, method, path (with query), status (null
when no answer came), duration in milliseconds, the request and response bodies and, when no
answer came, the error. Bodies pass through :func:`batchport.redaction.redact_json`, which
masks secret fields (PINs, account numbers, tokens, key secrets, document contents), then
what comes from elsewhere (bodies, path, error) through :func:`batchport.redaction.scrub_json`,
which masks every secret value known to the process wherever it appears: a service quoting a
PIN in a ``message`` shows it masked. Headers (where the credentials travel) are not written at
all, except ``Retry-After``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

import httpx

from batchport.errors import ConfigError
from batchport.outputs import create_private
from batchport.redaction import redact_json, scrub, scrub_json

logger = logging.getLogger(__name__)

__all__ = ["Label", "TraceWriter", "body_for_trace", "label", "label_of"]

_LABEL = "batchport.label"


@dataclass(frozen=True)
class Label:
    """The operation a request serves and which attempt of it the request is (1-based)."""

    operation: str
    attempt: int


def label(operation: str, attempt: int) -> dict[str, object]:
    """Request ``extensions`` naming ``operation`` and ``attempt`` (httpx passes them along)."""
    return {_LABEL: Label(operation, attempt)}


def label_of(request: httpx.Request) -> Label:
    """The label given to ``request``; ``unlabelled``, attempt 0, when it has none."""
    found = request.extensions.get(_LABEL)
    return found if isinstance(found, Label) else Label("unlabelled", 0)


def body_for_trace(content: bytes, content_type: str) -> Any:
    """A body as it may appear in a trace: redacted JSON, redacted form fields, or a size.

    Secret fields are masked, then every secret value known to the process wherever it appears.
    """
    if not content:
        return None
    if "application/x-www-form-urlencoded" in content_type:
        return scrub_json(redact_json(dict(parse_qsl(content.decode("utf-8", "replace")))))
    try:
        return scrub_json(redact_json(json.loads(content)))
    except (ValueError, UnicodeDecodeError):
        return f"<{len(content)} bytes of {content_type or 'unknown type'}>"


class TraceWriter:
    """Appends exchange records to a JSON-lines file. Close it when done (or use ``with``)."""

    def __init__(self, path: Path) -> None:
        """Open ``path`` for appending; ConfigError when it cannot be written.

        A new trace file is readable by its owner only (0600): it holds customer data.
        """
        self.path = path
        try:
            create_private(path)
            self._file: IO[str] = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot write the trace file {path}: {exc.strerror or exc}; choose another --trace"
            ) from None
        self._lock = threading.Lock()
        self.stopped = False

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close the file (a failing flush was already reported)."""
        with contextlib.suppress(OSError):
            self._file.close()

    def record(
        self,
        *,
        operation: str,
        attempt: int,
        request: httpx.Request,
        response: httpx.Response | None,
        duration: float,
        error: str = "",
    ) -> None:
        """Write one exchange; ``duration`` is in seconds."""
        path = scrub(request.url.raw_path.decode("ascii", "replace"))
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "operation": operation,
            "attempt": attempt,
            "method": request.method,
            "path": path,
            "status": response.status_code if response is not None else None,
            "duration_ms": round(duration * 1000, 1),
            "request": body_for_trace(request.content, request.headers.get("content-type", "")),
            "response": None,
        }
        if response is not None:
            entry["response"] = body_for_trace(
                response.content, response.headers.get("content-type", "")
            )
            if "retry-after" in response.headers:
                entry["retry_after"] = response.headers["retry-after"]
        if error:
            entry["error"] = scrub(error)
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            if self.stopped:
                return
            try:
                self._file.write(line + "\n")
                self._file.flush()
            except OSError as exc:
                # A full disk must not end a run whose orders are being created: stop tracing.
                self.stopped = True
                logger.warning(
                    "Tracing stopped: cannot write %s (%s); the run goes on without a trace",
                    self.path,
                    exc.strerror or exc,
                )
