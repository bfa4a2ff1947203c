"""The statement engine from outside: the reference rates, the décompte (interest segments,
indemnity, totals), payment imputation and limitation deadlines.

Deployment-independent: the suite runs on today's date against servers whose rate tables may
be more complete than the shipped ones. So arithmetic is checked on a past period whose rates
are published for good (2025-S1), and what runs up to today only on invoices not yet due
(nothing accrues) or on consumer claims without a formal notice (no interest runs).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Callable

import grpc
from recouvre_client import (
    Client,
    add_years,
    amount_of,
    claims_pb2,
    date,
    error_details,
    from_date,
    money,
    new_request_id,
    parties_pb2,
)
from support import (
    create_claim,
    create_claim_of,
    create_consumer_debtor,
    dated_invoice,
    days,
    payment,
    today,
)

ZERO = money("0.00")


def semesters(first: tuple[int, int], last: tuple[int, int]) -> list[str]:
    """Semester names ("2015-S1", "2015-S2", …) from `first` to `last` (year, half),
    inclusive."""
    out = []
    year, half = first
    while (year, half) <= last:
        out.append(f"{year}-S{half}")
        year, half = (year, 2) if half == 1 else (year + 1, 1)
    return out


def ecb_in_force(table: claims_pb2.ListRatesResponse, day: datetime.date) -> Decimal:
    """The ECB rate in force on `day`: that of the last row effective on or before it."""
    rows = [r for r in table.ecb_rates if from_date(r.effective_date) <= day]
    assert rows, f"no ECB row on or before {day}"
    return Decimal(rows[-1].rate)


def within_a_day_of_today(day: datetime.date) -> bool:
    """The server counts days in France; this machine may be in another time zone."""
    return abs((day - today()).days) <= 1


def test_rates_are_listed_with_their_sources(
    client: Client, as_role: Callable[[str], Client]
) -> None:
    table = client.rates.ListRates(claims_pb2.ListRatesRequest())
    assert as_role("agent").rates.ListRates(claims_pb2.ListRatesRequest()) == table

    effective = [from_date(r.effective_date) for r in table.ecb_rates]
    assert effective and effective == sorted(set(effective)), "by effective date, once each"
    assert effective[0] <= datetime.date(2015, 1, 1), "the ECB table covers 2015 onwards"
    for row in table.ecb_rates:
        assert row.source.strip(), row
        Decimal(row.rate)  # a decimal string
    # The ECB reference of 2025-S1 (its rate on 1 January 2025) fixes the B2B penalty rate.
    assert ecb_in_force(table, datetime.date(2025, 1, 1)) == Decimal("3.15")

    legal = {r.semester: r for r in table.legal_interest_rates}
    listed = [r.semester for r in table.legal_interest_rates]
    assert listed == sorted(listed) and len(listed) == len(legal), "by semester, once each"
    missing = sorted(set(semesters((2015, 1), (2026, 1))) - set(legal))
    assert not missing, f"legal interest rates missing for {missing}"
    for row in table.legal_interest_rates:
        assert row.source.strip(), row
        assert Decimal(row.individual_rate) and Decimal(row.other_rate), row
    s1 = legal["2026-S1"]
    assert (Decimal(s1.individual_rate), Decimal(s1.other_rate)) == (
        Decimal("6.67"),
        Decimal("2.62"),
    ), s1


def test_statement_of_a_claim_not_yet_due(
    client: Client,
    as_role: Callable[[str], Client],
    creditor: parties_pb2.Creditor,
    debtor: parties_pb2.Debtor,
) -> None:
    """Nothing accrues before the due date: what is owed is the principal."""
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00", "34.56"])
    assert claim.interest_regime == claims_pb2.INTEREST_REGIME_COMMERCIAL
    completed = days(-11)  # support.invoice's service completion
    deadline = add_years(completed, 5)  # L110-4 between professionals

    statement = client.statement(claim.id)
    assert statement.claim_id == claim.id
    assert within_a_day_of_today(from_date(statement.as_of)), statement.as_of
    assert statement.interest_regime == claims_pb2.INTEREST_REGIME_COMMERCIAL
    assert statement.conventions_text
    assert [i.number for i in statement.invoices] == ["F-0001", "F-0002"]
    for line, principal in zip(statement.invoices, ["1200.00", "34.56"]):
        assert line.principal == money(principal)
        assert list(line.segments) == [], line
        if line.HasField("interest_from"):  # the day penalties will run from
            assert from_date(line.interest_from) >= from_date(line.due_date), line
        assert (line.interest, line.fixed_indemnity) == (ZERO, ZERO)
        assert line.balance == money(principal)
        assert line.limitation.years == 5
        assert from_date(line.limitation.start_date) == completed
        assert not line.limitation.counted_from_invoice_date
        assert from_date(line.limitation.deadline) == deadline
        assert not line.limitation.expired
    totals = statement.totals
    assert (totals.principal, totals.owed, totals.outstanding_principal) == (
        money("1234.56"),
        money("1234.56"),
        money("1234.56"),
    )
    assert (totals.interest, totals.fixed_indemnities, totals.paid) == (ZERO, ZERO, ZERO)
    assert from_date(statement.limitation_deadline) == deadline

    # The claim says the same, and any role reads the statement.
    got = client.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim.id))
    assert got.amount_owed == money("1234.56") and not got.amount_owed_unavailable
    assert within_a_day_of_today(from_date(got.amount_owed_date))
    assert from_date(got.limitation_deadline) == deadline
    assert as_role("legal").statement(claim.id).totals == totals


def test_late_payment_penalties_between_professionals(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """L441-10 II: from the day after the due date, ECB reference + 10 points on the amount
    including VAT, actual days / 365; D441-5: €40 per late invoice."""
    claim = create_claim_of(
        client,
        creditor.id,
        debtor.id,
        [dated_invoice("F-1", "1000.00", datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))],
    )
    assert from_date(claim.limitation_deadline) == datetime.date(2030, 1, 1)
    statement = client.statement(claim.id, datetime.date(2025, 6, 30))
    assert from_date(statement.as_of) == datetime.date(2025, 6, 30)
    assert statement.conventions.day_count == claims_pb2.DAY_COUNT_ACT_365_FIXED
    [line] = statement.invoices
    # Interest runs from the due date; by default that day is not counted, the last one is.
    assert from_date(line.interest_from) == datetime.date(2025, 1, 31)
    [segment] = line.segments
    assert (from_date(segment.first_day), from_date(segment.last_day), segment.days) == (
        datetime.date(2025, 2, 1),
        datetime.date(2025, 6, 30),
        150,
    )
    assert segment.base == money("1000.00")
    assert Decimal(segment.rate) == Decimal("13.15"), segment
    assert (segment.basis, Decimal(segment.ecb_rate), segment.semester) == (
        "ecb_plus_ten",
        Decimal("3.15"),
        "2025-S1",
    )
    assert "L441-10" in segment.legal_basis, segment.legal_basis
    # 1000 × 13.15 % × 150 / 365 = 54.0410…
    assert segment.amount == money("54.04")
    assert (line.interest, line.fixed_indemnity, line.balance) == (
        money("54.04"),
        money("40.00"),
        money("1094.04"),
    )
    totals = statement.totals
    assert (totals.principal, totals.interest, totals.fixed_indemnities, totals.paid) == (
        money("1000.00"),
        money("54.04"),
        money("40.00"),
        ZERO,
    )
    assert totals.owed == money("1094.04")

    # Other conventions: the start day counted too (151 days), or actual/actual (2025 has 365
    # days, so the same figures).
    both_ends = client.statement(claim.id, datetime.date(2025, 6, 30), count_start_day=True)
    assert both_ends.conventions.count_start_day
    [segment] = both_ends.invoices[0].segments
    assert (from_date(segment.first_day), segment.days, segment.amount) == (
        datetime.date(2025, 1, 31),
        151,
        money("54.40"),  # 1000 × 13.15 % × 151 / 365 = 54.4013…
    )
    assert both_ends.totals.owed == money("1094.40")
    actual = client.statement(
        claim.id, datetime.date(2025, 6, 30), day_count=claims_pb2.DAY_COUNT_ACTUAL_ACTUAL
    )
    assert actual.conventions.day_count == claims_pb2.DAY_COUNT_ACTUAL_ACTUAL
    assert actual.conventions_text != statement.conventions_text
    assert actual.totals.owed == money("1094.04")

    # Today, what is owed needs every semester's rate since: either the claim has it, or it
    # says which rate is missing — and the statement is refused for the same reason.
    got = client.claims.GetClaim(claims_pb2.GetClaimRequest(id=claim.id))
    if got.HasField("amount_owed"):
        assert not got.amount_owed_unavailable
        assert amount_of(got.amount_owed) > Decimal("1094.04")
    else:
        assert got.amount_owed_unavailable
        try:
            client.statement(claim.id)
        except grpc.RpcError as error:
            refusal = error_details(error)
            assert refusal.reason == "RATE_NOT_PUBLISHED", refusal
            assert refusal.metadata["semester"] in got.amount_owed_unavailable, (
                refusal.metadata,
                got.amount_owed_unavailable,
            )
        else:
            raise AssertionError("amount_owed is unavailable but today's statement is not")


def test_payment_designating_an_invoice_is_imputed_to_it(
    client: Client, creditor: parties_pb2.Creditor, debtor: parties_pb2.Debtor
) -> None:
    """C. civ. 1342-10: the debtor chooses which debt it pays."""
    claim = create_claim(client, creditor.id, debtor.id, ["1200.00", "300.00"])
    request = payment(claim.id, "100.00")
    request.invoice_number = "F-0002"
    paid = client.claims.RecordPayment(request)
    assert (paid.paid_total, paid.balance, paid.amount_owed) == (
        money("100.00"),
        money("1400.00"),
        money("1400.00"),
    )
    last = paid.payments[-1]
    assert (last.amount, last.invoice_number, last.reference) == (
        money("100.00"),
        "F-0002",
        request.reference,
    )
    assert list(last.imputation) == [
        claims_pb2.ImputationLine(
            invoice_number="F-0002",
            interest=ZERO,
            fixed_indemnity=ZERO,
            recovery_costs=ZERO,
            principal=money("100.00"),
        )
    ], last.imputation
    assert amount_of(last.unapplied) == 0

    statement = client.statement(claim.id)
    first, second = statement.invoices
    assert (first.outstanding_principal, second.outstanding_principal) == (
        money("1200.00"),
        money("200.00"),
    )
    assert second.paid.principal == money("100.00")
    assert statement.totals.owed == money("1400.00")

    # Undesignated, a payment goes to invoices of the same due date pro rata of what each
    # still owes: 1200.00 and 200.00.
    spread = client.claims.RecordPayment(payment(claim.id, "140.00"))
    lines = list(spread.payments[-1].imputation)
    assert [(line.invoice_number, line.principal) for line in lines] == [
        ("F-0001", money("120.00")),
        ("F-0002", money("20.00")),
    ], lines
    assert spread.balance == money("1260.00")


def test_an_acknowledgment_restarts_limitation(
    client: Client, creditor: parties_pb2.Creditor
) -> None:
    """C. civ. 2240, 2231: an acknowledgment before the deadline starts a new full period."""
    completed = add_years(today(), -1)
    claim = create_claim_of(
        client,
        creditor.id,
        create_consumer_debtor(client).id,
        [dated_invoice("F-1", "450.00", completed, completed + datetime.timedelta(days=30))],
    )
    assert from_date(claim.limitation_deadline) == add_years(completed, 2)  # C. consom. L218-2

    acknowledged_on = days(-30)
    interruption = claims_pb2.LimitationInterruption(
        date=date(acknowledged_on),
        cause=claims_pb2.INTERRUPTION_CAUSE_ACKNOWLEDGMENT,
        note="Lettre du débiteur reconnaissant la dette",
    )
    restarted = client.claims.RecordLimitationInterruption(
        claims_pb2.RecordLimitationInterruptionRequest(
            request_id=new_request_id(), claim_id=claim.id, interruption=interruption
        )
    )
    assert list(restarted.limitation_interruptions) == [interruption]
    assert from_date(restarted.limitation_deadline) == add_years(acknowledged_on, 2)

    [line] = client.statement(claim.id).invoices
    limitation = line.limitation
    assert (limitation.years, from_date(limitation.start_date)) == (2, completed)
    assert from_date(limitation.restart_date) == acknowledged_on
    assert limitation.restart_cause == claims_pb2.INTERRUPTION_CAUSE_ACKNOWLEDGMENT
    assert from_date(limitation.deadline) == add_years(acknowledged_on, 2)
    assert not limitation.expired


def test_an_interruption_after_expiry_restarts_nothing(
    client: Client, creditor: parties_pb2.Creditor
) -> None:
    completed = add_years(today(), -3)
    claim = create_claim_of(
        client,
        creditor.id,
        create_consumer_debtor(client).id,
        [dated_invoice("F-1", "450.00", completed, completed + datetime.timedelta(days=30))],
    )
    deadline = add_years(completed, 2)
    late = client.claims.RecordLimitationInterruption(
        claims_pb2.RecordLimitationInterruptionRequest(
            request_id=new_request_id(),
            claim_id=claim.id,
            interruption=claims_pb2.LimitationInterruption(
                date=date(days(-30)), cause=claims_pb2.INTERRUPTION_CAUSE_ACKNOWLEDGMENT
            ),
        )
    )
    assert len(late.limitation_interruptions) == 1, "recorded all the same"
    assert from_date(late.limitation_deadline) == deadline
    statement = client.statement(claim.id)
    [line] = statement.invoices
    assert line.limitation.expired and from_date(line.limitation.deadline) == deadline
    assert not line.limitation.HasField("restart_date")
    assert "INTERRUPTION_AFTER_EXPIRY" in [n.code for n in statement.notes], statement.notes
