"""An order's notes: read them oldest first, and add one (how to answer Sinch's questions).

Notes arrive inside the order (``GET …/orders/portIns/{id}``), each with its author and time;
adding one answers only ``{id, note}``, so :func:`add_note` reads the order back to show the
new note as the service recorded it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from batchport.api import Order, OrderNote, PortingClient
from batchport.errors import ApiRejected, ConfigError
from batchport.lifecycle.orders import no_such_order

__all__ = ["NoteLine", "add_note", "order_notes"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class NoteLine:
    """One note as shown: when (UTC, as the service wrote it), who, and the text."""

    created: str
    author: str
    text: str

    @classmethod
    def from_note(cls, note: OrderNote) -> NoteLine:
        """The line of a note of the order."""
        return cls(created=note.created_time, author=note.created_by, text=note.note)

    def to_json(self) -> dict[str, str]:
        """The note as one object of the ``--json`` output."""
        return {"created": self.created, "author": self.author, "note": self.text}


async def _known_order(order_id: int, project: str, call: Callable[[], Awaitable[_T]]) -> _T:
    """``call()``, its 404 turned into the one-line "no order" message."""
    try:
        return await call()
    except ApiRejected as exc:
        if exc.status == 404:
            raise no_such_order(exc, order_id, project) from None
        raise


def _oldest_first(order: Order) -> list[NoteLine]:
    # A stable sort: notes without a time keep the service's order among themselves.
    return [NoteLine.from_note(n) for n in sorted(order.notes, key=lambda n: n.created_time)]


async def order_notes(client: PortingClient, order_id: int) -> list[NoteLine]:
    """The notes of order ``order_id``, oldest first.

    Raises ApiRejected ("no order … in project …") when the project has no such order, and the
    client's other ApiErrors.
    """
    order = await _known_order(order_id, client.project_id, lambda: client.get_order(order_id))
    return _oldest_first(order)


async def add_note(client: PortingClient, order_id: int, text: str) -> NoteLine:
    """Add ``text`` as a note to order ``order_id``; return it with its author and time.

    Raises ConfigError for an empty note (nothing is sent), ApiRejected ("no order …") for an
    unknown order, and the client's other ApiErrors (a note the service finds too long is an
    ApiRejected with its reason; the published document sets no limit).
    """
    text = text.strip()
    if not text:
        raise ConfigError("the note is empty; write the text after --add")
    project = client.project_id
    added = await _known_order(order_id, project, lambda: client.add_note(order_id, text))
    order = await _known_order(order_id, project, lambda: client.get_order(order_id))
    recorded = [line for line in _oldest_first(order) if line.text == added.note]
    return recorded[-1] if recorded else NoteLine.from_note(added)
