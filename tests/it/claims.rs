//! Claims over the wire: creation, reads, lifecycle moves and their refusals, idempotency,
//! etags, the event chain.

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use prost_types::Timestamp;
use recouvre::api::pb;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn create_then_get_returns_the_same_claim() {
    let app = TestApp::spawn().await;
    let created = app.claim("1200.00").await;
    assert_eq!(created.state, pb::ClaimState::Amicable as i32);
    assert_eq!(created.balance, Some(eur("1200.00")));
    assert_eq!(created.event_count, 1);
    let got = app
        .claims(&app.legal)
        .get_claim(pb::GetClaimRequest {
            id: created.id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got, created);
}

// ---------------------------------------------------------------------------------------------
// Helpers local to these tests.

fn ts(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid time")
}

/// A payment of `amount` EUR by bank transfer valued today (2026-11-20), with a fresh request id.
fn payment(claim_id: &str, amount: &str) -> pb::RecordPaymentRequest {
    pb::RecordPaymentRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        amount: Some(eur(amount)),
        value_date: Some(date(2026, 11, 20)),
        method: pb::PaymentMethod::BankTransfer as i32,
        reference: "VIR SEPA 0001".into(),
        invoice_number: String::new(),
    }
}

fn contact(
    claim_id: &str,
    channel: pb::ContactChannel,
    direction: pb::ContactDirection,
    outcome: pb::ContactOutcome,
) -> pb::RecordContactRequest {
    pb::RecordContactRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        channel: channel as i32,
        direction: direction as i32,
        outcome: outcome as i32,
        note: String::new(),
        occur_time: None,
    }
}

fn phone_reached(claim_id: &str) -> pb::RecordContactRequest {
    contact(
        claim_id,
        pb::ContactChannel::Phone,
        pb::ContactDirection::Outbound,
        pb::ContactOutcome::Reached,
    )
}

fn open_dispute(claim_id: &str, reason: &str) -> pb::OpenDisputeRequest {
    pb::OpenDisputeRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        reason: reason.into(),
    }
}

fn resolve_dispute(claim_id: &str) -> pb::ResolveDisputeRequest {
    pb::ResolveDisputeRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        resolution: pb::DisputeResolution::CreditorUpheld as i32,
        note: "Livraison prouvée par le bon signé".into(),
    }
}

fn promise(
    claim_id: &str,
    amount: &str,
    due: pb::google::r#type::Date,
) -> pb::RecordPromiseToPayRequest {
    pb::RecordPromiseToPayRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        amount: Some(eur(amount)),
        due_date: Some(due),
    }
}

fn escalate(claim_id: &str, target: pb::ClaimState) -> pb::EscalateClaimRequest {
    pb::EscalateClaimRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        target_state: target as i32,
    }
}

fn close(claim_id: &str, kind: pb::ClosureKind, reason: &str) -> pb::CloseClaimRequest {
    pb::CloseClaimRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        kind: kind as i32,
        reason: reason.into(),
    }
}

async fn get(app: &TestApp, id: &str) -> pb::Claim {
    app.claims(&app.agent)
        .get_claim(pb::GetClaimRequest { id: id.into() })
        .await
        .expect("get claim")
        .into_inner()
}

/// Every event of a claim, in one page.
async fn events(app: &TestApp, id: &str) -> Vec<pb::ClaimEvent> {
    let page = app
        .claims(&app.legal)
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: id.into(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("list events")
        .into_inner();
    assert!(page.next_page_token.is_empty());
    page.events
}

fn kinds(events: &[pb::ClaimEvent]) -> Vec<pb::ClaimEventKind> {
    events
        .iter()
        .map(|e| pb::ClaimEventKind::try_from(e.kind).expect("known kind"))
        .collect()
}

async fn verify(app: &TestApp, id: &str) -> pb::VerifyClaimEventsResponse {
    app.claims(&app.legal)
        .verify_claim_events(pb::VerifyClaimEventsRequest {
            claim_id: id.into(),
        })
        .await
        .expect("verify")
        .into_inner()
}

async fn list(app: &TestApp, request: pb::ListClaimsRequest) -> Vec<String> {
    let response = app
        .claims(&app.legal)
        .list_claims(request)
        .await
        .expect("list claims")
        .into_inner();
    assert!(response.next_page_token.is_empty(), "expected one page");
    let mut ids: Vec<String> = response.claims.into_iter().map(|c| c.id).collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

fn payload(event: &pb::ClaimEvent) -> Value {
    serde_json::from_str(&event.payload_json).expect("payload is JSON")
}

const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

// ---------------------------------------------------------------------------------------------
// CreateClaim

#[tokio::test]
async fn create_claim_totals_invoices_and_starts_amicable() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    let wanted = sample_claim(
        &creditor.id,
        &debtor.id,
        "DOS-2026-001",
        &["1200.00", "300.50", "0.01"],
    );
    let claim = app
        .claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(wanted.clone()),
        })
        .await
        .expect("create")
        .into_inner();

    assert!(!claim.id.is_empty());
    assert_eq!(claim.creditor_id, creditor.id);
    assert_eq!(claim.debtor_id, debtor.id);
    assert_eq!(claim.external_reference, "DOS-2026-001");
    assert_eq!(claim.currency_code, "EUR");
    assert_eq!(claim.invoices, wanted.invoices);
    assert_eq!(claim.state, pb::ClaimState::Amicable as i32);
    assert_eq!(claim.principal_total, Some(eur("1500.51")));
    assert_eq!(claim.paid_total, Some(eur("0.00")));
    assert_eq!(claim.balance, Some(eur("1500.51")));
    assert!(claim.holds.is_empty());
    assert_eq!(claim.dispute, None);
    assert_eq!(claim.promise, None);
    assert_eq!(claim.closure, None);
    assert_eq!(claim.event_count, 1);
    assert!(!claim.etag.is_empty());
    assert_eq!(claim.create_time, Some(ts(start_time())));
    assert_eq!(claim.update_time, Some(ts(start_time())));
    // The first reminder is never scheduled in the past.
    let next = claim.next_action_time.expect("next action scheduled");
    assert!(
        next.seconds >= start_time().timestamp(),
        "next action {next:?} is in the past"
    );

    let timeline = events(&app, &claim.id).await;
    assert_eq!(kinds(&timeline), [pb::ClaimEventKind::ClaimCreated]);
    let created = payload(&timeline[0]);
    assert_eq!(created["external_reference"], "DOS-2026-001");
    assert_eq!(created["principal_total"]["amount"], "1500.51");
    assert_eq!(created["invoices"].as_array().map(Vec::len), Some(3));
    assert_eq!(get(&app, &claim.id).await, claim);
}

#[tokio::test]
async fn create_claim_schedules_the_first_reminder_a_week_after_the_earliest_due_date() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    let mut claim = sample_claim(&creditor.id, &debtor.id, "DOS-SOON", &["10.00", "20.00"]);
    claim.invoices[0].due_date = Some(date(2026, 12, 15));
    claim.invoices[1].due_date = Some(date(2026, 12, 10));
    let claim = app
        .claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(claim),
        })
        .await
        .expect("create")
        .into_inner();
    // 08:00 in Paris (UTC+1 in winter).
    assert_eq!(claim.next_action_time, Some(ts(utc(2026, 12, 17, 7, 0))));
}

/// A valid claim of two invoices with `edit` applied; the refusal must name exactly `fields`.
async fn assert_create_refused(
    app: &TestApp,
    creditor: &str,
    debtor: &str,
    edit: impl FnOnce(&mut pb::Claim),
    fields: &[&str],
) {
    let mut claim = sample_claim(creditor, debtor, &new_request_id(), &["100.00", "200.00"]);
    edit(&mut claim);
    let result = app
        .claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(claim.clone()),
        })
        .await;
    let status = assert_refused(result, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        bad_fields(&status),
        fields,
        "fields of {status:?} for {claim:?}"
    );
}

#[tokio::test]
async fn create_claim_names_each_bad_field() {
    let app = TestApp::spawn().await;
    let c = app.creditor(&app.admin).await.id;
    let d = app.debtor(&app.agent).await.id;
    let (c, d) = (c.as_str(), d.as_str());

    assert_create_refused(
        &app,
        c,
        d,
        |x| x.currency_code = "XYZ".into(),
        &["claim.currency_code"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.currency_code = "eur".into(),
        &["claim.currency_code"],
    )
    .await;
    for bad in ["12.345", "-5", "1e3", "", "1,50", " 12.00", "abc", "0x10"] {
        assert_create_refused(
            &app,
            c,
            d,
            |x| x.invoices[0].amount = Some(eur(bad)),
            &["claim.invoices[0].amount.amount"],
        )
        .await;
    }
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[1].amount = Some(eur("0.00")),
        &["claim.invoices[1].amount.amount"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[1].amount = None,
        &["claim.invoices[1].amount"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| {
            x.invoices[1].amount = Some(pb::Money {
                currency_code: "USD".into(),
                amount: "200.00".into(),
            })
        },
        &["claim.invoices[1].amount.currency_code"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[1].due_date = Some(date(2026, 8, 31)),
        &["claim.invoices[1].due_date"],
    )
    .await;
    assert_create_refused(&app, c, d, |x| x.invoices.clear(), &["claim.invoices"]).await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| {
            let first = x.invoices[0].clone();
            x.invoices.extend(std::iter::repeat_n(first, 500));
            for (i, inv) in x.invoices.iter_mut().enumerate() {
                inv.number = format!("N-{i}");
            }
        },
        &["claim.invoices"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[1].number = x.invoices[0].number.clone(),
        &["claim.invoices[1].number"],
    )
    .await;
    // Numbers are compared as trimmed.
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[1].number = format!("  {} ", x.invoices[0].number),
        &["claim.invoices[1].number"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[0].number = "  ".into(),
        &["claim.invoices[0].number"],
    )
    .await;
    // Tomorrow in Paris is in the future for the manual clock (2026-11-20).
    assert_create_refused(
        &app,
        c,
        d,
        |x| {
            x.invoices[0].issue_date = Some(date(2026, 11, 21));
            x.invoices[0].due_date = Some(date(2026, 12, 21));
        },
        &["claim.invoices[0].issue_date"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[0].service_completion_date = Some(date(2026, 11, 21)),
        &["claim.invoices[0].service_completion_date"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[0].issue_date = None,
        &["claim.invoices[0].issue_date"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.invoices[0].due_date = Some(date(2026, 2, 30)),
        &["claim.invoices[0].due_date"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.external_reference = "   ".into(),
        &["claim.external_reference"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.external_reference = "R".repeat(129),
        &["claim.external_reference"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.creditor_id = "not-a-uuid".into(),
        &["claim.creditor_id"],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| x.debtor_id = String::new(),
        &["claim.debtor_id"],
    )
    .await;

    // Several bad fields at once: one violation each, in request order.
    assert_create_refused(
        &app,
        c,
        d,
        |x| {
            x.debtor_id = "nope".into();
            x.currency_code = "XYZ".into();
            x.invoices[0].amount = Some(eur("12.345"));
            x.invoices[1].due_date = None;
        },
        &[
            "claim.debtor_id",
            "claim.currency_code",
            "claim.invoices[0].amount.amount",
            "claim.invoices[1].due_date",
        ],
    )
    .await;
    assert_create_refused(
        &app,
        c,
        d,
        |x| {
            x.external_reference = String::new();
            x.invoices[0].due_date = Some(date(2026, 8, 1));
            x.invoices[1].number = x.invoices[0].number.clone();
            x.invoices[1].issue_date = Some(date(2026, 11, 21));
            x.invoices[1].due_date = Some(date(2026, 12, 21));
        },
        &[
            "claim.external_reference",
            "claim.invoices[0].due_date",
            "claim.invoices[1].number",
            "claim.invoices[1].issue_date",
        ],
    )
    .await;

    // No claim at all.
    let status = assert_refused(
        app.claims(&app.agent)
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: None,
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(bad_fields(&status), ["claim"]);

    // Boundaries that are accepted: issued today, due the day it is issued.
    let mut ok = sample_claim(c, d, "DOS-TODAY", &["0.01"]);
    ok.invoices[0].issue_date = Some(date(2026, 11, 20));
    ok.invoices[0].service_completion_date = Some(date(2026, 11, 20));
    ok.invoices[0].due_date = Some(date(2026, 11, 20));
    app.claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(ok),
        })
        .await
        .expect("an invoice issued and due today is valid");

    // Nothing else was created.
    assert_eq!(list(&app, pb::ListClaimsRequest::default()).await.len(), 1);
}

/// Malformed fields and fields that parse but break a claim rule, in one request: every bad
/// field is reported at once, as the contract promises.
#[tokio::test]
async fn create_claim_reports_malformed_and_rule_breaking_fields_together() {
    let app = TestApp::spawn().await;
    let c = app.creditor(&app.admin).await.id;
    let d = app.debtor(&app.agent).await.id;
    assert_create_refused(
        &app,
        &c,
        &d,
        |x| {
            x.invoices[0].amount = Some(eur("12.345"));
            x.invoices[1].due_date = Some(date(2026, 8, 1));
        },
        &[
            "claim.invoices[0].amount.amount",
            "claim.invoices[1].due_date",
        ],
    )
    .await;
}

#[tokio::test]
async fn create_claim_for_unknown_parties_is_not_found() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    let unknown = uuid::Uuid::now_v7().to_string();
    for (c, d) in [
        (unknown.as_str(), debtor.as_str()),
        (creditor.as_str(), unknown.as_str()),
    ] {
        let result = app
            .claims(&app.agent)
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: Some(sample_claim(c, d, "DOS-1", &["10.00"])),
            })
            .await;
        assert_refused(result, Code::NotFound, "NOT_FOUND");
    }
    // A debtor id passed as the creditor is not a creditor.
    let result = app
        .claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(sample_claim(&debtor, &debtor, "DOS-1", &["10.00"])),
        })
        .await;
    assert_refused(result, Code::NotFound, "NOT_FOUND");
    assert!(
        list(&app, pb::ListClaimsRequest::default())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn external_reference_is_unique_per_creditor() {
    let app = TestApp::spawn().await;
    let a = app.creditor(&app.admin).await.id;
    let b = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    let create = |creditor: &str, reference: &str| pb::CreateClaimRequest {
        request_id: new_request_id(),
        claim: Some(sample_claim(creditor, &debtor, reference, &["10.00"])),
    };
    let first = app
        .claims(&app.agent)
        .create_claim(create(&a, "DOS-42"))
        .await
        .expect("first")
        .into_inner();

    let status = assert_refused(
        app.claims(&app.agent)
            .create_claim(create(&a, "DOS-42"))
            .await,
        Code::AlreadyExists,
        "EXTERNAL_REFERENCE_EXISTS",
    );
    assert!(
        status.message().contains(&first.id),
        "message names the existing claim: {status:?}"
    );
    // The reference is trimmed before it is compared.
    assert_refused(
        app.claims(&app.agent)
            .create_claim(create(&a, "  DOS-42 "))
            .await,
        Code::AlreadyExists,
        "EXTERNAL_REFERENCE_EXISTS",
    );
    // Another creditor may use the same reference.
    let other = app
        .claims(&app.agent)
        .create_claim(create(&b, "DOS-42"))
        .await
        .expect("other creditor")
        .into_inner();
    assert_eq!(other.external_reference, "DOS-42");

    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                creditor_id: a.clone(),
                ..Default::default()
            }
        )
        .await,
        [first.id]
    );
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                creditor_id: b,
                ..Default::default()
            }
        )
        .await,
        [other.id]
    );
}

// ---------------------------------------------------------------------------------------------
// GetClaim, ListClaims

#[tokio::test]
async fn get_claim_refuses_bad_and_unknown_ids() {
    let app = TestApp::spawn().await;
    let claims = app.claims(&app.legal);
    for bad in ["", "nope", "12345"] {
        let status = assert_refused(
            claims
                .clone()
                .get_claim(pb::GetClaimRequest { id: bad.into() })
                .await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(bad_fields(&status), ["id"]);
    }
    assert_refused(
        claims
            .clone()
            .get_claim(pb::GetClaimRequest {
                id: uuid::Uuid::now_v7().to_string(),
            })
            .await,
        Code::NotFound,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn list_claims_filters_combine() {
    let app = TestApp::spawn().await;
    let a = app.creditor(&app.admin).await.id;
    let b = app.creditor(&app.admin).await.id;
    let x = app.debtor(&app.agent).await.id;
    let y = app.debtor(&app.agent).await.id;
    let mut make = Vec::new();
    for (i, (creditor, debtor)) in [(&a, &x), (&a, &y), (&b, &x)].into_iter().enumerate() {
        let claim = app
            .claims(&app.agent)
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: Some({
                    // Long overdue, so the first reminder is due at once.
                    let mut claim = sample_claim(creditor, debtor, &format!("DOS-{i}"), &["10.00"]);
                    claim.invoices[0].issue_date = Some(date(2026, 9, 1));
                    claim.invoices[0].due_date = Some(date(2026, 10, 1));
                    claim
                }),
            })
            .await
            .expect("create")
            .into_inner();
        make.push(claim.id);
    }
    let (c1, c2, c3) = (make[0].as_str(), make[1].as_str(), make[2].as_str());
    // c1: amicable, next action now; c2: formal notice, next action in 9 days; c3: disputed,
    // nothing scheduled.
    let escalated = app
        .claims(&app.agent)
        .escalate_claim(escalate(c2, pb::ClaimState::FormalNotice))
        .await
        .expect("escalate");
    assert_eq!(
        escalated.into_inner().next_action_time,
        Some(ts(utc(2026, 11, 29, 7, 0)))
    );
    let disputed = app
        .claims(&app.agent)
        .open_dispute(open_dispute(c3, "Marchandise non conforme"))
        .await;
    assert_eq!(
        disputed.expect("dispute").into_inner().next_action_time,
        None
    );

    let q = pb::ListClaimsRequest::default;
    assert_eq!(list(&app, q()).await, sorted(&[c1, c2, c3]));
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                state: pb::ClaimState::Amicable as i32,
                ..q()
            }
        )
        .await,
        sorted(&[c1, c3])
    );
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                state: pb::ClaimState::FormalNotice as i32,
                ..q()
            }
        )
        .await,
        sorted(&[c2])
    );
    assert!(
        list(
            &app,
            pb::ListClaimsRequest {
                state: pb::ClaimState::Legal as i32,
                ..q()
            }
        )
        .await
        .is_empty()
    );
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                creditor_id: a.clone(),
                ..q()
            }
        )
        .await,
        sorted(&[c1, c2])
    );
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                creditor_id: b.clone(),
                ..q()
            }
        )
        .await,
        sorted(&[c3])
    );
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                debtor_id: x.clone(),
                ..q()
            }
        )
        .await,
        sorted(&[c1, c3])
    );
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                debtor_id: y.clone(),
                ..q()
            }
        )
        .await,
        sorted(&[c2])
    );
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                creditor_id: a.clone(),
                debtor_id: x.clone(),
                ..q()
            }
        )
        .await,
        sorted(&[c1])
    );
    assert!(
        list(
            &app,
            pb::ListClaimsRequest {
                creditor_id: b.clone(),
                debtor_id: y.clone(),
                ..q()
            }
        )
        .await
        .is_empty()
    );
    assert!(
        list(
            &app,
            pb::ListClaimsRequest {
                creditor_id: a.clone(),
                state: pb::ClaimState::Paid as i32,
                ..q()
            }
        )
        .await
        .is_empty()
    );
    // Strictly before: c1's next action is exactly now.
    let before = |at: DateTime<Utc>| pb::ListClaimsRequest {
        next_action_before: Some(ts(at)),
        ..q()
    };
    assert!(list(&app, before(start_time())).await.is_empty());
    assert_eq!(
        list(&app, before(start_time() + Duration::seconds(1))).await,
        sorted(&[c1])
    );
    assert_eq!(
        list(&app, before(utc(2026, 11, 29, 7, 0))).await,
        sorted(&[c1])
    );
    assert_eq!(
        list(&app, before(utc(2026, 11, 29, 7, 1))).await,
        sorted(&[c1, c2])
    );
    assert_eq!(
        list(&app, before(utc(2100, 1, 1, 0, 0))).await,
        sorted(&[c1, c2])
    );
    // The dispute resolved, c3 is scheduled again and listed with the others: the schedule
    // follows the claim out of and back into the queue.
    let resumed = app
        .claims(&app.agent)
        .resolve_dispute(resolve_dispute(c3))
        .await
        .expect("resolve")
        .into_inner();
    let resumed_at = resumed.next_action_time.expect("scheduled again");
    assert_eq!(
        list(&app, before(utc(2100, 1, 1, 0, 0))).await,
        sorted(&[c1, c2, c3])
    );
    let resumed_at = DateTime::from_timestamp(resumed_at.seconds, 0).expect("time");
    assert!(
        !list(&app, before(resumed_at))
            .await
            .contains(&c3.to_string())
    );
    assert!(
        list(&app, before(resumed_at + Duration::seconds(1)))
            .await
            .contains(&c3.to_string())
    );

    // Bad filters.
    let claims = app.claims(&app.legal);
    for (request, field) in [
        (
            pb::ListClaimsRequest {
                creditor_id: "x".into(),
                ..q()
            },
            "creditor_id",
        ),
        (
            pb::ListClaimsRequest {
                debtor_id: "x".into(),
                ..q()
            },
            "debtor_id",
        ),
        (pb::ListClaimsRequest { state: 99, ..q() }, "state"),
        (
            pb::ListClaimsRequest {
                page_size: -1,
                ..q()
            },
            "page_size",
        ),
        (
            pb::ListClaimsRequest {
                next_action_before: Some(Timestamp {
                    seconds: 0,
                    nanos: -1,
                }),
                ..q()
            },
            "next_action_before",
        ),
    ] {
        let status = assert_refused(
            claims.clone().list_claims(request).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(bad_fields(&status), [field]);
    }
}

/// Walks every page of a listing with `page_size`, returning the ids in order and the number of
/// pages.
async fn walk(
    app: &TestApp,
    filter: pb::ListClaimsRequest,
    page_size: i32,
) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = app
            .claims(&app.legal)
            .list_claims(pb::ListClaimsRequest {
                page_size,
                page_token: token.clone(),
                ..filter.clone()
            })
            .await
            .expect("page")
            .into_inner();
        pages += 1;
        let limit = if page_size == 0 {
            50
        } else {
            page_size as usize
        };
        assert!(page.claims.len() <= limit);
        ids.extend(page.claims.into_iter().map(|c| c.id));
        if page.next_page_token.is_empty() {
            return (ids, pages);
        }
        token = page.next_page_token;
        assert!(pages < 100, "paging does not end");
    }
}

#[tokio::test]
async fn list_claims_pages_through_every_claim_once() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    let mut created = Vec::new();
    for i in 0..5 {
        let claim = app
            .claims(&app.agent)
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: Some(sample_claim(
                    &creditor,
                    &debtor,
                    &format!("DOS-{i}"),
                    &["10.00"],
                )),
            })
            .await
            .expect("create")
            .into_inner();
        created.push(claim.id);
    }
    let (ids, pages) = walk(&app, pb::ListClaimsRequest::default(), 2).await;
    assert_eq!(pages, 3);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "each claim exactly once: {ids:?}");
    created.sort();
    assert_eq!(unique, created);
    // The order is stable: the same walk again, and one big page, give the same sequence.
    assert_eq!(walk(&app, pb::ListClaimsRequest::default(), 2).await.0, ids);
    assert_eq!(
        walk(&app, pb::ListClaimsRequest::default(), 0).await,
        (ids.clone(), 1)
    );
    assert_eq!(
        walk(&app, pb::ListClaimsRequest::default(), 5).await,
        (ids, 1)
    );
}

#[tokio::test]
async fn list_claims_are_in_creation_order() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    let mut created = Vec::new();
    for i in 0..5 {
        app.clock.set(start_time() + Duration::seconds(i));
        let claim = app
            .claims(&app.agent)
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: Some(sample_claim(
                    &creditor,
                    &debtor,
                    &format!("DOS-{i}"),
                    &["10.00"],
                )),
            })
            .await
            .expect("create")
            .into_inner();
        created.push(claim.id);
    }
    assert_eq!(
        walk(&app, pb::ListClaimsRequest::default(), 2).await.0,
        created
    );
}

#[tokio::test]
async fn page_token_belongs_to_its_listing() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    for i in 0..3 {
        app.claims(&app.agent)
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: Some(sample_claim(
                    &creditor,
                    &debtor,
                    &format!("DOS-{i}"),
                    &["10.00"],
                )),
            })
            .await
            .expect("create");
    }
    let amicable = pb::ListClaimsRequest {
        state: pb::ClaimState::Amicable as i32,
        page_size: 1,
        ..Default::default()
    };
    let token = app
        .claims(&app.legal)
        .list_claims(amicable.clone())
        .await
        .expect("first page")
        .into_inner()
        .next_page_token;
    assert!(!token.is_empty());
    // The same filter continues.
    app.claims(&app.legal)
        .list_claims(pb::ListClaimsRequest {
            page_token: token.clone(),
            ..amicable.clone()
        })
        .await
        .expect("second page");
    for other in [
        pb::ListClaimsRequest {
            page_token: token.clone(),
            page_size: 1,
            ..Default::default()
        },
        pb::ListClaimsRequest {
            creditor_id: creditor.clone(),
            page_token: token.clone(),
            ..amicable.clone()
        },
        pb::ListClaimsRequest {
            state: pb::ClaimState::Legal as i32,
            page_token: token.clone(),
            ..amicable.clone()
        },
        pb::ListClaimsRequest {
            page_token: "garbage!".into(),
            ..amicable.clone()
        },
        pb::ListClaimsRequest {
            page_token: format!("{token}AA"),
            ..amicable.clone()
        },
    ] {
        let status = assert_refused(
            app.claims(&app.legal).list_claims(other).await,
            Code::InvalidArgument,
            "INVALID_PAGE_TOKEN",
        );
        assert_eq!(bad_fields(&status), ["page_token"]);
    }
}

// ---------------------------------------------------------------------------------------------
// RecordPayment

#[tokio::test]
async fn payments_reduce_the_balance_exactly() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let mut claims = app.claims(&app.agent);
    let after_one = claims
        .record_payment(payment(&claim.id, "0.10"))
        .await
        .expect("pay")
        .into_inner();
    assert_eq!(after_one.balance, Some(eur("999.90")));
    let after_two = claims
        .record_payment(payment(&claim.id, "0.20"))
        .await
        .expect("pay")
        .into_inner();
    assert_eq!(after_two.balance, Some(eur("999.70")));
    assert_eq!(after_two.paid_total, Some(eur("0.30")));
    assert_eq!(after_two.principal_total, Some(eur("1000.00")));
    assert_eq!(after_two.state, pb::ClaimState::Amicable as i32);
    assert_eq!(after_two.event_count, 3);
    assert_ne!(after_two.etag, after_one.etag);
    assert_eq!(get(&app, &claim.id).await, after_two);

    let timeline = events(&app, &claim.id).await;
    assert_eq!(
        kinds(&timeline),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::PaymentRecorded,
            pb::ClaimEventKind::PaymentRecorded
        ]
    );
    let last = payload(&timeline[2]);
    assert_eq!(last["amount"]["amount"], "0.20");
    assert_eq!(last["amount"]["currency"], "EUR");
    assert_eq!(last["balance_after"]["amount"], "999.70");
    assert_eq!(last["value_date"], "2026-11-20");
    assert_eq!(last["method"], "bank_transfer");
    assert_eq!(last["reference"], "VIR SEPA 0001");
}

#[tokio::test]
async fn overpayment_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let mut claims = app.claims(&app.agent);
    assert_refused(
        claims.record_payment(payment(&claim.id, "1000.01")).await,
        Code::FailedPrecondition,
        "OVERPAYMENT",
    );
    claims
        .record_payment(payment(&claim.id, "600.00"))
        .await
        .expect("pay");
    assert_refused(
        claims.record_payment(payment(&claim.id, "400.01")).await,
        Code::FailedPrecondition,
        "OVERPAYMENT",
    );
    let now = get(&app, &claim.id).await;
    assert_eq!(now.balance, Some(eur("400.00")));
    assert_eq!(now.event_count, 2);
    assert_eq!(now.state, pb::ClaimState::Amicable as i32);
}

#[tokio::test]
async fn paying_the_balance_closes_the_claim_as_paid() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let mut claims = app.claims(&app.agent);
    claims
        .record_payment(payment(&claim.id, "400.00"))
        .await
        .expect("pay");
    let paid = claims
        .record_payment(payment(&claim.id, "600.00"))
        .await
        .expect("pay")
        .into_inner();
    assert_eq!(paid.state, pb::ClaimState::Paid as i32);
    assert_eq!(paid.balance, Some(eur("0.00")));
    assert_eq!(paid.paid_total, Some(eur("1000.00")));
    let closure = paid.closure.clone().expect("closure");
    assert_eq!(closure.kind, pb::ClosureKind::Paid as i32);
    assert_eq!(closure.close_time, Some(ts(start_time())));
    assert_eq!(paid.next_action_time, None);
    assert_eq!(paid.event_count, 4);
    assert_eq!(
        kinds(&events(&app, &claim.id).await),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::PaymentRecorded,
            pb::ClaimEventKind::PaymentRecorded,
            pb::ClaimEventKind::ClaimClosed,
        ]
    );

    // A closed claim accepts no further change.
    let id = claim.id.as_str();
    assert_refused(
        claims.record_payment(payment(id, "0.01")).await,
        Code::FailedPrecondition,
        "CLAIM_CLOSED",
    );
    assert_refused(
        claims.record_contact(phone_reached(id)).await,
        Code::FailedPrecondition,
        "CLAIM_CLOSED",
    );
    assert_refused(
        claims.open_dispute(open_dispute(id, "contestation")).await,
        Code::FailedPrecondition,
        "CLAIM_CLOSED",
    );
    assert_refused(
        claims.resolve_dispute(resolve_dispute(id)).await,
        Code::FailedPrecondition,
        "CLAIM_CLOSED",
    );
    assert_refused(
        claims
            .record_promise_to_pay(promise(id, "1.00", date(2026, 11, 30)))
            .await,
        Code::FailedPrecondition,
        "CLAIM_CLOSED",
    );
    assert_refused(
        claims
            .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
            .await,
        Code::FailedPrecondition,
        "CLAIM_CLOSED",
    );
    assert_refused(
        claims
            .close_claim(close(id, pb::ClosureKind::Paid, "encore"))
            .await,
        Code::FailedPrecondition,
        "CLAIM_CLOSED",
    );
    assert_refused(
        claims
            .close_claim(close(id, pb::ClosureKind::Cancelled, "erreur"))
            .await,
        Code::FailedPrecondition,
        "CLAIM_CLOSED",
    );
    assert_eq!(get(&app, id).await, paid);
}

#[tokio::test]
async fn payment_input_is_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let cases: Vec<(pb::RecordPaymentRequest, Vec<&str>)> = vec![
        (
            pb::RecordPaymentRequest {
                value_date: Some(date(2026, 11, 21)),
                ..payment(id, "1.00")
            },
            vec!["value_date"],
        ),
        (
            pb::RecordPaymentRequest {
                value_date: None,
                ..payment(id, "1.00")
            },
            vec!["value_date"],
        ),
        (
            pb::RecordPaymentRequest {
                value_date: Some(date(2026, 13, 1)),
                ..payment(id, "1.00")
            },
            vec!["value_date"],
        ),
        (
            pb::RecordPaymentRequest {
                method: 0,
                ..payment(id, "1.00")
            },
            vec!["method"],
        ),
        (
            pb::RecordPaymentRequest {
                method: 42,
                ..payment(id, "1.00")
            },
            vec!["method"],
        ),
        (
            pb::RecordPaymentRequest {
                amount: Some(pb::Money {
                    currency_code: "USD".into(),
                    amount: "1.00".into(),
                }),
                ..payment(id, "1.00")
            },
            vec!["amount.currency_code"],
        ),
        (
            pb::RecordPaymentRequest {
                amount: Some(pb::Money {
                    currency_code: "XYZ".into(),
                    amount: "1.00".into(),
                }),
                ..payment(id, "1.00")
            },
            vec!["amount.currency_code"],
        ),
        (payment(id, "0.00"), vec!["amount.amount"]),
        (payment(id, "-1.00"), vec!["amount.amount"]),
        (payment(id, "1.001"), vec!["amount.amount"]),
        (payment(id, "1e2"), vec!["amount.amount"]),
        (
            pb::RecordPaymentRequest {
                amount: None,
                ..payment(id, "1.00")
            },
            vec!["amount"],
        ),
        (
            pb::RecordPaymentRequest {
                reference: "x".repeat(2001),
                ..payment(id, "1.00")
            },
            vec!["reference"],
        ),
        (
            pb::RecordPaymentRequest {
                method: 0,
                value_date: None,
                ..payment(id, "1.234")
            },
            vec!["amount.amount", "value_date", "method"],
        ),
        (
            pb::RecordPaymentRequest {
                claim_id: "x".into(),
                ..payment(id, "1.00")
            },
            vec!["claim_id"],
        ),
        (
            pb::RecordPaymentRequest {
                claim_id: String::new(),
                ..payment(id, "1.00")
            },
            vec!["claim_id"],
        ),
    ];
    for (request, fields) in cases {
        let result = app.claims(&app.agent).record_payment(request.clone()).await;
        let status = assert_refused(result, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(bad_fields(&status), fields, "for {request:?}");
    }
    assert_refused(
        app.claims(&app.agent)
            .record_payment(payment(&uuid::Uuid::now_v7().to_string(), "1.00"))
            .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    let now = get(&app, id).await;
    assert_eq!(now.balance, Some(eur("1000.00")));
    assert_eq!(now.event_count, 1);
}

#[tokio::test]
async fn today_is_the_date_in_paris() {
    let app = TestApp::spawn().await;
    let claim = app.claim("100.00").await;
    // 23:30 UTC on the 20th is already the 21st in Paris (UTC+1 in November).
    app.clock.set(utc(2026, 11, 20, 23, 30));
    let paid = app
        .claims(&app.agent)
        .record_payment(pb::RecordPaymentRequest {
            value_date: Some(date(2026, 11, 21)),
            ..payment(&claim.id, "1.00")
        })
        .await
        .expect("valued today in Paris")
        .into_inner();
    assert_eq!(paid.balance, Some(eur("99.00")));
    let status = assert_refused(
        app.claims(&app.agent)
            .record_payment(pb::RecordPaymentRequest {
                value_date: Some(date(2026, 11, 22)),
                ..payment(&claim.id, "1.00")
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(bad_fields(&status), ["value_date"]);
}

// ---------------------------------------------------------------------------------------------
// RecordContact

#[tokio::test]
async fn contact_outcome_must_fit_channel_and_direction() {
    use pb::ContactChannel as C;
    use pb::ContactDirection as D;
    use pb::ContactOutcome as O;
    let app = TestApp::spawn().await;
    let claim = app.claim("100.00").await;
    let id = claim.id.as_str();
    let allowed = [
        (C::Letter, D::Outbound, O::Sent),
        (C::Letter, D::Outbound, O::Delivered),
        (C::Letter, D::Outbound, O::Undeliverable),
        (C::Email, D::Outbound, O::WrongContact),
        (C::Sms, D::Outbound, O::Delivered),
        (C::Phone, D::Outbound, O::Reached),
        (C::Phone, D::Outbound, O::NoAnswer),
        (C::Phone, D::Outbound, O::LeftMessage),
        (C::Phone, D::Outbound, O::WrongContact),
        (C::Visit, D::Outbound, O::Refused),
        (C::Visit, D::Outbound, O::NoAnswer),
        (C::Phone, D::Inbound, O::Reached),
        (C::Email, D::Inbound, O::Reached),
        (C::Letter, D::Inbound, O::Reached),
    ];
    for (i, (c, d, o)) in allowed.into_iter().enumerate() {
        let claim = app
            .claims(&app.agent)
            .record_contact(contact(id, c, d, o))
            .await
            .unwrap_or_else(|e| panic!("{c:?} {d:?} {o:?} refused: {e:?}"))
            .into_inner();
        assert_eq!(claim.event_count, i as i64 + 2);
        assert_eq!(claim.state, pb::ClaimState::Amicable as i32);
    }
    let refused = [
        (C::Letter, D::Outbound, O::Reached),
        (C::Email, D::Outbound, O::NoAnswer),
        (C::Sms, D::Outbound, O::Refused),
        (C::Phone, D::Outbound, O::Sent),
        (C::Phone, D::Outbound, O::Delivered),
        (C::Visit, D::Outbound, O::Undeliverable),
        (C::Email, D::Inbound, O::Sent),
        (C::Phone, D::Inbound, O::NoAnswer),
    ];
    for (c, d, o) in refused {
        let status = assert_refused(
            app.claims(&app.agent)
                .record_contact(contact(id, c, d, o))
                .await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(bad_fields(&status), ["outcome"], "{c:?} {d:?} {o:?}");
    }
    let unset = pb::RecordContactRequest {
        channel: 0,
        direction: 0,
        outcome: 0,
        ..phone_reached(id)
    };
    let status = assert_refused(
        app.claims(&app.agent).record_contact(unset).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(bad_fields(&status), ["channel", "direction", "outcome"]);
    assert_eq!(get(&app, id).await.event_count, allowed.len() as i64 + 1);
}

#[tokio::test]
async fn contact_is_recorded_on_the_timeline() {
    let app = TestApp::spawn().await;
    let claim = app.claim("100.00").await;
    let note = "Appel : M. Dupont « paiera lundi », rappeler le 24/11.";
    let at = start_time() - Duration::hours(2);
    let recorded = app
        .claims(&app.agent)
        .record_contact(pb::RecordContactRequest {
            note: format!("  {note}\n"),
            occur_time: Some(ts(at)),
            ..phone_reached(&claim.id)
        })
        .await
        .expect("contact")
        .into_inner();
    assert_eq!(recorded.event_count, 2);
    assert_eq!(recorded.state, pb::ClaimState::Amicable as i32);
    assert_eq!(recorded.balance, claim.balance);

    let timeline = events(&app, &claim.id).await;
    assert_eq!(
        kinds(&timeline),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::ContactRecorded
        ]
    );
    let event = &timeline[1];
    assert_eq!(event.kind_name, "contact_recorded");
    assert_eq!(event.sequence, 2);
    assert!(event.actor.starts_with("api_key:"), "actor {}", event.actor);
    assert_eq!(event.occur_time, Some(ts(start_time())));
    let body = payload(event);
    assert_eq!(body["note"], note);
    assert_eq!(body["channel"], "phone");
    assert_eq!(body["direction"], "outbound");
    assert_eq!(body["outcome"], "reached");
    assert_eq!(
        body["occurred_at"],
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    );

    // In the future, or a note too long.
    for (request, field) in [
        (
            pb::RecordContactRequest {
                occur_time: Some(ts(start_time() + Duration::days(1))),
                ..phone_reached(&claim.id)
            },
            "occur_time",
        ),
        (
            pb::RecordContactRequest {
                note: "é".repeat(2001),
                ..phone_reached(&claim.id)
            },
            "note",
        ),
    ] {
        let status = assert_refused(
            app.claims(&app.agent).record_contact(request).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(bad_fields(&status), [field]);
    }
    // 2000 characters (not bytes) is fine.
    app.claims(&app.agent)
        .record_contact(pb::RecordContactRequest {
            note: "é".repeat(2000),
            ..phone_reached(&claim.id)
        })
        .await
        .expect("2000 characters");
    assert_eq!(get(&app, &claim.id).await.event_count, 3);
}

// ---------------------------------------------------------------------------------------------
// Disputes

#[tokio::test]
async fn dispute_holds_escalation_until_resolved() {
    let app = TestApp::spawn().await;
    let claim = app.claim("500.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);

    let status = assert_refused(
        claims.open_dispute(open_dispute(id, "   ")).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(bad_fields(&status), ["reason"]);

    let disputed = claims
        .open_dispute(open_dispute(id, "Marchandise non conforme"))
        .await
        .expect("open")
        .into_inner();
    assert_eq!(disputed.holds, [pb::Hold::Dispute as i32]);
    let dispute = disputed.dispute.clone().expect("dispute");
    assert_eq!(dispute.reason, "Marchandise non conforme");
    assert_eq!(dispute.open_time, Some(ts(start_time())));
    assert_eq!(disputed.next_action_time, None);
    assert_eq!(disputed.state, pb::ClaimState::Amicable as i32);

    assert_refused(
        claims.open_dispute(open_dispute(id, "autre chose")).await,
        Code::FailedPrecondition,
        "DISPUTE_ALREADY_OPEN",
    );
    assert_refused(
        claims
            .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
            .await,
        Code::FailedPrecondition,
        "CLAIM_ON_HOLD",
    );
    // Payments and contacts are still accepted while disputed.
    claims
        .record_payment(payment(id, "100.00"))
        .await
        .expect("pay while disputed");
    assert_eq!(get(&app, id).await.holds, [pb::Hold::Dispute as i32]);

    let status = assert_refused(
        claims
            .resolve_dispute(pb::ResolveDisputeRequest {
                resolution: 0,
                ..resolve_dispute(id)
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(bad_fields(&status), ["resolution"]);
    let status = assert_refused(
        claims
            .resolve_dispute(pb::ResolveDisputeRequest {
                note: String::new(),
                ..resolve_dispute(id)
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(bad_fields(&status), ["note"]);

    let resolved = claims
        .resolve_dispute(resolve_dispute(id))
        .await
        .expect("resolve")
        .into_inner();
    assert!(resolved.holds.is_empty());
    assert_eq!(resolved.dispute, None);
    assert!(resolved.next_action_time.is_some(), "collection resumes");
    assert_refused(
        claims.resolve_dispute(resolve_dispute(id)).await,
        Code::FailedPrecondition,
        "NO_OPEN_DISPUTE",
    );

    let escalated = claims
        .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
        .await
        .expect("escalate")
        .into_inner();
    assert_eq!(escalated.state, pb::ClaimState::FormalNotice as i32);
    let timeline = events(&app, id).await;
    assert_eq!(
        kinds(&timeline),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::DisputeOpened,
            pb::ClaimEventKind::PaymentRecorded,
            pb::ClaimEventKind::DisputeResolved,
            pb::ClaimEventKind::Escalated,
        ]
    );
    assert_eq!(payload(&timeline[1])["reason"], "Marchandise non conforme");
    assert_eq!(payload(&timeline[3])["resolution"], "creditor_upheld");
    assert_eq!(escalated.event_count, 5);
}

#[tokio::test]
async fn resolving_without_an_open_dispute_is_refused() {
    let app = TestApp::spawn().await;
    let claim = app.claim("500.00").await;
    assert_refused(
        app.claims(&app.agent)
            .resolve_dispute(resolve_dispute(&claim.id))
            .await,
        Code::FailedPrecondition,
        "NO_OPEN_DISPUTE",
    );
    assert_eq!(get(&app, &claim.id).await.event_count, 1);
}

// ---------------------------------------------------------------------------------------------
// Promises to pay

#[tokio::test]
async fn promise_holds_escalation_and_refuses_a_second() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);

    let promised = claims
        .record_promise_to_pay(promise(id, "300.00", date(2026, 11, 30)))
        .await
        .expect("promise");
    let promised = promised.into_inner();
    assert_eq!(promised.holds, [pb::Hold::PromiseToPay as i32]);
    assert_eq!(
        promised.promise,
        Some(pb::PromiseToPay {
            amount: Some(eur("300.00")),
            due_date: Some(date(2026, 11, 30)),
            paid: Some(eur("0.00")),
            broken: false,
        })
    );
    // The next step is the morning after the promised date.
    assert_eq!(promised.next_action_time, Some(ts(utc(2026, 12, 1, 7, 0))));
    assert_eq!(promised.event_count, 2);

    assert_refused(
        claims
            .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
            .await,
        Code::FailedPrecondition,
        "CLAIM_ON_HOLD",
    );
    assert_refused(
        claims
            .record_promise_to_pay(promise(id, "100.00", date(2026, 12, 5)))
            .await,
        Code::FailedPrecondition,
        "PROMISE_ALREADY_ACTIVE",
    );
    // Still held on the promised date itself (inclusive).
    app.clock.set(utc(2026, 11, 30, 22, 0));
    assert_eq!(get(&app, id).await.holds, [pb::Hold::PromiseToPay as i32]);
    assert_refused(
        claims
            .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
            .await,
        Code::FailedPrecondition,
        "CLAIM_ON_HOLD",
    );
    assert_eq!(get(&app, id).await.event_count, 2);
}

#[tokio::test]
async fn promise_input_is_checked() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    for (request, field) in [
        (promise(id, "100.00", date(2026, 11, 19)), "due_date"),
        (promise(id, "100.00", date(2027, 11, 22)), "due_date"),
        (
            pb::RecordPromiseToPayRequest {
                due_date: None,
                ..promise(id, "100.00", date(2026, 11, 30))
            },
            "due_date",
        ),
        (promise(id, "0.00", date(2026, 11, 30)), "amount.amount"),
        (promise(id, "1.999", date(2026, 11, 30)), "amount.amount"),
        (
            pb::RecordPromiseToPayRequest {
                amount: Some(pb::Money {
                    currency_code: "GBP".into(),
                    amount: "10.00".into(),
                }),
                ..promise(id, "1.00", date(2026, 11, 30))
            },
            "amount.currency_code",
        ),
    ] {
        let status = assert_refused(
            app.claims(&app.agent)
                .record_promise_to_pay(request.clone())
                .await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(bad_fields(&status), [field], "for {request:?}");
    }
    assert_refused(
        app.claims(&app.agent)
            .record_promise_to_pay(promise(id, "1000.01", date(2026, 11, 30)))
            .await,
        Code::FailedPrecondition,
        "PROMISE_EXCEEDS_BALANCE",
    );
    assert_eq!(get(&app, id).await.event_count, 1);
    // Today, and 366 days ahead, are accepted.
    let today = app
        .claims(&app.agent)
        .record_promise_to_pay(promise(id, "1000.00", date(2026, 11, 20)))
        .await;
    assert_eq!(
        today.expect("due today").into_inner().holds,
        [pb::Hold::PromiseToPay as i32]
    );
    let other = app.claim("10.00").await;
    app.claims(&app.agent)
        .record_promise_to_pay(promise(&other.id, "10.00", date(2027, 11, 21)))
        .await
        .expect("366 days ahead");
}

#[tokio::test]
async fn broken_promise_ends_the_hold_and_is_recorded_by_the_next_change() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    claims
        .record_promise_to_pay(promise(id, "300.00", date(2026, 11, 25)))
        .await
        .expect("promise");
    claims
        .record_payment(payment(id, "100.00"))
        .await
        .expect("partial payment");

    app.clock.advance_days(6); // 2026-11-26
    let seen = get(&app, id).await;
    let broken = seen.promise.clone().expect("promise still shown");
    assert!(broken.broken);
    assert_eq!(broken.paid, Some(eur("100.00")));
    assert!(
        seen.holds.is_empty(),
        "a broken promise holds nothing: {:?}",
        seen.holds
    );
    assert_eq!(seen.event_count, 3, "reading records nothing");

    let after = claims
        .record_contact(phone_reached(id))
        .await
        .expect("contact")
        .into_inner();
    assert_eq!(after.event_count, 5);
    assert_eq!(after.promise, None);
    let timeline = events(&app, id).await;
    assert_eq!(
        kinds(&timeline),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::PromiseRecorded,
            pb::ClaimEventKind::PaymentRecorded,
            pb::ClaimEventKind::PromiseBroken,
            pb::ClaimEventKind::ContactRecorded,
        ]
    );
    let body = payload(&timeline[3]);
    assert_eq!(body["amount"]["amount"], "300.00");
    assert_eq!(body["due_date"], "2026-11-25");
    assert_eq!(body["paid"]["amount"], "100.00");

    // The hold is gone: escalation proceeds, and a new promise may be made.
    claims
        .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
        .await
        .expect("escalate after the break");
    claims
        .record_promise_to_pay(promise(id, "100.00", date(2026, 12, 10)))
        .await
        .expect("a new promise");
    assert!(verify(&app, id).await.intact);
}

#[tokio::test]
async fn a_broken_promise_is_recorded_before_a_late_payment() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    claims
        .record_promise_to_pay(promise(id, "300.00", date(2026, 11, 25)))
        .await
        .expect("promise");
    app.clock.advance_days(6); // 2026-11-26
    let paid = claims
        .record_payment(pb::RecordPaymentRequest {
            value_date: Some(date(2026, 11, 26)),
            ..payment(id, "300.00")
        })
        .await
        .expect("late payment")
        .into_inner();
    assert_eq!(paid.promise, None);
    assert_eq!(paid.balance, Some(eur("700.00")));
    assert_eq!(
        kinds(&events(&app, id).await),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::PromiseRecorded,
            pb::ClaimEventKind::PromiseBroken,
            pb::ClaimEventKind::PaymentRecorded,
        ]
    );
}

#[tokio::test]
async fn payment_covering_the_promise_keeps_it() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    claims
        .record_promise_to_pay(promise(id, "300.00", date(2026, 11, 30)))
        .await
        .expect("promise");
    let part = claims
        .record_payment(payment(id, "200.00"))
        .await
        .expect("part")
        .into_inner();
    assert_eq!(
        part.promise.as_ref().and_then(|p| p.paid.clone()),
        Some(eur("200.00"))
    );
    assert_eq!(part.holds, [pb::Hold::PromiseToPay as i32]);

    app.clock.advance_days(3);
    let kept = claims
        .record_payment(pb::RecordPaymentRequest {
            value_date: Some(date(2026, 11, 23)),
            ..payment(id, "100.00")
        })
        .await
        .expect("rest")
        .into_inner();
    assert_eq!(kept.promise, None);
    assert!(kept.holds.is_empty());
    assert_eq!(kept.balance, Some(eur("700.00")));
    let timeline = events(&app, id).await;
    assert_eq!(
        kinds(&timeline),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::PromiseRecorded,
            pb::ClaimEventKind::PaymentRecorded,
            pb::ClaimEventKind::PaymentRecorded,
            pb::ClaimEventKind::PromiseKept,
        ]
    );
    assert_eq!(payload(&timeline[4])["amount"]["amount"], "300.00");
    claims
        .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
        .await
        .expect("hold ended");
}

#[tokio::test]
async fn payment_valued_by_the_promised_date_keeps_it_even_when_recorded_later() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    claims
        .record_promise_to_pay(promise(id, "300.00", date(2026, 11, 25)))
        .await
        .expect("promise");
    app.clock.advance_days(10); // 2026-11-30: the bank statement arrives late.
    let kept = claims
        .record_payment(pb::RecordPaymentRequest {
            value_date: Some(date(2026, 11, 25)),
            ..payment(id, "300.00")
        })
        .await
        .expect("payment")
        .into_inner();
    assert_eq!(kept.promise, None);
    assert_eq!(
        kinds(&events(&app, id).await),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::PromiseRecorded,
            pb::ClaimEventKind::PaymentRecorded,
            pb::ClaimEventKind::PromiseKept,
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// EscalateClaim

#[tokio::test]
async fn escalation_climbs_one_stage_at_a_time() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);

    for target in [
        pb::ClaimState::Unspecified as i32,
        pb::ClaimState::Amicable as i32,
        pb::ClaimState::Paid as i32,
        pb::ClaimState::Settled as i32,
        pb::ClaimState::Cancelled as i32,
        77,
    ] {
        let request = pb::EscalateClaimRequest {
            target_state: target,
            ..escalate(id, pb::ClaimState::Legal)
        };
        let status = assert_refused(
            claims.escalate_claim(request).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(bad_fields(&status), ["target_state"]);
    }
    assert_refused(
        claims
            .escalate_claim(escalate(id, pb::ClaimState::Legal))
            .await,
        Code::FailedPrecondition,
        "INVALID_STATE_TRANSITION",
    );
    let notice = claims
        .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
        .await
        .expect("formal notice")
        .into_inner();
    assert_eq!(notice.state, pb::ClaimState::FormalNotice as i32);
    // Legal review the morning after the 8-day notice runs out.
    assert_eq!(notice.next_action_time, Some(ts(utc(2026, 11, 29, 7, 0))));
    assert_refused(
        claims
            .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
            .await,
        Code::FailedPrecondition,
        "INVALID_STATE_TRANSITION",
    );
    let legal = claims
        .escalate_claim(escalate(id, pb::ClaimState::Legal))
        .await
        .expect("legal")
        .into_inner();
    assert_eq!(legal.state, pb::ClaimState::Legal as i32);
    assert_eq!(legal.next_action_time, None);
    for target in [pb::ClaimState::Legal, pb::ClaimState::FormalNotice] {
        assert_refused(
            claims.escalate_claim(escalate(id, target)).await,
            Code::FailedPrecondition,
            "INVALID_STATE_TRANSITION",
        );
    }
    // Payments are still taken at the legal stage.
    let paid = claims
        .record_payment(payment(id, "10.00"))
        .await
        .expect("pay in legal")
        .into_inner();
    assert_eq!(paid.state, pb::ClaimState::Legal as i32);

    let timeline = events(&app, id).await;
    assert_eq!(
        kinds(&timeline),
        [
            pb::ClaimEventKind::ClaimCreated,
            pb::ClaimEventKind::Escalated,
            pb::ClaimEventKind::Escalated,
            pb::ClaimEventKind::PaymentRecorded,
        ]
    );
    assert_eq!(
        payload(&timeline[1]),
        serde_json::json!({"from": "amicable", "to": "formal_notice"})
    );
    assert_eq!(
        payload(&timeline[2]),
        serde_json::json!({"from": "formal_notice", "to": "legal"})
    );
}

// ---------------------------------------------------------------------------------------------
// CloseClaim

#[tokio::test]
async fn closing_as_paid_needs_a_zero_balance() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let mut claims = app.claims(&app.agent);
    claims
        .record_payment(payment(&claim.id, "999.99"))
        .await
        .expect("pay");
    assert_refused(
        claims
            .close_claim(close(&claim.id, pb::ClosureKind::Paid, "soldé"))
            .await,
        Code::FailedPrecondition,
        "BALANCE_OUTSTANDING",
    );
    let now = get(&app, &claim.id).await;
    assert_eq!(now.state, pb::ClaimState::Amicable as i32);
    assert_eq!(now.balance, Some(eur("0.01")));
    assert_eq!(now.event_count, 2);
}

#[tokio::test]
async fn closing_settles_writes_off_or_cancels_with_a_reason() {
    let app = TestApp::spawn().await;
    for (kind, state) in [
        (pb::ClosureKind::Settled, pb::ClaimState::Settled),
        (pb::ClosureKind::WrittenOff, pb::ClaimState::WrittenOff),
        (pb::ClosureKind::Cancelled, pb::ClaimState::Cancelled),
    ] {
        let claim = app.claim("1000.00").await;
        let id = claim.id.as_str();
        let mut claims = app.claims(&app.agent);
        claims
            .record_promise_to_pay(promise(id, "100.00", date(2026, 11, 30)))
            .await
            .expect("promise");
        for (request, field) in [
            (close(id, kind, ""), "reason"),
            (close(id, kind, "   "), "reason"),
            (close(id, kind, &"x".repeat(2001)), "reason"),
            (
                pb::CloseClaimRequest {
                    kind: 0,
                    ..close(id, kind, "ok")
                },
                "kind",
            ),
            (
                pb::CloseClaimRequest {
                    kind: 9,
                    ..close(id, kind, "ok")
                },
                "kind",
            ),
        ] {
            let status = assert_refused(
                claims.close_claim(request).await,
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
            );
            assert_eq!(bad_fields(&status), [field]);
        }
        let closed = claims
            .close_claim(close(id, kind, "  Accord transactionnel  "))
            .await
            .expect("close");
        let closed = closed.into_inner();
        assert_eq!(closed.state, state as i32, "{kind:?}");
        assert_eq!(
            closed.closure,
            Some(pb::Closure {
                kind: kind as i32,
                reason: "Accord transactionnel".into(),
                close_time: Some(ts(start_time())),
            })
        );
        assert_eq!(
            closed.balance,
            Some(eur("1000.00")),
            "closing does not touch the balance"
        );
        assert_eq!(closed.next_action_time, None);
        assert_eq!(closed.promise, None);
        assert!(closed.holds.is_empty());
        assert_eq!(closed.event_count, 3);
        assert_eq!(
            kinds(&events(&app, id).await)[2..],
            [pb::ClaimEventKind::ClaimClosed]
        );
        for other in [
            pb::ClosureKind::Paid,
            pb::ClosureKind::Settled,
            pb::ClosureKind::Cancelled,
        ] {
            assert_refused(
                claims.close_claim(close(id, other, "encore")).await,
                Code::FailedPrecondition,
                "CLAIM_CLOSED",
            );
        }
        assert_refused(
            claims.record_payment(payment(id, "1.00")).await,
            Code::FailedPrecondition,
            "CLAIM_CLOSED",
        );
        assert_eq!(get(&app, id).await, closed);
    }
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                state: pb::ClaimState::WrittenOff as i32,
                ..Default::default()
            }
        )
        .await
        .len(),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// Idempotency (request ids)

#[tokio::test]
async fn a_retried_request_returns_the_first_response_and_applies_once() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let mut claims = app.claims(&app.agent);
    let request = payment(&claim.id, "250.00");
    let first = claims
        .record_payment(request.clone())
        .await
        .expect("first")
        .into_inner();
    let again = claims
        .record_payment(request.clone())
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again, first);
    let now = get(&app, &claim.id).await;
    assert_eq!(now.balance, Some(eur("750.00")));
    assert_eq!(now.event_count, 2);

    // Even after later changes the retry answers what the first call answered.
    claims
        .record_contact(phone_reached(&claim.id))
        .await
        .expect("contact");
    app.clock.advance_days(1);
    assert_eq!(
        claims
            .record_payment(request)
            .await
            .expect("late retry")
            .into_inner(),
        first
    );
    let now = get(&app, &claim.id).await;
    assert_eq!(now.balance, Some(eur("750.00")));
    assert_eq!(now.event_count, 3);
    assert_eq!(events(&app, &claim.id).await.len(), 3);
}

#[tokio::test]
async fn a_retried_create_returns_the_same_claim() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    let request = pb::CreateClaimRequest {
        request_id: new_request_id(),
        claim: Some(sample_claim(&creditor, &debtor, "DOS-1", &["10.00"])),
    };
    let first = app
        .claims(&app.agent)
        .create_claim(request.clone())
        .await
        .expect("first")
        .into_inner();
    let again = app
        .claims(&app.agent)
        .create_claim(request)
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again, first);
    assert_eq!(
        list(&app, pb::ListClaimsRequest::default()).await,
        [first.id]
    );
}

#[tokio::test]
async fn a_request_id_is_bound_to_its_content_and_method() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    let request = payment(id, "100.00");
    claims.record_payment(request.clone()).await.expect("first");

    let different = pb::RecordPaymentRequest {
        amount: Some(eur("200.00")),
        ..request.clone()
    };
    let status = assert_refused(
        claims.record_payment(different).await,
        Code::InvalidArgument,
        "REQUEST_ID_REUSED",
    );
    assert_eq!(bad_fields(&status), ["request_id"]);
    // Even a different etag makes it a different request.
    let with_etag = pb::RecordPaymentRequest {
        etag: claim.etag.clone(),
        ..request.clone()
    };
    assert_refused(
        claims.record_payment(with_etag).await,
        Code::InvalidArgument,
        "REQUEST_ID_REUSED",
    );

    let rid = request.request_id.clone();
    assert_refused(
        claims
            .open_dispute(pb::OpenDisputeRequest {
                request_id: rid.clone(),
                ..open_dispute(id, "x")
            })
            .await,
        Code::InvalidArgument,
        "REQUEST_ID_REUSED",
    );
    assert_refused(
        claims
            .record_contact(pb::RecordContactRequest {
                request_id: rid.clone(),
                ..phone_reached(id)
            })
            .await,
        Code::InvalidArgument,
        "REQUEST_ID_REUSED",
    );
    assert_refused(
        claims
            .close_claim(pb::CloseClaimRequest {
                request_id: rid.clone(),
                ..close(id, pb::ClosureKind::Cancelled, "erreur")
            })
            .await,
        Code::InvalidArgument,
        "REQUEST_ID_REUSED",
    );
    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    assert_refused(
        claims
            .create_claim(pb::CreateClaimRequest {
                request_id: rid,
                claim: Some(sample_claim(&creditor, &debtor, "DOS-9", &["1.00"])),
            })
            .await,
        Code::InvalidArgument,
        "REQUEST_ID_REUSED",
    );
    let now = get(&app, id).await;
    assert_eq!(now.balance, Some(eur("900.00")));
    assert_eq!(now.event_count, 2);
    assert_eq!(now.dispute, None);
    assert_eq!(list(&app, pb::ListClaimsRequest::default()).await.len(), 1);
}

#[tokio::test]
async fn every_mutation_requires_a_request_id() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    for blank in ["", "   "] {
        let rid = blank.to_owned();
        let results = vec![
            claims
                .create_claim(pb::CreateClaimRequest {
                    request_id: rid.clone(),
                    claim: Some(sample_claim(&creditor, &debtor, "DOS-9", &["1.00"])),
                })
                .await
                .map(|_| ()),
            claims
                .record_payment(pb::RecordPaymentRequest {
                    request_id: rid.clone(),
                    ..payment(id, "1.00")
                })
                .await
                .map(|_| ()),
            claims
                .record_contact(pb::RecordContactRequest {
                    request_id: rid.clone(),
                    ..phone_reached(id)
                })
                .await
                .map(|_| ()),
            claims
                .open_dispute(pb::OpenDisputeRequest {
                    request_id: rid.clone(),
                    ..open_dispute(id, "x")
                })
                .await
                .map(|_| ()),
            claims
                .resolve_dispute(pb::ResolveDisputeRequest {
                    request_id: rid.clone(),
                    ..resolve_dispute(id)
                })
                .await
                .map(|_| ()),
            claims
                .record_promise_to_pay(pb::RecordPromiseToPayRequest {
                    request_id: rid.clone(),
                    ..promise(id, "1.00", date(2026, 11, 30))
                })
                .await
                .map(|_| ()),
            claims
                .escalate_claim(pb::EscalateClaimRequest {
                    request_id: rid.clone(),
                    ..escalate(id, pb::ClaimState::FormalNotice)
                })
                .await
                .map(|_| ()),
            claims
                .close_claim(pb::CloseClaimRequest {
                    request_id: rid.clone(),
                    ..close(id, pb::ClosureKind::Cancelled, "x")
                })
                .await
                .map(|_| ()),
        ];
        for (i, result) in results.into_iter().enumerate() {
            let status = assert_refused(result, Code::InvalidArgument, "INVALID_ARGUMENT");
            assert_eq!(bad_fields(&status), ["request_id"], "mutation #{i}");
        }
    }
    assert_eq!(get(&app, id).await, claim);
    assert_eq!(list(&app, pb::ListClaimsRequest::default()).await.len(), 1);
}

#[tokio::test]
async fn concurrent_identical_payments_apply_once() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let request = payment(&claim.id, "100.00");
    let calls = (0..10).map(|_| {
        let mut claims = app.claims(&app.agent);
        let request = request.clone();
        async move { claims.record_payment(request).await.map(|r| r.into_inner()) }
    });
    let results = futures::future::join_all(calls).await;
    let responses: Vec<pb::Claim> = results
        .into_iter()
        .map(|r| r.expect("every call answers"))
        .collect();
    assert!(
        responses.iter().all(|r| *r == responses[0]),
        "identical responses"
    );
    assert_eq!(responses[0].balance, Some(eur("900.00")));
    let now = get(&app, &claim.id).await;
    assert_eq!(now.balance, Some(eur("900.00")));
    assert_eq!(now.event_count, 2);
    assert_eq!(events(&app, &claim.id).await.len(), 2);
}

#[tokio::test]
async fn concurrent_identical_requests_replay_even_when_a_rerun_would_be_refused() {
    let app = TestApp::spawn().await;
    // Paying the whole balance with the etag: a second run would hit a closed claim and a
    // stale etag, yet every retry must get the first answer.
    let claim = app.claim("1000.00").await;
    let request = pb::RecordPaymentRequest {
        etag: claim.etag.clone(),
        ..payment(&claim.id, "1000.00")
    };
    let calls = (0..10).map(|_| {
        let mut claims = app.claims(&app.agent);
        let request = request.clone();
        async move { claims.record_payment(request).await.map(|r| r.into_inner()) }
    });
    let responses: Vec<pb::Claim> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("every call answers"))
        .collect();
    assert!(
        responses.iter().all(|r| *r == responses[0]),
        "identical responses"
    );
    assert_eq!(responses[0].state, pb::ClaimState::Paid as i32);
    assert_eq!(get(&app, &claim.id).await.event_count, 3);

    // The same for a creation: one claim, one answer.
    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    let create = pb::CreateClaimRequest {
        request_id: new_request_id(),
        claim: Some(sample_claim(&creditor, &debtor, "DOS-CONC", &["10.00"])),
    };
    let calls = (0..10).map(|_| {
        let mut claims = app.claims(&app.agent);
        let request = create.clone();
        async move { claims.create_claim(request).await.map(|r| r.into_inner()) }
    });
    let created: Vec<pb::Claim> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("every call answers"))
        .collect();
    assert!(
        created.iter().all(|r| *r == created[0]),
        "identical responses"
    );
    assert_eq!(
        list(
            &app,
            pb::ListClaimsRequest {
                creditor_id: creditor,
                ..Default::default()
            }
        )
        .await,
        [created[0].id.clone()]
    );
}

// ---------------------------------------------------------------------------------------------
// Etags

#[tokio::test]
async fn a_stale_etag_is_aborted_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    let paid = claims
        .record_payment(pb::RecordPaymentRequest {
            etag: claim.etag.clone(),
            ..payment(id, "100.00")
        })
        .await
        .expect("current etag")
        .into_inner();
    assert_ne!(paid.etag, claim.etag);

    let stale = claim.etag.clone();
    let status = assert_refused(
        claims
            .record_payment(pb::RecordPaymentRequest {
                etag: stale.clone(),
                ..payment(id, "100.00")
            })
            .await,
        Code::Aborted,
        "ETAG_MISMATCH",
    );
    let info = tonic_types::StatusExt::get_details_error_info(&status).expect("error info");
    assert_eq!(info.metadata.get("current_etag"), Some(&paid.etag));
    assert_refused(
        claims
            .record_contact(pb::RecordContactRequest {
                etag: stale.clone(),
                ..phone_reached(id)
            })
            .await,
        Code::Aborted,
        "ETAG_MISMATCH",
    );
    assert_refused(
        claims
            .escalate_claim(pb::EscalateClaimRequest {
                etag: stale.clone(),
                ..escalate(id, pb::ClaimState::FormalNotice)
            })
            .await,
        Code::Aborted,
        "ETAG_MISMATCH",
    );
    assert_refused(
        claims
            .close_claim(pb::CloseClaimRequest {
                etag: stale.clone(),
                ..close(id, pb::ClosureKind::Cancelled, "x")
            })
            .await,
        Code::Aborted,
        "ETAG_MISMATCH",
    );
    assert_refused(
        claims
            .open_dispute(pb::OpenDisputeRequest {
                etag: "garbage".into(),
                ..open_dispute(id, "x")
            })
            .await,
        Code::Aborted,
        "ETAG_MISMATCH",
    );
    assert_eq!(get(&app, id).await, paid);

    // The etag read back works.
    let escalated = claims
        .escalate_claim(pb::EscalateClaimRequest {
            etag: paid.etag.clone(),
            ..escalate(id, pb::ClaimState::FormalNotice)
        })
        .await
        .expect("fresh etag")
        .into_inner();
    assert_eq!(escalated.state, pb::ClaimState::FormalNotice as i32);
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[tokio::test]
async fn concurrent_payments_all_apply_and_chain() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let calls = (0..50).map(|_| {
        let mut claims = app.claims(&app.agent);
        let request = payment(&claim.id, "1.00");
        async move { claims.record_payment(request).await.map(|r| r.into_inner()) }
    });
    let results = futures::future::join_all(calls).await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let now = get(&app, &claim.id).await;
    assert_eq!(now.balance, Some(eur("950.00")));
    assert_eq!(now.paid_total, Some(eur("50.00")));
    assert_eq!(now.event_count, 51);
    let timeline = events(&app, &claim.id).await;
    assert_eq!(
        timeline.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        (1..=51).collect::<Vec<_>>()
    );
    // Each payment saw the balance left by the one before it.
    let mut balances: Vec<String> = timeline[1..]
        .iter()
        .map(|e| {
            payload(e)["balance_after"]["amount"]
                .as_str()
                .expect("balance")
                .to_owned()
        })
        .collect();
    balances.sort();
    let expected: Vec<String> = (950..1000).map(|n| format!("{n}.00")).collect();
    assert_eq!(balances, expected);
    let report = verify(&app, &claim.id).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.event_count, 51);
    assert_eq!(report.head_hash, timeline[50].hash);
}

// ---------------------------------------------------------------------------------------------
// The event chain

/// The hash of `event` re-computed from its public fields, as the proto documents it.
fn recompute_hash(event: &pb::ClaimEvent) -> String {
    let at = event.occur_time.expect("occur time");
    let occurred = DateTime::from_timestamp(at.seconds, at.nanos as u32)
        .expect("valid time")
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    let string = |s: &str| Value::String(s.to_owned()).to_string();
    // Keys in sorted order, no white space; the payload is already canonical.
    let canonical = format!(
        r#"{{"actor":{},"claim_id":{},"kind":{},"occurred_at":{},"payload":{},"seq":{}}}"#,
        string(&event.actor),
        string(&event.claim_id),
        string(&event.kind_name),
        string(&occurred),
        event.payload_json,
        event.sequence,
    );
    let mut hasher = Sha256::new();
    hasher.update(hex::decode(&event.previous_hash).expect("hex previous hash"));
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

#[tokio::test]
async fn events_page_in_order_and_chain_by_hash() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    claims
        .record_payment(payment(id, "100.00"))
        .await
        .expect("pay");
    claims
        .record_contact(pb::RecordContactRequest {
            note: "Il dit \"demain\" \u{1F4B6}".into(),
            ..phone_reached(id)
        })
        .await
        .expect("contact");
    app.clock.advance_days(1);
    claims
        .open_dispute(open_dispute(id, "Facture déjà réglée"))
        .await
        .expect("dispute");
    claims
        .resolve_dispute(resolve_dispute(id))
        .await
        .expect("resolve");

    let mut all = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = app
            .claims(&app.legal)
            .list_claim_events(pb::ListClaimEventsRequest {
                claim_id: id.into(),
                page_size: 2,
                page_token: token,
            })
            .await
            .expect("page")
            .into_inner();
        pages += 1;
        assert!(page.events.len() <= 2);
        all.extend(page.events);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    assert_eq!(
        all.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(all, events(&app, id).await);
    assert_eq!(
        all.iter().map(|e| e.kind_name.as_str()).collect::<Vec<_>>(),
        [
            "claim_created",
            "payment_recorded",
            "contact_recorded",
            "dispute_opened",
            "dispute_resolved"
        ]
    );
    assert_eq!(all[0].previous_hash, ZERO_HASH);
    for pair in all.windows(2) {
        assert_eq!(
            pair[1].previous_hash, pair[0].hash,
            "link at {}",
            pair[1].sequence
        );
    }
    for event in &all {
        assert_eq!(event.claim_id, id);
        assert_eq!(event.hash.len(), 64);
        assert_eq!(
            recompute_hash(event),
            event.hash,
            "hash of event {}",
            event.sequence
        );
    }
    assert_eq!(
        all[3].occur_time,
        Some(ts(start_time() + Duration::days(1)))
    );

    let report = verify(&app, id).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.event_count, 5);
    assert_eq!(report.head_hash, all[4].hash);
    assert_eq!(report.first_broken_sequence, 0);
    assert!(report.reason.is_empty());
}

#[tokio::test]
async fn event_listing_refuses_bad_input() {
    let app = TestApp::spawn().await;
    let a = app.claim("10.00").await;
    let b = app.claim("10.00").await;
    app.claims(&app.agent)
        .record_payment(payment(&a.id, "1.00"))
        .await
        .expect("pay");
    let token = app
        .claims(&app.legal)
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: a.id.clone(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("page")
        .into_inner()
        .next_page_token;
    assert!(!token.is_empty());
    for bad in [token.clone(), "garbage!".into()] {
        let status = assert_refused(
            app.claims(&app.legal)
                .list_claim_events(pb::ListClaimEventsRequest {
                    claim_id: b.id.clone(),
                    page_size: 1,
                    page_token: bad,
                })
                .await,
            Code::InvalidArgument,
            "INVALID_PAGE_TOKEN",
        );
        assert_eq!(bad_fields(&status), ["page_token"]);
    }
    let status = assert_refused(
        app.claims(&app.legal)
            .list_claim_events(pb::ListClaimEventsRequest {
                claim_id: a.id.clone(),
                page_size: -1,
                page_token: String::new(),
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(bad_fields(&status), ["page_size"]);
    let status = assert_refused(
        app.claims(&app.legal)
            .list_claim_events(pb::ListClaimEventsRequest {
                claim_id: "x".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(bad_fields(&status), ["claim_id"]);
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_refused(
        app.claims(&app.legal)
            .list_claim_events(pb::ListClaimEventsRequest {
                claim_id: unknown.clone(),
                ..Default::default()
            })
            .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    assert_refused(
        app.claims(&app.legal)
            .verify_claim_events(pb::VerifyClaimEventsRequest { claim_id: unknown })
            .await,
        Code::NotFound,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn an_edited_event_breaks_the_chain() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    claims
        .record_payment(payment(id, "100.00"))
        .await
        .expect("pay");
    claims
        .record_contact(phone_reached(id))
        .await
        .expect("contact");
    assert!(verify(&app, id).await.intact);

    app.sql(&format!(
        "UPDATE claim_events SET payload = jsonb_set(payload, '{{reference}}', '\"forged\"') \
         WHERE claim_id = '{id}' AND seq = 2"
    ))
    .await;
    let timeline = events(&app, id).await;
    assert_eq!(payload(&timeline[1])["reference"], "forged");
    assert_ne!(recompute_hash(&timeline[1]), timeline[1].hash);

    let report = verify(&app, id).await;
    assert!(!report.intact);
    assert_eq!(report.first_broken_sequence, 2);
    assert_eq!(report.event_count, 3);
    assert!(!report.reason.is_empty());
}

#[tokio::test]
async fn a_removed_event_breaks_the_chain() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut claims = app.claims(&app.agent);
    claims
        .record_payment(payment(id, "100.00"))
        .await
        .expect("pay");
    claims
        .record_contact(phone_reached(id))
        .await
        .expect("contact");

    app.sql(&format!(
        "DELETE FROM claim_events WHERE claim_id = '{id}' AND seq = 3"
    ))
    .await;
    let report = verify(&app, id).await;
    assert!(!report.intact);
    assert_eq!(report.first_broken_sequence, 3);
    assert_eq!(report.event_count, 2);

    // A hole in the middle is named too.
    let other = app.claim("1000.00").await;
    let oid = other.id.as_str();
    claims
        .record_payment(payment(oid, "100.00"))
        .await
        .expect("pay");
    claims
        .record_contact(phone_reached(oid))
        .await
        .expect("contact");
    app.sql(&format!(
        "DELETE FROM claim_events WHERE claim_id = '{oid}' AND seq = 2"
    ))
    .await;
    let report = verify(&app, oid).await;
    assert!(!report.intact);
    assert_eq!(report.first_broken_sequence, 2);
}

// ---------------------------------------------------------------------------------------------
// Roles and authentication

#[tokio::test]
async fn the_legal_role_reads_but_cannot_change_claims() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    let id = claim.id.as_str();
    let mut legal = app.claims(&app.legal);
    assert_eq!(
        legal
            .get_claim(pb::GetClaimRequest { id: id.into() })
            .await
            .expect("get")
            .into_inner(),
        claim
    );
    let listed = legal
        .list_claims(pb::ListClaimsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.claims, std::slice::from_ref(&claim));
    let timeline = legal
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: id.into(),
            ..Default::default()
        })
        .await
        .expect("events")
        .into_inner();
    assert_eq!(timeline.events.len(), 1);
    assert!(
        legal
            .verify_claim_events(pb::VerifyClaimEventsRequest {
                claim_id: id.into()
            })
            .await
            .expect("verify")
            .into_inner()
            .intact
    );

    let creditor = app.creditor(&app.admin).await.id;
    let debtor = app.debtor(&app.agent).await.id;
    let results = vec![
        legal
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: Some(sample_claim(&creditor, &debtor, "DOS-L", &["1.00"])),
            })
            .await
            .map(|_| ()),
        legal.record_payment(payment(id, "1.00")).await.map(|_| ()),
        legal.record_contact(phone_reached(id)).await.map(|_| ()),
        legal.open_dispute(open_dispute(id, "x")).await.map(|_| ()),
        legal.resolve_dispute(resolve_dispute(id)).await.map(|_| ()),
        legal
            .record_promise_to_pay(promise(id, "1.00", date(2026, 11, 30)))
            .await
            .map(|_| ()),
        legal
            .escalate_claim(escalate(id, pb::ClaimState::FormalNotice))
            .await
            .map(|_| ()),
        legal
            .close_claim(close(id, pb::ClosureKind::Cancelled, "x"))
            .await
            .map(|_| ()),
    ];
    for (i, result) in results.into_iter().enumerate() {
        let status = assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
        assert!(
            status.message().contains("agent"),
            "mutation #{i}: {status:?}"
        );
    }
    assert_eq!(get(&app, id).await, claim);
    assert_eq!(list(&app, pb::ListClaimsRequest::default()).await.len(), 1);

    // The role is checked before the content: a read-only key gets no validation feedback.
    let invalid = vec![
        legal
            .create_claim(pb::CreateClaimRequest {
                request_id: String::new(),
                claim: None,
            })
            .await
            .map(|_| ()),
        legal
            .record_payment(pb::RecordPaymentRequest {
                method: 0,
                ..payment("x", "-1")
            })
            .await
            .map(|_| ()),
        legal
            .escalate_claim(pb::EscalateClaimRequest {
                request_id: String::new(),
                ..escalate(id, pb::ClaimState::Amicable)
            })
            .await
            .map(|_| ()),
        legal
            .close_claim(close(id, pb::ClosureKind::Unspecified, ""))
            .await
            .map(|_| ()),
    ];
    for result in invalid {
        assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
    }

    // The admin role includes the agent's.
    let paid = app
        .claims(&app.admin)
        .record_payment(payment(id, "1.00"))
        .await
        .expect("admin pays");
    assert_eq!(paid.into_inner().balance, Some(eur("999.00")));
}

#[tokio::test]
async fn calls_without_a_valid_key_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let claim = app.claim("1000.00").await;
    for key in [
        "",
        "garbage",
        "rcv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let mut claims = app.claims(key);
        assert_refused(
            claims
                .get_claim(pb::GetClaimRequest {
                    id: claim.id.clone(),
                })
                .await,
            Code::Unauthenticated,
            "UNAUTHENTICATED",
        );
        assert_refused(
            claims.list_claims(pb::ListClaimsRequest::default()).await,
            Code::Unauthenticated,
            "UNAUTHENTICATED",
        );
        assert_refused(
            claims.record_payment(payment(&claim.id, "1.00")).await,
            Code::Unauthenticated,
            "UNAUTHENTICATED",
        );
        // Authentication comes before validation.
        assert_refused(
            claims
                .record_payment(pb::RecordPaymentRequest {
                    request_id: String::new(),
                    ..payment("x", "1.00")
                })
                .await,
            Code::Unauthenticated,
            "UNAUTHENTICATED",
        );
    }
    assert_eq!(get(&app, &claim.id).await, claim);
}

/// PostgreSQL cannot store NUL in text or jsonb: such input is the caller's mistake and must be
/// refused field by field, never surface as a database error.
#[tokio::test]
async fn text_with_a_nul_character_is_invalid_input_not_an_internal_error() {
    let app = TestApp::spawn().await;
    let claim = app.claim("100.00").await;
    let mut claims = app.claims(&app.agent);
    let contact = claims
        .record_contact(pb::RecordContactRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            channel: pb::ContactChannel::Phone as i32,
            direction: pb::ContactDirection::Outbound as i32,
            outcome: pb::ContactOutcome::Reached as i32,
            note: "rappel\0demain".into(),
            ..Default::default()
        })
        .await;
    let status = assert_refused(contact, tonic::Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["note"]);

    let mut debtor = sample_business_debtor();
    debtor.legal_name = "Dupont\0SARL".into();
    debtor.addresses[0].locality = "Ly\0on".into();
    let created = app
        .debtors(&app.agent)
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(debtor),
        })
        .await;
    let status = assert_refused(created, tonic::Code::InvalidArgument, "INVALID_ARGUMENT");
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        vec!["debtor.addresses[0].locality", "debtor.legal_name"]
    );

    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    let mut new = sample_claim(&creditor.id, &debtor.id, "REF\0-1", &["10.00"]);
    new.invoices[0].number = "F\0".into();
    let created = claims
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(new),
        })
        .await;
    let status = assert_refused(created, tonic::Code::InvalidArgument, "INVALID_ARGUMENT");
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        vec!["claim.external_reference", "claim.invoices[0].number"]
    );

    let replay = claims
        .open_dispute(pb::OpenDisputeRequest {
            request_id: "id\0with-nul".into(),
            claim_id: claim.id.clone(),
            reason: "contestation".into(),
            ..Default::default()
        })
        .await;
    let status = assert_refused(replay, tonic::Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["request_id"]);
}
