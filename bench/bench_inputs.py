"""Realistic batchport inputs for the benchmarks, generated on the fly (nothing big is committed).

``make_rows`` yields unique US and Canadian numbers written five different ways, with the
addresses, PINs and account numbers a real customer file carries; ``write_xlsx`` writes them as a
workbook the way a person would hand it over. Used by ``bench_validate.py``, ``bench_run.py`` and
``bench_track.py``.
"""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["HEADERS", "make_rows", "write_xlsx"]

HEADERS = [
    "Phone Number", "End User Name", "Street Number", "Street Name", "City", "State",
    "ZIP Code", "Type of Service", "Port-Out PIN", "Account Number", "Authorizing Date",
    "Time Zone", "Reseller Name",
]  # fmt: skip
PLACES = [
    ("212", "New York", "NY", "10118", "US/Eastern"), ("415", "San Francisco", "CA", "94103",
    "US/Pacific"), ("312", "Chicago", "IL", "60606", "Central"), ("617", "Boston", "MA", "02110",
    "Eastern"), ("416", "Toronto", "ON", "M5X 1A9", "US/Eastern"), ("604", "Vancouver", "BC",
    "V6E 3P3", "Pacific"), ("303", "Denver", "CO", "80202", "US/Mountain"),
]  # fmt: skip
FORMATS = ["({a}) {x}-{n}", "{a}.{x}.{n}", "1-{a}-{x}-{n}", "+1 {a} {x} {n}", "{a}{x}{n}"]


def make_rows(count: int, seed: int = 7) -> list[list[str]]:
    """``count`` realistic input rows (unique numbers, mixed formats, US and Canada)."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        area, city, state, zip_, zone = PLACES[i % len(PLACES)]
        exchange = 200 + (i // 10000) % 700
        if exchange % 100 == 11:
            exchange += 1
        number = FORMATS[i % len(FORMATS)].format(a=area, x=exchange, n=f"{i % 10000:04d}")
        rows.append([
            number, f"Customer {i}", str(rng.randint(1, 9999)), "Main", city, state, zip_,
            "B" if i % 5 else "R", f"{rng.randint(0, 9999):04d}", f"AC{i:08d}",
            "2026-11-02", zone, "Northern Resale" if state in ("ON", "BC") else "",
        ])  # fmt: skip
    return rows


def write_xlsx(path: Path, rows: int, *, seed: int = 7) -> Path:
    """Write ``rows`` generated rows under a header row to the workbook ``path``; return it."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Numbers")
    sheet.append(HEADERS)
    for values in make_rows(rows, seed):
        sheet.append(values)
    workbook.save(path)
    return path
