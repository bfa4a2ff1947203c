"""Create, read and list creditors, debtors and claims; a claim's life; its event chain."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal

from google.protobuf import field_mask_pb2
from recouvre_client import (
    Client,
    amount_of,
    claims_pb2,
    date,
    from_date,
    money,
    new_request_id,
    parties_pb2,
)
from support import (
    business_debtor_message,
    create_claim,
    creditor_message,
    days,
    invoice,
    list_all_claims,
    payment,
    unique,
)


def test_creditor_round_trip(client: Client) -> None:
    sent = creditor_message(siren="552 100 554", iban="FR76 3000 6000 0112 3456 7890 189")
    created = client.creditors.CreateCreditor(
        parties_pb2.CreateCreditorRequest(request_id=new_request_id(), creditor=sent)
    )
    assert created.id and created.etag and created.HasField("create_time")
    assert created.legal_name == sent.legal_name
    assert created.siren == "552100554", "spaces are removed"
    assert created.iban == "FR7630006000011234567890189"
    assert created.address == sent.address
    assert client.creditors.GetCreditor(parties_pb2.GetCreditorRequest(id=created.id)) == created

    updated = client.creditors.UpdateCreditor(
        parties_pb2.UpdateCreditorRequest(
            request_id=new_request_id(),
            creditor=parties_pb2.Creditor(id=created.id, etag=created.etag, contact_email="new@acme.fr"),
            update_mask=field_mask_pb2.FieldMask(paths=["contact_email"]),
        )
    )
    assert updated.contact_email == "new@acme.fr"
    assert updated.legal_name == created.legal_name, "fields outside the mask are kept"
    assert updated.etag != created.etag
    assert client.creditors.GetCreditor(parties_pb2.GetCreditorRequest(id=created.id)) == updated


def test_debtor_round_trip(client: Client) -> None:
    sent = business_debtor_message()
    created = client.debtors.CreateDebtor(
        parties_pb2.CreateDebtorRequest(request_id=new_request_id(), debtor=sent)
    )
    assert created.id and created.etag
    assert (created.kind, created.legal_name, created.siren) == (
        sent.kind,
        sent.legal_name,
        sent.siren,
    )
    assert list(created.addresses) == list(sent.addresses)
    assert client.debtors.GetDebtor(parties_pb2.GetDebtorRequest(id=created.id)) == created
    consumer = client.debtors.CreateDebtor(
        parties_pb2.CreateDebtorRequest(
            request_id=new_request_id(),
            debtor=parties_pb2.Debtor(
                kind=parties_pb2.DEBTOR_KIND_CONSUMER,
                given_name="Marie",
                family_name=unique("Martin"),
                addresses=list(sent.addresses),
            ),
        )
    )
    assert consumer.kind == parties_pb2.DEBTOR_KIND_CONSUMER
    assert consumer.language_code == "fr", "letters default to French"


def test_claim_round_trip_keeps_money_exact(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    sent = claims_pb2.Claim(
        creditor_id=creditor.id,
        debtor_id=debtor.id,
        external_reference=unique("DUNNING"),
        currency_code="EUR",
        invoices=[invoice("F-1", "0.10"), invoice("F-2", "0.20"), invoice("F-3", "1199.70")],
    )
    created = client.claims.CreateClaim(
        claims_pb2.CreateClaimRequest(request_id=new_request_id(), claim=sent)
    )
    assert created.state == claims_pb2.CLAIM_STATE_AMICABLE
    assert created.principal_total == money("1200.00")
    assert created.paid_total == money("0.00")
    assert created.balance == money("1200.00")
    assert created.event_count == 1
    assert [i.number for i in created.invoices] == ["F-1", "F-2", "F-3"]
    assert [amount_of(i.amount) for i in created.invoices] == [
        Decimal("0.10"),
        Decimal("0.20"),
        Decimal("1199.70"),
    ]
    assert from_date(created.invoices[0].issue_date) == days(-10)
    assert (created.creditor_id, created.debtor_id, created.external_reference) == (
        creditor.id,
        debtor.id,
        sent.external_reference,
    )
    assert client.claims.GetClaim(claims_pb2.GetClaimRequest(id=created.id)) == created
    assert [c.id for c in list_all_claims(client, creditor_id=creditor.id)] == [created.id]


def test_claim_lifecycle(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    paid = client.claims.RecordPayment(payment(claim.id, "200.00"))
    assert (paid.paid_total, paid.balance) == (money("200.00"), money("1000.00"))

    disputed = client.claims.OpenDispute(
        claims_pb2.OpenDisputeRequest(request_id=new_request_id(), claim_id=claim.id, reason="quality")
    )
    assert list(disputed.holds) == [claims_pb2.HOLD_DISPUTE]
    assert disputed.dispute.reason == "quality"
    resolved = client.claims.ResolveDispute(
        claims_pb2.ResolveDisputeRequest(
            request_id=new_request_id(),
            claim_id=claim.id,
            resolution=claims_pb2.DISPUTE_RESOLUTION_CREDITOR_UPHELD,
            note="delivery note signed",
        )
    )
    assert list(resolved.holds) == [] and not resolved.HasField("dispute")

    notice = client.claims.EscalateClaim(
        claims_pb2.EscalateClaimRequest(
            request_id=new_request_id(),
            claim_id=claim.id,
            etag=resolved.etag,
            target_state=claims_pb2.CLAIM_STATE_FORMAL_NOTICE,
        )
    )
    assert notice.state == claims_pb2.CLAIM_STATE_FORMAL_NOTICE
    assert notice.HasField("next_action_time"), "the formal notice's deadline is scheduled"

    promised = client.claims.RecordPromiseToPay(
        claims_pb2.RecordPromiseToPayRequest(
            request_id=new_request_id(),
            claim_id=claim.id,
            amount=money("400.00"),
            due_date=date(days(20)),
        )
    )
    assert list(promised.holds) == [claims_pb2.HOLD_PROMISE_TO_PAY]
    assert promised.promise.amount == money("400.00") and not promised.promise.broken
    kept = client.claims.RecordPayment(payment(claim.id, "400.00"))
    assert not kept.HasField("promise"), "a promise paid in full is kept and ends"
    assert list(kept.holds) == []

    legal = client.claims.EscalateClaim(
        claims_pb2.EscalateClaimRequest(
            request_id=new_request_id(), claim_id=claim.id, target_state=claims_pb2.CLAIM_STATE_LEGAL
        )
    )
    assert legal.state == claims_pb2.CLAIM_STATE_LEGAL
    closed = client.claims.RecordPayment(payment(claim.id, "600.00"))
    assert closed.state == claims_pb2.CLAIM_STATE_PAID
    assert closed.balance == money("0.00")
    assert closed.closure.kind == claims_pb2.CLOSURE_KIND_PAID
    assert not closed.HasField("next_action_time")

    kinds = [
        e.kind
        for e in client.claims.ListClaimEvents(
            claims_pb2.ListClaimEventsRequest(claim_id=claim.id)
        ).events
    ]
    K = claims_pb2
    assert kinds == [
        K.CLAIM_EVENT_KIND_CLAIM_CREATED,
        K.CLAIM_EVENT_KIND_PAYMENT_RECORDED,
        K.CLAIM_EVENT_KIND_DISPUTE_OPENED,
        K.CLAIM_EVENT_KIND_DISPUTE_RESOLVED,
        K.CLAIM_EVENT_KIND_ESCALATED,
        K.CLAIM_EVENT_KIND_PROMISE_RECORDED,
        K.CLAIM_EVENT_KIND_PAYMENT_RECORDED,
        K.CLAIM_EVENT_KIND_PROMISE_KEPT,
        K.CLAIM_EVENT_KIND_ESCALATED,
        K.CLAIM_EVENT_KIND_PAYMENT_RECORDED,
        K.CLAIM_EVENT_KIND_CLAIM_CLOSED,
    ]
    assert closed.event_count == len(kinds)


def rfc3339_micros(seconds: int, nanos: int) -> str:
    at = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos // 1000:06d}Z"


def test_event_chain_can_be_recomputed_by_the_client(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """The hash chain as claims.proto describes it, recomputed here independently."""
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00", "34.56"])
    client.claims.RecordPayment(payment(claim.id, "0.56"))
    client.claims.RecordContact(
        claims_pb2.RecordContactRequest(
            request_id=new_request_id(),
            claim_id=claim.id,
            channel=claims_pb2.CONTACT_CHANNEL_LETTER,
            direction=claims_pb2.CONTACT_DIRECTION_OUTBOUND,
            outcome=claims_pb2.CONTACT_OUTCOME_SENT,
            note="Relance n°1 — « dernier avis »",
        )
    )
    events = client.claims.ListClaimEvents(
        claims_pb2.ListClaimEventsRequest(claim_id=claim.id)
    ).events
    previous = bytes(32)
    for event in events:
        content = {
            "actor": event.actor,
            "claim_id": event.claim_id,
            "kind": event.kind_name,
            "occurred_at": rfc3339_micros(event.occur_time.seconds, event.occur_time.nanos),
            "payload": json.loads(event.payload_json),
            "seq": event.sequence,
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert event.previous_hash == previous.hex()
        assert hashlib.sha256(previous + canonical.encode()).hexdigest() == event.hash, event
        previous = bytes.fromhex(event.hash)
    assert [e.kind_name for e in events] == ["claim_created", "payment_recorded", "contact_recorded"]
    report = client.claims.VerifyClaimEvents(claims_pb2.VerifyClaimEventsRequest(claim_id=claim.id))
    assert report.intact
    assert report.event_count == len(events)
    assert report.head_hash == events[-1].hash
