"""Settings: environment variables, a config file and command-line options, resolved in one place.

Precedence, highest first: command-line overrides, environment variables, the config file, the
defaults below. The config file is TOML with the field names of :class:`Settings` as top-level
keys; it is the file named by ``--config``, else ``BATCHPORT_CONFIG``, else ``batchport.toml`` in
the current directory, else ``$XDG_CONFIG_HOME/batchport/config.toml``.

Credentials are checked only when a client is opened (:meth:`Settings.require_credentials`), so
``--help``, ``validate`` and ``template`` never need them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from batchport.errors import ConfigError
from batchport.limits import MAX_NUMBERS_PER_CHECK, MAX_NUMBERS_PER_ORDER
from batchport.redaction import SECRETS, mask, remember

__all__ = [
    "DEFAULT_AUTH_URL",
    "DEFAULT_PORTING_URL",
    "ENV_VARS",
    "MAX_CONCURRENCY",
    "MIN_WEBHOOK_SECRET",
    "SANDBOX_KEY",
    "SANDBOX_PROJECT",
    "Settings",
    "default_state_path",
    "resolve_settings",
]

DEFAULT_PORTING_URL = "https://porting.api.sinch.com"
DEFAULT_AUTH_URL = "https://auth.sinch.com/oauth2/token"
SANDBOX_PROJECT = "sandbox-project"
SANDBOX_KEY = "sandbox"
# The sandbox's key is public, though it travels as a key secret: masking it would garble every
# "sandbox" in a sandbox run's messages, URLs and project id.
SECRETS.exempt(SANDBOX_KEY)
# httpx gets slower per request as one client's pool grows past about 8 connections.
MAX_CONCURRENCY = 8
#: The ceiling of each setting that sizes an API call.
_CALL_LIMITS = {
    "max_per_order": MAX_NUMBERS_PER_ORDER,
    "portability_chunk": MAX_NUMBERS_PER_CHECK,
}

#: Environment variables per field, first match wins.
ENV_VARS: dict[str, tuple[str, ...]] = {
    "project_id": ("SINCH_PROJECT_ID", "PROJECT_ID"),
    "access_token": ("SINCH_ACCESS_TOKEN", "ACCESS_TOKEN"),
    "key_id": ("SINCH_KEY_ID",),
    "key_secret": ("SINCH_KEY_SECRET",),
    "porting_url": ("SINCH_PORTING_URL",),
    "auth_url": ("SINCH_AUTH_URL",),
    "sandbox": ("BATCHPORT_SANDBOX",),
    "rate": ("BATCHPORT_RATE",),
    "concurrency": ("BATCHPORT_CONCURRENCY",),
    "timeout": ("BATCHPORT_TIMEOUT",),
    "max_attempts": ("BATCHPORT_MAX_ATTEMPTS",),
    "retry_deadline": ("BATCHPORT_RETRY_DEADLINE",),
    "trace_path": ("BATCHPORT_TRACE",),
    "state_path": ("BATCHPORT_STATE",),
    "max_per_order": ("BATCHPORT_MAX_PER_ORDER",),
    "portability_chunk": ("BATCHPORT_PORTABILITY_CHUNK",),
    "sandbox_options": ("BATCHPORT_SANDBOX_OPTIONS",),
    "webhook_secret": ("BATCHPORT_WEBHOOK_SECRET",),
}

# Command-line spelling of each field, so an error can name the option the user typed.
_OPTION_NAMES = {
    "project_id": "--project",
    "sandbox": "--sandbox",
    "rate": "--rate",
    "concurrency": "--concurrency",
    "trace_path": "--trace",
    "state_path": "--state",
}

_SECRETS = ("access_token", "key_secret", "webhook_secret")
#: The shortest webhook secret accepted: it is the only thing standing between the internet
#: and the receiver (Sinch signs no webhook), so it must not be guessable.
MIN_WEBHOOK_SECRET = 16
# Characters that travel unchanged in a URL path segment (RFC 3986 "unreserved").
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def default_state_path(env: Mapping[str, str]) -> Path:
    """The journal's default location: ``$XDG_STATE_HOME/batchport/journal.sqlite``."""
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "batchport" / "journal.sqlite"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to reach the Porting API and keep its state.

    ``rate`` is the client's own ceiling in requests per second; ``concurrency`` the number of
    requests in flight at once; ``timeout`` seconds per HTTP exchange; ``max_attempts`` and
    ``retry_deadline`` (seconds) bound the retries of one call. ``webhook_secret`` is the
    shared secret the webhook receiver requires in its URL path or a header.
    """

    project_id: str = ""
    access_token: str = ""
    key_id: str = ""
    key_secret: str = ""
    porting_url: str = DEFAULT_PORTING_URL
    auth_url: str = DEFAULT_AUTH_URL
    sandbox: bool = False
    rate: float = 10.0
    concurrency: int = 4
    timeout: float = 30.0
    max_attempts: int = 5
    retry_deadline: float = 120.0
    trace_path: Path | None = None
    state_path: Path = field(default_factory=lambda: default_state_path({}))
    max_per_order: int = MAX_NUMBERS_PER_ORDER
    portability_chunk: int = MAX_NUMBERS_PER_CHECK
    sandbox_options: str = ""
    webhook_secret: str = ""
    config_path: Path | None = None

    def __repr__(self) -> str:
        parts = []
        for item in fields(self):
            value = getattr(self, item.name)
            shown = mask(value) if item.name in _SECRETS else value
            parts.append(f"{item.name}={shown!r}")
        return f"Settings({', '.join(parts)})"

    @property
    def sandbox_state_path(self) -> Path:
        """Where the in-process sandbox (``--sandbox``) keeps its orders: beside the journal."""
        return self.state_path.parent / "sandbox.sqlite"

    @property
    def served_sandbox_path(self) -> Path:
        """Where ``batchport sandbox serve`` keeps its state by default: beside the journal.

        Not the in-process sandbox's ``sandbox.sqlite``: a served sandbox is another target.
        """
        return self.state_path.parent / "sandbox-served.sqlite"

    @property
    def uses_oauth(self) -> bool:
        """True when a key id and secret are set and no static access token is."""
        return not self.access_token and bool(self.key_id and self.key_secret)

    def require_credentials(self) -> None:
        """Check that a project and one kind of credential are set.

        Raises ConfigError with one line naming the variables to set (and ``--sandbox``).
        """
        hint = "or use --sandbox to try the local emulator"
        if not self.project_id:
            raise ConfigError(f"No Sinch project: set SINCH_PROJECT_ID (or --project), {hint}.")
        if self.access_token or (self.key_id and self.key_secret):
            return
        if self.key_id or self.key_secret:
            raise ConfigError(
                f"Incomplete access key: set both SINCH_KEY_ID and SINCH_KEY_SECRET, {hint}."
            )
        raise ConfigError(
            "No Sinch credentials: set SINCH_KEY_ID and SINCH_KEY_SECRET "
            f"(or SINCH_ACCESS_TOKEN), {hint}."
        )


def _to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def _to_path(value: object) -> Path:
    return Path(str(value)).expanduser()


def _to_optional_path(value: object) -> Path | None:
    return None if value in (None, "") else _to_path(value)


def _to_int(value: object) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("not a whole number")
    if isinstance(value, int | float):
        return int(value)
    return int(str(value).strip())


def _to_float(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        return float(value)
    return float(str(value).strip())


def _to_str(value: object) -> str:
    return str(value).strip()


_CONVERTERS: dict[str, Callable[[object], Any]] = {
    "sandbox": _to_bool,
    "rate": _to_float,
    "concurrency": _to_int,
    "timeout": _to_float,
    "max_attempts": _to_int,
    "retry_deadline": _to_float,
    "trace_path": _to_optional_path,
    "state_path": _to_path,
    "max_per_order": _to_int,
    "portability_chunk": _to_int,
}


def _weak_secret(value: str) -> bool:
    return len(value) < MIN_WEBHOOK_SECRET or not set(value) <= _URL_SAFE


def _check_range(name: str, value: Any) -> str | None:
    """A complaint about ``value`` for field ``name``, or None when it is acceptable."""
    if name in {"rate", "timeout", "retry_deadline"} and not value > 0:
        return f"{name} must be greater than 0, got {value}"
    if name == "concurrency" and not 1 <= value <= MAX_CONCURRENCY:
        return f"concurrency must be between 1 and {MAX_CONCURRENCY}, got {value}"
    if name == "max_attempts" and value < 1:
        return f"max_attempts must be at least 1, got {value}"
    if name in _CALL_LIMITS and not 1 <= value <= _CALL_LIMITS[name]:
        return f"{name} must be between 1 and {_CALL_LIMITS[name]}, got {value}"
    if name == "webhook_secret" and value and _weak_secret(value):
        return (
            f"webhook_secret must be at least {MIN_WEBHOOK_SECRET} characters of letters, "
            "digits and -._~ (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if name in {"porting_url", "auth_url"}:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            return f"{name} must be an http(s) URL, got {value!r}"
        if name == "porting_url" and "/v1/" in f"{parts.path}/":
            return (
                f"porting_url is the service root, e.g. {DEFAULT_PORTING_URL}; batchport adds "
                f"/v1/projects/<project> itself, got {value!r}"
            )
    return None


def _convert(name: str, raw: object, source: str) -> Any:
    """Turn a raw value from ``source`` into the field's type; ConfigError names the source."""
    try:
        value = _CONVERTERS.get(name, _to_str)(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Invalid {name} from {source}: {exc}") from None
    complaint = _check_range(name, value)
    if complaint:
        raise ConfigError(f"Invalid setting from {source}: {complaint}.")
    return value


def _find_config(
    config_path: Path | None, env: Mapping[str, str], cwd: Path
) -> tuple[Path | None, bool]:
    """The config file to read and whether the user named it explicitly."""
    if config_path is not None:
        return config_path, True
    if env.get("BATCHPORT_CONFIG"):
        return Path(env["BATCHPORT_CONFIG"]).expanduser(), True
    local = cwd / "batchport.toml"
    if local.is_file():
        return local, False
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    user = Path(base) / "batchport" / "config.toml"
    return (user, False) if user.is_file() else (None, False)


def _read_config(path: Path, explicit: bool) -> dict[str, object]:
    """Parse a TOML config file; unknown keys and unreadable files raise ConfigError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"Config file not found: {path}") from None
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}") from None
    known = {item.name for item in fields(Settings)} - {"config_path"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"Unknown key(s) in config file {path}: {', '.join(unknown)}")
    return data


def _from_env(env: Mapping[str, str]) -> dict[str, tuple[object, str]]:
    found: dict[str, tuple[object, str]] = {}
    for name, variables in ENV_VARS.items():
        for variable in variables:
            if env.get(variable, "") != "":
                found[name] = (env[variable], variable)
                break
    return found


def resolve_settings(
    overrides: Mapping[str, object] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Build the settings of one run.

    ``overrides`` maps field names to command-line values (``None`` means "not given");
    ``env`` defaults to ``os.environ``; ``config_path`` is ``--config``.
    Returns frozen Settings. Raises ConfigError on an unreadable config file, an unknown key or
    an invalid value, naming where the value came from. Missing credentials are not an error
    here (see :meth:`Settings.require_credentials`).
    """
    if env is None:
        env = os.environ
    path, explicit = _find_config(config_path, env, Path.cwd())
    layers: dict[str, tuple[object, str]] = {}
    if path is not None:
        for name, raw in _read_config(path, explicit).items():
            layers[name] = (raw, f"config file {path}")
    layers.update(_from_env(env))
    for name, raw in (overrides or {}).items():
        if raw is None:
            continue
        if name not in ENV_VARS:
            raise ConfigError(f"Unknown setting {name!r}")
        layers[name] = (raw, _OPTION_NAMES.get(name, f"option {name}"))
    values = {name: _convert(name, raw, source) for name, (raw, source) in layers.items()}
    values.setdefault("state_path", default_state_path(env))
    settings = Settings(**values, config_path=path if path and path.is_file() else None)
    if settings.webhook_secret:
        remember(settings.webhook_secret)
    return _sandboxed(settings, overrides or {}) if settings.sandbox else settings


def _sandboxed(settings: Settings, overrides: Mapping[str, object]) -> Settings:
    """Sandbox runs use the emulator's own key; real credentials are never sent to it."""
    project = overrides.get("project_id") or SANDBOX_PROJECT
    return replace(
        settings,
        project_id=str(project),
        access_token="",
        key_id=SANDBOX_KEY,
        key_secret=SANDBOX_KEY,
    )
