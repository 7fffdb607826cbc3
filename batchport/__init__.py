"""batchport: bulk port-in of US and Canadian numbers into Sinch through the Porting API."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from batchport.errors import (
    AmbiguousCreateError,
    ApiError,
    ApiRejected,
    AuthError,
    BatchportError,
    ConfigError,
    InputError,
    JournalError,
    TransientApiError,
)

try:
    __version__ = version("batchport")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "AmbiguousCreateError",
    "ApiError",
    "ApiRejected",
    "AuthError",
    "BatchportError",
    "ConfigError",
    "InputError",
    "JournalError",
    "TransientApiError",
    "__version__",
]
