"""Shared fixtures. Each test module keeps its own fixtures unless two modules need one."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_contract import OPENAPI_PATH


@pytest.fixture(scope="session")
def openapi_path() -> Path:
    """The published Porting API document; tests that need it are skipped when it is absent."""
    if not OPENAPI_PATH.is_file():
        pytest.skip(f"contract reference not found: {OPENAPI_PATH}")
    return OPENAPI_PATH
