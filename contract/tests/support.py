"""Shared helpers of the contract suite: fresh parties and claims, and refusal checks."""

from __future__ import annotations

import datetime
import os
import re
import uuid
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TypeVar

import grpc
import pytest
from recouvre_client import (
    DOMAIN,
    Client,
    ErrorDetails,
    claims_pb2,
    common_pb2,
    date,
    error_details,
    money,
    new_request_id,
    parties_pb2,
)

T = TypeVar("T")

#: `@reaches("OVERPAYMENT")`: this test provokes the reason over the wire (see conftest.py).
reaches = pytest.mark.reaches

#: Where the error reasons are documented.
ERRORS_DOC = Path(
    os.environ.get("RECOUVRE_ERRORS_DOC")
    or Path(__file__).resolve().parents[2] / "docs" / "errors.md"
)

#: Reasons observed by `expect_refusal` during the current test (reset by conftest.py).
OBSERVED: list[str] = []


@cache
def documented_reasons() -> dict[str, str]:
    """docs/errors.md's table: reason -> gRPC code name (e.g. "FAILED_PRECONDITION")."""
    table: dict[str, str] = {}
    for line in ERRORS_DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*`([A-Z0-9_]+)`\s*\|\s*([A-Z_]+)\s*\|", line)
        if match:
            table[match.group(1)] = match.group(2)
    if len(table) < 5:
        raise AssertionError(f"could not parse the reasons table of {ERRORS_DOC}: {table}")
    return table


def expect_refusal(
    call: Callable[[], object], code: grpc.StatusCode, reason: str
) -> ErrorDetails:
    """Runs `call`, which must be refused with `code` and `ErrorInfo.reason` `reason` in the
    domain "recouvre.v1" — and docs/errors.md must list that reason with that code."""
    try:
        answer = call()
    except grpc.RpcError as error:
        details = error_details(error)
    else:
        raise AssertionError(f"expected {code.name} {reason}, got an answer: {answer!r}")
    assert details.code == code, f"expected {code.name} {reason}, got {details}"
    assert details.reason == reason, f"expected reason {reason}, got {details}"
    assert details.domain == DOMAIN, f"ErrorInfo.domain is {details.domain!r}: {details}"
    documented = documented_reasons().get(reason)
    assert documented == code.name, (
        f"{ERRORS_DOC} lists {reason} with code {documented}, the test expects {code.name}"
    )
    OBSERVED.append(reason)
    return details


def unique(prefix: str) -> str:
    """A value no other run used: `prefix-<uuid>`."""
    return f"{prefix}-{uuid.uuid4()}"


def today() -> datetime.date:
    """Today where the server counts days (Europe/Paris) — approximately: tests keep a day of
    margin either side, so the machine's time zone does not matter."""
    return datetime.date.today()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def paris_address() -> common_pb2.PostalAddress:
    return common_pb2.PostalAddress(
        address_lines=["12 rue de la Paix"], postal_code="75002", locality="Paris", region_code="FR"
    )


def creditor_message(**overrides: object) -> parties_pb2.Creditor:
    creditor = parties_pb2.Creditor(
        legal_name=unique("Contract Fournitures SAS"),
        legal_form="SAS",
        siren="552100554",
        siret="55210055400013",
        vat_number="FR96552100554",
        address=paris_address(),
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        contact_email="recouvrement@acme.fr",
        contact_phone="+33 1 23 45 67 89",
    )
    for name, value in overrides.items():
        if isinstance(value, list):
            del getattr(creditor, name)[:]
            getattr(creditor, name).extend(value)
        elif hasattr(value, "DESCRIPTOR"):
            getattr(creditor, name).CopyFrom(value)
        else:
            setattr(creditor, name, value)
    return creditor


def business_debtor_message() -> parties_pb2.Debtor:
    return parties_pb2.Debtor(
        kind=parties_pb2.DEBTOR_KIND_BUSINESS,
        legal_name=unique("Dupont Bâtiment SARL"),
        siren="732829320",
        addresses=[
            common_pb2.PostalAddress(
                address_lines=["2 avenue Foch"],
                postal_code="69006",
                locality="Lyon",
                region_code="FR",
            )
        ],
        emails=["compta@dupont-batiment.fr"],
        phones=["04 72 00 00 00"],
        language_code="fr",
    )


def consumer_debtor_message() -> parties_pb2.Debtor:
    """A natural person not acting professionally: claims on them take the consumer regime
    (legal interest from the formal notice's receipt, no indemnity, 2-year limitation)."""
    return parties_pb2.Debtor(
        kind=parties_pb2.DEBTOR_KIND_CONSUMER,
        given_name="Marie",
        family_name=unique("Martin"),
        addresses=[
            common_pb2.PostalAddress(
                address_lines=["8 rue des Lilas"],
                postal_code="33000",
                locality="Bordeaux",
                region_code="FR",
            )
        ],
    )


def create_creditor(client: Client) -> parties_pb2.Creditor:
    return client.creditors.CreateCreditor(
        parties_pb2.CreateCreditorRequest(
            request_id=new_request_id(), creditor=creditor_message()
        )
    )


def create_debtor(client: Client) -> parties_pb2.Debtor:
    return client.debtors.CreateDebtor(
        parties_pb2.CreateDebtorRequest(
            request_id=new_request_id(), debtor=business_debtor_message()
        )
    )


def create_consumer_debtor(client: Client) -> parties_pb2.Debtor:
    return client.debtors.CreateDebtor(
        parties_pb2.CreateDebtorRequest(
            request_id=new_request_id(), debtor=consumer_debtor_message()
        )
    )


def dated_invoice(
    number: str,
    amount: str,
    issued: datetime.date,
    due: datetime.date,
    completed: datetime.date | None = None,
) -> claims_pb2.Invoice:
    """An invoice with explicit dates (service completed on `completed`, else on `issued`)."""
    return claims_pb2.Invoice(
        number=number,
        issue_date=date(issued),
        service_completion_date=date(completed or issued),
        due_date=date(due),
        amount=money(amount),
    )


def create_claim_of(
    client: Client, creditor_id: str, debtor_id: str, invoices: Iterable[claims_pb2.Invoice]
) -> claims_pb2.Claim:
    """A claim on exactly these invoices."""
    return client.claims.CreateClaim(
        claims_pb2.CreateClaimRequest(
            request_id=new_request_id(),
            claim=claims_pb2.Claim(
                creditor_id=creditor_id,
                debtor_id=debtor_id,
                external_reference=unique("contract"),
                currency_code="EUR",
                invoices=list(invoices),
            ),
        )
    )


def invoice(number: str, amount: str, issued_days_ago: int = 10) -> claims_pb2.Invoice:
    """An invoice issued `issued_days_ago` days ago, due 30 days after issue.

    By default not yet due: no late-payment interest or indemnity accrues, so what is owed is
    exactly the principal and the money assertions hold on any date."""
    return claims_pb2.Invoice(
        number=number,
        issue_date=date(days(-issued_days_ago)),
        service_completion_date=date(days(-issued_days_ago - 1)),
        due_date=date(days(-issued_days_ago + 30)),
        amount=money(amount),
    )


def claim_message(
    creditor_id: str, debtor_id: str, amounts: Iterable[str] = ("1200.00",), reference: str = ""
) -> claims_pb2.Claim:
    return claims_pb2.Claim(
        creditor_id=creditor_id,
        debtor_id=debtor_id,
        external_reference=reference or unique("contract"),
        currency_code="EUR",
        invoices=[invoice(f"F-{i:04}", a) for i, a in enumerate(amounts, start=1)],
    )


def create_claim(
    client: Client,
    creditor_id: str,
    debtor_id: str,
    amounts: Iterable[str] = ("1200.00",),
    reference: str = "",
) -> claims_pb2.Claim:
    return client.claims.CreateClaim(
        claims_pb2.CreateClaimRequest(
            request_id=new_request_id(),
            claim=claim_message(creditor_id, debtor_id, amounts, reference),
        )
    )


def payment(claim_id: str, amount: str, etag: str = "", request_id: str = "") -> (
    claims_pb2.RecordPaymentRequest
):
    return claims_pb2.RecordPaymentRequest(
        request_id=request_id or new_request_id(),
        claim_id=claim_id,
        etag=etag,
        amount=money(amount),
        value_date=date(days(-1)),
        method=claims_pb2.PAYMENT_METHOD_BANK_TRANSFER,
        reference=unique("VIR"),
    )


def list_all_claims(client: Client, **filters: object) -> list[claims_pb2.Claim]:
    """Every claim matching `filters`, page by page."""
    out: list[claims_pb2.Claim] = []
    token = ""
    while True:
        page = client.claims.ListClaims(
            claims_pb2.ListClaimsRequest(page_size=100, page_token=token, **filters)  # type: ignore[arg-type]
        )
        out.extend(page.claims)
        token = page.next_page_token
        if not token:
            return out
