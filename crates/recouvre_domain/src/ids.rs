//! Typed identifiers, so a debtor id can never be passed where a claim id is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered (v7) id; `now` keeps the domain free of clock reads.
            pub fn new_at(now: chrono::DateTime<chrono::Utc>) -> Self {
                let ts = uuid::Timestamp::from_unix(
                    uuid::NoContext,
                    now.timestamp().max(0) as u64,
                    now.timestamp_subsec_nanos(),
                );
                Self(uuid::Uuid::new_v7(ts))
            }

            /// Parses the canonical hyphenated form.
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::try_parse(s).ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A tenant: the security boundary.
    TenantId
);
id_type!(
    /// An API key.
    ApiKeyId
);
id_type!(
    /// A creditor (créancier).
    CreditorId
);
id_type!(
    /// A debtor (débiteur).
    DebtorId
);
id_type!(
    /// A claim (créance / dossier de recouvrement).
    ClaimId
);
id_type!(
    /// A payment recorded on a claim.
    PaymentId
);
id_type!(
    /// An escalation policy (politique de relance).
    PolicyId
);
id_type!(
    /// A task for a human: a call, a visit, a legal review.
    TaskId
);
