"""The sandbox's settings: one frozen dataclass, every field defaulted.

``SandboxConfig.from_options("seed=3,rate_limit=20")`` builds one from the compact text form the
CLI's ``--sandbox-options`` style flags and tests use.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from batchport.errors import ConfigError

__all__ = ["CRASH_POINTS", "SandboxConfig"]

CRASH_POINTS = ("before", "after")

#: Fields ``from_options`` refuses: they hold callables, not text.
_NOT_OPTIONS = frozenset({"sleep", "monotonic"})


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox behaves.

    ``seed`` makes carriers, rejections and faults reproducible. ``state_path`` is ``None`` for
    an in-memory sandbox or a SQLite file a later process reopens. ``rate_limit`` is requests
    per second per project (a token bucket holding ``burst`` tokens, one second's worth when
    ``None``); ``None`` turns limiting off. The ``*_rate`` fields are probabilities per request
    (``ambiguous_rate`` per order create). ``reject_rate`` is the share of carrier groups the
    losing carrier rejects, ``exclude_rate`` the share of numbers excluded at confirmation.
    ``today`` starts the sandbox clock (default: the real UTC date). ``crash_on_create`` SIGKILLs
    the process when that order create (1-based) arrives, ``before`` or ``after`` committing it.
    ``sleep`` and ``monotonic`` are injectable so tests never wait.
    """

    seed: int = 0
    state_path: Path | None = None
    key_id: str = "sandbox"
    key_secret: str = field(default="sandbox", repr=False)
    rate_limit: float | None = 50.0
    burst: float | None = None
    latency_ms: int = 0
    jitter_ms: int = 0
    fault_rate: float = 0.0
    drop_rate: float = 0.0
    ambiguous_rate: float = 0.0
    reject_rate: float = 0.1
    exclude_rate: float = 0.01
    scenario: Path | None = None
    today: date | None = None
    crash_on_create: int | None = None
    crash_point: str = "after"
    token_lifetime_s: int = 3600
    webhook_attempts: int = 4
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    monotonic: Callable[[], float] = field(default=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        for name in ("fault_rate", "drop_rate", "ambiguous_rate", "reject_rate", "exclude_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"sandbox option {name} must be between 0 and 1, got {value}")
        for name in ("latency_ms", "jitter_ms"):
            if getattr(self, name) < 0:
                raise ConfigError(f"sandbox option {name} must not be negative")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConfigError("sandbox option rate_limit must be positive (or none to turn off)")
        if self.crash_point not in CRASH_POINTS:
            raise ConfigError(
                f"sandbox option crash_point must be one of {', '.join(CRASH_POINTS)}"
            )
        if self.crash_on_create is not None and self.crash_on_create < 1:
            raise ConfigError("sandbox option crash_on_create counts from 1")
        if self.webhook_attempts < 1 or self.token_lifetime_s < 1:
            raise ConfigError("sandbox options webhook_attempts and token_lifetime_s must be >= 1")

    @property
    def bucket_size(self) -> float:
        """Tokens the rate-limit bucket holds when full (at least one request)."""
        if self.rate_limit is None:
            return 0.0
        return max(1.0, self.burst if self.burst is not None else self.rate_limit)

    @classmethod
    def from_options(cls, text: str, **overrides: Any) -> SandboxConfig:
        """Parse ``key=value,key=value`` into a config (``overrides`` win over the text).

        Values are converted to the field's type; ``none`` clears an optional field. Raises
        ``ConfigError`` naming the key on an unknown key, a missing ``=`` or a bad value.
        """
        values: dict[str, Any] = {}
        known = {f.name: f for f in dataclasses.fields(cls) if f.name not in _NOT_OPTIONS}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, raw = item.partition("=")
            key = key.strip()
            if not sep:
                raise ConfigError(f"sandbox option {item!r} needs the form key=value")
            if key not in known:
                raise ConfigError(
                    f"unknown sandbox option {key!r}; known: {', '.join(sorted(known))}"
                )
            values[key] = _convert(key, str(known[key].type), raw.strip())
        values.update(overrides)
        return cls(**values)


def _convert(key: str, type_text: str, raw: str) -> Any:
    optional = "None" in type_text
    if optional and raw.lower() in ("none", "off", ""):
        return None
    try:
        if type_text.startswith("int"):
            return int(raw)
        if type_text.startswith("float"):
            return float(raw)
        if type_text.startswith("Path"):
            return Path(raw)
        if type_text.startswith("date"):
            return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"sandbox option {key}: cannot read {raw!r}") from None
    return raw
