"""Shared fixtures. Each test module keeps its own fixtures unless two modules need one."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_contract import require_contract


@pytest.fixture(scope="session")
def openapi_path() -> Path:
    """The published Porting API document; where it is absent, tests that need it are skipped,
    or fail under CI (see ``openapi_contract.require_contract``)."""
    return require_contract()
