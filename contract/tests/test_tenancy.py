"""Tenants are walled off: another tenant's ids answer NOT_FOUND exactly like missing ones,
and nothing of one tenant shows in another's listings or request-id ledger.

Needs RECOUVRE_OTHER_API_KEY (an admin key of a second tenant); skipped without it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import grpc
import pytest
from google.protobuf import field_mask_pb2
from recouvre_client import (
    Client,
    ErrorDetails,
    amount_of,
    claims_pb2,
    new_request_id,
    parties_pb2,
)
from support import (
    claim_message,
    create_claim,
    create_creditor,
    create_debtor,
    expect_refusal,
    list_all_claims,
    payment,
    reaches,
)

Code = grpc.StatusCode


@pytest.fixture
def ours(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> tuple[parties_pb2.Creditor, parties_pb2.Debtor, claims_pb2.Claim]:
    return creditor, debtor, create_claim(client, creditor.id, debtor.id, ["1200.00"])


def not_found_like_missing(
    call: Callable[[str], object], existing_id: str
) -> tuple[ErrorDetails, ErrorDetails]:
    """`call(existing_id)` from the other tenant answers exactly as `call(random id)`."""
    missing = str(uuid.uuid4())
    theirs = expect_refusal(lambda: call(existing_id), Code.NOT_FOUND, "NOT_FOUND")
    absent = expect_refusal(lambda: call(missing), Code.NOT_FOUND, "NOT_FOUND")
    assert theirs.message.replace(existing_id, "<id>") == absent.message.replace(missing, "<id>")
    assert {**theirs.metadata, "id": "<id>"} == {**absent.metadata, "id": "<id>"}
    assert theirs.metadata.get("id") == existing_id
    assert (theirs.resource_info is None) == (absent.resource_info is None)
    return theirs, absent


@reaches("NOT_FOUND")
def test_other_tenant_cannot_read_our_resources(
    client: Client,
    other_tenant: Client,
    ours: tuple[parties_pb2.Creditor, parties_pb2.Debtor, claims_pb2.Claim],
) -> None:
    creditor, debtor, claim = ours
    o = other_tenant
    not_found_like_missing(lambda i: o.claims.GetClaim(claims_pb2.GetClaimRequest(id=i)), claim.id)
    not_found_like_missing(
        lambda i: o.creditors.GetCreditor(parties_pb2.GetCreditorRequest(id=i)), creditor.id
    )
    not_found_like_missing(
        lambda i: o.debtors.GetDebtor(parties_pb2.GetDebtorRequest(id=i)), debtor.id
    )
    not_found_like_missing(
        lambda i: o.claims.ListClaimEvents(claims_pb2.ListClaimEventsRequest(claim_id=i)), claim.id
    )
    not_found_like_missing(
        lambda i: o.claims.VerifyClaimEvents(claims_pb2.VerifyClaimEventsRequest(claim_id=i)),
        claim.id,
    )
    # Filtering on our creditor or debtor finds nothing in their tenant.
    assert list_all_claims(o, creditor_id=creditor.id) == []
    assert list_all_claims(o, debtor_id=debtor.id) == []


@reaches("NOT_FOUND")
def test_other_tenant_cannot_change_our_resources(
    client: Client,
    other_tenant: Client,
    ours: tuple[parties_pb2.Creditor, parties_pb2.Debtor, claims_pb2.Claim],
) -> None:
    creditor, debtor, claim = ours
    o = other_tenant
    not_found_like_missing(lambda i: o.claims.RecordPayment(payment(i, "1200.00")), claim.id)
    not_found_like_missing(
        lambda i: o.claims.CloseClaim(
            claims_pb2.CloseClaimRequest(
                request_id=new_request_id(),
                claim_id=i,
                kind=claims_pb2.CLOSURE_KIND_CANCELLED,
                reason="not theirs",
            )
        ),
        claim.id,
    )
    not_found_like_missing(
        lambda i: o.creditors.UpdateCreditor(
            parties_pb2.UpdateCreditorRequest(
                request_id=new_request_id(),
                creditor=parties_pb2.Creditor(id=i, legal_name="Hijacked SAS"),
                update_mask=field_mask_pb2.FieldMask(paths=["legal_name"]),
            )
        ),
        creditor.id,
    )
    not_found_like_missing(
        lambda i: o.debtors.UpdateDebtor(
            parties_pb2.UpdateDebtorRequest(
                request_id=new_request_id(),
                debtor=parties_pb2.Debtor(id=i, emails=["attacker@example.com"]),
                update_mask=field_mask_pb2.FieldMask(paths=["emails"]),
            )
        ),
        debtor.id,
    )
    after = client.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim.id))
    assert after == claim
    assert client.creditors.GetCreditor(parties_pb2.GetCreditorRequest(id=creditor.id)) == creditor
    assert client.debtors.GetDebtor(parties_pb2.GetDebtorRequest(id=debtor.id)) == debtor


@reaches("NOT_FOUND")
def test_other_tenant_cannot_claim_against_our_parties(
    other_tenant: Client, ours: tuple[parties_pb2.Creditor, parties_pb2.Debtor, claims_pb2.Claim]
) -> None:
    creditor, debtor, _ = ours
    their_creditor = create_creditor(other_tenant)
    their_debtor = create_debtor(other_tenant)
    for creditor_id, debtor_id, resource, missing_id in (
        (creditor.id, their_debtor.id, "creditor", creditor.id),
        (their_creditor.id, debtor.id, "debtor", debtor.id),
    ):
        request = claims_pb2.CreateClaimRequest(
            request_id=new_request_id(), claim=claim_message(creditor_id, debtor_id)
        )
        error = expect_refusal(
            lambda: other_tenant.claims.CreateClaim(request), Code.NOT_FOUND, "NOT_FOUND"
        )
        assert error.metadata == {"resource": resource, "id": missing_id}


def test_listings_show_only_the_callers_tenant(
    client: Client,
    other_tenant: Client,
    ours: tuple[parties_pb2.Creditor, parties_pb2.Debtor, claims_pb2.Claim],
) -> None:
    creditor, _, _ = ours
    theirs = create_creditor(other_tenant)

    def creditor_ids(c: Client) -> set[str]:
        ids: set[str] = set()
        token = ""
        while True:
            page = c.creditors.ListCreditors(
                parties_pb2.ListCreditorsRequest(page_size=500, page_token=token)
            )
            ids.update(x.id for x in page.creditors)
            token = page.next_page_token
            if not token:
                return ids

    mine, others = creditor_ids(client), creditor_ids(other_tenant)
    assert creditor.id in mine and creditor.id not in others
    assert theirs.id in others and theirs.id not in mine


def test_request_ids_are_per_tenant(
    client: Client,
    other_tenant: Client,
    ours: tuple[parties_pb2.Creditor, parties_pb2.Debtor, claims_pb2.Claim],
) -> None:
    """Another tenant using our request id neither replays our answer nor is refused."""
    _, _, claim = ours
    request = payment(claim.id, "100.00")
    client.claims.RecordPayment(request)
    their_claim = create_claim(
        other_tenant, create_creditor(other_tenant).id, create_debtor(other_tenant).id, ["50.00"]
    )
    their_request = payment(their_claim.id, "20.00", request_id=request.request_id)
    answer = other_tenant.claims.RecordPayment(their_request)
    assert answer.id == their_claim.id
    assert amount_of(answer.balance) == Decimal("30.00")
    assert amount_of(
        client.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim.id)).paid_total
    ) == Decimal("100.00")
