"""The contract helper: a missing published document skips a test, or fails it under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openapi_contract
import pytest
from openapi_contract import in_ci, require_contract

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "reference" / "sinch-porting-openapi.yaml"
    monkeypatch.setattr(openapi_contract, "OPENAPI_PATH", path)
    return path


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_a_missing_document_fails_under_ci(
    missing: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception) as failure:
        require_contract()
    assert f"contract reference not found: {missing}" in str(failure.value)


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_a_missing_document_skips_outside_ci(
    missing: Path, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_contract()
    assert str(skipped.value) == f"contract reference not found: {missing}"


def test_a_present_document_is_used_under_ci(
    missing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing.parent.mkdir()
    missing.write_text("openapi: 3.1.0\n", encoding="utf-8")
    monkeypatch.setenv("CI", "true")
    assert require_contract() == missing


def test_in_ci_reads_only_the_ci_variable() -> None:
    assert in_ci({"CI": " True "})
    assert not in_ci({"GITHUB_ACTIONS": "true"})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ci", "exit_code", "outcome"), [("true", 1, "1 error"), ("", 0, "1 skip")]
)
def test_a_run_without_the_document_fails_only_in_ci(
    tmp_path: Path, ci: str, exit_code: int, outcome: str
) -> None:
    (tmp_path / "test_needs_contract.py").write_text(
        "def test_needs_contract(openapi_path):\n    assert openapi_path.is_file()\n"
    )
    absent = tmp_path / "absent.yaml"
    env = {
        **os.environ,
        "CI": ci,
        "BATCHPORT_OPENAPI_PATH": str(absent),
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-rs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == exit_code, done.stdout
    assert outcome in done.stdout
    assert f"contract reference not found: {absent}" in done.stdout
