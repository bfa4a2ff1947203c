//! Recouvre's domain: money, parties, claims and their lifecycle, the event hash chain.
//!
//! Invariants: this crate does no I/O and never reads the clock — every transition takes the
//! facts it needs, `now` included. It knows nothing of protobuf, tonic or Diesel.

pub mod automation;
pub mod calendar;
pub mod claim;
pub mod events;
pub mod identifiers;
pub mod ids;
pub mod money;
pub mod parties;
pub mod plan;
pub mod policy;
pub mod proceedings;
pub mod rates;
pub mod statement;
pub mod task;
pub mod terms;

pub use claim::{
    Automation, Claim, ClaimError, ClaimEvent, ClaimState, Closure, ClosureKind, Contact,
    ContactChannel, ContactDirection, ContactOutcome, Dispute, DisputeResolution,
    GeneratedDocument, Invoice, InvoiceParts, NewClaim, Payment, PaymentMethod, Promise,
    Settlement, Stage, StepRecord,
};
pub use events::{ChainBreak, EventHash, StoredEvent, verify_chain};
pub use ids::{ApiKeyId, ClaimId, CreditorId, DebtorId, PaymentId, PolicyId, TaskId, TenantId};
pub use money::{Currency, Money, MoneyError};
pub use parties::{
    Address, AddressParts, AgencyProfile, Creditor, Debtor, DebtorKind, Language, Role, TenantKind,
};

/// The facts about "now" a transition may use: the instant, and the calendar date in France
/// (Europe/Paris), which is what deadlines and promise dates are compared against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// The instant, truncated to microseconds (PostgreSQL's precision) by the caller.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Today's date in Europe/Paris.
    pub today: chrono::NaiveDate,
}
