"""Webhook payloads (the five published event types) and their delivery with retries.

Delivery runs after the reply is sent (a Starlette background task); under
``httpx.ASGITransport`` that still completes before the client's call returns, which keeps
in-process tests deterministic. A failed delivery (transport error or a non-2xx reply) is
retried ``webhook_attempts`` times in all, with the injectable sleep between attempts.
INFERRED: Sinch publishes no retry schedule, signature or timeout for webhooks.

Log lines name the receiver by its origin only (``http://127.0.0.1:8090/…``): a receiver's
path carries its shared secret (``batchport webhooks serve``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from batchport.sandbox.state import OrderRecord

__all__ = ["WebhookSender", "note_event", "numbers_event", "order_event"]

log = logging.getLogger(__name__)

_STATUS_FIELDS = ("phoneNumber", "status", "activatedDate", "confirmedDate", "rejectReason")
_FIRST_BACKOFF_S = 0.5


def numbers_event(kind: str, order_id: int, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A NUMBERS_ACTIVATED / NUMBERS_CONFIRMED / NUMBERS_REJECTED event for ``entries``."""
    return {
        "type": kind,
        "orderId": str(order_id),
        "phoneNumbers": [{k: e[k] for k in _STATUS_FIELDS if k in e} for e in entries],
    }


def order_event(record: OrderRecord) -> dict[str, Any]:
    """An ORDER_UPDATED event carrying the whole order without its ``id`` (as published)."""
    order = {k: v for k, v in record.body.items() if k != "id"}
    return {"type": "ORDER_UPDATED", "orderId": str(record.id), "order": order}


def note_event(order_id: int, note: str) -> dict[str, Any]:
    """A NEW_ORDER_NOTE event."""
    return {"type": "NEW_ORDER_NOTE", "orderId": str(order_id), "note": note}


def delivery_url(configured: str) -> str:
    """The URL to POST to; the published example has no scheme, so ``https://`` is assumed."""
    return configured if "://" in configured else f"https://{configured}"


def shown_url(url: str) -> str:
    """``url`` as a log line shows it: its origin, the path (which may hold a secret) elided."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.path.strip("/") else url


class WebhookSender:
    """Posts events to a project's ``webhookUrl``.

    ``client`` is the injected ``httpx.AsyncClient`` (tests mount a receiver app on it); when
    ``None`` the sender makes its own on first use and ``aclose`` closes it. ``counts`` is
    updated with ``delivered``, ``failed`` and ``attempts``.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        sleep: Callable[[float], Awaitable[None]],
        attempts: int,
        counts: dict[str, int],
    ) -> None:
        self._client = client
        self._owned: httpx.AsyncClient | None = None
        self._sleep = sleep
        self._attempts = attempts
        self.counts = counts

    def _http(self) -> httpx.AsyncClient:
        if self._client is not None:
            return self._client
        if self._owned is None:
            self._owned = httpx.AsyncClient(timeout=10.0)
        return self._owned

    async def send_all(self, url: str, events: list[dict[str, Any]]) -> None:
        """Deliver ``events`` in order; each is retried on its own and never raises."""
        for event in events:
            await self.send(url, event)

    async def send(self, url: str, event: dict[str, Any]) -> bool:
        """Deliver one event; returns whether a 2xx reply arrived within the attempts."""
        target = delivery_url(url)
        shown = shown_url(target)
        for attempt in range(self._attempts):
            if attempt:
                await self._sleep(_FIRST_BACKOFF_S * 2 ** (attempt - 1))
            self.counts["attempts"] += 1
            try:
                reply = await self._http().post(target, json=event)
            except httpx.HTTPError as exc:
                log.info("webhook %s to %s failed: %s", event["type"], shown, type(exc).__name__)
                continue
            if reply.is_success:
                self.counts["delivered"] += 1
                return True
            log.info("webhook %s to %s answered %s", event["type"], shown, reply.status_code)
        self.counts["failed"] += 1
        log.warning(
            "webhook %s to %s gave up after %d attempts", event["type"], shown, self._attempts
        )
        return False

    async def aclose(self) -> None:
        """Close the client this sender made itself, if any."""
        if self._owned is not None:
            await self._owned.aclose()
            self._owned = None
