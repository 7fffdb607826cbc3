"""An order's life on the sandbox clock: carrier groups, FOC, rejection, activation, roll-up.

At create (or full update) the numbers are grouped by losing carrier (``phoneNumberGroup``) and
each group gets a plan, fixed by the seed and the group's data: the day the losing carrier
answers (the next day), whether it confirms or rejects (and why), the FOC date (on or after the
desired date) and which numbers it excludes. Nothing changes until the sandbox clock reaches a
planned day; ``run_due`` then applies every step that fell due and returns the webhook events.
On the FOC date a group is activated, or, with on-demand activation, becomes ready to activate,
which a NUMBERS_CONFIRMED webhook announces as the document describes.

INFERRED (not published): the one-day answer, the three-day minimum lead, the occasional FOC
slip of one or two days, an order left with no number in play becoming CANCELED, and rejected
numbers leaving the "already in an active order" index so they can be resubmitted.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from batchport.sandbox import webhooks
from batchport.sandbox.carriers import EXCLUDE_REASONS, REJECT_REASONS, CarrierModel, draw, pick
from batchport.sandbox.config import SandboxConfig
from batchport.sandbox.state import OrderRecord

__all__ = [
    "SINCH_USER",
    "activate_groups",
    "available_groups",
    "cancel_order",
    "next_due",
    "plan_order",
    "run_due",
]

SINCH_USER = "Sinch Porting Operations"
ANSWER_AFTER_DAYS = 1
MIN_LEAD_DAYS = 3
_FOC_SLIP_SHARE = 0.2
_DONE = frozenset({"REJECTED", "EXCLUDED", "CANCELED"})
# In an on-demand group's plan once its readiness was announced (a NUMBERS_CONFIRMED webhook).
_READY_SENT = "readySent"


def instant(day: str, port_time: str = "09:00:00", zone: str = "US/Eastern") -> str:
    """``day`` at ``port_time`` in ``zone`` as a UTC RFC 3339 string (``...Z``).

    ``zone`` is one of the published zone names, which are IANA names too, so daylight saving
    time is honoured: 09:00 US/Eastern is 13:00Z in May and 14:00Z in January.
    """
    local = datetime.fromisoformat(f"{day}T{port_time}").replace(tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_order(
    record: OrderRecord, model: CarrierModel, config: SandboxConfig, today: date
) -> None:
    """Group the order's numbers by losing carrier and fix each group's plan (in place)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in record.body["phoneNumbers"]:
        carrier = model.facts(entry["phoneNumber"]).carrier
        groups.setdefault(carrier, []).append(entry)
    desired = date.fromisoformat(record.body["desiredPortSchedule"]["desiredPortDate"])
    record.plans = {}
    for carrier, entries in sorted(groups.items()):
        name = f"GW {carrier} Grp1"
        for entry in entries:
            entry["phoneNumberGroup"] = name
        record.plans[name] = _plan_group(carrier, entries, model, config, today, desired)


def _plan_group(
    carrier: str,
    entries: list[dict[str, Any]],
    model: CarrierModel,
    config: SandboxConfig,
    today: date,
    desired: date,
) -> dict[str, Any]:
    seed = config.seed
    # The group's own data is part of the key, so correcting a PIN or a name changes the answer.
    key = carrier + json.dumps(
        [[e["phoneNumber"], e["endUser"], e.get("portOutInfo")] for e in entries], sort_keys=True
    )
    facts = [model.facts(e["phoneNumber"]) for e in entries]
    scripted = next((f.reject_reason for f in facts if f.reject_reason), None)
    pins = [(e.get("portOutInfo") or {}).get("existingPortOutPin") for e in entries]
    if any(
        f.reject_pin is not None and f.reject_pin == pin for f, pin in zip(facts, pins, strict=True)
    ):
        scripted = scripted or "Invalid port-out PIN"
    answer_days = max((f.answer_days or ANSWER_AFTER_DAYS for f in facts), default=1)
    rejected = scripted is not None or draw(seed, "reject", key) < config.reject_rate
    reason = scripted or pick(seed, REJECT_REASONS, "reason", key)
    foc = max(desired, today + timedelta(days=MIN_LEAD_DAYS))
    if draw(seed, "slip", key) < _FOC_SLIP_SHARE:
        foc += timedelta(days=1 + int(draw(seed, "slip-days", key) * 2))
    excluded = {
        f.phone_number: f.exclude_reason or pick(seed, EXCLUDE_REASONS, "exclude", f.phone_number)
        for f in facts
        if f.exclude_reason or draw(seed, "exclude", f.phone_number) < config.exclude_rate
    }
    return {
        "carrier": carrier,
        "state": "planned",
        "decideOn": (today + timedelta(days=answer_days)).isoformat(),
        "outcome": "reject" if rejected else "confirm",
        "reason": reason if rejected else None,
        "focDate": foc.isoformat(),
        "excluded": excluded,
    }


def next_due(record: OrderRecord) -> str | None:
    """The next ISO date on which something happens to the order by itself, if any."""
    if record.status not in ("PENDING", "CONFIRMED"):
        return None
    on_demand = bool(record.body.get("onDemandActivation"))
    dates = [p["decideOn"] for p in record.plans.values() if p["state"] == "planned"]
    dates += [
        p["focDate"]
        for p in record.plans.values()
        if p["state"] == "confirmed" and not (on_demand and p.get(_READY_SENT))
    ]
    return min(dates) if dates else None


def run_due(record: OrderRecord, today: date) -> list[dict[str, Any]]:
    """Apply every planned step due on or before ``today``; returns webhook events in order."""
    if record.status not in ("PENDING", "CONFIRMED"):
        return []
    events: list[dict[str, Any]] = []
    before = record.status
    stamp = today.isoformat()
    for name, plan in sorted(record.plans.items(), key=lambda item: item[1]["decideOn"]):
        if plan["state"] == "planned" and plan["decideOn"] <= stamp:
            events += _decide(record, name, plan)
    on_demand = bool(record.body.get("onDemandActivation"))
    for name, plan in sorted(record.plans.items()):
        if plan["state"] != "confirmed" or plan["focDate"] > stamp:
            continue
        if not on_demand:
            events += _activate(
                record, name, plan, _port_instant(record, plan["focDate"]), SINCH_USER
            )
        elif not plan.get(_READY_SENT):
            events += _announce_ready(record, name, plan)
    events += _roll_up(record, before)
    return events


def _entries(record: OrderRecord, group: str) -> list[dict[str, Any]]:
    return [e for e in record.body["phoneNumbers"] if e.get("phoneNumberGroup") == group]


def _port_instant(record: OrderRecord, day: str) -> str:
    schedule = record.body["desiredPortSchedule"]
    return instant(day, schedule["desiredPortTime"], schedule["desiredPortTimeZone"])


def _decide(record: OrderRecord, group: str, plan: dict[str, Any]) -> list[dict[str, Any]]:
    decided_at = instant(plan["decideOn"], "11:00:00", "US/Eastern")
    entries = [e for e in _entries(record, group) if e["status"] == "PENDING"]
    if plan["outcome"] == "reject":
        plan["state"] = "rejected"
        for entry in entries:
            entry.update(status="REJECTED", rejectReason=plan["reason"])
            entry.update(exclusionReason=plan["reason"], exclusionDate=decided_at)
        note = (
            f"{plan['carrier']} rejected the numbers in {group}: {plan['reason']}. Correct the "
            "details and submit these numbers in a new order."
        )
        return [
            webhooks.numbers_event("NUMBERS_REJECTED", record.id, entries),
            add_note(record, note, SINCH_USER, decided_at),
        ]
    plan["state"] = "confirmed"
    confirmed = []
    foc = _port_instant(record, plan["focDate"])
    for entry in entries:
        reason = plan["excluded"].get(entry["phoneNumber"])
        if reason is not None:
            entry.update(status="EXCLUDED", exclusionReason=reason, exclusionDate=decided_at)
            continue
        entry.update(status="CONFIRMED", focDate=foc, confirmedDate=decided_at)
        confirmed.append(entry)
    return [webhooks.numbers_event("NUMBERS_CONFIRMED", record.id, confirmed)] if confirmed else []


def _announce_ready(record: OrderRecord, group: str, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """An on-demand group's FOC date came: it can be activated now, which the document says
    NUMBERS_CONFIRMED also announces (once per group)."""
    plan[_READY_SENT] = True
    ready = [e for e in _entries(record, group) if e["status"] == "CONFIRMED"]
    return [webhooks.numbers_event("NUMBERS_CONFIRMED", record.id, ready)] if ready else []


def _activate(
    record: OrderRecord, group: str, plan: dict[str, Any], at: str, user: str
) -> list[dict[str, Any]]:
    plan["state"] = "activated"
    entries = [e for e in _entries(record, group) if e["status"] == "CONFIRMED"]
    for entry in entries:
        entry.update(status="ACTIVATED", activatedDate=at, activateUser=user)
    return [webhooks.numbers_event("NUMBERS_ACTIVATED", record.id, entries)] if entries else []


def _roll_up(record: OrderRecord, before: str) -> list[dict[str, Any]]:
    statuses = {e["status"] for e in record.body["phoneNumbers"]} - _DONE
    if not statuses:
        record.body["status"] = "CANCELED"
    elif "PENDING" in statuses:
        record.body["status"] = "PENDING"
    elif statuses == {"ACTIVATED"}:
        record.body["status"] = "COMPLETED"
    else:
        record.body["status"] = "CONFIRMED"
    if record.status == before:
        return []
    return [webhooks.order_event(record)]


def add_note(record: OrderRecord, text: str, user: str, at: str) -> dict[str, Any]:
    """Append a note to the order; returns the NEW_ORDER_NOTE event."""
    record.body.setdefault("notes", []).append({"note": text, "createdTime": at, "createdBy": user})
    return webhooks.note_event(record.id, text)


def available_groups(record: OrderRecord, today: date) -> list[dict[str, Any]]:
    """Groups ready for on-demand activation: confirmed, FOC today or earlier (else ``[]``)."""
    if not record.body.get("onDemandActivation") or record.status not in ("PENDING", "CONFIRMED"):
        return []
    ready = []
    for name, plan in sorted(record.plans.items()):
        if plan["state"] != "confirmed" or plan["focDate"] > today.isoformat():
            continue
        numbers = [
            {k: e[k] for k in ("phoneNumber", "voiceConfiguration", "smsConfiguration") if k in e}
            for e in _entries(record, name)
            if e["status"] == "CONFIRMED"
        ]
        ready.append(
            {
                "phoneNumberGroup": name,
                "focDate": _port_instant(record, plan["focDate"]),
                "phoneNumbers": numbers,
            }
        )
    return ready


def activate_groups(
    record: OrderRecord, names: list[str] | None, today: date, user: str
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Activate the named groups (all available ones when ``names`` is ``None``).

    Returns the per-group results (``SUCCESS``, ``NOT_AVAILABLE`` when the group is not
    confirmed or its FOC is in the future, ``NOT_FOUND``, ``ALREADY_ACTIVATED``) and the events.
    INFERRED: these status words; the document leaves the per-group status open.
    """
    ready = {g["phoneNumberGroup"] for g in available_groups(record, today)}
    wanted = sorted(ready) if names is None else names
    before = record.status
    now = datetime.now(UTC).strftime("T%H:%M:%SZ")
    results, events = [], []
    for name in wanted:
        plan = record.plans.get(name)
        if name in ready and plan is not None:
            events += _activate(record, name, plan, today.isoformat() + now, user)
            status = "SUCCESS"
        elif plan is None:
            status = "NOT_FOUND"
        elif plan["state"] == "activated":
            status = "ALREADY_ACTIVATED"
        else:
            status = "NOT_AVAILABLE"
        results.append({"phoneNumberGroup": name, "status": status})
    events += _roll_up(record, before)
    return results, events


def cancel_order(record: OrderRecord) -> list[dict[str, Any]]:
    """Cancel a PENDING order and every number still in it; returns the ORDER_UPDATED event."""
    for entry in record.body["phoneNumbers"]:
        if entry["status"] not in _DONE:
            entry["status"] = "CANCELED"
    for plan in record.plans.values():
        plan["state"] = "canceled"
    record.body["status"] = "CANCELED"
    return [webhooks.order_event(record)]
