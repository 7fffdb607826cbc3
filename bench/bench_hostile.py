"""Benchmark of hostile workbooks: each must end in one line, quickly and in little memory.

    .venv/bin/python bench/bench_hostile.py [--target-mib 300]

Builds, in a temporary directory (nothing is committed), the workbooks of issue #9 that once
aborted the process or took gigabytes:

1. ``far cell``: a 2 KB workbook of three rows and one space in XFD1048576 (calamine asked the
   allocator for 512 GiB and the process aborted);
2. ``shared-strings bomb``: about 1 MB on disk, 1 GiB of shared strings once decompressed;
3. ``sheet bomb``: the same, inside the sheet's own cells.

Runs ``batchport validate --no-report`` on each as a whole process and prints its size, exit
status, wall time, peak memory (target: under ``--target-mib``) and the outcome line it printed.
Exits 1 when an outcome is not one line with exit status 1, or a peak is over the target.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ("Phone Number", "End User Name", "Street Number", "Street Name", "City", "State", "ZIP")
LINE = ("(212) 263-1000", "Acme Widgets", "350", "Fifth Ave", "New York", "NY", "10118")
BATCHPORT = [sys.executable, "-m", "batchport"]


def _row(number: int, values: tuple[str, ...]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def _frame(archive: zipfile.ZipFile, strings: bool) -> None:
    types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/></Types>'
    )
    archive.writestr("[Content_Types].xml", types)
    archive.writestr(
        "_rels/.rels",
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
    )
    archive.writestr(
        "xl/workbook.xml",
        f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        '<sheet name="Numbers" sheetId="1" r:id="rId1"/></sheets></workbook>',
    )
    shared = (
        f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        if strings
        else ""
    )
    archive.writestr(
        "xl/_rels/workbook.xml.rels",
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" '
        f'Target="worksheets/sheet1.xml"/>{shared}</Relationships>',
    )


def _sheet(rows: str) -> str:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'


def far_cell(path: Path) -> Path:
    """Three rows of data and a single space in XFD1048576."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t> </t></is></c></row>'
    rows = _row(1, HEADER) + "".join(_row(n, LINE) for n in (2, 3, 4)) + far
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        _frame(archive, strings=False)
        archive.writestr("xl/worksheets/sheet1.xml", _sheet(rows))
    return path


def bomb(path: Path, *, in_sheet: bool, gib: float = 1.0) -> Path:
    """About ``gib`` GiB of repeated text, streamed into the archive (never held in memory)."""
    block = "<si><t>" + "A" * 65_000 + "</t></si>" if not in_sheet else None
    rows = _row(1, HEADER) + _row(2, LINE)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        _frame(archive, strings=not in_sheet)
        name = "xl/worksheets/sheet1.xml" if in_sheet else "xl/sharedStrings.xml"
        with archive.open(name, "w", force_zip64=True) as member:
            if in_sheet:
                member.write(f'<worksheet xmlns="{MAIN}"><sheetData>{rows}'.encode())
                block = '<row r="3"><c r="H3" t="inlineStr"><is><t>' + "9" * 65_000
                block += "</t></is></c></row>"
            else:
                member.write(f'<sst xmlns="{MAIN}">'.encode())
            chunk = (block or "").encode() * 16
            for _ in range(int(gib * (1 << 30)) // len(chunk)):
                member.write(chunk)
            member.write(b"</sheetData></worksheet>" if in_sheet else b"</sst>")
        if not in_sheet:
            archive.writestr("xl/worksheets/sheet1.xml", _sheet(rows))
    return path


def measure(path: Path) -> tuple[int, float, int, str]:
    """Run ``batchport validate --no-report`` on ``path``: exit status, seconds, MiB, output."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*BATCHPORT, "validate", str(path), "--no-report"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    return (
        os.waitstatus_to_exitcode(status),
        time.perf_counter() - started,
        usage.ru_maxrss // 1024,
        output.strip(),
    )


def main() -> None:
    """Build the workbooks, run each, print the figures and exit 1 when one misses a target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-mib", type=int, default=300)
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        cases = {
            "far cell": lambda p: far_cell(p),
            "shared-strings bomb": lambda p: bomb(p, in_sheet=False),
            "sheet bomb": lambda p: bomb(p, in_sheet=True),
        }
        for name, build in cases.items():
            path = build(Path(folder) / f"{name.replace(' ', '_')}.xlsx")
            code, seconds, peak, output = measure(path)
            lines = output.splitlines()
            ok = code == 1 and len(lines) == 1 and peak < args.target_mib
            failed |= not ok
            verdict = "ok" if ok else "MISSED"
            print(f"{name}: {path.stat().st_size:,} bytes, exit {code}, {seconds:.1f} s, "
                  f"peak {peak} MiB (target < {args.target_mib}): {verdict}")  # fmt: skip
            print(f"  {output}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
