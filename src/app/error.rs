//! The application's error type: everything a use case can answer instead of a result.
//! `src/api/status.rs` maps each variant to a gRPC status, exhaustively, in one place.

use recouvre_domain::claim::FieldViolation;
use recouvre_domain::{ClaimError, Role};
use recouvre_store::StoreError;

/// Why a use case did not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A lifecycle rule refused the move, or the domain found the input invalid.
    #[error(transparent)]
    Domain(#[from] ClaimError),
    /// The request is invalid, field by field (checked at the boundary).
    #[error("invalid request: {0:?}")]
    Invalid(Vec<FieldViolation>),
    /// The resource does not exist in the caller's tenant (or exists in another one: the two
    /// are indistinguishable on purpose).
    #[error("{resource} {id} not found")]
    NotFound {
        /// Kind of resource ("claim", "creditor", …).
        resource: &'static str,
        /// The id asked for.
        id: String,
    },
    /// A uniqueness rule refused the creation.
    #[error("{message}")]
    AlreadyExists {
        /// Stable reason.
        reason: &'static str,
        /// Human sentence.
        message: String,
        /// Id of the resource that already holds the unique key, when known.
        existing_id: Option<String>,
    },
    /// The etag sent is not the resource's current one.
    #[error("stale etag: the resource is now at {current}")]
    EtagMismatch {
        /// The current etag.
        current: String,
    },
    /// The request id was used before for different content.
    #[error("request id reused with different content")]
    RequestIdReused,
    /// The page token does not belong to this listing.
    #[error("invalid page token")]
    InvalidPageToken,
    /// No or unknown credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// The key's role does not allow the method.
    #[error("the {required:?} role is required")]
    PermissionDenied {
        /// The role the method needs.
        required: Role,
    },
    /// A document cannot be generated: the data it requires are missing, (field, problem)
    /// for every one.
    #[error("document data missing: {0:?}")]
    DocumentDataMissing(Vec<(String, String)>),
    /// A template offered by the tenant does not render; the renderer's diagnostics.
    #[error("template does not render: {0}")]
    TemplateInvalid(String),
    /// The renderer sidecar cannot be reached.
    #[error("renderer unavailable: {0}")]
    RendererUnavailable(String),
    /// A stored template failed while rendering (a bug, or a template that breaks on data it
    /// was not tried with).
    #[error("rendering failed: {0}")]
    Render(String),
    /// A rule about something other than a claim refused the change (a built-in policy
    /// deleted, a policy in use deleted, a task already done).
    #[error("{message}")]
    Precondition {
        /// Stable reason (`POLICY_BUILTIN`, `POLICY_IN_USE`, `TASK_ALREADY_DONE`).
        reason: &'static str,
        /// What it is about (`policy`, `task`).
        subject: &'static str,
        /// Human sentence.
        message: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Store(e.into())
    }
}

impl AppError {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldViolation::new(field, description)])
    }
}

/// Turns a store "not found" into the API's NOT_FOUND for `resource`.
pub fn not_found(resource: &'static str, id: impl ToString) -> impl FnOnce(StoreError) -> AppError {
    let id = id.to_string();
    move |e| match e {
        StoreError::NotFound => AppError::NotFound { resource, id },
        other => AppError::Store(other),
    }
}
