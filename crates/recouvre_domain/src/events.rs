//! The tamper-evident timeline: each event's SHA-256 covers its canonical content and the hash
//! of the event before it on the same claim, so editing, removing or reordering any stored
//! event breaks the chain from that event on. The timeline is the creditor's proof of its
//! amicable attempts; `verify_chain` is what a court expert would re-run.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::claim::ClaimEvent;
use crate::ids::ClaimId;

/// A SHA-256 digest.
pub type EventHash = [u8; 32];

/// The hash that precedes the first event of every claim.
pub const GENESIS: EventHash = [0; 32];

/// A timeline entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The claim it belongs to.
    pub claim_id: ClaimId,
    /// 1 for the claim's creation, then +1 per event, without gaps.
    pub seq: i64,
    /// Stable kind name (`payment_recorded`, …).
    pub kind: String,
    /// When it was recorded (microsecond precision).
    pub occurred_at: DateTime<Utc>,
    /// Who did it (`api_key:<id>`, `system`).
    pub actor: String,
    /// The event's content.
    pub payload: Value,
    /// Hash of the previous event, [`GENESIS`] for the first.
    pub prev_hash: EventHash,
    /// SHA-256 of `prev_hash` followed by the canonical content.
    pub hash: EventHash,
}

/// RFC 3339 in UTC with exactly six fractional digits, the form hashed.
pub fn timestamp_str(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Writes `value` as JSON with object keys sorted and no insignificant white space, so the
/// same content always gives the same bytes whatever map order a library or `jsonb` used.
pub fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    canonical_json(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The canonical bytes an event's hash covers (everything but the hashes themselves).
pub fn canonical_content(
    claim_id: ClaimId,
    seq: i64,
    kind: &str,
    occurred_at: DateTime<Utc>,
    actor: &str,
    payload: &Value,
) -> String {
    let envelope = serde_json::json!({
        "claim_id": claim_id.to_string(),
        "seq": seq,
        "kind": kind,
        "occurred_at": timestamp_str(occurred_at),
        "actor": actor,
        "payload": payload,
    });
    let mut out = String::new();
    canonical_json(&envelope, &mut out);
    out
}

/// SHA-256(prev_hash ‖ canonical content).
pub fn chain_hash(prev: &EventHash, canonical: &str) -> EventHash {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(canonical.as_bytes());
    hasher.finalize().into()
}

/// Seals new events onto a chain whose head is (`version`, `head`): numbers them, hashes them,
/// and returns them with the new head. Pure; the caller stores them in the same transaction
/// as the change they record.
pub fn seal(
    claim_id: ClaimId,
    version: i64,
    head: EventHash,
    events: &[ClaimEvent],
    actor: &str,
    at: DateTime<Utc>,
) -> (Vec<StoredEvent>, i64, EventHash) {
    let mut seq = version;
    let mut prev = head;
    let mut sealed = Vec::with_capacity(events.len());
    for event in events {
        seq += 1;
        let payload = event.payload();
        let kind = event.kind();
        let hash = chain_hash(
            &prev,
            &canonical_content(claim_id, seq, kind, at, actor, &payload),
        );
        sealed.push(StoredEvent {
            claim_id,
            seq,
            kind: kind.to_owned(),
            occurred_at: at,
            actor: actor.to_owned(),
            payload,
            prev_hash: prev,
            hash,
        });
        prev = hash;
    }
    (sealed, seq, prev)
}

/// The first place a stored chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// Sequence number of the first event that fails.
    pub seq: i64,
    /// What fails there.
    pub reason: &'static str,
}

/// Checks a claim's events, in sequence order, against each other and against the head the
/// claim records. `Ok(count)` when every link holds.
pub fn verify_chain(
    events: &[StoredEvent],
    head_version: i64,
    head_hash: &EventHash,
) -> Result<usize, ChainBreak> {
    let mut prev = GENESIS;
    for (i, event) in events.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if event.seq != expected_seq {
            return Err(ChainBreak {
                seq: expected_seq,
                reason: "event missing: the sequence has a gap",
            });
        }
        if event.prev_hash != prev {
            return Err(ChainBreak {
                seq: event.seq,
                reason: "previous-hash link does not match the event before",
            });
        }
        let canonical = canonical_content(
            event.claim_id,
            event.seq,
            &event.kind,
            event.occurred_at,
            &event.actor,
            &event.payload,
        );
        if chain_hash(&prev, &canonical) != event.hash {
            return Err(ChainBreak {
                seq: event.seq,
                reason: "content does not match its hash: the event was altered",
            });
        }
        prev = event.hash;
    }
    let count = events.len() as i64;
    if count != head_version || prev != *head_hash {
        return Err(ChainBreak {
            seq: count + 1,
            reason: "the claim's recorded head does not match the last event: events were removed",
        });
    }
    Ok(events.len())
}
