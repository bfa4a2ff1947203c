"""Listings page by page: stable order, nothing skipped, nothing repeated — also while other
clients insert."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
from recouvre_client import Client, claims_pb2, parties_pb2
from support import create_claim, create_debtor, list_all_claims, payment

Code = grpc.StatusCode


def by_id(ids: list[str]) -> list[str]:
    """`ids` in the listings' order: by UUID (time-ordered UUIDv7, so creation order)."""
    return sorted(ids, key=uuid.UUID)


def test_listing_by_creditor_returns_its_claims_in_creation_order(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    created = [create_claim(client, creditor.id, debtor.id).id for _ in range(7)]
    pages: list[list[str]] = []
    token = ""
    while True:
        page = client.claims.ListClaims(
            claims_pb2.ListClaimsRequest(page_size=3, page_token=token, creditor_id=creditor.id)
        )
        pages.append([c.id for c in page.claims])
        token = page.next_page_token
        if not token:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == by_id(created)


def test_filters_combine(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    other_debtor = create_debtor(client)
    a = create_claim(client, creditor.id, debtor.id, ["100.00"])
    b = create_claim(client, creditor.id, other_debtor.id, ["100.00"])
    c = create_claim(client, creditor.id, debtor.id, ["100.00"])
    client.claims.RecordPayment(payment(c.id, "100.00"))  # paid in full: PAID

    def ids(claims: list[claims_pb2.Claim]) -> list[str]:
        return [x.id for x in claims]

    assert ids(list_all_claims(client, creditor_id=creditor.id)) == by_id([a.id, b.id, c.id])
    assert ids(list_all_claims(client, creditor_id=creditor.id, debtor_id=debtor.id)) == by_id(
        [a.id, c.id]
    )
    assert ids(
        list_all_claims(client, creditor_id=creditor.id, state=claims_pb2.CLAIM_STATE_PAID)
    ) == [c.id]
    assert ids(
        list_all_claims(
            client,
            creditor_id=creditor.id,
            debtor_id=other_debtor.id,
            state=claims_pb2.CLAIM_STATE_AMICABLE,
        )
    ) == [b.id]


def test_paging_under_concurrent_inserts_neither_skips_nor_repeats(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """Every claim that existed when the listing began is returned exactly once, however many
    claims other clients insert meanwhile; no id is returned twice; the order holds."""
    with ThreadPoolExecutor(4) as pool:
        before = list(pool.map(lambda _: create_claim(client, creditor.id, debtor.id).id, range(24)))
    stop = threading.Event()
    inserted: list[str] = []
    lock = threading.Lock()

    def insert_until_stopped() -> None:
        for _ in range(40):  # bounded whatever happens
            if stop.is_set():
                return
            claim_id = create_claim(client, creditor.id, debtor.id).id
            with lock:
                inserted.append(claim_id)

    seen: list[str] = []
    with ThreadPoolExecutor(3) as writers:
        running = [writers.submit(insert_until_stopped) for _ in range(3)]
        try:
            token = ""
            while True:
                page = client.claims.ListClaims(
                    claims_pb2.ListClaimsRequest(
                        page_size=4, page_token=token, creditor_id=creditor.id
                    )
                )
                seen.extend(c.id for c in page.claims)
                token = page.next_page_token
                if not token:
                    break
                # Whatever the threads' timing, at least one insert lands between two pages.
                claim_id = create_claim(client, creditor.id, debtor.id).id
                with lock:
                    inserted.append(claim_id)
        finally:
            stop.set()
            for future in running:
                future.result()

    assert len(seen) == len(set(seen)), "an id was returned twice"
    missing = set(before) - set(seen)
    assert not missing, f"claims existing before the listing were skipped: {missing}"
    assert seen == by_id(seen), "the listing is not in id order"
    assert set(seen) <= set(before) | set(inserted), "the listing returned a foreign claim"
    assert len(inserted) >= 6  # the listing really ran while claims were inserted


def test_claim_events_page_in_sequence(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    claim = create_claim(client, creditor.id, debtor.id, ["1000.00"])
    for _ in range(4):
        client.claims.RecordPayment(payment(claim.id, "10.00"))
    sequences: list[int] = []
    token = ""
    while True:
        page = client.claims.ListClaimEvents(
            claims_pb2.ListClaimEventsRequest(claim_id=claim.id, page_size=2, page_token=token)
        )
        assert len(page.events) <= 2
        sequences.extend(e.sequence for e in page.events)
        token = page.next_page_token
        if not token:
            break
    assert sequences == [1, 2, 3, 4, 5]
