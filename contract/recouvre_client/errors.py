"""Machine-readable refusals: the `google.rpc` details Recouvre attaches to every error.

Every error carries a `google.rpc.ErrorInfo` with `domain = "recouvre.v1"` and a stable
`reason` (listed in docs/errors.md); invalid input adds a `BadRequest` (one violation per bad
field), refused lifecycle moves a `PreconditionFailure`, NOT_FOUND a `ResourceInfo`. Branch on
`code` and `reason`, never on the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

#: `ErrorInfo.domain` of every Recouvre error.
DOMAIN = "recouvre.v1"


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request (`google.rpc.BadRequest.FieldViolation`)."""

    field: str
    description: str


@dataclass(frozen=True)
class PreconditionViolation:
    """One failed precondition (`google.rpc.PreconditionFailure.Violation`)."""

    type: str
    subject: str
    description: str


@dataclass(frozen=True)
class ResourceInfo:
    """The resource an error is about (`google.rpc.ResourceInfo`)."""

    resource_type: str
    resource_name: str
    owner: str
    description: str


@dataclass(frozen=True)
class ErrorDetails:
    """What a refused call says: code, message and the decoded `google.rpc` details."""

    code: grpc.StatusCode
    message: str
    #: `ErrorInfo.reason`; None when the status has no ErrorInfo (a transport error).
    reason: str | None = None
    #: `ErrorInfo.domain` ("recouvre.v1").
    domain: str | None = None
    #: `ErrorInfo.metadata` (`existing_id`, `current_etag`, `required_role`, …).
    metadata: dict[str, str] = field(default_factory=dict)
    field_violations: list[FieldViolation] = field(default_factory=list)
    precondition_violations: list[PreconditionViolation] = field(default_factory=list)
    resource_info: ResourceInfo | None = None

    @property
    def fields(self) -> list[str]:
        """The paths of the bad fields, in the order sent."""
        return [v.field for v in self.field_violations]

    def violation(self, field_path: str) -> FieldViolation | None:
        """The violation on `field_path`, if any."""
        return next((v for v in self.field_violations if v.field == field_path), None)

    def __str__(self) -> str:
        return f"{self.code.name} {self.reason or '-'}: {self.message}"


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """Decodes the status of a failed call (a `grpc.RpcError` raised by a stub)."""
    if not isinstance(error, grpc.Call):
        raise TypeError(f"not the error of a gRPC call: {error!r}")
    code = error.code()
    message = error.details() or ""
    status = rpc_status.from_call(error)
    if status is None:
        return ErrorDetails(code=code, message=message)
    reason: str | None = None
    domain: str | None = None
    metadata: dict[str, str] = {}
    fields: list[FieldViolation] = []
    preconditions: list[PreconditionViolation] = []
    resource: ResourceInfo | None = None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            preconditions += [
                PreconditionViolation(v.type, v.subject, v.description) for v in failure.violations
            ]
        elif detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            found = error_details_pb2.ResourceInfo()
            detail.Unpack(found)
            resource = ResourceInfo(
                found.resource_type, found.resource_name, found.owner, found.description
            )
    return ErrorDetails(
        code=code,
        message=status.message or message,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=fields,
        precondition_violations=preconditions,
        resource_info=resource,
    )
