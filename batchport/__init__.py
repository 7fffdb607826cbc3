"""batchport: bulk port-in of US and Canadian numbers into Sinch through the Porting API.

The library behind the ``batchport`` command::

    from batchport import resolve_settings, run_batch, validate_file

    settings = resolve_settings({"sandbox": True})
    result = run_batch(Path("numbers.xlsx"), settings, dry_run=True)

The stage functions load pandas, pandera and httpx; they are imported on first use, so
``import batchport`` (and ``batchport --help``) stays quick.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from batchport.errors import (
    AmbiguousCreateError,
    ApiError,
    ApiRejected,
    AuthError,
    BatchportError,
    ConfigError,
    FieldViolation,
    InputError,
    JournalError,
    RetriesExhausted,
    TransientApiError,
)

if TYPE_CHECKING:
    from batchport.api import PortingClient
    from batchport.connection import open_client
    from batchport.findings import Finding, Severity
    from batchport.pipeline import RunResult, run_batch
    from batchport.settings import Settings, resolve_settings
    from batchport.validation import Validation, validate_file

try:
    __version__ = version("batchport")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

# Public name -> the module that defines it, imported when the name is first used.
_LAZY = {
    "Finding": "batchport.findings",
    "PortingClient": "batchport.api",
    "RunResult": "batchport.pipeline",
    "Settings": "batchport.settings",
    "Severity": "batchport.findings",
    "Validation": "batchport.validation",
    "open_client": "batchport.connection",
    "resolve_settings": "batchport.settings",
    "run_batch": "batchport.pipeline",
    "validate_file": "batchport.validation",
}

__all__ = [
    "AmbiguousCreateError",
    "ApiError",
    "ApiRejected",
    "AuthError",
    "BatchportError",
    "ConfigError",
    "FieldViolation",
    "Finding",
    "InputError",
    "JournalError",
    "PortingClient",
    "RetriesExhausted",
    "RunResult",
    "Settings",
    "Severity",
    "TransientApiError",
    "Validation",
    "__version__",
    "open_client",
    "resolve_settings",
    "run_batch",
    "validate_file",
]


def __getattr__(name: str) -> Any:
    """Import a stage's public name on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'batchport' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
