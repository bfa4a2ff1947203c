//! Where documents are typeset: in this process on tokio's blocking pool, or in a `recouvre
//! docgen` sidecar over gRPC. Both run the same `recouvre_docs` code on the same inputs, so
//! the bytes (and their SHA-256) are the same either way.

use recouvre_docs::{self as docs, DocumentKind, Language};
use sha2::{Digest, Sha256};
use tonic::transport::Channel;

use crate::api::pb::recouvre::docgen::v1 as docgen;

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Hex SHA-256.
    pub sha256: String,
    /// The template version.
    pub template_version: String,
    /// Pages (0 for text).
    pub pages: usize,
    /// MIME type.
    pub content_type: String,
}

/// Renders `data` as `kind` with `template` if given (a tenant's source), else the built-in
/// template. Text kinds come out as "Subject: …\n\n…" for e-mails and the bare text for SMS;
/// a text override is "subject\n---\nbody" for e-mails, the body for SMS.
pub fn render_here(
    kind: DocumentKind,
    language: Language,
    data: &docs::DocumentData,
    template: Option<&str>,
) -> Result<Rendered, docs::RenderError> {
    if kind.is_pdf() {
        let pdf = match template {
            Some(source) => docs::render_pdf_with_template(source, kind, language, data)?,
            None => docs::render_pdf(kind, language, data)?,
        };
        return Ok(Rendered {
            bytes: pdf.bytes,
            sha256: pdf.sha256_hex,
            template_version: pdf.template_version,
            pages: pdf.pages,
            content_type: "application/pdf".to_owned(),
        });
    }
    let text = render_text_here(kind, language, data, template)?;
    let bytes = match &text.subject {
        Some(subject) => format!("Subject: {subject}\n\n{}", text.body),
        None => text.body.clone(),
    }
    .into_bytes();
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let template_version = match template {
        Some(source) => format!("custom@{}", &hex::encode(Sha256::digest(source))[..12]),
        None => format!("{}@builtin", kind.as_str()),
    };
    Ok(Rendered {
        bytes,
        sha256,
        template_version,
        pages: 0,
        content_type: "text/plain; charset=utf-8".to_owned(),
    })
}

/// How many documents are typeset at once in this process: one per core. Typesetting is pure
/// CPU, so more at once only adds threads fighting for the cores (and memory: each render
/// holds its layout), while a scheduler batch may ask for hundreds of letters together.
static RENDER_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// [`render_here`] on tokio's blocking pool, at most [`RENDER_SLOTS`] at once; `Err` when the
/// render panicked (a bug).
async fn render_on_blocking_pool(
    kind: DocumentKind,
    language: Language,
    data: docs::DocumentData,
    template: Option<String>,
) -> Result<Result<Rendered, docs::RenderError>, String> {
    let _slot = RENDER_SLOTS
        .acquire()
        .await
        .map_err(|e| format!("renderer closed: {e}"))?;
    tokio::task::spawn_blocking(move || render_here(kind, language, &data, template.as_deref()))
        .await
        .map_err(|e| format!("renderer stopped: {e}"))
}

/// Renders a text kind (e-mail, SMS, call script) with the tenant's `template` if given:
/// "subject\n---\nbody" for e-mails, the body otherwise.
pub fn render_text_here(
    kind: DocumentKind,
    language: Language,
    data: &docs::DocumentData,
    template: Option<&str>,
) -> Result<docs::RenderedText, docs::RenderError> {
    match template {
        Some(source) => {
            let (subject, body) = match source.split_once("\n---\n") {
                Some((s, b)) if kind == DocumentKind::EmailReminder => (Some(s), b),
                _ => (None, source),
            };
            docs::render_text_with_template(kind, language, data, subject, body)
        }
        None => docs::render_text(kind, language, data),
    }
}

/// Why a render did not give a document.
#[derive(Debug)]
pub enum RenderFailure {
    /// What the renderer itself refused (missing data, broken template).
    Document(docs::RenderError),
    /// The sidecar could not be reached.
    Unavailable(String),
    /// The renderer crashed (a bug).
    Crashed(String),
}

/// Where documents are typeset.
#[derive(Clone, Default)]
pub enum Renderer {
    /// In this process, on the blocking pool.
    #[default]
    InProcess,
    /// In a `recouvre docgen` sidecar.
    Sidecar(docgen::docgen_service_client::DocgenServiceClient<Channel>),
}

impl Renderer {
    /// A renderer calling the sidecar at `addr` (connected lazily, so `serve` starts before
    /// the sidecar does).
    pub fn sidecar(addr: &str) -> anyhow::Result<Renderer> {
        let channel = Channel::from_shared(addr.to_owned())?.connect_lazy();
        Ok(Renderer::Sidecar(
            docgen::docgen_service_client::DocgenServiceClient::new(channel)
                .max_decoding_message_size(64 * 1024 * 1024),
        ))
    }

    /// Renders `data`.
    pub async fn render(
        &self,
        kind: DocumentKind,
        language: Language,
        data: docs::DocumentData,
        template: Option<String>,
    ) -> Result<Rendered, RenderFailure> {
        match self {
            Renderer::InProcess => render_on_blocking_pool(kind, language, data, template)
                .await
                .map_err(RenderFailure::Crashed)?
                .map_err(RenderFailure::Document),
            Renderer::Sidecar(client) => {
                let request = docgen::RenderRequest {
                    kind: kind.as_str().to_owned(),
                    language_code: language.as_str().to_owned(),
                    data_json: serde_json::to_string(&data)
                        .map_err(|e| RenderFailure::Unavailable(e.to_string()))?,
                    template_source: template,
                };
                let response = client
                    .clone()
                    .render(request)
                    .await
                    .map_err(|s| RenderFailure::Unavailable(format!("docgen sidecar: {s}")))?
                    .into_inner();
                match response.result {
                    Some(docgen::render_response::Result::Rendered(r)) => Ok(Rendered {
                        bytes: r.content,
                        sha256: r.sha256,
                        template_version: r.template_version,
                        pages: usize::try_from(r.page_count).unwrap_or(0),
                        content_type: r.content_type,
                    }),
                    Some(docgen::render_response::Result::Refused(r)) => {
                        Err(RenderFailure::Document(docs::RenderError::Refused(
                            r.missing
                                .into_iter()
                                .map(|m| docs::MissingField {
                                    field: m.field,
                                    problem: if m.problem == "missing" {
                                        docs::Problem::Missing
                                    } else {
                                        docs::Problem::Invalid("a valid value")
                                    },
                                })
                                .collect(),
                        )))
                    }
                    Some(docgen::render_response::Result::TemplateError(e)) => {
                        Err(RenderFailure::Document(docs::RenderError::Template(e)))
                    }
                    None => Err(RenderFailure::Unavailable(
                        "docgen sidecar: empty answer".to_owned(),
                    )),
                }
            }
        }
    }
}

/// The sidecar's service: renders in its own blocking pool.
#[derive(Clone, Default)]
pub struct DocgenServer;

#[tonic::async_trait]
impl docgen::docgen_service_server::DocgenService for DocgenServer {
    async fn render(
        &self,
        request: tonic::Request<docgen::RenderRequest>,
    ) -> Result<tonic::Response<docgen::RenderResponse>, tonic::Status> {
        let r = request.into_inner();
        let kind: DocumentKind = r
            .kind
            .parse()
            .map_err(|_| tonic::Status::invalid_argument(format!("unknown kind {:?}", r.kind)))?;
        let language: Language = r.language_code.parse().map_err(|_| {
            tonic::Status::invalid_argument(format!("unknown language {:?}", r.language_code))
        })?;
        let data: docs::DocumentData = serde_json::from_str(&r.data_json)
            .map_err(|e| tonic::Status::invalid_argument(format!("data_json: {e}")))?;
        let template = r.template_source;
        let outcome = render_on_blocking_pool(kind, language, data, template)
            .await
            .map_err(tonic::Status::internal)?;
        let result = match outcome {
            Ok(d) => docgen::render_response::Result::Rendered(docgen::Rendered {
                content: d.bytes,
                sha256: d.sha256,
                template_version: d.template_version,
                page_count: i32::try_from(d.pages).unwrap_or(i32::MAX),
                content_type: d.content_type,
            }),
            Err(docs::RenderError::Refused(missing)) => {
                docgen::render_response::Result::Refused(docgen::Refusal {
                    missing: missing
                        .into_iter()
                        .map(|m| docgen::MissingField {
                            problem: match m.problem {
                                docs::Problem::Missing => "missing".to_owned(),
                                docs::Problem::Invalid(what) => format!("invalid, expected {what}"),
                            },
                            field: m.field,
                        })
                        .collect(),
                })
            }
            Err(e) => docgen::render_response::Result::TemplateError(e.to_string()),
        };
        Ok(tonic::Response::new(docgen::RenderResponse {
            result: Some(result),
        }))
    }
}
