//! Documents over the wire (DocumentService and `GET /v1/documents/{id}`): refusals that list
//! every missing field rather than print blanks, every printable kind generated from the claim
//! as it stands and read back with `pdftotext` (poppler-utils), chunked downloads, the timeline
//! event, listing and tenancy, verification by re-rendering, the plain-HTTP download on the
//! gRPC port, tenant templates and idempotent retries.
//!
//! Amounts are never hard-coded from the engine's arithmetic: the expected figures come from
//! GetStatement as of today, formatted as the templates print them (`templates/common.typ`:
//! "1 234,56 €" in French, "€1,234.56" in English).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use recouvre::api::pb;
use recouvre::api::pb::DocumentKind as K;
use recouvre::api::pb::document_service_client::DocumentServiceClient;
use recouvre::api::pb::google::r#type::Date;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Helpers local to these tests.

type Documents = DocumentServiceClient<InterceptedService<Channel, Auth>>;

fn documents(app: &TestApp, key: &str) -> Documents {
    DocumentServiceClient::with_interceptor(app.channel.clone(), Auth(key.to_owned()))
}

/// Bytes of a download chunk.
const CHUNK: usize = 64 * 1024;

const TEST_SOURCE: &str = "Test figure for 2026-S2, not a published rate";

/// Publishes test figures for 2026-S2 with an operator key (today's statement of an overdue
/// invoice needs them, and documents print today's statement).
async fn publish_2026_s2(app: &TestApp) {
    let mut rates = app.rates(&app.operator().await);
    rates
        .set_ecb_rate(pb::SetEcbRateRequest {
            request_id: new_request_id(),
            rate: Some(pb::EcbRate {
                effective_date: Some(date(2026, 7, 1)),
                rate: "2.15".into(),
                source: TEST_SOURCE.into(),
            }),
        })
        .await
        .expect("set ECB rate");
    rates
        .set_legal_interest_rate(pb::SetLegalInterestRateRequest {
            request_id: new_request_id(),
            rate: Some(pb::LegalInterestRate {
                semester: "2026-S2".into(),
                individual_rate: "6.50".into(),
                other_rate: "2.50".into(),
                source: TEST_SOURCE.into(),
            }),
        })
        .await
        .expect("set legal rate");
}

fn invoice(number: &str, issue: Date, due: Date, amount: &str) -> pb::Invoice {
    pb::Invoice {
        number: number.into(),
        issue_date: Some(issue),
        service_completion_date: Some(issue),
        due_date: Some(due),
        amount: Some(eur(amount)),
        ..Default::default()
    }
}

async fn create_creditor(app: &TestApp, creditor: pb::Creditor) -> pb::Creditor {
    app.creditors(&app.admin)
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(creditor),
        })
        .await
        .expect("create creditor")
        .into_inner()
}

async fn create_debtor(app: &TestApp, debtor: pb::Debtor) -> pb::Debtor {
    app.debtors(&app.agent)
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(debtor),
        })
        .await
        .expect("create debtor")
        .into_inner()
}

async fn create_claim(
    app: &TestApp,
    creditor: &pb::Creditor,
    debtor: &pb::Debtor,
    reference: &str,
    invoices: Vec<pb::Invoice>,
) -> pb::Claim {
    app.claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(pb::Claim {
                creditor_id: creditor.id.clone(),
                debtor_id: debtor.id.clone(),
                external_reference: reference.into(),
                currency_code: "EUR".into(),
                invoices,
                ..Default::default()
            }),
        })
        .await
        .expect("create claim")
        .into_inner()
}

const LEGAL_REPRESENTATIVE: &str = "Mme Claire Martin, présidente";
const CLAIM_REFERENCE: &str = "DOS-2026-001";
/// The sample creditor's "+33 1 23 45 67 89" as stored (phones are kept normalized).
const CREDITOR_PHONE: &str = "+33123456789";

/// The sample creditor with its legal representative (the dossier names it).
fn represented_creditor() -> pb::Creditor {
    pb::Creditor {
        legal_representative: LEGAL_REPRESENTATIVE.into(),
        ..sample_creditor()
    }
}

/// 2026-S2 published, and a B2B claim `DOS-2026-001` of two overdue invoices (so interest and
/// indemnities run today) with a partial payment recorded.
async fn overdue_b2b_claim(app: &TestApp) -> pb::Claim {
    publish_2026_s2(app).await;
    let creditor = create_creditor(app, represented_creditor()).await;
    let debtor = app.debtor(&app.agent).await;
    let claim = create_claim(
        app,
        &creditor,
        &debtor,
        CLAIM_REFERENCE,
        vec![
            invoice("F-2026-0101", date(2026, 5, 4), date(2026, 6, 3), "1234.56"),
            invoice(
                "F-2026-0102",
                date(2026, 6, 15),
                date(2026, 7, 15),
                "2500.00",
            ),
        ],
    )
    .await;
    app.claims(&app.agent)
        .record_payment(pb::RecordPaymentRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            etag: String::new(),
            amount: Some(eur("300.00")),
            value_date: Some(date(2026, 9, 30)),
            method: pb::PaymentMethod::BankTransfer as i32,
            reference: "VIR SEPA 0930".into(),
            invoice_number: String::new(),
        })
        .await
        .expect("record payment")
        .into_inner()
}

fn signatory() -> Option<pb::Signatory> {
    Some(pb::Signatory {
        name: "Julie Perrin".into(),
        title: "Responsable du recouvrement".into(),
    })
}

fn generate_request(
    claim_id: &str,
    kind: K,
    language: &str,
    signatory: Option<pb::Signatory>,
) -> pb::GenerateDocumentRequest {
    pb::GenerateDocumentRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        kind: kind as i32,
        language_code: language.into(),
        signatory,
    }
}

async fn generate(
    app: &TestApp,
    key: &str,
    claim_id: &str,
    kind: K,
    language: &str,
    signatory: Option<pb::Signatory>,
) -> Result<pb::Document, Status> {
    documents(app, key)
        .generate_document(generate_request(claim_id, kind, language, signatory))
        .await
        .map(|r| r.into_inner())
}

async fn generated(
    app: &TestApp,
    claim_id: &str,
    kind: K,
    language: &str,
    signatory: Option<pb::Signatory>,
) -> pb::Document {
    generate(app, &app.agent, claim_id, kind, language, signatory)
        .await
        .unwrap_or_else(|s| panic!("generate {kind:?} {language:?}: {s:?}"))
}

async fn list_page(
    app: &TestApp,
    key: &str,
    claim_id: &str,
    page_size: i32,
    page_token: &str,
) -> Result<pb::ListDocumentsResponse, Status> {
    documents(app, key)
        .list_documents(pb::ListDocumentsRequest {
            claim_id: claim_id.into(),
            page_size,
            page_token: page_token.into(),
        })
        .await
        .map(|r| r.into_inner())
}

async fn list_all(app: &TestApp, claim_id: &str) -> Vec<pb::Document> {
    let page = list_page(app, &app.legal, claim_id, 0, "")
        .await
        .expect("list documents");
    assert_eq!(page.next_page_token, "");
    page.documents
}

/// The chunks of a download, in the order received.
async fn download_chunks(
    app: &TestApp,
    key: &str,
    id: &str,
) -> Result<Vec<pb::DownloadDocumentResponse>, Status> {
    let mut stream = documents(app, key)
        .download_document(pb::DownloadDocumentRequest { id: id.into() })
        .await?
        .into_inner();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.message().await? {
        chunks.push(chunk);
    }
    Ok(chunks)
}

/// Downloads `doc` with the legal key, checks the chunks (at most 64 KiB each, contiguous
/// offsets from 0) and that their concatenation has the document's size and SHA-256.
async fn fetch(app: &TestApp, doc: &pb::Document) -> Vec<u8> {
    let chunks = download_chunks(app, &app.legal, &doc.id)
        .await
        .expect("download");
    assert!(!chunks.is_empty(), "no chunk for {}", doc.file_name);
    let mut bytes = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk.offset, bytes.len() as i64, "offset of chunk {i}");
        assert!(
            !chunk.data.is_empty() && chunk.data.len() <= CHUNK,
            "chunk {i} has {} bytes",
            chunk.data.len()
        );
        if i + 1 < chunks.len() {
            assert_eq!(chunk.data.len(), CHUNK, "only the last chunk is short");
        }
        bytes.extend_from_slice(&chunk.data);
    }
    assert_eq!(bytes.len() as i64, doc.size_bytes, "{}", doc.file_name);
    assert_eq!(sha_hex(&bytes), doc.sha256, "{}", doc.file_name);
    assert_eq!(
        chunks.len(),
        bytes.len().div_ceil(CHUNK),
        "number of chunks of {} bytes",
        bytes.len()
    );
    bytes
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks what every document's metadata must say.
#[track_caller]
fn assert_metadata(doc: &pb::Document, claim: &pb::Claim, kind: K, language: &str) {
    let pdf = !matches!(kind, K::EmailReminder | K::SmsReminder | K::CallScript);
    let (stem, ext) = match kind {
        K::WarningLetter1 => ("relance-1", "pdf"),
        K::WarningLetter2 => ("relance-2", "pdf"),
        K::AgencyFirstLetter => ("premiere-lettre", "pdf"),
        K::FormalNotice => ("mise-en-demeure", "pdf"),
        K::BailiffDossier => ("dossier-commissaire", "pdf"),
        K::EmailReminder => ("relance-email", "txt"),
        K::SmsReminder => ("relance-sms", "txt"),
        K::CallScript => ("script-appel", "txt"),
        K::PaymentPlanAgreement => ("accord-echeancier", "pdf"),
        K::Unspecified => unreachable!("no document of an unspecified kind"),
    };
    assert!(uuid::Uuid::parse_str(&doc.id).is_ok(), "id {:?}", doc.id);
    assert_eq!(doc.claim_id, claim.id);
    assert_eq!(doc.kind, kind as i32);
    assert_eq!(doc.language_code, language);
    assert_eq!(
        doc.content_type,
        if pdf {
            "application/pdf"
        } else {
            "text/plain; charset=utf-8"
        }
    );
    assert_eq!(
        doc.file_name,
        format!("{stem}-{}.{ext}", claim.external_reference)
    );
    assert!(doc.size_bytes > 0, "size {}", doc.size_bytes);
    assert!(is_sha256_hex(&doc.sha256), "sha256 {:?}", doc.sha256);
    if pdf {
        assert!(doc.page_count >= 1, "pages {}", doc.page_count);
    } else {
        assert_eq!(doc.page_count, 0);
    }
    assert!(!doc.template_version.is_empty());
    assert_eq!(
        doc.create_time.as_ref().map(|t| t.seconds),
        Some(start_time().timestamp())
    );
    assert_eq!(doc.download_path, format!("/v1/documents/{}", doc.id));
}

/// The text of a PDF as `pdftotext - -` reads it, whitespace collapsed (the narrow no-break
/// space of French amounts and the no-break space before "€" made plain), typographic
/// apostrophes made plain.
fn pdf_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let mut child = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext (Debian package poppler-utils) must be installed");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("pdftotext");
    writer.join().expect("writer").expect("write the PDF");
    assert!(out.status.success(), "pdftotext failed");
    normalize(&String::from_utf8(out.stdout).expect("utf-8"))
}

fn normalize(text: &str) -> String {
    text.replace(['\u{202F}', '\u{A0}'], " ")
        .replace(['’', '‘'], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[track_caller]
fn assert_mentions(text: &str, expected: &[&str]) {
    let missing: Vec<&&str> = expected.iter().filter(|e| !text.contains(**e)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in:\n{text}");
}

fn grouped(int: &str, separator: char) -> String {
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

fn split_amount(amount: &str) -> (&str, String) {
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let mut frac = frac.to_owned();
    while frac.len() < 2 {
        frac.push('0');
    }
    (int, frac)
}

/// An amount in euros as the French templates print it, spaces made plain: "1 234,56 €".
fn fr_eur(amount: &str) -> String {
    let (int, frac) = split_amount(amount);
    format!("{},{frac} €", grouped(int, ' '))
}

/// The same with the typographic spaces the text channels keep: a narrow no-break space
/// between thousands, a no-break space before "€".
fn fr_eur_typographic(amount: &str) -> String {
    let (int, frac) = split_amount(amount);
    format!("{},{frac}\u{A0}€", grouped(int, '\u{202F}'))
}

/// An amount in euros as the English templates print it: "€1,234.56".
fn en_eur(amount: &str) -> String {
    let (int, frac) = split_amount(amount);
    format!("€{}.{frac}", grouped(int, ','))
}

fn amount(m: &Option<pb::Money>) -> String {
    let m = m.as_ref().expect("an amount");
    assert_eq!(m.currency_code, "EUR");
    m.amount.clone()
}

async fn statement_today(app: &TestApp, claim_id: &str) -> pb::Statement {
    app.claims(&app.legal)
        .get_statement(pb::GetStatementRequest {
            claim_id: claim_id.into(),
            as_of: None,
            conventions: None,
        })
        .await
        .expect("statement as of today")
        .into_inner()
}

/// The subjects of a status's PreconditionFailure violations, each checked to be of type
/// DOCUMENT_DATA_MISSING with a description naming its field.
#[track_caller]
fn missing_fields(status: &Status) -> Vec<String> {
    let failure = status
        .get_details_precondition_failure()
        .unwrap_or_else(|| panic!("no PreconditionFailure in {status:?}"));
    failure
        .violations
        .into_iter()
        .map(|v| {
            assert_eq!(v.r#type, "DOCUMENT_DATA_MISSING", "{v:?}");
            assert!(
                v.description.starts_with(&format!("{}: ", v.subject)),
                "{v:?}"
            );
            v.subject
        })
        .collect()
}

/// Asserts GenerateDocument was refused with DOCUMENT_DATA_MISSING naming exactly `fields`.
#[track_caller]
fn assert_missing(result: Result<pb::Document, Status>, fields: &[&str]) {
    let status = assert_refused(result, Code::FailedPrecondition, "DOCUMENT_DATA_MISSING");
    assert_eq!(missing_fields(&status), fields, "{status:?}");
    for field in fields {
        assert!(
            status.message().contains(field),
            "message {:?} should name {field}",
            status.message()
        );
    }
}

fn error_metadata(status: &Status) -> std::collections::HashMap<String, String> {
    status
        .get_details_error_info()
        .map(|i| i.metadata)
        .unwrap_or_default()
}

async fn events(app: &TestApp, claim_id: &str) -> Vec<pb::ClaimEvent> {
    app.claims(&app.legal)
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: claim_id.into(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("list claim events")
        .into_inner()
        .events
}

fn generated_events(events: &[pb::ClaimEvent]) -> Vec<serde_json::Value> {
    events
        .iter()
        .filter(|e| e.kind == pb::ClaimEventKind::DocumentGenerated as i32)
        .map(|e| {
            assert_eq!(e.kind_name, "document_generated");
            serde_json::from_str(&e.payload_json).expect("payload json")
        })
        .collect()
}

/// The document's own reference as it prints it after "Réf. :" / "Ref. :" (e.g.
/// "MED-019A2B3C"): `prefix` and what follows up to the next space.
fn printed_reference(text: &str, prefix: &str) -> String {
    let at = text
        .find(&format!("{prefix}-"))
        .unwrap_or_else(|| panic!("no {prefix}- reference in:\n{text}"));
    text[at..]
        .split_whitespace()
        .next()
        .expect("a reference")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// 1. Refusal rather than blanks.

#[tokio::test]
async fn documents_are_refused_listing_every_missing_field_rather_than_printed_with_blanks() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    let overdue = create_claim(
        &app,
        &creditor,
        &debtor,
        "DOS-REF-001",
        vec![invoice(
            "F-2026-0001",
            date(2026, 3, 2),
            date(2026, 4, 1),
            "1500.00",
        )],
    )
    .await;

    // Today's statement of an invoice overdue since April needs the 2026-S2 ECB rate, not yet
    // published: no document prints partial sums.
    for kind in [K::WarningLetter1, K::FormalNotice, K::SmsReminder] {
        let r = generate(&app, &app.agent, &overdue.id, kind, "", signatory()).await;
        let status = assert_refused(r, Code::FailedPrecondition, "RATE_NOT_PUBLISHED");
        assert_eq!(error_metadata(&status)["semester"], "2026-S2", "{kind:?}");
        assert_eq!(
            error_metadata(&status)["table"],
            "ecb_reference",
            "{kind:?}"
        );
    }
    assert!(list_all(&app, &overdue.id).await.is_empty());
    publish_2026_s2(&app).await;

    // The formal notice is signed: without a signatory it is refused, not printed unsigned.
    let r = generate(&app, &app.agent, &overdue.id, K::FormalNotice, "", None).await;
    assert_missing(r, &["signatory"]);
    let r = generate(
        &app,
        &app.agent,
        &overdue.id,
        K::FormalNotice,
        "",
        Some(pb::Signatory {
            name: "Julie Perrin".into(),
            title: "  ".into(),
        }),
    )
    .await;
    assert_missing(r, &["signatory.title"]);

    // A creditor without IBAN or contact phone, a debtor without e-mail or phone: every
    // missing field is listed at once, for each kind.
    let bare = create_creditor(
        &app,
        pb::Creditor {
            iban: String::new(),
            bic: String::new(),
            contact_phone: String::new(),
            ..sample_creditor()
        },
    )
    .await;
    let unreachable = create_debtor(
        &app,
        pb::Debtor {
            emails: vec![],
            phones: vec![],
            ..sample_business_debtor()
        },
    )
    .await;
    let thin = create_claim(
        &app,
        &bare,
        &unreachable,
        "DOS-REF-002",
        vec![invoice(
            "F-2026-0002",
            date(2026, 3, 2),
            date(2026, 4, 1),
            "800.00",
        )],
    )
    .await;
    let r = generate(&app, &app.agent, &thin.id, K::FormalNotice, "", None).await;
    assert_missing(r, &["creditor.iban", "creditor.contact.phone", "signatory"]);
    let r = generate(&app, &app.agent, &thin.id, K::WarningLetter1, "en", None).await;
    assert_missing(r, &["creditor.iban", "creditor.contact.phone"]);
    let r = generate(&app, &app.agent, &thin.id, K::EmailReminder, "", None).await;
    assert_missing(
        r,
        &["creditor.contact.phone", "creditor.iban", "debtor.email"],
    );
    let r = generate(&app, &app.agent, &thin.id, K::SmsReminder, "", None).await;
    assert_missing(r, &["creditor.contact.phone", "debtor.phone"]);

    // The agency's first letter needs the agency's R124-4 mentions; tenants carry no agency
    // profile yet, so it is always refused naming them.
    let r = generate(
        &app,
        &app.agent,
        &overdue.id,
        K::AgencyFirstLetter,
        "",
        None,
    )
    .await;
    assert_missing(r, &["agency"]);

    // The dossier without a recorded formal notice lists it, with everything else it lacks:
    // the creditor's legal representative, the enclosed documents (none generated yet), and
    // the business debtor's legal form (the sample debtor gives none).
    let r = generate(
        &app,
        &app.agent,
        &overdue.id,
        K::BailiffDossier,
        "",
        signatory(),
    )
    .await;
    assert_missing(
        r,
        &[
            "creditor.legal_representative",
            "debtor.legal_form",
            "formal_notice",
            "enclosures",
        ],
    );
    // A delivery recorded without a formal notice document: the notice's reference and
    // hash are missing.
    app.claims(&app.agent)
        .record_formal_notice_delivery(pb::RecordFormalNoticeDeliveryRequest {
            request_id: new_request_id(),
            claim_id: overdue.id.clone(),
            etag: String::new(),
            delivery: Some(pb::FormalNoticeDelivery {
                sent_date: Some(date(2026, 10, 1)),
                receipt_date: Some(date(2026, 10, 5)),
                tracking_number: "1A 234 567 8901 2".into(),
            }),
        })
        .await
        .expect("record formal notice delivery");
    let r = generate(
        &app,
        &app.agent,
        &overdue.id,
        K::BailiffDossier,
        "",
        signatory(),
    )
    .await;
    assert_missing(
        r,
        &[
            "creditor.legal_representative",
            "debtor.legal_form",
            "formal_notice.reference",
            "formal_notice.sha256",
            "enclosures",
        ],
    );
    // Once the debtor's legal form is recorded, the dossier no longer asks for it.
    let mut debtor = app
        .debtors(&app.agent)
        .get_debtor(pb::GetDebtorRequest {
            id: overdue.debtor_id.clone(),
        })
        .await
        .expect("debtor")
        .into_inner();
    debtor.legal_form = "SARL".into();
    app.debtors(&app.agent)
        .update_debtor(pb::UpdateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(debtor),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["legal_form".into()],
            }),
        })
        .await
        .expect("legal form recorded");
    let r = generate(
        &app,
        &app.agent,
        &overdue.id,
        K::BailiffDossier,
        "",
        signatory(),
    )
    .await;
    assert_missing(
        r,
        &[
            "creditor.legal_representative",
            "formal_notice.reference",
            "formal_notice.sha256",
            "enclosures",
        ],
    );

    // Bad requests are refused on their fields before anything is looked at.
    let r = generate(&app, &app.agent, &overdue.id, K::Unspecified, "", None).await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["kind"]);
    let r = generate(&app, &app.agent, &overdue.id, K::WarningLetter1, "de", None).await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["language_code"]);

    // Nothing was stored, nothing recorded on the timelines.
    for claim in [&overdue, &thin] {
        assert!(list_all(&app, &claim.id).await.is_empty());
        assert!(generated_events(&events(&app, &claim.id).await).is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Every printable kind, read back.

#[tokio::test]
async fn letters_notices_and_reminders_print_the_parties_the_claim_and_the_sums_owed() {
    let app = TestApp::spawn().await;
    let claim = overdue_b2b_claim(&app).await;
    let st = statement_today(&app, &claim.id).await;
    let totals = st.totals.as_ref().expect("totals");
    let owed = amount(&totals.owed);
    let principal_left = amount(&totals.outstanding_principal);
    let interest = amount(&totals.interest);
    assert_ne!(interest, "0.00", "the invoices are overdue: interest runs");
    assert!(
        owed.parse::<f64>().expect("owed") > principal_left.parse::<f64>().expect("principal"),
        "{owed} owed, {principal_left} of principal"
    );
    let parties = ["ACME Fournitures SAS", "Dupont Bâtiment SARL"];
    let invoices = ["F-2026-0101", "F-2026-0102"];

    // Warning letters: the open invoices and the principal still due, in the debtor's
    // language (French) by default.
    let first = generated(&app, &claim.id, K::WarningLetter1, "", None).await;
    assert_metadata(&first, &claim, K::WarningLetter1, "fr");
    assert!(
        first.template_version.starts_with("warning_letter_1@"),
        "{}",
        first.template_version
    );
    let text = pdf_text(&fetch(&app, &first).await);
    assert_mentions(&text, &parties);
    assert_mentions(&text, &invoices);
    assert_mentions(
        &text,
        &[
            CLAIM_REFERENCE,
            "Relance",
            "FR7630006000011234567890189",
            &format!("régler la somme de {}", fr_eur(&principal_left)),
            "dans un délai de 15 jours",
            &fr_eur("1234.56"),
            &fr_eur("2500.00"),
        ],
    );
    let reference = printed_reference(&text, "REL1");

    let second = generated(&app, &claim.id, K::WarningLetter2, "", None).await;
    assert_metadata(&second, &claim, K::WarningLetter2, "fr");
    let text = pdf_text(&fetch(&app, &second).await);
    assert_mentions(&text, &parties);
    assert_mentions(&text, &invoices);
    assert_mentions(
        &text,
        &[
            CLAIM_REFERENCE,
            "Second rappel avant mise en demeure",
            &format!("régler la somme de {}", fr_eur(&principal_left)),
            "dans un délai de 8 jours",
        ],
    );

    // The formal notice: the statement, the total owed (interest and indemnities included),
    // the deadline, the signatory.
    let notice = generated(&app, &claim.id, K::FormalNotice, "", signatory()).await;
    assert_metadata(&notice, &claim, K::FormalNotice, "fr");
    let text = pdf_text(&fetch(&app, &notice).await);
    assert_mentions(&text, &parties);
    assert_mentions(&text, &invoices);
    let lower = text.to_lowercase();
    assert!(lower.contains("mise en demeure"), "{text}");
    assert_mentions(
        &text,
        &[
            CLAIM_REFERENCE,
            "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION",
            "nous vous mettons en demeure de nous payer la somme de",
            &format!("la somme restant due s'élève à {}", fr_eur(&owed)),
            &format!(
                "payer la somme de {} dans un délai de 8 jours",
                fr_eur(&owed)
            ),
            &fr_eur(&interest),
            &fr_eur(&amount(&totals.fixed_indemnities)),
            &fr_eur(&amount(&totals.paid)),
            "Julie Perrin",
            "Responsable du recouvrement",
            "article 1344 du Code civil",
        ],
    );
    for inv in &st.invoices {
        assert_mentions(&text, &[&fr_eur(&amount(&inv.balance))]);
    }
    let notice_reference = printed_reference(&text, "MED");

    // English on request: the same sums, formatted the English way.
    let english = generated(&app, &claim.id, K::FormalNotice, "en", signatory()).await;
    assert_metadata(&english, &claim, K::FormalNotice, "en");
    assert_eq!(english.template_version, notice.template_version);
    let text = pdf_text(&fetch(&app, &english).await);
    assert_mentions(&text, &parties);
    assert_mentions(&text, &invoices);
    assert_mentions(
        &text,
        &[
            CLAIM_REFERENCE,
            "Formal notice to pay",
            "we give you formal notice to pay us the sum of",
            &format!("amounts to {}", en_eur(&owed)),
            &format!("{} within 8 days", en_eur(&owed)),
            &en_eur(&interest),
            "Yours faithfully",
        ],
    );
    assert!(!text.contains("Madame, Monsieur"), "{text}");

    // The e-mail: "Subject: …", a blank line, the body; amounts with French spacing.
    let email = generated(&app, &claim.id, K::EmailReminder, "", None).await;
    assert_metadata(&email, &claim, K::EmailReminder, "fr");
    assert!(
        email.template_version.starts_with("email_reminder@"),
        "{}",
        email.template_version
    );
    let bytes = fetch(&app, &email).await;
    let raw = String::from_utf8(bytes).expect("utf-8 e-mail");
    let (subject, body) = raw.split_once("\n\n").expect("subject and body");
    assert_eq!(
        subject,
        format!("Subject: ACME Fournitures SAS : facture(s) impayée(s), dossier {CLAIM_REFERENCE}")
    );
    assert!(
        body.contains(&format!(
            "Total restant dû : {} (dossier {CLAIM_REFERENCE})",
            fr_eur_typographic(&principal_left)
        )),
        "{body}"
    );
    let body = normalize(body);
    assert_mentions(&body, &invoices);
    let first_invoice_left = amount(&st.invoices[0].outstanding_principal);
    assert_eq!(st.invoices[0].number, "F-2026-0101");
    assert_mentions(
        &body,
        &[
            "ACME Fournitures SAS",
            "FR7630006000011234567890189",
            "sous 15 jours",
            &format!(
                "facture n° F-2026-0101 du 4 mai 2026, échue le 3 juin 2026 : {} restant dû",
                fr_eur(&first_invoice_left)
            ),
            "recouvrement@acme.fr",
            CREDITOR_PHONE,
        ],
    );

    // The SMS: one GSM-7 message with the balance and the contact phone.
    let sms = generated(&app, &claim.id, K::SmsReminder, "", None).await;
    assert_metadata(&sms, &claim, K::SmsReminder, "fr");
    let text = String::from_utf8(fetch(&app, &sms).await).expect("utf-8 SMS");
    let septets: usize = text.chars().map(|c| if c == '€' { 2 } else { 1 }).sum();
    assert!(septets <= 160, "{septets} septets: {text:?}");
    assert_eq!(
        text,
        format!(
            "ACME Fournitures SAS: réf. {CLAIM_REFERENCE}, impayé {} à régler sous 8 j. Tél. {CREDITOR_PHONE}",
            fr_eur(&principal_left)
        )
    );

    // English reminders on request.
    let sms_en = generated(&app, &claim.id, K::SmsReminder, "en", None).await;
    assert_metadata(&sms_en, &claim, K::SmsReminder, "en");
    let text = String::from_utf8(fetch(&app, &sms_en).await).expect("utf-8 SMS");
    assert!(
        text.contains(&format!("{} unpaid", en_eur(&principal_left))),
        "{text}"
    );

    // Every document has its own reference, even generated within the same minute.
    assert_ne!(reference, notice_reference);
    let again = generated(&app, &claim.id, K::WarningLetter1, "", None).await;
    let text = pdf_text(&fetch(&app, &again).await);
    assert_ne!(printed_reference(&text, "REL1"), reference);
    assert_ne!(again.sha256, first.sha256);
}

// ---------------------------------------------------------------------------------------------
// 2b. The bailiff dossier.

#[tokio::test]
async fn the_bailiff_dossier_needs_the_delivered_formal_notice_and_recalls_it() {
    let app = TestApp::spawn().await;
    publish_2026_s2(&app).await;
    let creditor = create_creditor(&app, represented_creditor()).await;
    // A consumer: the dossier identifies a business debtor by its legal form, which debtors
    // do not carry (see the refusal test).
    let debtor = create_debtor(&app, sample_consumer_debtor()).await;
    // Thirty invoices, so the dossier runs over several pages and well past one 64 KiB chunk.
    let invoices: Vec<pb::Invoice> = (1..=30)
        .map(|i| {
            invoice(
                &format!("F-2026-{i:04}"),
                date(2026, 4, 1),
                date(2026, 5, i.min(28)),
                &format!("{}.{:02}", 100 + 37 * i, i),
            )
        })
        .collect();
    let claim = create_claim(&app, &creditor, &debtor, CLAIM_REFERENCE, invoices).await;

    let letter = generated(&app, &claim.id, K::WarningLetter1, "", None).await;
    let r = generate(
        &app,
        &app.agent,
        &claim.id,
        K::BailiffDossier,
        "",
        signatory(),
    )
    .await;
    assert_missing(r, &["formal_notice"]);

    let notice = generated(&app, &claim.id, K::FormalNotice, "", signatory()).await;
    let notice_text = pdf_text(&fetch(&app, &notice).await);
    let notice_reference = printed_reference(&notice_text, "MED");
    // Generated but not yet delivered: still refused.
    let r = generate(
        &app,
        &app.agent,
        &claim.id,
        K::BailiffDossier,
        "",
        signatory(),
    )
    .await;
    assert_missing(r, &["formal_notice"]);

    app.claims(&app.agent)
        .record_formal_notice_delivery(pb::RecordFormalNoticeDeliveryRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            etag: String::new(),
            delivery: Some(pb::FormalNoticeDelivery {
                sent_date: Some(date(2026, 10, 1)),
                receipt_date: Some(date(2026, 10, 5)),
                tracking_number: "1A 234 567 8901 2".into(),
            }),
        })
        .await
        .expect("record formal notice delivery");
    let st = statement_today(&app, &claim.id).await;
    let totals = st.totals.as_ref().expect("totals");
    let owed = amount(&totals.owed);
    assert_ne!(
        amount(&totals.interest),
        "0.00",
        "consumer interest runs from the receipt"
    );

    let dossier = generated(&app, &claim.id, K::BailiffDossier, "", signatory()).await;
    assert_metadata(&dossier, &claim, K::BailiffDossier, "fr");
    assert!(
        dossier.size_bytes > CHUNK as i64,
        "the dossier should span several chunks: {} bytes",
        dossier.size_bytes
    );
    assert!(dossier.page_count >= 3, "{} pages", dossier.page_count);
    let bytes = fetch(&app, &dossier).await;
    let text = pdf_text(&bytes);
    assert_mentions(
        &text,
        &[
            "Dossier de transmission au commissaire de justice",
            "ACME Fournitures SAS",
            LEGAL_REPRESENTATIVE,
            "Marie Martin",
            CLAIM_REFERENCE,
            "F-2026-0001",
            "F-2026-0030",
            "Mise en demeure et preuve de délivrance",
            "1A 234 567 8901 2",
            "05/10/2026",
            "13/10/2026",
            "Julie Perrin",
            &fr_eur(&owed),
            &fr_eur(&amount(&totals.interest)),
            &letter.file_name,
            &notice.file_name,
        ],
    );
    // The formal notice is recalled by the reference it printed.
    assert!(
        text.contains(&notice_reference),
        "the dossier should recall the notice {notice_reference}:\n{text}"
    );
    // Every page says "page X / Y".
    assert!(
        text.contains(&format!(
            "page {} / {}",
            dossier.page_count, dossier.page_count
        )),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. The timeline, listing, tenancy.

#[tokio::test]
async fn documents_are_recorded_on_the_timeline_listed_in_order_and_kept_in_their_tenant() {
    let app = TestApp::spawn().await;
    let claim = overdue_b2b_claim(&app).await;
    let mut made = Vec::new();
    for (kind, signed) in [
        (K::WarningLetter1, None),
        (K::EmailReminder, None),
        (K::FormalNotice, signatory()),
    ] {
        made.push(generated(&app, &claim.id, kind, "", signed).await);
    }

    // One DOCUMENT_GENERATED event per document, with its id, kind, hash and template.
    let timeline = events(&app, &claim.id).await;
    let payloads = generated_events(&timeline);
    assert_eq!(payloads.len(), 3, "{payloads:?}");
    for (doc, payload) in made.iter().zip(&payloads) {
        assert_eq!(payload["document_id"], doc.id.as_str());
        assert_eq!(payload["sha256"], doc.sha256.as_str());
        assert_eq!(payload["language"], "fr");
        assert_eq!(payload["template_version"], doc.template_version.as_str());
    }
    assert_eq!(payloads[0]["kind"], "warning_letter_1");
    assert_eq!(payloads[1]["kind"], "email_reminder");
    assert_eq!(payloads[2]["kind"], "formal_notice");
    // The chain still verifies, and the claim's etag moved.
    let verified = app
        .claims(&app.legal)
        .verify_claim_events(pb::VerifyClaimEventsRequest {
            claim_id: claim.id.clone(),
        })
        .await
        .expect("verify events")
        .into_inner();
    assert!(verified.intact, "{verified:?}");
    assert_eq!(verified.event_count, timeline.len() as i64);
    let now = app
        .claims(&app.legal)
        .get_claim(pb::GetClaimRequest {
            id: claim.id.clone(),
        })
        .await
        .expect("get claim")
        .into_inner();
    assert_ne!(now.etag, claim.etag);

    // Listed oldest first; a page at a time.
    assert_eq!(list_all(&app, &claim.id).await, made);
    let mut token = String::new();
    let mut paged = Vec::new();
    loop {
        let page = list_page(&app, &app.legal, &claim.id, 1, &token)
            .await
            .expect("page");
        assert_eq!(page.documents.len(), 1);
        paged.extend(page.documents);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        assert!(paged.len() < 3, "a token after the last page");
    }
    assert_eq!(paged, made);
    let r = list_page(&app, &app.legal, &claim.id, 1, "garbage").await;
    assert_refused(r, Code::InvalidArgument, "INVALID_PAGE_TOKEN");

    // GetDocument returns the same metadata, to any role of the tenant.
    for key in [&app.legal, &app.agent, &app.admin] {
        let got = documents(&app, key)
            .get_document(pb::GetDocumentRequest {
                id: made[2].id.clone(),
            })
            .await
            .expect("get document")
            .into_inner();
        assert_eq!(got, made[2]);
    }
    let r = documents(&app, &app.legal)
        .get_document(pb::GetDocumentRequest {
            id: "not-a-uuid".into(),
        })
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["id"]);
    let r = documents(&app, &app.legal)
        .get_document(pb::GetDocumentRequest {
            id: uuid::Uuid::now_v7().to_string(),
        })
        .await;
    assert_refused(r, Code::NotFound, "NOT_FOUND");

    // Another tenant sees none of it: NOT_FOUND, exactly as for an id that does not exist.
    let (_, other) = app.new_tenant("other").await;
    let id = made[2].id.clone();
    let r = documents(&app, &other)
        .get_document(pb::GetDocumentRequest { id: id.clone() })
        .await;
    assert_refused(r, Code::NotFound, "NOT_FOUND");
    let r = download_chunks(&app, &other, &id).await;
    assert_refused(r, Code::NotFound, "NOT_FOUND");
    let r = documents(&app, &other)
        .verify_document(pb::VerifyDocumentRequest { id: id.clone() })
        .await;
    assert_refused(r, Code::NotFound, "NOT_FOUND");
    let r = list_page(&app, &other, &claim.id, 0, "").await;
    assert_refused(r, Code::NotFound, "NOT_FOUND");
    let r = generate(&app, &other, &claim.id, K::WarningLetter1, "", None).await;
    assert_refused(r, Code::NotFound, "NOT_FOUND");
    // Nothing of ours changed.
    assert_eq!(list_all(&app, &claim.id).await.len(), 3);

    // No key at all.
    let r = documents(&app, "")
        .get_document(pb::GetDocumentRequest { id })
        .await;
    assert_refused(r, Code::Unauthenticated, "UNAUTHENTICATED");
}

// ---------------------------------------------------------------------------------------------
// 4. Verification by re-rendering.

#[tokio::test]
async fn a_document_is_verified_by_rendering_it_again_and_tampering_is_detected() {
    let app = TestApp::spawn().await;
    let claim = overdue_b2b_claim(&app).await;
    let notice = generated(&app, &claim.id, K::FormalNotice, "", signatory()).await;
    let email = generated(&app, &claim.id, K::EmailReminder, "", None).await;
    let letter = generated(&app, &claim.id, K::WarningLetter1, "", None).await;

    // Rendered again later — the clock moved, a payment came in — from the stored inputs.
    app.clock.advance_days(3);
    for doc in [&notice, &email, &letter] {
        let v = documents(&app, &app.legal)
            .verify_document(pb::VerifyDocumentRequest { id: doc.id.clone() })
            .await
            .expect("verify")
            .into_inner();
        assert!(v.reproduced, "{} not reproduced: {v:?}", doc.file_name);
        assert_eq!(v.stored_sha256, doc.sha256);
        assert_eq!(v.rendered_sha256, doc.sha256);
        assert_eq!(v.template_version, doc.template_version);
    }

    // The stored hash changed: no longer reproduced.
    let forged = "00".repeat(32);
    app.sql(&format!(
        "UPDATE documents SET sha256 = decode('{forged}', 'hex') WHERE id = '{}'",
        notice.id
    ))
    .await;
    let v = documents(&app, &app.legal)
        .verify_document(pb::VerifyDocumentRequest {
            id: notice.id.clone(),
        })
        .await
        .expect("verify")
        .into_inner();
    assert!(!v.reproduced, "{v:?}");
    assert_eq!(v.stored_sha256, forged);
    assert_eq!(v.rendered_sha256, notice.sha256);

    // The stored bytes changed (the hash left alone): what would be downloaded is not what
    // was generated, so it is not reproduced either.
    app.sql(&format!(
        "UPDATE documents SET content = content || '\\x0a'::bytea WHERE id = '{}'",
        email.id
    ))
    .await;
    let v = documents(&app, &app.legal)
        .verify_document(pb::VerifyDocumentRequest {
            id: email.id.clone(),
        })
        .await
        .expect("verify")
        .into_inner();
    assert!(!v.reproduced, "tampered bytes reported reproduced: {v:?}");

    // The stored inputs changed: the rendering differs.
    app.sql(&format!(
        "UPDATE documents SET inputs = jsonb_set(inputs, '{{place}}', '\"Marseille\"') WHERE id = '{}'",
        letter.id
    ))
    .await;
    let v = documents(&app, &app.legal)
        .verify_document(pb::VerifyDocumentRequest {
            id: letter.id.clone(),
        })
        .await
        .expect("verify")
        .into_inner();
    assert!(!v.reproduced, "{v:?}");
    assert_eq!(v.stored_sha256, letter.sha256);
    assert_ne!(v.rendered_sha256, letter.sha256);
}

// ---------------------------------------------------------------------------------------------
// 5. Plain HTTP on the gRPC port.

struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` over HTTP/1.1, written by hand on a fresh TCP connection.
async fn http_get(app: &TestApp, path: &str, key: Option<&str>) -> HttpResponse {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(app.addr)
            .await
            .expect("connect");
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", app.addr);
        if let Some(key) = key {
            request.push_str(&format!("Authorization: Bearer {key}\r\n"));
        }
        request.push_str("Connection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        raw
    };
    let raw = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("HTTP response within 30 s");
    parse_http(&raw)
}

fn parse_http(raw: &[u8]) -> HttpResponse {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of the head");
    let head = std::str::from_utf8(&raw[..end]).expect("ascii head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header");
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut response = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let rest = &raw[end + 4..];
    response.body = if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(rest)
    } else {
        if let Some(length) = response.header("content-length") {
            assert_eq!(length.parse::<usize>().ok(), Some(rest.len()));
        }
        rest.to_vec()
    };
    response
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = std::str::from_utf8(&rest[..eol]).expect("ascii size");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("hex chunk size");
        rest = &rest[eol + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        assert_eq!(&rest[size..size + 2], b"\r\n");
        rest = &rest[size + 2..];
    }
}

#[tokio::test]
async fn documents_download_over_plain_http_on_the_grpc_port_with_the_same_key() {
    let app = TestApp::spawn().await;
    let claim = overdue_b2b_claim(&app).await;
    let notice = generated(&app, &claim.id, K::FormalNotice, "", signatory()).await;
    let email = generated(&app, &claim.id, K::EmailReminder, "", None).await;
    let path = notice.download_path.clone();

    let ok = http_get(&app, &path, Some(&app.legal)).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    assert_eq!(ok.header("content-type"), Some("application/pdf"));
    assert_eq!(
        ok.header("content-disposition"),
        Some(
            format!(
                "attachment; filename=\"{0}\"; filename*=UTF-8''{0}",
                notice.file_name
            )
            .as_str()
        )
    );
    assert_eq!(ok.body.len() as i64, notice.size_bytes);
    assert_eq!(sha_hex(&ok.body), notice.sha256);
    assert_eq!(
        ok.header("etag"),
        Some(format!("\"{}\"", notice.sha256).as_str())
    );
    assert!(pdf_text(&ok.body).contains(CLAIM_REFERENCE));

    let text = http_get(&app, &email.download_path, Some(&app.agent)).await;
    assert_eq!(text.status, 200);
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(sha_hex(&text.body), email.sha256);

    // No key: 401 with the challenge; an unknown key too.
    let anonymous = http_get(&app, &path, None).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some("Bearer realm=\"recouvre\"")
    );
    assert!(!anonymous.body.starts_with(b"%PDF"));
    let unknown = http_get(&app, &path, Some("rcv_not_a_key")).await;
    assert_eq!(unknown.status, 401);
    assert!(unknown.header("www-authenticate").is_some());

    // Another tenant's key: 404, as for a document that does not exist.
    let (_, other) = app.new_tenant("other").await;
    let foreign = http_get(&app, &path, Some(&other)).await;
    assert_eq!(foreign.status, 404);
    assert!(!foreign.body.starts_with(b"%PDF"));
    let missing = http_get(
        &app,
        &format!("/v1/documents/{}", uuid::Uuid::now_v7()),
        Some(&app.legal),
    )
    .await;
    assert_eq!(missing.status, 404);

    // A bad id: 400.
    let bad = http_get(&app, "/v1/documents/not-a-uuid", Some(&app.legal)).await;
    assert_eq!(bad.status, 400);

    // gRPC still answers on the same port, on the harness's HTTP/2 channel and on a new one.
    let got = documents(&app, &app.legal)
        .get_document(pb::GetDocumentRequest {
            id: notice.id.clone(),
        })
        .await
        .expect("gRPC after HTTP/1.1")
        .into_inner();
    assert_eq!(got, notice);
    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut fresh = DocumentServiceClient::with_interceptor(channel, Auth(app.legal.clone()));
    let listed = fresh
        .list_documents(pb::ListDocumentsRequest {
            claim_id: claim.id.clone(),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .expect("gRPC on a new connection")
        .into_inner();
    assert_eq!(listed.documents, vec![notice, email]);
}

// ---------------------------------------------------------------------------------------------
// 6. Tenant templates.

const CUSTOM_LETTER: &str = r#"#let input = json("/data.json")
#let d = input.data
#set text(lang: "fr")
= Relance personnalisée
Dossier #d.claim.reference pour #d.debtor.name.
"#;

fn template_request(kind: K, language: &str, source: &str) -> pb::SetTemplateRequest {
    pb::SetTemplateRequest {
        request_id: new_request_id(),
        template: Some(pb::Template {
            kind: kind as i32,
            language_code: language.into(),
            source: source.into(),
            ..Default::default()
        }),
    }
}

async fn list_templates(app: &TestApp) -> Vec<pb::Template> {
    documents(app, &app.admin)
        .list_templates(pb::ListTemplatesRequest {})
        .await
        .expect("list templates")
        .into_inner()
        .templates
}

async fn verify(app: &TestApp, id: &str) -> pb::VerifyDocumentResponse {
    documents(app, &app.legal)
        .verify_document(pb::VerifyDocumentRequest { id: id.into() })
        .await
        .expect("verify")
        .into_inner()
}

#[tokio::test]
async fn a_tenant_template_is_tried_before_it_is_stored_and_then_used_until_deleted() {
    let app = TestApp::spawn().await;
    let claim = overdue_b2b_claim(&app).await;
    let mut admin = documents(&app, &app.admin);

    // A source that does not compile is refused with the renderer's diagnostics, not stored.
    let broken = "#let d = json(\"/data.json\").data\n= Relance #d.claim.reference\n#nope(\n";
    let r = admin
        .set_template(template_request(K::WarningLetter1, "fr", broken))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "TEMPLATE_INVALID");
    assert_eq!(bad_fields(&status), vec!["template.source"]);
    let violation = &status
        .get_details_bad_request()
        .expect("bad request")
        .field_violations[0];
    assert!(
        violation.description.contains("error"),
        "{:?}",
        violation.description
    );
    // A source that reads what the data do not have fails on the sample data the same way.
    let r = admin
        .set_template(template_request(
            K::WarningLetter1,
            "fr",
            "#let d = json(\"/data.json\").data\n#d.no_such_field\n",
        ))
        .await;
    assert_refused(r, Code::InvalidArgument, "TEMPLATE_INVALID");
    assert!(list_templates(&app).await.is_empty());

    // Only an admin manages templates; a legal key reads documents but does not generate.
    let r = documents(&app, &app.agent)
        .set_template(template_request(K::WarningLetter1, "fr", CUSTOM_LETTER))
        .await;
    let status = assert_refused(r, Code::PermissionDenied, "PERMISSION_DENIED");
    assert_eq!(error_metadata(&status)["required_role"], "admin");
    let r = documents(&app, &app.agent)
        .list_templates(pb::ListTemplatesRequest {})
        .await;
    assert_refused(r, Code::PermissionDenied, "PERMISSION_DENIED");
    let r = documents(&app, &app.agent)
        .delete_template(pb::DeleteTemplateRequest {
            request_id: new_request_id(),
            kind: K::WarningLetter1 as i32,
            language_code: "fr".into(),
        })
        .await;
    assert_refused(r, Code::PermissionDenied, "PERMISSION_DENIED");
    let r = generate(&app, &app.legal, &claim.id, K::WarningLetter1, "", None).await;
    let status = assert_refused(r, Code::PermissionDenied, "PERMISSION_DENIED");
    assert_eq!(error_metadata(&status)["required_role"], "agent");

    // A valid override: version 1, its hash, listed.
    let set = admin
        .set_template(template_request(K::WarningLetter1, "fr", CUSTOM_LETTER))
        .await
        .expect("set template")
        .into_inner();
    assert_eq!(set.kind, K::WarningLetter1 as i32);
    assert_eq!(set.language_code, "fr");
    assert_eq!(set.source, CUSTOM_LETTER);
    assert_eq!(set.version, 1);
    assert_eq!(set.sha256, sha_hex(CUSTOM_LETTER.as_bytes()));
    assert!(set.update_time.is_some());
    assert_eq!(list_templates(&app).await, vec![set.clone()]);

    // Generation uses it; a legal key downloads it; it verifies.
    let custom = generated(&app, &claim.id, K::WarningLetter1, "", None).await;
    assert_metadata(&custom, &claim, K::WarningLetter1, "fr");
    assert!(
        custom.template_version.starts_with("custom@"),
        "{}",
        custom.template_version
    );
    let text = pdf_text(&fetch(&app, &custom).await);
    assert_mentions(
        &text,
        &[
            "Relance personnalisée",
            &format!("Dossier {CLAIM_REFERENCE} pour Dupont Bâtiment SARL."),
        ],
    );
    assert!(!text.contains("Sauf erreur"), "{text}");
    let v = verify(&app, &custom.id).await;
    assert!(v.reproduced, "{v:?}");
    assert_eq!(v.template_version, custom.template_version);
    // The override is for French only: English letters keep the built-in template.
    let english = generated(&app, &claim.id, K::WarningLetter1, "en", None).await;
    assert!(
        english.template_version.starts_with("warning_letter_1@"),
        "{}",
        english.template_version
    );

    // Replaced: version 2, a new template version on the documents.
    let replaced_source = CUSTOM_LETTER.replace("personnalisée", "personnalisée, deuxième version");
    let replaced = admin
        .set_template(template_request(K::WarningLetter1, "fr", &replaced_source))
        .await
        .expect("replace template")
        .into_inner();
    assert_eq!(replaced.version, 2);
    assert_eq!(replaced.sha256, sha_hex(replaced_source.as_bytes()));
    assert_eq!(list_templates(&app).await, vec![replaced]);
    let custom2 = generated(&app, &claim.id, K::WarningLetter1, "", None).await;
    assert!(custom2.template_version.starts_with("custom@"));
    assert_ne!(custom2.template_version, custom.template_version);
    assert_mentions(
        &pdf_text(&fetch(&app, &custom2).await),
        &["Relance personnalisée, deuxième version"],
    );

    // Deleted: the built-in template applies again; documents made with the override still
    // verify, from the source stored with them.
    let deleted = admin
        .delete_template(pb::DeleteTemplateRequest {
            request_id: new_request_id(),
            kind: K::WarningLetter1 as i32,
            language_code: "fr".into(),
        })
        .await
        .expect("delete template")
        .into_inner();
    assert!(deleted.deleted);
    assert!(list_templates(&app).await.is_empty());
    let again = admin
        .delete_template(pb::DeleteTemplateRequest {
            request_id: new_request_id(),
            kind: K::WarningLetter1 as i32,
            language_code: "fr".into(),
        })
        .await
        .expect("delete again")
        .into_inner();
    assert!(!again.deleted);
    let builtin = generated(&app, &claim.id, K::WarningLetter1, "", None).await;
    assert!(
        builtin.template_version.starts_with("warning_letter_1@"),
        "{}",
        builtin.template_version
    );
    let text = pdf_text(&fetch(&app, &builtin).await);
    assert_mentions(&text, &["Sauf erreur ou omission", CLAIM_REFERENCE]);
    assert!(!text.contains("personnalisée"), "{text}");
    for doc in [&custom, &custom2, &builtin] {
        let v = verify(&app, &doc.id).await;
        assert!(v.reproduced, "{} {v:?}", doc.template_version);
        assert_eq!(v.template_version, doc.template_version);
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Idempotency.

#[tokio::test]
async fn a_retried_generation_returns_the_same_document_and_stores_one() {
    let app = TestApp::spawn().await;
    let claim = overdue_b2b_claim(&app).await;
    let request = generate_request(&claim.id, K::FormalNotice, "", signatory());
    let mut client = documents(&app, &app.agent);
    let first = client
        .generate_document(request.clone())
        .await
        .expect("first")
        .into_inner();
    let retried = client
        .generate_document(request.clone())
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(retried, first);
    // Later, once the clock moved, the retry still answers the first document.
    app.clock.advance_days(1);
    let later = client
        .generate_document(request.clone())
        .await
        .expect("later retry")
        .into_inner();
    assert_eq!(later, first);
    assert_eq!(list_all(&app, &claim.id).await, vec![first.clone()]);
    assert_eq!(generated_events(&events(&app, &claim.id).await).len(), 1);

    // The same id for another request is refused.
    let r = client
        .generate_document(pb::GenerateDocumentRequest {
            kind: K::WarningLetter1 as i32,
            ..request
        })
        .await;
    assert_refused(r, Code::InvalidArgument, "REQUEST_ID_REUSED");
    assert_eq!(list_all(&app, &claim.id).await.len(), 1);

    // A stale etag is refused; the current one is accepted.
    let current = app
        .claims(&app.legal)
        .get_claim(pb::GetClaimRequest {
            id: claim.id.clone(),
        })
        .await
        .expect("get claim")
        .into_inner();
    let r = client
        .generate_document(pb::GenerateDocumentRequest {
            etag: claim.etag.clone(),
            ..generate_request(&claim.id, K::WarningLetter1, "", None)
        })
        .await;
    assert_refused(r, Code::Aborted, "ETAG_MISMATCH");
    client
        .generate_document(pb::GenerateDocumentRequest {
            etag: current.etag,
            ..generate_request(&claim.id, K::WarningLetter1, "", None)
        })
        .await
        .expect("generate with the current etag");
    assert_eq!(list_all(&app, &claim.id).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// A collection agency writes in its own name (R124-4) and recalls its first letter.

#[tokio::test]
async fn an_agency_sends_its_first_letter_with_the_r124_4_mentions_then_recalls_it() {
    let app = TestApp::spawn().await;
    let mut tenants = pb::tenant_service_client::TenantServiceClient::with_interceptor(
        app.channel.clone(),
        Auth(app.admin.clone()),
    );
    let profile = pb::AgencyProfile {
        legal_name: "Recouvrement Rhône SAS".into(),
        legal_form: "SAS".into(),
        siren: "552100554".into(),
        address: Some(pb::PostalAddress {
            address_lines: vec!["8 rue de la République".into()],
            postal_code: "69002".into(),
            locality: "Lyon".into(),
            region_code: "FR".into(),
        }),
        iban: "FR7630006000011234567890189".into(),
        bic: String::new(),
        contact_name: "Service clients".into(),
        contact_phone: "04 72 00 00 00".into(),
        contact_email: "contact@recouvrement-rhone.fr".into(),
    };
    let update = |request_id: String| pb::UpdateAgencyProfileRequest {
        request_id,
        agency_profile: Some(profile.clone()),
    };
    // A creditor tenant has no agency profile.
    let status = tenants
        .update_agency_profile(update(new_request_id()))
        .await
        .expect_err("not an agency");
    assert_eq!(status.code(), Code::InvalidArgument);
    app.sql(&format!(
        "UPDATE tenants SET kind = 'agency' WHERE id = '{}'",
        app.tenant.0
    ))
    .await;
    // Until the profile is set, the agency's letters are refused naming what is missing.
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    let claim = app
        .claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(sample_claim(&creditor.id, &debtor.id, "AGC-1", &["300.00"])),
        })
        .await
        .expect("claim")
        .into_inner();
    let r = generate(&app, &app.agent, &claim.id, K::AgencyFirstLetter, "", None).await;
    let status = r.expect_err("no profile yet");
    assert_eq!(reason(&status), "DOCUMENT_DATA_MISSING");
    assert!(
        status.message().contains("agency.name"),
        "{}",
        status.message()
    );

    let tenant = tenants
        .update_agency_profile(update(new_request_id()))
        .await
        .expect("profile")
        .into_inner();
    assert_eq!(tenant.kind, pb::TenantKind::Agency as i32);
    assert_eq!(
        tenant.agency_profile.as_ref().map(|p| p.siren.as_str()),
        Some("552100554")
    );
    let read = tenants
        .get_tenant(pb::GetTenantRequest {})
        .await
        .expect("get tenant")
        .into_inner();
    assert_eq!(read, tenant);

    let first = generated(&app, &claim.id, K::AgencyFirstLetter, "", None).await;
    let text = pdf_text(&fetch(&app, &first).await);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for mention in [
        "Recouvrement Rhône SAS",
        "R124-4",
        "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du créancier",
        "AGC-1",
    ] {
        assert!(flat.contains(mention), "{mention:?} missing from:\n{flat}");
    }
    let first_ref = {
        let hex = first.id.replace('-', "");
        format!("AGC-{}", hex[hex.len() - 12..].to_uppercase())
    };
    assert!(
        flat.contains(&first_ref),
        "{first_ref} missing from:\n{flat}"
    );

    // A later letter to the same debtor recalls the first one: its reference and date.
    let later = generated(&app, &claim.id, K::WarningLetter1, "", None).await;
    let flat = pdf_text(&fetch(&app, &later).await)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(&format!("premier courrier réf. {first_ref}")),
        "{flat}"
    );
    assert!(
        flat.contains("20/11/2026") || flat.contains("20 novembre 2026"),
        "{flat}"
    );
}

#[tokio::test]
async fn a_call_script_is_generated_for_the_phone_task() {
    let app = TestApp::spawn().await;
    publish_2026_s2(&app).await;
    let claim = overdue_b2b_claim(&app).await;
    let doc = generated(&app, &claim.id, K::CallScript, "", None).await;
    assert_eq!(doc.content_type, "text/plain; charset=utf-8");
    assert!(
        doc.file_name.starts_with("script-appel-"),
        "{}",
        doc.file_name
    );
    let text = String::from_utf8(fetch(&app, &doc).await).expect("utf-8");
    assert!(text.starts_with("SCRIPT D'APPEL — dossier"), "{text}");
    assert!(text.contains("RecordContact"), "{text}");
}

/// A date as the letters print it in full: "15 décembre 2026" / "15 December 2026" (the
/// first of the month is "1er" in French).
fn long_date(d: &Date, language: &str) -> String {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = usize::try_from(d.month - 1).expect("month");
    if language == "fr" {
        let day = if d.day == 1 {
            "1er".to_owned()
        } else {
            d.day.to_string()
        };
        format!("{day} {} {}", FR[month], d.year)
    } else {
        format!("{} {} {}", d.day, EN[month], d.year)
    }
}

#[tokio::test]
async fn a_payment_plan_agreement_prints_each_instalment_of_the_plan_proposed_then_agreed() {
    let app = TestApp::spawn().await;
    let claim = overdue_b2b_claim(&app).await;

    // No plan: refused, naming the plan (and the signatory, which it needs too), nothing
    // stored or recorded.
    let r = generate(
        &app,
        &app.agent,
        &claim.id,
        K::PaymentPlanAgreement,
        "",
        None,
    )
    .await;
    assert_missing(r, &["payment_plan", "signatory"]);
    let r = generate(
        &app,
        &app.agent,
        &claim.id,
        K::PaymentPlanAgreement,
        "",
        signatory(),
    )
    .await;
    assert_missing(r, &["payment_plan"]);
    assert!(list_all(&app, &claim.id).await.is_empty());
    assert!(generated_events(&events(&app, &claim.id).await).is_empty());

    // Proposed: the letter offers the schedule for the debtor to return signed.
    let proposed = app
        .claims(&app.agent)
        .propose_payment_plan(pb::ProposePaymentPlanRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            instalment_count: 3,
            first_due_date: Some(date(2026, 12, 15)),
            grace_days: 5,
            ..Default::default()
        })
        .await
        .expect("propose")
        .into_inner();
    let plan = proposed.payment_plan.expect("plan");
    let total = amount(&plan.total);
    let schedule: Vec<(Date, String)> = plan
        .instalments
        .iter()
        .map(|i| (i.due_date.expect("due date"), amount(&i.amount)))
        .collect();
    assert_eq!(schedule.len(), 3);
    let offer = generated(&app, &claim.id, K::PaymentPlanAgreement, "", signatory()).await;
    assert_metadata(&offer, &claim, K::PaymentPlanAgreement, "fr");
    assert!(
        offer
            .template_version
            .starts_with("payment_plan_agreement@"),
        "{}",
        offer.template_version
    );
    let text = pdf_text(&fetch(&app, &offer).await);
    assert_mentions(
        &text,
        &[
            "Proposition d'échéancier de paiement",
            "Bon pour accord",
            "à compter du 20 novembre 2026, date de cette proposition",
            &fr_eur(&total),
        ],
    );
    assert!(printed_reference(&text, "ECH").len() > 4);

    // Agreed: the letter confirms it, instalment by instalment, in French and in English.
    app.claims(&app.agent)
        .agree_payment_plan(pb::AgreePaymentPlanRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            etag: String::new(),
        })
        .await
        .expect("agree");
    let agreement = generated(&app, &claim.id, K::PaymentPlanAgreement, "", signatory()).await;
    let text = pdf_text(&fetch(&app, &agreement).await);
    assert_mentions(
        &text,
        &[
            "Accord d'échéancier de paiement",
            "l'accord intervenu le 20 novembre 2026",
            CLAIM_REFERENCE,
            "F-2026-0101",
            "F-2026-0102",
            &format!("la somme due s'élevait à {}", fr_eur(&total)),
            &format!("Total {}", fr_eur(&total)),
            "aucune pénalité de retard ne court plus sur ces sommes à compter du 20 novembre 2026",
            "dans les 5 jours qui suivent sa date",
            "l'échéancier prend fin de plein droit",
            "FR7630006000011234567890189",
            "Julie Perrin",
        ],
    );
    for (n, (due, value)) in schedule.iter().enumerate() {
        let row = format!("{} {} {}", n + 1, long_date(due, "fr"), fr_eur(value));
        assert!(
            text.contains(&row),
            "instalment {row:?} missing in:\n{text}"
        );
    }
    let english = generated(&app, &claim.id, K::PaymentPlanAgreement, "en", signatory()).await;
    let text = pdf_text(&fetch(&app, &english).await);
    assert_mentions(
        &text,
        &[
            "Payment plan agreement",
            "the arrangement reached on 20 November 2026",
            &format!("Total {}", en_eur(&total)),
        ],
    );
    for (n, (due, value)) in schedule.iter().enumerate() {
        let row = format!("{} {} {}", n + 1, long_date(due, "en"), en_eur(value));
        assert!(
            text.contains(&row),
            "instalment {row:?} missing in:\n{text}"
        );
    }

    // Recorded on the timeline like any document, and reproduced from its stored inputs.
    let payloads = generated_events(&events(&app, &claim.id).await);
    assert_eq!(payloads.len(), 3);
    for (payload, doc) in payloads.iter().zip([&offer, &agreement, &english]) {
        assert_eq!(payload["kind"], "payment_plan_agreement");
        assert_eq!(payload["sha256"], doc.sha256.as_str());
    }
    assert!(verify(&app, &agreement.id).await.reproduced);
}

/// `recouvre render-sample`, the template authors' command: no database, a PDF or a text.
#[test]
fn render_sample_writes_each_kind_without_a_database() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("mise-en-demeure.pdf");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_recouvre"))
        .args(["render-sample", "--kind", "formal_notice", "--out"])
        .arg(&out)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run render-sample");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pdf = std::fs::read(&out).expect("written");
    assert!(pdf_text(&pdf).contains("Mise en demeure"));
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_recouvre"))
        .args([
            "render-sample",
            "--kind",
            "sms_reminder",
            "--language",
            "en",
            "--out",
            "-",
        ])
        .output()
        .expect("run render-sample");
    assert!(run.status.success());
    assert!(!run.stdout.is_empty());
    // A broken template is refused with the renderer's message.
    let broken = dir.path().join("broken.typ");
    std::fs::write(&broken, "#let x = (").expect("write");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_recouvre"))
        .args(["render-sample", "--kind", "warning_letter_1", "--template"])
        .arg(&broken)
        .args(["--out", "-"])
        .output()
        .expect("run render-sample");
    assert!(!run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("template error"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
