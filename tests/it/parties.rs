//! Creditors, debtors and API keys over the wire: round trips, field-by-field validation,
//! update masks, etags, idempotency, pagination, roles and authentication.

use std::collections::HashSet;

use recouvre::api::pb;
use recouvre::api::pb::creditor_service_client::CreditorServiceClient;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

use crate::support::*;

fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// The fields of an INVALID_ARGUMENT refusal, sorted.
#[track_caller]
fn refused_fields<T: std::fmt::Debug>(result: Result<T, Status>) -> Vec<String> {
    let status = assert_refused(result, Code::InvalidArgument, "INVALID_ARGUMENT");
    let mut fields = bad_fields(&status);
    fields.sort();
    fields
}

async fn create_creditor_with(
    app: &TestApp,
    creditor: pb::Creditor,
) -> Result<pb::Creditor, Status> {
    app.creditors(&app.admin)
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(creditor),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn create_debtor_with(app: &TestApp, debtor: pb::Debtor) -> Result<pb::Debtor, Status> {
    app.debtors(&app.agent)
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(debtor),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn get_creditor(app: &TestApp, id: &str) -> pb::Creditor {
    app.creditors(&app.legal)
        .get_creditor(pb::GetCreditorRequest { id: id.to_owned() })
        .await
        .expect("get creditor")
        .into_inner()
}

async fn get_debtor(app: &TestApp, id: &str) -> pb::Debtor {
    app.debtors(&app.legal)
        .get_debtor(pb::GetDebtorRequest { id: id.to_owned() })
        .await
        .expect("get debtor")
        .into_inner()
}

// ---------------------------------------------------------------------------------------------
// Creditors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn creditor_create_get_list_update_round_trip() {
    let app = TestApp::spawn().await;
    let mut sent = sample_creditor();
    // Spaces are accepted and removed in SIREN, SIRET and IBAN.
    sent.siren = "552 100 554".into();
    sent.siret = "552 100 554 00013".into();
    sent.iban = "FR76 3000 6000 0112 3456 7890 189".into();
    let created = create_creditor_with(&app, sent).await.expect("create");
    assert!(
        uuid::Uuid::try_parse(&created.id).is_ok(),
        "id is a UUID: {}",
        created.id
    );
    assert_eq!(created.legal_name, "ACME Fournitures SAS");
    assert_eq!(created.legal_form, "SAS");
    assert_eq!(created.siren, "552100554");
    assert_eq!(created.siret, "55210055400013");
    assert_eq!(created.vat_number, "FR96552100554");
    assert_eq!(created.iban, "FR7630006000011234567890189");
    assert_eq!(created.bic, "AGRIFRPP");
    assert_eq!(created.contact_email, "recouvrement@acme.fr");
    assert_eq!(created.address, Some(paris_address()));
    assert!(!created.agency_client);
    assert!(!created.etag.is_empty());
    let at = Some(prost_types::Timestamp {
        seconds: start_time().timestamp(),
        nanos: 0,
    });
    assert_eq!(created.create_time, at);
    assert_eq!(created.update_time, at);

    assert_eq!(get_creditor(&app, &created.id).await, created);
    let listed = app
        .creditors(&app.legal)
        .list_creditors(pb::ListCreditorsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.creditors, vec![created.clone()]);
    assert_eq!(listed.next_page_token, "");

    // A full update (empty mask) replaces every mutable field.
    app.clock.advance_days(1);
    let mut changed = created.clone();
    changed.legal_name = "ACME Distribution SAS".into();
    changed.contact_email = "compta@acme.fr".into();
    changed.agency_client = true;
    let updated = app
        .creditors(&app.admin)
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(changed),
            update_mask: None,
        })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.legal_name, "ACME Distribution SAS");
    assert_eq!(updated.contact_email, "compta@acme.fr");
    assert!(updated.agency_client);
    assert_eq!(updated.siren, created.siren);
    assert_eq!(updated.iban, created.iban);
    assert_eq!(updated.create_time, created.create_time);
    assert_eq!(
        updated.update_time.as_ref().map(|t| t.seconds),
        Some(start_time().timestamp() + 86_400)
    );
    assert_ne!(updated.etag, created.etag);
    assert_eq!(get_creditor(&app, &created.id).await, updated);
}

#[tokio::test]
async fn creditor_validation_names_each_bad_field() {
    let app = TestApp::spawn().await;
    type Edit = fn(&mut pb::Creditor);
    let cases: &[(&str, Edit, &str)] = &[
        (
            "bad SIREN checksum",
            |c| c.siren = "552100555".into(),
            "creditor.siren",
        ),
        (
            "SIRET of another company",
            // A valid SIRET (Luhn) whose SIREN 732829320 is not the creditor's 552100554.
            |c| c.siret = "73282932000009".into(),
            "creditor.siret",
        ),
        (
            "bad IBAN check digits",
            |c| c.iban = "FR7630006000011234567890188".into(),
            "creditor.iban",
        ),
        (
            "unknown country",
            |c| c.address.as_mut().expect("address").region_code = "ZZ".into(),
            "creditor.address.region_code",
        ),
        (
            "French postal code of 4 digits",
            |c| c.address.as_mut().expect("address").postal_code = "7500".into(),
            "creditor.address.postal_code",
        ),
        (
            "bad e-mail",
            |c| c.contact_email = "recouvrement.acme.fr".into(),
            "creditor.contact_email",
        ),
        (
            "missing legal name",
            |c| c.legal_name = "  ".into(),
            "creditor.legal_name",
        ),
    ];
    for (what, edit, field) in cases {
        let mut creditor = sample_creditor();
        edit(&mut creditor);
        let fields = refused_fields(create_creditor_with(&app, creditor).await);
        assert_eq!(fields, vec![(*field).to_owned()], "{what}");
    }

    // Several bad fields in one request: one violation each.
    let mut creditor = sample_creditor();
    creditor.legal_name = String::new();
    creditor.siren = "552100555".into();
    creditor.iban = "FR7630006000011234567890188".into();
    creditor.contact_email = "nope".into();
    creditor.address.as_mut().expect("address").postal_code = "ABCDE".into();
    let fields = refused_fields(create_creditor_with(&app, creditor).await);
    assert_eq!(
        fields,
        vec![
            "creditor.address.postal_code",
            "creditor.contact_email",
            "creditor.iban",
            "creditor.legal_name",
            "creditor.siren",
        ]
    );

    // Nothing was created by the refused requests.
    let listed = app
        .creditors(&app.admin)
        .list_creditors(pb::ListCreditorsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert!(listed.creditors.is_empty(), "{:?}", listed.creditors);
}

#[tokio::test]
async fn update_creditor_with_a_mask_changes_only_the_named_fields() {
    let app = TestApp::spawn().await;
    let created = app.creditor(&app.admin).await;
    let mut sent = created.clone();
    sent.legal_name = "ACME Nouvelle Dénomination SAS".into();
    sent.contact_email = "autre@acme.fr".into();
    sent.iban = String::new();
    sent.address = None;
    let updated = app
        .creditors(&app.admin)
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(sent),
            update_mask: mask(&["legal_name"]),
        })
        .await
        .expect("update")
        .into_inner();
    let expected = pb::Creditor {
        legal_name: "ACME Nouvelle Dénomination SAS".into(),
        etag: updated.etag.clone(),
        update_time: updated.update_time,
        ..created.clone()
    };
    assert_eq!(updated, expected);
    assert_ne!(updated.etag, created.etag);
    assert_eq!(get_creditor(&app, &created.id).await, updated);
}

#[tokio::test]
async fn update_creditor_refuses_an_unknown_mask_path() {
    let app = TestApp::spawn().await;
    let created = app.creditor(&app.admin).await;
    let mut sent = created.clone();
    sent.legal_name = "Autre".into();
    let result = app
        .creditors(&app.admin)
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(sent),
            update_mask: mask(&["legal_name", "colour"]),
        })
        .await;
    assert_eq!(refused_fields(result), vec!["update_mask"]);
    // Output-only fields are not mutable either.
    let result = app
        .creditors(&app.admin)
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(created.clone()),
            update_mask: mask(&["etag"]),
        })
        .await;
    assert_eq!(refused_fields(result), vec!["update_mask"]);
    assert_eq!(get_creditor(&app, &created.id).await, created);
}

#[tokio::test]
async fn update_creditor_with_a_stale_etag_is_aborted() {
    let app = TestApp::spawn().await;
    let created = app.creditor(&app.admin).await;
    let mut first = created.clone();
    first.legal_name = "Première".into();
    let updated = app
        .creditors(&app.admin)
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(first),
            update_mask: mask(&["legal_name"]),
        })
        .await
        .expect("first update")
        .into_inner();
    assert_ne!(updated.etag, created.etag, "the etag changes on update");

    // A writer that read before the first update still holds the old etag.
    let mut stale = created.clone();
    stale.legal_name = "Seconde".into();
    let result = app
        .creditors(&app.admin)
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(stale),
            update_mask: mask(&["legal_name"]),
        })
        .await;
    assert_refused(result, Code::Aborted, "ETAG_MISMATCH");
    assert_eq!(get_creditor(&app, &created.id).await, updated);

    // With the current etag it goes through.
    let mut fresh = updated.clone();
    fresh.legal_name = "Seconde".into();
    let again = app
        .creditors(&app.admin)
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(fresh),
            update_mask: mask(&["legal_name"]),
        })
        .await
        .expect("update with the current etag")
        .into_inner();
    assert_eq!(again.legal_name, "Seconde");
    assert_ne!(again.etag, updated.etag);
}

#[tokio::test]
async fn replayed_update_creditor_returns_the_first_result() {
    let app = TestApp::spawn().await;
    let created = app.creditor(&app.admin).await;
    let mut sent = created.clone();
    sent.legal_name = "Première".into();
    let request = pb::UpdateCreditorRequest {
        request_id: new_request_id(),
        creditor: Some(sent),
        update_mask: mask(&["legal_name"]),
    };
    let first = app
        .creditors(&app.admin)
        .update_creditor(request.clone())
        .await
        .expect("first")
        .into_inner();

    // Another change in between.
    let mut other = first.clone();
    other.legal_name = "Seconde".into();
    let second = app
        .creditors(&app.admin)
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(other),
            update_mask: mask(&["legal_name"]),
        })
        .await
        .expect("second")
        .into_inner();

    // The retry is answered with the first result (not applied again, not refused for its
    // now stale etag).
    let replayed = app
        .creditors(&app.admin)
        .update_creditor(request.clone())
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(replayed, first);
    assert_eq!(get_creditor(&app, &created.id).await, second);

    // The same id with other content is refused.
    let mut changed = request;
    if let Some(c) = changed.creditor.as_mut() {
        c.legal_name = "Troisième".into();
    }
    let result = app.creditors(&app.admin).update_creditor(changed).await;
    let status = assert_refused(result, Code::InvalidArgument, "REQUEST_ID_REUSED");
    assert_eq!(bad_fields(&status), vec!["request_id"]);
    assert_eq!(get_creditor(&app, &created.id).await, second);
}

// ---------------------------------------------------------------------------------------------
// Debtors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn debtor_create_get_list_update_round_trip() {
    let app = TestApp::spawn().await;
    let business = create_debtor_with(&app, sample_business_debtor())
        .await
        .expect("business");
    assert_eq!(business.kind, pb::DebtorKind::Business as i32);
    assert_eq!(business.legal_name, "Dupont Bâtiment SARL");
    assert_eq!(business.siren, "732829320");
    assert_eq!(business.emails, vec!["compta@dupont-batiment.fr"]);
    assert_eq!(business.language_code, "fr");
    assert_eq!(business.addresses.len(), 1);
    assert_eq!(business.addresses[0].locality, "Lyon");

    let consumer = create_debtor_with(&app, sample_consumer_debtor())
        .await
        .expect("consumer");
    assert_eq!(consumer.kind, pb::DebtorKind::Consumer as i32);
    assert_eq!(consumer.family_name, "Martin");
    assert_eq!(consumer.given_name, "Marie");
    assert_eq!(
        consumer.language_code, "fr",
        "French is the default language"
    );
    assert_eq!(consumer.addresses, vec![paris_address()]);

    assert_eq!(get_debtor(&app, &business.id).await, business);
    assert_eq!(get_debtor(&app, &consumer.id).await, consumer);
    let listed = app
        .debtors(&app.legal)
        .list_debtors(pb::ListDebtorsRequest::default())
        .await
        .expect("list")
        .into_inner();
    let ids: HashSet<String> = listed.debtors.iter().map(|d| d.id.clone()).collect();
    assert_eq!(
        ids,
        HashSet::from([business.id.clone(), consumer.id.clone()])
    );
    assert_eq!(listed.debtors.len(), 2);

    let mut sent = consumer.clone();
    sent.emails = vec!["marie.martin@example.fr".into()];
    sent.language_code = "en".into();
    let updated = app
        .debtors(&app.agent)
        .update_debtor(pb::UpdateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(sent),
            update_mask: mask(&["emails", "language_code"]),
        })
        .await
        .expect("update")
        .into_inner();
    let expected = pb::Debtor {
        emails: vec!["marie.martin@example.fr".into()],
        language_code: "en".into(),
        etag: updated.etag.clone(),
        update_time: updated.update_time,
        ..consumer.clone()
    };
    assert_eq!(updated, expected);
    assert_ne!(updated.etag, consumer.etag);
    assert_eq!(get_debtor(&app, &consumer.id).await, updated);
}

#[tokio::test]
async fn debtor_validation_names_each_bad_field() {
    let app = TestApp::spawn().await;
    type Make = fn() -> pb::Debtor;
    let cases: &[(&str, Make, &[&str])] = &[
        (
            "business without legal name",
            || pb::Debtor {
                legal_name: String::new(),
                ..sample_business_debtor()
            },
            &["debtor.legal_name"],
        ),
        (
            "consumer without family name",
            || pb::Debtor {
                family_name: " ".into(),
                ..sample_consumer_debtor()
            },
            &["debtor.family_name"],
        ),
        (
            "consumer with a SIREN",
            || pb::Debtor {
                siren: "732829320".into(),
                ..sample_consumer_debtor()
            },
            &["debtor.siren"],
        ),
        (
            "no address",
            || pb::Debtor {
                addresses: vec![],
                ..sample_business_debtor()
            },
            &["debtor.addresses"],
        ),
        (
            "bad second e-mail",
            || pb::Debtor {
                emails: vec!["ok@example.fr".into(), "pas un e-mail".into()],
                ..sample_business_debtor()
            },
            &["debtor.emails[1]"],
        ),
        (
            "German letters",
            || pb::Debtor {
                language_code: "de".into(),
                ..sample_business_debtor()
            },
            &["debtor.language_code"],
        ),
        (
            "kind unset",
            || pb::Debtor {
                kind: pb::DebtorKind::Unspecified as i32,
                ..sample_business_debtor()
            },
            &["debtor.kind"],
        ),
        (
            "several at once",
            || pb::Debtor {
                family_name: String::new(),
                siren: "732829320".into(),
                addresses: vec![],
                emails: vec!["a@b.fr".into(), "@".into()],
                language_code: "es".into(),
                ..sample_consumer_debtor()
            },
            &[
                "debtor.addresses",
                "debtor.emails[1]",
                "debtor.family_name",
                "debtor.language_code",
                "debtor.siren",
            ],
        ),
    ];
    for (what, make, fields) in cases {
        let got = refused_fields(create_debtor_with(&app, make()).await);
        assert_eq!(got, fields.to_vec(), "{what}");
    }
    // English is the other accepted language.
    let english = create_debtor_with(
        &app,
        pb::Debtor {
            language_code: "en".into(),
            ..sample_business_debtor()
        },
    )
    .await
    .expect("English debtor");
    assert_eq!(english.language_code, "en");
    let listed = app
        .debtors(&app.legal)
        .list_debtors(pb::ListDebtorsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        listed.debtors,
        vec![english],
        "refused debtors were not stored"
    );
}

#[tokio::test]
async fn debtor_kind_can_change_until_the_debtor_has_a_claim() {
    let app = TestApp::spawn().await;
    let debtor = app.debtor(&app.agent).await;

    // No claim yet: the business becomes a consumer.
    let consumer = app
        .debtors(&app.agent)
        .update_debtor(pb::UpdateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(pb::Debtor {
                id: debtor.id.clone(),
                etag: debtor.etag.clone(),
                ..sample_consumer_debtor()
            }),
            update_mask: None,
        })
        .await
        .expect("kind change without claims")
        .into_inner();
    assert_eq!(consumer.kind, pb::DebtorKind::Consumer as i32);
    assert_eq!(consumer.siren, "");
    assert_eq!(consumer.legal_name, "");

    // Now a claim against it.
    let creditor = app.creditor(&app.admin).await;
    app.claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(sample_claim(&creditor.id, &consumer.id, "F-1", &["100.00"])),
        })
        .await
        .expect("claim");

    let result = app
        .debtors(&app.agent)
        .update_debtor(pb::UpdateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(pb::Debtor {
                id: consumer.id.clone(),
                etag: consumer.etag.clone(),
                ..sample_business_debtor()
            }),
            update_mask: None,
        })
        .await;
    assert_eq!(refused_fields(result), vec!["debtor.kind"]);
    assert_eq!(get_debtor(&app, &consumer.id).await, consumer);

    // Other fields still change.
    let mut sent = consumer.clone();
    sent.phones = vec!["06 12 34 56 78".into()];
    let updated = app
        .debtors(&app.agent)
        .update_debtor(pb::UpdateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(sent),
            update_mask: None,
        })
        .await
        .expect("update other fields")
        .into_inner();
    assert_eq!(updated.kind, pb::DebtorKind::Consumer as i32);
    assert_eq!(updated.phones.len(), 1);
}

#[tokio::test]
async fn list_debtors_pages_return_each_debtor_exactly_once() {
    let app = TestApp::spawn().await;
    let mut created = HashSet::new();
    for _ in 0..5 {
        created.insert(app.debtor(&app.agent).await.id);
    }
    let mut seen = Vec::new();
    let mut page_sizes = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .debtors(&app.legal)
            .list_debtors(pb::ListDebtorsRequest {
                page_size: 2,
                page_token: token.clone(),
            })
            .await
            .expect("page")
            .into_inner();
        page_sizes.push(page.debtors.len());
        seen.extend(page.debtors.into_iter().map(|d| d.id));
        if page.next_page_token.is_empty() {
            break;
        }
        assert!(page_sizes.len() < 10, "pagination does not end");
        token = page.next_page_token;
    }
    assert_eq!(page_sizes, vec![2, 2, 1]);
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), created);

    // A token of another listing is refused.
    let creditors_token = {
        for _ in 0..2 {
            app.creditor(&app.admin).await;
        }
        app.creditors(&app.legal)
            .list_creditors(pb::ListCreditorsRequest {
                page_size: 1,
                page_token: String::new(),
            })
            .await
            .expect("creditors")
            .into_inner()
            .next_page_token
    };
    assert!(!creditors_token.is_empty());
    let result = app
        .debtors(&app.legal)
        .list_debtors(pb::ListDebtorsRequest {
            page_size: 2,
            page_token: creditors_token,
        })
        .await;
    let status = assert_refused(result, Code::InvalidArgument, "INVALID_PAGE_TOKEN");
    assert_eq!(bad_fields(&status), vec!["page_token"]);
}

// ---------------------------------------------------------------------------------------------
// API keys
// ---------------------------------------------------------------------------------------------

fn new_key_request(role: pb::Role, label: &str) -> pb::CreateApiKeyRequest {
    pb::CreateApiKeyRequest {
        request_id: new_request_id(),
        api_key: Some(pb::ApiKey {
            role: role as i32,
            label: label.into(),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn api_key_lifecycle_create_use_list_revoke() {
    let app = TestApp::spawn().await;
    let created = app
        .api_keys(&app.admin)
        .create_api_key(new_key_request(pb::Role::Agent, "ERP production"))
        .await
        .expect("create key")
        .into_inner();
    assert!(
        created.token.starts_with("rcv_"),
        "token {:?}",
        created.token
    );
    assert!(
        created.token.len() > 40,
        "a long random secret: {:?}",
        created.token
    );
    assert_eq!(created.role, pb::Role::Agent as i32);
    assert_eq!(created.label, "ERP production");
    assert_eq!(created.revoke_time, None);

    // The new key works with its role: an agent creates debtors, not creditors.
    let debtor = app.debtor(&created.token).await;
    assert!(!debtor.id.is_empty());
    let result = app
        .creditors(&created.token)
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(sample_creditor()),
        })
        .await;
    assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");

    // The list shows every key of the tenant and never a token.
    let listed = app
        .api_keys(&app.admin)
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .expect("list keys")
        .into_inner();
    assert_eq!(
        listed.api_keys.len(),
        4,
        "admin, agent and legal of the harness + the new one"
    );
    assert!(
        listed.api_keys.iter().all(|k| k.token.is_empty()),
        "{listed:?}"
    );
    let listed_new = listed
        .api_keys
        .iter()
        .find(|k| k.id == created.id)
        .expect("the new key is listed");
    assert_eq!(
        listed_new,
        &pb::ApiKey {
            token: String::new(),
            ..created.clone()
        }
    );

    // Revocation takes effect at once (the key was just used, so it sits in the cache).
    let revoked = app
        .api_keys(&app.admin)
        .revoke_api_key(pb::RevokeApiKeyRequest {
            request_id: new_request_id(),
            id: created.id.clone(),
        })
        .await
        .expect("revoke")
        .into_inner();
    assert_eq!(revoked.id, created.id);
    assert!(revoked.revoke_time.is_some());
    assert!(revoked.token.is_empty());
    let result = app
        .debtors(&created.token)
        .get_debtor(pb::GetDebtorRequest {
            id: debtor.id.clone(),
        })
        .await;
    assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");
    let result = app
        .debtors(&created.token)
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(sample_business_debtor()),
        })
        .await;
    assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");

    // Revoking again returns the key unchanged.
    app.clock.advance_days(1);
    let again = app
        .api_keys(&app.admin)
        .revoke_api_key(pb::RevokeApiKeyRequest {
            request_id: new_request_id(),
            id: created.id.clone(),
        })
        .await
        .expect("revoke again")
        .into_inner();
    assert_eq!(again, revoked);

    // Other keys are unaffected.
    app.debtor(&app.agent).await;
}

#[tokio::test]
async fn replayed_create_api_key_returns_the_key_without_its_token() {
    let app = TestApp::spawn().await;
    let request = new_key_request(pb::Role::Legal, "auditeur");
    let first = app
        .api_keys(&app.admin)
        .create_api_key(request.clone())
        .await
        .expect("create")
        .into_inner();
    assert!(first.token.starts_with("rcv_"));
    let replayed = app
        .api_keys(&app.admin)
        .create_api_key(request.clone())
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(
        replayed,
        pb::ApiKey {
            token: String::new(),
            ..first.clone()
        },
        "the same key, without the token shown once"
    );
    let listed = app
        .api_keys(&app.admin)
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        listed
            .api_keys
            .iter()
            .filter(|k| k.label == "auditeur")
            .count(),
        1,
        "the replay created no second key"
    );
    // The token of the first answer works.
    let got = app
        .creditors(&first.token)
        .list_creditors(pb::ListCreditorsRequest::default())
        .await;
    assert!(got.is_ok(), "{got:?}");
}

#[tokio::test]
async fn only_admins_may_use_the_api_key_service() {
    let app = TestApp::spawn().await;
    let admin_keys = app
        .api_keys(&app.admin)
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .expect("admin lists")
        .into_inner()
        .api_keys;
    let some_key = admin_keys[0].id.clone();
    for key in [&app.agent, &app.legal] {
        let mut client = app.api_keys(key);
        let result = client
            .create_api_key(new_key_request(pb::Role::Admin, "escalade"))
            .await;
        assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
        let result = client
            .list_api_keys(pb::ListApiKeysRequest::default())
            .await;
        assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
        let result = client
            .revoke_api_key(pb::RevokeApiKeyRequest {
                request_id: new_request_id(),
                id: some_key.clone(),
            })
            .await;
        assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    let after = app
        .api_keys(&app.admin)
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .expect("admin lists")
        .into_inner()
        .api_keys;
    assert_eq!(after, admin_keys, "nothing was created or revoked");
}

// ---------------------------------------------------------------------------------------------
// Roles and authentication
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn legal_reads_parties_but_cannot_write_them() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;

    assert_eq!(get_creditor(&app, &creditor.id).await, creditor);
    assert_eq!(get_debtor(&app, &debtor.id).await, debtor);
    let creditors = app
        .creditors(&app.legal)
        .list_creditors(pb::ListCreditorsRequest::default())
        .await
        .expect("legal lists creditors")
        .into_inner();
    assert_eq!(creditors.creditors, vec![creditor.clone()]);
    let debtors = app
        .debtors(&app.legal)
        .list_debtors(pb::ListDebtorsRequest::default())
        .await
        .expect("legal lists debtors")
        .into_inner();
    assert_eq!(debtors.debtors, vec![debtor.clone()]);

    let mut creditors = app.creditors(&app.legal);
    let result = creditors
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(sample_creditor()),
        })
        .await;
    assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
    let result = creditors
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(pb::Creditor {
                legal_name: "Pirate".into(),
                ..creditor.clone()
            }),
            update_mask: mask(&["legal_name"]),
        })
        .await;
    assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");

    let mut debtors = app.debtors(&app.legal);
    let result = debtors
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(sample_business_debtor()),
        })
        .await;
    assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
    let result = debtors
        .update_debtor(pb::UpdateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(pb::Debtor {
                legal_name: "Pirate".into(),
                ..debtor.clone()
            }),
            update_mask: mask(&["legal_name"]),
        })
        .await;
    assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");

    assert_eq!(get_creditor(&app, &creditor.id).await, creditor);
    assert_eq!(get_debtor(&app, &debtor.id).await, debtor);
}

#[tokio::test]
async fn agents_write_debtors_but_not_creditors() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await;

    let debtor = app.debtor(&app.agent).await;
    let updated = app
        .debtors(&app.agent)
        .update_debtor(pb::UpdateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(pb::Debtor {
                legal_name: "Dupont & Fils SARL".into(),
                ..debtor.clone()
            }),
            update_mask: mask(&["legal_name"]),
        })
        .await
        .expect("agent updates a debtor")
        .into_inner();
    assert_eq!(updated.legal_name, "Dupont & Fils SARL");

    let got = app
        .creditors(&app.agent)
        .get_creditor(pb::GetCreditorRequest {
            id: creditor.id.clone(),
        })
        .await
        .expect("agent reads a creditor")
        .into_inner();
    assert_eq!(got, creditor);

    let mut creditors = app.creditors(&app.agent);
    let result = creditors
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(sample_creditor()),
        })
        .await;
    let status = assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
    let required = status
        .get_details_error_info()
        .and_then(|i| i.metadata.get("required_role").cloned());
    assert!(
        required.is_some(),
        "the refusal names the required role: {status:?}"
    );
    let result = creditors
        .update_creditor(pb::UpdateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(pb::Creditor {
                legal_name: "Pirate".into(),
                ..creditor.clone()
            }),
            update_mask: mask(&["legal_name"]),
        })
        .await;
    assert_refused(result, Code::PermissionDenied, "PERMISSION_DENIED");
    assert_eq!(get_creditor(&app, &creditor.id).await, creditor);
}

/// Sends `authorization` exactly as given (no header when `None`).
#[derive(Clone)]
struct RawAuthorization(Option<String>);

impl Interceptor for RawAuthorization {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            let value: MetadataValue<_> = value.parse().expect("an ASCII header value");
            req.metadata_mut().insert("authorization", value);
        }
        Ok(req)
    }
}

/// A creditor client sending `authorization` exactly as given.
fn creditors_with_header(
    app: &TestApp,
    header: Option<&str>,
) -> CreditorServiceClient<InterceptedService<Channel, RawAuthorization>> {
    CreditorServiceClient::with_interceptor(
        app.channel.clone(),
        RawAuthorization(header.map(str::to_owned)),
    )
}

#[tokio::test]
async fn calls_without_a_valid_bearer_key_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await;
    let headers: &[Option<&str>] = &[
        None,
        Some("Bearer"),
        Some("Bearer "),
        Some("Bearer garbage"),
        Some("Bearer rcv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Some("Basic x"),
        Some("garbage"),
    ];
    for header in headers {
        let mut client = creditors_with_header(&app, *header);
        let result = client
            .get_creditor(pb::GetCreditorRequest {
                id: creditor.id.clone(),
            })
            .await;
        assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");
        let result = client
            .list_creditors(pb::ListCreditorsRequest::default())
            .await;
        assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");
        let result = client
            .create_creditor(pb::CreateCreditorRequest {
                request_id: new_request_id(),
                creditor: Some(sample_creditor()),
            })
            .await;
        assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");
    }
    // "Basic <admin key>" is not accepted either: only the Bearer scheme is.
    let basic = format!("Basic {}", app.admin);
    let mut client = creditors_with_header(&app, Some(&basic));
    let result = client
        .list_creditors(pb::ListCreditorsRequest::default())
        .await;
    assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");
    // The other services refuse too.
    let result = app
        .debtors("")
        .list_debtors(pb::ListDebtorsRequest::default())
        .await;
    assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");
    let result = app
        .api_keys("nope")
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await;
    assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");
    let result = app
        .claims("")
        .get_claim(pb::GetClaimRequest {
            id: uuid::Uuid::new_v4().to_string(),
        })
        .await;
    assert_refused(result, Code::Unauthenticated, "UNAUTHENTICATED");
}
