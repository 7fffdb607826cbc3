"""A fake Sinch that quotes every secret of a request back, and the search for leaked secrets.

:class:`QuotingSinch` is an ``httpx`` handler (for ``MockTransport``) that can also be served on
loopback (:func:`serve_on_loopback`) for tests of the command line in a subprocess. Its token
endpoint echoes the key secret and its Basic encoding when told to fail; its order endpoint
answers each new order reference with the next of :data:`CREATE_ANSWERS`, every one of them
quoting the request's PINs and account numbers back.

The secrets are distinctive (letters and digits) so that a hit in a workbook's XML, a journal
dump or a log can only be a leak, never a timestamp or a hash that happens to hold the digits.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

KEY_ID = "quoted-key-id"
KEY_SECRET = "Ks3cr3tQuotedBack"
BASIC = base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
ISSUED_TOKEN = "tok-Zq81mWv0Lp"
#: PINs of 3, 4, 6 and 8 characters, one per input row, and an account number per row.
PINS = ("Q7z", "K4p9", "X8m2Vq", "T5r8W2n6")
ACCOUNTS = ("ACCT-Q55XR9021", "BAN7Y3K2Z8W", "ACCT-HJ2P7740", "BAN4N6T1QX5")
SECRETS = (KEY_SECRET, BASIC, ISSUED_TOKEN, *PINS, *ACCOUNTS)

#: How the order endpoint answers the first create of each new reference, in turn: a 422
#: refusing its first number, a 500 echoing the whole request, a 400 refusing the whole order,
#: each quoting every PIN and account number of the request.
CREATE_ANSWERS = ("refuse_numbers", "echo_500", "refuse_order")


def _secrets_of(order: dict[str, Any]) -> list[str]:
    found = []
    for number in order.get("phoneNumbers") or []:
        info = number.get("portOutInfo") or {}
        found += [info.get("existingPortOutPin") or "", info.get("accountNum") or ""]
    return [value for value in found if value]


class QuotingSinch:
    """A token endpoint and the Porting API operations a run uses, quoting secrets back.

    ``token`` is how the token endpoint answers: ``ok``, ``refuse`` (401) or ``fail`` (500),
    both failures echoing the credentials. Creates after the first of a reference succeed.
    """

    def __init__(self, token: str = "ok") -> None:
        self.token = token
        self.modes: dict[str, str] = {}
        self.orders: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if request.url.path.endswith("/oauth2/token"):
                return self._token(request)
            body = json.loads(request.content) if request.content else None
            path = request.url.path.split("/", 4)[-1]  # below /v1/projects/{id}/
            if path == "portabilityChecks":
                numbers = body["phoneNumbers"]
                answer = [
                    {"phoneNumber": n, "portable": True, "carrier": "Verizon"} for n in numbers
                ]
                return httpx.Response(200, json={"phoneNumbers": answer})
            if path == "orders/portIns" and request.method == "POST":
                return self._create(body)
            if path == "orders/portIns":
                return httpx.Response(200, json={"orders": [], "totalPages": 1, "page": 1})
            return httpx.Response(404, json={"message": f"no route {request.url.path}"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.token == "ok":
            return httpx.Response(200, json={"access_token": ISSUED_TOKEN, "expires_in": 3600})
        header = request.headers.get("authorization", "")
        said = f"client {KEY_ID} with secret {KEY_SECRET} refused (Authorization: {header})"
        if self.token == "refuse":
            return httpx.Response(401, json={"error": "invalid_client", "message": said})
        return httpx.Response(500, json={"message": said, "echo": {"authorization": header}})

    def _create(self, order: dict[str, Any]) -> httpx.Response:
        reference = order["customerOrderReference"]
        if reference in self.modes:
            return self._created(order)
        mode = CREATE_ANSWERS[len(self.modes) % len(CREATE_ANSWERS)]
        self.modes[reference] = mode
        quoted = ", ".join(_secrets_of(order))
        if mode == "echo_500":
            said = f"internal error while storing {json.dumps(order)}"
            return httpx.Response(500, json={"message": said, "request": order})
        if mode == "refuse_order":
            violation = {"field": "desiredPortDate", "description": f"not with {quoted}"}
            said = f"order refused; the carrier rejects {quoted}"
            return httpx.Response(400, json={"message": said, "details": [_bad(violation)]})
        violation = {  # the first number is refused; the order is sent again without it
            "field": "phoneNumbers[0].portOutInfo.existingPortOutPin",
            "description": f"does not match any of {quoted}",
        }
        body = {
            "code": "422",
            "message": f"invalid port-out info: {quoted}",
            "details": {"fieldViolations": [violation]},
        }
        return httpx.Response(422, json=body)

    def _created(self, order: dict[str, Any]) -> httpx.Response:
        self.orders.append(order)
        numbers = [
            {"phoneNumber": n["phoneNumber"], "status": "PENDING"} for n in order["phoneNumbers"]
        ]
        created = {
            "id": 5000 + len(self.orders),
            "status": "PENDING",
            "customerOrderReference": order["customerOrderReference"],
            "phoneNumbers": numbers,
        }
        return httpx.Response(201, json=created)


def _bad(violation: dict[str, str]) -> dict[str, Any]:
    return {"type": "BadRequest", "fieldViolations": [violation]}


def leaks(texts: Iterable[str]) -> dict[str, list[int]]:
    """Each secret found in ``texts`` (case-insensitively) → the indexes of the texts holding it."""
    folded = [text.lower() for text in texts]
    found: dict[str, list[int]] = {}
    for secret in SECRETS:
        hits = [i for i, text in enumerate(folded) if secret.lower() in text]
        if hits:
            found[secret] = hits
    return found


def output_texts(folder: Path) -> dict[str, str]:
    """The text of every file under ``folder``: workbooks unzipped, SQLite files dumped."""
    import sqlite3
    import zipfile

    texts: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for part in book.namelist():
                    texts[f"{name}:{part}"] = book.read(part).decode("utf-8", "replace")
        elif path.suffix == ".sqlite":
            with sqlite3.connect(path) as db:
                texts[name] = "\n".join(db.iterdump())
        else:
            texts[name] = path.read_bytes().decode("utf-8", "replace")
    return texts


@contextmanager
def serve_on_loopback(handler: QuotingSinch) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 in a thread; yields its base URL."""

    class Bridge(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            size = int(self.headers.get("content-length") or 0)
            request = httpx.Request(
                self.command,
                f"http://127.0.0.1{self.path}",
                headers=dict(self.headers.items()),
                content=self.rfile.read(size),
            )
            response = handler(request)
            self.send_response(response.status_code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads the client's output, not the server's."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Bridge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
