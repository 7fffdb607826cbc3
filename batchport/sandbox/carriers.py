"""Who holds each number today: a deterministic carrier model plus an optional scenario file.

Every answer is a pure function of the number and the seed, so a test, a rerun and a second
process all see the same carrier, the same portability and the same losing-carrier decision.

The carrier is drawn per thousands block (NPA-NXX-X), because numbers are assigned to carriers
in blocks, and then overridden for a share of single numbers that have been ported before.
(INFERRED: the published document names carriers only by example; this mix is the sandbox's.)

A scenario file (JSON or TOML) pins numbers or prefixes::

    [[numbers]]
    match = "+1212555"          # a full number or any prefix of one; the longest match wins
    carrier = "Verizon Wireless"
    portable = false
    reason = "Number is disconnected"
    reject_reason = "Invalid port-out PIN"    # the losing carrier rejects the group
    exclude_reason = "Number is under a service contract"
    reject_pin = "1111"         # rejects the group ("Invalid port-out PIN") while sent this PIN
    answer_days = 30            # the losing carrier answers after this many days (default 1)
"""

from __future__ import annotations

import bisect
import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchport.errors import ConfigError
from batchport.nanp import country_of

__all__ = ["Carrier", "CarrierModel", "NumberFacts", "ScenarioEntry", "load_scenario"]


@dataclass(frozen=True)
class Carrier:
    """A losing carrier: its name, country and kind (wireless, wireline or reseller)."""

    name: str
    country: str
    kind: str
    weight: int


_CARRIERS = (
    Carrier("Verizon Wireless", "US", "wireless", 14),
    Carrier("AT&T Mobility", "US", "wireless", 13),
    Carrier("T-Mobile USA", "US", "wireless", 12),
    Carrier("UScellular", "US", "wireless", 2),
    Carrier("AT&T Southwestern Bell", "US", "wireline", 5),
    Carrier("Verizon New York", "US", "wireline", 4),
    Carrier("Lumen (CenturyLink)", "US", "wireline", 5),
    Carrier("Frontier Communications", "US", "wireline", 3),
    Carrier("Windstream", "US", "wireline", 2),
    Carrier("Comcast Business", "US", "wireline", 6),
    Carrier("Charter Spectrum", "US", "wireline", 5),
    Carrier("Cox Communications", "US", "wireline", 2),
    Carrier("Bandwidth.com CLEC", "US", "wireline", 4),
    Carrier("Level 3 Communications", "US", "wireline", 3),
    Carrier("Google Voice", "US", "reseller", 2),
    Carrier("Vonage", "US", "reseller", 2),
    Carrier("RingCentral", "US", "reseller", 2),
    Carrier("Mint Mobile", "US", "reseller", 1),
    Carrier("Tracfone Wireless", "US", "reseller", 1),
    Carrier("Bell Canada", "CA", "wireline", 10),
    Carrier("Bell Mobility", "CA", "wireless", 8),
    Carrier("Rogers Wireless", "CA", "wireless", 9),
    Carrier("TELUS Communications", "CA", "wireline", 7),
    Carrier("TELUS Mobility", "CA", "wireless", 7),
    Carrier("Videotron", "CA", "wireline", 4),
    Carrier("SaskTel", "CA", "wireline", 2),
    Carrier("Eastlink", "CA", "wireline", 1),
    Carrier("Freedom Mobile", "CA", "wireless", 3),
    Carrier("Fido (Rogers)", "CA", "reseller", 2),
    Carrier("Koodo (TELUS)", "CA", "reseller", 2),
    Carrier("Distributel", "CA", "reseller", 1),
)

_NOT_PORTABLE_REASONS = (
    "Number is disconnected at the losing carrier",
    "Rate center is not served by Sinch",
    "Number has a port-out already in progress with another carrier",
    "Losing carrier has placed a port-out freeze on the account",
)

#: Free-text rejections a losing carrier sends back (INFERRED: no list is published).
REJECT_REASONS = (
    "Invalid port-out PIN",
    "End-user name does not match the losing carrier's records",
    "Account number does not match the losing carrier's records",
    "Service address zip code does not match the losing carrier's records",
)

EXCLUDE_REASONS = (
    "Number is part of a hunt group that must be ported together",
    "Number is no longer assigned to the end user",
)

_NOT_PORTABLE_SHARE = 0.02
_PORTED_BEFORE_SHARE = 0.2
#: How many numbers' facts the model remembers (about 300 bytes each) before starting over.
_MEMORY = 250_000


@dataclass(frozen=True)
class ScenarioEntry:
    """What a scenario pins for numbers starting with ``match``; ``None`` leaves the model's."""

    match: str
    carrier: str | None = None
    portable: bool | None = None
    reason: str | None = None
    reject_reason: str | None = None
    exclude_reason: str | None = None
    reject_pin: str | None = None
    answer_days: int | None = None


@dataclass(frozen=True)
class NumberFacts:
    """Everything the sandbox knows about one number's losing side."""

    phone_number: str
    carrier: str
    portable: bool
    reason: str
    reject_reason: str | None
    exclude_reason: str | None
    #: The group is rejected ("Invalid port-out PIN") while this number is sent with this PIN.
    reject_pin: str | None = None
    #: Days until the losing carrier answers (None: the sandbox's usual one day).
    answer_days: int | None = None


def _fraction(seed: int, *parts: str) -> float:
    digest = hashlib.blake2b("|".join((str(seed), *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def pick(seed: int, choices: tuple[str, ...], *parts: str) -> str:
    """A deterministic choice from ``choices`` for the key ``parts``."""
    return choices[int(_fraction(seed, "pick", *parts) * len(choices))]


def draw(seed: int, *parts: str) -> float:
    """A deterministic number in [0, 1) for the key ``parts``."""
    return _fraction(seed, *parts)


def _cumulative(country: str) -> tuple[list[float], list[str]]:
    pool = [c for c in _CARRIERS if c.country == country]
    total, bounds = 0.0, []
    for carrier in pool:
        total += carrier.weight
        bounds.append(total)
    return [b / total for b in bounds], [c.name for c in pool]


_POOLS = {country: _cumulative(country) for country in ("US", "CA")}


def _weighted(seed: int, country: str, key: str) -> str:
    bounds, names = _POOLS[country]
    index = bisect.bisect_right(bounds, _fraction(seed, "carrier", key))
    return names[min(index, len(names) - 1)]


class CarrierModel:
    """Answers portability and losing-carrier questions for numbers, from a seed and a scenario.

    ``facts(number)`` expects a well-formed ``+1`` number; a number that is not a US or Canadian
    local number is reported not portable.
    """

    def __init__(self, seed: int, scenario: tuple[ScenarioEntry, ...] = ()) -> None:
        self.seed = seed
        self._scenario = {entry.match: entry for entry in scenario}
        self._prefix_lengths = sorted({len(e.match) for e in scenario}, reverse=True)
        self._known: dict[str, NumberFacts] = {}

    def _pinned(self, number: str) -> ScenarioEntry | None:
        for length in self._prefix_lengths:
            entry = self._scenario.get(number[:length])
            if entry is not None:
                return entry
        return None

    def carrier_of(self, number: str, country: str) -> str:
        """The losing carrier's name, from the thousands block or the number itself."""
        if _fraction(self.seed, "ported", number) < _PORTED_BEFORE_SHARE:
            return _weighted(self.seed, country, number)
        return _weighted(self.seed, country, number[:9])

    def facts(self, number: str) -> NumberFacts:
        """The carrier, portability and scripted decisions for one number (remembered)."""
        known = self._known.get(number)
        if known is None:
            if len(self._known) >= _MEMORY:
                self._known.clear()
            known = self._known[number] = self._work_out(number)
        return known

    def _work_out(self, number: str) -> NumberFacts:
        country = country_of(number)
        pinned = self._pinned(number)
        if country is None:
            return NumberFacts(number, "", False, _not_local(number), None, None)
        carrier = self.carrier_of(number, country)
        portable = _fraction(self.seed, "portable", number) >= _NOT_PORTABLE_SHARE
        reason = "" if portable else pick(self.seed, _NOT_PORTABLE_REASONS, number)
        if pinned is None:
            return NumberFacts(number, carrier, portable, reason, None, None)
        portable = portable if pinned.portable is None else pinned.portable
        default_reason = "" if portable else (reason or _NOT_PORTABLE_REASONS[0])
        return NumberFacts(
            number,
            pinned.carrier or carrier,
            portable,
            pinned.reason if pinned.reason is not None else default_reason,
            pinned.reject_reason,
            pinned.exclude_reason,
            pinned.reject_pin,
            pinned.answer_days,
        )


def _not_local(number: str) -> str:
    """Why a ``+1`` number is no US or Canadian local number."""
    if number[2:3] in ("0", "1"):
        return "Not a valid North American number: the area code cannot start with 0 or 1"
    if number[5:6] in ("0", "1"):
        return "Not a valid North American number: the exchange cannot start with 0 or 1"
    return "Only US and Canadian local numbers can be ported in"


def load_scenario(path: Path) -> tuple[ScenarioEntry, ...]:
    """Read a scenario file (``.json`` or ``.toml``) into entries.

    Both forms hold a ``numbers`` list of tables with ``match`` and optional ``carrier``,
    ``portable``, ``reason``, ``reject_reason``, ``exclude_reason``, ``reject_pin`` and
    ``answer_days``. Raises ``ConfigError``
    when the file cannot be read or an entry is malformed.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read sandbox scenario {path}: {exc}") from None
    entries = data.get("numbers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"sandbox scenario {path} needs a 'numbers' list")
    return tuple(_entry(path, i, raw) for i, raw in enumerate(entries))


def _entry(path: Path, index: int, raw: Any) -> ScenarioEntry:
    allowed = {"match", "carrier", "portable", "reason", "reject_reason", "exclude_reason"}
    allowed |= {"reject_pin", "answer_days"}
    if not isinstance(raw, dict) or not isinstance(raw.get("match"), str) or set(raw) - allowed:
        raise ConfigError(
            f"sandbox scenario {path}: numbers[{index}] needs a text 'match' and only the keys "
            + ", ".join(sorted(allowed))
        )
    if "portable" in raw and not isinstance(raw["portable"], bool):
        raise ConfigError(f"sandbox scenario {path}: numbers[{index}].portable must be true/false")
    days = raw.get("answer_days", 1)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ConfigError(
            f"sandbox scenario {path}: numbers[{index}].answer_days must be 1 or more"
        )
    if "reject_pin" in raw and not isinstance(raw["reject_pin"], str):
        raise ConfigError(f"sandbox scenario {path}: numbers[{index}].reject_pin must be text")
    return ScenarioEntry(**raw)
