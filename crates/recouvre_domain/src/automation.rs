//! The scheduler's transitions on a claim: which step of its policy is due, recording it as
//! performed (with the letter, task or message it produced) or skipped, and planning the next.
//!
//! A pass is two halves, both pure: [`Claim::due_step`] says what to do now (after breaking a
//! lapsed promise and skipping steps that no longer apply); the caller produces the step's
//! output (renders the letter, creates the task, queues the message); [`Claim::complete_step`]
//! records it, escalates for a formal notice or the legal review, and plans the next step.
//! The caller seals the events of both halves in one transaction.

use chrono::{DateTime, NaiveDate, Utc};

use crate::Now;
use crate::calendar::{is_letter_day, next_letter_day};
use crate::claim::{
    Claim, ClaimError, ClaimEvent, ClaimState, Contact, ContactDirection, FieldViolation,
    GeneratedDocument, MAX_TEXT, Stage, StepRecord, morning_of, text_problem,
};
use crate::ids::TaskId;
use crate::money::Money;
use crate::parties::DebtorKind;
use crate::policy::{PolicyStep, StepAction, planned_date};
use crate::task::{TaskKind, TaskOutcome};

/// What a claim's debtor can be reached by, as far as a step needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebtorFacts {
    /// Consumer or business.
    pub kind: DebtorKind,
    /// The debtor has an e-mail address.
    pub has_email: bool,
    /// The debtor has a phone number.
    pub has_phone: bool,
}

/// The step to perform now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueStep {
    /// Its index in the policy.
    pub index: u32,
    /// The step.
    pub step: PolicyStep,
}

/// What a performed step produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepOutput {
    /// The letter it generated.
    pub document: Option<GeneratedDocument>,
    /// The task it created.
    pub task_id: Option<TaskId>,
    /// The message it queued.
    pub message_id: Option<uuid::Uuid>,
}

impl Claim {
    /// First half of a pass over a due claim. Breaks a lapsed promise; stops on a hold, a
    /// closed claim or the legal stage; skips the steps whose conditions fail (recording each
    /// skip) or that the claim has passed (a formal notice sent by hand); on a Sunday or public
    /// holiday, defers to the next working morning (no letter is dated on those days, and no
    /// automated contact is made on them either). Returns the events so far and the step to
    /// perform, if one is due.
    pub fn due_step(
        &mut self,
        steps: &[PolicyStep],
        debtor: DebtorFacts,
        now: Now,
    ) -> (Vec<ClaimEvent>, Option<DueStep>) {
        let mut events = Vec::new();
        if matches!(self.state, ClaimState::Closed(_)) {
            self.reschedule();
            return (events, None);
        }
        self.expire_promise(now, &mut events);
        self.default_missed_plan(now.today, &mut events);
        let stage = match self.state {
            ClaimState::Open(stage) => stage,
            ClaimState::Closed(_) => return (events, None),
        };
        if stage == Stage::Legal || self.hold(now.today).is_some() {
            self.finish_pass(now);
            return (events, None);
        }
        let notice_index = steps
            .iter()
            .position(|s| s.action == StepAction::FormalNotice);
        let first_due = self.first_due_date();
        while let Some(planned) = self.automation.planned_at {
            if planned > now.at {
                break;
            }
            let index = self.automation.next_step;
            let Some(step) = steps.get(index as usize) else {
                // The policy is exhausted: nothing more is planned.
                self.automation.planned_at = None;
                break;
            };
            if let Some(reason) = skip_reason(step, index, notice_index, stage, self, debtor) {
                events.push(ClaimEvent::StepSkipped {
                    index,
                    action: step.action,
                    reason,
                });
                self.advance_past(index, steps, first_due, None);
                continue;
            }
            if !is_letter_day(now.today) {
                self.next_action_at = Some(morning_of(next_letter_day(now.today)));
                self.updated_at = now.at;
                return (events, None);
            }
            self.updated_at = now.at;
            return (
                events,
                Some(DueStep {
                    index,
                    step: step.clone(),
                }),
            );
        }
        self.finish_pass(now);
        (events, None)
    }

    /// Second half: records step `index` as performed with its output. A formal notice moves
    /// the claim to the formal-notice stage; the legal review hands it over (legal stage),
    /// refused past the limitation deadline (C. civ. 2219). Plans the next step from today.
    pub fn complete_step(
        &mut self,
        steps: &[PolicyStep],
        index: u32,
        output: StepOutput,
        limitation_deadline: Option<NaiveDate>,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        let Some(step) = steps.get(index as usize) else {
            return Err(ClaimError::InvalidTransition {
                from: "step",
                to: "missing step",
            });
        };
        let stage = match self.state {
            ClaimState::Open(stage) => stage,
            ClaimState::Closed(kind) => return Err(ClaimError::Closed(kind.as_str())),
        };
        let target = match step.action {
            StepAction::FormalNotice if stage == Stage::Amicable => Some(Stage::FormalNotice),
            StepAction::LegalReview => Some(Stage::Legal),
            _ => None,
        };
        if target == Some(Stage::Legal)
            && let Some(deadline) = limitation_deadline
            && now.today > deadline
        {
            return Err(ClaimError::LimitationExpired { deadline });
        }
        let mut events = Vec::new();
        let document_id = output.document.as_ref().map(|d| d.document_id);
        if let Some(document) = output.document {
            events.push(ClaimEvent::DocumentGenerated(document));
        }
        events.push(ClaimEvent::StepPerformed(StepRecord {
            index,
            action: step.action,
            policy_id: self.automation.policy_id,
            document_id,
            task_id: output.task_id,
            message_id: output.message_id,
        }));
        if let Some(to) = target
            && to != stage
        {
            self.state = ClaimState::Open(to);
            events.push(ClaimEvent::Escalated { from: stage, to });
        }
        let first_due = self.first_due_date();
        self.advance_past(index, steps, first_due, Some(now.today));
        if self.state == ClaimState::Open(Stage::Legal) {
            self.automation.planned_at = None;
        }
        self.finish_pass(now);
        Ok(events)
    }

    /// Puts the next look at the claim off until `until` (a step that could not run: a rate
    /// not yet published, data missing from a letter). Records nothing on the timeline.
    pub fn defer_step(&mut self, until: DateTime<Utc>, now: Now) {
        self.next_action_at = Some(until);
        self.updated_at = now.at;
    }

    /// Stops the policy: nothing more is planned (the legal review of a time-barred claim,
    /// which a human must decide on).
    pub fn halt_automation(&mut self, now: Now) {
        self.automation.planned_at = None;
        self.finish_pass(now);
    }

    /// Moves past step `index`; `ran_on` is the day it ran (`None` when skipped: a skipped step
    /// takes no time, the next counts from the last step that ran).
    fn advance_past(
        &mut self,
        index: u32,
        steps: &[PolicyStep],
        first_due: NaiveDate,
        ran_on: Option<NaiveDate>,
    ) {
        if ran_on.is_some() {
            self.automation.last_step_on = ran_on;
        }
        self.automation.next_step = index + 1;
        self.automation.planned_at = steps.get(index as usize + 1).and_then(|next| {
            planned_date(next, first_due, self.automation.last_step_on).map(morning_of)
        });
    }

    fn finish_pass(&mut self, now: Now) {
        self.reschedule();
        self.updated_at = now.at;
    }

    /// The earliest due date of the claim's invoices.
    pub fn first_due_date(&self) -> NaiveDate {
        self.invoices
            .iter()
            .map(|i| i.due_date)
            .min()
            .unwrap_or(self.created_at.date_naive())
    }

    /// Principal not yet paid (the amount step conditions compare with).
    fn unpaid_principal(&self) -> Money {
        self.balance()
    }
}

fn skip_reason(
    step: &PolicyStep,
    index: u32,
    notice_index: Option<usize>,
    stage: Stage,
    claim: &Claim,
    debtor: DebtorFacts,
) -> Option<&'static str> {
    if stage == Stage::FormalNotice && notice_index.is_some_and(|n| index as usize <= n) {
        return Some("stage_passed");
    }
    if step
        .conditions
        .debtor_kind
        .is_some_and(|k| k != debtor.kind)
    {
        return Some("debtor_kind");
    }
    if let Some(min) = step.conditions.min_unpaid
        && min.currency() == claim.currency
        && claim.unpaid_principal() < min
    {
        return Some("below_min_unpaid");
    }
    match step.action {
        StepAction::EmailReminder if !debtor.has_email => Some("no_email_address"),
        StepAction::SmsReminder | StepAction::PhoneCallTask if !debtor.has_phone => {
            Some("no_phone_number")
        }
        _ => None,
    }
}

impl Claim {
    /// Records a task's completion on the timeline: the call or visit as a contact with its
    /// outcome, then the completion itself. Completing a blocked step's review with `done`
    /// makes the step due again at once. Allowed on a closed claim too: what the agent did
    /// still happened and belongs to the proof.
    pub fn complete_task(
        &mut self,
        task_id: TaskId,
        kind: TaskKind,
        outcome: TaskOutcome,
        note: String,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        let mut violations = Vec::new();
        if !kind.outcomes().contains(&outcome) {
            violations.push(FieldViolation::new(
                "outcome",
                format!(
                    "a {} task ends with one of: {}",
                    kind.as_str(),
                    kind.outcomes()
                        .iter()
                        .map(|o| o.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if let Some(problem) = text_problem(&note) {
            violations.push(FieldViolation::new("note", problem));
        } else if note.chars().count() > MAX_TEXT {
            violations.push(FieldViolation::new(
                "note",
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
        if !violations.is_empty() {
            return Err(ClaimError::Invalid(violations));
        }
        let mut events = Vec::new();
        let open = matches!(self.state, ClaimState::Open(_));
        if open {
            self.expire_promise(now, &mut events);
        }
        if let (Some(channel), Some(contact_outcome)) =
            (kind.contact_channel(), outcome.contact_outcome())
        {
            events.push(ClaimEvent::ContactRecorded(Contact {
                channel,
                direction: ContactDirection::Outbound,
                outcome: contact_outcome,
                note: note.clone(),
                occurred_at: now.at,
            }));
        }
        events.push(ClaimEvent::TaskCompleted {
            task_id,
            kind: kind.as_str().to_owned(),
            outcome: outcome.as_str().to_owned(),
            note,
        });
        if open && kind == TaskKind::StepReview && outcome == TaskOutcome::Done {
            self.automation.planned_at = Some(now.at);
        }
        self.finish_pass(now);
        Ok(events)
    }
}

/// Whether the legal review (the handoff) may run today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffReadiness {
    /// It may.
    Ready,
    /// The formal notice's delivery is not recorded: the dossier must prove it (law-fr.md §8),
    /// and the debtor's deadline runs from its receipt.
    DeliveryUnknown,
    /// The deadline the formal notice gave runs until this day included.
    DeadlineRunning(NaiveDate),
}

impl Claim {
    /// Whether the claim may be handed over on `today`: once the formal notice's delivery is
    /// recorded and the deadline it gave (8 days from receipt, law-fr.md §6) has passed.
    pub fn handoff_readiness(&self, today: NaiveDate) -> HandoffReadiness {
        match &self.legal.formal_notice {
            None => HandoffReadiness::DeliveryUnknown,
            Some(notice) => {
                let deadline = notice.received_on
                    + chrono::Days::new(u64::from(crate::policy::FORMAL_NOTICE_DEADLINE_DAYS));
                if today > deadline {
                    HandoffReadiness::Ready
                } else {
                    HandoffReadiness::DeadlineRunning(deadline)
                }
            }
        }
    }
}
