"""The template's example rows, and the check that catches one left in a file to send.

``batchport template`` writes :data:`EXAMPLE_ROWS` under its headers so that a person sees how
each column is filled in; they are to be deleted before use. A filled template that still holds
one would port a fictional business, so :func:`find_example_rows` makes each such row an error.

A row is an example when it carries one example's end-user name together with that example's
phone number, or together with its street number and street name (someone replaced only the
number). The name alone is not enough (a customer may share it), nor is the address (many
businesses share a building). The examples' names and numbers appear nowhere else: their phone
numbers are in the 555-01XX range that no real line has.
"""

from __future__ import annotations

import re

import pandas as pd

from batchport import nanp
from batchport.findings import empty_frame, frame_of
from batchport.validation.checks import raw_or_blank

__all__ = ["EXAMPLE_ROWS", "find_example_rows"]

#: Three example rows (canonical key → value): a US business, a US residence, a Canadian line.
EXAMPLE_ROWS: tuple[dict[str, str], ...] = (
    {"phoneNumber": "(212) 555-0196", "name": "Bayside Dental LLC", "streetNum": "350",
     "streetName": "Fifth", "streetType": "Ave", "locationType1": "Suite",
     "locationValue1": "2134", "city": "New York", "state": "NY", "zipCode": "10118",
     "typeOfService": "B", "existingPortOutPin": "4321", "accountNum": "8001234567",
     "authorizingName": "Jane Doe", "authorizingDate": "2026-01-01",
     "desiredPortTime": "09:00:00", "desiredPortTimeZone": "US/Eastern",
     "onDemandActivation": "No", "customerOrderReference": "BAYSIDE-PORT-1",
     "voiceType": "EST", "trunkId": "01G65Z755AFWAKHE12NY0CQ9FH"},
    {"phoneNumber": "415-555-0197", "name": "Rosa Delgado", "streetNum": "88",
     "streetName": "Valencia", "streetType": "St", "city": "San Francisco", "state": "CA",
     "zipCode": "94103", "typeOfService": "R", "existingPortOutPin": "9876",
     "desiredPortTimeZone": "US/Pacific", "onDemandActivation": "No"},
    {"phoneNumber": "+1 416 555 0194", "name": "Birchwood Bakery Inc", "streetNum": "100",
     "streetName": "King", "streetType": "St", "streetPostDir": "W", "city": "Toronto",
     "state": "ON", "zipCode": "M5X 1A9", "typeOfService": "B", "accountNum": "556677889",
     "desiredPortTimeZone": "US/Eastern", "onDemandActivation": "Yes",
     "resellerName": "Northern Telecom Resale", "voiceType": "RTC",
     "appId": "6afd2da3-1692-4443-834c-8a2f386ec284"},
)  # fmt: skip

_CODE = "template_example_row"


def find_example_rows(rows: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """An error finding on every row of ``rows`` that is one of the template's examples.

    ``rows`` are normalised rows (E.164 phone numbers; see ``batchport.validation.normalise``),
    ``raw`` the reader's text, whose phone number the finding shows. Returns a finding frame.
    """
    examples = pd.DataFrame(list(EXAMPLE_ROWS))
    example_names = _folded(examples["name"])
    maybe = rows["name"].astype("str").str.contains(_maybe_example_name(example_names), regex=True)
    if not maybe.any():  # the usual case, settled by one vectorised match
        return empty_frame()
    names = _folded(rows.loc[maybe, "name"])
    known = names.isin(set(example_names))
    candidates = rows.loc[names.index[known]]
    by_phone = _keys(candidates, names[known], "phoneNumber")
    by_street = _keys(candidates, names[known], "streetNum", "streetName")
    examples["phoneNumber"] = nanp.normalise_phones(examples["phoneNumber"])["e164"]
    hit = by_phone.isin(set(_keys(examples, example_names, "phoneNumber")))
    hit |= by_street.isin(set(_keys(examples, example_names, "streetNum", "streetName")))
    mask = pd.Series(False, index=rows.index)
    mask[hit[hit].index] = True
    return frame_of(mask, "phoneNumber", _CODE, raw_or_blank(raw, "phoneNumber"))


def _maybe_example_name(folded_names: pd.Series) -> str:
    """A pattern matching every name whose fold may be one of ``folded_names`` (ASCII, one space).

    An ASCII name matches exactly when it folds to one of them (ASCII's casefold is its lower
    case, its whitespace the characters below); any other name matches, to be folded in full:
    folding every name costs a Python call per row.
    """
    space = r"[\t\n\v\f\r\x1c-\x1f ]"
    names = "|".join(f"{space}+".join(re.escape(word) for word in n.split()) for n in folded_names)
    return rf"[^\x00-\x7f]|(?i:^{space}*(?:{names}){space}*$)"


def _folded(values: pd.Series) -> pd.Series:
    return values.astype("str").str.casefold().str.split().str.join(" ")


def _keys(rows: pd.DataFrame, names: pd.Series, *fields: str) -> pd.Series:
    key = names
    for name in fields:
        key = key + "\x1f" + _folded(rows[name])
    return key
