"""Benchmark of intake and validation, as whole processes, side by side in one run.

    .venv/bin/python bench/bench_validate.py [--rows 100000] [--csv-rows 1000000] [--runs 3]

Generates a realistic xlsx (``--rows``) and csv (``--csv-rows``) in a temporary directory
(nothing is committed), then measures, interleaving the runs so machine noise hits all alike:

1. a bare ``pandas.read_excel(engine="calamine", dtype=str)`` process on the xlsx (the floor);
2. ``batchport validate --no-report --json`` on the same xlsx (target: at most 1.2x the floor);
3. writing the validation workbook for those rows, against openpyxl's own write-only mode
   writing the same cells in the same process (target: no slower);
4. peak memory of ``batchport validate --no-report --json`` on the csv (target: under 2 GiB).

Prints medians. Needs about a minute per 100k xlsx rows on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_inputs import HEADERS, make_rows, write_xlsx

#: The most ``batchport validate`` may take, as a multiple of the bare read of the same file.
TARGET_RATIO = 1.2

PYTHON = sys.executable
BATCHPORT = [PYTHON, "-m", "batchport"]


def write_inputs(folder: Path, rows: int, csv_rows: int) -> tuple[Path, Path]:
    """Write the xlsx and csv inputs into ``folder``; return their paths."""
    xlsx = write_xlsx(folder / "bench.xlsx", rows)
    csv_path = folder / "bench.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADERS) + "\n")
        for values in make_rows(csv_rows, seed=11):
            handle.write(",".join(f'"{v}"' if "," in v else v for v in values) + "\n")
    return xlsx, csv_path


def run(command: list[str]) -> tuple[float, int]:
    """Run ``command`` to completion; return (wall seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 3):
        message = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{command} failed ({proc.returncode}): {message[-500:]}")
    return elapsed, usage.ru_maxrss // 1024


def write_comparison(xlsx: Path) -> None:
    """In one process: batchport's validation workbook vs openpyxl write-only, same cells."""
    from openpyxl import Workbook

    from batchport.report.sheets import finding_headers, findings_sheet
    from batchport.report.validation import _rows_sheet, write_validation_report
    from batchport.validation import validate_file

    validation = validate_file(xlsx)
    out = Path(tempfile.mkdtemp())
    times = {"batchport": [], "openpyxl": []}
    for _ in range(2):
        headers = finding_headers(validation)
        sheets = [_rows_sheet(validation, headers), findings_sheet(validation, headers)]
        cells = [(s.name, list(s.columns), [list(r) for r in s.rows]) for s in sheets]
        start = time.perf_counter()
        workbook = Workbook(write_only=True)
        for name, columns, rows in cells:
            sheet = workbook.create_sheet(name)
            sheet.append(columns)
            for values in rows:
                sheet.append(values)
        workbook.save(out / "plain.xlsx")
        times["openpyxl"].append(time.perf_counter() - start)
        start = time.perf_counter()
        write_validation_report(validation, out / "report.xlsx")
        times["batchport"].append(time.perf_counter() - start)
    cells_written = sum(len(c[2]) * len(c[1]) for c in cells)
    print(f"  cells per workbook: {cells_written:,}")
    for name, values in times.items():
        print(f"  {name:<10} write: {min(values):6.2f} s (best of {len(values)})")


def main() -> None:
    """Generate the inputs, run the measurements, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_only:
        write_comparison(args.write_only)
        return
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        xlsx, csv_path = write_inputs(Path(folder), args.rows, args.csv_rows)
        print(f"inputs generated in {time.perf_counter() - start:.0f} s")
        code = "import sys, pandas; pandas.read_excel(sys.argv[1], engine='calamine', dtype=str)"
        read = [PYTHON, "-c", code, str(xlsx)]
        validate = [*BATCHPORT, "validate", str(xlsx), "--no-report", "--json"]
        floor, ours = [], []
        for _ in range(args.runs):
            floor.append(run(read)[0])
            ours.append(run(validate)[0])
        f, o = statistics.median(floor), statistics.median(ours)
        print(f"{args.rows:,} rows xlsx, median of {args.runs} fresh processes:")
        print(f"  bare read_excel(calamine, dtype=str): {f:6.2f} s")
        print(f"  batchport validate --no-report --json: {o:6.2f} s  ({o / f:.2f}x the floor)")
        verdict = "yes" if o / f <= TARGET_RATIO else "NO"
        print(f"  at most {TARGET_RATIO}x the floor: {verdict}")
        print("validation workbook for those rows:")
        subprocess.run([PYTHON, __file__, "--write-only", str(xlsx)], check=True)
        seconds, peak = run([*BATCHPORT, "validate", str(csv_path), "--no-report", "--json"])
        print(f"{args.csv_rows:,} rows csv: validate {seconds:.2f} s, peak memory {peak} MiB")


if __name__ == "__main__":
    main()
