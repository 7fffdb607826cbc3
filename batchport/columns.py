"""Every input column, described once: the template, reader, schema and reports all read it here.

Each ``Column`` has a canonical key (the Porting API field name, or a batchport name for fields that
are nested or local), a friendly header for the template, its place in the API's create-order
request (``api``, the one place a field's API name is written: the request builder is generated
from it), the header aliases people really write, whether it is required, a maximum length and a
short description with an example.

Headers are matched case- and punctuation-insensitively: ``"Phone #"``, ``"phone"`` and
``"PHONE-NUMBER"`` all reduce to the same comparison key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

__all__ = [
    "COLUMNS",
    "END_USER_KEYS",
    "RESULT_COLUMNS",
    "SCHEDULE_KEYS",
    "SECRET_KEYS",
    "Column",
    "column",
    "header_key",
    "looks_secret",
    "match_header",
]


@dataclass(frozen=True)
class Column:
    """One input column: what it is called, how long it may be and what goes in it."""

    key: str
    header: str
    #: The field's place in a create-order request, as a dotted path; ``phoneNumbers[].``
    #: starts a field of each number. Blank for batchport's own fields, which are never sent.
    api: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    max_length: int = 0
    description: str = ""
    example: str = ""
    secret: bool = False


def _c(key: str, header: str, api: str, aliases: str = "", **kw: object) -> Column:
    names = tuple(a.strip() for a in aliases.split("|") if a.strip())
    return Column(key, header, api, names, **kw)  # type: ignore[arg-type]


# Maximum lengths: the API publishes none, so these are batchport's own conservative limits
# (long enough for real addresses, short enough to catch a paste into the wrong column).
COLUMNS: tuple[Column, ...] = (
    _c("phoneNumber", "Phone Number", "phoneNumbers[].phoneNumber",
       "TN|Telephone Number|Telephone|Phone|Phone #|Phone No|Number|DID|Number to Port"
       "|Ported Number|Telephone Numbers|Phone Numbers|TNs|Numbers to Port|Number to be Ported"
       "|DID Number|Wireless Number|Mobile Number|Cell Number|Working Telephone Number|WTN",
       required=True, max_length=20, description="The number to port, any common format.",
       example="(212) 555-0143"),
    _c("name", "End User Name", "phoneNumbers[].endUser.name",
       "Name|Customer Name|Subscriber Name|Business Name|Company|End User|Account Name"
       "|Company Name|Name on Account|Name on Bill|Billing Name|Legal Name|Organization"
       "|Organisation",
       required=True, max_length=100,
       description="Person or business as the losing carrier has it on file.",
       example="Acme Dental LLC"),
    _c("streetNum", "Street Number", "phoneNumbers[].endUser.streetNum",
       "House Number|Street No|Street #|House #|Number on Street|House No|Building Number"
       "|Civic Number|Address Number",
       required=True, max_length=20, description="House or building number.", example="350"),
    _c("streetPreDir", "Street Pre-Direction", "phoneNumbers[].endUser.streetPreDir",
       "Pre Dir|Prefix Direction|Street Prefix|Pre-Directional|Predirectional",
       max_length=2, description="Direction before the street name.", example="N"),
    _c("streetName", "Street Name", "phoneNumbers[].endUser.streetName",
       "Street|Address|Street Address|Address 1|Address Line 1",
       required=True, max_length=60, description="Street name without the number.",
       example="Fifth"),
    _c("streetType", "Street Type", "phoneNumbers[].endUser.streetType",
       "Street Suffix|Suffix", max_length=20,
       description="Avenue, Road, Court…", example="Ave"),
    _c("streetPostDir", "Street Post-Direction", "phoneNumbers[].endUser.streetPostDir",
       "Post Dir|Postfix Direction|Post-Directional|Postdirectional", max_length=2,
       description="Direction after the street name.", example="SW"),
    _c("locationType1", "Location Type 1", "phoneNumbers[].endUser.locationType1",
       "Unit Type|Suite Type|Location Type", max_length=20,
       description="Suite, Floor, Apt…", example="Suite"),
    _c("locationValue1", "Location Value 1", "phoneNumbers[].endUser.locationValue1",
       "Unit|Suite|Apt|Location Value|Unit Number|Suite Number|Apartment|Apt Number",
       max_length=20, description="The suite, floor or apartment number.", example="2134"),
    _c("locationType2", "Location Type 2", "phoneNumbers[].endUser.locationType2",
       "", max_length=20,
       description="A second location type.", example="Floor"),
    _c("locationValue2", "Location Value 2", "phoneNumbers[].endUser.locationValue2",
       "", max_length=20,
       description="A second location value.", example="3"),
    _c("locationType3", "Location Type 3", "phoneNumbers[].endUser.locationType3",
       "", max_length=20,
       description="A third location type.", example=""),
    _c("locationValue3", "Location Value 3", "phoneNumbers[].endUser.locationValue3",
       "", max_length=20,
       description="A third location value.", example=""),
    _c("city", "City", "phoneNumbers[].endUser.city",
       "Town|Municipality|Locality", required=True, max_length=50,
       description="City of the service address.", example="New York"),
    _c("state", "State/Province", "phoneNumbers[].endUser.state",
       "State|Province|ST|Prov|State Code|Region",
       required=True, max_length=30,
       description="Two-letter USPS state or Canadian province code, or its name.",
       example="NY"),
    _c("zipCode", "ZIP/Postal Code", "phoneNumbers[].endUser.zipCode",
       "Zip|Zip Code|Postal Code|Postcode|Postal",
       required=True, max_length=10,
       description="US ZIP (12345 or 12345-6789) or Canadian postal code (A1A 1A1).",
       example="10118"),
    _c("typeOfService", "Type of Service", "phoneNumbers[].endUser.typeOfService",
       "Service Type|Service|Business or Residential|Type",
       max_length=12, description="B (Business) or R (Residential); blank means B.",
       example="B"),
    _c("existingPortOutPin", "Port-Out PIN", "phoneNumbers[].portOutInfo.existingPortOutPin",
       "PIN|Port Out PIN|Passcode|Account PIN|Transfer PIN|Port Out Passcode|Number Transfer PIN"
       "|PIN Code|Carrier PIN|Port PIN|Account Passcode|Security PIN",
       max_length=20, description="PIN the losing carrier issued for port-outs.",
       example="1234", secret=True),
    _c("accountNum", "Account Number", "phoneNumbers[].portOutInfo.accountNum",
       "Account #|Account|Acct|Acct #|Account No|BAN|Billing Account Number|Acct Number|Acct No"
       "|Carrier Account Number|Customer Account Number",
       max_length=40, description="Account number with the losing carrier.",
       example="8001234567", secret=True),
    _c("accountPhoneNumber", "Account Phone Number",
       "phoneNumbers[].portOutInfo.accountPhoneNumber",
       "BTN|Billing Telephone Number|Billing Number|Main Number|ATN|Billing Phone"
       "|Billing Phone Number|Main Billing Number|Account Telephone Number",
       max_length=20, description="Main (billing) number on the account.",
       example="212-555-0100"),
    _c("authorizingName", "Authorizing Name", "phoneNumbers[].portOutInfo.authorizingName",
       "Authorized By|Authorizer|Authorized Name|Authorized Signer|Authorizing Signer|Signer"
       "|Signer Name|Signed By|LOA Signer",
       max_length=100, description="Person who signed the letter of authorisation.",
       example="Jane Doe"),
    _c("authorizingDate", "Authorizing Date", "phoneNumbers[].portOutInfo.authorizingDate",
       "Authorization Date|LOA Date|Date Authorized|Date Signed|Signature Date|Signed Date",
       max_length=20, description="Date of the authorisation, today or earlier.",
       example="2026-11-20"),
    _c("desiredPortDate", "Desired Port Date", "desiredPortSchedule.desiredPortDate",
       "Port Date|Due Date|FOC Date|Requested Date|Requested Port Date|Desired Due Date"
       "|Requested Due Date|Port In Date|Desired Date|DDD",
       max_length=20, description="Date to port, today or later; blank lets batchport choose.",
       example=""),
    _c("desiredPortTime", "Desired Port Time", "desiredPortSchedule.desiredPortTime",
       "Port Time|Time", max_length=12,
       description="Time of day to port (HH:MM:SS); blank uses the project default.",
       example="09:00:00"),
    _c("desiredPortTimeZone", "Desired Port Time Zone", "desiredPortSchedule.desiredPortTimeZone",
       "Time Zone|TZ|Timezone|Zone",
       max_length=40, description="US/Eastern, US/Central, US/Mountain, US/Pacific or GMT.",
       example="US/Eastern"),
    _c("onDemandActivation", "On-Demand Activation", "onDemandActivation",
       "On Demand|Activate on Demand|On-Demand",
       max_length=8, description="Yes to activate by command instead of on the port date.",
       example="No"),
    _c("customerOrderReference", "Customer Order Reference", "customerOrderReference",
       "Order Reference|Customer Reference|PO|PO Number|Reference|Ticket",
       max_length=100, description="Your own reference; no < > [ ] { } = ! ^ ~ \\ `.",
       example="ACME-2026-11"),
    _c("resellerName", "Reseller Name", "resellerName",
       "Reseller|Losing Carrier|Current Carrier|Carrier|Current Provider"
       "|Current Service Provider|Losing Provider|Old Carrier|Existing Carrier",
       max_length=60, description="Required for Canadian numbers: the losing reseller.",
       example=""),
    _c("voiceType", "Voice Type", "phoneNumbers[].voiceConfiguration.type",
       "Voice|Voice Configuration|Voice Service", max_length=30,
       description="RTC (Voice API app), EST (SIP trunk) or FAX; blank for none.",
       example="EST"),
    _c("appId", "Voice App ID", "phoneNumbers[].voiceConfiguration.appId",
       "App ID|Application ID|RTC App", max_length=64,
       description="Voice API application id, for voice type RTC.", example=""),
    _c("trunkId", "SIP Trunk ID", "phoneNumbers[].voiceConfiguration.trunkId",
       "Trunk ID|Trunk|EST Trunk", max_length=64,
       description="Elastic SIP Trunking trunk id, for voice type EST.",
       example="01G65Z755AFWAKHE12NY0CQ9FH"),
    _c("serviceId", "Fax Service ID", "phoneNumbers[].voiceConfiguration.serviceId",
       "Service ID|Fax Service|Fax ID", max_length=64,
       description="Fax service id, for voice type FAX.", example=""),
    _c("smsAppId", "SMS App ID", "phoneNumbers[].smsConfiguration.smsAppId",
       "SMS App|SMS Application ID|Messaging App ID", max_length=64,
       description="SMS application to attach the number to.", example=""),
    _c("e911Name", "E911 Name", "phoneNumbers[].features.e911.name",
       "911 Name|Emergency Name", max_length=100,
       description="Name for the emergency (E911) address.", example=""),
    _c("e911StreetNum", "E911 Street Number", "phoneNumbers[].features.e911.streetNum",
       "911 Street Number|Emergency Street Number",
       max_length=20, description="E911 house or building number.", example=""),
    _c("e911StreetInfo", "E911 Street", "phoneNumbers[].features.e911.streetInfo",
       "911 Street|E911 Street Info|Emergency Street",
       max_length=60, description="E911 street name and type, without '#'.", example=""),
    _c("e911Location", "E911 Location", "phoneNumbers[].features.e911.location",
       "911 Location|Emergency Location", max_length=60,
       description="E911 suite, floor or apartment.", example=""),
    _c("e911City", "E911 City", "phoneNumbers[].features.e911.city",
       "911 City|Emergency City", max_length=50,
       description="E911 city.", example=""),
    _c("e911State", "E911 State/Province", "phoneNumbers[].features.e911.state",
       "911 State|E911 State|Emergency State",
       max_length=30, description="E911 state or province code.", example=""),
    _c("e911PostalCode", "E911 ZIP/Postal Code", "phoneNumbers[].features.e911.postalCode",
       "911 Zip|E911 Zip|E911 Postal Code",
       max_length=10, description="E911 ZIP or postal code.", example=""),
    _c("e911PostalCodePlusFour", "E911 ZIP+4", "phoneNumbers[].features.e911.postalCodePlusFour",
       "911 Zip4|E911 Plus Four|E911 Zip Plus Four",
       max_length=4, description="The four extra ZIP digits for the E911 address.",
       example=""),
    _c("orderGroup", "Order Group", "",
       "Group|Batch|Order Batch|Port Group", max_length=40,
       description="Free label: rows with different groups never share an order.",
       example=""),
)  # fmt: skip

#: End-user address fields compared across rows that share an account number.
END_USER_KEYS = ("name", "streetNum", "streetName", "city", "state", "zipCode")
#: Fields that make up a desired port schedule.
SCHEDULE_KEYS = ("desiredPortDate", "desiredPortTime", "desiredPortTimeZone", "onDemandActivation")
#: Canonical keys whose values are secrets (masked in every output).
SECRET_KEYS = frozenset(c.key for c in COLUMNS if c.secret)

#: The leading columns of the result workbook's ``Rows`` sheet, in order (the fields of
#: ``batchport.report.outcomes.RowOutcome`` take their headers from here). A result workbook is
#: read back as input (``batchport resubmit``): the reader sets these columns aside instead of
#: taking them for input columns ("Carrier" would otherwise read as the reseller name), and no
#: check reports them as unused.
RESULT_COLUMNS: tuple[str, ...] = (
    "Source row",
    "Outcome",
    "E.164",
    "Country",
    "Carrier",
    "Order reference",
    "Order ID",
    "Number status",
    "FOC date",
    "Message",
)

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(text: str) -> str:
    """Reduce a header to its comparison key: lower case, letters and digits only.

    ``"#"`` becomes ``"number"`` first, so ``"Phone #"`` and ``"Phone Number"`` compare equal.
    """
    return _NOT_ALNUM.sub("", str(text).lower().replace("#", "number"))


@cache
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for col in COLUMNS:
        for name in (col.key, col.header, *col.aliases):
            index.setdefault(header_key(name), col.key)
    return index


_PARENTHESIS = re.compile(r"\(([^)]*)\)")
_ALTERNATIVES = re.compile(r"\s/\s|/|\bor\b", re.IGNORECASE)


def match_header(text: str) -> str | None:
    """The canonical key a header names, or ``None`` when batchport does not know it.

    A header is tried whole first. Port forms also qualify or pair their headers:
    ``Billing Telephone Number (BTN)`` is tried without its parenthesis (a qualifier never
    decides the match on its own: ``Notes (PIN)`` is not a PIN column), and ``PIN / Passcode``
    or ``City or Town`` as each of its alternatives. Alternatives must agree: ``Account / PIN``
    names two fields, so it names none.
    """
    index = _alias_index()
    text = str(text)
    for candidate in (text, _PARENTHESIS.sub(" ", text)):
        key = index.get(header_key(candidate))
        if key is not None:
            return key
    parts = [header_key(part) for part in _ALTERNATIVES.split(_PARENTHESIS.sub(" ", text))]
    keys = {index.get(part) for part in parts if part}
    if len(parts) > 1 and len(keys) == 1:
        return keys.pop()
    return None


#: Words in a header that mark its column as a secret, even when batchport does not use it.
_SECRET_WORDS = re.compile(
    r"\b(?:pins?|passcodes?|pass ?words?|pass ?phrases?|pwd|account|accounts|acct|acc|ban"
    r"|security (?:code|question|answer))\b|pin ?#",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def looks_secret(header: str) -> bool:
    """True when a column's header says PIN, passcode, password or account, in any spelling.

    ``PortOutPin``, ``Acct #`` and ``security code`` count. Such a column is masked in every
    workbook although it may never be sent: a customer's file may carry port-out credentials
    under a header batchport does not recognise, or twice.
    """
    words = _CAMEL.sub(" ", str(header)).replace("_", " ").replace("-", " ")
    return _SECRET_WORDS.search(words) is not None


@cache
def _by_key() -> dict[str, Column]:
    return {c.key: c for c in COLUMNS}


def column(key: str) -> Column:
    """The ``Column`` with canonical key ``key``; raises ``KeyError`` for an unknown key."""
    return _by_key()[key]
