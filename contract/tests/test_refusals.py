"""Each documented refusal, provoked over the wire: its code, its ErrorInfo reason (domain
"recouvre.v1") and the details docs/errors.md promises — and a refused change changes nothing."""

from __future__ import annotations

import datetime
import re
import uuid

import grpc
import pytest
from recouvre_client import (
    Client,
    add_years,
    claims_pb2,
    date,
    from_date,
    money,
    new_request_id,
    parties_pb2,
)
from support import (
    create_claim,
    create_claim_of,
    create_consumer_debtor,
    create_creditor,
    dated_invoice,
    days,
    expect_refusal,
    invoice,
    paris_address,
    payment,
    reaches,
    today,
    unique,
)

Code = grpc.StatusCode


def get(client: Client, claim_id: str) -> claims_pb2.Claim:
    return client.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim_id))


def escalate(
    claim_id: str, target: claims_pb2.ClaimState, etag: str = ""
) -> claims_pb2.EscalateClaimRequest:
    return claims_pb2.EscalateClaimRequest(
        request_id=new_request_id(), claim_id=claim_id, etag=etag, target_state=target
    )


def close(
    claim_id: str, kind: claims_pb2.ClosureKind, reason: str = "contract test"
) -> claims_pb2.CloseClaimRequest:
    return claims_pb2.CloseClaimRequest(
        request_id=new_request_id(), claim_id=claim_id, kind=kind, reason=reason
    )


def open_dispute(claim_id: str) -> claims_pb2.OpenDisputeRequest:
    return claims_pb2.OpenDisputeRequest(
        request_id=new_request_id(), claim_id=claim_id, reason="the goods were never delivered"
    )


def promise(claim_id: str, amount: str, due_in_days: int = 30) -> claims_pb2.RecordPromiseToPayRequest:
    return claims_pb2.RecordPromiseToPayRequest(
        request_id=new_request_id(),
        claim_id=claim_id,
        amount=money(amount),
        due_date=date(days(due_in_days)),
    )


@pytest.fixture
def claim(client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor) -> claims_pb2.Claim:
    """A fresh AMICABLE claim of 1200.00."""
    return create_claim(client, creditor.id, debtor.id, ["1200.00"])


def assert_unchanged(client: Client, before: claims_pb2.Claim) -> None:
    after = get(client, before.id)
    assert (after.etag, after.event_count, after.state, after.balance) == (
        before.etag,
        before.event_count,
        before.state,
        before.balance,
    ), "a refused change must leave the claim as it was"


# --- INVALID_ARGUMENT ---------------------------------------------------------------------


@reaches("INVALID_ARGUMENT")
def test_invalid_claim_names_every_bad_field(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    due_before_issue = invoice("F-1", "100.00")
    due_before_issue.due_date.CopyFrom(date(days(-11)))
    zero = invoice("F-2", "0.00")
    request = claims_pb2.CreateClaimRequest(
        request_id=new_request_id(),
        claim=claims_pb2.Claim(
            creditor_id=creditor.id,
            debtor_id=debtor.id,
            external_reference="",
            currency_code="EUR",
            invoices=[due_before_issue, zero],
        ),
    )
    error = expect_refusal(
        lambda: client.claims.CreateClaim(request), Code.INVALID_ARGUMENT, "INVALID_ARGUMENT"
    )
    assert set(error.fields) == {
        "claim.external_reference",
        "claim.invoices[0].due_date",
        "claim.invoices[1].amount.amount",
    }, error.field_violations
    assert all(v.description for v in error.field_violations)


@reaches("INVALID_ARGUMENT")
def test_invalid_creditor_names_every_bad_field(client: Client) -> None:
    request = parties_pb2.CreateCreditorRequest(
        request_id=new_request_id(),
        creditor=parties_pb2.Creditor(
            legal_name="ACME Fournitures SAS",
            legal_form="SAS",
            siren="552100555",  # wrong Luhn key
            iban="FR7630006000011234567890180",  # wrong mod-97 key
            address=paris_address(),
        ),
    )
    error = expect_refusal(
        lambda: client.creditors.CreateCreditor(request), Code.INVALID_ARGUMENT, "INVALID_ARGUMENT"
    )
    assert {"creditor.siren", "creditor.iban"} <= set(error.fields), error.field_violations


@reaches("INVALID_ARGUMENT")
def test_amount_beyond_the_currency_digits_is_invalid(client: Client, claim: claims_pb2.Claim) -> None:
    request = payment(claim.id, "1.00")
    request.amount.amount = "12.345"  # money() refuses to build it; the server refuses it too
    error = expect_refusal(
        lambda: client.claims.RecordPayment(request), Code.INVALID_ARGUMENT, "INVALID_ARGUMENT"
    )
    assert error.fields == ["amount.amount"]
    assert_unchanged(client, claim)


@reaches("INVALID_ARGUMENT")
def test_malformed_id_and_page_size_are_invalid(client: Client) -> None:
    error = expect_refusal(
        lambda: client.claims.GetClaim(claims_pb2.GetClaimRequest(id="not-a-uuid")),
        Code.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )
    assert error.fields == ["id"]
    error = expect_refusal(
        lambda: client.claims.ListClaims(claims_pb2.ListClaimsRequest(page_size=-1)),
        Code.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )
    assert error.fields == ["page_size"]


@reaches("INVALID_ARGUMENT")
def test_payment_designating_an_unknown_invoice_is_invalid(
    client: Client, claim: claims_pb2.Claim
) -> None:
    request = payment(claim.id, "10.00")
    request.invoice_number = "F-9999"
    error = expect_refusal(
        lambda: client.claims.RecordPayment(request), Code.INVALID_ARGUMENT, "INVALID_ARGUMENT"
    )
    assert error.fields == ["invoice_number"], error.field_violations
    assert_unchanged(client, claim)


@reaches("INVALID_ARGUMENT")
def test_missing_request_id_is_invalid(client: Client, claim: claims_pb2.Claim) -> None:
    request = payment(claim.id, "1.00")
    request.request_id = ""
    error = expect_refusal(
        lambda: client.claims.RecordPayment(request), Code.INVALID_ARGUMENT, "INVALID_ARGUMENT"
    )
    assert error.fields == ["request_id"]


# --- INVALID_PAGE_TOKEN -------------------------------------------------------------------


@reaches("INVALID_PAGE_TOKEN")
def test_page_token_belongs_to_its_listing(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    for _ in range(2):
        create_claim(client, creditor.id, debtor.id)
    first = client.claims.ListClaims(
        claims_pb2.ListClaimsRequest(page_size=1, creditor_id=creditor.id)
    )
    assert first.next_page_token
    other = create_creditor(client)
    # The same token with another filter, on another method, and a made-up one.
    for call in (
        lambda: client.claims.ListClaims(
            claims_pb2.ListClaimsRequest(
                page_size=1, creditor_id=other.id, page_token=first.next_page_token
            )
        ),
        lambda: client.creditors.ListCreditors(
            parties_pb2.ListCreditorsRequest(page_token=first.next_page_token)
        ),
        lambda: client.claims.ListClaims(
            claims_pb2.ListClaimsRequest(page_token="bm90IGEgdG9rZW4")
        ),
    ):
        error = expect_refusal(call, Code.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
        assert error.fields == ["page_token"]


# --- NOT_FOUND ----------------------------------------------------------------------------


@reaches("NOT_FOUND")
def test_unknown_ids_are_not_found(client: Client) -> None:
    missing = str(uuid.uuid4())
    for resource, call in (
        ("claim", lambda: client.claims.GetClaim(claims_pb2.GetClaimRequest(id=missing))),
        ("creditor", lambda: client.creditors.GetCreditor(parties_pb2.GetCreditorRequest(id=missing))),
        ("debtor", lambda: client.debtors.GetDebtor(parties_pb2.GetDebtorRequest(id=missing))),
        ("claim", lambda: client.claims.RecordPayment(payment(missing, "1.00"))),
        (
            "claim",
            lambda: client.claims.ListClaimEvents(
                claims_pb2.ListClaimEventsRequest(claim_id=missing)
            ),
        ),
    ):
        error = expect_refusal(call, Code.NOT_FOUND, "NOT_FOUND")
        assert error.metadata == {"resource": resource, "id": missing}
        assert error.resource_info is not None
        assert (error.resource_info.resource_type, error.resource_info.resource_name) == (
            resource,
            missing,
        )


@reaches("NOT_FOUND")
def test_claim_on_unknown_party_is_not_found(client: Client, debtor: parties_pb2.Debtor) -> None:
    missing = str(uuid.uuid4())
    request = claims_pb2.CreateClaimRequest(
        request_id=new_request_id(),
        claim=claims_pb2.Claim(
            creditor_id=missing,
            debtor_id=debtor.id,
            external_reference=unique("contract"),
            currency_code="EUR",
            invoices=[invoice("F-1", "10.00")],
        ),
    )
    error = expect_refusal(lambda: client.claims.CreateClaim(request), Code.NOT_FOUND, "NOT_FOUND")
    assert error.metadata == {"resource": "creditor", "id": missing}


# --- EXTERNAL_REFERENCE_EXISTS ------------------------------------------------------------


@reaches("EXTERNAL_REFERENCE_EXISTS")
def test_external_reference_is_unique_per_creditor(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    reference = unique("DUNNING")
    first = create_claim(client, creditor.id, debtor.id, reference=reference)
    error = expect_refusal(
        lambda: create_claim(client, creditor.id, debtor.id, reference=reference),
        Code.ALREADY_EXISTS,
        "EXTERNAL_REFERENCE_EXISTS",
    )
    assert error.metadata.get("existing_id") == first.id
    # Another creditor may use the same reference.
    other = create_creditor(client)
    assert create_claim(client, other.id, debtor.id, reference=reference).id != first.id


# --- lifecycle: FAILED_PRECONDITION -------------------------------------------------------


def assert_precondition(error_type: str, error: object) -> None:
    violations = getattr(error, "precondition_violations")
    assert [v.type for v in violations] == [error_type], violations
    assert violations[0].subject and violations[0].description


@reaches("CLAIM_CLOSED")
def test_closed_claim_accepts_no_change(client: Client, claim: claims_pb2.Claim) -> None:
    closed = client.claims.CloseClaim(close(claim.id, claims_pb2.CLOSURE_KIND_CANCELLED))
    assert closed.state == claims_pb2.CLAIM_STATE_CANCELLED
    assert closed.closure.kind == claims_pb2.CLOSURE_KIND_CANCELLED
    for call in (
        lambda: client.claims.RecordPayment(payment(claim.id, "1.00")),
        lambda: client.claims.OpenDispute(open_dispute(claim.id)),
        lambda: client.claims.EscalateClaim(escalate(claim.id, claims_pb2.CLAIM_STATE_FORMAL_NOTICE)),
        lambda: client.claims.CloseClaim(close(claim.id, claims_pb2.CLOSURE_KIND_WRITTEN_OFF)),
    ):
        error = expect_refusal(call, Code.FAILED_PRECONDITION, "CLAIM_CLOSED")
        assert_precondition("CLAIM_CLOSED", error)
    assert_unchanged(client, closed)


@reaches("CLAIM_ON_HOLD")
def test_open_dispute_holds_escalation(client: Client, claim: claims_pb2.Claim) -> None:
    disputed = client.claims.OpenDispute(open_dispute(claim.id))
    assert list(disputed.holds) == [claims_pb2.HOLD_DISPUTE]
    error = expect_refusal(
        lambda: client.claims.EscalateClaim(escalate(claim.id, claims_pb2.CLAIM_STATE_FORMAL_NOTICE)),
        Code.FAILED_PRECONDITION,
        "CLAIM_ON_HOLD",
    )
    assert_precondition("CLAIM_ON_HOLD", error)
    assert_unchanged(client, disputed)


@reaches("CLAIM_ON_HOLD")
def test_running_promise_holds_escalation(client: Client, claim: claims_pb2.Claim) -> None:
    promised = client.claims.RecordPromiseToPay(promise(claim.id, "300.00"))
    assert list(promised.holds) == [claims_pb2.HOLD_PROMISE_TO_PAY]
    expect_refusal(
        lambda: client.claims.EscalateClaim(escalate(claim.id, claims_pb2.CLAIM_STATE_FORMAL_NOTICE)),
        Code.FAILED_PRECONDITION,
        "CLAIM_ON_HOLD",
    )
    assert_unchanged(client, promised)


@reaches("INVALID_STATE_TRANSITION")
def test_escalation_goes_one_stage_at_a_time(client: Client, claim: claims_pb2.Claim) -> None:
    error = expect_refusal(
        lambda: client.claims.EscalateClaim(escalate(claim.id, claims_pb2.CLAIM_STATE_LEGAL)),
        Code.FAILED_PRECONDITION,
        "INVALID_STATE_TRANSITION",
    )
    assert_precondition("INVALID_STATE_TRANSITION", error)
    notice = client.claims.EscalateClaim(escalate(claim.id, claims_pb2.CLAIM_STATE_FORMAL_NOTICE))
    assert notice.state == claims_pb2.CLAIM_STATE_FORMAL_NOTICE
    expect_refusal(
        lambda: client.claims.EscalateClaim(escalate(claim.id, claims_pb2.CLAIM_STATE_FORMAL_NOTICE)),
        Code.FAILED_PRECONDITION,
        "INVALID_STATE_TRANSITION",
    )
    assert_unchanged(client, notice)


@reaches("OVERPAYMENT")
def test_payment_above_the_balance_is_refused(client: Client, claim: claims_pb2.Claim) -> None:
    error = expect_refusal(
        lambda: client.claims.RecordPayment(payment(claim.id, "1200.01")),
        Code.FAILED_PRECONDITION,
        "OVERPAYMENT",
    )
    assert_precondition("OVERPAYMENT", error)
    assert_unchanged(client, claim)


@reaches("PROMISE_EXCEEDS_BALANCE")
def test_promise_above_the_balance_is_refused(client: Client, claim: claims_pb2.Claim) -> None:
    error = expect_refusal(
        lambda: client.claims.RecordPromiseToPay(promise(claim.id, "1200.01")),
        Code.FAILED_PRECONDITION,
        "PROMISE_EXCEEDS_BALANCE",
    )
    assert_precondition("PROMISE_EXCEEDS_BALANCE", error)
    assert_unchanged(client, claim)


@reaches("DISPUTE_ALREADY_OPEN")
def test_one_dispute_at_a_time(client: Client, claim: claims_pb2.Claim) -> None:
    disputed = client.claims.OpenDispute(open_dispute(claim.id))
    error = expect_refusal(
        lambda: client.claims.OpenDispute(open_dispute(claim.id)),
        Code.FAILED_PRECONDITION,
        "DISPUTE_ALREADY_OPEN",
    )
    assert_precondition("DISPUTE_ALREADY_OPEN", error)
    assert_unchanged(client, disputed)


@reaches("NO_OPEN_DISPUTE")
def test_resolving_without_a_dispute_is_refused(client: Client, claim: claims_pb2.Claim) -> None:
    request = claims_pb2.ResolveDisputeRequest(
        request_id=new_request_id(),
        claim_id=claim.id,
        resolution=claims_pb2.DISPUTE_RESOLUTION_WITHDRAWN,
        note="nothing to resolve",
    )
    error = expect_refusal(
        lambda: client.claims.ResolveDispute(request), Code.FAILED_PRECONDITION, "NO_OPEN_DISPUTE"
    )
    assert_precondition("NO_OPEN_DISPUTE", error)
    assert_unchanged(client, claim)


@reaches("PROMISE_ALREADY_ACTIVE")
def test_one_promise_at_a_time(client: Client, claim: claims_pb2.Claim) -> None:
    promised = client.claims.RecordPromiseToPay(promise(claim.id, "100.00"))
    error = expect_refusal(
        lambda: client.claims.RecordPromiseToPay(promise(claim.id, "50.00", due_in_days=60)),
        Code.FAILED_PRECONDITION,
        "PROMISE_ALREADY_ACTIVE",
    )
    assert_precondition("PROMISE_ALREADY_ACTIVE", error)
    assert_unchanged(client, promised)


@reaches("BALANCE_OUTSTANDING")
def test_closing_as_paid_needs_a_zero_balance(client: Client, claim: claims_pb2.Claim) -> None:
    paid_part = client.claims.RecordPayment(payment(claim.id, "200.00"))
    error = expect_refusal(
        lambda: client.claims.CloseClaim(close(claim.id, claims_pb2.CLOSURE_KIND_PAID)),
        Code.FAILED_PRECONDITION,
        "BALANCE_OUTSTANDING",
    )
    assert_precondition("BALANCE_OUTSTANDING", error)
    assert_unchanged(client, paid_part)


# --- the statement engine ------------------------------------------------------------------


def semester_of(day: datetime.date) -> str:
    return f"{day.year}-S{1 if day.month <= 6 else 2}"


@reaches("RATE_NOT_PUBLISHED")
def test_statement_needing_an_unpublished_rate_is_refused(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """Penalties on an overdue invoice between professionals need each semester's ECB
    reference; no deployment has them up to 2099, and none is ever extrapolated."""
    overdue = create_claim_of(
        client, creditor.id, debtor.id, [dated_invoice("F-1", "1000.00", days(-70), days(-40))]
    )
    far = datetime.date(2099, 12, 31)
    error = expect_refusal(
        lambda: client.statement(overdue.id, far), Code.FAILED_PRECONDITION, "RATE_NOT_PUBLISHED"
    )
    semester = error.metadata.get("semester", "")
    assert re.fullmatch(r"\d{4}-S[12]", semester), error.metadata
    assert error.metadata.get("table") in {"ecb_reference", "legal_interest"}, error.metadata
    # The missing semester is one the penalties run through: from the day after the due date.
    assert semester_of(days(-39)) <= semester <= semester_of(far), error.metadata


@reaches("LIMITATION_EXPIRED")
def test_legal_action_after_the_limitation_deadline_is_refused(
    client: Client, creditor: parties_pb2.Creditor
) -> None:
    """A consumer debt is time-barred 2 years after the service (C. consom. L218-2): formal
    notice is still possible, legal action is not."""
    consumer = create_consumer_debtor(client)
    completed = add_years(today(), -3)
    claim = create_claim_of(
        client,
        creditor.id,
        consumer.id,
        [dated_invoice("F-1", "450.00", completed, completed + datetime.timedelta(days=30))],
    )
    deadline = add_years(completed, 2)
    assert claim.interest_regime == claims_pb2.INTEREST_REGIME_CONSUMER
    assert from_date(claim.limitation_deadline) == deadline

    notice = client.claims.EscalateClaim(escalate(claim.id, claims_pb2.CLAIM_STATE_FORMAL_NOTICE))
    assert notice.state == claims_pb2.CLAIM_STATE_FORMAL_NOTICE
    error = expect_refusal(
        lambda: client.claims.EscalateClaim(escalate(claim.id, claims_pb2.CLAIM_STATE_LEGAL)),
        Code.FAILED_PRECONDITION,
        "LIMITATION_EXPIRED",
    )
    assert error.metadata == {"deadline": deadline.isoformat()}, error.metadata
    assert_unchanged(client, notice)
    assert from_date(get(client, claim.id).limitation_deadline) == deadline


def judgment(pronounced: datetime.date, reference: str) -> claims_pb2.Judgment:
    return claims_pb2.Judgment(
        judgment_date=date(pronounced),
        court="Tribunal de commerce de Lyon",
        reference=reference,
    )


@reaches("FACT_ALREADY_RECORDED")
def test_a_judgment_is_recorded_once(client: Client, claim: claims_pb2.Claim) -> None:
    first = judgment(days(-3), unique("RG"))
    judged = client.claims.RecordJudgment(
        claims_pb2.RecordJudgmentRequest(
            request_id=new_request_id(), claim_id=claim.id, judgment=first
        )
    )
    assert judged.judgment == first
    error = expect_refusal(
        lambda: client.claims.RecordJudgment(
            claims_pb2.RecordJudgmentRequest(
                request_id=new_request_id(),
                claim_id=claim.id,
                judgment=judgment(days(-2), unique("RG")),
            )
        ),
        Code.FAILED_PRECONDITION,
        "FACT_ALREADY_RECORDED",
    )
    assert_precondition("FACT_ALREADY_RECORDED", error)
    assert_unchanged(client, judged)
    assert get(client, claim.id).judgment == first


def formal_notice(sent: datetime.date, received: datetime.date) -> claims_pb2.FormalNoticeDelivery:
    return claims_pb2.FormalNoticeDelivery(
        sent_date=date(sent), receipt_date=date(received), tracking_number=unique("1A")
    )


@reaches("FACT_ALREADY_RECORDED")
def test_a_formal_notice_delivery_is_recorded_once(client: Client, claim: claims_pb2.Claim) -> None:
    first = formal_notice(days(-6), days(-4))
    delivered = client.claims.RecordFormalNoticeDelivery(
        claims_pb2.RecordFormalNoticeDeliveryRequest(
            request_id=new_request_id(), claim_id=claim.id, delivery=first
        )
    )
    assert delivered.formal_notice == first
    error = expect_refusal(
        lambda: client.claims.RecordFormalNoticeDelivery(
            claims_pb2.RecordFormalNoticeDeliveryRequest(
                request_id=new_request_id(),
                claim_id=claim.id,
                delivery=formal_notice(days(-3), days(-2)),
            )
        ),
        Code.FAILED_PRECONDITION,
        "FACT_ALREADY_RECORDED",
    )
    assert_precondition("FACT_ALREADY_RECORDED", error)
    assert_unchanged(client, delivered)
    assert get(client, claim.id).formal_notice == first


def recovery_cost(claim_id: str, amount: str = "120.00") -> claims_pb2.RecordRecoveryCostRequest:
    return claims_pb2.RecordRecoveryCostRequest(
        request_id=new_request_id(),
        claim_id=claim_id,
        cost=claims_pb2.RecoveryCost(
            invoice_number="F-0001",
            amount=money(amount),
            incurred_date=date(days(-2)),
            proof=unique("Facture du cabinet de recouvrement"),
        ),
    )


@reaches("RECOVERY_COSTS_NOT_ALLOWED")
def test_recovery_costs_are_never_charged_to_a_consumer(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    consumer_claim = create_claim(client, creditor.id, create_consumer_debtor(client).id)
    assert consumer_claim.interest_regime == claims_pb2.INTEREST_REGIME_CONSUMER
    error = expect_refusal(
        lambda: client.claims.RecordRecoveryCost(recovery_cost(consumer_claim.id)),
        Code.FAILED_PRECONDITION,
        "RECOVERY_COSTS_NOT_ALLOWED",
    )
    assert_precondition("RECOVERY_COSTS_NOT_ALLOWED", error)
    assert_unchanged(client, consumer_claim)
    assert list(get(client, consumer_claim.id).recovery_costs) == []

    # Between professionals the same request is recorded (L441-10 II).
    business_claim = create_claim(client, creditor.id, debtor.id)
    assert business_claim.interest_regime == claims_pb2.INTEREST_REGIME_COMMERCIAL
    request = recovery_cost(business_claim.id)
    recorded = client.claims.RecordRecoveryCost(request)
    assert list(recorded.recovery_costs) == [request.cost]
