//! One transaction per mutation, with the request-id ledger in it (AIP-155).
//!
//! The ledger is written last, in the same transaction as the work: `INSERT … ON CONFLICT DO
//! NOTHING` of (tenant, request id, content hash, response). A request seen before therefore
//! runs again, finds its id taken at the end (or fails on its own first effects — a taken
//! reference, a closed claim), rolls back, and answers the first result from the ledger (or
//! REQUEST_ID_REUSED if its content differs). Retries cost a rolled-back run; first attempts,
//! the common case, cost no lookup. Two concurrent requests with one id: the second's ledger
//! insert waits for the first to commit, then does the same.

use diesel_async::{AnsiTransactionManager, TransactionManager};
use prost::Message;
use recouvre_domain::{Now, TenantId};
use recouvre_store::idempotency::{SeenRequest, find_request, record_request};
use recouvre_store::{Conn, PooledConn};
use sha2::{Digest, Sha256};

use super::{App, AppError, Principal};

/// What identifies a mutating request: its id, its method and a hash of its content.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// The client's request id.
    pub request_id: String,
    /// The gRPC method name.
    pub method: &'static str,
    /// SHA-256 of the encoded request.
    pub fingerprint: [u8; 32],
}

impl Mutation {
    /// Describes `request` (its encoding is deterministic: no maps in our messages).
    pub fn of<M: Message>(
        method: &'static str,
        request_id: &str,
        request: &M,
    ) -> Result<Self, AppError> {
        let request_id = request_id.trim();
        if request_id.is_empty() {
            return Err(AppError::invalid(
                "request_id",
                "is required (a UUID is best)",
            ));
        }
        if let Some(problem) = recouvre_domain::claim::text_problem(request_id) {
            return Err(AppError::invalid("request_id", problem));
        }
        if request_id.len() > 128 {
            return Err(AppError::invalid("request_id", "must be at most 128 bytes"));
        }
        let mut hasher = Sha256::new();
        hasher.update(method.as_bytes());
        hasher.update([0]);
        hasher.update(request.encode_to_vec());
        Ok(Mutation {
            request_id: request_id.to_owned(),
            method,
            fingerprint: hasher.finalize().into(),
        })
    }
}

/// An open transaction for one mutation.
struct Tx<'m> {
    conn: PooledConn,
    tenant: TenantId,
    mutation: &'m Mutation,
    /// The time of the request, fixed for the whole transaction.
    pub now: Now,
}

pub(crate) fn replay<R: Message + Default>(seen: SeenRequest, m: &Mutation) -> Result<R, AppError> {
    if seen.method != m.method || seen.request_hash != m.fingerprint {
        return Err(AppError::RequestIdReused);
    }
    let bytes = seen.response.unwrap_or_default();
    R::decode(bytes.as_slice()).map_err(|e| {
        AppError::Store(recouvre_store::StoreError::Corrupt(format!(
            "stored response: {e}"
        )))
    })
}

impl App {
    /// Opens the transaction of `mutation` for `principal`.
    async fn begin<'m>(
        &self,
        principal: &Principal,
        mutation: &'m Mutation,
    ) -> Result<Tx<'m>, AppError> {
        let now = self.now();
        let mut conn = self.conn().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn).await?;
        Ok(Tx {
            conn,
            tenant: principal.tenant,
            mutation,
            now,
        })
    }
}

impl App {
    /// Runs `work` as the one transaction of `mutation`: a replay answers from the ledger
    /// without running it; otherwise its result is recorded under the request id and
    /// committed, or everything is rolled back.
    pub(crate) async fn in_transaction<R, F>(
        &self,
        principal: &Principal,
        mutation: &Mutation,
        work: F,
    ) -> Result<R, AppError>
    where
        R: Message + Default,
        F: AsyncFnOnce(&mut Conn, Now) -> Result<R, AppError>,
    {
        let mut tx = self.begin(principal, mutation).await?;
        let now = tx.now;
        let result = work(tx.conn(), now).await;
        tx.finish(result).await
    }
}

impl Tx<'_> {
    /// The transaction's connection.
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Commits `result` (recording it under the request id) or rolls back.
    pub async fn finish<R: Message + Default>(
        mut self,
        result: Result<R, AppError>,
    ) -> Result<R, AppError> {
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *self.conn).await;
                // A concurrent request with this id may have committed while we waited on its
                // locks; our rerun then fails on its effects (stale etag, closed claim, taken
                // external reference). The retry must get the first result, not that refusal.
                if let Ok(Some(seen)) =
                    find_request(&mut self.conn, self.tenant, &self.mutation.request_id).await
                {
                    return replay(seen, self.mutation);
                }
                return Err(e);
            }
        };
        let recorded = record_request(
            &mut self.conn,
            self.tenant,
            &self.mutation.request_id,
            self.mutation.method,
            &self.mutation.fingerprint,
            &response.encode_to_vec(),
            self.now.at,
        )
        .await;
        match recorded {
            Ok(true) => {
                AnsiTransactionManager::commit_transaction(&mut *self.conn).await?;
                Ok(response)
            }
            Ok(false) => {
                // A concurrent request with this id committed first: ours must not apply.
                AnsiTransactionManager::rollback_transaction(&mut *self.conn).await?;
                let seen = find_request(&mut self.conn, self.tenant, &self.mutation.request_id)
                    .await?
                    .ok_or(AppError::RequestIdReused)?;
                replay(seen, self.mutation)
            }
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *self.conn).await;
                Err(e.into())
            }
        }
    }
}
