"""The ``batchport`` command line: a thin skin over the library, one module per command family.

``common`` holds the group, the exit codes and what commands share; importing the other modules
registers their commands on it.
"""

from __future__ import annotations

from batchport.cli import lifecycle, loa, ops, project, run, sandbox, validate, webhooks
from batchport.cli.common import (
    EXIT_ATTENTION,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    api_options,
    main,
    settings_from_options,
)

__all__ = [
    "EXIT_ATTENTION",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "api_options",
    "lifecycle",
    "loa",
    "main",
    "ops",
    "project",
    "run",
    "sandbox",
    "settings_from_options",
    "validate",
    "webhooks",
]
