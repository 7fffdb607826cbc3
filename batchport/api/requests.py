"""Request records: what batchport sends to the Porting API, built from spreadsheet rows.

Each record is a frozen dataclass whose ``to_json()`` returns the exact JSON shape of the
published contract, leaving out optional fields that are empty. The records of one number
(``NumberRequest`` and its parts) name their fields as the contract does, because
``batchport.submit.requests`` fills them from each column's place in the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from datetime import date
from typing import Any, Literal

__all__ = [
    "E911",
    "EndUser",
    "Features",
    "NumberRequest",
    "OrderRequest",
    "PortOutInfo",
    "PortingConfiguration",
    "SmsConfiguration",
    "VoiceConfiguration",
    "VoiceType",
    "contract_json",
    "is_required",
]

VoiceType = Literal["RTC", "EST", "FAX"]


def _compact(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """The pairs whose value is neither empty text nor None."""
    return {key: value for key, value in pairs.items() if value not in ("", None)}


def is_required(item: Field[Any]) -> bool:
    """True when the record field ``item`` has no default: the contract requires it."""
    return item.default is MISSING and item.default_factory is MISSING


def contract_json(record: object) -> dict[str, Any]:
    """A record of contract-named fields as JSON: required fields always, others when not blank.

    Nested records become their own ``to_json()``; an optional nested record that comes out
    empty is left out.
    """
    body: dict[str, Any] = {}
    for item in fields(record):  # type: ignore[arg-type]
        value = getattr(record, item.name)
        if is_dataclass(value):
            value = value.to_json()  # type: ignore[union-attr]
        if is_required(item) or value not in ("", None, {}):
            body[item.name] = value
    return body


# The records of one number carry the contract's own field names (camelCase), so that the
# request builder fills them by name from ``batchport.columns`` and a field is named once.


@dataclass(frozen=True)
class EndUser:
    """The end user as the losing carrier knows them; the first six fields are required."""

    name: str
    streetNum: str
    streetName: str
    city: str
    state: str
    zipCode: str
    streetPreDir: str = ""
    streetType: str = ""
    streetPostDir: str = ""
    locationType1: str = ""
    locationValue1: str = ""
    locationType2: str = ""
    locationValue2: str = ""
    locationType3: str = ""
    locationValue3: str = ""
    typeOfService: str = "B"

    def to_json(self) -> dict[str, Any]:
        """The ``endUser`` object."""
        return contract_json(self)


@dataclass(frozen=True)
class PortOutInfo:
    """What the losing carrier needs to release the number; usually just the PIN.

    The PIN and account number are secrets: ``repr`` never shows them. ``authorizingDate`` is
    an ISO date (``YYYY-MM-DD``).
    """

    existingPortOutPin: str = field(default="", repr=False)
    accountNum: str = field(default="", repr=False)
    accountPhoneNumber: str = ""
    authorizingName: str = ""
    authorizingDate: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``portOutInfo`` object (possibly empty: the contract expects it to be present)."""
        return contract_json(self)


@dataclass(frozen=True)
class VoiceConfiguration:
    """Where calls go once ported: an RTC app, an EST trunk, or a FAX service."""

    type: VoiceType
    appId: str = ""
    trunkId: str = ""
    serviceId: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``voiceConfiguration`` object, carrying only the id its type uses."""
        ids = {"RTC": ("appId", self.appId), "EST": ("trunkId", self.trunkId)}
        key, value = ids.get(self.type, ("serviceId", self.serviceId))
        return {"type": self.type} | _compact({key: value})


@dataclass(frozen=True)
class SmsConfiguration:
    """The SMS application the number is attached to once ported."""

    smsAppId: str

    def to_json(self) -> dict[str, Any]:
        """The ``smsConfiguration`` object."""
        return contract_json(self)


@dataclass(frozen=True)
class E911:
    """The emergency address registered for the number (every field optional)."""

    name: str = ""
    streetNum: str = ""
    streetInfo: str = ""
    location: str = ""
    city: str = ""
    state: str = ""
    postalCode: str = ""
    postalCodePlusFour: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``features.e911`` object."""
        return contract_json(self)


@dataclass(frozen=True)
class Features:
    """Optional features of a ported number; today the E911 address."""

    e911: E911 | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``features`` object."""
        return contract_json(self)


@dataclass(frozen=True)
class NumberRequest:
    """One number of an order, in E.164, with its end user and port-out details."""

    phoneNumber: str
    endUser: EndUser
    portOutInfo: PortOutInfo
    voiceConfiguration: VoiceConfiguration | None = None
    smsConfiguration: SmsConfiguration | None = None
    features: Features | None = None

    def to_json(self) -> dict[str, Any]:
        """One item of ``phoneNumbers``."""
        return contract_json(self)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values this number carries (port-out PIN, account number), when given."""
        info = self.portOutInfo
        return tuple(value for value in (info.existingPortOutPin, info.accountNum) if value)


@dataclass(frozen=True)
class OrderRequest:
    """A port-in order: when, which numbers, and how to find it again (the reference)."""

    desired_port_date: date
    phone_numbers: tuple[NumberRequest, ...]
    desired_port_time: str | None = None
    desired_port_time_zone: str | None = None
    customer_order_reference: str = ""
    on_demand_activation: bool = False
    reseller_name: str = ""

    def to_json(self) -> dict[str, Any]:
        """The body of create (POST) and update (PUT) of an order."""
        schedule = {"desiredPortDate": self.desired_port_date.isoformat()} | _compact(
            {
                "desiredPortTime": self.desired_port_time,
                "desiredPortTimeZone": self.desired_port_time_zone,
            }
        )
        body: dict[str, Any] = _compact({"customerOrderReference": self.customer_order_reference})
        body["onDemandActivation"] = self.on_demand_activation
        body["desiredPortSchedule"] = schedule
        body["phoneNumbers"] = [number.to_json() for number in self.phone_numbers]
        return body | _compact({"resellerName": self.reseller_name})


@dataclass(frozen=True)
class PortingConfiguration:
    """Project defaults: contact, webhook URL, default port time and time zone."""

    contact_email: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    webhook_url: str = ""
    default_port_time: str = ""
    default_port_time_zone: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The configuration body for POST and PUT."""
        contact = _compact(
            {"email": self.contact_email, "name": self.contact_name, "phone": self.contact_phone}
        )
        body = _compact(
            {
                "webhookUrl": self.webhook_url,
                "defaultPortTime": self.default_port_time,
                "defaultPortTimeZone": self.default_port_time_zone,
            }
        )
        return ({"contact": contact} if contact else {}) | body

    @classmethod
    def from_json(cls, data: object) -> PortingConfiguration:
        """Read a configuration answer; unknown fields are kept in ``extra``."""
        raw = data if isinstance(data, Mapping) else {}
        found = raw.get("contact")
        contact: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        known = {"contact", "webhookUrl", "defaultPortTime", "defaultPortTimeZone"}
        return cls(
            contact_email=str(contact.get("email") or ""),
            contact_name=str(contact.get("name") or ""),
            contact_phone=str(contact.get("phone") or ""),
            webhook_url=str(raw.get("webhookUrl") or ""),
            default_port_time=str(raw.get("defaultPortTime") or ""),
            default_port_time_zone=str(raw.get("defaultPortTimeZone") or ""),
            extra={key: value for key, value in raw.items() if key not in known},
        )
