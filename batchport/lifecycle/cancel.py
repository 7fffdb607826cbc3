"""Cancel PENDING orders, and say why an order past PENDING cannot be canceled.

The API cancels only a PENDING order (``DELETE …/orders/portIns/{id}``); once the losing carrier
answered, an order is CONFIRMED (or further) and only Sinch can stop it. :func:`cancel_orders`
therefore reads every order first, asks ``confirm`` about the PENDING ones, cancels them, and
returns the others as refusals, one reason each. A canceled order the journal knows is
recorded there (:meth:`Journal.record_canceled`), so ``run`` treats its numbers as free again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from batchport.api import Order, OrderStatus, PortingClient
from batchport.errors import ApiRejected
from batchport.journal import open_journal
from batchport.lifecycle.orders import no_such_order
from batchport.lifecycle.result import rewrite_results

__all__ = [
    "CancelRefusal",
    "CancelResult",
    "cancel_orders",
]


@dataclass(frozen=True)
class CancelRefusal:
    """An order that was not canceled: its id, its status, and why, in a plain sentence."""

    order_id: int
    status: str
    reason: str

    def to_json(self) -> dict[str, object]:
        """The refusal as one object of the ``--json`` output."""
        return {"order": self.order_id, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class CancelResult:
    """What a cancel did: the PENDING orders it found, those it canceled, those it could not.

    ``declined`` is True when ``confirm`` said no (then nothing was canceled).
    """

    pending: tuple[Order, ...]
    canceled: tuple[int, ...] = ()
    refused: tuple[CancelRefusal, ...] = ()
    declined: bool = False
    journaled: tuple[int, ...] = field(default=())
    #: The result workbooks written again, and why a batch's workbook was not.
    workbooks: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def needs_attention(self) -> bool:
        """True when some order could not be canceled (the command's exit 3)."""
        return bool(self.refused)

    def to_json(self) -> dict[str, Any]:
        """The outcome as one ``--json`` object."""
        return {
            "canceled": list(self.canceled),
            "not_canceled": [refusal.to_json() for refusal in self.refused],
            "declined": self.declined,
            "journaled": list(self.journaled),
            "workbooks": [str(path) for path in self.workbooks],
            "warnings": list(self.warnings),
        }


def _not_pending(order: Order) -> CancelRefusal:
    status = order.status.value
    if order.status is OrderStatus.CANCELED:
        reason = "already canceled"
    else:
        reason = (
            f"it is {status}, past PENDING: the Porting API cancels only PENDING orders; "
            f"ask Sinch with `batchport notes {order.id} --add ...`"
        )
    return CancelRefusal(order.id, status, reason)


async def _read(client: PortingClient, order_id: int) -> Order:
    try:
        return await client.get_order(order_id)
    except ApiRejected as exc:
        if exc.status == 404:
            raise no_such_order(exc, order_id, client.project_id) from None
        raise


async def cancel_orders(
    client: PortingClient,
    order_ids: Sequence[int],
    journal_path: Path,
    *,
    confirm: Callable[[Sequence[Order]], bool] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CancelResult:
    """Cancel the PENDING orders among ``order_ids``; the others come back as refusals.

    Every order is read before anything is canceled; ``confirm`` (when given) is then asked
    with the PENDING orders and nothing is canceled unless it returns True. An order that
    leaves PENDING between the read and the cancel is a refusal with the service's reason.
    Each canceled order the journal at ``journal_path`` knows is recorded there.

    Raises ApiRejected ("no order … in project …") for an id the project does not have (before
    anything is canceled), and the client's other ApiErrors.
    """
    orders = [await _read(client, order_id) for order_id in dict.fromkeys(order_ids)]
    pending = tuple(order for order in orders if order.status is OrderStatus.PENDING)
    refused = [_not_pending(order) for order in orders if order.status is not OrderStatus.PENDING]
    if pending and confirm is not None and not confirm(pending):
        return CancelResult(pending, refused=tuple(refused), declined=True)
    canceled = []
    for order in pending:
        try:
            await client.cancel_order(order.id)
        except ApiRejected as exc:
            if exc.status not in (400, 409, 422):
                raise
            refused.append(CancelRefusal(order.id, order.status.value, f"refused: {exc}"))
            continue
        canceled.append(order.id)
    journaled, workbooks, warnings = _journal_canceled(journal_path, canceled, now())
    return CancelResult(
        pending,
        tuple(canceled),
        tuple(refused),
        journaled=journaled,
        workbooks=tuple(workbooks),
        warnings=tuple(warnings),
    )


def _journal_canceled(
    journal_path: Path, order_ids: list[int], at: datetime
) -> tuple[tuple[int, ...], list[Path], list[str]]:
    """Record each canceled order the journal knows and rewrite its batch's result workbook.

    Returns the ids the journal knew, the workbooks written and why others were not. No
    journal: nothing.
    """
    if not order_ids or not journal_path.exists():
        return (), [], []
    with open_journal(journal_path) as journal:
        known = tuple(order_id for order_id in order_ids if journal.record_canceled(order_id, at))
        workbooks, warnings = rewrite_results(journal, known, at, {"Orders canceled": len(known)})
    return known, workbooks, warnings
