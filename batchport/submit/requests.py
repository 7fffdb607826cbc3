"""Turn a planned order and its normalised rows into the API's ``OrderRequest``.

Pure: no I/O. The rows are the ``Validation.rows`` frame (index = spreadsheet row, canonical
column keys, blanks as ``""``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import cast

import pandas as pd

from batchport.api.requests import (
    E911,
    EndUser,
    NumberRequest,
    OrderRequest,
    PortOutInfo,
    VoiceConfiguration,
    VoiceType,
)
from batchport.planner import PlannedOrder

__all__ = ["build_order_request", "number_request"]

_E911_FIELDS = {
    "name": "e911Name",
    "street_num": "e911StreetNum",
    "street_info": "e911StreetInfo",
    "location": "e911Location",
    "city": "e911City",
    "state": "e911State",
    "postal_code": "e911PostalCode",
    "postal_code_plus_four": "e911PostalCodePlusFour",
}
_END_USER_FIELDS = {
    "name": "name",
    "street_num": "streetNum",
    "street_name": "streetName",
    "city": "city",
    "state": "state",
    "zip_code": "zipCode",
    "street_pre_dir": "streetPreDir",
    "street_type": "streetType",
    "street_post_dir": "streetPostDir",
    "location_type1": "locationType1",
    "location_value1": "locationValue1",
    "location_type2": "locationType2",
    "location_value2": "locationValue2",
    "location_type3": "locationType3",
    "location_value3": "locationValue3",
}


def build_order_request(
    order: PlannedOrder, rows: pd.DataFrame, *, skip: Sequence[str] = ()
) -> OrderRequest:
    """The create request for ``order``, leaving out the E.164 numbers in ``skip``.

    ``rows`` must hold every row of the order (index = spreadsheet row). Raises ``KeyError``
    when a row of the order is missing from ``rows``.
    """
    skipped = set(skip)
    picked = rows.loc[list(order.rows)]
    columns = [str(name) for name in picked.columns]
    records = [
        dict(zip(columns, values, strict=True))
        for values in zip(*(picked[name].tolist() for name in columns), strict=True)
    ]
    numbers = tuple(
        number_request(record) for record in records if str(record["phoneNumber"]) not in skipped
    )
    return OrderRequest(
        desired_port_date=order.desired_port_date,
        phone_numbers=numbers,
        desired_port_time=order.desired_port_time or None,
        desired_port_time_zone=order.desired_port_time_zone or None,
        customer_order_reference=order.reference,
        on_demand_activation=order.on_demand_activation,
        reseller_name=order.reseller_name,
    )


def number_request(record: Mapping[str, object]) -> NumberRequest:
    """One number's request from one normalised row (canonical keys → values)."""

    def text(key: str) -> str:
        value = record.get(key, "")
        return "" if value is None or value != value else str(value)  # NaN guard

    end_user = EndUser(
        **{field: text(key) for field, key in _END_USER_FIELDS.items()},
        type_of_service=text("typeOfService") or "B",
    )
    port_out = PortOutInfo(
        existing_port_out_pin=text("existingPortOutPin"),
        account_num=text("accountNum"),
        account_phone_number=text("accountPhoneNumber"),
        authorizing_name=text("authorizingName"),
        authorizing_date=_date_or_none(text("authorizingDate")),
    )
    voice_type = text("voiceType")
    voice = (
        VoiceConfiguration(
            type=cast(VoiceType, voice_type),
            app_id=text("appId"),
            trunk_id=text("trunkId"),
            service_id=text("serviceId"),
        )
        if voice_type
        else None
    )
    e911_values = {field: text(key) for field, key in _E911_FIELDS.items()}
    e911 = E911(**e911_values) if any(e911_values.values()) else None
    return NumberRequest(
        phone_number=text("phoneNumber"),
        end_user=end_user,
        port_out=port_out,
        voice=voice,
        sms_app_id=text("smsAppId"),
        e911=e911,
    )


def _date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
