"""Every finding code batchport's validation can produce, with its severity and its advice.

One table, so the schema, the reports and the README agree on what each code means. Messages
say what is wrong and how to fix it; ``{header}`` is replaced by the column's header.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchport.findings import Severity

__all__ = ["RULES", "Rule", "message_for"]


@dataclass(frozen=True)
class Rule:
    """The severity of a finding code and the advice shown with it."""

    severity: Severity
    message: str


E, W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    "phone_missing": Rule(E, "No phone number: fill in the number to port or delete the row."),
    "phone_malformed": Rule(E, "Not a ten-digit North American number: write it like "
                               "(212) 555-0143 or +12125550143, without extensions."),
    "phone_invalid": Rule(E, "Not a valid NANP number: the area code and exchange must start "
                             "with 2-9 and must not be N11 (211, 311, ... 911)."),
    "phone_unassigned_area_code": Rule(E, "The area code is not in service in the US or Canada "
                                          "(555 is not an area code): check the number."),
    "phone_toll_free": Rule(E, "Toll-free numbers (8XX) cannot be ported here: only US and "
                               "Canadian local numbers can; remove the row."),
    "phone_premium": Rule(E, "Premium-rate 900 numbers cannot be ported: remove the row."),
    "phone_non_geographic": Rule(E, "Non-geographic service codes (5XX, 6XX, 7XX) cannot be "
                                    "ported: only US and Canadian local numbers can."),
    "phone_other_country": Rule(E, "The area code belongs to another NANP country (e.g. the "
                                   "Caribbean): only US and Canadian numbers can be ported."),
    "duplicate_number": Rule(E, "The same number appears earlier in the file; delete this row."),
    "missing_required": Rule(E, "{header} is required: copy it from the losing carrier's bill."),
    "too_long": Rule(E, "{header} is too long: shorten it to at most {limit} characters."),
    "state_invalid": Rule(E, "{header} must be a two-letter US state or Canadian province code "
                             "(e.g. NY, ON) or its full name."),
    "state_wrong_country": Rule(E, "{header} is in the other country than the phone number's "
                                   "area code: check the number or the address."),
    "postal_code_invalid": Rule(E, "{header} must be a US ZIP (12345 or 12345-6789) or a "
                                   "Canadian postal code (A1A 1A1)."),
    "postal_code_wrong_country": Rule(E, "{header} is of the other country than the phone "
                                         "number: use a ZIP for US, A1A 1A1 for Canada."),
    "type_of_service_invalid": Rule(E, "{header} must be B (Business) or R (Residential)."),
    "port_out_credentials_missing": Rule(W, "Neither a port-out PIN nor an account number: most "
                                            "carriers reject a port without one of them."),
    "account_phone_invalid": Rule(E, "{header} is not a valid North American number."),
    "invalid_date": Rule(E, "{header} is not a date: write it as YYYY-MM-DD."),
    "authorizing_date_future": Rule(E, "{header} is in the future: use the date the "
                                       "authorisation was signed (today or earlier)."),
    "port_date_past": Rule(E, "{header} is in the past: choose today or a later date, or leave "
                              "it blank to let batchport pick one."),
    "port_date_weekend": Rule(W, "{header} falls on a weekend: carriers rarely port then, "
                                 "consider a weekday."),
    "invalid_time": Rule(E, "{header} is not a time: write it as HH:MM:SS, e.g. 09:00:00."),
    "invalid_time_zone": Rule(E, "{header} must be US/Eastern, US/Central, US/Mountain, "
                                 "US/Pacific or GMT."),
    "invalid_boolean": Rule(E, "{header} must be Yes or No."),
    "forbidden_characters": Rule(E, "{header} contains a character the API refuses "
                                    "(< > [ ] { } = ! ^ ~ \\ ` or # in an E911 street)."),
    "reseller_required": Rule(E, "{header} is required for Canadian numbers: name the reseller "
                                 "(losing carrier)."),
    "voice_type_invalid": Rule(E, "{header} must be RTC, EST or FAX (or blank)."),
    "voice_id_missing": Rule(E, "{header} is needed for the chosen voice type (RTC needs an App "
                                "ID, EST a SIP Trunk ID, FAX a Fax Service ID)."),
    "voice_type_missing": Rule(E, "A voice id is given but no {header}: set RTC, EST or FAX."),
    "e911_incomplete": Rule(E, "{header} is needed once any E911 field is filled in."),
    "account_details_differ": Rule(W, "Rows with the same account number have different end-user "
                                      "details; the losing carrier holds one record per account."),
    "order_group_schedule_conflict": Rule(E, "Rows of one order group must share one desired "
                                             "port date, time, time zone and activation."),
    "phone_stored_as_number": Rule(W, "Excel stored this phone number as a number; format the "
                                      "column as Text."),
    "stored_as_number": Rule(W, "Excel stored this as a number, so leading zeros may be lost; "
                                "format the column as Text and retype it."),
    "zip_leading_zeros_restored": Rule(W, "The ZIP code had lost its leading zeros; they were "
                                          "put back."),
    "excel_date_converted": Rule(W, "Read an Excel date value as an ISO date (YYYY-MM-DD)."),
    "excel_time_converted": Rule(W, "Read an Excel time value as HH:MM:SS."),
    "whitespace_cleaned": Rule(W, "Removed stray or non-breaking spaces from this cell."),
    "phone_reformatted": Rule(W, "Phone number rewritten in E.164 form (+1 and ten digits)."),
    "state_normalised": Rule(W, "State or province written as its two-letter code."),
    "postal_code_normalised": Rule(W, "Postal code rewritten in its standard form."),
    "type_of_service_normalised": Rule(W, "Type of service written as B (Business) or R "
                                          "(Residential)."),
    "time_zone_normalised": Rule(W, "Time zone written as the API's name for it."),
    "voice_type_normalised": Rule(W, "Voice type written as RTC, EST or FAX."),
    "date_normalised": Rule(W, "Date rewritten as YYYY-MM-DD; check it is the date you meant."),
    "time_normalised": Rule(W, "Time rewritten as HH:MM:SS (24-hour)."),
}  # fmt: skip


def message_for(code: str, header: str, limit: int = 0) -> str:
    """The advice for ``code`` with ``{header}`` (and ``{limit}``, a length) filled in.

    Raises ``KeyError`` for an unknown code.
    """
    return RULES[code].message.replace("{header}", header).replace("{limit}", str(limit))
