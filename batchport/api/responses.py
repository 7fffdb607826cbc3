"""Response records: what the Porting API answers, read tolerantly.

Unknown fields are kept in each record's ``extra`` mapping and never make parsing fail; unknown
status values become members of the status enums rather than errors. Where Sinch's own
material disagrees with the published document, both forms are accepted: available activations
as a bare list of ``phoneNumberGroup`` objects or wrapped in ``activationGroups`` with
``groupId``, and ``focDate`` as a date-time or a plain date.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Self

__all__ = [
    "ActivationGroup",
    "Document",
    "DocumentContent",
    "GroupActivation",
    "NumberStatus",
    "Order",
    "OrderNote",
    "OrderNumber",
    "OrderPage",
    "OrderStatus",
    "PortabilityResult",
    "parse_date",
    "parse_instant",
]


class _OpenEnum(StrEnum):
    """A string enum that accepts values it has never heard of instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member


class OrderStatus(_OpenEnum):
    """Status of a port-in order (published values; others such as PENDING_CANCELATION pass)."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


class NumberStatus(_OpenEnum):
    """Status of one number in an order."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    ACTIVATED = "ACTIVATED"
    CANCELED = "CANCELED"
    EXCLUDED = "EXCLUDED"


def parse_date(value: object) -> date | None:
    """A date from ``YYYY-MM-DD`` or an ISO date-time (``Z`` allowed); None when unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def parse_instant(value: object) -> datetime | None:
    """A UTC date-time from an ISO date-time (``Z`` or an offset); None for a plain date,
    a date-time without an offset (its instant is unknown) or anything unreadable."""
    if not isinstance(value, str) or len(value.strip()) <= 10:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _mapping(data: object) -> Mapping[str, Any]:
    return data if isinstance(data, Mapping) else {}


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _extra(data: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in known}


def _int(value: object, default: int = 0) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return default


def _items(data: object, *keys: str) -> Sequence[Any]:
    """A list found directly or under the first of ``keys`` present."""
    if isinstance(data, list):
        return data
    mapping = _mapping(data)
    for key in keys:
        if isinstance(mapping.get(key), list):
            return list(mapping[key])
    return []


@dataclass(frozen=True)
class PortabilityResult:
    """Whether one number can be ported, who holds it now, and why not when it cannot."""

    phone_number: str
    portable: bool
    carrier: str = ""
    reason: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object) -> PortabilityResult:
        """Read one ``phoneNumbers`` item of a portability check."""
        raw = _mapping(data)
        return cls(
            phone_number=_text(raw, "phoneNumber"),
            portable=raw.get("portable") is True,
            carrier=_text(raw, "carrier"),
            reason=_text(raw, "reason"),
            extra=_extra(raw, {"phoneNumber", "portable", "carrier", "reason"}),
        )


@dataclass(frozen=True)
class OrderNumber:
    """One number of an order as the service sees it (its secrets stay in ``extra``)."""

    phone_number: str
    status: NumberStatus
    phone_number_group: str = ""
    foc_date: date | None = None
    #: The FOC as an instant (UTC) when ``focDate`` is a date-time; None when it is a date.
    foc_at: datetime | None = None
    reject_reason: str = ""
    exclusion_reason: str = ""
    country_code: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    _KNOWN = frozenset(
        {"phoneNumber", "status", "phoneNumberGroup", "focDate", "rejectReason"}
        | {"exclusionReason", "countryCode"}
    )

    @classmethod
    def from_json(cls, data: object) -> OrderNumber:
        """Read one ``phoneNumbers`` item of an order."""
        raw = _mapping(data)
        return cls(
            phone_number=_text(raw, "phoneNumber"),
            status=NumberStatus(_text(raw, "status") or "PENDING"),
            phone_number_group=_text(raw, "phoneNumberGroup"),
            foc_date=parse_date(raw.get("focDate")),
            foc_at=parse_instant(raw.get("focDate")),
            reject_reason=_text(raw, "rejectReason"),
            exclusion_reason=_text(raw, "exclusionReason"),
            country_code=_text(raw, "countryCode"),
            extra=_extra(raw, set(cls._KNOWN)),
        )


@dataclass(frozen=True)
class OrderNote:
    """A note on an order, written by Sinch or by us."""

    note: str
    id: int | None = None
    created_time: str = ""
    created_by: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object) -> OrderNote:
        """Read a note (the answer to add_note, or an item of an order's ``notes``)."""
        raw = _mapping(data)
        return cls(
            note=_text(raw, "note"),
            id=_int(raw["id"]) if raw.get("id") is not None else None,
            created_time=_text(raw, "createdTime"),
            created_by=_text(raw, "createdBy"),
            extra=_extra(raw, {"note", "id", "createdTime", "createdBy"}),
        )


@dataclass(frozen=True)
class Order:
    """A port-in order. List answers carry no numbers: ``phone_numbers`` is then empty."""

    id: int
    status: OrderStatus
    customer_order_reference: str = ""
    phone_numbers: tuple[OrderNumber, ...] = ()
    desired_port_date: date | None = None
    desired_port_time_zone: str = ""
    on_demand_activation: bool = False
    notes: tuple[OrderNote, ...] = ()
    created_date: date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The order exactly as the service sent it: a full update (PUT) starts from it, so that
    #: nothing the order holds is lost, including fields batchport does not read.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    _KNOWN = frozenset(
        {"id", "status", "customerOrderReference", "phoneNumbers", "desiredPortSchedule"}
        | {"onDemandActivation", "notes", "createdDate"}
    )

    @classmethod
    def from_json(cls, data: object) -> Order:
        """Read an order from a create, get, update or list answer."""
        raw = _mapping(data)
        schedule = _mapping(raw.get("desiredPortSchedule"))
        return cls(
            id=_int(raw.get("id")),
            status=OrderStatus(_text(raw, "status") or "PENDING"),
            customer_order_reference=_text(raw, "customerOrderReference"),
            phone_numbers=tuple(OrderNumber.from_json(n) for n in _items(raw.get("phoneNumbers"))),
            desired_port_date=parse_date(schedule.get("desiredPortDate")),
            desired_port_time_zone=_text(schedule, "desiredPortTimeZone"),
            on_demand_activation=raw.get("onDemandActivation") is True,
            notes=tuple(OrderNote.from_json(n) for n in _items(raw.get("notes"))),
            created_date=parse_date(raw.get("createdDate")),
            extra=_extra(raw, set(cls._KNOWN)),
            raw=raw,
        )


@dataclass(frozen=True)
class OrderPage:
    """One page of the order list."""

    orders: tuple[Order, ...]
    page: int
    total_pages: int
    page_size: int
    total_items: int

    @classmethod
    def from_json(cls, data: object, *, page: int, page_size: int) -> OrderPage:
        """Read a list answer; missing paging fields fall back to what was asked for."""
        raw = _mapping(data)
        orders = tuple(Order.from_json(item) for item in _items(raw.get("orders")))
        return cls(
            orders=orders,
            page=_int(raw.get("page"), page),
            total_pages=_int(raw.get("totalPages"), page),
            page_size=_int(raw.get("pageSize"), page_size),
            total_items=_int(raw.get("totalItems"), len(orders)),
        )


@dataclass(frozen=True)
class Document:
    """A document attached to an order (the reply to an upload carries no content)."""

    id: int
    document_name: str
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object) -> Document:
        """Read an upload answer."""
        raw = _mapping(data)
        return cls(
            id=_int(raw.get("id", raw.get("documentId"))),
            document_name=_text(raw, "documentName"),
            description=_text(raw, "description"),
            extra=_extra(raw, {"id", "documentName", "description"}),
        )


@dataclass(frozen=True)
class DocumentContent:
    """A downloaded document: its bytes (never shown in ``repr``) and their MIME type."""

    id: int
    document_name: str
    content: bytes = field(repr=False)
    content_type: str = ""
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object) -> DocumentContent:
        """Read a download answer; content that is not valid base64 gives empty bytes."""
        raw = _mapping(data)
        try:
            content = base64.b64decode(_text(raw, "fileContent"), validate=True)
        except (binascii.Error, ValueError):
            content = b""
        known = {"id", "documentId", "documentName", "description", "fileContent", "contentType"}
        return cls(
            id=_int(raw.get("documentId", raw.get("id"))),
            document_name=_text(raw, "documentName"),
            content=content,
            content_type=_text(raw, "contentType"),
            description=_text(raw, "description"),
            extra=_extra(raw, known),
        )


@dataclass(frozen=True)
class ActivationGroup:
    """A carrier group of an order that can be activated now."""

    phone_number_group: str
    phone_numbers: tuple[str, ...] = ()
    foc_date: date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: object) -> ActivationGroup:
        """Read one group, published (``phoneNumberGroup``) or alternative (``groupId``) form."""
        raw = _mapping(data)
        numbers = tuple(
            _text(_mapping(item), "phoneNumber") if isinstance(item, Mapping) else str(item)
            for item in _items(raw.get("phoneNumbers"))
        )
        return cls(
            phone_number_group=_text(raw, "phoneNumberGroup") or _text(raw, "groupId"),
            phone_numbers=numbers,
            foc_date=parse_date(raw.get("focDate")),
            extra=_extra(raw, {"phoneNumberGroup", "groupId", "phoneNumbers", "focDate"}),
        )

    @classmethod
    def list_from_json(cls, data: object) -> list[ActivationGroup]:
        """Read an available-activations answer (a bare list or ``{"activationGroups": ...}``)."""
        return [cls.from_json(item) for item in _items(data, "activationGroups")]


@dataclass(frozen=True)
class GroupActivation:
    """The outcome of activating one group: ``status`` is the service's own word for it."""

    phone_number_group: str
    status: str
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def list_from_json(cls, data: object) -> list[GroupActivation]:
        """Read an activate answer (``phoneNumberGroups``, or ``activationGroups``/``groupId``)."""
        results = []
        for item in _items(data, "phoneNumberGroups", "activationGroups"):
            raw = _mapping(item)
            results.append(
                cls(
                    phone_number_group=_text(raw, "phoneNumberGroup") or _text(raw, "groupId"),
                    status=_text(raw, "status"),
                    extra=_extra(raw, {"phoneNumberGroup", "groupId", "status"}),
                )
            )
        return results
