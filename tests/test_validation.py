from __future__ import annotations

import datetime as dt
import gc
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from batchport.cli import main
from batchport.errors import InputError
from batchport.findings import CODES, Finding, Severity
from batchport.validation import validate_file

HEADER = [
    "TN",
    "Customer Name",
    "House Number",
    "Street",
    "City",
    "Province",
    "Postal Code",
    "PIN",
    "Port Date",
    "Unknown Extra",
]
GOOD = ["(212) 555-0143", "Acme", "350", "Fifth", "New York", "NY", "10118", "1234", "", "x"]
TODAY = dt.date(2026, 11, 27)


def write_xlsx(path: Path, *rows: list[object]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in (HEADER, *rows):
        sheet.append(values)
    workbook.save(path)
    return path


def bad_row() -> list[object]:
    row: list[object] = list(GOOD)
    row[0], row[5] = "800-555-0100", "ZZ"
    return row


def test_validate_file_normalises_and_counts(tmp_path: Path) -> None:
    second: list[object] = [
        2125550144,
        "Bo",
        "1",
        "Main",
        "Boston",
        "Massachusetts",
        2110,
        "",
        dt.datetime(2026, 12, 1),
        "",
    ]
    path = write_xlsx(tmp_path / "in.xlsx", GOOD, second, bad_row())
    validation = validate_file(path, today=TODAY)
    rows = validation.rows
    assert rows.loc[3, "phoneNumber"] == "+12125550144"
    assert rows.loc[3, "state"] == "MA" and rows.loc[3, "zipCode"] == "02110"
    assert rows.loc[3, "desiredPortDate"] == "2026-12-01"
    assert rows.loc[2, "typeOfService"] == "B" and rows.loc[2, "desiredPortDate"] == ""
    assert not rows.loc[2, "onDemandActivation"]
    assert not rows.isna().any().any()
    assert (validation.row_count, validation.valid, validation.invalid) == (3, 2, 1)
    assert validation.error_rows == frozenset({4})
    assert validation.table.frame.loc[2, "Unknown Extra"] == "x"
    keys = [(f.row, f.column) for f in validation.findings]
    assert keys == sorted(keys, key=lambda k: k[0])
    assert all(isinstance(f, Finding) for f in validation.findings)
    assert validation.warnings == sum(f.severity is Severity.WARNING for f in validation.findings)
    counted = {s.value: sum(f.severity is s for f in validation.findings) for s in Severity}
    assert (validation.errors, validation.warnings, validation.infos) == (
        counted["error"], counted["warning"], counted["info"],
    )  # fmt: skip
    assert validation.infos >= 4  # phone, state, ZIP zeros and the date cell at least


def test_a_changed_value_names_the_value_read_and_the_value_sent(tmp_path: Path) -> None:
    second: list[object] = list(GOOD)
    second[0], second[5], second[6] = 2125550144, " new york", 2110
    validation = validate_file(write_xlsx(tmp_path / "in.xlsx", GOOD, second), today=TODAY)
    found = {(f.row, f.code): f for f in validation.findings}
    phone = found[(2, "phone_reformatted")]
    assert (phone.severity, phone.value, phone.sent) == (
        Severity.INFO,
        "(212) 555-0143",
        "+12125550143",
    )
    assert phone.message.endswith(
        "Read \u201c(212) 555-0143\u201d, will send \u201c+12125550143\u201d."
    )
    # A later stage changes the value again: the finding names what is finally sent.
    stored = found[(3, "phone_stored_as_number")]
    assert (stored.severity, stored.value, stored.sent) == (
        Severity.WARNING,
        "2125550144",
        "+12125550144",
    )
    spaces = found[(3, "whitespace_cleaned")]
    assert (spaces.severity, spaces.value, spaces.sent) == (Severity.INFO, " new york", "NY")
    zeros = found[(3, "zip_leading_zeros_restored")]
    assert (zeros.severity, zeros.sent) == (Severity.WARNING, "02110")
    assert "will send \u201c02110\u201d" in zeros.message
    assert all(
        f.sent == "" for f in validation.findings if f.code == "port_out_credentials_missing"
    )


def test_a_long_value_is_cut_in_the_message_but_kept_whole_in_the_finding(tmp_path: Path) -> None:
    row: list[object] = list(GOOD)
    row[1] = "Acme  " + "x" * 90
    validation = validate_file(write_xlsx(tmp_path / "in.xlsx", row), today=TODAY)
    (spaces,) = [f for f in validation.findings if f.code == "whitespace_cleaned"]
    assert spaces.value == row[1] and spaces.sent == "Acme " + "x" * 90
    assert "\u2026\u201d, will send" in spaces.message and len(spaces.message) < 250


def test_validate_file_raises_input_error_for_unusable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        validate_file(tmp_path / "missing.csv")


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_contract_and_exit_3_when_a_row_has_an_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", GOOD, bad_row())
    code, out, _ = run_cli("validate", str(path), "--json", "--no-report")
    assert code == 3
    data = json.loads(out)
    assert set(data) == {"rows", "valid", "invalid", "errors", "warnings", "infos", "findings"}
    assert (data["rows"], data["valid"], data["invalid"]) == (2, 1, 1)
    for key, severity in (("errors", "error"), ("warnings", "warning"), ("infos", "info")):
        assert data[key] == sum(f["severity"] == severity for f in data["findings"])
    assert (data["errors"], data["infos"]) == (2, 2)
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert {(f["row"], f["column"], f["code"]) for f in errors} == {
        (3, "phoneNumber", "phone_toll_free"),
        (3, "state", "state_invalid"),
    }
    keys = {"row", "column", "code", "severity", "message", "value", "sent"}
    assert all(set(f) == keys for f in data["findings"])
    reformatted = [f for f in data["findings"] if f["code"] == "phone_reformatted"]
    assert {(f["row"], f["value"], f["sent"]) for f in reformatted} == {
        (2, "(212) 555-0143", "+12125550143"),
        (3, "800-555-0100", "+18005550100"),
    }
    # The JSON keeps the advice bare: the change is in value and sent.
    assert {f["message"] for f in reformatted} == {CODES["phone_reformatted"].message}
    assert not (tmp_path / "in.validation.xlsx").exists()


def test_exit_0_and_default_report_beside_input(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", GOOD)
    code, out, _ = run_cli("validate", str(path))
    assert code == 0
    assert "1 row: 1 valid, 0 invalid" in out
    report = tmp_path / "in.validation.xlsx"
    assert report.is_file() and str(report) in out
    assert load_workbook(report).sheetnames == ["Rows", "Findings"]


def test_warming_up_while_a_workbook_parses_changes_nothing_a_user_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from batchport.intake import workbook
    from batchport.validation import warmup

    path = write_xlsx(tmp_path / "in.xlsx", GOOD, bad_row())
    plain = run_cli("validate", str(path), "--json", "--no-report")
    warmed: list[bool] = []
    real = warmup.warm_up
    monkeypatch.setattr(workbook, "parsing", lambda *_: True)  # as for a large workbook
    monkeypatch.setattr(warmup, "warm_up", lambda: warmed.append(True) or real())
    assert run_cli("validate", str(path), "--json", "--no-report") == plain
    assert warmed == [True]
    real()  # the template's examples validate without a word
    assert capfd.readouterr() == ("", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]
    code, out, _ = run_cli("validate", str(path), "--json")  # the writer loaded early
    assert (code, out) == plain[:2]
    assert load_workbook(tmp_path / "in.validation.xlsx")["Rows"]["B3"].value == "invalid"


def test_the_collector_rests_while_validate_works_and_is_restored_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchport.report import validation as report

    path = write_xlsx(tmp_path / "in.xlsx", GOOD, bad_row())
    seen: list[tuple[bool, int]] = []  # (collector on, collections) for each validation
    collections: list[int] = []
    real = report.validate_file

    def observed(*args: object, **kwargs: object) -> object:
        before = len(collections)
        enabled = gc.isenabled()
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        seen.append((enabled, len(collections) - before))
        return result

    def counted(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    monkeypatch.setattr(report, "validate_file", observed)
    threshold = gc.get_threshold()
    gc.callbacks.append(counted)
    gc.set_threshold(1)  # were the collector on, nearly every new object would start one
    try:
        plain = run_cli("validate", str(path), "--json", "--no-report")
        assert gc.isenabled()
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(counted)
    assert plain[0] == 3 and seen == [(False, 0)]
    assert collections  # the callback was heard: outside the command, collections ran
    gc.disable()
    try:
        assert run_cli("validate", str(path), "--json", "--no-report") == plain
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_out_option_and_json_keeps_stdout_pure(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", GOOD, bad_row())
    out_path = tmp_path / "checked.xlsx"
    code, out, err = run_cli("validate", str(path), "--json", "--out", str(out_path))
    assert code == 3 and out_path.is_file()
    json.loads(out)
    assert str(out_path) in err


def test_summary_groups_findings_by_code_errors_first(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", bad_row(), bad_row())
    code, out, _ = run_cli("validate", str(path), "--no-report")
    assert code == 3
    lines = out.splitlines()
    # The warning: the column "Unknown Extra" is not used.
    assert lines[0] == "2 rows: 0 valid, 2 invalid; 5 errors, 1 warning, 2 info"
    headings = [line for line in lines if not line.startswith(" ")]
    assert [h.split(" ")[0] for h in headings[1:]] == ["Errors", "Warnings", "Info"]
    toll_free = next(line for line in lines if "phone_toll_free" in line)
    assert toll_free.split() == ["phone_toll_free", "2", "rows:", "2,", "3"]
    assert next(line for line in lines if "duplicate_number" in line).endswith("1 row:  3")
    assert lines.index(toll_free) < lines.index(next(x for x in lines if "phone_reformatted" in x))


def test_summary_names_the_first_rows_and_how_many_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rows = [[*GOOD[:5], "ZZ", *GOOD[6:]] for _ in range(12)]
    for number, row in enumerate(rows):
        row[0] = f"212-555-01{number:02d}"
    path = write_xlsx(tmp_path / "in.xlsx", *rows)
    code, out, _ = run_cli("validate", str(path), "--no-report")
    assert code == 3
    state = next(line for line in out.splitlines() if "state_invalid" in line)
    assert state.split(maxsplit=1)[1] == "12 rows: 2, 3, 4, 5, 6 and 7 more"
    assert all(len(line) <= 80 for line in out.splitlines())


def test_info_alone_exits_0(tmp_path: Path) -> None:
    # Outside the range kept for fiction (NXX-555-0100 to 0199), which is worth a warning, and
    # without the unused "Unknown Extra" column, which is worth one too.
    path = write_xlsx(tmp_path / "in.xlsx", ["(212) 736-0143", *GOOD[1:-1], ""])
    code, out, _ = run_cli("validate", str(path), "--no-report", "--json")
    data = json.loads(out)
    assert code == 0 and data["infos"] >= 1 and data["errors"] == data["warnings"] == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["validate", "missing.xlsx"], 1, "Error: missing.xlsx: no such file"),
        (["validate", "in.xlsx", "--out", "a.xlsx", "--no-report"], 2, "cannot be used together"),
        (["validate"], 2, "Missing argument"),
        (["validate", "in.xlsx", "--bogus"], 2, "No such option"),
        (["validate", "in.xlsx", "--sheet", "Nope"], 1, "no sheet named 'Nope'"),
    ],
)
def test_exit_codes_for_unusable_input_and_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_xlsx(tmp_path / "in.xlsx", GOOD)
    got, out, err = run_cli(*args)
    assert got == code
    assert message in out + err
    assert "Traceback" not in out + err


def test_unwritable_report_is_a_one_line_failure(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", GOOD)
    code, _, err = run_cli("validate", str(path), "--out", str(tmp_path / "no" / "dir.xlsx"))
    assert code == 1
    assert err.startswith("Error: the folder of the validation workbook")
    assert "does not exist" in err and "Traceback" not in err


def test_summary_counts_carry_thousands_separators_and_line_up(tmp_path: Path) -> None:
    rows = [[f"(212) 555-{i:04d}", *GOOD[1:]] for i in range(1_200)]
    rows[5][5] = "ZZ"  # one bad state: a code on one row under codes on 1,200 rows
    path = write_xlsx(tmp_path / "in.xlsx", *rows)
    code, out, _ = run_cli("validate", str(path), "--no-report")
    assert code == 3
    assert out.splitlines()[0].startswith("1,200 rows: 1,199 valid, 1 invalid; 1 error, ")
    counts = [line for line in out.splitlines() if line.startswith("  ")]
    every = next(line for line in counts if "phone_reformatted" in line)
    state = next(line for line in counts if "state_invalid" in line)
    assert "  1,200 rows:" in every and "      1 row:" in state
    assert every.index("rows:") == state.index("row:")  # the counts line up
