"""The sandbox runtime: state, clock, carrier model, faults and webhooks, plus the smaller
operations (portability, notes, documents, activation, configuration, clock and stats).

Port-in order create/get/list/update/cancel live in ``orders``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from batchport.sandbox import lifecycle
from batchport.sandbox.auth import Authenticator
from batchport.sandbox.carriers import CarrierModel, NumberFacts, load_scenario
from batchport.sandbox.config import SandboxConfig
from batchport.sandbox.faults import Faults, RateLimiter
from batchport.sandbox.orders import find
from batchport.sandbox.replies import ApiFailure, Violation
from batchport.sandbox.state import Store
from batchport.sandbox.validation import (
    Checker,
    check_configuration,
    check_fields,
    check_number_list,
)
from batchport.sandbox.webhooks import WebhookSender

__all__ = ["Sandbox"]

MAX_NOTE = 4000
#: Who holds a number once it was ported in and activated, and why it is not portable then.
PORTED_CARRIER = "Sinch"
PORTED_REASON = "Number is already ported in to Sinch and active"
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
Events = list[tuple[str, dict[str, Any]]]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Sandbox:
    """Everything one sandbox app holds; built by ``create_app``.

    Raises ``ConfigError`` for an unreadable scenario and ``JournalError`` for a bad state file.
    """

    def __init__(self, config: SandboxConfig, webhook_client: httpx.AsyncClient | None) -> None:
        self.config = config
        self.store = Store(config.state_path)
        for record in self.store.orders.values():
            self.store.schedule(record, lifecycle.next_due(record))
        scenario = load_scenario(config.scenario) if config.scenario is not None else ()
        self.model = CarrierModel(config.seed, scenario)
        self.stats: dict[str, Any] = {
            "requests": 0,
            "ordersCreated": 0,
            "createsReceived": 0,
            "responses": {},
            "faults": dict.fromkeys(
                ("rateLimited", "serverErrors", "dropped", "ambiguousCreates"), 0
            ),
            "webhooks": dict.fromkeys(("attempts", "delivered", "failed"), 0),
        }
        self.auth = Authenticator(config)
        self.limiter = (
            RateLimiter(config.rate_limit, config.bucket_size, config.monotonic)
            if config.rate_limit is not None
            else None
        )
        self.faults = Faults(config, self.stats["faults"])
        self.webhooks = WebhookSender(
            webhook_client, config.sleep, config.webhook_attempts, self.stats["webhooks"]
        )

    # -- clock -----------------------------------------------------------------------------------

    def today(self) -> date:
        """The sandbox date: the start date plus every day the clock was advanced."""
        start = self.config.today or datetime.now(UTC).date()
        return start + timedelta(days=self.store.clock_days)

    def catch_up(self) -> Events:
        """Apply everything due by today; returns ``(project, event)`` pairs. Cheap when idle."""
        due = self.store.pop_due(self.today().isoformat())
        events: Events = []
        for record in due:
            events += [(record.project, e) for e in lifecycle.run_due(record, self.today())]
            self.store.reindex(record)
            self.store.schedule(record, lifecycle.next_due(record))
        if due:
            self.store.save(due)
        return events

    def advance(self, body: Any) -> tuple[dict[str, Any], Events]:
        """Move the clock ``{"days": N}`` forward (0..3650) and run what fell due."""
        days = body.get("days") if isinstance(body, dict) else None
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3650:
            raise ApiFailure.invalid([Violation("days", "Must be a whole number from 0 to 3650")])
        self.store.clock_days += days
        events = self.catch_up()
        self.store.save()
        return {"today": self.today().isoformat(), "clockDays": self.store.clock_days}, events

    def webhook_url(self, project: str) -> str | None:
        """The project's configured ``webhookUrl``, if any."""
        url = self.store.configurations.get(project, {}).get("webhookUrl")
        return url or None

    # -- portability -----------------------------------------------------------------------------

    def facts(self, number: str) -> NumberFacts:
        """The carrier model's facts for ``number``, unless it was already ported in: a number
        ACTIVATED in an order is held by Sinch and no longer portable from its old carrier."""
        facts = self.model.facts(number)
        if number not in self.store.ported:
            return facts
        return replace(facts, carrier=PORTED_CARRIER, portable=False, reason=PORTED_REASON)

    def check_portability(self, body: Any) -> dict[str, Any]:
        """Carrier and portability per number, in the order asked."""
        answers = []
        for number in check_number_list(body):
            facts = self.facts(number)
            answers.append(
                {
                    "phoneNumber": number,
                    "portable": facts.portable,
                    "carrier": facts.carrier,
                    "reason": facts.reason,
                }
            )
        return {"phoneNumbers": answers}

    # -- notes and documents ---------------------------------------------------------------------

    def add_note(
        self, project: str, order_id: str, body: Any, user: str
    ) -> tuple[dict[str, Any], Events]:
        """Add a note from the caller; replies ``{id, note}``."""
        record = find(self, project, order_id)
        fields = check_fields(body, {"note": _note_text})
        event = lifecycle.add_note(record, fields["note"], user, _now())
        note_id = self.store.next_id("note")
        self.store.save([record])
        return {"id": note_id, "note": fields["note"]}, [(project, event)]

    def add_document(
        self, project: str, order_id: str, body: Any, user: str
    ) -> tuple[dict[str, Any], Events]:
        """Store a base64 document on the order; replies ``{id, documentName, description}``."""
        record = find(self, project, order_id)
        fields = check_fields(
            body,
            {"documentName": _document_name, "description": _description, "content": _content},
        )
        doc_id = self.store.next_id("document")
        summary = {
            "id": doc_id,
            "documentName": fields["documentName"],
            "description": fields["description"],
        }
        record.body["documents"].append(summary)
        record.body.setdefault("loaUploadedBy", user)
        record.body.setdefault("loaAttachmentDate", _now())
        raw: bytes = fields["content"]
        self.store.documents[(project, doc_id)] = {
            **summary,
            "orderId": record.id,
            "fileContent": base64.b64encode(raw).decode(),
            "contentType": _sniff(raw),
        }
        self.store.save([record], document=(project, doc_id))
        return summary, []

    def get_document(self, project: str, order_id: str, document_id: str) -> dict[str, Any]:
        """The document with its content and sniffed content type."""
        record = find(self, project, order_id)
        doc = (
            self.store.documents.get((project, int(document_id))) if document_id.isdigit() else None
        )
        if doc is None or doc["orderId"] != record.id:
            raise ApiFailure.not_found(f"document {document_id} of order {order_id}")
        reply = {k: v for k, v in doc.items() if k != "orderId"}
        return {"documentId": doc["id"], **reply}

    # -- activation ------------------------------------------------------------------------------

    def available_activations(self, project: str, order_id: str) -> list[dict[str, Any]]:
        """Groups that can be activated now (a top-level array, as published)."""
        return lifecycle.available_groups(find(self, project, order_id), self.today())

    def activate(
        self, project: str, order_id: str, body: Any, user: str
    ) -> tuple[dict[str, Any], Events]:
        """Activate all available groups, or the named ``phoneNumberGroups``."""
        record = find(self, project, order_id)
        names = _group_names(body)
        if not record.body.get("onDemandActivation"):
            raise ApiFailure.invalid(
                [Violation("onDemandActivation", "The order does not use on-demand activation")]
            )
        results, events = lifecycle.activate_groups(record, names, self.today(), user)
        self.store.reindex(record)
        self.store.save([record])
        return {"phoneNumberGroups": results}, [(project, e) for e in events]

    # -- configuration ---------------------------------------------------------------------------

    def put_configuration(self, project: str, body: Any, *, create: bool) -> dict[str, Any]:
        """POST stores (or replaces) the configuration; PUT needs one to exist already."""
        if not create and project not in self.store.configurations:
            raise ApiFailure.not_found("configuration (create it with POST first)")
        self.store.configurations[project] = check_configuration(body)
        self.store.save(configuration=project)
        return self.store.configurations[project]

    def get_configuration(self, project: str) -> dict[str, Any]:
        """The project's configuration; 404 before one was created (INFERRED)."""
        found = self.store.configurations.get(project)
        if found is None:
            raise ApiFailure.not_found("configuration")
        return found

    async def aclose(self) -> None:
        """Release the webhook client and the state file."""
        await self.webhooks.aclose()
        self.store.close()


def _group_names(body: Any) -> list[str] | None:
    """The groups an activate body names; ``None`` (every ready group) for no body or ``{}``.

    Activation cannot be undone, so anything but the published shape (an object whose only
    field is an optional list of group names) is refused with 400 before anything happens:
    ``{"groupIds": [...]}`` must not read as "activate everything".
    """
    if body is None:
        return None
    check = Checker()
    if not isinstance(body, dict):
        check.fail("body", "Must be an object with phoneNumberGroups", structural=True)
        check.raise_if_any()
    for unknown in sorted(set(body) - {"phoneNumberGroups"}):
        check.fail(unknown, "Unknown field; name groups in phoneNumberGroups", structural=True)
    groups: list[str] | None = body.get("phoneNumberGroups")
    if "phoneNumberGroups" in body and (
        not isinstance(groups, list) or not all(isinstance(g, str) for g in groups)
    ):
        check.fail("phoneNumberGroups", "Must be a list of group names", structural=True)
    check.raise_if_any()
    return groups


def _note_text(check: Checker, data: dict[str, Any]) -> str:
    text = check.text(data, "note", "note", required=True) or ""
    if len(text) > MAX_NOTE:
        check.fail("note", f"At most {MAX_NOTE} characters")
    return text


def _document_name(check: Checker, data: dict[str, Any]) -> str:
    return check.text(data, "documentName", "documentName", required=True) or ""


def _description(check: Checker, data: dict[str, Any]) -> str:
    return check.text(data, "description", "description", required=False) or ""


def _content(check: Checker, data: dict[str, Any]) -> bytes:
    text = check.text(data, "fileContent", "fileContent", required=True)
    if text is None:
        return b""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        check.fail("fileContent", "Must be base64")
        return b""
    if len(raw) > MAX_DOCUMENT_BYTES:
        check.fail("fileContent", f"At most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    return raw


def _sniff(raw: bytes) -> str:
    for magic, content_type in _MAGIC:
        if raw.startswith(magic):
            return content_type
    return "application/octet-stream"
