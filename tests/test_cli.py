"""The command line as a whole: version, help, exit codes and documentation of every command."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import batchport
from batchport.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent


def _walk(group: click.Group, prefix: str = "batchport") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _walk(command, path)


def test_version_matches_package() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"batchport, version {batchport.__version__}"


def test_help_lists_every_command_with_a_summary() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name, command in main.commands.items():
        summary = command.get_short_help_str(limit=200)
        assert summary, f"{name} has no help text"
        assert re.search(rf"^\s+{re.escape(name)}\s+\S", result.output, re.M), name


def test_every_command_has_help_with_an_example_and_is_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for path, command in _walk(main):
        args = [*path.split()[1:], "--help"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, path
        assert (command.help or "").strip(), f"{path} has no help text"
        if not isinstance(command, click.Group):
            assert "Example:" in (command.help or ""), f"{path} help shows no example"
        assert path in readme, f"{path} is not documented in README.md"


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2


def test_public_api_is_explicit() -> None:
    namespace: dict[str, object] = {}
    exec("from batchport import *", namespace)
    exported = {name for name in namespace if name != "__builtins__"}
    assert exported == set(batchport.__all__)
    assert len(batchport.__all__) == len(set(batchport.__all__))


def test_stage_functions_load_on_first_use_only() -> None:
    code = (
        "import sys, batchport; assert 'pandas' not in sys.modules; "
        "from batchport import run_batch; assert 'pandas' in sys.modules; "
        "print(run_batch.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "batchport.pipeline"


def test_a_missing_input_is_the_same_error_and_exit_code_for_every_command(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nope.xlsx"
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    seen = set()
    for args in (
        ["validate", str(missing)],
        ["run", str(missing)],
        ["run", str(missing), "--sandbox"],
    ):
        result = CliRunner().invoke(main, args, env=env)
        seen.add((result.exit_code, result.stderr.strip()))
    assert seen == {(1, f"Error: {missing}: no such file; give the path of an .xlsx or .csv file")}


def test_a_workbook_path_that_is_not_xlsx_is_refused_by_every_command(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("Phone Number,Name\n(212) 555-0143,Acme\n")
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    for args in (
        ["validate", str(source), "--out", str(tmp_path / "report.csv")],
        ["run", str(source), "--sandbox", "--out", str(tmp_path / "result.csv")],
    ):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("Error: the ") and "must be an .xlsx file" in result.stderr
        assert source.read_text().startswith("Phone Number")


def test_an_unexpected_fault_is_one_masked_line_and_a_traceback_only_with_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchport import redaction
    from batchport.report import validation as report_validation

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk said PIN 8642 is odd")

    monkeypatch.setattr(report_validation, "validate_and_report", broken)
    redaction.SECRETS.remember("8642")
    source = tmp_path / "in.csv"
    source.write_text("Phone Number,Name\n(212) 555-0143,Acme\n")
    plain = CliRunner().invoke(main, ["validate", str(source)])
    assert plain.exit_code == 1
    assert plain.stderr.strip().splitlines() == [
        "Error: unexpected RuntimeError: disk said PIN **** is odd; run the same command again "
        "with --debug for the details, and report them"
    ]
    debug = CliRunner().invoke(main, ["--debug", "validate", str(source)])
    assert debug.exit_code == 1 and "Traceback" in debug.stderr and "8642" not in debug.stderr


def test_a_hostile_workbook_is_one_error_line_and_exit_1_for_validate_and_run(
    tmp_path: Path,
) -> None:
    from xlsx_parts import cell, row, write_workbook

    far = '<row r="1048576">' + cell("XFD1048576", " ") + "</row>"
    data = row(1, ["Phone Number", "Name"]) + row(2, ["(212) 555-0143", "Acme"]) + far
    source = write_workbook(tmp_path / "far.xlsx", [("Numbers", data)])
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    for args in (["validate", str(source), "--no-report"], ["run", str(source), "--sandbox"]):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 1, args
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
        assert "sheet 'Numbers' has a cell at XFD1048576" in errors[0]
