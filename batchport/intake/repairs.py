"""Repairs of the damage spreadsheets do to text: every repair is undone and reported.

Excel stores phone numbers and ZIP codes as numbers (dropping leading zeros), dates and times
as serial values, and people paste non-breaking spaces. ``repair_column`` turns one column of
raw cell values (text, numbers, dates, times) into text and returns a finding for each cell it
had to change, with the value read and the value batchport will send, so the user can see what
was read.

Some damage cannot be undone: Excel keeps 15 significant digits of a number, so an account
number, PIN or phone number stored as a number of 16 or more digits has already lost its last
digits, and one shown in scientific notation (``8.00123E+11``) lost them when it was typed or
exported. Those cells are errors (``digits_lost``): only the customer can retype the value.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pyarrow as pa

from batchport.columns import column
from batchport.findings import advice_for, concat_frames, empty_frame, frame_of
from batchport.intake.text import plain_ascii

__all__ = ["DATE_KEYS", "DIGIT_KEYS", "PHONE_KEYS", "TIME_KEYS", "repair_column"]

PHONE_KEYS = frozenset({"phoneNumber", "accountPhoneNumber"})
DATE_KEYS = frozenset({"authorizingDate", "desiredPortDate"})
TIME_KEYS = frozenset({"desiredPortTime"})
_ZIP_KEYS = frozenset({"zipCode", "e911PostalCode"})
_PLUS_FOUR_KEYS = frozenset({"e911PostalCodePlusFour"})
#: Columns of identifiers made of digits, which Excel turns into numbers when it can.
DIGIT_KEYS = PHONE_KEYS | _ZIP_KEYS | _PLUS_FOUR_KEYS | {"existingPortOutPin", "accountNum"}
#: Excel keeps 15 significant digits of a number; a number cell with more has lost the rest.
_EXCEL_DIGITS = 15
_SCIENTIFIC = r"^[0-9]+(\.[0-9]+)?[eE]\+?[0-9]+$"
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Real characters, not escapes: pyarrow (RE2) runs the pattern only when it has no \u.
_UNTIDY = "^[ \t]|[ \t]$|  |[\t\r\n\f\v\u00a0\u2007\u202f\u200b\ufeff]"
_SPACES = "[ \t\r\n\f\v\u00a0\u2007\u202f\u200b\ufeff]+"


def _number_text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return format(value, ".15g")
    return str(value)


def _datetime_text(value: object, key: str) -> str:
    if isinstance(value, dt.datetime):
        if key in TIME_KEYS:
            return value.strftime("%H:%M:%S")
        if value.time() == dt.time(0) or key in DATE_KEYS:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds()) % 86400
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return str(value)


def _typed_cells(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    kinds = values.map(type)
    text_like = kinds.isin([str])
    numeric = kinds.isin([int, float, bool])
    return text_like, numeric


def _serial_date(text: pd.Series) -> pd.Series:
    days = pd.to_numeric(text, errors="coerce")
    stamps = pd.Timestamp(_EXCEL_EPOCH) + pd.to_timedelta(days, unit="D")
    return stamps.dt.strftime("%Y-%m-%d").fillna("").astype("str")


def _day_fraction(text: pd.Series) -> pd.Series:
    seconds = (pd.to_numeric(text, errors="coerce") * 86400).round()
    stamps = pd.Timestamp(0) + pd.to_timedelta(seconds, unit="s")
    return stamps.dt.strftime("%H:%M:%S").fillna("").astype("str")


def _all_text(values: pd.Series) -> pd.Series:
    """``values`` as a text column when every cell is a ``str``; ``values`` itself otherwise.

    (Arrow would take UTF-8 ``bytes`` as text too; neither reader gives a cell as bytes.)
    """
    # Straight into Arrow, which stops at the first cell that is not text: one pass over a
    # column of text (the usual column) instead of pandas' type inference and then its copy.
    try:
        stored = pa.array(values.to_numpy(dtype=object), type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return values
    if stored.null_count:
        return values
    return pd.Series(stored, index=values.index, name=values.name, dtype="str")


def repair_column(values: pd.Series, key: str | None) -> tuple[pd.Series, pd.DataFrame]:
    """Turn one column of raw cell values into clean text, reporting each repair.

    ``values`` holds what the reader produced (str, int, float, bool, date/time objects);
    ``key`` is the canonical column key, or ``None`` for a column batchport does not know
    (its values are turned into text, spaces and all, and never reinterpreted). Returns the
    text column (``str`` dtype, blank cells ``""``) and a finding frame of warnings.
    """
    label = key or str(values.name)
    if values.dtype == object:
        values = _all_text(values)
    if values.dtype == object:
        text_like, numeric = _typed_cells(values)
        text = values.where(text_like, "").astype("object")
        if numeric.any():
            text = text.where(~numeric, values[numeric].map(_number_text))
        other = ~(text_like | numeric)
        if other.any():
            text = text.where(~other, values[other].map(lambda v: _datetime_text(v, label)))
        text = text.astype("str")
    else:
        text = values.astype("str")
        numeric = pd.Series(False, index=values.index)
        other = numeric
    if key is None:
        return text, empty_frame()  # a column batchport does not know passes through untouched
    cleaned = text
    if not plain_ascii(text, spaced=True) and (untidy := text.str.contains(_UNTIDY)).any():
        cleaned = text.where(~untidy, text.str.replace(_SPACES, " ", regex=True).str.strip())
    tidied = frame_of(cleaned != text, label, "whitespace_cleaned", text, sent=cleaned)
    text, more = _repair_known(cleaned, key, numeric, other)
    return text, concat_frames([tidied, *more])


def _repair_known(
    text: pd.Series, key: str, numeric: pd.Series, other: pd.Series
) -> tuple[pd.Series, list[pd.DataFrame]]:
    frames = []
    if key in DIGIT_KEYS:
        float_text = _where_has(text, ".", r"^[0-9]+\.0+$")
        if float_text.any():
            text = text.where(~float_text, text.str.replace(r"\.0+$", "", regex=True))
            numeric = numeric | float_text
        lost = _digits_lost(text, numeric)
        if lost.any():  # the messages cost a string operation per cell: only when needed
            frames.append(frame_of(lost, key, "digits_lost", text, _lost_message(text, key)))
            numeric = numeric & ~lost
    if key in PHONE_KEYS:
        frames.append(frame_of(numeric, key, "phone_stored_as_number", text, sent=text))
    if key in ("existingPortOutPin", "accountNum"):
        frames.append(frame_of(numeric, key, "stored_as_number", text, sent=text))
    if key in _ZIP_KEYS:
        text, restored = _restore_zeros(text, key, r"^[0-9]{3,4}$", 5, "ZIP code")
        frames.append(restored)
        text, restored = _restore_zeros(text, key, r"^[0-9]{7,8}$", 9, "ZIP+4")
        frames.append(restored)
    if key in _PLUS_FOUR_KEYS:
        text, restored = _restore_zeros(text, key, r"^[0-9]{1,3}$", 4, "ZIP+4 extension")
        frames.append(restored)
    if key in DATE_KEYS:
        serial = text.str.match(r"^[0-9]{5}(\.[0-9]+)?$")
        before = text
        if serial.any():
            text = text.where(~serial, _serial_date(text.where(serial, "")))
        frames.append(frame_of(serial | other, key, "excel_date_converted", before, sent=text))
    if key in TIME_KEYS:
        fraction = text.str.match(r"^0?\.[0-9]+$|^0$")
        before = text
        if fraction.any():
            text = text.where(~fraction, _day_fraction(text.where(fraction, "")))
        frames.append(frame_of(fraction | other, key, "excel_time_converted", before, sent=text))
    return text, frames


def _digits_lost(text: pd.Series, numeric: pd.Series) -> pd.Series:
    """Cells whose digits Excel has already cut: a number of 16+ digits, or E-notation text."""
    long_number = numeric & False
    if numeric.any():
        long_number = numeric & (text.str.len() > _EXCEL_DIGITS) & text.str.isdigit()
    scientific = _where_has(text, "e", _SCIENTIFIC) | _where_has(text, "E", _SCIENTIFIC)
    return long_number | scientific


def _where_has(text: pd.Series, literal: str, pattern: str) -> pd.Series:
    """``text.str.match(pattern)``, run only on the cells that contain ``literal``.

    A search for a literal costs a fraction of a pattern's, and in a column of digits few
    cells hold the ``.`` or ``E`` the pattern needs.
    """
    maybe = text.str.contains(literal, regex=False)
    if not maybe.any():
        return maybe
    return maybe & text.where(maybe, "").str.match(pattern)


def _lost_message(text: pd.Series, key: str) -> pd.Series:
    # Never the value itself: the column may be a secret, and messages are not masked.
    digits = text.str.isdigit()
    count = text.str.len().astype("str")
    how = ("Excel kept 15 of this number's " + count + " digits. ").where(
        digits, "The value is in scientific notation, which dropped digits. "
    )
    return how + advice_for("digits_lost", column(key).header)  # read only where ``lost``


def _restore_zeros(
    text: pd.Series, key: str, pattern: str, width: int, what: str
) -> tuple[pd.Series, pd.DataFrame]:
    """Put back the leading zeros of ``what`` (``width`` digits) where ``text`` matches ``pattern``.

    A nine-digit ZIP+4 gets its hyphen. Returns the repaired text and the warnings, each showing
    the value read and the value that will be sent.
    """
    short = text.str.match(pattern)
    if not short.any():
        return text, empty_frame()
    padded = text.str.zfill(width)
    if width == 9:
        padded = padded.str.slice(0, 5) + "-" + padded.str.slice(5)
    repaired = text.where(~short, padded)
    message = (
        f"The {what} had lost its leading zeros (Excel stores it as a number): read "
        + text + " as " + repaired + f" (a {what} has {width} digits); format the column as Text."
    )  # fmt: skip
    found = frame_of(short, key, "zip_leading_zeros_restored", text, message, sent=repaired)
    return repaired, found
