"""The project's porting configuration: read it, and set some of its fields.

The API keeps one configuration per project (contact, webhook URL, default port time and zone).
It has no partial update: ``PUT`` replaces the whole configuration, so :func:`set_configuration`
reads it, changes only the fields given and writes all of it back; when the project has none
yet (``GET`` answers 404) it creates one with ``POST``. Every value is checked before anything
is sent, by the same functions the command line uses on its options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from batchport.api import PortingClient, PortingConfiguration
from batchport.errors import ApiRejected, ConfigError
from batchport.nanp import TIME_ZONES

__all__ = [
    "CONFIGURATION_FIELDS",
    "ConfigurationChange",
    "ConfigurationResult",
    "check_email",
    "check_port_time",
    "check_time_zone",
    "check_webhook_url",
    "configuration_json",
    "read_configuration",
    "set_configuration",
]

#: The configuration's fields as shown, in order: record field → label.
CONFIGURATION_FIELDS = {
    "webhook_url": "Webhook URL",
    "contact_name": "Contact name",
    "contact_email": "Contact email",
    "contact_phone": "Contact phone",
    "default_port_time": "Default port time",
    "default_port_time_zone": "Default port time zone",
}

_URL = re.compile(r"^https?://[^\s/?#]+([/?#]\S*)?$", re.IGNORECASE)
# The shape of an address, not a full RFC 5322 parser: one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")


def check_webhook_url(value: str) -> str:
    """``value`` if it is an http(s) URL (or empty, to clear it); ValueError otherwise."""
    value = value.strip()
    if value and not _URL.match(value):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


def check_email(value: str) -> str:
    """``value`` if it looks like an email address (or is empty); ValueError otherwise."""
    value = value.strip()
    if value and not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address such as ops@example.com")
    return value


def check_port_time(value: str) -> str:
    """``value`` if it is a time ``HH:MM:SS`` (or empty); ValueError otherwise."""
    value = value.strip()
    if value and not _TIME.match(value):
        raise ValueError(f"{value!r} is not a time HH:MM:SS such as 09:00:00")
    return value


def check_time_zone(value: str) -> str:
    """``value`` if it is one of the API's time zones (or empty); ValueError otherwise."""
    value = value.strip()
    if value and value not in TIME_ZONES:
        raise ValueError(f"{value!r} is not one of {', '.join(TIME_ZONES)}")
    return value


_CHECKS = {
    "webhook_url": check_webhook_url,
    "contact_email": check_email,
    "default_port_time": check_port_time,
    "default_port_time_zone": check_time_zone,
}


@dataclass(frozen=True)
class ConfigurationChange:
    """The fields to set; ``None`` keeps a field as it is and ``""`` clears it."""

    webhook_url: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    default_port_time: str | None = None
    default_port_time_zone: str | None = None

    def given(self) -> dict[str, str]:
        """The fields given, each checked and stripped.

        Raises ConfigError naming the first field whose value is not acceptable.
        """
        values = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            try:
                values[item.name] = _CHECKS.get(item.name, str.strip)(value)
            except ValueError as exc:
                raise ConfigError(f"{CONFIGURATION_FIELDS[item.name]}: {exc}") from None
        return values


@dataclass(frozen=True)
class ConfigurationResult:
    """The configuration as the service answered, and whether this call created it."""

    configuration: PortingConfiguration
    created: bool


def configuration_json(config: PortingConfiguration) -> dict[str, str]:
    """The configuration as one flat object (record field names) for ``--json``."""
    return {name: getattr(config, name) for name in CONFIGURATION_FIELDS}


async def read_configuration(client: PortingClient) -> PortingConfiguration | None:
    """The project's configuration, or None when it has none yet (the service answers 404).

    Raises the client's ApiErrors otherwise.
    """
    try:
        return await client.get_configuration()
    except ApiRejected as exc:
        if exc.status == 404:
            return None
        raise


async def set_configuration(
    client: PortingClient, change: ConfigurationChange
) -> ConfigurationResult:
    """Create the project's configuration with ``change``, or update the fields it gives.

    An update is a full ``PUT``: the fields ``change`` leaves out keep their current values.
    Raises ConfigError (nothing sent) when no field is given or a value is not acceptable, and
    the client's ApiErrors.
    """
    values = change.given()
    if not values:
        raise ConfigError("nothing to set: give at least one field to change")
    current = await read_configuration(client)
    if current is None:
        created = await client.create_configuration(_changed(PortingConfiguration(), values))
        return ConfigurationResult(created, created=True)
    updated = await client.update_configuration(_changed(current, values))
    return ConfigurationResult(updated, created=False)


def _changed(config: PortingConfiguration, values: dict[str, str]) -> PortingConfiguration:
    """``config`` with the fields in ``values`` replaced and every other field kept."""
    return replace(
        config,
        webhook_url=values.get("webhook_url", config.webhook_url),
        contact_name=values.get("contact_name", config.contact_name),
        contact_email=values.get("contact_email", config.contact_email),
        contact_phone=values.get("contact_phone", config.contact_phone),
        default_port_time=values.get("default_port_time", config.default_port_time),
        default_port_time_zone=values.get("default_port_time_zone", config.default_port_time_zone),
    )
