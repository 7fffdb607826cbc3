"""batchport.api.errors: every error body shape and status becomes the right batchport error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_fakes import base_settings, fake_client, run

from batchport.api.errors import (
    RetryableStatus,
    error_from_response,
    error_from_token_response,
    error_from_transport,
    parse_error_body,
    parse_retry_after,
)
from batchport.errors import ApiError, ApiRejected, AuthError, FieldViolation
from batchport.redaction import remember

ZIP = FieldViolation("phoneNumbers[3].endUser.zipCode", "must be 5 digits")
SCHEMA_STYLE = {
    "code": 400,
    "status": "INVALID_ARGUMENT",
    "message": "Invalid order",
    "details": [
        {"type": "ErrorInfo", "reason": "BAD_ZIP", "domain": "porting"},
        {
            "type": "BadRequest",
            "fieldViolations": [{"field": ZIP.field, "description": ZIP.description}],
        },
    ],
}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {
                "code": "422",
                "error": "Invalid parameters",
                "message": "Invalid order",
                "details": {
                    "fieldViolations": [{"field": ZIP.field, "description": ZIP.description}]
                },
            },
            "Invalid order",
        ),
        (SCHEMA_STYLE, "Invalid order"),
        ({"error": SCHEMA_STYLE}, "Invalid order"),
        (
            {
                "error": {
                    "code": 422,
                    "message": "x",
                    "fieldViolations": [{"field": ZIP.field, "description": ZIP.description}],
                }
            },
            "x",
        ),
    ],
    ids=["flat-published-example", "schema-style", "error-wrapped", "wrapped-top-level-violations"],
)
def test_every_body_shape_gives_message_and_violations(body: Any, message: str) -> None:
    response = httpx.Response(422, json=body)
    error = error_from_response(response, "create_order")
    assert isinstance(error, ApiRejected)
    assert error.status == 422 and error.operation == "create_order"
    assert error.violations == (ZIP,)
    assert message in error.message


@pytest.mark.parametrize("content", [b"", b"   ", b"<html>Bad gateway</html>", b"[1, 2]", b"{"])
def test_empty_or_foreign_bodies_fall_back_to_the_status(content: bytes) -> None:
    assert parse_error_body(content) == ("", ())
    error = error_from_response(httpx.Response(404, content=content), "get_order")
    assert isinstance(error, ApiRejected)
    assert error.message == "get_order failed with HTTP 404"


def test_flat_body_without_message_uses_its_error_text() -> None:
    assert parse_error_body(b'{"code": "402", "error": "Payment required"}') == (
        "Payment required",
        (),
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthError),
        (403, AuthError),
        (400, ApiRejected),
        (402, ApiRejected),
        (409, ApiRejected),
        (429, RetryableStatus),
        (500, RetryableStatus),
        (502, RetryableStatus),
        (503, RetryableStatus),
        (504, RetryableStatus),
        (501, ApiError),
    ],
)
def test_status_decides_the_error_type(status: int, kind: type[ApiError]) -> None:
    error = error_from_response(httpx.Response(status), "op")
    assert type(error) is kind
    assert error.status == status


def test_auth_error_says_what_to_check() -> None:
    error = error_from_response(httpx.Response(401), "get_order")
    assert "SINCH_KEY_ID" in str(error) and "project" in str(error)


def test_retry_after_in_seconds_and_as_http_date() -> None:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    error = error_from_response(httpx.Response(429, headers={"Retry-After": "4"}), "op")
    assert isinstance(error, RetryableStatus) and error.retry_after == 4.0


def test_transport_errors_know_whether_the_request_left() -> None:
    request = httpx.Request("GET", "https://porting.test/")
    refused = error_from_transport(httpx.ConnectError("refused", request=request), "op")
    dropped = error_from_transport(httpx.RemoteProtocolError("dropped", request=request), "op")
    slow = error_from_transport(httpx.ReadTimeout("slow", request=request), "op")
    assert (refused.request_sent, dropped.request_sent, slow.request_sent) == (False, True, True)
    assert refused.status is None and "ConnectError" in refused.message


def test_client_raises_rejection_with_violations(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": SCHEMA_STYLE})

    async def go() -> None:
        async with fake_client(handler, base_settings(tmp_path)) as client:
            await client.get_configuration()

    with pytest.raises(ApiRejected) as caught:
        run(go())
    assert caught.value.violations == (ZIP,)
    assert caught.value.operation == "get_configuration"


def test_a_success_without_json_is_an_api_error(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>maintenance</html>")

    async def go() -> None:
        async with fake_client(handler, base_settings(tmp_path)) as client:
            await client.get_order(3)

    with pytest.raises(ApiError, match="not JSON"):
        run(go())


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, AuthError), (401, AuthError), (403, AuthError), (503, RetryableStatus)],
)
def test_token_endpoint_refusals_are_auth_errors_naming_the_key(
    status: int, kind: type[ApiError]
) -> None:
    body = {"error": "invalid_client"}
    error = error_from_token_response(httpx.Response(status, json=body), "fetch_token")
    assert type(error) is kind and error.status == status
    if kind is AuthError:
        assert "SINCH_KEY_ID and SINCH_KEY_SECRET" in error.message


def test_service_words_are_scrubbed_of_every_registered_secret() -> None:
    remember("Q7z", "ACCT-Q55XR9021")
    body = {
        "message": "PIN Q7z and account ACCT-Q55XR9021 do not match",
        "details": {"fieldViolations": [{"field": "pin[Q7z]", "description": "not Q7z"}]},
    }
    message, violations = parse_error_body(json.dumps(body).encode())
    assert message == "PIN **** and account **** do not match"
    assert violations == (FieldViolation("pin[****]", "not ****"),)
    error = error_from_response(httpx.Response(422, json=body), "create_order")
    assert "Q7z" not in str(error) and "ACCT-Q55XR9021" not in str(error)


def test_token_errors_name_the_token_service_and_quote_it_masked() -> None:
    remember("key-s3cret")
    request = httpx.Request("POST", "https://auth.test/oauth2/token?x=1")
    body = {"error": "invalid_client", "error_description": "x"}
    refused = error_from_token_response(httpx.Response(401, json=body, request=request), "t")
    assert refused.message == (
        "t (the token service https://auth.test/oauth2/token) refused the access key "
        "(HTTP 401: invalid_client); check SINCH_KEY_ID and SINCH_KEY_SECRET"
    )
    failing = httpx.Response(502, json={"message": "key-s3cret?"}, request=request)
    failed = error_from_token_response(failing, "t")
    assert failed.message == (
        "t (the token service https://auth.test/oauth2/token) failed with HTTP 502: ****?"
    )


def test_a_token_service_that_does_not_answer_is_named(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    settings = base_settings(
        tmp_path, access_token="", key_id="k", key_secret="s3c", max_attempts=1
    )

    async def go() -> None:
        async with fake_client(handler, settings) as client:
            await client.get_configuration()

    with pytest.raises(ApiError, match="fetch_token") as caught:
        run(go())
    assert "no answer from the token service https://auth.test/oauth2/token" in str(caught.value)
