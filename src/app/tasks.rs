//! Tasks for humans: listed by assignee and due time, completed with an outcome that lands on
//! the claim's timeline in the same transaction.

use chrono::{DateTime, Utc};
use recouvre_domain::task::{TaskKind, TaskOutcome};
use recouvre_domain::{ClaimId, Role, TaskId};
use recouvre_store::claims::get_claim;
use recouvre_store::outbox::{
    OutboxRow, get_message_for_update, list_messages, set_message_status,
};
use recouvre_store::tasks::{TaskFilter, TaskRow, complete_task, get_task, list_tasks};
use uuid::Uuid;

use super::claims::check_etag;
use super::{App, AppError, Mutation, Principal, not_found, page_token};

/// How a task ended, as the agent reports it.
pub struct TaskCompletion {
    /// The outcome.
    pub outcome: TaskOutcome,
    /// The agent's note.
    pub note: String,
    /// The etag read (empty: no check).
    pub etag: String,
}

/// The result of sending an outbox message.
pub struct DispatchReport {
    /// Sent or failed.
    pub status: DispatchStatus,
    /// The provider's reference.
    pub provider_ref: Option<String>,
    /// What failed.
    pub error: Option<String>,
}

impl App {
    /// A page of the tenant's tasks (agents and above).
    pub async fn list_tasks(
        &self,
        p: &Principal,
        filter: TaskFilter,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<TaskRow>, String), AppError> {
        p.require(Role::Agent)?;
        let limit = page_token::size(page_size, 50, 500)?;
        let fingerprint = format!(
            "tasks:{:?}:{:?}:{:?}:{}",
            filter.assignee,
            filter.due_before.map(|d| d.timestamp_micros()),
            filter.claim_id.map(|c| c.0),
            filter.include_done
        );
        let after = page_token::decode(token, &fingerprint)?
            .map(|b| time_and_id(&b))
            .transpose()?;
        let mut conn = self.conn().await?;
        let mut tasks = list_tasks(&mut conn, p.tenant, &filter, after, limit + 1).await?;
        let next = if tasks.len() as i64 > limit {
            tasks.truncate(limit as usize);
            tasks
                .last()
                .map(|t| page_token::encode(&time_and_id_bytes(t.due_at, t.id), &fingerprint))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((tasks, next))
    }

    /// Completes a task (agents and above); the timeline records which key did.
    pub async fn complete_task<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: TaskId,
        completion: TaskCompletion,
        render: impl FnOnce(&TaskRow) -> R,
    ) -> Result<R, AppError> {
        let TaskCompletion {
            outcome,
            note,
            etag: sent_etag,
        } = completion;
        p.require(Role::Agent)?;
        let actor = p.actor();
        let rates = self.rates().await?;
        self.in_transaction(p, m, async |conn, now| {
            let task = get_task(conn, p.tenant, id, true)
                .await
                .map_err(not_found("task", id))?;
            check_etag(&sent_etag, task.version)?;
            if task.status == "done" {
                return Err(AppError::Precondition {
                    reason: "TASK_ALREADY_DONE",
                    subject: "task",
                    message: format!(
                        "The task was completed already ({}).",
                        task.outcome.clone().unwrap_or_default()
                    ),
                });
            }
            let kind = TaskKind::parse(&task.kind).ok_or_else(|| {
                AppError::Store(recouvre_store::StoreError::Corrupt(format!(
                    "task kind {}",
                    task.kind
                )))
            })?;
            let claim_id = ClaimId(task.claim_id);
            let mut claim = get_claim(conn, p.tenant, claim_id, true)
                .await
                .map_err(not_found("claim", claim_id))?;
            let events = claim.complete_task(id, kind, outcome, note.clone(), now)?;
            super::claims::save_events(conn, p.tenant, &mut claim, &events, &actor, &rates, now)
                .await?;
            complete_task(conn, p.tenant, id, outcome.as_str(), &note, &actor, now.at).await?;
            let task = get_task(conn, p.tenant, id, false).await?;
            Ok(render(&task))
        })
        .await
    }
}

/// Where a message of the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchStatus {
    /// Waiting to be sent.
    Pending,
    /// Sent.
    Sent,
    /// The last attempt failed.
    Failed,
}

impl DispatchStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DispatchStatus::Pending => "pending",
            DispatchStatus::Sent => "sent",
            DispatchStatus::Failed => "failed",
        }
    }
}

impl App {
    /// A page of the tenant's outbox (agents and above).
    pub async fn list_outbox(
        &self,
        p: &Principal,
        status: Option<DispatchStatus>,
        claim: Option<ClaimId>,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<OutboxRow>, String), AppError> {
        p.require(Role::Agent)?;
        let limit = page_token::size(page_size, 50, 500)?;
        let fingerprint = format!(
            "outbox:{:?}:{:?}",
            status.map(DispatchStatus::as_str),
            claim.map(|c| c.0)
        );
        let after = page_token::decode(token, &fingerprint)?
            .map(|b| time_and_id(&b))
            .transpose()?;
        let mut conn = self.conn().await?;
        let mut rows = list_messages(
            &mut conn,
            p.tenant,
            status.map(DispatchStatus::as_str),
            claim,
            after,
            limit + 1,
        )
        .await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|m| page_token::encode(&time_and_id_bytes(m.created_at, m.id), &fingerprint))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((rows, next))
    }

    /// Records the result of sending a message (agents and above).
    pub async fn report_dispatch<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: Uuid,
        report: DispatchReport,
        render: impl FnOnce(&OutboxRow) -> R,
    ) -> Result<R, AppError> {
        let DispatchReport {
            status,
            provider_ref,
            error,
        } = report;
        p.require(Role::Agent)?;
        self.in_transaction(p, m, async |conn, now| {
            let message = get_message_for_update(conn, p.tenant, id)
                .await
                .map_err(not_found("message", id))?;
            if message.status == "sent" {
                return Err(AppError::Precondition {
                    reason: "MESSAGE_ALREADY_SENT",
                    subject: "message",
                    message: "The message was reported sent already.".to_owned(),
                });
            }
            set_message_status(
                conn,
                p.tenant,
                id,
                status.as_str(),
                error.as_deref(),
                provider_ref.as_deref(),
                now.at,
            )
            .await?;
            let message = get_message_for_update(conn, p.tenant, id).await?;
            Ok(render(&message))
        })
        .await
    }
}

fn time_and_id_bytes(at: DateTime<Utc>, id: Uuid) -> Vec<u8> {
    let mut bytes = at.timestamp_micros().to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    bytes
}

fn time_and_id(b: &[u8]) -> Result<(DateTime<Utc>, Uuid), AppError> {
    let (micros, id) = b.split_at_checked(8).ok_or(AppError::InvalidPageToken)?;
    let micros = i64::from_be_bytes(micros.try_into().map_err(|_| AppError::InvalidPageToken)?);
    let at = DateTime::<Utc>::from_timestamp_micros(micros).ok_or(AppError::InvalidPageToken)?;
    let id = Uuid::from_slice(id).map_err(|_| AppError::InvalidPageToken)?;
    Ok((at, id))
}

/// The event stream's cursor as an opaque token: 8 bytes of transaction, 16 of claim, 8 of
/// sequence, base64url.
pub mod stream_cursor {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use recouvre_store::claims::StreamCursor;

    use super::AppError;

    /// Encodes `c`.
    pub fn encode(c: StreamCursor) -> String {
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(&c.txid.to_be_bytes());
        bytes.extend_from_slice(c.claim_id.as_bytes());
        bytes.extend_from_slice(&c.seq.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes a token of [`encode`]; empty is the start.
    pub fn decode(token: &str) -> Result<StreamCursor, AppError> {
        if token.trim().is_empty() {
            return Ok(StreamCursor::default());
        }
        let invalid = || AppError::invalid("cursor", "is not a cursor this stream gave");
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| invalid())?;
        if bytes.len() != 32 {
            return Err(invalid());
        }
        let txid = i64::from_be_bytes(bytes[0..8].try_into().map_err(|_| invalid())?);
        let claim_id = uuid::Uuid::from_slice(&bytes[8..24]).map_err(|_| invalid())?;
        let seq = i64::from_be_bytes(bytes[24..32].try_into().map_err(|_| invalid())?);
        Ok(StreamCursor {
            txid,
            claim_id,
            seq,
        })
    }
}

impl App {
    /// The next events of the tenant's stream after `after` (any role), at most `limit`.
    pub async fn stream_batch(
        &self,
        p: &Principal,
        after: recouvre_store::claims::StreamCursor,
        claim: Option<ClaimId>,
        limit: i64,
    ) -> Result<
        Vec<(
            recouvre_store::claims::StreamCursor,
            recouvre_domain::StoredEvent,
        )>,
        AppError,
    > {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        Ok(recouvre_store::claims::stream_events(&mut conn, p.tenant, after, claim, limit).await?)
    }
}
