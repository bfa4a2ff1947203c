//! Authentication by API key and authorization by role.
//!
//! Keys are 256-bit random tokens shown once and stored as their SHA-256 (a slow password
//! hash buys nothing for 256 bits of entropy and would cost every request). Verified keys are
//! cached for [`CACHE_TTL`] so a request costs no extra query; revoking through the API evicts
//! the key at once on this replica, others notice within the TTL.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use recouvre_domain::{ApiKeyId, Role, TenantId};
use recouvre_store::Conn;
use recouvre_store::access::{ApiKey, find_api_key_by_hash, insert_api_key};
use sha2::{Digest, Sha256};

use super::{App, AppError};

/// How long a verified key is trusted without asking the database again.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
/// Prefix of every token, so leaked keys are easy to recognise in logs and scanners.
pub const TOKEN_PREFIX: &str = "rcv_";

/// Who is calling: a key of a tenant with a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The tenant every read and write is confined to.
    pub tenant: TenantId,
    /// The key used.
    pub key: ApiKeyId,
    /// What it may do.
    pub role: Role,
}

impl Principal {
    /// Refuses with PERMISSION_DENIED unless the role allows `required`.
    pub fn require(&self, required: Role) -> Result<(), AppError> {
        if self.role.allows(required) {
            Ok(())
        } else {
            Err(AppError::PermissionDenied { required })
        }
    }

    /// How the timeline names this caller.
    pub fn actor(&self) -> String {
        format!("api_key:{}", self.key)
    }
}

/// Verified keys by token hash.
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<[u8; 32], (Principal, Instant)>>,
}

impl KeyCache {
    fn get(&self, hash: &[u8; 32]) -> Option<Principal> {
        let entries = self.entries.read().ok()?;
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(p, _)| *p)
    }

    fn put(&self, hash: [u8; 32], principal: Principal) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() > 10_000 {
                entries.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            }
            entries.insert(hash, (principal, Instant::now()));
        }
    }

    /// Forgets a key (after revocation).
    pub fn evict(&self, key: ApiKeyId) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (p, _)| p.key != key);
        }
    }
}

/// SHA-256 of a token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A key just created, with the token to show once.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// The stored key.
    pub key: ApiKey,
    /// The secret.
    pub token: String,
}

/// Creates a key for `tenant` with a fresh random token.
pub async fn create_api_key(
    conn: &mut Conn,
    tenant: TenantId,
    role: Role,
    label: &str,
    now: DateTime<Utc>,
) -> Result<NewApiKey, AppError> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let key = ApiKey {
        id: ApiKeyId::new_at(now),
        tenant_id: tenant,
        role,
        label: label.to_owned(),
        token_hash: hash_token(&token).to_vec(),
        created_at: now,
        revoked_at: None,
    };
    insert_api_key(conn, &key).await?;
    Ok(NewApiKey { key, token })
}

impl App {
    /// Resolves the bearer token of a request into its principal.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<Principal, AppError> {
        let token = token.ok_or(AppError::Unauthenticated(
            "send the API key as `authorization: Bearer <key>`",
        ))?;
        let hash = hash_token(token);
        if let Some(principal) = self.keys.get(&hash) {
            return Ok(principal);
        }
        let mut conn = self.conn().await?;
        let key = find_api_key_by_hash(&mut conn, &hash)
            .await?
            .ok_or(AppError::Unauthenticated("unknown API key"))?;
        if key.revoked_at.is_some() {
            return Err(AppError::Unauthenticated("this API key was revoked"));
        }
        let principal = Principal {
            tenant: key.tenant_id,
            key: key.id,
            role: key.role,
        };
        self.keys.put(hash, principal);
        Ok(principal)
    }

    /// The key cache, for eviction on revocation.
    pub fn key_cache(&self) -> &KeyCache {
        &self.keys
    }
}
