"""Request records: what batchport sends to the Porting API, built from spreadsheet rows.

Each record is a frozen dataclass whose ``to_json()`` returns the exact JSON shape of the
published contract, leaving out optional fields that are empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

__all__ = [
    "E911",
    "EndUser",
    "NumberRequest",
    "OrderRequest",
    "PortOutInfo",
    "PortingConfiguration",
    "VoiceConfiguration",
    "VoiceType",
]

VoiceType = Literal["RTC", "EST", "FAX"]


def _compact(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """The pairs whose value is neither empty text nor None."""
    return {key: value for key, value in pairs.items() if value not in ("", None)}


@dataclass(frozen=True)
class EndUser:
    """The end user as the losing carrier knows them; the first six fields are required."""

    name: str
    street_num: str
    street_name: str
    city: str
    state: str
    zip_code: str
    street_pre_dir: str = ""
    street_type: str = ""
    street_post_dir: str = ""
    location_type1: str = ""
    location_value1: str = ""
    location_type2: str = ""
    location_value2: str = ""
    location_type3: str = ""
    location_value3: str = ""
    type_of_service: str = "B"

    def to_json(self) -> dict[str, Any]:
        """The ``endUser`` object."""
        required = {
            "name": self.name,
            "streetNum": self.street_num,
            "streetName": self.street_name,
            "city": self.city,
            "state": self.state,
            "zipCode": self.zip_code,
        }
        optional = _compact(
            {
                "streetPreDir": self.street_pre_dir,
                "streetType": self.street_type,
                "streetPostDir": self.street_post_dir,
                "locationType1": self.location_type1,
                "locationValue1": self.location_value1,
                "locationType2": self.location_type2,
                "locationValue2": self.location_value2,
                "locationType3": self.location_type3,
                "locationValue3": self.location_value3,
                "typeOfService": self.type_of_service,
            }
        )
        return required | optional


@dataclass(frozen=True)
class PortOutInfo:
    """What the losing carrier needs to release the number; usually just the PIN.

    The PIN and account number are secrets: ``repr`` never shows them.
    """

    existing_port_out_pin: str = field(default="", repr=False)
    account_num: str = field(default="", repr=False)
    account_phone_number: str = ""
    authorizing_name: str = ""
    authorizing_date: date | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``portOutInfo`` object (possibly empty: the contract expects it to be present)."""
        return _compact(
            {
                "existingPortOutPin": self.existing_port_out_pin,
                "accountNum": self.account_num,
                "accountPhoneNumber": self.account_phone_number,
                "authorizingName": self.authorizing_name,
                "authorizingDate": self.authorizing_date.isoformat()
                if self.authorizing_date
                else None,
            }
        )


@dataclass(frozen=True)
class VoiceConfiguration:
    """Where calls go once ported: an RTC app, an EST trunk, or a FAX service."""

    type: VoiceType
    app_id: str = ""
    trunk_id: str = ""
    service_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``voiceConfiguration`` object, carrying only the id its type uses."""
        ids = {"RTC": ("appId", self.app_id), "EST": ("trunkId", self.trunk_id)}
        key, value = ids.get(self.type, ("serviceId", self.service_id))
        return {"type": self.type} | _compact({key: value})


@dataclass(frozen=True)
class E911:
    """The emergency address registered for the number (every field optional)."""

    name: str = ""
    street_num: str = ""
    street_info: str = ""
    location: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    postal_code_plus_four: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``features.e911`` object."""
        return _compact(
            {
                "name": self.name,
                "streetNum": self.street_num,
                "streetInfo": self.street_info,
                "location": self.location,
                "city": self.city,
                "state": self.state,
                "postalCode": self.postal_code,
                "postalCodePlusFour": self.postal_code_plus_four,
            }
        )


@dataclass(frozen=True)
class NumberRequest:
    """One number of an order, in E.164, with its end user and port-out details."""

    phone_number: str
    end_user: EndUser
    port_out: PortOutInfo = field(default_factory=PortOutInfo)
    voice: VoiceConfiguration | None = None
    sms_app_id: str = ""
    e911: E911 | None = None

    def to_json(self) -> dict[str, Any]:
        """One item of ``phoneNumbers``."""
        item: dict[str, Any] = {
            "phoneNumber": self.phone_number,
            "endUser": self.end_user.to_json(),
            "portOutInfo": self.port_out.to_json(),
        }
        if self.voice is not None:
            item["voiceConfiguration"] = self.voice.to_json()
        if self.sms_app_id:
            item["smsConfiguration"] = {"smsAppId": self.sms_app_id}
        e911 = self.e911.to_json() if self.e911 is not None else {}
        if e911:
            item["features"] = {"e911": e911}
        return item


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
