"""Characters a cell must not carry to the API, and text a workbook cell cannot hold.

:func:`clean_text` runs once on the reader's table (csv and xlsx alike), after the repairs:

- control characters (C0 other than tab, line feed and carriage return, DEL, C1) and invisible
  format characters (zero-width spaces and joiners, bidirectional marks, embeddings, overrides
  and isolates, soft hyphens, word joiners, a BOM inside the text) are removed, each cell so
  changed reported with the text as read (the removed characters made visible, ``<NUL>``,
  ``<U+202E>`` for an override) and the text that will be sent. A NUL is invisible in every
  workbook and a right-to-left override can make ``4821`` display as ``1284``: what is sent must
  be exactly what the reports show;
- a line of a delimited file that was not UTF-8 like the rest of the file (see
  ``batchport.intake.csv``) is named, cell by cell, so accented letters can be checked;
- a cell longer than a workbook cell can hold (32,767 characters) is named, since every report
  will show it cut.

Tab, line feed and carriage return are whitespace, tidied by the repairs of the known columns.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import pyarrow as pa

from batchport.arrow_text import stored_text, text_bytes
from batchport.columns import COLUMNS
from batchport.findings import concat_frames, empty_frame, frame_of

__all__ = ["EXCEL_CELL_LIMIT", "INVISIBLE", "clean_text", "plain_ascii", "visible"]

#: The most characters one cell of an Excel workbook holds.
EXCEL_CELL_LIMIT = 32_767

_FORMAT = (
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\ufff9\ufffa\ufffb"
)
#: Every character removed from a cell: C0 controls but tab, LF and CR; DEL; C1; invisible format
#: characters. Real characters, not escapes: pyarrow (RE2) runs the pattern only without ``\u``.
INVISIBLE = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))) + (
    "".join(chr(c) for c in range(0x7F, 0xA0)) + _FORMAT
)
_CLASS = f"[{INVISIBLE}]"
_KNOWN_KEYS = frozenset(c.key for c in COLUMNS)
_LEGACY = (
    "This line of the file was not UTF-8 like the rest: it was read as Windows-1252. Check "
    "the accented letters (or save the file again as UTF-8)."
)


_C0_NAMES = (
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
    "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
    "FS", "GS", "RS", "US",
)  # fmt: skip


def _picture(char: str) -> str:
    # Plain ASCII names, not the Control Pictures block (␀): common spreadsheet fonts lack those
    # glyphs and show an empty box, which hides again what the finding is meant to show.
    code = ord(char)
    if code < 0x20:
        return f"<{_C0_NAMES[code]}>"
    if code == 0x7F:
        return "<DEL>"
    return f"<U+{code:04X}>"


_PICTURES = str.maketrans({char: _picture(char) for char in INVISIBLE})


def visible(text: str) -> str:
    """``text`` with every character of :data:`INVISIBLE` written so a person can see it.

    >>> visible("Acme\\x00Widgets")
    'Acme<NUL>Widgets'
    """
    return text.translate(_PICTURES)


def plain_ascii(text: pd.Series, *, spaced: bool = False) -> bool:
    """True when no cell of ``text`` holds anything but printable ASCII (space to ``~``).

    ``spaced``: also True only when no cell starts or ends with a space or holds two in a row,
    so that tidying whitespace changes nothing. A quick test of the column's UTF-8 bytes at once,
    for the usual column that needs no cleaning; False tells only that a closer look (by
    pattern, cell by cell) is needed, and so does a column not stored by pyarrow.
    """
    stored = stored_text(text)
    if stored is None or stored.null_count:
        return False
    # A long column read from CSV arrives in several chunks: each is tested on its own (a cell
    # never spans two).
    chunks = stored.chunks if isinstance(stored, pa.ChunkedArray) else [stored]
    return all(_plain_chunk(chunk, spaced) for chunk in chunks)


def _plain_chunk(array: pa.Array, spaced: bool) -> bool:
    own = text_bytes(array)
    if own is None:
        return False
    data, offsets = own
    if ((data < 0x20) | (data > 0x7E)).any():
        return False
    if not spaced or len(data) == 0:
        return True
    space = data == 0x20
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    # Two spaces in a row across a cell boundary mean a cell ending or starting with one.
    loose = (space[1:] & space[:-1]).any() or space[starts[filled]].any()
    return not (loose or space[ends[filled] - 1].any())


def clean_text(
    frame: pd.DataFrame, legacy_rows: Collection[int] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(frame without invisible characters, finding frame)`` of the reader's text ``frame``.

    ``frame``: text cells, index = spreadsheet row; ``legacy_rows``: rows read as Windows-1252
    from an otherwise UTF-8 file. Findings: ``control_characters_removed`` (value as read made
    visible, ``sent`` the cleaned text), ``legacy_encoding_line`` for each non-ASCII cell of a
    legacy row, ``cell_too_long_for_workbook`` for an unknown column's cell over
    :data:`EXCEL_CELL_LIMIT` (a known column's length limit already reports it). Never raises.
    """
    cleaned: dict[str, pd.Series] = {}
    findings = []
    legacy = frame.index.isin(list(legacy_rows)) if legacy_rows else None
    for name in frame.columns:
        text = frame[name]
        if not plain_ascii(text) and (dirty := text.str.contains(_CLASS, regex=True)).any():
            new = text.where(~dirty, text.str.replace(_CLASS, "", regex=True))
            shown = text[dirty].map(visible).reindex(text.index, fill_value="").astype("str")
            findings.append(frame_of(dirty, name, "control_characters_removed", shown, sent=new))
            text = new
        if legacy is not None:
            accented = pd.Series(legacy, index=frame.index) & text.str.contains("[^\x00-\x7f]")
            findings.append(frame_of(accented, name, "legacy_encoding_line", text, _LEGACY))
        if name not in _KNOWN_KEYS:
            findings.append(_too_long_for_workbook(text, name))
        cleaned[name] = text
    if not findings:
        return frame, empty_frame()
    return pd.DataFrame(cleaned, index=frame.index), concat_frames(findings)


def _too_long_for_workbook(text: pd.Series, name: str) -> pd.DataFrame:
    lengths = text.str.len()
    long = lengths > EXCEL_CELL_LIMIT
    if not long.any():
        return empty_frame()
    message = (
        "This cell holds "
        + lengths.map("{:,}".format)
        + f" characters, more than a workbook cell can hold ({EXCEL_CELL_LIMIT:,}): the "
        "reports show it cut short. It is not sent to the API."
    )
    return frame_of(long, name, "cell_too_long_for_workbook", text, message)
