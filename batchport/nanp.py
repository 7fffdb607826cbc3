"""North American Numbering Plan facts: which area codes are US or Canadian local numbers.

The area-code table is built once, from phonenumbers' metadata, and then used as a lookup so
that whole columns are classified with vectorised operations instead of a parse per number.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from functools import cache

import pandas as pd
import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType

from batchport.lookups import Lookup

__all__ = [
    "CA_POSTAL",
    "CA_PROVINCES",
    "E164_NANP",
    "NANP_REGION_NAMES",
    "TIME_ZONES",
    "US_STATES",
    "US_TERRITORIES",
    "US_ZIP",
    "NpaKind",
    "PhoneNotice",
    "PhoneProblem",
    "area_code_place",
    "country_of",
    "country_of_regions",
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
    US_TERRITORY = "us_territory"
    OTHER_COUNTRY = "other_country"
    UNASSIGNED = "unassigned"
    #: Unknown to phonenumbers' metadata, yet not reserved: possibly opened since it was made.
    NEWER = "newer"


_LOCAL_TYPES = {
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
# Exchanges tried per area code: metadata patterns sometimes cover only some exchanges. Over all
# 800 area codes, these find every US and Canadian one; the only codes whose valid exchanges they
# miss belong to other NANP members, which their leading digits name first (measured).
_PROBE_EXCHANGES = ("234", "456", "789", "321", "987", "654", "555", "900", "611")
#: The inhabited US territories: NANP members of their own in the metadata, outside the API.
US_TERRITORIES: dict[str, str] = {
    "AS": "American Samoa", "GU": "Guam", "MP": "the Northern Mariana Islands",
    "PR": "Puerto Rico", "VI": "the U.S. Virgin Islands",
}  # fmt: skip


def _sample_number(npa: str) -> phonenumbers.PhoneNumber | None:
    """A number in area code ``npa`` that phonenumbers' metadata calls valid, or ``None``."""
    for exchange in _PROBE_EXCHANGES:
        number = phonenumbers.parse(f"+1{npa}{exchange}4567")
        if phonenumbers.is_valid_number(number):
            return number
    return None


@cache
def _member_prefixes() -> tuple[tuple[str, re.Pattern[str]], ...]:
    # The NANP members other than the US and Canada each name their area codes in the metadata's
    # leading digits ("264" for Anguilla, "787|939" for Puerto Rico); a longer prefix there
    # ("8001" for the Dominican Republic) is a range inside another member's code.
    regions = phonenumbers.region_codes_for_country_code(1)
    pairs = []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region)
        digits = None if metadata is None else metadata.leading_digits
        if region not in ("US", "CA") and digits:
            pairs.append((region, re.compile(digits)))
    return tuple(pairs)


@cache
def region_of_area_code(npa: str) -> str:
    """The ISO region (``"JM"``, ``"PR"``, ...) of a NANP member's area code other than the
    US's and Canada's, from phonenumbers' metadata; ``""`` for any other area code."""
    for region, prefix in _member_prefixes():
        if prefix.fullmatch(npa):
            return region
    return ""


def area_code_place(npa: str) -> str:
    """The name of the territory or country of a NANP member's area code, for messages.

    >>> area_code_place("787")
    'Puerto Rico'
    >>> area_code_place("212")
    'another country'
    """
    region = region_of_area_code(npa)
    return US_TERRITORIES.get(region) or NANP_REGION_NAMES.get(region, "another country")


def _is_reserved(npa: str) -> bool:
    # NANP plan rules, not metadata: N9X is held for expanding the plan, 37X and 96X for
    # unforeseen uses, and codes with equal last digits (N00, 222, 555, ...) are service
    # codes; a code of these kinds cannot have opened since the metadata was made.
    return npa[1] == "9" or npa[:2] in ("37", "96") or npa[1] == npa[2]


def _classify_npa(npa: str) -> NpaKind:
    region = region_of_area_code(npa)
    if region:
        return NpaKind.US_TERRITORY if region in US_TERRITORIES else NpaKind.OTHER_COUNTRY
    number = _sample_number(npa)
    if number is None:
        if int(npa) in _SERVICE_CODES:
            return NpaKind.NON_GEOGRAPHIC
        return NpaKind.UNASSIGNED if _is_reserved(npa) else NpaKind.NEWER
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.TOLL_FREE:
        return NpaKind.TOLL_FREE
    if kind == PhoneNumberType.PREMIUM_RATE:
        return NpaKind.PREMIUM
    if kind not in _LOCAL_TYPES:
        return NpaKind.NON_GEOGRAPHIC
    if phonenumbers.region_code_for_number(number) == "CA":
        return NpaKind.CA
    return NpaKind.US  # the members with leading digits, territories included, went above


# NANP service and personal-communication codes that metadata may leave unassigned.
_SERVICE_CODES = frozenset(
    {500, 521, 522, 523, 524, 525, 526, 527, 528, 529, 533, 544, 566, 577, 588, 600, 622, 700, 710}
)


#: Names of the NANP members other than the US and Canada, for messages.
NANP_REGION_NAMES = {
    "AG": "Antigua and Barbuda", "AI": "Anguilla", "BB": "Barbados",
    "BM": "Bermuda", "BS": "the Bahamas", "DM": "Dominica", "DO": "the Dominican Republic",
    "GD": "Grenada", "JM": "Jamaica", "KN": "Saint Kitts and Nevis",
    "KY": "the Cayman Islands", "LC": "Saint Lucia",
    "MS": "Montserrat", "SX": "Sint Maarten",
    "TC": "the Turks and Caicos Islands", "TT": "Trinidad and Tobago",
    "VC": "Saint Vincent and the Grenadines", "VG": "the British Virgin Islands",
    **US_TERRITORIES,
}  # fmt: skip


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
    US_TERRITORY = "phone_us_territory"
    OTHER_COUNTRY = "phone_other_country"


class PhoneNotice(enum.StrEnum):
    """What a person should know about a number that may be ported; each value is also the
    finding code (a warning) and the name of its flag column in :func:`normalise_phones`."""

    NEWER_AREA_CODE = "phone_area_code_newer"
    FICTIONAL = "phone_fictional"


_KIND_PROBLEM = Lookup(
    {
        NpaKind.US.value: "",
        NpaKind.CA.value: "",
        NpaKind.NEWER.value: "",
        NpaKind.TOLL_FREE.value: PhoneProblem.TOLL_FREE.value,
        NpaKind.PREMIUM.value: PhoneProblem.PREMIUM.value,
        NpaKind.NON_GEOGRAPHIC.value: PhoneProblem.NON_GEOGRAPHIC.value,
        NpaKind.US_TERRITORY.value: PhoneProblem.US_TERRITORY.value,
        NpaKind.OTHER_COUNTRY.value: PhoneProblem.OTHER_COUNTRY.value,
        NpaKind.UNASSIGNED.value: PhoneProblem.UNASSIGNED.value,
    }
)
_AREA_CODE = r"^[2-9][0-9]{2}"
# NXX-555-0100 to NXX-555-0199: the numbers the NANP keeps for films, books and examples.
_FICTIONAL = r"^[2-9][0-9]{2}55501[0-9]{2}$"


@cache
def _kind_of_area_code(npa: str) -> NpaKind:
    return _classify_npa(npa)


def _npa_kinds(npas: pd.Series) -> Lookup:
    # Only the area codes present are classified (each once per process): a file rarely holds
    # more than a few hundred, and building all 800 costs more than reading a small file.
    return Lookup({npa: _kind_of_area_code(npa).value for npa in pd.unique(npas) if _is_npa(npa)})


def _is_npa(text: object) -> bool:
    return isinstance(text, str) and len(text) == 3 and text.isdigit() and text[0] not in "01"


def normalise_phones(raw: pd.Series) -> pd.DataFrame:
    """Turn a column of phone numbers, written any common way, into E.164 and a verdict.

    Accepts ``(212) 555-0143``, ``212.555.0143``, ``1-212-555-0143``, ``+1 212 555 0143`` and
    ``2125550143``. Returns a frame on the same index with text columns ``e164`` (``""`` when the
    text is not a ten-digit NANP number), ``country`` (``"US"``, ``"CA"`` or ``""``) and
    ``problem`` (a ``PhoneProblem`` value, ``""`` when the number may be ported), and one boolean
    column per ``PhoneNotice`` value. The problem is the true reason: a toll-free or premium
    number, or one of another NANP member, is named as such even when its exchange (``211``)
    would not do for a local number; an N11 or 0/1 exchange is refused in a local area code. An
    area code unknown to the metadata but not reserved is no problem: a notice says it is newer
    than batchport's data, and the country stays ``""`` (the address tells it). Vectorised: one
    regex pass and dictionary lookups per column, no parsing per row.
    """
    text = raw.astype("str").str.strip()
    if not text.str.len().any():
        missing = pd.Series(PhoneProblem.MISSING.value, index=raw.index, dtype="str")
        never = pd.Series(False, index=raw.index)
        notices = {notice.value: never for notice in PhoneNotice}
        return pd.DataFrame({"e164": text, "country": text, "problem": missing, **notices})
    digits = text.str.replace(r"[^0-9]", "", regex=True)
    plus = text.str.startswith("+")
    eleven = (digits.str.len() == 11) & digits.str.startswith("1")
    ten = digits.where(~eleven, digits.str.slice(1))
    shaped = (ten.str.len() == 10) & ~text.str.contains(r"[A-Za-z]", regex=True)
    shaped &= ~plus | eleven
    npa = ten.str.slice(0, 3)
    # N11 area codes are service codes, not areas.
    npa_ok = ten.str.match(_AREA_CODE) & (npa.str.slice(1, 3) != "11")
    candidates = npa.where(shaped & npa_ok, "")
    kind = _npa_kinds(candidates).apply(candidates, default="")
    local = kind.isin([NpaKind.US.value, NpaKind.CA.value, NpaKind.NEWER.value])
    exchange_ok = ten.str.slice(3, 4).isin(list("23456789")) & (ten.str.slice(4, 6) != "11")
    problem = _KIND_PROBLEM.apply(kind, default=PhoneProblem.UNASSIGNED.value)
    problem = problem.where(exchange_ok | ~local, PhoneProblem.INVALID.value)
    problem = problem.where(npa_ok, PhoneProblem.INVALID.value)
    problem = problem.where(shaped, PhoneProblem.MALFORMED.value)
    problem = problem.where(text != "", PhoneProblem.MISSING.value)
    usable = shaped & npa_ok & (exchange_ok | ~local)
    e164 = ("+1" + ten).where(usable, "")
    fine = usable & (problem == "")
    country = kind.where(fine & kind.isin([NpaKind.US.value, NpaKind.CA.value]), "")
    return pd.DataFrame(
        {
            "e164": e164,
            "country": country,
            "problem": problem,
            PhoneNotice.NEWER_AREA_CODE.value: fine & (kind == NpaKind.NEWER.value),
            PhoneNotice.FICTIONAL.value: fine & ten.str.match(_FICTIONAL),
        },
        index=raw.index,
    )


def country_of_regions(regions: pd.Series) -> pd.Series:
    """``"US"`` or ``"CA"`` for each two-letter state or province code, ``""`` for others."""
    country = pd.Series("", index=regions.index, dtype="str")
    country = country.where(~regions.isin(list(US_STATES)), "US")
    return country.where(~regions.isin(list(CA_PROVINCES)), "CA")


#: USPS codes of the states and the District of Columbia (the territories: ``US_TERRITORIES``).
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
}  # fmt: skip
#: Canadian province and territory codes.
CA_PROVINCES: dict[str, str] = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip
# Tokens as _region_token makes them: upper case, no accents, no "and"/"et"/"the".
_REGION_ALIASES = {
    "WASHINGTON DC": "DC", "WASHINGTON D C": "DC", "D C": "DC", "VIRGIN ISLANDS": "VI",
    "US VIRGIN ISLANDS": "VI", "U S VIRGIN ISLANDS": "VI", "USVI": "VI",
    "QUE": "QC", "PQ": "QC", "NEWFOUNDLAND": "NL", "NF": "NL", "NFLD": "NL", "LABRADOR": "NL",
    "PEI": "PE", "P E I": "PE", "YUKON TERRITORY": "YT", "YK": "YT", "NWT": "NT",
    "ONT": "ON", "ALTA": "AB", "SASK": "SK", "MAN": "MB", "CALIF": "CA", "MASS": "MA",
    "PENN": "PA", "FLA": "FL", "TEX": "TX",
    # The French names of the provinces and territories (Quebec, Ontario, ... are alike).
    "COLOMBIE BRITANNIQUE": "BC", "NOUVEAU BRUNSWICK": "NB", "NOUVELLE ECOSSE": "NS",
    "ILE DU PRINCE EDOUARD": "PE", "TERRE NEUVE LABRADOR": "NL", "TERRE NEUVE": "NL",
    "TERRITOIRES DU NORD OUEST": "NT",
}  # fmt: skip
_FILLER_WORDS = re.compile(r"\b(?:AND|ET|THE)\b")


@cache
def _region_lookup() -> dict[str, str]:
    lookup = {code: code for code in (*US_STATES, *US_TERRITORIES, *CA_PROVINCES)}
    for table in (US_STATES, US_TERRITORIES, CA_PROVINCES):
        lookup.update({_region_token(name): code for code, name in table.items()})
    lookup.update(_REGION_ALIASES)
    return lookup


def _region_token(text: str) -> str:
    # Accents go first (Québec, Île-du-Prince-Édouard), so French names match like English.
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = re.sub(r"[^A-Z]+", " ", bare.upper())
    return " ".join(_FILLER_WORDS.sub(" ", words).split())


def normalise_regions(raw: pd.Series) -> pd.Series:
    """State and province names or codes (``"new york"``, ``"Ont."``, ``"Québec"``,
    ``"Île-du-Prince-Édouard"``) to two-letter codes; a territory's name to its code (which the
    validator refuses, naming the territory).

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
    return Lookup(mapping).apply(text, default=text)


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
