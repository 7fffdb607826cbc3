"""The sandbox's operations, one by one: portability, orders, notes, documents, configuration."""

from __future__ import annotations

import base64

import pytest
from sandbox_harness import API, HOOK_URL, harness, order_body, portable

pytestmark = pytest.mark.anyio


async def test_portability_check_names_carrier_and_refuses_toll_free() -> None:
    numbers = [*portable(2), "+14165550123", "+18005550100"]
    async with harness() as h:
        reply = await h.call("POST", f"{API}/portabilityChecks", json={"phoneNumbers": numbers})
        again = await h.call("POST", f"{API}/portabilityChecks", json={"phoneNumbers": numbers})
    assert reply.status_code == 200
    answers = reply.json()["phoneNumbers"]
    assert [a["phoneNumber"] for a in answers] == numbers
    assert all(a["portable"] and a["carrier"] for a in answers[:3])
    assert answers[3]["portable"] is False and "US and Canadian" in answers[3]["reason"]
    assert again.json() == reply.json()


async def test_portability_check_answers_an_invalid_exchange_number_by_number() -> None:
    # The document's own example request: area code 231 is real, exchange 123 is not.
    example = {"phoneNumbers": ["+12311234567"]}
    numbers = [portable(1)[0], "+12311234567", "+11125550100"]
    async with harness() as h:
        published = await h.call("POST", f"{API}/portabilityChecks", json=example)
        mixed = await h.call("POST", f"{API}/portabilityChecks", json={"phoneNumbers": numbers})
    assert published.status_code == 200 and mixed.status_code == 200
    (answer,) = published.json()["phoneNumbers"]
    assert answer["phoneNumber"] == "+12311234567" and answer["portable"] is False
    assert "exchange" in answer["reason"]
    first, exchange, area = mixed.json()["phoneNumbers"]
    assert first["portable"] is True and first["carrier"]
    assert (exchange["portable"], area["portable"]) == (False, False)
    assert "exchange" in exchange["reason"] and "area code" in area["reason"]


async def test_create_returns_201_with_pending_numbers_grouped_by_carrier() -> None:
    numbers = portable(6)
    async with harness() as h:
        order = await h.create(order_body(numbers))
    assert order["status"] == "PENDING"
    assert order["createdDate"] == "2026-03-02"
    assert isinstance(order["id"], int)
    assert [e["phoneNumber"] for e in order["phoneNumbers"]] == numbers
    assert {e["status"] for e in order["phoneNumbers"]} == {"PENDING"}
    assert {e["countryCode"] for e in order["phoneNumbers"]} == {"US"}
    assert all(e["phoneNumberGroup"].startswith("GW ") for e in order["phoneNumbers"])


async def test_get_returns_the_created_order_and_404_for_unknown() -> None:
    async with harness() as h:
        order = await h.create(order_body(portable(2)))
        fetched = await h.order(order["id"])
        missing = await h.call("GET", f"{API}/orders/portIns/123")
        not_a_number = await h.call("GET", f"{API}/orders/portIns/abc")
    assert fetched == order
    assert missing.status_code == 404 and missing.json()["status"] == "NOT_FOUND"
    assert not_a_number.status_code == 404


async def test_put_replaces_a_pending_order_whole() -> None:
    first, second = portable(2)
    async with harness() as h:
        order = await h.create(order_body([first]))
        body = order_body([second], customerOrderReference="renamed", onDemandActivation=True)
        reply = await h.call("PUT", f"{API}/orders/portIns/{order['id']}", json=body)
        freed = await h.create(order_body([first], customerOrderReference="reuse"))
    assert reply.status_code == 200
    updated = reply.json()
    assert updated["id"] == order["id"]
    assert updated["customerOrderReference"] == "renamed" and updated["onDemandActivation"]
    assert [e["phoneNumber"] for e in updated["phoneNumbers"]] == [second]
    assert freed["phoneNumbers"][0]["phoneNumber"] == first


async def test_delete_cancels_a_pending_order_and_frees_its_numbers() -> None:
    numbers = portable(2)
    async with harness() as h:
        order = await h.create(order_body(numbers))
        reply = await h.call("DELETE", f"{API}/orders/portIns/{order['id']}")
        again = await h.call("DELETE", f"{API}/orders/portIns/{order['id']}")
        update = await h.call(
            "PUT", f"{API}/orders/portIns/{order['id']}", json=order_body(numbers)
        )
        stored = await h.order(order["id"])
        await h.create(order_body(numbers))
    assert reply.status_code == 200 and reply.json()["status"] == "CANCELED"
    assert {e["status"] for e in stored["phoneNumbers"]} == {"CANCELED"}
    for refused in (again, update):
        assert refused.status_code == 422
        assert refused.json()["details"][0]["fieldViolations"][0]["field"] == "status"


async def test_note_is_added_and_listed_on_the_order() -> None:
    async with harness() as h:
        order = await h.create(order_body(portable(1)))
        reply = await h.call(
            "POST", f"{API}/orders/portIns/{order['id']}/notes", json={"note": "PIN resent"}
        )
        second = await h.call(
            "POST", f"{API}/orders/portIns/{order['id']}/notes", json={"note": "Call back"}
        )
        empty = await h.call("POST", f"{API}/orders/portIns/{order['id']}/notes", json={})
        stored = await h.order(order["id"])
    assert reply.status_code == 200 and reply.json()["note"] == "PIN resent"
    assert second.json()["id"] == reply.json()["id"] + 1
    assert empty.status_code == 400
    assert [n["note"] for n in stored["notes"]] == ["PIN resent", "Call back"]
    assert stored["notes"][0]["createdBy"] == "sandbox"


async def test_document_upload_and_download_on_the_published_path() -> None:
    pdf = b"%PDF-1.7\nletter of authorization\n"
    content = base64.b64encode(pdf).decode()
    doc = {"documentName": "loa.pdf", "description": "LOA", "fileContent": content}
    async with harness() as h:
        order = await h.create(order_body(portable(1)))
        reply = await h.call("POST", f"{API}/orders/portIns/{order['id']}/documents", json=doc)
        doc_id = reply.json()["id"]
        fetched = await h.call("GET", f"{API}/orders/{order['id']}/documents/{doc_id}")
        stored = await h.order(order["id"])
        wrong_order = await h.create(order_body(portable(1, start=3000)))
        elsewhere = await h.call("GET", f"{API}/orders/{wrong_order['id']}/documents/{doc_id}")
        bad = await h.call(
            "POST",
            f"{API}/orders/portIns/{order['id']}/documents",
            json={**doc, "fileContent": "not base64!"},
        )
    assert reply.status_code == 200
    assert reply.json() == {"id": doc_id, "documentName": "loa.pdf", "description": "LOA"}
    body = fetched.json()
    assert body["documentId"] == doc_id and body["contentType"] == "application/pdf"
    assert base64.b64decode(body["fileContent"]) == pdf
    assert stored["documents"] == [reply.json()]
    assert stored["loaUploadedBy"] == "sandbox" and stored["loaAttachmentDate"].endswith("Z")
    assert elsewhere.status_code == 404
    assert bad.status_code == 422
    assert bad.json()["details"][0]["fieldViolations"][0]["field"] == "fileContent"


async def test_configuration_post_get_put_and_defaults_on_orders() -> None:
    config = {
        "contact": {"email": "ops@example.com", "name": "Ops", "phone": "+12125550100"},
        "webhookUrl": HOOK_URL,
        "defaultPortTime": "07:30:00",
        "defaultPortTimeZone": "US/Pacific",
    }
    async with harness() as h:
        before = await h.call("GET", f"{API}/configuration")
        put_before = await h.call("PUT", f"{API}/configuration", json=config)
        created = await h.call("POST", f"{API}/configuration", json=config)
        fetched = await h.call("GET", f"{API}/configuration")
        changed = await h.call("PUT", f"{API}/configuration", json={**config, "webhookUrl": ""})
        body = order_body(portable(1))
        body["desiredPortSchedule"] = {"desiredPortDate": "2026-03-09"}
        order = await h.create(body)
        other = await h.call("GET", "/v1/projects/proj-b/configuration")
    assert before.status_code == 404 and put_before.status_code == 404
    assert created.status_code == 200 and created.json() == config
    assert fetched.json() == config
    assert changed.status_code == 200 and changed.json()["webhookUrl"] == ""
    schedule = order["desiredPortSchedule"]
    assert (schedule["desiredPortTime"], schedule["desiredPortTimeZone"]) == (
        "07:30:00",
        "US/Pacific",
    )
    assert other.status_code == 404


async def test_list_pages_and_counts() -> None:
    async with harness() as h:
        ids = [
            (
                await h.create(
                    order_body(portable(2, start=1000 + 10 * i), customerOrderReference=f"r{i}")
                )
            )["id"]
            for i in range(5)
        ]
        page2 = await h.call("GET", f"{API}/orders/portIns", params={"pageSize": 2, "page": "2"})
        default = await h.call("GET", f"{API}/orders/portIns")
        beyond = await h.call("GET", f"{API}/orders/portIns", params={"pageSize": 2, "page": "9"})
        too_big = await h.call("GET", f"{API}/orders/portIns", params={"pageSize": 1001})
    body = page2.json()
    assert [o["id"] for o in body["orders"]] == ids[2:4]
    assert (body["page"], body["pageSize"], body["totalItems"], body["totalPages"]) == (2, 2, 5, 3)
    assert body["orders"][0]["phoneNumberQuantity"] == 2
    assert default.json()["pageSize"] == 100 and len(default.json()["orders"]) == 5
    assert beyond.json()["orders"] == [] and beyond.json()["totalItems"] == 5
    assert too_big.status_code == 422
    assert too_big.json()["details"][0]["fieldViolations"][0]["field"] == "pageSize"


async def test_list_filters() -> None:
    numbers = portable(4)
    async with harness() as h:
        first = await h.create(order_body(numbers[:2], customerOrderReference="alpha"))
        second = await h.create(order_body(numbers[2:], customerOrderReference="beta"))
        await h.call("DELETE", f"{API}/orders/portIns/{second['id']}")
        await h.advance(1)  # the losing carriers answer: FOC dates are known from now on

        async def ids(**params: object) -> list[int]:
            reply = await h.call("GET", f"{API}/orders/portIns", params=params)
            assert reply.status_code == 200, reply.text
            return [o["id"] for o in reply.json()["orders"]]

        assert await ids(orderId=first["id"]) == [first["id"]]
        assert await ids(orderStatus="CANCELED") == [second["id"]]
        assert await ids(customerOrderReference="alpha") == [first["id"]]
        assert await ids(phoneNumber=numbers[3]) == [second["id"]]
        assert await ids(createdDateStart="2026-03-02T00:00:00Z") == [first["id"], second["id"]]
        assert await ids(createdDateEnd="2026-03-01T23:59:59Z") == []
        # 20:00 in New York on 1 March is already 2 March in UTC, the sandbox's day.
        late = "2026-03-01T20:00:00-05:00"
        assert await ids(createdDateEnd=late) == [first["id"], second["id"]]
        assert await ids(
            focStartDate="2026-03-09T00:00:00Z", focEndDate="2026-03-11T00:00:00Z"
        ) == [first["id"]]
        assert await ids(focStartDate="2026-04-01T00:00:00Z") == []
        bad = await h.call("GET", f"{API}/orders/portIns", params={"orderStatus": "DONE"})
        bad_date = await h.call("GET", f"{API}/orders/portIns", params={"focEndDate": "soon"})
        bad_id = await h.call("GET", f"{API}/orders/portIns", params={"orderId": "first"})
    assert bad.status_code == 422 and bad_date.status_code == 422
    assert bad_id.status_code == 422


async def test_unknown_path_and_method_answer_with_the_envelope() -> None:
    async with harness() as h:
        unknown = await h.client.get(f"{API}/nothing")
        wrong = await h.client.patch(f"{API}/configuration")
    assert unknown.status_code == 404 and unknown.json()["code"] == 404
    assert wrong.status_code == 405 and wrong.json()["code"] == 405
