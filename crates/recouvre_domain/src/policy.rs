//! Escalation policies (politiques de relance): the ordered steps a claim goes through, from the
//! first amicable reminder to the handoff to a commissaire de justice (PRODUCT.md §4).
//!
//! A policy is data. This module validates it, chooses the policy of a new claim, and plans
//! when a step falls due; [`crate::automation`] performs steps on a claim. No clock is read:
//! dates come in as arguments.

use chrono::{Days, NaiveDate};

use crate::claim::FieldViolation;
use crate::ids::{CreditorId, PolicyId};
use crate::money::Money;
use crate::parties::DebtorKind;

/// Days the debtor is given to pay by the formal notice. No statute sets it; eight days is the
/// practice and mirrors the commandement de payer (law-fr.md §6).
pub const FORMAL_NOTICE_DEADLINE_DAYS: u32 = 8;
/// At most this many steps in a policy.
pub const MAX_STEPS: usize = 30;
/// At most this many days between two steps (or from the due date).
pub const MAX_DELAY_DAYS: u32 = 365;
/// At most this many characters in a policy's name.
pub const MAX_NAME: usize = 200;

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepAction {
    /// Amicable reminder by e-mail (relance amiable), written to the outbox.
    EmailReminder,
    /// Reminder by SMS, written to the outbox.
    SmsReminder,
    /// First warning letter (lettre de relance / d'avertissement), a PDF.
    WarningLetter1,
    /// Second warning letter, a PDF.
    WarningLetter2,
    /// A phone call for an agent (relance téléphonique), with the call script.
    PhoneCallTask,
    /// A home or business visit for an agent (visite domiciliaire); the debtor may refuse it.
    VisitTask,
    /// Formal notice by registered letter (mise en demeure, C. civ. art. 1344): moves the claim
    /// to the formal-notice stage.
    FormalNotice,
    /// Legal review and handoff to a commissaire de justice: the bailiff dossier is generated,
    /// the claim moves to the legal stage and the legal team gets a task to choose the route
    /// (injonction de payer, or the small-claims procedure up to €5,000, CPCE L125-1).
    LegalReview,
}

/// Every action, in ladder order.
pub const ACTIONS: [StepAction; 8] = [
    StepAction::EmailReminder,
    StepAction::SmsReminder,
    StepAction::WarningLetter1,
    StepAction::WarningLetter2,
    StepAction::PhoneCallTask,
    StepAction::VisitTask,
    StepAction::FormalNotice,
    StepAction::LegalReview,
];

impl StepAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepAction::EmailReminder => "email_reminder",
            StepAction::SmsReminder => "sms_reminder",
            StepAction::WarningLetter1 => "warning_letter_1",
            StepAction::WarningLetter2 => "warning_letter_2",
            StepAction::PhoneCallTask => "phone_call_task",
            StepAction::VisitTask => "visit_task",
            StepAction::FormalNotice => "formal_notice",
            StepAction::LegalReview => "legal_review",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        ACTIONS.into_iter().find(|a| a.as_str() == s)
    }

    /// The document kinds a step of this action may render; the first is its default. A visit
    /// renders nothing.
    pub fn templates(self) -> &'static [&'static str] {
        match self {
            StepAction::EmailReminder => &["email_reminder"],
            StepAction::SmsReminder => &["sms_reminder"],
            StepAction::WarningLetter1 => &[
                "warning_letter_1",
                "warning_letter_2",
                "agency_first_letter",
            ],
            StepAction::WarningLetter2 => &[
                "warning_letter_2",
                "warning_letter_1",
                "agency_first_letter",
            ],
            StepAction::PhoneCallTask => &["call_script"],
            StepAction::VisitTask => &[],
            StepAction::FormalNotice => &["formal_notice"],
            StepAction::LegalReview => &["bailiff_dossier"],
        }
    }

    /// The document kind rendered by default, if any.
    pub fn default_template(self) -> Option<&'static str> {
        self.templates().first().copied()
    }

    /// Whether the step sends a dated letter (PDF).
    pub fn is_letter(self) -> bool {
        matches!(
            self,
            StepAction::WarningLetter1
                | StepAction::WarningLetter2
                | StepAction::FormalNotice
                | StepAction::LegalReview
        )
    }
}

/// What a step's delay counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayFrom {
    /// The claim's earliest due date.
    DueDate,
    /// The day the previous step ran (the due date for the first step).
    PreviousStep,
}

impl DelayFrom {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DelayFrom::DueDate => "due_date",
            DelayFrom::PreviousStep => "previous_step",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "due_date" => Some(DelayFrom::DueDate),
            "previous_step" => Some(DelayFrom::PreviousStep),
            _ => None,
        }
    }
}

/// When a step applies; a step whose conditions fail when it falls due is skipped (and the
/// skip recorded on the timeline).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepConditions {
    /// Only when the principal still unpaid is at least this (e.g. a visit only for large
    /// claims).
    pub min_unpaid: Option<Money>,
    /// Only for this kind of debtor.
    pub debtor_kind: Option<DebtorKind>,
}

/// One step of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyStep {
    /// What it does.
    pub action: StepAction,
    /// Days after `from`.
    pub delay_days: u32,
    /// What the delay counts from.
    pub from: DelayFrom,
    /// The document kind it renders (one of [`StepAction::templates`]); the tenant's own
    /// template of that kind is used when set.
    pub template: Option<String>,
    /// When it applies.
    pub conditions: StepConditions,
}

impl PolicyStep {
    /// A step with the action's default template and no conditions.
    pub fn new(action: StepAction, delay_days: u32, from: DelayFrom) -> Self {
        PolicyStep {
            action,
            delay_days,
            from,
            template: action.default_template().map(str::to_owned),
            conditions: StepConditions::default(),
        }
    }

    /// The document kind the step renders, if any.
    pub fn document_kind(&self) -> Option<&str> {
        self.template
            .as_deref()
            .or_else(|| self.action.default_template())
    }
}

/// Which claims a policy takes when they are handed over. Every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// Only this creditor's claims.
    pub creditor_id: Option<CreditorId>,
    /// Only claims on this kind of debtor.
    pub debtor_kind: Option<DebtorKind>,
    /// Only claims whose principal is at least this.
    pub min_principal: Option<Money>,
    /// Only claims whose principal is below this.
    pub max_principal: Option<Money>,
}

impl Assignment {
    /// Whether a claim with these facts falls under the policy.
    pub fn matches(&self, creditor: CreditorId, debtor: DebtorKind, principal: Money) -> bool {
        self.creditor_id.is_none_or(|c| c == creditor)
            && self.debtor_kind.is_none_or(|k| k == debtor)
            && self
                .min_principal
                .is_none_or(|m| m.currency() != principal.currency() || principal >= m)
            && self
                .max_principal
                .is_none_or(|m| m.currency() != principal.currency() || principal < m)
    }

    /// How many conditions are set: a more specific policy wins a tie of priority.
    fn specificity(&self) -> usize {
        usize::from(self.creditor_id.is_some())
            + usize::from(self.debtor_kind.is_some())
            + usize::from(self.min_principal.is_some())
            + usize::from(self.max_principal.is_some())
    }
}

/// The two policies every tenant starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinPolicy {
    /// Between professionals (PRODUCT.md §4, after seed 001).
    B2b,
    /// Towards consumers.
    B2c,
}

impl BuiltinPolicy {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BuiltinPolicy::B2b => "b2b",
            BuiltinPolicy::B2c => "b2c",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "b2b" => Some(BuiltinPolicy::B2b),
            "b2c" => Some(BuiltinPolicy::B2c),
            _ => None,
        }
    }

    /// The default for claims on this kind of debtor.
    pub fn for_debtor(kind: DebtorKind) -> Self {
        match kind {
            DebtorKind::Business => BuiltinPolicy::B2b,
            DebtorKind::Consumer => BuiltinPolicy::B2c,
        }
    }

    /// The name it is created with.
    pub fn default_name(self) -> &'static str {
        match self {
            BuiltinPolicy::B2b => "Relance B2B (par défaut)",
            BuiltinPolicy::B2c => "Relance consommateurs (par défaut)",
        }
    }

    /// The steps it is created with.
    ///
    /// B2B follows PRODUCT.md §4 (seed 001): e-mail at due date + 7 days, warning letter 1
    /// (+8), phone call (+7), warning letter 2 (+8), visit (+7), formal notice with an 8-day
    /// deadline (+7), legal review the day after the deadline (+9).
    ///
    /// B2C keeps the ladder without the visit (the ASF–consumer agreement asks to keep
    /// contacts to what is strictly necessary, law-fr.md §5.3) and adds an SMS before the
    /// second letter; its calls fall in the house calling windows (D223-9 as house rule).
    pub fn steps(self) -> Vec<PolicyStep> {
        use DelayFrom::{DueDate, PreviousStep};
        use StepAction::*;
        let deadline = FORMAL_NOTICE_DEADLINE_DAYS + 1;
        match self {
            BuiltinPolicy::B2b => vec![
                PolicyStep::new(EmailReminder, 7, DueDate),
                PolicyStep::new(WarningLetter1, 8, PreviousStep),
                PolicyStep::new(PhoneCallTask, 7, PreviousStep),
                PolicyStep::new(WarningLetter2, 8, PreviousStep),
                PolicyStep::new(VisitTask, 7, PreviousStep),
                PolicyStep::new(FormalNotice, 7, PreviousStep),
                PolicyStep::new(LegalReview, deadline, PreviousStep),
            ],
            BuiltinPolicy::B2c => vec![
                PolicyStep::new(EmailReminder, 7, DueDate),
                PolicyStep::new(WarningLetter1, 8, PreviousStep),
                PolicyStep::new(PhoneCallTask, 7, PreviousStep),
                PolicyStep::new(SmsReminder, 4, PreviousStep),
                PolicyStep::new(WarningLetter2, 4, PreviousStep),
                PolicyStep::new(FormalNotice, 7, PreviousStep),
                PolicyStep::new(LegalReview, deadline, PreviousStep),
            ],
        }
    }
}

/// An escalation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Identifier.
    pub id: PolicyId,
    /// Name shown to users.
    pub name: String,
    /// Which built-in default it is, if one.
    pub builtin: Option<BuiltinPolicy>,
    /// Lower is tried first when choosing a new claim's policy.
    pub priority: i32,
    /// Which claims it takes.
    pub assignment: Assignment,
    /// The steps, in order.
    pub steps: Vec<PolicyStep>,
    /// Version, the etag.
    pub version: i64,
}

/// Every problem of a policy at once, field by field.
pub fn policy_violations(
    name: &str,
    assignment: &Assignment,
    steps: &[PolicyStep],
) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    if name.trim().is_empty() {
        out.push(FieldViolation::new("name", "must not be empty"));
    } else if name.chars().count() > MAX_NAME || name.contains('\0') {
        out.push(FieldViolation::new(
            "name",
            format!("must be at most {MAX_NAME} characters, without NUL"),
        ));
    }
    if let (Some(min), Some(max)) = (assignment.min_principal, assignment.max_principal)
        && (min.currency() != max.currency() || min >= max)
    {
        out.push(FieldViolation::new(
            "assignment.max_principal",
            "must be above min_principal, in the same currency",
        ));
    }
    if steps.is_empty() {
        out.push(FieldViolation::new("steps", "must hold at least one step"));
    } else if steps.len() > MAX_STEPS {
        out.push(FieldViolation::new(
            "steps",
            format!("must hold at most {MAX_STEPS} steps"),
        ));
    }
    let mut formal_notice: Option<usize> = None;
    let mut legal_review: Option<usize> = None;
    for (i, step) in steps.iter().enumerate() {
        let field = |f: &str| format!("steps[{i}].{f}");
        if step.delay_days > MAX_DELAY_DAYS {
            out.push(FieldViolation::new(
                field("delay_days"),
                format!("must be at most {MAX_DELAY_DAYS}"),
            ));
        }
        if let Some(template) = &step.template
            && !step.action.templates().contains(&template.as_str())
        {
            out.push(FieldViolation::new(
                field("template"),
                if step.action.templates().is_empty() {
                    format!("a {} step renders no document", step.action.as_str())
                } else {
                    format!(
                        "a {} step renders one of: {}",
                        step.action.as_str(),
                        step.action.templates().join(", ")
                    )
                },
            ));
        }
        match step.action {
            StepAction::FormalNotice if formal_notice.is_some() => out.push(FieldViolation::new(
                field("action"),
                "a policy sends one formal notice",
            )),
            StepAction::FormalNotice => formal_notice = Some(i),
            StepAction::LegalReview if formal_notice.is_none() => out.push(FieldViolation::new(
                field("action"),
                "legal review needs a formal notice before it: the debtor must have been put on notice (C. civ. art. 1344) before the claim goes to a commissaire de justice",
            )),
            StepAction::LegalReview => legal_review = Some(i),
            _ => {}
        }
        if let Some(lr) = legal_review
            && i > lr
        {
            out.push(FieldViolation::new(
                field("action"),
                "nothing can follow the legal review: the claim has left amicable collection",
            ));
        }
        if step.action == StepAction::LegalReview
            && (step.conditions.min_unpaid.is_some() || step.conditions.debtor_kind.is_some())
        {
            out.push(FieldViolation::new(
                field("conditions"),
                "the legal review cannot be conditional (a skipped handoff would leave the claim without an end)",
            ));
        }
        if step.action == StepAction::FormalNotice
            && (step.conditions.min_unpaid.is_some() || step.conditions.debtor_kind.is_some())
        {
            out.push(FieldViolation::new(
                field("conditions"),
                "the formal notice cannot be conditional",
            ));
        }
    }
    // Planned offsets from the due date, when every step runs on time: a step anchored on the
    // due date must not fall before the previous one, and the legal review must wait for the
    // end of the formal notice's deadline.
    let offsets = planned_offsets(steps);
    for i in 1..steps.len() {
        if offsets[i] < offsets[i - 1] {
            out.push(FieldViolation::new(
                format!("steps[{i}].delay_days"),
                format!(
                    "the step would fall {} days after the due date, before step {} ({} days)",
                    offsets[i],
                    i - 1,
                    offsets[i - 1]
                ),
            ));
        }
    }
    if let (Some(fnotice), Some(lr)) = (formal_notice, legal_review)
        && offsets[lr] < offsets[fnotice] + u64::from(FORMAL_NOTICE_DEADLINE_DAYS) + 1
    {
        out.push(FieldViolation::new(
            format!("steps[{lr}].delay_days"),
            format!(
                "the legal review must come at least {} days after the formal notice (its {FORMAL_NOTICE_DEADLINE_DAYS}-day deadline, plus one day)",
                FORMAL_NOTICE_DEADLINE_DAYS + 1
            ),
        ));
    }
    out
}

/// Days after the due date each step falls when every step runs on time.
fn planned_offsets(steps: &[PolicyStep]) -> Vec<u64> {
    let mut offsets = Vec::with_capacity(steps.len());
    let mut previous = 0u64;
    for step in steps {
        let offset = match step.from {
            DelayFrom::DueDate => u64::from(step.delay_days),
            DelayFrom::PreviousStep => previous + u64::from(step.delay_days),
        };
        offsets.push(offset);
        previous = offset;
    }
    offsets
}

/// The policy of a new claim: the first of the tenant's own policies (by priority, then the
/// most specific, then the oldest id) whose assignment matches, else the built-in default for
/// the debtor's kind.
pub fn choose_policy(
    policies: &[Policy],
    creditor: CreditorId,
    debtor: DebtorKind,
    principal: Money,
) -> Option<&Policy> {
    policies
        .iter()
        .filter(|p| p.builtin.is_none() && p.assignment.matches(creditor, debtor, principal))
        .min_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then(b.assignment.specificity().cmp(&a.assignment.specificity()))
                .then(a.id.cmp(&b.id))
        })
        .or_else(|| {
            let wanted = BuiltinPolicy::for_debtor(debtor);
            policies.iter().find(|p| p.builtin == Some(wanted))
        })
}

/// The day step `index` falls due: its delay after the due date or after the day the previous
/// step ran. `None` when the date overflows the calendar (a policy's delays are bounded, so
/// only for absurd anchors).
pub fn planned_date(
    step: &PolicyStep,
    first_due: NaiveDate,
    previous_step_on: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let anchor = match step.from {
        DelayFrom::DueDate => first_due,
        DelayFrom::PreviousStep => previous_step_on.unwrap_or(first_due),
    };
    anchor.checked_add_days(Days::new(u64::from(step.delay_days)))
}
