"""On-demand activation: which carrier groups are ready, why the others are not, activating.

An order created with ``onDemandActivation`` is not activated by Sinch on its FOC date: the
numbers wait until someone activates their carrier group (``phoneNumberGroup``). A group is
ready when its FOC date is today or earlier *and* its numbers are routing on the Sinch network
(``GET …/availableActivations`` lists only those). :func:`activate_groups` reads, per order, the
ready groups and the order itself, so a group that is not ready comes back with the reason
(carrier not answered yet, FOC date still ahead with the date, not routing yet), asks
``confirm`` about the ready ones (activation cannot be undone), activates them by name and
journals one event per group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from batchport.api import (
    ActivationGroup,
    NumberStatus,
    Order,
    OrderNumber,
    OrderStatus,
    PortingClient,
)
from batchport.errors import ApiRejected, ConfigError
from batchport.journal import open_journal
from batchport.lifecycle.orders import no_such_order
from batchport.lifecycle.result import rewrite_results

__all__ = [
    "ActivationOutcome",
    "ActivationResult",
    "NotReady",
    "ReadyGroup",
    "activate_groups",
]


@dataclass(frozen=True)
class ReadyGroup:
    """A group that can be activated now: its order, name, FOC date and numbers."""

    order_id: int
    group: str
    foc_date: date | None
    numbers: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """The group as one object of the ``--json`` output."""
        foc = self.foc_date.isoformat() if self.foc_date else None
        return {"order": self.order_id, "group": self.group, "foc_date": foc,
                "numbers": list(self.numbers)}  # fmt: skip


@dataclass(frozen=True)
class NotReady:
    """A group (or a whole order, ``group`` empty) that cannot be activated now, and why."""

    order_id: int
    group: str
    reason: str
    foc_date: date | None = None

    def to_json(self) -> dict[str, object]:
        """The reason as one object of the ``--json`` output."""
        foc = self.foc_date.isoformat() if self.foc_date else None
        return {"order": self.order_id, "group": self.group, "reason": self.reason,
                "foc_date": foc}  # fmt: skip


@dataclass(frozen=True)
class ActivationOutcome:
    """What the service answered for one group: ``status`` is its own word (SUCCESS, …)."""

    order_id: int
    group: str
    status: str

    @property
    def succeeded(self) -> bool:
        """True when the service reports the group activated."""
        return self.status.upper() == "SUCCESS"

    def to_json(self) -> dict[str, object]:
        """The outcome as one object of the ``--json`` output."""
        return {"order": self.order_id, "group": self.group, "status": self.status}


@dataclass(frozen=True)
class ActivationResult:
    """The ready groups, the groups that are not, and what activating the ready ones did.

    ``declined`` is True when ``confirm`` said no (then nothing was activated).
    """

    ready: tuple[ReadyGroup, ...]
    not_ready: tuple[NotReady, ...]
    activated: tuple[ActivationOutcome, ...] = ()
    declined: bool = False
    #: The result workbooks written again, and why a batch's workbook was not.
    workbooks: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def needs_attention(self) -> bool:
        """True when the service did not activate a group it was asked to (exit 3)."""
        return any(not outcome.succeeded for outcome in self.activated)

    def to_json(self) -> dict[str, Any]:
        """The outcome as one ``--json`` object."""
        return {
            "ready": [group.to_json() for group in self.ready],
            "not_ready": [reason.to_json() for reason in self.not_ready],
            "activated": [outcome.to_json() for outcome in self.activated],
            "declined": self.declined,
            "workbooks": [str(path) for path in self.workbooks],
            "warnings": list(self.warnings),
        }


def _group_reason(numbers: Sequence[OrderNumber], today: date) -> tuple[str, date | None]:
    """Why a group that is not in the available list cannot be activated, and its FOC date."""
    statuses = {number.status for number in numbers}
    focs = sorted({number.foc_date for number in numbers if number.foc_date})
    foc = focs[0] if focs else None
    if NumberStatus.ACTIVATED in statuses and NumberStatus.CONFIRMED not in statuses:
        return "already activated", foc
    if NumberStatus.CONFIRMED in statuses:
        if foc is not None and foc > today:
            return f"FOC date {foc.isoformat()} is still ahead", foc
        return (
            "FOC date reached, but the numbers are not routing on the Sinch network yet "
            "(routing starts at midnight of the port date, after concurrence)",
            foc,
        )
    if NumberStatus.PENDING in statuses:
        return "the losing carrier has not confirmed the numbers yet (no FOC date)", None
    states = ", ".join(sorted(status.value for status in statuses)) or "no numbers"
    return f"nothing to activate (numbers {states})", foc


def _not_ready(order: Order, ready: set[str], today: date) -> list[NotReady]:
    if not order.on_demand_activation:
        return [NotReady(order.id, "", "not on-demand: Sinch activates it on its FOC date")]
    if order.status not in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
        return [NotReady(order.id, "", f"the order is {order.status.value}: nothing to activate")]
    groups: dict[str, list[OrderNumber]] = {}
    for number in order.phone_numbers:
        groups.setdefault(number.phone_number_group, []).append(number)
    reasons = []
    for name, numbers in sorted(groups.items()):
        if name not in ready:
            reason, foc = _group_reason(numbers, today)
            reasons.append(NotReady(order.id, name, reason, foc))
    return reasons


async def _survey(
    client: PortingClient, order_id: int, today: date
) -> tuple[list[ReadyGroup], list[NotReady]]:
    try:
        order = await client.get_order(order_id)
    except ApiRejected as exc:
        if exc.status == 404:
            raise no_such_order(exc, order_id, client.project_id) from None
        raise
    available: list[ActivationGroup] = []
    if order.on_demand_activation and order.status in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
        available = await client.available_activations(order_id)
    ready = [
        ReadyGroup(order_id, group.phone_number_group, group.foc_date, group.phone_numbers)
        for group in available
    ]
    return ready, _not_ready(order, {group.group for group in ready}, today)


async def activate_groups(
    client: PortingClient,
    order_ids: Sequence[int],
    journal_path: Path,
    *,
    group: str | None = None,
    confirm: Callable[[Sequence[ReadyGroup]], bool] | None = None,
    today: date | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ActivationResult:
    """Activate the ready groups of ``order_ids`` (only ``group`` when given).

    Every order is read first; ``today`` (default: the UTC date) tells a FOC date still ahead
    from numbers not routing yet. ``confirm`` (when given) is asked with the ready groups and
    nothing is activated unless it returns True. Nothing ready is not an error: the result
    then has no ``activated`` and says why in ``not_ready``. Each activated group of an order
    the journal at ``journal_path`` knows is journaled.

    Raises ApiRejected ("no order …") for an id the project does not have (before anything is
    activated), ConfigError when ``group`` names no group of these orders, and the client's
    other ApiErrors.
    """
    day = today or datetime.now(UTC).date()
    ready: list[ReadyGroup] = []
    not_ready: list[NotReady] = []
    for order_id in dict.fromkeys(order_ids):
        found, reasons = await _survey(client, order_id, day)
        ready += found
        not_ready += reasons
    if group is not None:
        ready = [item for item in ready if item.group == group]
        not_ready = [item for item in not_ready if item.group in (group, "")]
        if not ready and not any(item.group == group for item in not_ready):
            raise ConfigError(f"no group {group!r} in order(s) {', '.join(map(str, order_ids))}")
    if not ready:
        return ActivationResult((), tuple(not_ready))
    if confirm is not None and not confirm(ready):
        return ActivationResult(tuple(ready), tuple(not_ready), declined=True)
    outcomes = []
    for order_id in dict.fromkeys(item.order_id for item in ready):
        names = [item.group for item in ready if item.order_id == order_id]
        answers = await client.activate(order_id, names)
        outcomes += [ActivationOutcome(order_id, a.phone_number_group, a.status) for a in answers]
    workbooks, warnings = _journal_activated(journal_path, ready, outcomes, now())
    return ActivationResult(
        tuple(ready),
        tuple(not_ready),
        tuple(outcomes),
        workbooks=tuple(workbooks),
        warnings=tuple(warnings),
    )


def _journal_activated(
    journal_path: Path,
    ready: Sequence[ReadyGroup],
    outcomes: Sequence[ActivationOutcome],
    at: datetime,
) -> tuple[list[Path], list[str]]:
    """One ``activated`` event per group of an order the journal knows, then each batch's
    result workbook written again: the workbooks, and why others were not. No journal:
    nothing."""
    if not outcomes or not journal_path.exists():
        return [], []
    numbers = {(item.order_id, item.group): item.numbers for item in ready}
    with open_journal(journal_path) as journal:
        for outcome in outcomes:
            key = (outcome.order_id, outcome.group)
            journal.record_activated(
                outcome.order_id, outcome.group, numbers.get(key, ()), outcome.status.upper(), at
            )
        order_ids = {outcome.order_id for outcome in outcomes}
        return rewrite_results(journal, order_ids, at, {"Groups activated": len(outcomes)})
