"""The Python helper on its own (no deployment needed): money, dates, error details, auth."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from recouvre_client import (
    BearerAuth,
    add_years,
    amount_of,
    amount_string,
    claims_pb2,
    connect,
    date,
    documents_pb2,
    error_details,
    from_date,
    money,
    parse_address,
)

pytestmark = pytest.mark.offline


def test_money_is_exact_and_never_float() -> None:
    assert money("1200.00").amount == "1200.00"
    assert money(Decimal("0.1") + Decimal("0.2")).amount == "0.3"
    assert money("12.500").amount == "12.50", "trailing zeros beyond the minor digits go"
    assert money("1E+3").amount == "1000", "no exponent on the wire"
    assert money("5", "JPY").amount == "5"
    assert amount_of(money("1234.56")) == Decimal("1234.56")
    with pytest.raises(TypeError):
        money(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        money(12)  # type: ignore[arg-type]
    for bad in ["12.345", "-1.00", "-0", "abc", "NaN", "Infinity", ""]:
        with pytest.raises(ValueError):
            money(bad)
    with pytest.raises(ValueError):
        amount_string("1.5", "JPY")
    with pytest.raises(ValueError):
        money("1.00", "eur")


def test_dates_round_trip() -> None:
    d = datetime.date(2026, 9, 1)
    assert (date(d).year, date(d).month, date(d).day) == (2026, 9, 1)
    assert from_date(date(d)) == d
    assert from_date(date(datetime.datetime(2026, 9, 1, 23, 59))) == d


def test_add_years_keeps_the_day_of_the_month() -> None:
    assert add_years(datetime.date(2023, 11, 23), 2) == datetime.date(2025, 11, 23)
    assert add_years(datetime.date(2026, 11, 23), -3) == datetime.date(2023, 11, 23)
    assert add_years(datetime.date(2024, 2, 29), 1) == datetime.date(2025, 2, 28)
    assert add_years(datetime.date(2024, 2, 29), 4) == datetime.date(2028, 2, 29)


def test_statement_builds_its_request() -> None:
    sent: list[claims_pb2.GetStatementRequest] = []

    class Claims:
        def GetStatement(self, request: claims_pb2.GetStatementRequest) -> claims_pb2.Statement:
            sent.append(request)
            return claims_pb2.Statement(claim_id=request.claim_id)

    with connect("127.0.0.1:1", None) as client:  # no call leaves: the channel stays idle
        client.claims = Claims()  # type: ignore[assignment]
        assert client.statement("c1").claim_id == "c1"
        client.statement("c2", datetime.date(2025, 6, 30))
        client.statement("c3", day_count=claims_pb2.DAY_COUNT_ACTUAL_ACTUAL, count_start_day=True)
    today, dated, conventions = sent
    assert not today.HasField("as_of") and not today.HasField("conventions")
    assert from_date(dated.as_of) == datetime.date(2025, 6, 30)
    assert not dated.HasField("conventions")
    assert (conventions.conventions.day_count, conventions.conventions.count_start_day) == (
        claims_pb2.DAY_COUNT_ACTUAL_ACTUAL,
        True,
    )


def test_download_joins_the_chunks_in_order() -> None:
    asked: list[documents_pb2.DownloadDocumentRequest] = []
    parts = [b"%PDF-1.7 ", b"x" * 10, b"%%EOF"]

    def chunks(offsets: list[int]) -> list[documents_pb2.DownloadDocumentResponse]:
        return [
            documents_pb2.DownloadDocumentResponse(offset=o, data=d) for o, d in zip(offsets, parts)
        ]

    class Documents:
        offsets = [0, 9, 19]

        def DownloadDocument(
            self, request: documents_pb2.DownloadDocumentRequest, timeout: float | None = None
        ) -> list[documents_pb2.DownloadDocumentResponse]:
            asked.append(request)
            return chunks(self.offsets)

    with connect("127.0.0.1:1", None) as client:  # no call leaves: the channel stays idle
        documents = Documents()
        client.documents = documents  # type: ignore[assignment]
        assert client.download("d1") == b"".join(parts)
        assert [r.id for r in asked] == ["d1"]
        documents.offsets = [0, 9, 20]  # a gap: refused rather than joined
        with pytest.raises(ValueError):
            client.download("d2")


def test_addresses() -> None:
    assert parse_address("127.0.0.1:50051") == ("127.0.0.1:50051", False)
    assert parse_address("http://127.0.0.1:50051/") == ("127.0.0.1:50051", False)
    assert parse_address("https://recouvre.example:443") == ("recouvre.example:443", True)
    assert parse_address("host:1", tls=True) == ("host:1", True)


class FakeCall(grpc.RpcError, grpc.Call):
    """A failed call as grpc raises it, with a `grpc-status-details-bin` trailer."""

    def __init__(self, code: grpc.StatusCode, message: str, details: list[Any]) -> None:
        status = status_pb2.Status(code=code.value[0], message=message)
        for detail in details:
            packed = any_pb2.Any()
            packed.Pack(detail)
            status.details.append(packed)
        self._code, self._message = code, message
        self._trailers = (("grpc-status-details-bin", status.SerializeToString()),)

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._message

    def trailing_metadata(self) -> Any:
        return self._trailers

    def initial_metadata(self) -> Any:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float:
        return 0.0

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


def test_error_details_decodes_every_detail() -> None:
    error = FakeCall(
        grpc.StatusCode.INVALID_ARGUMENT,
        "2 fields are invalid.",
        [
            error_details_pb2.ErrorInfo(reason="INVALID_ARGUMENT", domain="recouvre.v1"),
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field="claim.currency_code", description="unknown"),
                    error_details_pb2.BadRequest.FieldViolation(field="claim.invoices", description="empty"),
                ]
            ),
        ],
    )
    details = error_details(error)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (details.reason, details.domain) == ("INVALID_ARGUMENT", "recouvre.v1")
    assert details.fields == ["claim.currency_code", "claim.invoices"]
    violation = details.violation("claim.invoices")
    assert violation is not None and violation.description == "empty"
    assert str(details) == "INVALID_ARGUMENT INVALID_ARGUMENT: 2 fields are invalid."

    refused = error_details(
        FakeCall(
            grpc.StatusCode.FAILED_PRECONDITION,
            "The payment exceeds the balance.",
            [
                error_details_pb2.ErrorInfo(reason="OVERPAYMENT", domain="recouvre.v1", metadata={"k": "v"}),
                error_details_pb2.PreconditionFailure(
                    violations=[
                        error_details_pb2.PreconditionFailure.Violation(
                            type="OVERPAYMENT", subject="amount", description="too much"
                        )
                    ]
                ),
                error_details_pb2.ResourceInfo(resource_type="claim", resource_name="x"),
            ],
        )
    )
    assert refused.metadata == {"k": "v"}
    assert [(v.type, v.subject) for v in refused.precondition_violations] == [("OVERPAYMENT", "amount")]
    assert refused.resource_info is not None and refused.resource_info.resource_name == "x"


def test_error_details_without_details() -> None:
    class Bare(FakeCall):
        def trailing_metadata(self) -> Any:
            return ()

    details = error_details(Bare(grpc.StatusCode.OUT_OF_RANGE, "too large", []))
    assert (details.code, details.reason, details.field_violations) == (
        grpc.StatusCode.OUT_OF_RANGE,
        None,
        [],
    )


def test_bearer_auth_adds_the_key_and_a_deadline() -> None:
    seen: list[grpc.ClientCallDetails] = []

    class Details:
        method = "/recouvre.v1.ClaimService/GetClaim"
        timeout = None
        metadata = [("x-request-id", "r1")]
        credentials = None
        wait_for_ready = None
        compression = None

    auth = BearerAuth("rcv_secret", timeout=12.0)
    auth.intercept_unary_unary(lambda d, r: seen.append(d), Details(), None)  # type: ignore[arg-type]
    [sent] = seen
    assert list(sent.metadata or []) == [("x-request-id", "r1"), ("authorization", "Bearer rcv_secret")]
    assert sent.timeout == 12.0
    assert sent.method == Details.method
