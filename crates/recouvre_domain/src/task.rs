//! Tasks for humans (appels, visites, revue juridique) and how they end.

use crate::claim::{ContactChannel, ContactOutcome};

/// What a task asks a human to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// Call the debtor (relance téléphonique), with the call script.
    PhoneCall,
    /// Visit the debtor (visite); the debtor may refuse it.
    Visit,
    /// Review the claim handed over and choose the court route (legal team).
    LegalReview,
    /// A step could not run (data missing from a letter, a rate not yet published): someone
    /// must fix the cause; completing the task retries the step.
    StepReview,
    /// Declare the claim to the mandataire judiciaire before the deadline (déclaration de
    /// créance, C. com. L622-24: 2 months from the BODACC publication).
    DeclareClaim,
    /// The limitation deadline is near: interrupt it (acknowledgment, court action, enforcement
    /// measure, C. civ. 2240–2244) or decide to let the claim go.
    LimitationReview,
}

/// Every kind.
pub const TASK_KINDS: [TaskKind; 6] = [
    TaskKind::PhoneCall,
    TaskKind::Visit,
    TaskKind::LegalReview,
    TaskKind::StepReview,
    TaskKind::DeclareClaim,
    TaskKind::LimitationReview,
];

impl TaskKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::PhoneCall => "phone_call",
            TaskKind::Visit => "visit",
            TaskKind::LegalReview => "legal_review",
            TaskKind::StepReview => "step_review",
            TaskKind::DeclareClaim => "declare_claim",
            TaskKind::LimitationReview => "limitation_review",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        TASK_KINDS.into_iter().find(|k| k.as_str() == s)
    }

    /// The queue a new task of this kind is assigned to: agents work calls, visits and
    /// blocked steps; the legal team reviews handoffs.
    pub fn default_assignee(self) -> &'static str {
        match self {
            TaskKind::LegalReview | TaskKind::DeclareClaim | TaskKind::LimitationReview => "legal",
            TaskKind::PhoneCall | TaskKind::Visit | TaskKind::StepReview => "agents",
        }
    }

    /// The outcomes a task of this kind may end with.
    pub fn outcomes(self) -> &'static [TaskOutcome] {
        use TaskOutcome::*;
        match self {
            TaskKind::PhoneCall => &[Reached, NoAnswer, LeftMessage, Refused, WrongContact],
            TaskKind::Visit => &[Reached, NoAnswer, Refused, WrongContact],
            TaskKind::LegalReview => &[HandedOver, NotPursued],
            TaskKind::StepReview | TaskKind::DeclareClaim | TaskKind::LimitationReview => {
                &[Done, NotPursued]
            }
        }
    }

    /// The contact a completed call or visit records on the claim's timeline.
    pub fn contact_channel(self) -> Option<ContactChannel> {
        match self {
            TaskKind::PhoneCall => Some(ContactChannel::Phone),
            TaskKind::Visit => Some(ContactChannel::Visit),
            TaskKind::LegalReview
            | TaskKind::StepReview
            | TaskKind::DeclareClaim
            | TaskKind::LimitationReview => None,
        }
    }
}

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskOutcome {
    /// The debtor was reached (spoken to, or met).
    Reached,
    /// Nobody answered, or nobody was there.
    NoAnswer,
    /// A message was left.
    LeftMessage,
    /// The debtor refused the call or the visit.
    Refused,
    /// The number or address is not the debtor's.
    WrongContact,
    /// The claim was handed to a commissaire de justice.
    HandedOver,
    /// The claim will not be pursued this way.
    NotPursued,
    /// The cause was fixed.
    Done,
}

const OUTCOMES: [TaskOutcome; 8] = [
    TaskOutcome::Reached,
    TaskOutcome::NoAnswer,
    TaskOutcome::LeftMessage,
    TaskOutcome::Refused,
    TaskOutcome::WrongContact,
    TaskOutcome::HandedOver,
    TaskOutcome::NotPursued,
    TaskOutcome::Done,
];

impl TaskOutcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskOutcome::Reached => "reached",
            TaskOutcome::NoAnswer => "no_answer",
            TaskOutcome::LeftMessage => "left_message",
            TaskOutcome::Refused => "refused",
            TaskOutcome::WrongContact => "wrong_contact",
            TaskOutcome::HandedOver => "handed_over",
            TaskOutcome::NotPursued => "not_pursued",
            TaskOutcome::Done => "done",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        OUTCOMES.into_iter().find(|o| o.as_str() == s)
    }

    /// The contact outcome it records, for calls and visits.
    pub fn contact_outcome(self) -> Option<ContactOutcome> {
        match self {
            TaskOutcome::Reached => Some(ContactOutcome::Reached),
            TaskOutcome::NoAnswer => Some(ContactOutcome::NoAnswer),
            TaskOutcome::LeftMessage => Some(ContactOutcome::LeftMessage),
            TaskOutcome::Refused => Some(ContactOutcome::Refused),
            TaskOutcome::WrongContact => Some(ContactOutcome::WrongContact),
            TaskOutcome::HandedOver | TaskOutcome::NotPursued | TaskOutcome::Done => None,
        }
    }
}
