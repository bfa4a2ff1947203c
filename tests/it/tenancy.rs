//! Tenant isolation over the wire: a key of one tenant can neither read, change, reference nor
//! list what belongs to another, and the refusal is NOT_FOUND exactly as for an id that does
//! not exist anywhere (so ids of other tenants cannot be probed). Request ids are per tenant.

use std::collections::HashSet;

use recouvre::api::pb;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::support::*;

fn unknown_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Asserts that the refusal of a call on another tenant's resource (`theirs`, id `their_id`)
/// cannot be told from the refusal of the same call on an unknown id: NOT_FOUND, same reason,
/// same message and same details but for the id itself.
#[track_caller]
fn assert_like_unknown<T: std::fmt::Debug>(
    what: &str,
    theirs: Result<T, Status>,
    their_id: &str,
    unknown: Result<T, Status>,
    unknown_id: &str,
) {
    let theirs = theirs.expect_err(&format!(
        "{what}: another tenant's resource must be refused"
    ));
    let unknown = unknown.expect_err(&format!("{what}: an unknown id must be refused"));
    assert_eq!(theirs.code(), Code::NotFound, "{what}: {theirs:?}");
    assert_eq!(unknown.code(), Code::NotFound, "{what}: {unknown:?}");
    assert_eq!(reason(&theirs), "NOT_FOUND", "{what}: {theirs:?}");
    assert_eq!(reason(&theirs), reason(&unknown), "{what}");
    assert_eq!(
        theirs.message().replace(their_id, "<id>"),
        unknown.message().replace(unknown_id, "<id>"),
        "{what}: messages differ"
    );
    let metadata = |s: &Status| {
        let mut m: Vec<(String, String)> = s
            .get_details_error_info()
            .map(|i| i.metadata.into_iter().collect())
            .unwrap_or_default();
        m.sort();
        m.into_iter()
            .map(|(k, v)| (k, v.replace(their_id, "<id>").replace(unknown_id, "<id>")))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        metadata(&theirs),
        metadata(&unknown),
        "{what}: ErrorInfo metadata differ"
    );
}

/// Tenant 1's parties and claim, and tenant 2's admin key.
struct TwoTenants {
    app: TestApp,
    claim: pb::Claim,
    other_admin: String,
}

async fn two_tenants() -> TwoTenants {
    let app = TestApp::spawn().await;
    let claim = app.claim("1500.00").await;
    let (_, other_admin) = app.new_tenant("second").await;
    TwoTenants {
        app,
        claim,
        other_admin,
    }
}

#[tokio::test]
async fn parties_of_another_tenant_are_not_found() {
    let TwoTenants {
        app, other_admin, ..
    } = two_tenants().await;
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    let unknown = unknown_id();

    let mut creditors = app.creditors(&other_admin);
    let get = |id: &str| pb::GetCreditorRequest { id: id.to_owned() };
    assert_like_unknown(
        "GetCreditor",
        creditors.get_creditor(get(&creditor.id)).await,
        &creditor.id,
        creditors.get_creditor(get(&unknown)).await,
        &unknown,
    );
    let update = |id: &str| pb::UpdateCreditorRequest {
        request_id: new_request_id(),
        creditor: Some(pb::Creditor {
            id: id.to_owned(),
            legal_name: "Détournée SAS".into(),
            // A stale etag must not reveal the creditor either (ABORTED would).
            etag: "v999".into(),
            ..sample_creditor()
        }),
        update_mask: None,
    };
    assert_like_unknown(
        "UpdateCreditor",
        creditors.update_creditor(update(&creditor.id)).await,
        &creditor.id,
        creditors.update_creditor(update(&unknown)).await,
        &unknown,
    );

    let mut debtors = app.debtors(&other_admin);
    let get = |id: &str| pb::GetDebtorRequest { id: id.to_owned() };
    assert_like_unknown(
        "GetDebtor",
        debtors.get_debtor(get(&debtor.id)).await,
        &debtor.id,
        debtors.get_debtor(get(&unknown)).await,
        &unknown,
    );
    let update = |id: &str| pb::UpdateDebtorRequest {
        request_id: new_request_id(),
        debtor: Some(pb::Debtor {
            id: id.to_owned(),
            legal_name: "Détourné SARL".into(),
            etag: "v999".into(),
            ..sample_business_debtor()
        }),
        update_mask: None,
    };
    assert_like_unknown(
        "UpdateDebtor",
        debtors.update_debtor(update(&debtor.id)).await,
        &debtor.id,
        debtors.update_debtor(update(&unknown)).await,
        &unknown,
    );

    // Tenant 1 still sees its own, unchanged.
    let got = app
        .creditors(&app.legal)
        .get_creditor(pb::GetCreditorRequest {
            id: creditor.id.clone(),
        })
        .await
        .expect("own creditor")
        .into_inner();
    assert_eq!(got, creditor);
    let got = app
        .debtors(&app.legal)
        .get_debtor(pb::GetDebtorRequest {
            id: debtor.id.clone(),
        })
        .await
        .expect("own debtor")
        .into_inner();
    assert_eq!(got, debtor);
}

/// Every ClaimService RPC that names a claim, with a valid request for `id`; the results in a
/// fixed order.
async fn every_claim_rpc(
    client: &mut Claims,
    id: &str,
    etag: &str,
) -> Vec<(&'static str, Result<(), Status>)> {
    let id = id.to_owned();
    let etag = etag.to_owned();
    let rid = new_request_id;
    let mut out = Vec::new();
    let r = client
        .get_claim(pb::GetClaimRequest { id: id.clone() })
        .await;
    out.push(("GetClaim", r.map(drop)));
    let r = client
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: id.clone(),
            page_size: 0,
            page_token: String::new(),
        })
        .await;
    out.push(("ListClaimEvents", r.map(drop)));
    let r = client
        .verify_claim_events(pb::VerifyClaimEventsRequest {
            claim_id: id.clone(),
        })
        .await;
    out.push(("VerifyClaimEvents", r.map(drop)));
    let r = client
        .record_payment(pb::RecordPaymentRequest {
            request_id: rid(),
            claim_id: id.clone(),
            etag: etag.clone(),
            amount: Some(eur("100.00")),
            value_date: Some(date(2026, 11, 19)),
            method: pb::PaymentMethod::BankTransfer as i32,
            reference: "VIR 42".into(),
            invoice_number: String::new(),
        })
        .await;
    out.push(("RecordPayment", r.map(drop)));
    let r = client
        .record_contact(pb::RecordContactRequest {
            request_id: rid(),
            claim_id: id.clone(),
            etag: etag.clone(),
            channel: pb::ContactChannel::Phone as i32,
            direction: pb::ContactDirection::Outbound as i32,
            outcome: pb::ContactOutcome::Reached as i32,
            note: "appel".into(),
            occur_time: None,
        })
        .await;
    out.push(("RecordContact", r.map(drop)));
    let r = client
        .open_dispute(pb::OpenDisputeRequest {
            request_id: rid(),
            claim_id: id.clone(),
            etag: etag.clone(),
            reason: "marchandise non livrée".into(),
        })
        .await;
    out.push(("OpenDispute", r.map(drop)));
    let r = client
        .resolve_dispute(pb::ResolveDisputeRequest {
            request_id: rid(),
            claim_id: id.clone(),
            etag: etag.clone(),
            resolution: pb::DisputeResolution::CreditorUpheld as i32,
            note: "livraison prouvée".into(),
        })
        .await;
    out.push(("ResolveDispute", r.map(drop)));
    let r = client
        .record_promise_to_pay(pb::RecordPromiseToPayRequest {
            request_id: rid(),
            claim_id: id.clone(),
            etag: etag.clone(),
            amount: Some(eur("500.00")),
            due_date: Some(date(2026, 12, 15)),
        })
        .await;
    out.push(("RecordPromiseToPay", r.map(drop)));
    let r = client
        .escalate_claim(pb::EscalateClaimRequest {
            request_id: rid(),
            claim_id: id.clone(),
            etag: etag.clone(),
            target_state: pb::ClaimState::FormalNotice as i32,
        })
        .await;
    out.push(("EscalateClaim", r.map(drop)));
    let r = client
        .close_claim(pb::CloseClaimRequest {
            request_id: rid(),
            claim_id: id.clone(),
            etag: etag.clone(),
            kind: pb::ClosureKind::Cancelled as i32,
            reason: "erreur de saisie".into(),
        })
        .await;
    out.push(("CloseClaim", r.map(drop)));
    out
}

#[tokio::test]
async fn claim_rpcs_on_another_tenants_claim_are_not_found_and_change_nothing() {
    let TwoTenants {
        app,
        claim,
        other_admin,
    } = two_tenants().await;
    let events_before = app
        .claims(&app.legal)
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: claim.id.clone(),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .expect("events")
        .into_inner()
        .events;
    assert_eq!(events_before.len() as i64, claim.event_count);

    // Tenant 2's admin (the strongest role) tries every RPC on tenant 1's claim and on an
    // unknown id; the answers must be the same.
    let unknown = unknown_id();
    let mut other = app.claims(&other_admin);
    let theirs = every_claim_rpc(&mut other, &claim.id, &claim.etag).await;
    let unknowns = every_claim_rpc(&mut other, &unknown, &claim.etag).await;
    assert_eq!(theirs.len(), 10);
    for ((what, theirs), (_, unknown_result)) in theirs.into_iter().zip(unknowns) {
        assert_like_unknown(what, theirs, &claim.id, unknown_result, &unknown);
    }
    // A stale etag must not reveal the claim either (ABORTED would say it exists).
    let theirs = every_claim_rpc(&mut other, &claim.id, "v999").await;
    let unknowns = every_claim_rpc(&mut other, &unknown, "v999").await;
    for ((what, theirs), (_, unknown_result)) in theirs.into_iter().zip(unknowns) {
        assert_like_unknown(what, theirs, &claim.id, unknown_result, &unknown);
    }

    // Tenant 1's claim is untouched.
    let mut own = app.claims(&app.legal);
    let after = own
        .get_claim(pb::GetClaimRequest {
            id: claim.id.clone(),
        })
        .await
        .expect("own claim")
        .into_inner();
    assert_eq!(after, claim);
    assert_eq!(after.etag, claim.etag);
    let events_after = own
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: claim.id.clone(),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .expect("events")
        .into_inner()
        .events;
    assert_eq!(events_after, events_before);
    let verified = own
        .verify_claim_events(pb::VerifyClaimEventsRequest {
            claim_id: claim.id.clone(),
        })
        .await
        .expect("verify")
        .into_inner();
    assert!(verified.intact);
    assert_eq!(verified.event_count, claim.event_count);

    // Positive control: the same requests do succeed for the owner (so the refusals above were
    // not caused by the requests themselves). Only the first moves are accepted by the
    // lifecycle; what matters is that none is NOT_FOUND.
    let mut agent = app.claims(&app.agent);
    for (what, result) in every_claim_rpc(&mut agent, &claim.id, "").await {
        if let Err(status) = result {
            assert_ne!(
                status.code(),
                Code::NotFound,
                "{what} by the owner: {status:?}"
            );
        }
    }
}

#[tokio::test]
async fn revoking_another_tenants_key_is_not_found() {
    let TwoTenants {
        app, other_admin, ..
    } = two_tenants().await;
    let keys = app
        .api_keys(&app.admin)
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .expect("list")
        .into_inner()
        .api_keys;
    let agent_key = keys
        .iter()
        .find(|k| k.role == pb::Role::Agent as i32)
        .expect("the agent key")
        .clone();
    let unknown = unknown_id();
    let mut client = app.api_keys(&other_admin);
    let revoke = |id: &str| pb::RevokeApiKeyRequest {
        request_id: new_request_id(),
        id: id.to_owned(),
    };
    assert_like_unknown(
        "RevokeApiKey",
        client.revoke_api_key(revoke(&agent_key.id)).await,
        &agent_key.id,
        client.revoke_api_key(revoke(&unknown)).await,
        &unknown,
    );
    // The key still works and is still active.
    app.debtor(&app.agent).await;
    let after = app
        .api_keys(&app.admin)
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .expect("list")
        .into_inner()
        .api_keys;
    assert_eq!(after, keys);
}

#[tokio::test]
async fn claims_cannot_reference_another_tenants_parties() {
    let TwoTenants {
        app,
        claim,
        other_admin,
    } = two_tenants().await;
    let their_creditor = app.creditor(&app.admin).await;
    let their_debtor = app.debtor(&app.agent).await;
    let own_creditor = app.creditor(&other_admin).await;
    let own_debtor = app.debtor(&other_admin).await;
    let unknown = unknown_id();
    let mut claims = app.claims(&other_admin);
    let create = |creditor: &str, debtor: &str| pb::CreateClaimRequest {
        request_id: new_request_id(),
        claim: Some(sample_claim(creditor, debtor, "F-9", &["250.00"])),
    };

    assert_like_unknown(
        "CreateClaim with another tenant's creditor",
        claims
            .create_claim(create(&their_creditor.id, &own_debtor.id))
            .await,
        &their_creditor.id,
        claims.create_claim(create(&unknown, &own_debtor.id)).await,
        &unknown,
    );
    assert_like_unknown(
        "CreateClaim with another tenant's debtor",
        claims
            .create_claim(create(&own_creditor.id, &their_debtor.id))
            .await,
        &their_debtor.id,
        claims
            .create_claim(create(&own_creditor.id, &unknown))
            .await,
        &unknown,
    );
    let result = claims
        .create_claim(create(&their_creditor.id, &their_debtor.id))
        .await;
    assert_refused(result, Code::NotFound, "NOT_FOUND");

    // With its own parties it works.
    claims
        .create_claim(create(&own_creditor.id, &own_debtor.id))
        .await
        .expect("claim between own parties");
    let listed = app
        .claims(&app.legal)
        .list_claims(pb::ListClaimsRequest::default())
        .await
        .expect("tenant 1 lists")
        .into_inner()
        .claims;
    assert_eq!(listed, vec![claim], "nothing was created in tenant 1");
}

#[tokio::test]
async fn lists_never_show_another_tenants_rows() {
    let TwoTenants {
        app,
        claim,
        other_admin,
    } = two_tenants().await;
    // Tenant 2 has rows of its own.
    let own_creditor = app.creditor(&other_admin).await;
    let own_debtor = app.debtor(&other_admin).await;
    let own_claim = app
        .claims(&other_admin)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(sample_claim(
                &own_creditor.id,
                &own_debtor.id,
                "F-2",
                &["80.00"],
            )),
        })
        .await
        .expect("own claim")
        .into_inner();

    let creditors = app
        .creditors(&other_admin)
        .list_creditors(pb::ListCreditorsRequest::default())
        .await
        .expect("creditors")
        .into_inner();
    assert_eq!(creditors.creditors, vec![own_creditor]);
    let debtors = app
        .debtors(&other_admin)
        .list_debtors(pb::ListDebtorsRequest::default())
        .await
        .expect("debtors")
        .into_inner();
    assert_eq!(debtors.debtors, vec![own_debtor]);
    let claims = app
        .claims(&other_admin)
        .list_claims(pb::ListClaimsRequest::default())
        .await
        .expect("claims")
        .into_inner();
    assert_eq!(claims.claims, vec![own_claim]);
    // Filtering on the other tenant's parties finds nothing (and says nothing).
    for request in [
        pb::ListClaimsRequest {
            creditor_id: claim.creditor_id.clone(),
            ..Default::default()
        },
        pb::ListClaimsRequest {
            debtor_id: claim.debtor_id.clone(),
            ..Default::default()
        },
    ] {
        let page = app
            .claims(&other_admin)
            .list_claims(request)
            .await
            .expect("filtered list")
            .into_inner();
        assert!(page.claims.is_empty(), "{page:?}");
    }

    let their_keys: HashSet<String> = app
        .api_keys(&app.admin)
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .expect("tenant 1 keys")
        .into_inner()
        .api_keys
        .into_iter()
        .map(|k| k.id)
        .collect();
    let own_keys = app
        .api_keys(&other_admin)
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .expect("tenant 2 keys")
        .into_inner()
        .api_keys;
    assert_eq!(
        own_keys.len(),
        1,
        "tenant 2 has only its admin key: {own_keys:?}"
    );
    assert!(own_keys.iter().all(|k| !their_keys.contains(&k.id)));

    // And the other way round.
    let their_claims = app
        .claims(&app.legal)
        .list_claims(pb::ListClaimsRequest::default())
        .await
        .expect("tenant 1 claims")
        .into_inner()
        .claims;
    assert_eq!(their_claims, vec![claim]);
}

#[tokio::test]
async fn request_ids_are_per_tenant() {
    let app = TestApp::spawn().await;
    let (_, other_admin) = app.new_tenant("second").await;
    // The very same request (same id, same content) sent by two tenants creates two creditors:
    // the second must not be answered with the first tenant's creditor.
    let request = pb::CreateCreditorRequest {
        request_id: new_request_id(),
        creditor: Some(sample_creditor()),
    };
    let first = app
        .creditors(&app.admin)
        .create_creditor(request.clone())
        .await
        .expect("tenant 1")
        .into_inner();
    let second = app
        .creditors(&other_admin)
        .create_creditor(request.clone())
        .await
        .expect("tenant 2")
        .into_inner();
    assert_ne!(first.id, second.id);
    let got = app
        .creditors(&other_admin)
        .get_creditor(pb::GetCreditorRequest {
            id: second.id.clone(),
        })
        .await
        .expect("tenant 2 reads its creditor")
        .into_inner();
    assert_eq!(got, second);

    // Within one tenant the id still deduplicates.
    let replay = app
        .creditors(&other_admin)
        .create_creditor(request.clone())
        .await
        .expect("tenant 2 replay")
        .into_inner();
    assert_eq!(replay, second);

    // The same id with different content in another tenant is not "reused" either.
    let mut different = request;
    if let Some(c) = different.creditor.as_mut() {
        c.legal_name = "Autre SAS".into();
    }
    let (_, third_admin) = app.new_tenant("third").await;
    let third = app
        .creditors(&third_admin)
        .create_creditor(different)
        .await
        .expect("tenant 3")
        .into_inner();
    assert_eq!(third.legal_name, "Autre SAS");
    for key in [&app.admin, &other_admin, &third_admin] {
        let listed = app
            .creditors(key)
            .list_creditors(pb::ListCreditorsRequest::default())
            .await
            .expect("list")
            .into_inner()
            .creditors;
        assert_eq!(listed.len(), 1, "one creditor per tenant: {listed:?}");
    }
}
