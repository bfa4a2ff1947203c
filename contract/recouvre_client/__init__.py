"""Python client kit for `recouvre.v1`.

    from recouvre_client import connect, money, error_details, claims_pb2

Importing this package generates the stubs from `proto/` when they are missing or stale
(`contract/.generated/`, never committed) and makes them importable as `recouvre.v1`.
"""

from recouvre_client._stubs import ensure_importable

ensure_importable()

from recouvre.v1 import (  # noqa: E402  (generated just above)
    access_pb2,
    automation_pb2,
    claims_pb2,
    common_pb2,
    documents_pb2,
    parties_pb2,
)

from recouvre_client.client import (  # noqa: E402
    BearerAuth,
    Client,
    connect,
    new_request_id,
    parse_address,
)
from recouvre_client.errors import (  # noqa: E402
    DOMAIN,
    ErrorDetails,
    FieldViolation,
    PreconditionViolation,
    ResourceInfo,
    error_details,
)
from recouvre_client.money import (  # noqa: E402
    add_years,
    amount_of,
    amount_string,
    date,
    from_date,
    from_money,
    money,
    to_decimal,
)

__all__ = [
    "DOMAIN",
    "BearerAuth",
    "Client",
    "ErrorDetails",
    "FieldViolation",
    "PreconditionViolation",
    "ResourceInfo",
    "access_pb2",
    "add_years",
    "amount_of",
    "amount_string",
    "automation_pb2",
    "claims_pb2",
    "common_pb2",
    "connect",
    "date",
    "documents_pb2",
    "error_details",
    "from_date",
    "from_money",
    "money",
    "new_request_id",
    "parse_address",
    "parties_pb2",
    "to_decimal",
]
