"""PortingClient: every operation's request shape and the parsing of its answers."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_fakes import TOKEN, api_path, base_settings, fake_client, run

from batchport.api import (
    E911,
    EndUser,
    Features,
    NumberRequest,
    NumberStatus,
    OrderRequest,
    OrderStatus,
    PortingConfiguration,
    PortOutInfo,
    SmsConfiguration,
    VoiceConfiguration,
)
from batchport.api.client import refused_numbers
from batchport.api.responses import parse_instant
from batchport.connection import open_client
from batchport.errors import ApiRejected


def sample_order(reference: str = "acme-1") -> OrderRequest:
    number = NumberRequest(
        phoneNumber="+12125550143",
        endUser=EndUser(
            name="Acme Corp",
            streetNum="12",
            streetName="Main",
            city="New York",
            state="NY",
            zipCode="10001",
            streetType="St",
            locationType1="Suite",
            locationValue1="200",
        ),
        portOutInfo=PortOutInfo(
            existingPortOutPin="8642",
            accountNum="ACCT-99812345",
            authorizingName="Jo Smith",
            authorizingDate="2026-11-20",
        ),
        voiceConfiguration=VoiceConfiguration(type="EST", trunkId="trunk-7"),
        smsConfiguration=SmsConfiguration("sms-app"),
        features=Features(E911(streetNum="12", streetInfo="Main St", city="New York", state="NY")),
    )
    return OrderRequest(
        desired_port_date=date(2026, 12, 14),
        phone_numbers=(number, NumberRequest("+14165550123", number.endUser, PortOutInfo())),
        desired_port_time="10:00:00",
        desired_port_time_zone="US/Eastern",
        customer_order_reference=reference,
    )


ORDER_JSON: dict[str, Any] = {
    "id": 897867,
    "status": "PENDING",
    "customerOrderReference": "acme-1",
    "onDemandActivation": True,
    "desiredPortSchedule": {
        "desiredPortDate": "2026-12-14",
        "desiredPortTime": "10:00:00",
        "desiredPortTimeZone": "US/Pacific",
    },
    "createdDate": "2026-11-27",
    "phoneNumbers": [
        {
            "phoneNumber": "+12125550143",
            "status": "CONFIRMED",
            "phoneNumberGroup": "GW Verizon Grp1",
            "focDate": "2026-12-14T12:00:00Z",
            "countryCode": "US",
            "portOutInfo": {"existingPortOutPin": "8642"},
        },
        {
            "phoneNumber": "+14165550123",
            "status": "REJECTED",
            "rejectReason": "Invalid port-out PIN",
            "focDate": "2026-12-15",
        },
    ],
    "notes": [{"note": "Please check the PIN", "createdBy": "Sinch"}],
    "documents": [],
    "brandNewField": {"x": 1},
}


class Recorder:
    """A handler answering from a table, remembering every request."""

    def __init__(self, answers: dict[tuple[str, str], httpx.Response]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers[(request.method, api_path(request))]

    def body(self, index: int = -1) -> Any:
        content = self.requests[index].content
        return json.loads(content) if content else None


def call(
    tmp_path: Path, answers: dict[tuple[str, str], httpx.Response], op: Any
) -> tuple[Any, Recorder]:
    recorder = Recorder(answers)

    async def go() -> Any:
        async with fake_client(recorder, base_settings(tmp_path)) as client:
            return await op(client)

    return run(go()), recorder


def test_order_request_json_has_the_published_shape() -> None:
    body = sample_order().to_json()
    assert body["desiredPortSchedule"] == {
        "desiredPortDate": "2026-12-14",
        "desiredPortTime": "10:00:00",
        "desiredPortTimeZone": "US/Eastern",
    }
    assert body["customerOrderReference"] == "acme-1"
    assert body["onDemandActivation"] is False
    assert "resellerName" not in body
    first, second = body["phoneNumbers"]
    assert first["endUser"] == {
        "name": "Acme Corp",
        "streetNum": "12",
        "streetName": "Main",
        "city": "New York",
        "state": "NY",
        "zipCode": "10001",
        "streetType": "St",
        "locationType1": "Suite",
        "locationValue1": "200",
        "typeOfService": "B",
    }
    assert first["portOutInfo"] == {
        "existingPortOutPin": "8642",
        "accountNum": "ACCT-99812345",
        "authorizingName": "Jo Smith",
        "authorizingDate": "2026-11-20",
    }
    assert first["voiceConfiguration"] == {"type": "EST", "trunkId": "trunk-7"}
    assert first["smsConfiguration"] == {"smsAppId": "sms-app"}
    assert first["features"] == {
        "e911": {"streetNum": "12", "streetInfo": "Main St", "city": "New York", "state": "NY"}
    }
    assert second == {
        "phoneNumber": "+14165550123",
        "endUser": first["endUser"],
        "portOutInfo": {},
    }


def test_voice_configuration_sends_only_the_id_of_its_type() -> None:
    assert VoiceConfiguration("RTC", appId="a", trunkId="t").to_json() == {
        "type": "RTC",
        "appId": "a",
    }
    assert VoiceConfiguration("FAX", serviceId="s").to_json() == {"type": "FAX", "serviceId": "s"}


def test_port_out_secrets_stay_out_of_repr() -> None:
    text = repr(sample_order())
    assert "8642" not in text and "ACCT-99812345" not in text


def test_check_portability(tmp_path: Path) -> None:
    answer = {
        "phoneNumbers": [
            {"phoneNumber": "+12125550143", "portable": True, "carrier": "Verizon", "reason": ""},
            {
                "phoneNumber": "+12125550144",
                "portable": False,
                "reason": "Not portable",
                "lrn": "1",
            },
        ]
    }
    results, rec = call(
        tmp_path,
        {("POST", "/portabilityChecks"): httpx.Response(200, json=answer)},
        lambda c: c.check_portability(["+12125550143", "+12125550144"]),
    )
    assert rec.body() == {"phoneNumbers": ["+12125550143", "+12125550144"]}
    assert rec.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert [(r.phone_number, r.portable, r.carrier, r.reason) for r in results] == [
        ("+12125550143", True, "Verizon", ""),
        ("+12125550144", False, "", "Not portable"),
    ]
    assert results[1].extra == {"lrn": "1"}


def test_create_order_parses_published_and_divergent_fields(tmp_path: Path) -> None:
    order, rec = call(
        tmp_path,
        {("POST", "/orders/portIns"): httpx.Response(201, json=ORDER_JSON)},
        lambda c: c.create_order(sample_order()),
    )
    assert rec.body() == sample_order().to_json()
    assert order.id == 897867
    assert order.status is OrderStatus.PENDING
    assert order.on_demand_activation is True
    assert order.desired_port_date == date(2026, 12, 14)
    assert order.created_date == date(2026, 11, 27)
    first, second = order.phone_numbers
    assert first.foc_date == date(2026, 12, 14)  # date-time form
    assert second.foc_date == date(2026, 12, 15)  # date-only form
    assert first.foc_at == datetime(2026, 12, 14, 12, tzinfo=UTC)
    assert second.foc_at is None  # a plain date names no instant
    assert order.desired_port_time_zone == "US/Pacific"
    assert first.status is NumberStatus.CONFIRMED and first.country_code == "US"
    assert second.reject_reason == "Invalid port-out PIN"
    assert order.notes[0].note == "Please check the PIN"
    assert order.extra["brandNewField"] == {"x": 1}
    assert "8642" not in repr(order)


def test_unknown_statuses_are_kept_not_fatal(tmp_path: Path) -> None:
    data = {"id": 5, "status": "PENDING_CANCELATION", "phoneNumbers": [{"status": "PORTING"}]}
    order, _ = call(
        tmp_path,
        {("GET", "/orders/portIns/5"): httpx.Response(200, json=data)},
        lambda c: c.get_order(5),
    )
    assert order.status == "PENDING_CANCELATION"
    assert isinstance(order.status, OrderStatus)
    assert order.phone_numbers[0].status == "PORTING"


def test_list_orders_sends_filters_and_paging(tmp_path: Path) -> None:
    answer = {
        "orders": [{"id": 1, "status": "COMPLETED", "phoneNumberQuantity": 3}],
        "page": 2,
        "totalPages": 4,
        "pageSize": 1,
        "totalItems": 4,
    }
    page, rec = call(
        tmp_path,
        {("GET", "/orders/portIns"): httpx.Response(200, json=answer)},
        lambda c: c.list_orders(
            page=2,
            page_size=1,
            order_status=OrderStatus.COMPLETED,
            createdDateStart=date(2026, 1, 1),
            created_date_end=date(2026, 1, 31),
            foc_start_date=datetime(2026, 2, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5))),
            foc_end_date=datetime(2026, 2, 3, 12, 0),
        ),
    )
    params = dict(rec.requests[0].url.params)
    assert params == {
        "page": "2",
        "pageSize": "1",
        "orderStatus": "COMPLETED",
        "createdDateStart": "2026-01-01T00:00:00Z",
        "createdDateEnd": "2026-01-31T23:59:59Z",
        "focStartDate": "2026-02-01T14:30:00Z",
        "focEndDate": "2026-02-03T12:00:00Z",
    }
    assert (page.page, page.total_pages, page.page_size, page.total_items) == (2, 4, 1, 4)
    assert page.orders[0].phone_numbers == () and page.orders[0].extra["phoneNumberQuantity"] == 3


def test_list_orders_refuses_an_unknown_filter(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="colour"):
        call(tmp_path, {}, lambda c: c.list_orders(colour="red"))


def test_iter_orders_walks_every_page_and_find_by_reference_is_exact(tmp_path: Path) -> None:
    pages = {
        "1": [
            {"id": 1, "customerOrderReference": "ref-1"},
            {"id": 2, "customerOrderReference": "ref-10"},
        ],
        "2": [{"id": 3, "customerOrderReference": "ref-1"}],
    }
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if api_path(request) == "/orders/portIns":
            seen.append(dict(request.url.params))
            page = request.url.params["page"]
            return httpx.Response(
                200, json={"orders": pages[page], "page": int(page), "totalPages": 2}
            )
        order_id = int(api_path(request).rsplit("/", 1)[1])
        return httpx.Response(200, json={"id": order_id, "customerOrderReference": "ref-1"})

    async def go() -> list[int]:
        async with fake_client(handler, base_settings(tmp_path)) as client:
            return [order.id for order in await client.find_orders_by_reference("ref-1")]

    assert run(go()) == [1, 3]
    assert [s["page"] for s in seen] == ["1", "2"]
    assert all(s["customerOrderReference"] == "ref-1" for s in seen)


@pytest.mark.parametrize(
    ("paging", "orders", "pages_asked"),
    [
        (lambda n, size: {"totalPages": -(-n // size), "totalItems": n}, 5, 3),
        (lambda n, size: {"totalItems": n}, 5, 3),
        (lambda n, size: {"totalItems": n}, 4, 2),
        (lambda n, size: {}, 5, 3),
        (lambda n, size: {}, 4, 3),  # the last full page is followed by an empty one
    ],
    ids=["total-pages", "total-items", "total-items-even", "no-paging", "no-paging-even"],
)
def test_iter_orders_reads_every_page_whatever_paging_fields_come_back(
    tmp_path: Path, paging: Any, orders: int, pages_asked: int
) -> None:
    size = 2
    asked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        asked.append(page)
        ids = range((page - 1) * size + 1, min(page * size, orders) + 1)
        body = {"orders": [{"id": i} for i in ids], **paging(orders, size)}
        return httpx.Response(200, json=body)

    async def go() -> list[int]:
        async with fake_client(handler, base_settings(tmp_path)) as client:
            return [order.id async for order in client.iter_orders(page_size=size)]

    assert run(go()) == list(range(1, orders + 1))
    assert asked == list(range(1, pages_asked + 1))


def test_iter_orders_stops_when_a_service_ignores_the_page_asked(tmp_path: Path) -> None:
    asked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(int(request.url.params["page"]))
        return httpx.Response(200, json={"orders": [{"id": 1}, {"id": 2}]})  # always page 1

    async def go() -> list[int]:
        async with fake_client(handler, base_settings(tmp_path)) as client:
            return [order.id async for order in client.iter_orders(page_size=2)]

    assert run(go()) == [1, 2]
    assert asked == [1, 2]


@pytest.mark.parametrize(
    "envelope",
    [
        lambda v: {"code": 422, "status": "INVALID_ARGUMENT", "message": "Invalid parameters",
                   "details": [{"type": "BadRequest", "fieldViolations": v}]},
        lambda v: {"code": "422", "error": "Invalid parameters", "details": {"fieldViolations": v}},
    ],
    ids=["schema", "prose"],
)  # fmt: skip
def test_refused_numbers_are_recognised_by_path_or_by_number_in_the_text(
    tmp_path: Path, envelope: Any
) -> None:
    violations = [
        {"field": "phoneNumbers", "description": "+14165550123 is already in order 77"},
        {"field": "phoneNumbers[0].portOutInfo.existingPortOutPin", "description": "wrong PIN"},
        {"field": "phoneNumbers[9].phoneNumber", "description": "no such entry"},
        {"field": "resellerName", "description": "Required for +1416 numbers"},
        {"field": "phoneNumbers", "description": "+141655501234 and +19995550100 are unknown"},
    ]
    refusal = httpx.Response(422, json=envelope(violations))
    numbers = [number.phoneNumber for number in sample_order().phone_numbers]

    async def go() -> ApiRejected:
        async with fake_client(lambda request: refusal, base_settings(tmp_path)) as client:
            with pytest.raises(ApiRejected) as caught:
                await client.create_order(sample_order())
        return caught.value

    refused = refused_numbers(run(go()).violations, numbers)
    assert {number: [v.description for v in found] for number, found in refused.items()} == {
        "+14165550123": ["+14165550123 is already in order 77"],
        "+12125550143": ["wrong PIN"],
    }


def test_update_cancel_and_note(tmp_path: Path) -> None:
    answers = {
        ("PUT", "/orders/portIns/7"): httpx.Response(200, json=ORDER_JSON | {"id": 7}),
        ("DELETE", "/orders/portIns/7"): httpx.Response(200),
        ("POST", "/orders/portIns/7/notes"): httpx.Response(200, json={"id": 3, "note": "hi"}),
    }

    async def op(client: Any) -> Any:
        updated = await client.update_order(7, sample_order())
        cancelled = await client.cancel_order(7)
        note = await client.add_note(7, "hi")
        return updated, cancelled, note

    (updated, cancelled, note), rec = call(tmp_path, answers, op)
    assert updated.id == 7 and cancelled is None
    assert (note.id, note.note) == (3, "hi")
    assert rec.body(0) == sample_order().to_json()
    assert rec.requests[1].content == b""
    assert rec.body(2) == {"note": "hi"}


def test_documents_upload_base64_and_download_on_the_published_path(tmp_path: Path) -> None:
    pdf = b"%PDF-1.4 letter of authorization"
    encoded = base64.b64encode(pdf).decode()
    answers = {
        ("POST", "/orders/portIns/7/documents"): httpx.Response(
            200, json={"id": 11, "documentName": "loa.pdf", "description": "LOA"}
        ),
        ("GET", "/orders/7/documents/11"): httpx.Response(
            200,
            json={
                "documentId": 11,
                "id": 11,
                "documentName": "loa.pdf",
                "description": "LOA",
                "fileContent": encoded,
                "contentType": "application/pdf",
            },
        ),
    }

    async def op(client: Any) -> Any:
        return await client.upload_document(7, "loa.pdf", pdf, "LOA"), await client.get_document(
            7, 11
        )

    (document, content), rec = call(tmp_path, answers, op)
    assert rec.body(0) == {"documentName": "loa.pdf", "description": "LOA", "fileContent": encoded}
    assert (document.id, document.document_name) == (11, "loa.pdf")
    assert content.content == pdf and content.content_type == "application/pdf"
    assert encoded not in repr(content)


@pytest.mark.parametrize(
    "answer",
    [
        [
            {
                "phoneNumberGroup": "GW Verizon Grp1",
                "focDate": "2026-12-14T00:00:00Z",
                "phoneNumbers": [{"phoneNumber": "+12125550143", "voiceConfiguration": {}}],
            }
        ],
        {
            "activationGroups": [
                {"groupId": "GW Verizon Grp1", "phoneNumbers": ["+12125550143"], "status": "READY"}
            ]
        },
    ],
    ids=["published", "activationGroups"],
)
def test_available_activations_accepts_both_shapes(tmp_path: Path, answer: Any) -> None:
    groups, _ = call(
        tmp_path,
        {("GET", "/orders/portIns/7/availableActivations"): httpx.Response(200, json=answer)},
        lambda c: c.available_activations(7),
    )
    assert [(g.phone_number_group, g.phone_numbers) for g in groups] == [
        ("GW Verizon Grp1", ("+12125550143",))
    ]


def test_activate_sends_group_names_or_no_body(tmp_path: Path) -> None:
    answer = {"phoneNumberGroups": [{"phoneNumberGroup": "GW Verizon Grp1", "status": "SUCCESS"}]}
    answers = {("POST", "/orders/portIns/7/activate"): httpx.Response(200, json=answer)}

    async def op(client: Any) -> Any:
        return await client.activate(7, ["GW Verizon Grp1"]), await client.activate(7)

    (some, whole), rec = call(tmp_path, answers, op)
    assert rec.body(0) == {"phoneNumberGroups": ["GW Verizon Grp1"]}
    assert rec.requests[1].content == b""
    assert [(a.phone_number_group, a.status) for a in some] == [("GW Verizon Grp1", "SUCCESS")]
    assert whole == some


def test_activate_accepts_the_group_id_answer(tmp_path: Path) -> None:
    answer = {"activationGroups": [{"groupId": "G1", "status": "FAILED", "why": "FOC later"}]}
    result, _ = call(
        tmp_path,
        {("POST", "/orders/portIns/7/activate"): httpx.Response(200, json=answer)},
        lambda c: c.activate(7, ["G1"]),
    )
    assert (result[0].phone_number_group, result[0].status) == ("G1", "FAILED")
    assert result[0].extra == {"why": "FOC later"}


def test_configuration_create_get_update(tmp_path: Path) -> None:
    stored = {
        "contact": {"email": "ops@example.com", "name": "Ops"},
        "webhookUrl": "https://hooks.example.com/porting",
        "defaultPortTime": "09:00:00",
        "defaultPortTimeZone": "US/Central",
        "futureFlag": True,
    }
    answers = {
        ("POST", "/configuration"): httpx.Response(200, json=stored),
        ("GET", "/configuration"): httpx.Response(200, json=stored),
        ("PUT", "/configuration"): httpx.Response(200, json=stored),
    }
    config = PortingConfiguration(
        contact_email="ops@example.com",
        contact_name="Ops",
        webhook_url="https://hooks.example.com/porting",
        default_port_time="09:00:00",
        default_port_time_zone="US/Central",
    )

    async def op(client: Any) -> Any:
        return (
            await client.create_configuration(config),
            await client.get_configuration(),
            await client.update_configuration(config),
        )

    (created, got, updated), rec = call(tmp_path, answers, op)
    assert rec.body(0) == {k: v for k, v in stored.items() if k != "futureFlag"}
    assert rec.body(2) == rec.body(0)
    assert created == got == updated == config
    assert got.extra == {"futureFlag": True}


def test_calls_counts_every_request(tmp_path: Path) -> None:
    answers = {("GET", "/configuration"): httpx.Response(200, json={})}

    async def op(client: Any) -> int:
        await client.get_configuration()
        await client.get_configuration()
        return int(client.calls)

    assert call(tmp_path, answers, op)[0] == 2


def test_document_download_falls_back_to_the_portins_path_on_404(tmp_path: Path) -> None:
    # Sinch's own guide serves the download under /portIns; this answer is off the published
    # contract, so the client runs without the trace the contract check reads.
    paths: list[str] = []
    content = base64.b64encode(b"%PDF").decode()

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(api_path(request))
        if api_path(request) == "/orders/portIns/7/documents/11":
            return httpx.Response(200, json={"id": 11, "fileContent": content})
        return httpx.Response(404)

    async def go(document_id: int) -> Any:
        settings = base_settings(tmp_path)
        async with open_client(settings, transport=httpx.MockTransport(handler)) as client:
            return await client.get_document(7, document_id)

    assert run(go(11)).content == b"%PDF"
    assert paths == ["/orders/7/documents/11", "/orders/portIns/7/documents/11"]
    with pytest.raises(ApiRejected) as missing:
        run(go(12))
    assert missing.value.status == 404 and paths[-2:] == [
        "/orders/7/documents/12",
        "/orders/portIns/7/documents/12",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-05-15T02:00:00Z", datetime(2027, 5, 15, 2, tzinfo=UTC)),
        ("2027-05-14T19:00:00-07:00", datetime(2027, 5, 15, 2, tzinfo=UTC)),
        ("2027-05-15", None),
        ("2027-05-15T02:00:00", None),  # no offset: the instant is unknown
        ("soon", None),
        (None, None),
    ],
)
def test_parse_instant_reads_only_date_times_with_an_offset(
    text: object, expected: datetime | None
) -> None:
    assert parse_instant(text) == expected
