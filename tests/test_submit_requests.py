"""The request builder: every column's value lands at its place in the create-order request."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from run_inputs import planned_order

from batchport.columns import COLUMNS
from batchport.submit.requests import NUMBER_PREFIX, build_order_request, number_request

#: A row with a different value in every field, so a value sent to the wrong place shows.
FULL_ROW = {
    "phoneNumber": "+12125550143",
    "name": "Acme Dental LLC",
    "streetNum": "350",
    "streetPreDir": "N",
    "streetName": "Fifth",
    "streetType": "Ave",
    "streetPostDir": "SW",
    "locationType1": "Suite",
    "locationValue1": "2134",
    "locationType2": "Floor",
    "locationValue2": "21",
    "locationType3": "Room",
    "locationValue3": "7B",
    "city": "New York",
    "state": "NY",
    "zipCode": "10118",
    "typeOfService": "R",
    "existingPortOutPin": "8642",
    "accountNum": "ACCT-998",
    "accountPhoneNumber": "+12125550100",
    "authorizingName": "Jane Doe",
    "authorizingDate": "2026-11-20",
    "voiceType": "EST",
    "appId": "app-1",
    "trunkId": "trunk-2",
    "serviceId": "fax-3",
    "smsAppId": "sms-4",
    "e911Name": "Acme Front Desk",
    "e911StreetNum": "351",
    "e911StreetInfo": "Fifth Ave",
    "e911Location": "Lobby",
    "e911City": "Manhattan",
    "e911State": "NJ",
    "e911PostalCode": "07030",
    "e911PostalCodePlusFour": "1234",
    "orderGroup": "never-sent",
}

FULL_JSON = {
    "phoneNumber": "+12125550143",
    "endUser": {
        "name": "Acme Dental LLC",
        "streetNum": "350",
        "streetPreDir": "N",
        "streetName": "Fifth",
        "streetType": "Ave",
        "streetPostDir": "SW",
        "locationType1": "Suite",
        "locationValue1": "2134",
        "locationType2": "Floor",
        "locationValue2": "21",
        "locationType3": "Room",
        "locationValue3": "7B",
        "city": "New York",
        "state": "NY",
        "zipCode": "10118",
        "typeOfService": "R",
    },
    "portOutInfo": {
        "existingPortOutPin": "8642",
        "accountNum": "ACCT-998",
        "accountPhoneNumber": "+12125550100",
        "authorizingName": "Jane Doe",
        "authorizingDate": "2026-11-20",
    },
    "voiceConfiguration": {"type": "EST", "trunkId": "trunk-2"},
    "smsConfiguration": {"smsAppId": "sms-4"},
    "features": {
        "e911": {
            "name": "Acme Front Desk",
            "streetNum": "351",
            "streetInfo": "Fifth Ave",
            "location": "Lobby",
            "city": "Manhattan",
            "state": "NJ",
            "postalCode": "07030",
            "postalCodePlusFour": "1234",
        }
    },
}

REQUIRED_ONLY = {
    "phoneNumber": "+14165550123",
    "name": "Maple Bakery",
    "streetNum": "12",
    "streetName": "Queen",
    "city": "Toronto",
    "state": "ON",
    "zipCode": "M5H 2N2",
}


def blank_row(**values: str) -> dict[str, str]:
    return {column.key: "" for column in COLUMNS} | values


def test_every_field_lands_at_its_place() -> None:
    assert number_request(blank_row(**FULL_ROW)).to_json() == FULL_JSON


def test_blank_optional_parts_are_left_out_and_service_type_defaults_to_business() -> None:
    assert number_request(blank_row(**REQUIRED_ONLY)).to_json() == {
        "phoneNumber": "+14165550123",
        "endUser": {
            "name": "Maple Bakery",
            "streetNum": "12",
            "streetName": "Queen",
            "city": "Toronto",
            "state": "ON",
            "zipCode": "M5H 2N2",
            "typeOfService": "B",
        },
        "portOutInfo": {},
    }


@pytest.mark.parametrize(
    ("voice_type", "expected"),
    [
        ("RTC", {"type": "RTC", "appId": "app-1"}),
        ("EST", {"type": "EST", "trunkId": "trunk-2"}),
        ("FAX", {"type": "FAX", "serviceId": "fax-3"}),
    ],
)
def test_voice_configuration_carries_the_id_of_its_type(
    voice_type: str, expected: dict[str, str]
) -> None:
    ids = {"appId": "app-1", "trunkId": "trunk-2", "serviceId": "fax-3"}
    row = blank_row(**REQUIRED_ONLY, voiceType=voice_type, **ids)
    assert number_request(row).to_json()["voiceConfiguration"] == expected


def test_one_e911_field_is_enough_to_send_the_e911_address() -> None:
    row = blank_row(**REQUIRED_ONLY, e911City="Ottawa")
    assert number_request(row).to_json()["features"] == {"e911": {"city": "Ottawa"}}


def test_a_missing_or_nan_cell_is_blank() -> None:
    row: dict[str, object] = {**REQUIRED_ONLY, "streetType": float("nan"), "smsAppId": None}
    body = number_request(row).to_json()
    assert "streetType" not in body["endUser"]
    assert "smsConfiguration" not in body


def test_the_order_request_takes_the_plan_and_leaves_out_skipped_numbers() -> None:
    import pandas as pd

    rows = pd.DataFrame(
        [blank_row(**FULL_ROW), blank_row(**REQUIRED_ONLY)], index=pd.Index([7, 9], name="row")
    )
    order = planned_order(
        "ACME-1of2",
        (7, 9),
        numbers=("+12125550143", "+14165550123"),
        desired_port_date=date(2026, 12, 14),
        desired_port_time="09:00:00",
        desired_port_time_zone="US/Eastern",
        on_demand_activation=True,
        reseller_name="Maple Reseller",
    )
    body = build_order_request(order, rows, skip=("+14165550123",)).to_json()
    assert body == {
        "customerOrderReference": "ACME-1of2",
        "onDemandActivation": True,
        "desiredPortSchedule": {
            "desiredPortDate": "2026-12-14",
            "desiredPortTime": "09:00:00",
            "desiredPortTimeZone": "US/Eastern",
        },
        "phoneNumbers": [FULL_JSON],
        "resellerName": "Maple Reseller",
    }


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``$ref`` followed and its parts' properties merged (any of ``oneOf``)."""
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    merged = {"properties": dict(schema.get("properties", {})), "items": schema.get("items")}
    for part in [*schema.get("allOf", []), *schema.get("oneOf", [])]:
        merged["properties"].update(_resolve(document, part)["properties"])
    return merged


def _place_exists(document: dict[str, Any], root: dict[str, Any], place: str) -> bool:
    schema = _resolve(document, root)
    for name in place.split("."):
        if name.endswith("[]"):
            schema = _resolve(document, schema["properties"][name[:-2]])
            schema = _resolve(document, schema["items"])
            continue
        if name not in schema["properties"]:
            return False
        schema = _resolve(document, schema["properties"][name])
    return True


def test_every_column_place_is_a_field_of_the_published_request(openapi_path: Path) -> None:
    document = yaml.safe_load(openapi_path.read_text(encoding="utf-8"))
    body = document["components"]["requestBodies"]["OrderPortInRequest"]
    root = body["content"]["application/json"]["schema"]
    sent = [column for column in COLUMNS if column.api]
    missing = [c.api for c in sent if not _place_exists(document, root, c.api)]
    assert missing == []
    assert [c.key for c in COLUMNS if not c.api] == ["orderGroup"]
    assert all(c.api.startswith(NUMBER_PREFIX) or "[]" not in c.api for c in sent)


def test_voice_and_sms_need_their_required_field_and_e911_any_field() -> None:
    body = number_request(blank_row(**REQUIRED_ONLY, appId="app-1")).to_json()
    assert "voiceConfiguration" not in body  # an id without a type is not sent
    assert "features" not in number_request(blank_row(**REQUIRED_ONLY)).to_json()


def _at(body: dict[str, Any], place: str) -> object:
    value: Any = body
    for name in place.split("."):
        value = value[name]
    return value


def test_every_order_level_column_lands_at_its_place_in_the_order() -> None:
    import pandas as pd

    order = planned_order(
        "ACME-7",
        (7,),
        numbers=("+12125550143",),
        desired_port_date=date(2026, 12, 15),
        desired_port_time="10:30:00",
        desired_port_time_zone="US/Central",
        on_demand_activation=True,
        reseller_name="Maple Reseller",
    )
    rows = pd.DataFrame([blank_row(**FULL_ROW)], index=pd.Index([7], name="row"))
    body = build_order_request(order, rows).to_json()
    expected = {
        "customerOrderReference": "ACME-7",
        "desiredPortDate": "2026-12-15",
        "desiredPortTime": "10:30:00",
        "desiredPortTimeZone": "US/Central",
        "onDemandActivation": True,
        "resellerName": "Maple Reseller",
    }
    order_level = [c for c in COLUMNS if c.api and not c.api.startswith(NUMBER_PREFIX)]
    assert {c.key for c in order_level} == set(expected)
    for column in order_level:
        assert _at(body, column.api) == expected[column.key], column.key
