"""Normalisation: the many ways people write a value, turned into the one the API expects.

``normalise`` works column by column on the reader's text table and returns the normalised rows
plus a warning for every cell whose text it changed (``(212) 555-0143`` → ``+12125550143``,
``Business`` → ``B``, ``new york`` → ``NY``), so the user can see exactly what will be sent.
Values it cannot make sense of are left for the schema to reject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from batchport import nanp
from batchport.columns import COLUMNS
from batchport.findings import concat_frames, frame_of

__all__ = [
    "BOOLEAN_WORDS",
    "VOICE_TYPES",
    "Normalised",
    "boolean_ok",
    "normalise",
    "parse_dates",
    "parse_times",
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
_ZONES = {alias: zone for zone, names in _ZONE_ALIASES.items() for alias in names.split("|")}
_SERVICE = {"B": "B", "BUSINESS": "B", "BUS": "B", "COMMERCIAL": "B", "BIZ": "B",
            "R": "R", "RES": "R", "RESIDENTIAL": "R", "RESIDENCE": "R", "HOME": "R"}  # fmt: skip
_VOICE = {"RTC": "RTC", "VOICE API": "RTC", "PROGRAMMABLE VOICE": "RTC", "APP": "RTC",
          "EST": "EST", "SIP": "EST", "SIP TRUNK": "EST", "ELASTIC SIP TRUNKING": "EST",
          "TRUNK": "EST", "FAX": "FAX"}  # fmt: skip
_TRUE = frozenset({"YES", "Y", "TRUE", "T", "1", "ON", "X"})
_FALSE = frozenset({"NO", "N", "FALSE", "F", "0", "OFF", ""})
#: Every upper-case yes/no answer batchport understands (blank counts as no).
BOOLEAN_WORDS = _TRUE | _FALSE
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y/%m/%d", "%m-%d-%Y", "%m.%d.%Y",
                 "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%Y%m%d",
                 "%d/%m/%Y")  # day first only when month first cannot be meant  # fmt: skip
_TIME = (
    r"^(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-9]{2}))?(?:[:.](?P<s>[0-9]{2}))?"
    r" *(?:(?P<ap>[AaPp])\.? *[Mm]\.?)?$"
)


@dataclass(frozen=True)
class Normalised:
    """Normalised rows and what normalising changed.

    ``rows``: canonical columns only (every one present), plus ``country``; blank cells ``""``;
    ``onDemandActivation`` bool. ``phone_problems`` / ``account_phone_problems``: ``PhoneProblem``
    values (``""`` when fine). ``findings``: a finding frame of warnings.
    """

    rows: pd.DataFrame
    phone_problems: pd.Series
    account_phone_problems: pd.Series
    findings: pd.DataFrame


def normalise(frame: pd.DataFrame) -> Normalised:
    """Normalise the reader's text frame (see ``batchport.intake.Table.frame``).

    Returns ``Normalised``; never raises for bad values (they stay for the schema to report).
    """
    empty = pd.Series("", index=frame.index, dtype="str")
    raw = {c.key: frame[c.key] if c.key in frame.columns else empty for c in COLUMNS}
    out = dict(raw)
    warnings: list[pd.DataFrame] = []

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
        changed(key, parse_dates, "date_normalised")
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
    return Normalised(rows, phones["problem"], accounts["problem"], concat_frames(warnings))


def _lookup(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """Map values through ``table`` by their upper-case text; unknown values stay as written."""
    keys = values.str.upper().str.replace(r"[ \t]+", " ", regex=True)
    return keys.map(table).fillna(values).astype("str")


def boolean_ok(values: pd.Series) -> pd.Series:
    """True where ``values`` is a recognisable yes/no (blank counts as no)."""
    return values.str.upper().isin(BOOLEAN_WORDS)


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates written in common US/ISO forms to ``YYYY-MM-DD``; ``""`` where none fits."""
    return _per_distinct(values, _parse_dates)


def parse_times(values: pd.Series) -> pd.Series:
    """Times such as ``9:00``, ``9am``, ``14:30:00`` to ``HH:MM:SS``; ``""`` where none fits."""
    return _per_distinct(values, _parse_times)


def _per_distinct(values: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    # A column of dates or times holds few distinct values: parse each once, then map back.
    distinct = pd.Series(pd.unique(values), dtype="str")
    parsed = dict(zip(distinct.tolist(), parse(distinct).tolist(), strict=True))
    return values.map(parsed).astype("str")


def _parse_dates(values: pd.Series) -> pd.Series:
    text = values.str.replace(",", " ").str.replace(r"[ \t]+", " ", regex=True).str.strip()
    text = text.str.replace(r"[ T]00:00(:00)?(\.0+)?$", "", regex=True)
    result = pd.Series("", index=values.index, dtype="str")
    todo = text != ""
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text.where(todo, ""), format=fmt, errors="coerce")
        hit = parsed.notna() & todo
        result = result.where(~hit, parsed.dt.strftime("%Y-%m-%d").fillna(""))
        todo &= ~hit
    return result


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
