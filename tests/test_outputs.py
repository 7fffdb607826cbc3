"""Where outputs go, and that they never clobber an input or each other."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from batchport.errors import ConfigError
from batchport.outputs import create_private, output_path, refuse_clobbering, require_writable


def test_a_result_is_named_after_its_input_and_keeps_the_suffix_when_stems_collide(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "customer.csv"
    csv.write_text("x")
    assert output_path(csv, "result") == tmp_path / "customer.result.xlsx"
    (tmp_path / "customer.xlsx").write_text("x")
    assert output_path(csv, "result") == tmp_path / "customer.csv.result.xlsx"
    assert output_path(tmp_path / "customer.xlsx", "validation") == (
        tmp_path / "customer.validation.xlsx"
    )
    (tmp_path / "customer.xlsm").write_text("x")
    assert output_path(tmp_path / "customer.xlsm", "result") == (
        tmp_path / "customer.xlsm.result.xlsx"
    )


def test_two_names_for_one_file_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("x")
    with pytest.raises(ConfigError, match="the result and the input file are the same file"):
        refuse_clobbering(source, {"the result": tmp_path / "." / "in.csv"})
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    with pytest.raises(ConfigError, match="the trace and the input file"):
        refuse_clobbering(source, {"the trace": link})
    hard = tmp_path / "hard.sqlite"
    os.link(source, hard)
    with pytest.raises(ConfigError, match="the journal and the input file"):
        refuse_clobbering(source, {"the journal": hard})
    journal = tmp_path / "journal.sqlite"
    with pytest.raises(ConfigError, match="the result and the journal"):
        refuse_clobbering(source, {"the journal": journal, "the result": journal, "x": None})
    refuse_clobbering(source, {"the journal": journal, "the result": tmp_path / "r.xlsx"})


def test_a_workbook_path_must_be_xlsx_in_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"must be an \.xlsx file"):
        require_writable(tmp_path / "result.csv", "the result workbook")
    with pytest.raises(ConfigError, match="does not exist"):
        require_writable(tmp_path / "no" / "result.xlsx", "the result workbook")
    require_writable(tmp_path / "result.xlsx", "the result workbook")
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing behind


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    with pytest.raises(ConfigError, match="cannot write the result workbook"):
        require_writable(folder / "result.xlsx", "the result workbook")


def test_private_files_are_owner_only_and_existing_ones_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "journal.sqlite"
    create_private(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b""
    path.write_bytes(b"kept")
    create_private(path)
    assert path.read_bytes() == b"kept"
