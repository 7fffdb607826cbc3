"""The checks of one row: one pandera schema, declared once.

:data:`ROW_SCHEMA` validates a *checked frame* (see :func:`checked_frame`): the normalised rows
with blank cells as NA, plus context columns whose names start with ``_`` (the number's
country, its problem, today's date, "was this cell given" flags, ...). Every check carries its
finding code as ``error=``:

- a rule about one column is a check on that column, a pandera built-in where one fits
  (``str_length``, ``isin``, ``str_matches``); a required column is ``nullable=False``, and
  pandera's ``not_nullable`` failure becomes ``missing_required``;
- a rule that compares a column with others is a frame-wide check in ``ROW_SCHEMA.checks``,
  made by :func:`_across`, whose ``name=`` is the column it reports on.

Adding a rule is one check in ``ROW_SCHEMA`` plus one entry in :data:`batchport.findings.CODES`
(its severity and advice). :func:`check_rows` builds the checked frame, validates it lazily and
turns the failures into a finding frame without a loop per row; context columns never appear in
findings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrorReason, SchemaErrors

from batchport import nanp
from batchport.columns import COLUMNS, column
from batchport.findings import CODES, advice_for, concat_frames, empty_frame, masked_values
from batchport.validation.normalise import BOOLEAN_WORDS, VOICE_TYPES, Normalised

__all__ = [
    "CONTEXT",
    "PO_BOX",
    "ROW_SCHEMA",
    "check_rows",
    "checked_frame",
    "failed_cells",
    "raw_or_blank",
]

Rule = Callable[[pd.DataFrame], pd.Series]

_E911_NEEDED = ("e911StreetNum", "e911StreetInfo", "e911City", "e911State", "e911PostalCode")
_E911_ALL = tuple(c.key for c in COLUMNS if c.key.startswith("e911"))
#: Columns whose normalised value is blank when the text cannot be read: their "given" flag
#: tells a blank cell from an unreadable one.
_READ_KEYS = ("accountPhoneNumber", "authorizingDate", "desiredPortDate", "desiredPortTime")
_US, _CA = frozenset(nanp.US_STATES), frozenset(nanp.CA_PROVINCES)
_TERRITORIES = frozenset(nanp.US_TERRITORIES)
_REGION_CHECKS = [
    pa.Check.isin(_US | _CA | _TERRITORIES, error="state_invalid"),
    pa.Check(lambda s: ~s.isin(_TERRITORIES), error="state_us_territory"),
]
_POSTAL = f"(?:{nanp.US_ZIP})|(?:{nanp.CA_POSTAL})"
_NOT_NULLABLE = {"not_nullable": "missing_required"}  # pandera's own check, in our words
#: A post office box, as people write one in a street: ``PO Box 12``, ``P.O. Box``, ``POB``,
#: ``Post Office Box``, ``PMB`` (a private mailbox), ``Box 12`` only with its number and only
#: at the start (``Box Elder Rd`` is a street), and the French ``C.P.`` / ``Case postale`` /
#: ``Boîte postale``. Matched on the street number and name together, case-insensitively.
PO_BOX = (
    r"(?i)(?:^|[^a-z])(?:p\.? *o\.? *b(?:ox|\.)?|post +office +box|pmb)(?:[^a-z]|$)"
    r"|(?:^|[0-9] +)box *#? *[0-9]+|^[0-9]* *box *#?$"
    r"|(?:^|[^a-z])(?:c\. *p\.|cp +[0-9]+|case +postale|casier +postal|bo[iî]te +postale)"
)


def _too_long(limit: int) -> pa.Check:
    return pa.Check.str_length(max_value=limit, error="too_long")


def _no_characters(characters: str) -> pa.Check:
    # A negated class anchored at both ends: the whole text is free of ``characters``.
    return pa.Check.str_matches(f"^[^{characters}]*$", error="forbidden_characters")


def _weekday(values: pd.Series) -> pd.Series:
    # pandera has no built-in for days of the week.
    days = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    return ~days.dt.day_of_week.isin([5, 6])


_OWN_CHECKS: dict[str, list[pa.Check]] = {
    "state": _REGION_CHECKS,
    "e911State": _REGION_CHECKS,
    "zipCode": [pa.Check.str_matches(_POSTAL, error="postal_code_invalid")],
    "e911PostalCode": [pa.Check.str_matches(_POSTAL, error="postal_code_invalid")],
    "e911PostalCodePlusFour": [pa.Check.str_matches(r"^[0-9]{4}$", error="plus_four_invalid")],
    "typeOfService": [pa.Check.isin(["B", "R"], error="type_of_service_invalid")],
    "e911StreetInfo": [_no_characters("#")],
    "desiredPortDate": [pa.Check(_weekday, error="port_date_weekend")],
    "desiredPortTimeZone": [pa.Check.isin(nanp.TIME_ZONES, error="invalid_time_zone")],
    "onDemandActivation": [pa.Check.isin(BOOLEAN_WORDS, error="invalid_boolean")],
    "customerOrderReference": [_no_characters(r"<>\[\]{}=!^~\\`")],
    "voiceType": [pa.Check.isin(list(VOICE_TYPES), error="voice_type_invalid")],
}


def _column(key: str) -> pa.Column:
    spec = column(key)
    # onDemandActivation is checked as written (a yes or a no), never for its length.
    limit = [] if key == "onDemandActivation" else [_too_long(spec.max_length)]
    # The number to port has its own codes for a blank cell (phone_missing).
    nullable = not spec.required or key == "phoneNumber"
    return pa.Column(nullable=nullable, checks=limit + _OWN_CHECKS.get(key, []))


def _across(code: str, key: str, ok: Rule) -> pa.Check:
    """A check of column ``key`` against other columns: ``ok`` is true where the row passes.

    pandera reports a frame-wide check's failures as whole rows: every cell of each failing
    row, naming no column, at a cost of one case per column per row. So the check names the
    column it reports on, keeps no failure cases, and ``failed_cells`` reads the failing rows
    from its boolean output.
    """
    return pa.Check(ok, name=key, error=code, ignore_na=False, n_failure_cases=0)


def _blank(key: str) -> Rule:
    return lambda frame: frame[key].isna()


def _flag(key: str) -> Rule:
    return lambda frame: frame[key]


def _equals(key: str, value: str) -> Rule:
    return lambda frame: frame[key] == value


def _needed(code: str, key: str, when: Rule) -> pa.Check:
    """Column ``key`` must be given in every row where ``when`` is true."""
    return _across(code, key, lambda frame: frame[key].notna() | ~when(frame))


def _phone_is_not(code: str) -> Rule:
    return lambda frame: frame["_phone_problem"] != code


def _in_other_country(code: str, key: str, us_form: Rule, ca_form: Rule) -> pa.Check:
    """Column ``key`` must not have the other country's form (``us_form`` / ``ca_form``) than
    the number's country, e.g. a US number with a Canadian province."""

    def ok(frame: pd.DataFrame) -> pd.Series:
        country = frame["_country"]
        return ~(((country == "US") & ca_form(frame)) | ((country == "CA") & us_form(frame)))

    return _across(code, key, ok)


def _isin(key: str, values: frozenset[str]) -> Rule:
    return lambda frame: frame[key].isin(values)


def _matches(key: str, pattern: str) -> Rule:
    return lambda frame: frame[key].str.match(pattern, na=False)


def _account_phone_ok(frame: pd.DataFrame) -> pd.Series:
    return ~frame["_given_accountPhoneNumber"] | frame["_account_phone_problem"].isna()


_RULES: list[pa.Check] = [
    *(_across(p.value, "phoneNumber", _phone_is_not(p.value)) for p in nanp.PhoneProblem),
    _in_other_country("state_wrong_country", "state",
                      _isin("state", _US - _CA), _isin("state", _CA - _US)),
    _in_other_country("postal_code_wrong_country", "zipCode",
                      _matches("zipCode", nanp.US_ZIP), _matches("zipCode", nanp.CA_POSTAL)),
    *(_needed("e911_incomplete", key, _flag("_any_e911")) for key in _E911_NEEDED),
    _needed("port_out_credentials_missing", "existingPortOutPin", _blank("accountNum")),
    _across("account_phone_invalid", "accountPhoneNumber", _account_phone_ok),
    _needed("invalid_date", "authorizingDate", _flag("_given_authorizingDate")),
    _needed("invalid_date", "desiredPortDate", _flag("_given_desiredPortDate")),
    _across("authorizing_date_future", "authorizingDate",
            lambda f: ~(f["authorizingDate"] > f["_today"])),
    _across("port_date_past", "desiredPortDate", lambda f: ~(f["desiredPortDate"] < f["_today"])),
    _needed("invalid_time", "desiredPortTime", _flag("_given_desiredPortTime")),
    _needed("reseller_required", "resellerName", _equals("_country", "CA")),
    *(_needed("voice_id_missing", key, _equals("voiceType", kind))
      for kind, key in VOICE_TYPES.items()),
    _needed("voice_type_missing", "voiceType", _flag("_any_voice_id")),
    _across("po_box_service_address", "streetName", lambda f: ~f["_service_po_box"]),
    _across("po_box_e911", "e911StreetInfo", lambda f: ~f["_e911_po_box"]),
]  # fmt: skip

#: The context columns of a checked frame: what the frame-wide rules compare with.
CONTEXT: dict[str, pa.Column] = {
    "_country": pa.Column(nullable=True, description="US or CA; NA when the number is not."),
    "_phone_problem": pa.Column(nullable=True, description="PhoneProblem value, NA when fine."),
    "_account_phone_problem": pa.Column(nullable=True, description="Same, for the account."),
    "_today": pa.Column(description="The date the date rules compare with, YYYY-MM-DD."),
    "_any_e911": pa.Column(description="True when any E911 field is filled in."),
    "_any_voice_id": pa.Column(description="True when any voice id is filled in."),
    "_service_po_box": pa.Column(description="True when the service street is a PO box."),
    "_e911_po_box": pa.Column(description="True when the E911 street is a PO box."),
    **{f"_given_{key}": pa.Column(description=f"True when {key} has text.") for key in _READ_KEYS},
}

#: The schema of one row. Findings of one cell come out in ``CODES`` order.
ROW_SCHEMA = pa.DataFrameSchema(
    {**{c.key: _column(c.key) for c in COLUMNS}, **CONTEXT},
    checks=_RULES,
    strict=False,
    coerce=False,
)


def checked_frame(norm: Normalised, today: date) -> pd.DataFrame:
    """The frame ``ROW_SCHEMA`` validates, on the index of ``norm.rows``.

    ``norm``: the normalised rows and the text they came from (for "was it given" and the
    yes/no as written, placeholders already blanked); ``today``: the date the date rules
    compare with. Every column of
    ``COLUMNS`` (blank cells NA, ``onDemandActivation`` as written in upper case) plus the
    context columns of :data:`CONTEXT`.
    """
    rows = norm.rows
    text = {c.key: rows[c.key] for c in COLUMNS}
    text["onDemandActivation"] = norm.text["onDemandActivation"].str.upper()
    frame = pd.DataFrame({key: _missing_if_blank(v) for key, v in text.items()}, index=rows.index)
    context = {
        "_country": _missing_if_blank(rows["country"]),
        "_phone_problem": _missing_if_blank(norm.phone_problems),
        "_account_phone_problem": _missing_if_blank(norm.account_phone_problems),
        "_today": pd.Series(today.isoformat(), index=rows.index, dtype="str"),
        "_any_e911": frame[list(_E911_ALL)].notna().any(axis=1),
        "_any_voice_id": frame[list(VOICE_TYPES.values())].notna().any(axis=1),
        "_service_po_box": _po_box(rows["streetNum"], rows["streetName"]),
        "_e911_po_box": _po_box(rows["e911StreetNum"], rows["e911StreetInfo"]),
        **{f"_given_{key}": norm.text[key] != "" for key in _READ_KEYS},
    }
    return frame.assign(**context)


def _missing_if_blank(text: pd.Series) -> pd.Series:
    """``text`` with its blank cells missing (NaN), for pandera's nullable rule."""
    # Column by column, copying only a column that has both: most are wholly filled or wholly
    # blank, and a frame-wide replace() costs twice as much at 100k rows (measured).
    blank = (text == "").to_numpy()
    if not blank.any():
        return text
    if blank.all():
        return pd.Series(np.nan, index=text.index, dtype=text.dtype)
    return text.where(~blank)


def _po_box(number: pd.Series, street: pd.Series) -> pd.Series:
    """True where the street number or name is a post office box (``PO_BOX``)."""
    boxes = street.str.contains(PO_BOX, regex=True)
    if number.str.len().any():
        boxes |= number.str.contains(PO_BOX, regex=True)
    return boxes


def raw_or_blank(raw: pd.DataFrame, key: str) -> pd.Series:
    """The reader's text of column ``key``, or a blank column when the file has none."""
    if key in raw.columns:
        return raw[key]
    return pd.Series("", index=raw.index, dtype="str")


def failed_cells(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate ``frame`` against ``schema``; one row per failed cell: ``row``, ``column``,
    ``code``.

    Column checks name their column; frame-wide checks name it with ``name=`` (see
    ``_across``). Raises ``SchemaError`` when a check itself crashed: a broken check must not
    pass every row.
    """
    try:
        # inplace: nothing is coerced, and a copy of a 100k-row frame costs time for nothing.
        schema.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as exc:
        parts = [_cells_of(err) for err in exc.schema_errors]
        return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)
    return pd.DataFrame({"row": [], "column": [], "code": []}).astype({"row": "int64"})


def _cells_of(err: SchemaError) -> pd.DataFrame:
    if err.reason_code == SchemaErrorReason.CHECK_ERROR:
        raise err
    check = err.check
    if isinstance(check, str):  # pandera's own checks, such as not_nullable
        code, key = _NOT_NULLABLE[check], str(err.schema.name)
        rows = err.failure_cases["index"]
    elif isinstance(err.schema, pa.Column):
        code, key = str(check.error), str(err.schema.name)
        rows = err.failure_cases["index"]
    else:
        code, key = str(check.error), str(check.name)
        output = err.check_output
        rows = output.index[~output.to_numpy(dtype=bool)].to_series()
    numbers = rows.dropna().to_numpy(dtype="int64")
    return pd.DataFrame({"row": numbers, "column": key, "code": code})


def check_rows(norm: Normalised, raw: pd.DataFrame, today: date) -> pd.DataFrame:
    """Validate normalised rows; returns a finding frame (errors and warnings).

    ``raw`` is the reader's text frame, used for the offending values shown to the user;
    ``today`` is the date the date rules compare with.
    """
    cells = failed_cells(ROW_SCHEMA, checked_frame(norm, today))
    if cells.empty:
        return empty_frame()
    return _name_other_countries(_findings_of(cells, raw, norm.rows), norm.rows)


_RANK = {code: i for i, code in enumerate(CODES)}


def _findings_of(cells: pd.DataFrame, raw: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    # One block per (column, code), in CODES order: the findings of one cell keep that order
    # through the final sort by row and column, whatever order pandera ran the checks in.
    parts = []
    groups = cells.groupby(["column", "code"], sort=False)
    for (key_, code_), group in sorted(groups, key=lambda item: _RANK[str(item[0][1])]):
        key, code = str(key_), str(code_)
        source = raw[key] if key in raw.columns else rows[key].astype("str")
        values = source.reindex(group["row"]).fillna("").astype("str")
        part = group.assign(
            severity=CODES[code].severity.value,
            message=advice_for(code, column(key).header, column(key).max_length),
            value=masked_values(key, values).to_numpy(),
            sent="",
        )
        parts.append(part)
    return concat_frames(parts)


def _name_other_countries(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    places = (nanp.PhoneProblem.OTHER_COUNTRY.value, nanp.PhoneProblem.US_TERRITORY.value)
    hit = frame["code"].isin(places)
    if not hit.any():
        return frame
    npa = rows["phoneNumber"].reindex(frame.loc[hit, "row"]).str.slice(2, 5)
    region = npa.map(nanp.area_code_place)
    extra = " Area code " + npa + " is in " + region + "."
    frame.loc[hit, "message"] = frame.loc[hit, "message"] + extra.to_numpy()
    return frame
