"""The checks of one row: a pandera schema over normalised rows.

``build_schema`` returns a lazy pandera ``DataFrameSchema`` whose every check is named by its
finding code; ``check_rows`` runs it and turns pandera's failure cases into a finding frame
without a loop per row. Checks that need more than their own column (the number's country, the
raw text) close over a context frame aligned on the same index.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import pandera.pandas as pa

from batchport import nanp
from batchport.columns import COLUMNS, column
from batchport.findings import (
    CODES,
    advice_for,
    concat_frames,
    empty_frame,
    masked_values,
)
from batchport.nanp import TIME_ZONES
from batchport.validation.normalise import VOICE_TYPES, Normalised, boolean_ok

__all__ = ["build_schema", "check_rows", "raw_or_blank"]

_REQUIRED = [c.key for c in COLUMNS if c.required and c.key != "phoneNumber"]
_E911_NEEDED = ("e911StreetNum", "e911StreetInfo", "e911City", "e911State", "e911PostalCode")
_E911_ALL = tuple(c.key for c in COLUMNS if c.key.startswith("e911"))
_FORBIDDEN = r"[<>\[\]{}=!^~\\`]"

Vector = Callable[[pd.Series], pd.Series]


def _check(code: str, fn: Vector) -> pa.Check:
    # The name carries the finding code; pandera reports it as the failed check.
    return pa.Check(fn, name=code)


def build_schema(norm: Normalised, raw: pd.DataFrame, today: date) -> pa.DataFrameSchema:
    """The schema for one table: ``norm`` (normalised rows), ``raw`` (the reader's text), ``today``.

    Returns a ``DataFrameSchema`` to validate ``norm.rows`` with ``lazy=True``.
    """
    rows = norm.rows
    checks: dict[str, list[pa.Check]] = {c.key: [] for c in COLUMNS}
    for problem in nanp.PhoneProblem:
        code = problem.value
        checks["phoneNumber"].append(_check(code, _differs(norm.phone_problems, code)))
    for key in _REQUIRED:
        checks[key].append(_check("missing_required", lambda s: s != ""))
    for col in COLUMNS:
        if col.key == "onDemandActivation" or col.key not in raw.columns:
            continue  # a column the file does not have is blank, never too long
        limit = col.max_length
        checks[col.key].append(_check("too_long", _at_most(limit)))
    _address_checks(checks, rows)
    _port_out_checks(checks, norm, raw, today)
    _order_checks(checks, rows, raw)
    columns = {key: pa.Column(checks=found, required=True) for key, found in checks.items()}
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def _differs(values: pd.Series, code: str) -> Vector:
    return lambda _: values != code


def _at_most(limit: int) -> Vector:
    return lambda s: s.str.len() <= limit


def _parsed_if_given(given: pd.Series) -> Vector:
    return lambda s: (s != "") | ~given


def _filled_unless(exempt: pd.Series) -> Vector:
    return lambda s: (s != "") | exempt


def _region_checks(country: pd.Series) -> tuple[Vector, Vector]:
    us, ca = set(nanp.US_STATES), set(nanp.CA_PROVINCES)

    def unknown(s: pd.Series) -> pd.Series:
        return (s == "") | s.isin(us | ca)

    def wrong_country(s: pd.Series) -> pd.Series:
        return ~(((country == "US") & s.isin(ca - us)) | ((country == "CA") & s.isin(us - ca)))

    return unknown, wrong_country


def _postal_checks(country: pd.Series) -> tuple[Vector, Vector]:
    def valid(s: pd.Series) -> pd.Series:
        return (s == "") | s.str.match(nanp.US_ZIP) | s.str.match(nanp.CA_POSTAL)

    def wrong_country(s: pd.Series) -> pd.Series:
        us_form, ca_form = s.str.match(nanp.US_ZIP), s.str.match(nanp.CA_POSTAL)
        return ~(((country == "US") & ca_form) | ((country == "CA") & us_form))

    return valid, wrong_country


def _address_checks(checks: dict[str, list[pa.Check]], rows: pd.DataFrame) -> None:
    country = rows["country"]
    region_ok, region_country = _region_checks(country)
    postal_ok, postal_country = _postal_checks(country)
    for key in ("state", "e911State"):
        checks[key] += [_check("state_invalid", region_ok)]
    checks["state"].append(_check("state_wrong_country", region_country))
    for key in ("zipCode", "e911PostalCode"):
        checks[key] += [_check("postal_code_invalid", postal_ok)]
    checks["zipCode"].append(_check("postal_code_wrong_country", postal_country))
    checks["e911PostalCodePlusFour"].append(
        _check("postal_code_invalid", lambda s: (s == "") | s.str.match(r"^[0-9]{4}$"))
    )
    checks["typeOfService"].append(_check("type_of_service_invalid", lambda s: s.isin(["B", "R"])))
    any_e911 = (rows[list(_E911_ALL)] != "").any(axis=1)
    for key in _E911_NEEDED:
        checks[key].append(_check("e911_incomplete", lambda s: (s != "") | ~any_e911))
    checks["e911StreetInfo"].append(_check("forbidden_characters", lambda s: ~s.str.contains("#")))


def _port_out_checks(
    checks: dict[str, list[pa.Check]], norm: Normalised, raw: pd.DataFrame, today: date
) -> None:
    rows = norm.rows
    iso_today = today.isoformat()

    def given(key: str) -> pd.Series:
        return raw_or_blank(raw, key) != ""

    checks["existingPortOutPin"].append(
        _check("port_out_credentials_missing",
               lambda s: (s != "") | (rows["accountNum"] != ""))
    )  # fmt: skip
    checks["accountPhoneNumber"].append(
        _check("account_phone_invalid",
               lambda s: ~given("accountPhoneNumber") | (norm.account_phone_problems == ""))
    )  # fmt: skip
    for key in ("authorizingDate", "desiredPortDate"):
        checks[key].append(_check("invalid_date", _parsed_if_given(given(key))))
    checks["authorizingDate"].append(_check("authorizing_date_future", lambda s: s <= iso_today))
    checks["desiredPortDate"].append(
        _check("port_date_past", lambda s: (s == "") | (s >= iso_today))
    )
    checks["desiredPortDate"].append(_check("port_date_weekend", _not_weekend))
    checks["desiredPortTime"].append(
        _check("invalid_time", lambda s: (s != "") | ~given("desiredPortTime"))
    )
    checks["desiredPortTimeZone"].append(
        _check("invalid_time_zone", lambda s: (s == "") | s.isin(TIME_ZONES))
    )
    checks["onDemandActivation"].append(
        _check("invalid_boolean", lambda s: boolean_ok(raw_or_blank(raw, "onDemandActivation")))
    )


def raw_or_blank(raw: pd.DataFrame, key: str) -> pd.Series:
    """The reader's text of column ``key``, or a blank column when the file has none."""
    if key in raw.columns:
        return raw[key]
    return pd.Series("", index=raw.index, dtype="str")


def _not_weekend(s: pd.Series) -> pd.Series:
    days = pd.to_datetime(s.where(s != ""), format="%Y-%m-%d", errors="coerce")
    return ~days.dt.day_of_week.isin([5, 6])


def _order_checks(checks: dict[str, list[pa.Check]], rows: pd.DataFrame, raw: pd.DataFrame) -> None:
    checks["customerOrderReference"].append(
        _check("forbidden_characters", lambda s: ~s.str.contains(_FORBIDDEN, regex=True))
    )
    checks["resellerName"].append(
        _check("reseller_required", lambda s: (s != "") | (rows["country"] != "CA"))
    )
    checks["voiceType"].append(
        _check("voice_type_invalid", lambda s: (s == "") | s.isin(list(VOICE_TYPES)))
    )
    for kind, key in VOICE_TYPES.items():
        checks[key].append(_check("voice_id_missing", _filled_unless(rows["voiceType"] != kind)))
    ids = (rows[list(VOICE_TYPES.values())] != "").any(axis=1)
    checks["voiceType"].append(_check("voice_type_missing", lambda s: (s != "") | ~ids))


def check_rows(norm: Normalised, raw: pd.DataFrame, today: date) -> pd.DataFrame:
    """Validate normalised rows; returns a finding frame (errors and warnings).

    ``raw`` is the reader's text frame, used for the offending values shown to the user.
    """
    schema = build_schema(norm, raw, today)
    try:
        schema.validate(norm.rows, lazy=True)
    except pa.errors.SchemaErrors as exc:
        found = _failures_to_frame(exc.failure_cases, raw, norm.rows)
        return _name_other_countries(found, norm.rows)
    return empty_frame()


def _failures_to_frame(cases: pd.DataFrame, raw: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    cases = cases.dropna(subset=["index", "column", "check"])
    cases = cases[cases["check"].isin(list(CODES))]
    found = pd.DataFrame(
        {
            "row": cases["index"].astype("int64").to_numpy(),
            "column": cases["column"].astype("str").to_numpy(),
            "code": cases["check"].astype("str").to_numpy(),
        }
    ).drop_duplicates()
    parts = []
    for (key_, code_), group in found.groupby(["column", "code"], sort=False):
        key, code = str(key_), str(code_)
        source = raw[key] if key in raw.columns else rows[key].astype("str")
        values = source.reindex(group["row"]).fillna("").astype("str")
        part = group.assign(
            severity=CODES[code].severity.value,
            message=advice_for(code, column(key).header, column(key).max_length),
            value=masked_values(key, values).to_numpy(),
        )
        parts.append(part)
    if not parts:
        return empty_frame()
    return concat_frames(parts)


def _name_other_countries(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    hit = frame["code"] == nanp.PhoneProblem.OTHER_COUNTRY.value
    if not hit.any():
        return frame
    npa = rows["phoneNumber"].reindex(frame.loc[hit, "row"]).str.slice(2, 5)
    names = nanp.NANP_REGION_NAMES
    region = npa.map(lambda code: names.get(nanp.region_of_area_code(code), "another country"))
    extra = " Area code " + npa + " is in " + region + "."
    frame.loc[hit, "message"] = frame.loc[hit, "message"] + extra.to_numpy()
    return frame
