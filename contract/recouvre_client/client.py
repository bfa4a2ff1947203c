"""A channel to a Recouvre deployment with its API key, and the stubs of every service."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, NamedTuple, Sequence

import grpc
from grpc_health.v1 import health_pb2_grpc
from recouvre.v1 import (
    access_pb2_grpc,
    automation_pb2_grpc,
    claims_pb2,
    claims_pb2_grpc,
    documents_pb2,
    documents_pb2_grpc,
    parties_pb2_grpc,
)

from recouvre_client.money import date

#: The deadline given to a call that sets none (seconds).
DEFAULT_TIMEOUT = 30.0

class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class _ClientCallDetails(_CallDetails, grpc.ClientCallDetails):
    """`grpc.ClientCallDetails` with values (the grpc package only defines the interface)."""


class BearerAuth(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds `authorization: Bearer <api key>` to every call, and a default deadline.

    An interceptor rather than call credentials: gRPC refuses call credentials on a plaintext
    channel, and a local or in-cluster deployment is often plaintext.
    """

    def __init__(self, api_key: str | None, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self._header = ("authorization", f"Bearer {api_key}") if api_key else None
        self._timeout = timeout

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or [])
        if self._header and not any(k == "authorization" for k, _ in metadata):
            metadata.append(self._header)
        return _ClientCallDetails(
            method=details.method,
            timeout=details.timeout if details.timeout is not None else self._timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=getattr(details, "wait_for_ready", None),
            compression=getattr(details, "compression", None),
        )

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, requests: Any
    ) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, requests: Any
    ) -> Any:
        return continuation(self._details(details), requests)


@dataclass
class Client:
    """A channel to one deployment and a stub per service. Close it (or use `with`)."""

    channel: grpc.Channel
    claims: claims_pb2_grpc.ClaimServiceStub
    creditors: parties_pb2_grpc.CreditorServiceStub
    debtors: parties_pb2_grpc.DebtorServiceStub
    api_keys: access_pb2_grpc.ApiKeyServiceStub
    health: health_pb2_grpc.HealthStub
    #: The reference rates (ECB, legal interest): any role reads, `operator` sets.
    rates: claims_pb2_grpc.RateServiceStub
    #: Documents of claims (letters, formal notices, dossiers) and the tenant's templates:
    #: any role reads, `agent` generates, `admin` sets templates.
    documents: documents_pb2_grpc.DocumentServiceStub
    #: Escalation policies: any role reads, `admin` changes.
    policies: automation_pb2_grpc.PolicyServiceStub
    #: Tasks for humans (calls, visits, reviews): `agent` lists and completes.
    tasks: automation_pb2_grpc.TaskServiceStub
    #: E-mails and SMS the policies' steps wrote: `agent` lists and reports dispatch.
    outbox: automation_pb2_grpc.OutboxServiceStub
    #: Scheduler passes on demand: `operator`.
    scheduler: automation_pb2_grpc.SchedulerServiceStub

    def statement(
        self,
        claim_id: str,
        as_of: datetime.date | None = None,
        *,
        day_count: claims_pb2.DayCount = claims_pb2.DAY_COUNT_UNSPECIFIED,
        count_start_day: bool = False,
    ) -> claims_pb2.Statement:
        """The claim's statement of account (décompte) as of `as_of` (None: today in France,
        as the server counts it), with the default counting conventions unless told.

        Raises `grpc.RpcError` like any call: FAILED_PRECONDITION `RATE_NOT_PUBLISHED` (see
        `error_details(e).metadata["semester"]` and `["table"]`) when a rate it needs is
        missing."""
        request = claims_pb2.GetStatementRequest(claim_id=claim_id)
        if as_of is not None:
            request.as_of.CopyFrom(date(as_of))
        if day_count != claims_pb2.DAY_COUNT_UNSPECIFIED or count_start_day:
            request.conventions.CopyFrom(
                claims_pb2.StatementConventions(day_count=day_count, count_start_day=count_start_day)
            )
        return self.claims.GetStatement(request)

    def download(self, document_id: str, *, timeout: float | None = None) -> bytes:
        """A document's bytes: DownloadDocument's chunks, checked to follow one another (each
        chunk's `offset` is the length received so far), joined.

        Raises `grpc.RpcError` like any call (NOT_FOUND for an unknown id or another tenant's),
        and `ValueError` if a chunk does not start where the previous one ended."""
        request = documents_pb2.DownloadDocumentRequest(id=document_id)
        chunks: list[bytes] = []
        received = 0
        for chunk in self.documents.DownloadDocument(request, timeout=timeout):
            if chunk.offset != received:
                raise ValueError(
                    f"document {document_id}: a chunk at offset {chunk.offset}, expected {received}"
                )
            chunks.append(chunk.data)
            received += len(chunk.data)
        return b"".join(chunks)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def parse_address(addr: str, tls: bool = False) -> tuple[str, bool]:
    """`host:port` and whether to use TLS: `https://` turns TLS on, `http://` leaves it off."""
    if addr.startswith("https://"):
        return addr.removeprefix("https://").rstrip("/"), True
    if addr.startswith("http://"):
        return addr.removeprefix("http://").rstrip("/"), tls
    return addr.rstrip("/"), tls


def connect(
    addr: str,
    api_key: str | None,
    tls: bool = False,
    *,
    root_certificates: bytes | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    options: Sequence[tuple[str, Any]] = (),
) -> Client:
    """Opens a channel to `addr` ("host:port", or an http:// / https:// URL) that sends
    `api_key` as a bearer token on every call (None: no key, e.g. for health checks).

    With `tls` (or an https:// address) the server certificate is checked against
    `root_certificates` (PEM), or the system's roots when None. `timeout` is the deadline of
    a call that sets none.
    """
    target, use_tls = parse_address(addr, tls)
    if use_tls:
        credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
        channel = grpc.secure_channel(target, credentials, options=list(options))
    else:
        channel = grpc.insecure_channel(target, options=list(options))
    channel = grpc.intercept_channel(channel, BearerAuth(api_key, timeout))
    return Client(
        channel=channel,
        claims=claims_pb2_grpc.ClaimServiceStub(channel),
        creditors=parties_pb2_grpc.CreditorServiceStub(channel),
        debtors=parties_pb2_grpc.DebtorServiceStub(channel),
        api_keys=access_pb2_grpc.ApiKeyServiceStub(channel),
        health=health_pb2_grpc.HealthStub(channel),
        rates=claims_pb2_grpc.RateServiceStub(channel),
        documents=documents_pb2_grpc.DocumentServiceStub(channel),
        policies=automation_pb2_grpc.PolicyServiceStub(channel),
        tasks=automation_pb2_grpc.TaskServiceStub(channel),
        outbox=automation_pb2_grpc.OutboxServiceStub(channel),
        scheduler=automation_pb2_grpc.SchedulerServiceStub(channel),
    )


def new_request_id() -> str:
    """A fresh `request_id` for a mutation. Keep it to retry: a retry with the same id returns
    the first answer and never applies twice."""
    return str(uuid.uuid4())
