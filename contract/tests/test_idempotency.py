"""Request ids (AIP-155) and etags: a retry returns the first answer and applies nothing; the
same id with other content is refused; a stale etag is refused with ABORTED."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import grpc
from google.protobuf import field_mask_pb2
from recouvre_client import (
    Client,
    access_pb2,
    amount_of,
    claims_pb2,
    date,
    error_details,
    new_request_id,
    parties_pb2,
)
from support import (
    claim_message,
    create_claim,
    creditor_message,
    days,
    expect_refusal,
    list_all_claims,
    payment,
    reaches,
    unique,
)

Code = grpc.StatusCode


def get(client: Client, claim_id: str) -> claims_pb2.Claim:
    return client.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim_id))


def contact(claim_id: str, etag: str = "") -> claims_pb2.RecordContactRequest:
    return claims_pb2.RecordContactRequest(
        request_id=new_request_id(),
        claim_id=claim_id,
        etag=etag,
        channel=claims_pb2.CONTACT_CHANNEL_PHONE,
        direction=claims_pb2.CONTACT_DIRECTION_OUTBOUND,
        outcome=claims_pb2.CONTACT_OUTCOME_NO_ANSWER,
        note="contract test",
    )


# --- replays ------------------------------------------------------------------------------


def test_create_claim_replay_returns_the_first_claim_once(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    request = claims_pb2.CreateClaimRequest(
        request_id=new_request_id(), claim=claim_message(creditor.id, debtor.id)
    )
    first = client.claims.CreateClaim(request)
    again = client.claims.CreateClaim(request)
    assert again == first
    assert [c.id for c in list_all_claims(client, creditor_id=creditor.id)] == [first.id]


def test_payment_replay_returns_the_first_answer_and_applies_once(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    request = payment(claim.id, "200.00")
    first = client.claims.RecordPayment(request)
    assert amount_of(first.balance) == Decimal("1000.00")
    # Something else happens to the claim; the retry still gets the first answer.
    client.claims.RecordContact(contact(claim.id))
    assert client.claims.RecordPayment(request) == first
    now = get(client, claim.id)
    assert amount_of(now.paid_total) == Decimal("200.00")
    assert now.event_count == first.event_count + 1  # the contact, no second payment


def test_judgment_replay_returns_the_first_answer(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """A judgment is recorded once (FACT_ALREADY_RECORDED), but a retry of the request that
    recorded it is not a second judgment: it gets the first answer."""
    claim = create_claim(client, creditor.id, debtor.id)
    request = claims_pb2.RecordJudgmentRequest(
        request_id=new_request_id(),
        claim_id=claim.id,
        judgment=claims_pb2.Judgment(
            judgment_date=date(days(-3)), court="Tribunal de commerce de Paris", reference=unique("RG")
        ),
    )
    first = client.claims.RecordJudgment(request)
    client.claims.RecordContact(contact(claim.id))
    assert client.claims.RecordJudgment(request) == first
    assert get(client, claim.id).event_count == first.event_count + 1  # the contact only


def test_concurrent_retries_apply_once(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """A client that times out and retries while the first attempt still runs: every attempt
    gets the same answer, and the payment is recorded once."""
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    request = payment(claim.id, "100.00")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.claims.RecordPayment(request), range(8)))
    assert all(a == answers[0] for a in answers)
    now = get(client, claim.id)
    assert amount_of(now.paid_total) == Decimal("100.00")
    assert now.event_count == 2


def test_concurrent_distinct_mutations_all_apply(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """Concurrent changes of one claim under distinct request ids all apply, none is lost. A
    CONCURRENT_UPDATE (ABORTED) answer is documented as retryable with the same request id."""
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    count = 24

    def pay(_: int) -> claims_pb2.Claim:
        request = payment(claim.id, "1.00")
        for _attempt in range(5):
            try:
                return client.claims.RecordPayment(request)
            except grpc.RpcError as error:
                if error_details(error).reason != "CONCURRENT_UPDATE":
                    raise
        raise AssertionError("still CONCURRENT_UPDATE after 5 retries")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(pay, range(count)))
    assert len({a.event_count for a in answers}) == count  # each saw its own new event
    now = get(client, claim.id)
    assert amount_of(now.paid_total) == Decimal(count)
    assert now.event_count == 1 + count


def test_api_key_replay_does_not_show_the_token_again(client: Client) -> None:
    request = access_pb2.CreateApiKeyRequest(
        request_id=new_request_id(),
        api_key=access_pb2.ApiKey(role=access_pb2.ROLE_LEGAL, label=unique("contract replay")),
    )
    first = client.api_keys.CreateApiKey(request)
    try:
        assert first.token.startswith("rcv_")
        again = client.api_keys.CreateApiKey(request)
        assert again.id == first.id
        assert again.token == ""
    finally:
        client.api_keys.RevokeApiKey(
            access_pb2.RevokeApiKeyRequest(request_id=new_request_id(), id=first.id)
        )


# --- REQUEST_ID_REUSED --------------------------------------------------------------------


@reaches("REQUEST_ID_REUSED")
def test_same_request_id_with_other_content_is_refused(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    request = payment(claim.id, "10.00")
    first = client.claims.RecordPayment(request)
    changed = claims_pb2.RecordPaymentRequest()
    changed.CopyFrom(request)
    changed.amount.amount = "11.00"
    error = expect_refusal(
        lambda: client.claims.RecordPayment(changed), Code.INVALID_ARGUMENT, "REQUEST_ID_REUSED"
    )
    assert error.fields == ["request_id"]
    assert get(client, claim.id).etag == first.etag


@reaches("REQUEST_ID_REUSED")
def test_same_request_id_on_another_method_is_refused(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    request = payment(claim.id, "10.00")
    client.claims.RecordPayment(request)
    reused = contact(claim.id)
    reused.request_id = request.request_id
    expect_refusal(
        lambda: client.claims.RecordContact(reused), Code.INVALID_ARGUMENT, "REQUEST_ID_REUSED"
    )
    creditor_request = parties_pb2.CreateCreditorRequest(
        request_id=request.request_id, creditor=creditor_message()
    )
    expect_refusal(
        lambda: client.creditors.CreateCreditor(creditor_request),
        Code.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
    )


# --- ETAG_MISMATCH ------------------------------------------------------------------------


@reaches("ETAG_MISMATCH")
def test_stale_claim_etag_is_aborted(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00"])
    changed = client.claims.RecordContact(contact(claim.id, etag=claim.etag))  # current: accepted
    assert changed.etag != claim.etag
    error = expect_refusal(
        lambda: client.claims.RecordPayment(payment(claim.id, "5.00", etag=claim.etag)),
        Code.ABORTED,
        "ETAG_MISMATCH",
    )
    assert error.metadata.get("current_etag") == changed.etag
    assert get(client, claim.id) == changed
    # Read again, retry with the current etag: accepted.
    paid = client.claims.RecordPayment(payment(claim.id, "5.00", etag=changed.etag))
    assert amount_of(paid.paid_total) == Decimal("5.00")


@reaches("ETAG_MISMATCH")
def test_stale_creditor_and_debtor_etags_are_aborted(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    renamed = client.creditors.UpdateCreditor(
        parties_pb2.UpdateCreditorRequest(
            request_id=new_request_id(),
            creditor=parties_pb2.Creditor(id=creditor.id, etag=creditor.etag, legal_name=unique("Renamed SAS")),
            update_mask=field_mask_pb2.FieldMask(paths=["legal_name"]),
        )
    )
    assert renamed.etag != creditor.etag
    stale = parties_pb2.UpdateCreditorRequest(
        request_id=new_request_id(),
        creditor=parties_pb2.Creditor(id=creditor.id, etag=creditor.etag, legal_name="Lost Update SAS"),
        update_mask=field_mask_pb2.FieldMask(paths=["legal_name"]),
    )
    error = expect_refusal(
        lambda: client.creditors.UpdateCreditor(stale), Code.ABORTED, "ETAG_MISMATCH"
    )
    assert error.metadata.get("current_etag") == renamed.etag
    assert (
        client.creditors.GetCreditor(parties_pb2.GetCreditorRequest(id=creditor.id)).legal_name
        == renamed.legal_name
    )

    updated = client.debtors.UpdateDebtor(
        parties_pb2.UpdateDebtorRequest(
            request_id=new_request_id(),
            debtor=parties_pb2.Debtor(id=debtor.id, etag=debtor.etag, emails=["new@dupont.fr"]),
            update_mask=field_mask_pb2.FieldMask(paths=["emails"]),
        )
    )
    stale_debtor = parties_pb2.UpdateDebtorRequest(
        request_id=new_request_id(),
        debtor=parties_pb2.Debtor(id=debtor.id, etag=debtor.etag, emails=["lost@dupont.fr"]),
        update_mask=field_mask_pb2.FieldMask(paths=["emails"]),
    )
    error = expect_refusal(
        lambda: client.debtors.UpdateDebtor(stale_debtor), Code.ABORTED, "ETAG_MISMATCH"
    )
    assert error.metadata.get("current_etag") == updated.etag
    assert list(
        client.debtors.GetDebtor(parties_pb2.GetDebtorRequest(id=debtor.id)).emails
    ) == ["new@dupont.fr"]
