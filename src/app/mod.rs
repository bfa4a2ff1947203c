//! Use cases: each opens its transaction, checks the caller's rights, replays or records the
//! request id, checks etags, runs the pure domain transition and saves its outcome with the
//! events it produced — all or nothing.

mod auth;
pub mod automation;
mod claims;
mod document_data;
pub mod documents;
mod error;
mod parties;
pub mod policies;
pub mod rates;
pub mod renderer;
pub mod tasks;
mod tenants;
mod tx;
pub mod valuation;

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use recouvre_domain::Now;
use recouvre_store::{Pool, PooledConn};

pub use auth::{KeyCache, NewApiKey, Principal, create_api_key, hash_token};
pub use claims::{ChainReport, ClaimPage, ValuedClaim, etag};
pub use error::{AppError, not_found};
pub use tx::Mutation;
pub use valuation::{Valuation, settlement};

/// Where the application reads the time. Domain code never does; tests substitute a clock.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// `at` as the domain sees it: truncated to PostgreSQL's microseconds (so what is hashed is
/// what is stored) with today's date in France.
pub fn now_facts(at: DateTime<Utc>) -> Now {
    let at = at.trunc_subsecs(6);
    Now {
        at,
        today: at.with_timezone(&chrono_tz::Europe::Paris).date_naive(),
    }
}

/// The application: a pool, a clock and the API-key cache, shared by every request.
#[derive(Clone)]
pub struct App {
    pool: Pool,
    clock: Arc<dyn Clock>,
    keys: Arc<KeyCache>,
    rates: Arc<valuation::RateCache>,
    renderer: renderer::Renderer,
    /// Claims whose limitation deadline is this close get a review task (limitation watch).
    limitation_watch_days: i32,
}

impl App {
    /// An application over `pool`, reading time from `clock`.
    pub fn new(pool: Pool, clock: Arc<dyn Clock>) -> Self {
        App {
            pool,
            clock,
            keys: Arc::new(KeyCache::default()),
            rates: Arc::new(valuation::RateCache::default()),
            renderer: renderer::Renderer::InProcess,
            limitation_watch_days: automation::LIMITATION_WATCH_DAYS,
        }
    }

    /// The same application watching limitation deadlines `days` ahead.
    pub fn with_limitation_watch_days(mut self, days: i32) -> Self {
        self.limitation_watch_days = days.clamp(0, 3650);
        self
    }

    /// The same application rendering documents with `renderer` (a `recouvre docgen` sidecar).
    pub fn with_renderer(mut self, renderer: renderer::Renderer) -> Self {
        self.renderer = renderer;
        self
    }

    /// The facts about now.
    pub fn now(&self) -> Now {
        now_facts(self.clock.now())
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    async fn conn(&self) -> Result<PooledConn, AppError> {
        Ok(recouvre_store::checkout(&self.pool).await?)
    }
}

/// Opaque page tokens: the last id of the previous page and a fingerprint of the filters, so a
/// token cannot be replayed against another listing.
pub mod page_token {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use sha2::{Digest, Sha256};

    use super::AppError;

    fn tag(filter: &str) -> [u8; 8] {
        let digest = Sha256::digest(filter.as_bytes());
        let mut out = [0; 8];
        out.copy_from_slice(&digest[..8]);
        out
    }

    /// Encodes the position `after` for the listing described by `filter`.
    pub fn encode(after: &[u8], filter: &str) -> String {
        let mut bytes = tag(filter).to_vec();
        bytes.extend_from_slice(after);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes a token made by [`encode`] for the same `filter`; empty means the first page.
    pub fn decode(token: &str, filter: &str) -> Result<Option<Vec<u8>>, AppError> {
        if token.is_empty() {
            return Ok(None);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| AppError::InvalidPageToken)?;
        if bytes.len() < 8 || bytes[..8] != tag(filter) {
            return Err(AppError::InvalidPageToken);
        }
        Ok(Some(bytes[8..].to_vec()))
    }

    /// Page size: `requested` clamped to 1..=`max`, `default` when unset; negative is invalid.
    pub fn size(requested: i32, default: i64, max: i64) -> Result<i64, AppError> {
        match requested {
            n if n < 0 => Err(AppError::invalid("page_size", "must not be negative")),
            0 => Ok(default),
            n => Ok(i64::from(n).min(max)),
        }
    }
}
