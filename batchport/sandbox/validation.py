"""Request validation, as strict as a real service: every problem at once, each with a path.

Missing fields and wrong JSON types are structural (answered 400); bad values are 422. The
published document gives few limits; the ones it does not give are marked INFERRED.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from batchport.limits import MAX_NUMBERS_PER_CHECK, MAX_NUMBERS_PER_ORDER
from batchport.nanp import (
    CA_PROVINCES,
    E164_NANP,
    TIME_ZONES,
    US_STATES,
    US_TERRITORIES,
    US_ZIP,
    country_of,
)
from batchport.sandbox.replies import ApiFailure, Violation

__all__ = [
    "FORBIDDEN_REFERENCE_CHARS",
    "Checker",
    "check_configuration",
    "check_number_list",
    "check_order",
    "read_json",
]

MAX_REFERENCE = 100
FORBIDDEN_REFERENCE_CHARS = frozenset("<\\^~`}{>=][!")
END_USER_REQUIRED = ("name", "streetNum", "streetName", "city", "state", "zipCode")
END_USER_OPTIONAL = (
    "streetPreDir", "streetType", "streetPostDir", "locationType1", "locationValue1",
    "locationType2", "locationValue2", "locationType3", "locationValue3",
)  # fmt: skip
PORT_OUT_FIELDS = (
    "existingPortOutPin", "accountNum", "accountPhoneNumber", "authorizingName", "authorizingDate",
)  # fmt: skip
VOICE_ID_FIELD = {"RTC": "appId", "EST": "trunkId", "FAX": "serviceId"}

# INFERRED: the document says only "two-letter abbreviation"; we take USPS codes (with DC and
# the inhabited territories) and the Canadian province and territory codes. The tool itself
# refuses the territories earlier, since their numbers are outside the API's scope.
_US_REGIONS = frozenset(US_STATES) | frozenset(US_TERRITORIES)
_US_ZIP = re.compile(US_ZIP)
_CA_POSTAL = re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A well-formed +1 number; whether its area code and exchange exist is the check's answer.
_PLUS_ONE = re.compile(r"^\+1\d{10}$")


def read_json(raw: bytes) -> Any:
    """Parse a request body; raises ``ApiFailure`` 400 when it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiFailure.invalid(
            [Violation("body", "The request body is not valid JSON", structural=True)]
        ) from None


class Checker:
    """Collects violations while walking a request body."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def fail(self, path: str, description: str, *, structural: bool = False) -> None:
        """Record one violation at ``path``."""
        self.violations.append(Violation(path, description, structural))

    def obj(self, parent: dict[str, Any], key: str, path: str, *, required: bool) -> Any:
        """The object at ``key`` (``{}`` when absent or wrong, after recording why)."""
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(path, "Required field is missing", structural=True)
            return {}
        if not isinstance(value, dict):
            self.fail(path, "Must be an object", structural=True)
            return {}
        return value

    def text(self, parent: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
        """The string at ``key``; required ones must also be non-blank."""
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(path, "Required field is missing", structural=True)
            return None
        if not isinstance(value, str):
            self.fail(path, "Must be a string", structural=True)
            return None
        if required and not value.strip():
            self.fail(path, "Must not be empty")
            return None
        return value

    def iso_date(self, value: str | None, path: str) -> date | None:
        """A ``YYYY-MM-DD`` date, or ``None`` after recording why not."""
        if value is None:
            return None
        try:
            if _DATE.match(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.fail(path, "Must be a date in the form YYYY-MM-DD")
        return None

    def raise_if_any(self) -> None:
        """Raise ``ApiFailure`` (400 or 422) when anything was recorded."""
        if self.violations:
            raise ApiFailure.invalid(self.violations)


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiFailure.invalid(
            [Violation("body", "The request body must be a JSON object", structural=True)]
        )
    return body


def check_number_list(body: Any, key: str = "phoneNumbers") -> list[str]:
    """The ``phoneNumbers`` list of a portability check: up to ``MAX_NUMBERS_PER_CHECK`` ``+1``
    E.164 strings (``+1`` and ten digits; a number that is no valid NANP number is answered
    not portable, number by number, rather than refused here).

    INFERRED: no limit is published for portability checks; the sandbox applies batchport's own
    (see ``batchport.limits``). Raises ``ApiFailure``.
    """
    data = _object_body(body)
    check = Checker()
    numbers = data.get(key)
    if not isinstance(numbers, list):
        check.fail(key, "Required list of phone numbers is missing", structural=True)
        check.raise_if_any()
    assert isinstance(numbers, list)
    if not numbers:
        check.fail(key, "Give at least one phone number")
    if len(numbers) > MAX_NUMBERS_PER_CHECK:
        check.fail(key, f"At most {MAX_NUMBERS_PER_CHECK} phone numbers per request")
    for i, number in enumerate(numbers):
        if not isinstance(number, str):
            check.fail(f"{key}[{i}]", "Must be a string", structural=True)
        elif not _PLUS_ONE.match(number):
            check.fail(f"{key}[{i}]", "Must be a +1 number in E.164 form, e.g. +12125550123")
    check.raise_if_any()
    return numbers


def check_order(body: Any, today: date) -> dict[str, Any]:
    """Check an order body (create or full update) and return its writable fields.

    The result holds ``customerOrderReference``, ``onDemandActivation``, ``resellerName``,
    ``desiredPortSchedule`` and ``phoneNumbers`` (each with ``countryCode`` added); read-only
    fields in the body are ignored. Raises ``ApiFailure`` with every violation found. Checks
    that need the project's other orders or the carrier model are made by the caller.
    """
    data = _object_body(body)
    check = Checker()
    reference = _reference(check, data)
    on_demand = data.get("onDemandActivation", False)
    if not isinstance(on_demand, bool):
        check.fail("onDemandActivation", "Must be true or false", structural=True)
    reseller = check.text(data, "resellerName", "resellerName", required=False) or ""
    schedule = _schedule(check, data, today)
    numbers = _numbers(check, data, today)
    if any(n.get("countryCode") == "CA" for n in numbers) and not reseller.strip():
        check.fail("resellerName", "Required when the order has a Canadian number")
    check.raise_if_any()
    return {
        "customerOrderReference": reference,
        "onDemandActivation": on_demand,
        "resellerName": reseller,
        "desiredPortSchedule": schedule,
        "phoneNumbers": numbers,
    }


def _reference(check: Checker, data: dict[str, Any]) -> str:
    reference = check.text(data, "customerOrderReference", "customerOrderReference", required=False)
    if reference is None:
        return ""
    # INFERRED: the limit and the forbidden characters are not in the published document.
    if len(reference) > MAX_REFERENCE:
        check.fail("customerOrderReference", f"At most {MAX_REFERENCE} characters")
    bad = sorted(set(reference) & FORBIDDEN_REFERENCE_CHARS)
    if bad:
        check.fail("customerOrderReference", f"Must not contain {' '.join(bad)}")
    return reference


def _schedule(check: Checker, data: dict[str, Any], today: date) -> dict[str, Any]:
    raw = check.obj(data, "desiredPortSchedule", "desiredPortSchedule", required=True)
    if not isinstance(data.get("desiredPortSchedule"), dict):
        return {}
    path = "desiredPortSchedule"
    wanted = check.iso_date(
        check.text(raw, "desiredPortDate", f"{path}.desiredPortDate", required=True),
        f"{path}.desiredPortDate",
    )
    if wanted is not None and wanted < today:
        check.fail(f"{path}.desiredPortDate", f"Must not be in the past (today is {today})")
    schedule: dict[str, Any] = {"desiredPortDate": raw.get("desiredPortDate")}
    _time_and_zone(check, raw, schedule, ("desiredPortTime", "desiredPortTimeZone"), f"{path}.")
    return schedule


def _time_and_zone(
    check: Checker, raw: dict[str, Any], into: dict[str, Any], keys: tuple[str, str], prefix: str
) -> None:
    """Check an optional ``HH:MM:SS`` time and time zone at ``keys``; copy them ``into``."""
    time_key, zone_key = keys
    port_time = check.text(raw, time_key, prefix + time_key, required=False)
    if port_time is not None:
        if not _TIME.match(port_time):
            check.fail(prefix + time_key, "Must be a time in the form HH:MM:SS")
        into[time_key] = port_time
    zone = check.text(raw, zone_key, prefix + zone_key, required=False)
    if zone is not None:
        if zone not in TIME_ZONES:
            check.fail(prefix + zone_key, f"Must be one of {', '.join(TIME_ZONES)}")
        into[zone_key] = zone


def _numbers(check: Checker, data: dict[str, Any], today: date) -> list[dict[str, Any]]:
    raw = data.get("phoneNumbers")
    if not isinstance(raw, list):
        check.fail("phoneNumbers", "Required list of phone numbers is missing", structural=True)
        return []
    if not raw:
        check.fail("phoneNumbers", "An order needs at least one phone number")
    if len(raw) > MAX_NUMBERS_PER_ORDER:
        check.fail("phoneNumbers", f"At most {MAX_NUMBERS_PER_ORDER} phone numbers per order")
    return [_number(check, item, f"phoneNumbers[{i}]", today) for i, item in enumerate(raw)]


def _number(check: Checker, item: Any, path: str, today: date) -> dict[str, Any]:
    if not isinstance(item, dict):
        check.fail(path, "Must be an object", structural=True)
        return {}
    number = check.text(item, "phoneNumber", f"{path}.phoneNumber", required=True)
    entry: dict[str, Any] = {"phoneNumber": number, "status": "PENDING"}
    if number is not None:
        country = country_of(number)
        if not E164_NANP.match(number):
            check.fail(f"{path}.phoneNumber", "Must be a +1 number in E.164 form")
        elif country is None:
            check.fail(f"{path}.phoneNumber", "Must be a US or Canadian local number")
        else:
            entry["countryCode"] = country
    entry["endUser"] = _end_user(check, item, f"{path}.endUser")
    if "portOutInfo" in item:
        entry["portOutInfo"] = _port_out(check, item, f"{path}.portOutInfo", today)
    voice = _voice(check, item, f"{path}.voiceConfiguration")
    if voice is not None:
        entry["voiceConfiguration"] = voice
    sms = check.obj(item, "smsConfiguration", f"{path}.smsConfiguration", required=False)
    if sms:
        check.text(sms, "smsAppId", f"{path}.smsConfiguration.smsAppId", required=False)
        entry["smsConfiguration"] = sms
    features = check.obj(item, "features", f"{path}.features", required=False)
    if features:
        entry["features"] = features
    if check.text(item, "newPortOutPin", f"{path}.newPortOutPin", required=False) is not None:
        entry["newPortOutPin"] = item["newPortOutPin"]
    return entry


def _end_user(check: Checker, item: dict[str, Any], path: str) -> dict[str, Any]:
    raw = check.obj(item, "endUser", path, required=True)
    user: dict[str, Any] = {}
    for key in END_USER_REQUIRED:
        user[key] = check.text(raw, key, f"{path}.{key}", required=True)
    for key in END_USER_OPTIONAL:
        if check.text(raw, key, f"{path}.{key}", required=False) is not None:
            user[key] = raw[key]
    service = check.text(raw, "typeOfService", f"{path}.typeOfService", required=False) or "B"
    if service not in ("B", "R"):
        check.fail(f"{path}.typeOfService", "Must be B (business) or R (residence)")
    user["typeOfService"] = service
    _address(check, user, path)
    return {k: v for k, v in user.items() if v is not None}


def _address(check: Checker, user: dict[str, Any], path: str) -> None:
    state, zip_code = user.get("state"), user.get("zipCode")
    if state is None:
        return
    if state in _US_REGIONS:
        pattern, form = _US_ZIP, "a US ZIP code (12345 or 12345-6789)"
    elif state in CA_PROVINCES:
        pattern, form = _CA_POSTAL, "a Canadian postal code (A1A 1A1)"
    else:
        check.fail(f"{path}.state", "Must be a two-letter US state or Canadian province code")
        return
    if zip_code is not None and not pattern.match(zip_code):
        check.fail(f"{path}.zipCode", f"Must be {form} for state {state}")


def _port_out(check: Checker, item: dict[str, Any], path: str, today: date) -> dict[str, Any]:
    raw = check.obj(item, "portOutInfo", path, required=False)
    info = {k: raw[k] for k in PORT_OUT_FIELDS if k in raw}
    for key in PORT_OUT_FIELDS:
        check.text(raw, key, f"{path}.{key}", required=False)
    if isinstance(raw.get("authorizingDate"), str):
        signed = check.iso_date(raw["authorizingDate"], f"{path}.authorizingDate")
        if signed is not None and signed > today:
            check.fail(f"{path}.authorizingDate", "Must not be in the future")
    return info


def _voice(check: Checker, item: dict[str, Any], path: str) -> dict[str, Any] | None:
    raw = check.obj(item, "voiceConfiguration", path, required=False)
    if "voiceConfiguration" not in item or not isinstance(item["voiceConfiguration"], dict):
        return None
    kind = check.text(raw, "type", f"{path}.type", required=True)
    if kind is None:
        return None
    id_field = VOICE_ID_FIELD.get(kind)
    if id_field is None:
        check.fail(f"{path}.type", f"Must be one of {', '.join(VOICE_ID_FIELD)}")
        return None
    # INFERRED: the schema marks no id as required; a configuration without one cannot route.
    value = check.text(raw, id_field, f"{path}.{id_field}", required=True)
    return {"type": kind, id_field: value}


def check_configuration(body: Any) -> dict[str, Any]:
    """Check a ``DefaultsConfiguration`` body and return its known fields.

    ``webhookUrl`` may omit the scheme (the published example does); ``https://`` is assumed.
    Raises ``ApiFailure``.
    """
    data = _object_body(body)
    check = Checker()
    result: dict[str, Any] = {}
    contact = check.obj(data, "contact", "contact", required=False)
    if contact:
        result["contact"] = {
            k: contact[k]
            for k in ("email", "name", "phone")
            if check.text(contact, k, f"contact.{k}", required=False) is not None
        }
    url = check.text(data, "webhookUrl", "webhookUrl", required=False)
    if url is not None:
        if url and (" " in url or not re.match(r"^([a-z][a-z0-9+.-]*://)?[^/\s]+", url)):
            check.fail("webhookUrl", "Must be a URL")
        result["webhookUrl"] = url
    _time_and_zone(check, data, result, ("defaultPortTime", "defaultPortTimeZone"), "")
    check.raise_if_any()
    return result


def check_fields(
    body: Any, rules: dict[str, Callable[[Checker, dict[str, Any]], Any]]
) -> dict[str, Any]:
    """Apply one rule per field of a small body (notes, documents); raises ``ApiFailure``."""
    data = _object_body(body)
    check = Checker()
    result = {name: rule(check, data) for name, rule in rules.items()}
    check.raise_if_any()
    return result
