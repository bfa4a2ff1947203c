//! Documents: generated from the claim as it stands, rendered on the blocking pool, stored with
//! their bytes, hash, template version and inputs, recorded on the claim's timeline.

use recouvre_docs::{self as docs, DocumentKind, Language};
use recouvre_domain::{ClaimError, ClaimId, GeneratedDocument, Now, Role};
use recouvre_store::claims::{get_claim, list_events};
use recouvre_store::documents::{
    DocumentMeta, NewDocument, TemplateRow, delete_template, document_content, document_inputs,
    get_document, insert_document, list_documents, list_templates, upsert_template,
};
use recouvre_store::parties::{get_creditor, get_debtor};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::claims::check_etag;
use super::document_data::{Sources, build, deadline_days};
use super::renderer::{RenderFailure, Rendered, Renderer};
use super::valuation::value;
use super::{App, AppError, Mutation, Principal, not_found, page_token};

/// What a generation asks for.
pub struct GenerateRequest {
    /// The claim.
    pub claim: ClaimId,
    /// The etag sent, if any.
    pub etag: String,
    /// The kind.
    pub kind: DocumentKind,
    /// The language; `None`: the debtor's.
    pub language: Option<Language>,
    /// Who signs.
    pub signatory: Option<docs::Signatory>,
}

fn prefix(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::WarningLetter1 => "REL1",
        DocumentKind::WarningLetter2 => "REL2",
        DocumentKind::AgencyFirstLetter => "AGC",
        DocumentKind::FormalNotice => "MED",
        DocumentKind::BailiffDossier => "CJ",
        DocumentKind::EmailReminder => "EML",
        DocumentKind::SmsReminder => "SMS",
        DocumentKind::CallScript => "TEL",
        DocumentKind::PaymentPlanAgreement => "ECH",
    }
}

/// A document's own reference, printed on it and recalled by later documents (the dossier
/// names the formal notice by it): the kind's prefix and the last 12 hex digits of its id.
/// Those are random bits of the UUIDv7; its first digits are its timestamp, the same for every
/// document generated within a minute.
fn document_reference(kind: DocumentKind, id: Uuid) -> String {
    let hex = id.simple().to_string();
    format!("{}-{}", prefix(kind), hex[hex.len() - 12..].to_uppercase())
}

fn file_name(kind: DocumentKind, claim_reference: &str) -> String {
    let safe: String = claim_reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let (stem, ext) = match kind {
        DocumentKind::WarningLetter1 => ("relance-1", "pdf"),
        DocumentKind::WarningLetter2 => ("relance-2", "pdf"),
        DocumentKind::AgencyFirstLetter => ("premiere-lettre", "pdf"),
        DocumentKind::FormalNotice => ("mise-en-demeure", "pdf"),
        DocumentKind::BailiffDossier => ("dossier-commissaire", "pdf"),
        DocumentKind::EmailReminder => ("relance-email", "txt"),
        DocumentKind::SmsReminder => ("relance-sms", "txt"),
        DocumentKind::CallScript => ("script-appel", "txt"),
        DocumentKind::PaymentPlanAgreement => ("accord-echeancier", "pdf"),
    };
    format!("{stem}-{safe}.{ext}")
}

/// The renderer's refusal as the API's error.
fn render_error(e: docs::RenderError) -> AppError {
    match e {
        docs::RenderError::Refused(missing) => AppError::DocumentDataMissing(
            missing
                .into_iter()
                .map(|m| (m.field.clone(), m.to_string()))
                .collect(),
        ),
        other => AppError::Render(other.to_string()),
    }
}

/// Renders through the configured renderer, mapping its refusals to the API's errors.
async fn render_with(
    renderer: &Renderer,
    kind: DocumentKind,
    language: Language,
    data: docs::DocumentData,
    template: Option<String>,
) -> Result<Rendered, AppError> {
    renderer
        .render(kind, language, data, template)
        .await
        .map_err(|e| match e {
            RenderFailure::Document(e) => render_error(e),
            RenderFailure::Unavailable(cause) => AppError::RendererUnavailable(cause),
            RenderFailure::Crashed(cause) => AppError::Render(cause),
        })
}

/// What every document of a tenant needs, loaded once per tenant (the scheduler loads it
/// once per batch).
pub(crate) struct TenantDocs {
    /// An agency writes in its own name (R124-4 1°); `None` for a creditor collecting its own.
    agency: Option<docs::Agency>,
    /// The tenant's own templates.
    templates: Vec<TemplateRow>,
}

impl TenantDocs {
    /// Loads the tenant's kind, agency profile and templates. A missing agency profile
    /// leaves empty fields, which the renderer refuses by name.
    pub(crate) async fn load(
        conn: &mut recouvre_store::Conn,
        tenant: recouvre_domain::TenantId,
    ) -> Result<Self, AppError> {
        let row = recouvre_store::access::get_tenant(conn, tenant).await?;
        let agency = if row.kind == recouvre_domain::TenantKind::Agency {
            let profile = recouvre_store::access::get_agency_profile(conn, tenant)
                .await?
                .map(super::tenants::profile_from_json)
                .transpose()?
                .unwrap_or_default();
            Some(docs::Agency {
                name: profile.legal_name,
                legal_form: profile.legal_form,
                siren: profile.siren,
                address_lines: profile.address_lines,
                iban: profile.iban,
                bic: profile.bic,
                contact: docs::Contact {
                    name: profile.contact_name,
                    phone: profile.contact_phone,
                    email: profile.contact_email,
                },
            })
        } else {
            None
        };
        let templates = list_templates(conn, tenant).await?;
        Ok(TenantDocs { agency, templates })
    }

    /// Whether the tenant is a collection agency.
    pub(crate) fn is_agency(&self) -> bool {
        self.agency.is_some()
    }

    fn template(&self, kind: DocumentKind, language: Language) -> Option<&TemplateRow> {
        self.templates
            .iter()
            .find(|t| t.kind == kind.as_str() && t.language == language.as_str())
    }
}

/// A document ready to render: its id, data and the tenant's template, if any.
pub(crate) struct PreparedDocument {
    pub(crate) id: Uuid,
    pub(crate) kind: DocumentKind,
    pub(crate) language: Language,
    pub(crate) data: docs::DocumentData,
    pub(crate) template: Option<String>,
    pub(crate) inputs: serde_json::Value,
}

/// What a document is built from besides the claim.
pub(crate) struct DocumentInputs<'a> {
    pub(crate) creditor: &'a recouvre_domain::Creditor,
    pub(crate) debtor: &'a recouvre_domain::Debtor,
    pub(crate) statement: &'a recouvre_domain::statement::Statement,
    pub(crate) events: &'a [recouvre_domain::StoredEvent],
    pub(crate) earlier: &'a [DocumentMeta],
    pub(crate) tenant: &'a TenantDocs,
    /// The agency's first letter to the debtor, recalled by later letters (R124-4).
    pub(crate) first_letter: Option<(Uuid, chrono::DateTime<chrono::Utc>)>,
    pub(crate) signatory: Option<docs::Signatory>,
}

/// The debtor's language as the renderer's.
pub(crate) fn debtor_language(debtor: &recouvre_domain::Debtor) -> Language {
    match debtor.preferred_language {
        recouvre_domain::Language::Fr => Language::Fr,
        recouvre_domain::Language::En => Language::En,
    }
}

/// Builds a document's data (pure: everything is loaded).
pub(crate) fn prepare_document(
    claim: &recouvre_domain::Claim,
    kind: DocumentKind,
    language: Language,
    inputs: DocumentInputs<'_>,
    today: chrono::NaiveDate,
) -> Result<PreparedDocument, AppError> {
    let id = Uuid::now_v7();
    let reference = document_reference(kind, id);
    let first_letter = if kind == DocumentKind::AgencyFirstLetter || !inputs.tenant.is_agency() {
        None
    } else {
        inputs.first_letter.map(|(id, at)| docs::LetterReference {
            reference: document_reference(DocumentKind::AgencyFirstLetter, id),
            sent_on: super::now_facts(at).today.format("%Y-%m-%d").to_string(),
        })
    };
    let mut data = build(
        claim,
        Sources {
            reference,
            today,
            language,
            creditor: inputs.creditor,
            debtor: inputs.debtor,
            statement: Some(inputs.statement),
            events: inputs.events,
            documents: inputs
                .earlier
                .iter()
                .map(|d| {
                    (
                        d.file_name.clone(),
                        d.kind.clone(),
                        d.kind
                            .parse()
                            .map(|kind| document_reference(kind, d.id))
                            .unwrap_or_default(),
                        hex::encode(&d.sha256),
                    )
                })
                .collect(),
            signatory: inputs.signatory,
            agency: inputs.tenant.agency.clone(),
            first_letter,
        },
    );
    data.deadline_days = Some(deadline_days(kind));
    // Only the agreement prints the plan: the other kinds' stored inputs stay as they were, and
    // a docgen sidecar of an earlier release (which refuses unknown fields) still renders them.
    if kind != DocumentKind::PaymentPlanAgreement {
        data.payment_plan = None;
    }
    let json = serde_json::to_value(&data).map_err(|e| AppError::Render(format!("inputs: {e}")))?;
    Ok(PreparedDocument {
        id,
        kind,
        language,
        data,
        template: inputs
            .tenant
            .template(kind, language)
            .map(|t| t.source.clone()),
        inputs: json,
    })
}

impl PreparedDocument {
    /// Renders it through `renderer`.
    pub(crate) async fn render(&self, renderer: &Renderer) -> Result<Rendered, AppError> {
        render_with(
            renderer,
            self.kind,
            self.language,
            self.data.clone(),
            self.template.clone(),
        )
        .await
    }

    /// The timeline's record of it.
    pub(crate) fn generated(&self, rendered: &Rendered) -> GeneratedDocument {
        GeneratedDocument {
            document_id: self.id,
            kind: self.kind.as_str().to_owned(),
            language: self.language.as_str().to_owned(),
            sha256: rendered.sha256.clone(),
            template_version: rendered.template_version.clone(),
        }
    }

    /// The row stored.
    pub(crate) fn row(
        self,
        tenant: recouvre_domain::TenantId,
        claim: &recouvre_domain::Claim,
        rendered: Rendered,
        at: chrono::DateTime<chrono::Utc>,
    ) -> NewDocument {
        NewDocument {
            id: self.id,
            tenant_id: tenant.0,
            claim_id: claim.id.0,
            kind: self.kind.as_str().to_owned(),
            language: self.language.as_str().to_owned(),
            content_type: rendered.content_type.clone(),
            file_name: file_name(self.kind, &claim.external_reference),
            size_bytes: rendered.bytes.len() as i64,
            sha256: hex::decode(&rendered.sha256).unwrap_or_default(),
            template_version: rendered.template_version,
            template_source: self.template,
            page_count: i32::try_from(rendered.pages).unwrap_or(i32::MAX),
            inputs: self.inputs,
            content: rendered.bytes,
            created_at: at,
        }
    }
}

impl App {
    /// Generates, stores and records a document of a claim (`Role::Agent`).
    pub async fn generate_document<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        request: GenerateRequest,
        render_meta: impl FnOnce(&DocumentMeta) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Agent)?;
        let actor = p.actor();
        let rates = self.rates().await?;
        self.in_transaction(p, m, async |conn, now: Now| {
            let id = request.claim;
            let mut claim = get_claim(conn, p.tenant, id, true)
                .await
                .map_err(not_found("claim", id))?;
            check_etag(&request.etag, claim.version)?;
            let creditor = get_creditor(conn, p.tenant, claim.creditor_id, false).await?;
            let debtor = get_debtor(conn, p.tenant, claim.debtor_id, false).await?;
            let language = request.language.unwrap_or(debtor_language(&debtor));
            let valuation = value(&claim, &rates, now.today);
            // Letters that print amounts need the statement; without a published rate they are
            // refused (RATE_NOT_PUBLISHED) rather than printed with partial sums.
            let statement = match &valuation.statement {
                Ok(s) => s,
                Err(e) => return Err(ClaimError::from(*e).into()),
            };
            let events = list_events(conn, p.tenant, id, 0, None).await?;
            let earlier = list_documents(conn, p.tenant, id, None, 10_000).await?;
            let tenant = TenantDocs::load(conn, p.tenant).await?;
            let first_letter = if tenant.is_agency() {
                recouvre_store::documents::first_agency_letter(conn, p.tenant, claim.debtor_id)
                    .await?
            } else {
                None
            };
            let prepared = prepare_document(
                &claim,
                request.kind,
                language,
                DocumentInputs {
                    creditor: &creditor,
                    debtor: &debtor,
                    statement,
                    events: &events,
                    earlier: &earlier,
                    tenant: &tenant,
                    first_letter,
                    signatory: request.signatory.clone(),
                },
                now.today,
            )?;
            let rendered = prepared.render(&self.renderer).await?;
            let events = claim.record_document(prepared.generated(&rendered), now)?;
            super::claims::save_events(conn, p.tenant, &mut claim, &events, &actor, &rates, now)
                .await?;
            let document_id = prepared.id;
            insert_document(conn, &prepared.row(p.tenant, &claim, rendered, now.at)).await?;
            let meta = get_document(conn, p.tenant, document_id).await?;
            Ok(render_meta(&meta))
        })
        .await
    }

    /// A document's metadata (any role).
    pub async fn get_document(&self, p: &Principal, id: Uuid) -> Result<DocumentMeta, AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        get_document(&mut conn, p.tenant, id)
            .await
            .map_err(not_found("document", id))
    }

    /// A document's metadata and bytes (any role).
    pub async fn document_bytes(
        &self,
        p: &Principal,
        id: Uuid,
    ) -> Result<(DocumentMeta, Vec<u8>), AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        let meta = get_document(&mut conn, p.tenant, id)
            .await
            .map_err(not_found("document", id))?;
        let bytes = document_content(&mut conn, p.tenant, id).await?;
        Ok((meta, bytes))
    }

    /// A page of a claim's documents (any role).
    pub async fn list_documents(
        &self,
        p: &Principal,
        claim: ClaimId,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<DocumentMeta>, String), AppError> {
        p.require(Role::Legal)?;
        let limit = page_token::size(page_size, 50, 500)?;
        let fingerprint = format!("documents:{claim}");
        let after = page_token::decode(token, &fingerprint)?
            .map(|b| Uuid::from_slice(&b).map_err(|_| AppError::InvalidPageToken))
            .transpose()?;
        let mut conn = self.conn().await?;
        // The claim must be the caller's: another tenant's answers NOT_FOUND, not an empty list.
        recouvre_store::claims::claim_head(&mut conn, p.tenant, claim)
            .await
            .map_err(not_found("claim", claim))?;
        let mut docs = list_documents(&mut conn, p.tenant, claim, after, limit + 1).await?;
        let next = if docs.len() as i64 > limit {
            docs.truncate(limit as usize);
            docs.last()
                .map(|d| page_token::encode(d.id.as_bytes(), &fingerprint))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((docs, next))
    }

    /// Re-renders a stored document from its stored inputs: (reproduced, stored, rendered,
    /// template version).
    pub async fn verify_document(
        &self,
        p: &Principal,
        id: Uuid,
    ) -> Result<(bool, String, String, String), AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        let meta = get_document(&mut conn, p.tenant, id)
            .await
            .map_err(not_found("document", id))?;
        let (inputs, template) = document_inputs(&mut conn, p.tenant, id).await?;
        let content = document_content(&mut conn, p.tenant, id).await?;
        drop(conn);
        let data: docs::DocumentData = serde_json::from_value(inputs)
            .map_err(|e| AppError::Render(format!("stored inputs unreadable: {e}")))?;
        let kind: DocumentKind = meta
            .kind
            .parse()
            .map_err(|_| AppError::Render(format!("unknown kind {}", meta.kind)))?;
        let language: Language = meta
            .language
            .parse()
            .map_err(|_| AppError::Render(format!("unknown language {}", meta.language)))?;
        let rendered = render_with(&self.renderer, kind, language, data, template).await?;
        let stored = hex::encode(&meta.sha256);
        // Reproduced only when the rendering has the stored hash *and* is the stored bytes:
        // bytes altered behind an untouched hash would otherwise pass, and be downloaded.
        Ok((
            rendered.sha256 == stored && rendered.bytes == content,
            stored,
            rendered.sha256,
            rendered.template_version,
        ))
    }

    /// Replaces the tenant's template of `kind` in `language` after test-rendering it with
    /// sample data (`Role::Admin`).
    pub async fn set_template<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        kind: DocumentKind,
        language: Language,
        source: String,
        render_row: impl FnOnce(&TemplateRow) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        // Tried on sample data through the same renderer: a template is never stored broken.
        let sample = docs::sample(kind, language);
        self.renderer
            .render(kind, language, sample, Some(source.clone()))
            .await
            .map_err(|e| match e {
                RenderFailure::Document(e) => AppError::TemplateInvalid(e.to_string()),
                RenderFailure::Unavailable(cause) => AppError::RendererUnavailable(cause),
                RenderFailure::Crashed(cause) => AppError::Render(cause),
            })?;
        let sha = Sha256::digest(source.as_bytes()).to_vec();
        self.in_transaction(p, m, async |conn, now| {
            let row = upsert_template(
                conn,
                p.tenant,
                kind.as_str(),
                language.as_str(),
                &source,
                &sha,
                now.at,
            )
            .await?;
            Ok(render_row(&row))
        })
        .await
    }

    /// The tenant's template overrides (`Role::Admin`).
    pub async fn list_templates(&self, p: &Principal) -> Result<Vec<TemplateRow>, AppError> {
        p.require(Role::Admin)?;
        let mut conn = self.conn().await?;
        Ok(list_templates(&mut conn, p.tenant).await?)
    }

    /// Removes an override (`Role::Admin`).
    pub async fn delete_template<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        kind: DocumentKind,
        language: Language,
        render_result: impl FnOnce(bool) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        self.in_transaction(p, m, async |conn, _| {
            let deleted = delete_template(conn, p.tenant, kind.as_str(), language.as_str()).await?;
            Ok(render_result(deleted))
        })
        .await
    }
}
