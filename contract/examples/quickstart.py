#!/usr/bin/env python3
"""The README's walk-through, in Python: a creditor, a debtor, a claim, a payment, its replay,
the timeline, and a refusal read machine-readably.

    RECOUVRE_ADDR=127.0.0.1:50051 RECOUVRE_API_KEY=rcv_… contract/.venv/bin/python contract/examples/quickstart.py

The key must have the admin role (creating a creditor needs it). Every run creates new
records: request ids are fresh UUIDs, and the external reference carries the run's id.
"""

from __future__ import annotations

import datetime
import os
import sys
from decimal import Decimal
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # contract/: recouvre_client

from recouvre_client import (  # noqa: E402
    amount_of,
    claims_pb2,
    common_pb2,
    connect,
    date,
    error_details,
    money,
    new_request_id,
    parties_pb2,
)


def main() -> int:
    addr = os.environ.get("RECOUVRE_ADDR", "127.0.0.1:50051")
    api_key = os.environ.get("RECOUVRE_API_KEY")
    if not api_key:
        print("set RECOUVRE_API_KEY (an admin key) and RECOUVRE_ADDR", file=sys.stderr)
        return 2
    run = new_request_id()[:8]

    with connect(addr, api_key) as api:
        # A creditor and a debtor.
        creditor = api.creditors.CreateCreditor(
            parties_pb2.CreateCreditorRequest(
                request_id=new_request_id(),
                creditor=parties_pb2.Creditor(
                    legal_name="ACME Fournitures SAS",
                    legal_form="SAS",
                    siren="552100554",
                    iban="FR7630006000011234567890189",
                    address=common_pb2.PostalAddress(
                        address_lines=["12 rue de la Paix"],
                        postal_code="75002",
                        locality="Paris",
                        region_code="FR",
                    ),
                ),
            )
        )
        debtor = api.debtors.CreateDebtor(
            parties_pb2.CreateDebtorRequest(
                request_id=new_request_id(),
                debtor=parties_pb2.Debtor(
                    kind=parties_pb2.DEBTOR_KIND_BUSINESS,
                    legal_name="Dupont Bâtiment SARL",
                    siren="732829320",
                    addresses=[
                        common_pb2.PostalAddress(
                            address_lines=["2 avenue Foch"],
                            postal_code="69006",
                            locality="Lyon",
                            region_code="FR",
                        )
                    ],
                ),
            )
        )
        print(f"creditor {creditor.id}, debtor {debtor.id}")

        # An unpaid invoice handed over as a claim.
        claim = api.claims.CreateClaim(
            claims_pb2.CreateClaimRequest(
                request_id=new_request_id(),
                claim=claims_pb2.Claim(
                    creditor_id=creditor.id,
                    debtor_id=debtor.id,
                    external_reference=f"DUNNING-2026-0042-{run}",
                    currency_code="EUR",
                    invoices=[
                        claims_pb2.Invoice(
                            number="F-2026-0042",
                            issue_date=date(datetime.date(2026, 9, 1)),
                            service_completion_date=date(datetime.date(2026, 8, 31)),
                            due_date=date(datetime.date(2026, 10, 1)),
                            amount=money("1200.00"),
                        )
                    ],
                ),
            )
        )
        claim = api.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim.id))
        print(f"claim {claim.id}: {claims_pb2.ClaimState.Name(claim.state)}, "
              f"balance {amount_of(claim.balance)} {claim.balance.currency_code}")

        # A partial payment. Keep the request to retry it: a retry answers the first result
        # and records nothing.
        pay = claims_pb2.RecordPaymentRequest(
            request_id=new_request_id(),
            claim_id=claim.id,
            amount=money("200.00"),
            value_date=date(datetime.date(2026, 11, 2)),
            method=claims_pb2.PAYMENT_METHOD_BANK_TRANSFER,
            reference="VIR 8812",
        )
        paid = api.claims.RecordPayment(pay)
        retried = api.claims.RecordPayment(pay)
        assert retried == paid and amount_of(paid.balance) == Decimal("1000.00")
        print(f"paid {amount_of(paid.paid_total)}, balance {amount_of(paid.balance)} "
              "(the retry changed nothing)")

        # The timeline and its hash chain.
        events = api.claims.ListClaimEvents(claims_pb2.ListClaimEventsRequest(claim_id=claim.id))
        for event in events.events:
            print(f"  #{event.sequence} {event.kind_name} {event.hash[:16]}…")
        report = api.claims.VerifyClaimEvents(
            claims_pb2.VerifyClaimEventsRequest(claim_id=claim.id)
        )
        print(f"chain intact: {report.intact} ({report.event_count} events)")

        # A refused move says why, machine-readably.
        try:
            api.claims.EscalateClaim(
                claims_pb2.EscalateClaimRequest(
                    request_id=new_request_id(),
                    claim_id=claim.id,
                    target_state=claims_pb2.CLAIM_STATE_LEGAL,
                )
            )
        except grpc.RpcError as error:
            refusal = error_details(error)
            print(f"refused: {refusal.code.name} {refusal.reason} — {refusal.message}")
            for violation in refusal.precondition_violations:
                print(f"  precondition {violation.type} on {violation.subject}")
        else:
            print("the escalation was not refused", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
