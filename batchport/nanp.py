"""North American Numbering Plan facts: which area codes are US or Canadian local numbers.

The area-code table is built once, from phonenumbers' metadata, and then used as a lookup so
that whole columns are classified with vectorised operations instead of a parse per number.
"""

from __future__ import annotations

import enum
import re
from functools import cache

import pandas as pd
import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = [
    "CA_POSTAL",
    "CA_PROVINCES",
    "E164_NANP",
    "TIME_ZONES",
    "US_STATES",
    "US_ZIP",
    "NpaKind",
    "PhoneProblem",
    "country_of",
    "normalise_phones",
    "normalise_postal_codes",
    "normalise_regions",
    "npa_kind",
    "region_of_area_code",
]

#: A well-formed NANP number in E.164: +1, area code and exchange each starting 2-9.
E164_NANP = re.compile(r"^\+1[2-9]\d{2}[2-9]\d{6}$")


class NpaKind(enum.StrEnum):
    """What an area code (NPA) is, as far as porting into Sinch is concerned."""

    US = "US"
    CA = "CA"
    TOLL_FREE = "toll_free"
    PREMIUM = "premium"
    NON_GEOGRAPHIC = "non_geographic"
    OTHER_COUNTRY = "other_country"
    UNASSIGNED = "unassigned"


_LOCAL_TYPES = {
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
# Exchanges tried per area code: metadata patterns sometimes cover only some exchanges.
_PROBE_EXCHANGES = ("234", "456", "789", "321", "987", "654", "555", "900", "611")


def _sample_number(npa: str) -> phonenumbers.PhoneNumber | None:
    """A number in area code ``npa`` that phonenumbers' metadata calls valid, or ``None``."""
    for exchange in _PROBE_EXCHANGES:
        number = phonenumbers.parse(f"+1{npa}{exchange}4567")
        if phonenumbers.is_valid_number(number):
            return number
    return None


def _classify_npa(npa: str) -> NpaKind:
    number = _sample_number(npa)
    if number is None:
        return NpaKind.NON_GEOGRAPHIC if int(npa) in _SERVICE_CODES else NpaKind.UNASSIGNED
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.TOLL_FREE:
        return NpaKind.TOLL_FREE
    if kind == PhoneNumberType.PREMIUM_RATE:
        return NpaKind.PREMIUM
    if kind not in _LOCAL_TYPES:
        return NpaKind.NON_GEOGRAPHIC
    region = phonenumbers.region_code_for_number(number)
    if region in ("US", "CA"):
        return NpaKind(region)
    return NpaKind.OTHER_COUNTRY


# NANP service and personal-communication codes that metadata may leave unassigned.
_SERVICE_CODES = frozenset(
    {500, 521, 522, 523, 524, 525, 526, 527, 528, 529, 533, 544, 566, 577, 588, 600, 622, 700, 710}
)


#: Names of the NANP members other than the US and Canada, for messages.
NANP_REGION_NAMES = {
    "AG": "Antigua and Barbuda", "AI": "Anguilla", "AS": "American Samoa", "BB": "Barbados",
    "BM": "Bermuda", "BS": "the Bahamas", "DM": "Dominica", "DO": "the Dominican Republic",
    "GD": "Grenada", "GU": "Guam", "JM": "Jamaica", "KN": "Saint Kitts and Nevis",
    "KY": "the Cayman Islands", "LC": "Saint Lucia", "MP": "the Northern Mariana Islands",
    "MS": "Montserrat", "PR": "Puerto Rico", "SX": "Sint Maarten",
    "TC": "the Turks and Caicos Islands", "TT": "Trinidad and Tobago",
    "VC": "Saint Vincent and the Grenadines", "VG": "the British Virgin Islands",
    "VI": "the U.S. Virgin Islands",
}  # fmt: skip


@cache
def region_of_area_code(npa: str) -> str:
    """The ISO region (``"JM"``, ``"PR"``, ...) of a non-US/CA area code, or ``""``."""
    number = _sample_number(npa)
    return "" if number is None else phonenumbers.region_code_for_number(number) or ""


def npa_kind(e164: str) -> NpaKind:
    """The kind of the area code of a ``+1`` E.164 number; ``UNASSIGNED`` when malformed."""
    if not E164_NANP.match(e164):
        return NpaKind.UNASSIGNED
    return _kind_of_area_code(e164[2:5])


def country_of(e164: str) -> str | None:
    """``"US"`` or ``"CA"`` for a US or Canadian local number, else ``None``."""
    kind = npa_kind(e164)
    if kind in (NpaKind.US, NpaKind.CA):
        return kind.value
    return None


class PhoneProblem(enum.StrEnum):
    """Why a phone number cannot be ported; each value is also the finding code."""

    MISSING = "phone_missing"
    MALFORMED = "phone_malformed"
    INVALID = "phone_invalid"
    UNASSIGNED = "phone_unassigned_area_code"
    TOLL_FREE = "phone_toll_free"
    PREMIUM = "phone_premium"
    NON_GEOGRAPHIC = "phone_non_geographic"
    OTHER_COUNTRY = "phone_other_country"


_KIND_PROBLEM = {
    NpaKind.US: "",
    NpaKind.CA: "",
    NpaKind.TOLL_FREE: PhoneProblem.TOLL_FREE.value,
    NpaKind.PREMIUM: PhoneProblem.PREMIUM.value,
    NpaKind.NON_GEOGRAPHIC: PhoneProblem.NON_GEOGRAPHIC.value,
    NpaKind.OTHER_COUNTRY: PhoneProblem.OTHER_COUNTRY.value,
    NpaKind.UNASSIGNED: PhoneProblem.UNASSIGNED.value,
}
_TEN_DIGITS = r"^[2-9][0-9]{2}[2-9][0-9]{6}$"


@cache
def _kind_of_area_code(npa: str) -> NpaKind:
    return _classify_npa(npa)


def _npa_tables(npas: pd.Series) -> tuple[dict[str, str], dict[str, str]]:
    # Only the area codes present are classified (each once per process): a file rarely holds
    # more than a few hundred, and building all 800 costs more than reading a small file.
    kinds = {npa: _kind_of_area_code(npa) for npa in pd.unique(npas) if _is_npa(npa)}
    country = {npa: k.value if k in (NpaKind.US, NpaKind.CA) else "" for npa, k in kinds.items()}
    problem = {npa: _KIND_PROBLEM[k] for npa, k in kinds.items()}
    return country, problem


def _is_npa(text: object) -> bool:
    return isinstance(text, str) and len(text) == 3 and text.isdigit() and text[0] not in "01"


def normalise_phones(raw: pd.Series) -> pd.DataFrame:
    """Turn a column of phone numbers, written any common way, into E.164 and a verdict.

    Accepts ``(212) 555-0143``, ``212.555.0143``, ``1-212-555-0143``, ``+1 212 555 0143`` and
    ``2125550143``. Returns a frame on the same index with text columns ``e164`` (``""`` when the
    text is not a ten-digit NANP number), ``country`` (``"US"``, ``"CA"`` or ``""``) and
    ``problem`` (a ``PhoneProblem`` value, ``""`` when the number is a US or Canadian local
    number). Vectorised: one regex pass and two dictionary lookups per column, no parsing per row.
    """
    text = raw.astype("str").str.strip()
    if not text.str.len().any():
        missing = pd.Series(PhoneProblem.MISSING.value, index=raw.index, dtype="str")
        return pd.DataFrame({"e164": text, "country": text, "problem": missing})
    digits = text.str.replace(r"[^0-9]", "", regex=True)
    plus = text.str.startswith("+")
    eleven = (digits.str.len() == 11) & digits.str.startswith("1")
    ten = digits.where(~eleven, digits.str.slice(1))
    shaped = (ten.str.len() == 10) & ~text.str.contains(r"[A-Za-z]", regex=True)
    shaped &= ~plus | eleven
    nxx_ok = ten.str.match(_TEN_DIGITS) & (ten.str.slice(4, 6) != "11")
    nxx_ok &= ten.str.slice(1, 3) != "11"  # N11 area codes are service codes, not areas
    npa = ten.str.slice(0, 3)
    country_map, problem_map = _npa_tables(npa.where(shaped, ""))
    country = npa.map(country_map).astype(object).fillna("").astype("str")
    problem = npa.map(problem_map).astype(object).fillna(PhoneProblem.UNASSIGNED.value)
    problem = problem.astype("str")
    problem = problem.where(nxx_ok, PhoneProblem.INVALID.value)
    problem = problem.where(shaped, PhoneProblem.MALFORMED.value)
    problem = problem.where(text != "", PhoneProblem.MISSING.value)
    usable = shaped & nxx_ok
    e164 = ("+1" + ten).where(usable, "")
    country = country.where(usable & (problem == ""), "")
    return pd.DataFrame({"e164": e164, "country": country, "problem": problem}, index=raw.index)


#: USPS codes of the states, the District of Columbia and the inhabited territories.
US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands", "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}  # fmt: skip
#: Canadian province and territory codes.
CA_PROVINCES: dict[str, str] = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip
_REGION_ALIASES = {
    "WASHINGTON DC": "DC", "WASHINGTON D C": "DC", "D C": "DC", "VIRGIN ISLANDS": "VI",
    "QUÉBEC": "QC", "QUE": "QC", "PQ": "QC", "NEWFOUNDLAND": "NL", "NF": "NL", "LABRADOR": "NL",
    "PEI": "PE", "P E I": "PE", "YUKON TERRITORY": "YT", "YK": "YT", "NWT": "NT",
    "ONT": "ON", "ALTA": "AB", "SASK": "SK", "MAN": "MB", "CALIF": "CA", "MASS": "MA",
    "PENN": "PA", "FLA": "FL", "TEX": "TX", "COLOMBIE BRITANNIQUE": "BC",
    "NOUVEAU BRUNSWICK": "NB", "NOUVELLE ECOSSE": "NS",
}  # fmt: skip


@cache
def _region_lookup() -> dict[str, str]:
    lookup = {code: code for code in (*US_STATES, *CA_PROVINCES)}
    for table in (US_STATES, CA_PROVINCES):
        lookup.update({_region_token(name): code for code, name in table.items()})
    lookup.update(_REGION_ALIASES)
    return lookup


def _region_token(text: str) -> str:
    return re.sub(r"[^A-ZÉ]+", " ", text.upper()).strip()


def normalise_regions(raw: pd.Series) -> pd.Series:
    """State and province names or codes (``"new york"``, ``"Ont."``) to two-letter codes.

    Values that name no state or province are returned stripped but otherwise unchanged, so the
    validator can show them. Works on the distinct values only, then maps them back.
    """
    text = raw.astype("str").str.strip()
    uniques = pd.unique(text)
    lookup = _region_lookup()
    mapping = {}
    for value in uniques:
        token = _region_token(value)
        mapping[value] = lookup.get(token, lookup.get(token.replace(" ", ""), value))
    return text.map(mapping).astype("str")


#: The time zones a desired port time may be given in (the API's enumeration).
TIME_ZONES = ("US/Eastern", "US/Central", "US/Mountain", "US/Pacific", "GMT")

#: A US ZIP code: five digits, or ZIP+4.
US_ZIP = r"^[0-9]{5}(-[0-9]{4})?$"
#: A Canadian postal code in canonical form, letters restricted to the ones Canada Post uses.
CA_POSTAL = r"^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] [0-9][ABCEGHJ-NPRSTV-Z][0-9]$"


def normalise_postal_codes(raw: pd.Series) -> pd.Series:
    """Canadian postal codes to ``A1A 1A1`` and nine-digit ZIPs to ``12345-6789``.

    Anything else is returned stripped, unchanged, for the validator to judge.
    """
    text = raw.astype("str").str.strip()
    compact = text.str.upper().str.replace(r"[ \t\-]", "", regex=True)
    canadian = compact.str.match(r"^[A-Z][0-9][A-Z][0-9][A-Z][0-9]$")
    ca_form = compact.str.slice(0, 3) + " " + compact.str.slice(3)
    zip9 = compact.str.match(r"^[0-9]{9}$")
    zip9_form = compact.str.slice(0, 5) + "-" + compact.str.slice(5)
    return text.where(~canadian, ca_form).where(~zip9, zip9_form)
