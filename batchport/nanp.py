"""North American Numbering Plan facts: which area codes are US or Canadian local numbers.

The area-code table is built once, from phonenumbers' metadata, and then used as a lookup so
that whole columns are classified with vectorised operations instead of a parse per number.
"""

from __future__ import annotations

import enum
import re
from functools import cache

import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = [
    "E164_NANP",
    "NpaKind",
    "area_code_kinds",
    "country_of",
    "npa_kind",
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


def _classify_npa(npa: int) -> NpaKind:
    for exchange in _PROBE_EXCHANGES:
        number = phonenumbers.parse(f"+1{npa}{exchange}4567")
        if not phonenumbers.is_valid_number(number):
            continue
        region = phonenumbers.region_code_for_number(number)
        kind = phonenumbers.number_type(number)
        if kind == PhoneNumberType.TOLL_FREE:
            return NpaKind.TOLL_FREE
        if kind == PhoneNumberType.PREMIUM_RATE:
            return NpaKind.PREMIUM
        if kind not in _LOCAL_TYPES:
            return NpaKind.NON_GEOGRAPHIC
        if region == "US":
            return NpaKind.US
        if region == "CA":
            return NpaKind.CA
        return NpaKind.OTHER_COUNTRY
    if str(npa)[0] in "567" and str(npa)[1:] != "11":
        return NpaKind.NON_GEOGRAPHIC if npa in _SERVICE_CODES else NpaKind.UNASSIGNED
    return NpaKind.UNASSIGNED


# NANP service and personal-communication codes that metadata may leave unassigned.
_SERVICE_CODES = frozenset(
    {500, 521, 522, 523, 524, 525, 526, 527, 528, 529, 533, 544, 566, 577, 588, 600, 622, 700, 710}
)


@cache
def area_code_kinds() -> dict[str, NpaKind]:
    """Map every three-digit area code ``"200"``..``"999"`` to its ``NpaKind`` (built once)."""
    return {str(npa): _classify_npa(npa) for npa in range(200, 1000)}


@cache
def region_of_area_code(npa: str) -> str:
    """The ISO region (``"JM"``, ``"PR"``, ...) of a non-US/CA area code, or ``""``."""
    for exchange in _PROBE_EXCHANGES:
        number = phonenumbers.parse(f"+1{npa}{exchange}4567")
        if phonenumbers.is_valid_number(number):
            return phonenumbers.region_code_for_number(number) or ""
    return ""


def npa_kind(e164: str) -> NpaKind:
    """The kind of the area code of a ``+1`` E.164 number; ``UNASSIGNED`` when malformed."""
    if not E164_NANP.match(e164):
        return NpaKind.UNASSIGNED
    return area_code_kinds()[e164[2:5]]


def country_of(e164: str) -> str | None:
    """``"US"`` or ``"CA"`` for a US or Canadian local number, else ``None``."""
    kind = npa_kind(e164)
    if kind in (NpaKind.US, NpaKind.CA):
        return kind.value
    return None
