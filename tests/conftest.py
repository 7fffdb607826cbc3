"""Shared fixtures. Each test module keeps its own fixtures unless two modules need one."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_contract import require_contract

from batchport.redaction import SECRETS


@pytest.fixture(scope="session")
def openapi_path() -> Path:
    """The published Porting API document; where it is absent, tests that need it are skipped,
    or fail under CI (see ``openapi_contract.require_contract``)."""
    return require_contract()


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Each test starts with no secret registered: a PIN of one test must not mask another's."""
    SECRETS.forget()
    yield
    SECRETS.forget()


@pytest.fixture(autouse=True)
def _collect_after_validate() -> Iterator[None]:
    """``batchport validate`` sets aside what it leaves alive (``gc.freeze``) for its process's
    short end; run in the test process, that is undone after each test."""
    yield
    gc.unfreeze()
