"""Normalisation: the many ways people write a value, turned into the one the API expects.

``normalise`` works column by column on the reader's text table and returns the normalised rows
plus a finding for every cell whose text it changed (``(212) 555-0143`` → ``+12125550143``,
``Business`` → ``B``, ``new york`` → ``NY``), so the user can see exactly what will be sent.
Values it cannot make sense of are left for the schema to reject.

Two things are taken out before anything else, in every column batchport knows, because they are
never data: Excel's error values (``#N/A``, ``#REF!``: an error naming the value) and the
placeholders people type where they have no value (``N/A``, ``TBD``, ``-``: see
:data:`PLACEHOLDER_WORDS`). A placeholder in a secret or required column is an error, because the
row cannot go without the real value; anywhere else it is a warning and the cell is read as
blank, so a placeholder is never sent.

Dates are read one column at a time (:func:`read_dates`): the column's order of day and month
is decided once, from its values that can only be read one way, and a value that could be
read either way is never read against that evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from batchport import nanp
from batchport.columns import COLUMNS, SECRET_KEYS, column
from batchport.findings import concat_frames, empty_frame, frame_of
from batchport.lookups import Lookup

__all__ = [
    "BOOLEAN_WORDS",
    "EXCEL_ERRORS",
    "NOT_VALUES",
    "PLACEHOLDER_WORDS",
    "VOICE_TYPES",
    "Normalised",
    "boolean_ok",
    "normalise",
    "parse_dates",
    "parse_times",
    "read_dates",
]

#: The API's enumeration of port time zones.
#: Voice configuration types and the id column each one needs.
VOICE_TYPES = {"RTC": "appId", "EST": "trunkId", "FAX": "serviceId"}

_ZONE_ALIASES = {
    "US/Eastern": "EASTERN|ET|EST|EDT|EASTERN TIME|AMERICA/NEW_YORK|AMERICA/TORONTO|"
    "AMERICA/DETROIT|AMERICA/MONTREAL|US/EASTERN|US EASTERN",
    "US/Central": "CENTRAL|CT|CST|CDT|CENTRAL TIME|AMERICA/CHICAGO|AMERICA/WINNIPEG|"
    "AMERICA/REGINA|US/CENTRAL|US CENTRAL",
    "US/Mountain": "MOUNTAIN|MT|MST|MDT|MOUNTAIN TIME|AMERICA/DENVER|AMERICA/EDMONTON|"
    "AMERICA/PHOENIX|US/MOUNTAIN|US/ARIZONA|US MOUNTAIN",
    "US/Pacific": "PACIFIC|PT|PST|PDT|PACIFIC TIME|AMERICA/LOS_ANGELES|AMERICA/VANCOUVER|"
    "US/PACIFIC|US PACIFIC",
    "GMT": "GMT|UTC|Z|ZULU|ETC/UTC|ETC/GMT|UNIVERSAL",
}
_ZONES = Lookup(
    {alias: zone for zone, names in _ZONE_ALIASES.items() for alias in names.split("|")}
)
_SERVICE = Lookup(
    {"B": "B", "BUSINESS": "B", "BUS": "B", "COMMERCIAL": "B", "BIZ": "B",
     "R": "R", "RES": "R", "RESIDENTIAL": "R", "RESIDENCE": "R", "HOME": "R"}
)  # fmt: skip
_VOICE = Lookup(
    {"RTC": "RTC", "VOICE API": "RTC", "PROGRAMMABLE VOICE": "RTC", "APP": "RTC",
     "EST": "EST", "SIP": "EST", "SIP TRUNK": "EST", "ELASTIC SIP TRUNKING": "EST",
     "TRUNK": "EST", "FAX": "FAX"}
)  # fmt: skip
_TRUE = frozenset({"YES", "Y", "TRUE", "T", "1", "ON", "X"})
_FALSE = frozenset({"NO", "N", "FALSE", "F", "0", "OFF", ""})
#: Every upper-case yes/no answer batchport understands (blank counts as no).
BOOLEAN_WORDS = _TRUE | _FALSE
#: Forms of a date whose order is fixed by the form itself. Dates written with numbers only
#: (``11/02/2026``, ``02.11.2026``, ``2-11-26``) are read by :func:`read_dates` instead.
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%b %d %Y", "%B %d %Y", "%d %b %Y",
                 "%d %B %Y", "%Y%m%d")  # fmt: skip
#: Day, month and year in numbers with one separator (the day or the month first).
_NUMERIC_DATE = (
    r"^(?P<a>[0-9]{1,2})(?P<sep>[/.-])(?P<b>[0-9]{1,2})(?P=sep)(?P<y>[0-9]{4}|[0-9]{2})$"
)
#: A time of midnight after a date, as Excel and other tools export a date cell to text.
_MIDNIGHT = r"[ T](?:0?0:00(?::00(?:\.0+)?)?|12:00(?::00)? ?[Aa]\.?[Mm]\.?)$"

#: Excel's error values, each with what usually caused it.
EXCEL_ERRORS = {
    "#N/A": "a lookup found nothing",
    "#REF!": "a formula points at a deleted cell",
    "#VALUE!": "a formula got the wrong kind of value",
    "#DIV/0!": "a formula divided by zero",
    "#NAME?": "a formula uses a name Excel does not know",
    "#NULL!": "a formula's ranges do not meet",
    "#NUM!": "a formula's number is out of range",
    "#SPILL!": "a formula's result had no room to spill",
    "#CALC!": "a formula could not be calculated",
    "#GETTING_DATA": "the file was saved while Excel was still fetching data",
    "#FIELD!": "a data type has no such field",
    "#BLOCKED!": "a formula's data source was blocked",
    "#CONNECT!": "a formula could not reach its data source",
    "#BUSY!": "a formula was still being calculated",
    "#UNKNOWN!": "the value's data type is not supported",
    "#PYTHON!": "a Python formula failed",
}

#: What people type where they have no value. The words for "not applicable", "none", "to be
#: decided", "unknown" and "same as above", "no PIN"-style notes, a run of x, and runs of
#: punctuation (``-``, ``--``, ``?``, ``.``, a dash, a ditto mark, or ``****`` copied back from
#: a masked report). Not ``0`` (a PIN can be ``0000``), and no word that is a real value of some
#: column: ``X`` is a yes in On-Demand Activation, and that column keeps its yes/no words.
PLACEHOLDER_WORDS = (
    "n/a", "n.a.", "n.a", "na", "n a", "n\\a", "n / a", "not applicable", "not available",
    "not provided", "not given", "not known", "none", "nil", "null", "(null)", "<null>",
    "[null]", "(blank)", "(none)", "(empty)", "(n/a)", "blank", "empty", "missing", "tbd",
    "tba", "tbc", "to be determined", "to be decided", "to be confirmed", "to be advised",
    "pending", "unknown", "unk", "don't know", "dont know", "no pin", "no passcode",
    "no password", "no account", "no acct", "no account number", "no account #", "x", "xx",
    "xxx", "xxxx", "xxxxx", "same", "same as above", "see above", "ditto",
)  # fmt: skip
_PUNCTUATION = "-\u2010\u2011\u2012\u2013\u2014\u2015_.?*/\\\"'"


def _spellings() -> frozenset[str]:
    # Whole-cell lookups are an order of magnitude faster than a case-blind regex over every
    # cell of every column (measured at 100k rows), so the spellings are listed: each word as
    # written here, in upper case, in title case and capitalised, and punctuation runs.
    words = [*PLACEHOLDER_WORDS, *(e.lower() for e in EXCEL_ERRORS)]
    cased = {form for w in words for form in (w, w.upper(), w.title(), w.capitalize())}
    runs = {ch * n for ch in _PUNCTUATION for n in range(1, 11)}
    pairs = {a + b for a in _PUNCTUATION for b in _PUNCTUATION}
    return frozenset(
        cased | runs | pairs | {a + b + c for a in "-_.?*" for b in "-_.?*" for c in "-_.?*"}
    )


#: Every cell text that is read as "no value" (placeholders and Excel error values).
NOT_VALUES = _spellings()
_NOT_VALUE_CELLS = Lookup.of_words(NOT_VALUES)
_ERROR_SPELLINGS = frozenset(
    form for e in EXCEL_ERRORS for form in (e, e.lower(), e.title(), e.capitalize())
)
#: Columns a row cannot go without: a placeholder in them is an error, not a blank.
_NEEDED_KEYS = frozenset(c.key for c in COLUMNS if c.required) | SECRET_KEYS
_TIME = (
    r"^(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-9]{2}))?(?:[:.](?P<s>[0-9]{2}))?"
    r" *(?:(?P<ap>[AaPp])\.? *[Mm]\.?)?$"
)


@dataclass(frozen=True)
class Normalised:
    """Normalised rows and what normalising changed.

    ``rows``: canonical columns only (every one present), plus ``country``; blank cells ``""``;
    ``onDemandActivation`` bool. ``phone_problems`` / ``account_phone_problems``: ``PhoneProblem``
    values (``""`` when fine). ``findings``: a finding frame (mostly warnings; errors for
    Excel error values, refused placeholders and dates that cannot be read safely). ``text``:
    the reader's text of every canonical column with placeholders and error values blanked,
    what the schema's "was it given" flags look at.
    """

    rows: pd.DataFrame
    phone_problems: pd.Series
    account_phone_problems: pd.Series
    findings: pd.DataFrame
    text: dict[str, pd.Series]


def normalise(frame: pd.DataFrame) -> Normalised:
    """Normalise the reader's text frame (see ``batchport.intake.Table.frame``).

    Returns ``Normalised``; never raises for bad values (they stay for the schema to report).
    """
    empty = pd.Series("", index=frame.index, dtype="str")
    raw = {c.key: frame[c.key] if c.key in frame.columns else empty for c in COLUMNS}
    warnings: list[pd.DataFrame] = []
    for key in frame.columns.intersection(list(raw)):
        raw[key], found = _not_values(raw[key], str(key))
        warnings.append(found)
    out = dict(raw)

    filled = {key: key in frame.columns and bool(raw[key].str.len().any()) for key in raw}

    def changed(key: str, convert: Callable[[pd.Series], pd.Series], code: str) -> None:
        if not filled[key]:  # an absent or empty column: nothing to convert or report
            return
        new = convert(raw[key])
        mask = (new != raw[key]) & (raw[key] != "") & (new != "")
        warnings.append(frame_of(mask, key, code, raw[key], sent=new))
        out[key] = new

    phones = nanp.normalise_phones(raw["phoneNumber"])
    changed("phoneNumber", lambda _: phones["e164"], "phone_reformatted")
    accounts = nanp.normalise_phones(raw["accountPhoneNumber"])
    changed("accountPhoneNumber", lambda _: accounts["e164"], "phone_reformatted")
    for key in ("state", "e911State"):
        changed(key, nanp.normalise_regions, "state_normalised")
    for key in ("zipCode", "e911PostalCode"):
        changed(key, nanp.normalise_postal_codes, "postal_code_normalised")
    changed("typeOfService", lambda s: _lookup(s, _SERVICE), "type_of_service_normalised")
    out["typeOfService"] = out["typeOfService"].where(raw["typeOfService"] != "", "B")
    changed("desiredPortTimeZone", lambda s: _lookup(s, _ZONES), "time_zone_normalised")
    changed("voiceType", lambda s: _lookup(s, _VOICE), "voice_type_normalised")
    for key in ("authorizingDate", "desiredPortDate"):
        if filled[key]:
            out[key], found = read_dates(raw[key], key)
            warnings.append(found)
    changed("desiredPortTime", parse_times, "time_normalised")
    out["onDemandActivation"] = raw["onDemandActivation"].str.upper().isin(_TRUE)
    for notice in nanp.PhoneNotice:
        warnings.append(
            frame_of(phones[notice.value], "phoneNumber", notice.value, raw["phoneNumber"])
        )
    rows = pd.DataFrame(out, index=frame.index)
    # An area code newer than the number data has no country there: the address tells it.
    newer = phones[nanp.PhoneNotice.NEWER_AREA_CODE.value]
    rows["country"] = phones["country"].where(~newer, nanp.country_of_regions(out["state"]))
    found = concat_frames(warnings)
    return Normalised(rows, phones["problem"], accounts["problem"], found, raw)


def _not_values(values: pd.Series, key: str) -> tuple[pd.Series, pd.DataFrame]:
    """``values`` with Excel error values and placeholders blanked, and their findings."""
    # One whole-cell lookup per column (a hash set: fast); the few hits are sorted out after.
    hit = _NOT_VALUE_CELLS.contains(values)
    if key == "onDemandActivation":
        hit &= ~boolean_ok(values)
    if not hit.any():
        return values, empty_frame()
    text = values[hit]  # few cells: the messages are built for them alone
    error = text.isin(_ERROR_SPELLINGS)
    header = column(key).header
    named = text.str.upper().map(EXCEL_ERRORS).fillna("")
    why = (
        header + " holds the Excel error value " + text.str.upper() + " (usually: "
        + named + "), not data: fix the formula it came from or type the value."
    )  # fmt: skip
    code = "placeholder_refused" if key in _NEEDED_KEYS else "placeholder_blanked"
    # A secret column's text is never quoted: messages are not masked, values are.
    said = pd.Series(header + " holds a placeholder", index=text.index, dtype="str")
    if key not in SECRET_KEYS:
        said = header + ' holds "' + text + '"'
    what = said + (
        ", not a value: type the real value from the bill."
        if code == "placeholder_refused"
        else ", not a value: it is read as blank and nothing is sent for it."
    )
    found = concat_frames(
        [
            frame_of(error, key, "excel_error_value", text, why),
            frame_of(~error, key, code, text, what),
        ]
    )
    return values.where(~hit, ""), found


def _lookup(values: pd.Series, table: Lookup) -> pd.Series:
    """Map values through ``table`` by their upper-case text; unknown values stay as written."""
    keys = values.str.upper().str.replace(r"[ \t]+", " ", regex=True)
    return table.apply(keys, default=values)


def boolean_ok(values: pd.Series) -> pd.Series:
    """True where ``values`` is a recognisable yes/no (blank counts as no)."""
    return values.str.upper().isin(BOOLEAN_WORDS)


def parse_dates(values: pd.Series) -> pd.Series:
    """One column of dates in common US/ISO forms to ``YYYY-MM-DD``; ``""`` where none fits.

    The column's order of day and month is decided as :func:`read_dates` does; a value that
    cannot be read safely is ``""``.
    """
    return read_dates(values, "authorizingDate")[0]


def parse_times(values: pd.Series) -> pd.Series:
    """Times such as ``9:00``, ``9am``, ``14:30:00`` to ``HH:MM:SS``; ``""`` where none fits."""
    return _per_distinct(values, _parse_times)


def _per_distinct(values: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    # A column of dates or times holds few distinct values: parse each once, then map back.
    distinct = pd.Series(pd.unique(values.dropna()), dtype="str")  # a missing cell: no time
    parsed = Lookup(dict(zip(distinct.tolist(), parse(distinct).tolist(), strict=True)))
    return parsed.apply(values, default="")


@dataclass(frozen=True)
class _Readings:
    """The distinct texts of a date column, each read both ways where it has numbers only.

    ``codes``: for each row, its text's position in the distinct arrays. ``texts``: the
    distinct texts. ``month_first`` / ``day_first``: the date each text is read as either way
    (``""`` when that reading is not a date; the same both ways for a form whose order is
    fixed). ``timed``: a midnight time was left out.
    """

    codes: np.ndarray
    texts: pd.Series
    month_first: pd.Series
    day_first: pd.Series
    timed: pd.Series


def _read_distinct(values: pd.Series) -> _Readings:
    # A date column holds few distinct texts: read each once, then take rows by position.
    codes, uniques = pd.factorize(values)  # "" is one more text, read as no date
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
    text = distinct.str.replace(",", " ").str.replace(r"[ \t]+", " ", regex=True).str.strip()
    bare = text.str.replace(_MIDNIGHT, "", regex=True)
    parts = bare.str.extract(_NUMERIC_DATE)
    numeric = parts["a"].notna()
    year = pd.to_numeric(parts["y"], errors="coerce")
    year = year.where(year >= 100, year + 2000 - 100 * (year >= 69))  # strptime's %y pivot
    fixed = _fixed_dates(bare.where(~numeric, ""))
    month_first = _iso(year, parts["a"], parts["b"]).where(numeric, fixed)
    day_first = _iso(year, parts["b"], parts["a"]).where(numeric, fixed)
    return _Readings(codes, distinct, month_first, day_first, bare != text)


def _iso(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    stamp = year.astype("Int64").astype("str") + "-" + month + "-" + day
    dates = pd.to_datetime(stamp, format="%Y-%m-%d", errors="coerce")
    return dates.dt.strftime("%Y-%m-%d").fillna("").astype("str")


def _fixed_dates(text: pd.Series) -> pd.Series:
    result = pd.Series("", index=text.index, dtype="str")
    todo = text != ""
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text.where(todo, ""), format=fmt, errors="coerce")
        hit = parsed.notna() & todo
        result = result.where(~hit, parsed.dt.strftime("%Y-%m-%d").fillna(""))
        todo &= ~hit
    return result


def read_dates(values: pd.Series, key: str) -> tuple[pd.Series, pd.DataFrame]:
    """Read one column of dates; returns ``(YYYY-MM-DD text, findings)``.

    ``values`` is the column's text (blank ``""``), ``key`` its canonical key. A date written
    in numbers only (``12/01/2027``) may be month or day first. The order is decided once for
    the column: a value that can only be read day first (``25/01/2027``) is evidence, and so
    is one that can only be read month first (``01/25/2027``). With evidence of day first
    only, the column is read day first (``date_read_day_first``, naming the evidence row);
    with evidence both ways, every such value is an error (``date_order_conflict``) and left
    blank; otherwise month first, the US habit. A midnight time after a date is left out.
    Every rewritten date is a finding that shows the date it was read as; a text that is no
    date is left blank for the schema's ``invalid_date``.
    """
    read = _read_distinct(values)
    mf, df, texts = read.month_first, read.day_first, read.texts
    either = (mf != "") & (df != "") & (mf != df)
    day_proof = _first_row(values, read, (mf == "") & (df != ""))
    month_proof = _first_row(values, read, (mf != "") & (df == ""))
    if day_proof[0] and month_proof[0]:
        conflict = either | (mf != df)
        chosen = mf.where(~conflict, "")
    else:
        conflict = either & False
        chosen = df if day_proof[0] else mf
    shown = texts + " as " + chosen
    shown = shown.where(~read.timed, shown + " (its midnight time left out)")
    evidence = f"row {day_proof[0]} ({day_proof[1]}, which can only be day first)"
    mixed = (
        column(key).header + " mixes day-first and month-first dates (row " + day_proof[0]
        + " can only be day first, row " + month_proof[0] + " only month first), so " + texts
        + " cannot be read safely: write the dates as YYYY-MM-DD."
    )  # fmt: skip

    def per_row(per_text: pd.Series) -> pd.Series:
        # By position: a few distinct texts to every row.
        spread = per_text.to_numpy(dtype=object)[read.codes]
        return pd.Series(spread, index=values.index)

    iso = per_row(chosen).astype("str")
    refused = per_row(conflict).astype(bool)
    day_first = per_row(either & bool(day_proof[0]) & ~conflict).astype(bool)
    changed = per_row((chosen != texts) & (chosen != "")).astype(bool) & ~day_first
    found = []
    if refused.any():
        found.append(frame_of(refused, key, "date_order_conflict", values, per_row(mixed)))
    if day_first.any():
        message = (
            "Read " + shown + ", day first like " + evidence + "; check it is the date you meant."
        )
        found.append(frame_of(day_first, key, "date_read_day_first", values,
                              per_row(message), sent=iso))  # fmt: skip
    if changed.any():
        message = "Read " + shown + "; check it is the date you meant."
        found.append(frame_of(changed, key, "date_normalised", values, per_row(message),
                              sent=iso))  # fmt: skip
    return iso, concat_frames(found)


def _first_row(values: pd.Series, read: _Readings, proof: pd.Series) -> tuple[str, str]:
    """``(row, text)`` of the first row whose text ``proof`` marks, or ``("", "")``."""
    marked = np.flatnonzero(proof.to_numpy(dtype=bool))
    if len(marked) == 0:
        return "", ""
    first = int(np.flatnonzero(np.isin(read.codes, marked))[0])
    return str(values.index[first]), str(values.iloc[first])


def _parse_times(values: pd.Series) -> pd.Series:
    parts = values.str.strip().str.extract(_TIME)
    hour = pd.to_numeric(parts["h"], errors="coerce")
    minute = pd.to_numeric(parts["m"], errors="coerce").fillna(0)
    second = pd.to_numeric(parts["s"], errors="coerce").fillna(0)
    meridiem = parts["ap"].fillna("").str.upper()
    twelve = meridiem != ""
    valid = hour.notna() & (minute < 60) & (second < 60)
    valid &= (twelve & hour.between(1, 12)) | (~twelve & (hour < 24))
    hour = hour.where(~twelve, hour % 12 + (meridiem == "P") * 12).fillna(0)
    text = (
        hour.astype("int64").astype("str").str.zfill(2)
        + ":" + minute.astype("int64").astype("str").str.zfill(2)
        + ":" + second.astype("int64").astype("str").str.zfill(2)
    )  # fmt: skip
    return text.where(valid, "").astype("str")
