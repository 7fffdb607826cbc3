"""Reading a delimited text file (csv, tsv, txt) into a frame of text, header row found.

The delimiter is the one under which the header row names the most known columns. A file that is
not UTF-8 is read as Windows-1252. pyarrow parses the common case; the Python engine takes files
with blank lines (so row numbers do not shift) or ragged rows.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from batchport.columns import match_header
from batchport.errors import InputError
from batchport.intake.workbook import PROBE_ROWS, find_header, no_header

__all__ = ["read_csv"]

_BOM = b"\xef\xbb\xbf"


def read_csv(path: Path) -> tuple[int, pd.DataFrame]:
    """``(index of the header row, every row from the header on as text)`` of ``path``.

    Raises ``InputError`` for an empty file, no header row, or a row wider than the header.
    """
    data = path.read_bytes()
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not _is_utf8(data):
        data = data.decode("cp1252", errors="replace").encode("utf-8")
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    head = data[:65536].decode("utf-8", errors="replace").splitlines()[:PROBE_ROWS]
    delimiter, header_idx = _sniff_csv(path, head)
    return header_idx, _parse_csv(path, data, delimiter, header_idx)


def _is_utf8(data: bytes) -> bool:
    # Chunk by chunk, so checking a large file never holds a second, decoded copy of it.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 22):
            decoder.decode(data[start : start + (1 << 22)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_csv(path: Path, head: list[str]) -> tuple[str, int]:
    best: tuple[int, str, int] | None = None
    for delimiter in (",", ";", "\t", "|"):
        rows = list(csv.reader(head, delimiter=delimiter))
        header_idx = find_header(rows)
        if header_idx is not None:
            score = sum(match_header(str(c)) is not None for c in rows[header_idx])
            if best is None or (score, -header_idx) > (best[0], -best[2]):
                best = (score, delimiter, header_idx)
    if best is None:
        raise no_header(path)
    return best[1], best[2]


def _parse_csv(path: Path, data: bytes, delimiter: str, header_idx: int) -> pd.DataFrame:
    try:
        # pyarrow cannot keep blank lines (row numbers would shift) or ragged rows.
        if b"\n\n" in data or b"\r\n\r\n" in data:
            raise ValueError("blank lines")
        frame = pd.read_csv(
            io.BytesIO(data), engine="pyarrow", sep=delimiter, header=None, dtype=str,
            keep_default_na=False, skiprows=header_idx,
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):
        frame = _parse_csv_slowly(path, data, delimiter, header_idx)
    return frame.fillna("")


def _parse_csv_slowly(path: Path, data: bytes, delimiter: str, header_idx: int) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.BytesIO(data), engine="python", sep=delimiter, header=None, dtype=str,
            keep_default_na=False, skiprows=header_idx, skip_blank_lines=False, na_filter=False,
        )  # fmt: skip
    except (ValueError, csv.Error) as exc:  # pandas' ParserError is a ValueError
        # A row wider than the header: most often a value holding an unquoted delimiter.
        raise InputError(
            f"{path}: {exc}; put quotes around a value that contains {delimiter!r}, "
            "or give the extra column a header"
        ) from exc
