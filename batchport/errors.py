"""The one exception tree of batchport.

Exceptions are for a whole run failing; expected per-row problems are ``Finding`` records
or outcomes in the result workbook, never exceptions.

    BatchportError                  base of everything batchport raises on purpose
    ├── InputError                  the input file cannot be used (unreadable, empty, no header)
    ├── ConfigError                 settings are missing or contradict each other
    ├── JournalError                the state database is unreadable or inconsistent
    └── ApiError                    the Porting API could not do what was asked
        ├── AuthError               401/403: credentials or project are wrong
        ├── ApiRejected             4xx: the request itself was refused (carries field violations)
        ├── TransientApiError       429, 5xx, transport failures: retrying may help
        │   └── RetriesExhausted    retried until the attempt limit or deadline ran out
        └── AmbiguousCreateError    an order create may or may not have been committed

Every ``ApiError`` carries the HTTP status (``None`` for transport failures) and never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

# The exit codes are a contract with schedulers; the README's "Exit codes" table lists them.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # click's own code for a usage error
EXIT_ATTENTION = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C

__all__ = [
    "EXIT_ATTENTION",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "AmbiguousCreateError",
    "ApiError",
    "ApiRejected",
    "AuthError",
    "BatchportError",
    "ConfigError",
    "FieldViolation",
    "InputError",
    "JournalError",
    "RetriesExhausted",
    "TransientApiError",
]


class BatchportError(Exception):
    """Base class: a message fit to show a person, saying what to do next."""


class InputError(BatchportError):
    """The input file cannot be used at all (unreadable, empty, protected, no header)."""


class ConfigError(BatchportError):
    """Settings are missing or invalid; the message names the variable or option to set."""


class JournalError(BatchportError):
    """The journal (SQLite state) cannot be opened or is inconsistent."""


@dataclass(frozen=True)
class FieldViolation:
    """One field the service refused: a path such as ``phoneNumbers[3].endUser.zipCode``."""

    field: str
    description: str


class ApiError(BatchportError):
    """The Porting API could not do what was asked.

    ``status`` is the HTTP status code, or ``None`` when no response arrived.
    ``operation`` names the client method (``create_order``, ...).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        operation: str = "",
        violations: tuple[FieldViolation, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.operation = operation
        self.violations = violations

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class AuthError(ApiError):
    """401/403: wrong key, secret, token or project."""


class ApiRejected(ApiError):
    """A 4xx other than 401/403/429: the request was refused and sending it again won't help."""


class TransientApiError(ApiError):
    """429, 5xx or a transport failure: the same request may succeed later."""


class RetriesExhausted(TransientApiError):
    """A transient failure outlived the attempt limit or the overall deadline."""


class AmbiguousCreateError(ApiError):
    """An order create may have been committed: reconcile by reference before sending again."""
