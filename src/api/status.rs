//! The one place a gRPC status code is chosen. Every [`AppError`] variant is mapped here,
//! exhaustively, with a stable `ErrorInfo` reason (error reasons are API) and, for invalid
//! input, one `BadRequest` field violation per bad field. Internal causes are logged, never
//! sent to the caller.

use std::collections::HashMap;

use recouvre_domain::rates::RateError;
use recouvre_domain::{ClaimError, Role};
use recouvre_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::app::AppError;

/// The `ErrorInfo.domain` of every error Recouvre sends.
pub const ERROR_DOMAIN: &str = "recouvre.v1";

fn status(
    code: Code,
    reason: &str,
    message: String,
    metadata: HashMap<String, String>,
    extra: impl FnOnce(&mut ErrorDetails),
) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, ERROR_DOMAIN, metadata);
    extra(&mut details);
    Status::with_error_details(code, message, details)
}

fn precondition(reason: &str, subject: &str, message: String) -> Status {
    precondition_with(reason, subject, message, HashMap::new())
}

fn precondition_with(
    reason: &str,
    subject: &str,
    message: String,
    metadata: HashMap<String, String>,
) -> Status {
    let description = message.clone();
    status(Code::FailedPrecondition, reason, message, metadata, |d| {
        d.add_precondition_failure_violation(reason, subject, description);
    })
}

fn role_name(role: Role) -> &'static str {
    role.as_str()
}

impl From<AppError> for Status {
    fn from(error: AppError) -> Status {
        match error {
            AppError::Invalid(violations) => {
                let message = match violations.as_slice() {
                    [one] => format!("Invalid {}: {}.", one.field, one.description),
                    many => format!("{} fields are invalid.", many.len()),
                };
                status(
                    Code::InvalidArgument,
                    "INVALID_ARGUMENT",
                    message,
                    HashMap::new(),
                    |d| {
                        for v in violations {
                            d.add_bad_request_violation(v.field, v.description);
                        }
                    },
                )
            }
            AppError::Domain(e) => domain(e),
            AppError::NotFound { resource, id } => status(
                Code::NotFound,
                "NOT_FOUND",
                format!("No {resource} {id}."),
                HashMap::from([
                    ("resource".to_owned(), resource.to_owned()),
                    ("id".to_owned(), id.clone()),
                ]),
                |d| {
                    d.set_resource_info(resource, id, "", "not found");
                },
            ),
            AppError::AlreadyExists {
                reason,
                message,
                existing_id,
            } => status(
                Code::AlreadyExists,
                reason,
                message,
                existing_id
                    .into_iter()
                    .map(|id| ("existing_id".to_owned(), id))
                    .collect(),
                |_| {},
            ),
            AppError::EtagMismatch { current } => status(
                Code::Aborted,
                "ETAG_MISMATCH",
                format!(
                    "The resource changed since it was read (its etag is now {current}); read it again and retry."
                ),
                HashMap::from([("current_etag".to_owned(), current)]),
                |_| {},
            ),
            AppError::RequestIdReused => status(
                Code::InvalidArgument,
                "REQUEST_ID_REUSED",
                "This request_id was already used for a different request; use a new request_id."
                    .to_owned(),
                HashMap::new(),
                |d| {
                    d.add_bad_request_violation(
                        "request_id",
                        "already used for a different request",
                    );
                },
            ),
            AppError::InvalidPageToken => status(
                Code::InvalidArgument,
                "INVALID_PAGE_TOKEN",
                "The page_token does not belong to this listing.".to_owned(),
                HashMap::new(),
                |d| {
                    d.add_bad_request_violation(
                        "page_token",
                        "not a token returned for this listing",
                    );
                },
            ),
            AppError::Unauthenticated(why) => status(
                Code::Unauthenticated,
                "UNAUTHENTICATED",
                format!("Authentication failed: {why}."),
                HashMap::new(),
                |_| {},
            ),
            AppError::PermissionDenied { required } => status(
                Code::PermissionDenied,
                "PERMISSION_DENIED",
                format!(
                    "This method needs an API key with the {} role.",
                    role_name(required)
                ),
                HashMap::from([("required_role".to_owned(), role_name(required).to_owned())]),
                |_| {},
            ),
            AppError::DocumentDataMissing(missing) => {
                let message = format!(
                    "The document cannot be generated: {} required field(s) missing or invalid ({}).",
                    missing.len(),
                    missing
                        .iter()
                        .map(|(f, _)| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                status(
                    Code::FailedPrecondition,
                    "DOCUMENT_DATA_MISSING",
                    message,
                    HashMap::new(),
                    |d| {
                        for (field, problem) in &missing {
                            d.add_precondition_failure_violation(
                                "DOCUMENT_DATA_MISSING",
                                field.clone(),
                                problem.clone(),
                            );
                        }
                    },
                )
            }
            AppError::TemplateInvalid(diagnostics) => status(
                Code::InvalidArgument,
                "TEMPLATE_INVALID",
                format!("The template does not render with sample data:\n{diagnostics}"),
                HashMap::new(),
                |d| {
                    d.add_bad_request_violation("template.source", diagnostics.clone());
                },
            ),
            AppError::RendererUnavailable(cause) => {
                tracing::warn!(%cause, "document renderer unavailable");
                status(
                    Code::Unavailable,
                    "RENDERER_UNAVAILABLE",
                    "The document renderer is unavailable; retry with backoff.".to_owned(),
                    HashMap::new(),
                    |_| {},
                )
            }
            AppError::Render(cause) => {
                tracing::error!(%cause, "document rendering failed");
                status(
                    Code::Internal,
                    "INTERNAL",
                    "Internal error.".to_owned(),
                    HashMap::new(),
                    |_| {},
                )
            }
            AppError::Precondition {
                reason,
                subject,
                message,
            } => precondition(reason, subject, message),
            AppError::Store(e) => store(e),
        }
    }
}

fn domain(e: ClaimError) -> Status {
    match e {
        ClaimError::Invalid(violations) => AppError::Invalid(violations).into(),
        ClaimError::Closed(state) => precondition(
            "CLAIM_CLOSED",
            "claim",
            format!("The claim is closed ({state}); it accepts no further change."),
        ),
        ClaimError::OnHold(hold) => precondition(
            "CLAIM_ON_HOLD",
            "claim",
            format!("The claim is on hold ({hold}); escalation waits until the hold ends."),
        ),
        ClaimError::Overpayment { amount, balance } => precondition(
            "OVERPAYMENT",
            "amount",
            format!("The payment of {amount} exceeds the balance of {balance}."),
        ),
        ClaimError::PromiseExceedsBalance { amount, balance } => precondition(
            "PROMISE_EXCEEDS_BALANCE",
            "amount",
            format!("The promise of {amount} exceeds the balance of {balance}."),
        ),
        ClaimError::DisputeAlreadyOpen => precondition(
            "DISPUTE_ALREADY_OPEN",
            "claim",
            "A dispute is already open on this claim.".to_owned(),
        ),
        ClaimError::PlanAlreadyActive => precondition(
            "PAYMENT_PLAN_ACTIVE",
            "claim",
            "A payment plan runs on this claim; it must default or complete first.".to_owned(),
        ),
        ClaimError::NoPlanProposed => precondition(
            "NO_PAYMENT_PLAN_PROPOSED",
            "claim",
            "No payment plan is waiting for the debtor's agreement; propose one first.".to_owned(),
        ),
        ClaimError::NoOpenDispute => precondition(
            "NO_OPEN_DISPUTE",
            "claim",
            "No dispute is open on this claim.".to_owned(),
        ),
        ClaimError::PromiseAlreadyActive(date) => precondition(
            "PROMISE_ALREADY_ACTIVE",
            "claim",
            format!("A promise to pay is already running until {date}."),
        ),
        ClaimError::InvalidTransition { from, to } => precondition(
            "INVALID_STATE_TRANSITION",
            "claim",
            format!("A claim cannot move from {from} to {to}."),
        ),
        ClaimError::BalanceOutstanding(balance) => precondition(
            "BALANCE_OUTSTANDING",
            "claim",
            format!("The claim cannot be closed as paid: {balance} is still owed."),
        ),
        ClaimError::RateNotPublished(RateError::NotPublished { semester, kind }) => {
            precondition_with(
                "RATE_NOT_PUBLISHED",
                "rates",
                format!(
                    "No {} rate is published for {semester}: it is needed here and is never \
                     extrapolated. An operator adds it with RateService or `recouvre admin \
                     set-rate`.",
                    kind.as_str()
                ),
                HashMap::from([
                    ("semester".to_owned(), semester.to_string()),
                    ("table".to_owned(), kind.as_str().to_owned()),
                ]),
            )
        }
        ClaimError::LimitationExpired { deadline } => precondition_with(
            "LIMITATION_EXPIRED",
            "claim",
            format!(
                "The limitation period of an invoice still owing expired on {deadline}: legal \
                 action is time-barred (C. civ. 2219)."
            ),
            HashMap::from([("deadline".to_owned(), deadline.to_string())]),
        ),
        ClaimError::AlreadyRecorded(fact) => precondition(
            "FACT_ALREADY_RECORDED",
            "claim",
            format!("{fact} is already recorded on this claim (it can be recorded once)."),
        ),
        ClaimError::RecoveryCostsNotAllowed(regime) => precondition(
            "RECOVERY_COSTS_NOT_ALLOWED",
            "claim",
            format!(
                "Recovery costs cannot be charged on a {regime} claim: only between \
                 professionals (C. com. L441-10 II), never to a consumer (CPCE L111-8)."
            ),
        ),
    }
}

fn store(e: StoreError) -> Status {
    match e {
        StoreError::Unavailable(cause) => {
            tracing::warn!(%cause, "database unavailable");
            status(
                Code::Unavailable,
                "DATABASE_UNAVAILABLE",
                "The database is unavailable; retry with backoff.".to_owned(),
                HashMap::new(),
                |_| {},
            )
        }
        StoreError::Conflict => status(
            Code::Aborted,
            "CONCURRENT_UPDATE",
            "A concurrent change won; retry the request with the same request_id.".to_owned(),
            HashMap::new(),
            |_| {},
        ),
        StoreError::NotFound => status(
            Code::NotFound,
            "NOT_FOUND",
            "Not found.".to_owned(),
            HashMap::new(),
            |_| {},
        ),
        StoreError::AlreadyExists(constraint) => status(
            Code::AlreadyExists,
            "ALREADY_EXISTS",
            format!("A resource with the same unique key already exists ({constraint})."),
            HashMap::new(),
            |_| {},
        ),
        StoreError::InvalidText(cause) => status(
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            format!("A text field holds something PostgreSQL cannot store ({cause})."),
            HashMap::new(),
            |_| {},
        ),
        StoreError::MissingReference(constraint) => status(
            Code::NotFound,
            "NOT_FOUND",
            format!("A resource this request refers to does not exist ({constraint})."),
            HashMap::new(),
            |_| {},
        ),
        StoreError::Corrupt(cause) | StoreError::Query(cause) => {
            tracing::error!(%cause, "internal database error");
            status(
                Code::Internal,
                "INTERNAL",
                "Internal error.".to_owned(),
                HashMap::new(),
                |_| {},
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Quoted upper-case identifiers (`"CLAIM_CLOSED"`) in Rust source: the reasons it sends.
    fn quoted_reasons(source: &str) -> BTreeSet<String> {
        source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.len() >= 6 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .map(str::to_owned)
            .collect()
    }

    /// Reasons in the first column of docs/errors.md's table.
    fn documented_reasons(doc: &str) -> BTreeSet<String> {
        doc.lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_reason_sent_is_documented_and_every_documented_reason_is_sent() {
        let mut sent = quoted_reasons(include_str!("status.rs"));
        sent.extend(quoted_reasons(include_str!("../app/claims.rs")));
        sent.extend(quoted_reasons(include_str!("../app/policies.rs")));
        sent.extend(quoted_reasons(include_str!("../app/tasks.rs")));
        let documented = documented_reasons(include_str!("../../docs/errors.md"));
        assert_eq!(
            sent, documented,
            "docs/errors.md and the code disagree on error reasons"
        );
        assert!(
            documented.len() >= 20,
            "the table was not parsed: {documented:?}"
        );
    }
}
