//! Handlers of PolicyService, TaskService and SchedulerService, with their conversions.

use recouvre_domain::policy::{Assignment, DelayFrom, PolicyStep, StepAction, StepConditions};
use recouvre_domain::task::TaskOutcome;
use recouvre_domain::{ClaimId, CreditorId, DebtorKind, PolicyId, Role, TaskId};
use recouvre_store::outbox::OutboxRow;
use recouvre_store::policies::StoredPolicy;
use recouvre_store::tasks::{TaskFilter, TaskRow};
use tonic::{Request, Response, Status};

use super::convert::{Violations, event_pb, from_timestamp, money, money_pb, timestamp};
use super::pb::event_service_server::EventService;
use super::pb::outbox_service_server::OutboxService;
use super::pb::policy_service_server::PolicyService;
use super::pb::scheduler_service_server::SchedulerService;
use super::pb::task_service_server::TaskService;
use super::{Api, pb};
use crate::app::policies::{PolicyInput, policy_etag};
use crate::app::tasks::{DispatchReport, DispatchStatus, TaskCompletion, stream_cursor};
use crate::app::{AppError, Mutation, etag};

type Reply<T> = Result<Response<T>, Status>;

fn action(a: StepAction) -> pb::StepAction {
    match a {
        StepAction::EmailReminder => pb::StepAction::EmailReminder,
        StepAction::SmsReminder => pb::StepAction::SmsReminder,
        StepAction::WarningLetter1 => pb::StepAction::WarningLetter1,
        StepAction::WarningLetter2 => pb::StepAction::WarningLetter2,
        StepAction::PhoneCallTask => pb::StepAction::PhoneCallTask,
        StepAction::VisitTask => pb::StepAction::VisitTask,
        StepAction::FormalNotice => pb::StepAction::FormalNotice,
        StepAction::LegalReview => pb::StepAction::LegalReview,
    }
}

fn action_from(v: i32) -> Option<StepAction> {
    Some(match pb::StepAction::try_from(v).ok()? {
        pb::StepAction::Unspecified => return None,
        pb::StepAction::EmailReminder => StepAction::EmailReminder,
        pb::StepAction::SmsReminder => StepAction::SmsReminder,
        pb::StepAction::WarningLetter1 => StepAction::WarningLetter1,
        pb::StepAction::WarningLetter2 => StepAction::WarningLetter2,
        pb::StepAction::PhoneCallTask => StepAction::PhoneCallTask,
        pb::StepAction::VisitTask => StepAction::VisitTask,
        pb::StepAction::FormalNotice => StepAction::FormalNotice,
        pb::StepAction::LegalReview => StepAction::LegalReview,
    })
}

fn kind_pb(k: Option<DebtorKind>) -> i32 {
    match k {
        None => pb::DebtorKind::Unspecified as i32,
        Some(DebtorKind::Consumer) => pb::DebtorKind::Consumer as i32,
        Some(DebtorKind::Business) => pb::DebtorKind::Business as i32,
    }
}

fn kind_from(v: &mut Violations, field: &str, k: i32) -> Option<DebtorKind> {
    match pb::DebtorKind::try_from(k) {
        Ok(pb::DebtorKind::Unspecified) => None,
        Ok(pb::DebtorKind::Consumer) => Some(DebtorKind::Consumer),
        Ok(pb::DebtorKind::Business) => Some(DebtorKind::Business),
        Err(_) => {
            v.add(field, "is not a DebtorKind value");
            None
        }
    }
}

fn policy_pb(s: &StoredPolicy) -> pb::Policy {
    let p = &s.policy;
    pb::Policy {
        id: p.id.to_string(),
        name: p.name.clone(),
        builtin: p.builtin.map(|b| b.as_str().to_owned()).unwrap_or_default(),
        priority: p.priority,
        assignment: Some(pb::PolicyAssignment {
            creditor_id: p
                .assignment
                .creditor_id
                .map(|c| c.to_string())
                .unwrap_or_default(),
            debtor_kind: kind_pb(p.assignment.debtor_kind),
            min_principal: p.assignment.min_principal.map(money_pb),
            max_principal: p.assignment.max_principal.map(money_pb),
        }),
        steps: p
            .steps
            .iter()
            .map(|s| pb::PolicyStep {
                action: action(s.action) as i32,
                delay_days: i32::try_from(s.delay_days).unwrap_or(i32::MAX),
                from: match s.from {
                    DelayFrom::DueDate => pb::DelayFrom::DueDate,
                    DelayFrom::PreviousStep => pb::DelayFrom::PreviousStep,
                } as i32,
                template: s.document_kind().unwrap_or_default().to_owned(),
                min_unpaid: s.conditions.min_unpaid.map(money_pb),
                debtor_kind: kind_pb(s.conditions.debtor_kind),
            })
            .collect(),
        etag: policy_etag(p),
        create_time: Some(timestamp(s.created_at)),
        update_time: Some(timestamp(s.updated_at)),
    }
}

fn policy_input(src: Option<&pb::Policy>) -> Result<PolicyInput, AppError> {
    let src = src.ok_or_else(|| AppError::invalid("policy", "is required"))?;
    let mut v = Violations::default();
    let mut steps = Vec::with_capacity(src.steps.len());
    for (i, s) in src.steps.iter().enumerate() {
        let field = |f: &str| format!("policy.steps[{i}].{f}");
        let Some(action) = action_from(s.action) else {
            v.add(field("action"), "is required (a STEP_ACTION_… value)");
            continue;
        };
        let delay_days = match u32::try_from(s.delay_days) {
            Ok(d) => d,
            Err(_) => {
                v.add(field("delay_days"), "must not be negative");
                0
            }
        };
        let from = match pb::DelayFrom::try_from(s.from) {
            Ok(pb::DelayFrom::DueDate) => DelayFrom::DueDate,
            Ok(pb::DelayFrom::PreviousStep | pb::DelayFrom::Unspecified) => DelayFrom::PreviousStep,
            Err(_) => {
                v.add(field("from"), "is not a DelayFrom value");
                DelayFrom::PreviousStep
            }
        };
        let min_unpaid = s
            .min_unpaid
            .as_ref()
            .and_then(|m| money(&mut v, &field("min_unpaid"), Some(m), None));
        let debtor_kind = kind_from(&mut v, &field("debtor_kind"), s.debtor_kind);
        steps.push(PolicyStep {
            action,
            delay_days,
            from,
            template: if s.template.trim().is_empty() {
                action.default_template().map(str::to_owned)
            } else {
                Some(s.template.trim().to_owned())
            },
            conditions: StepConditions {
                min_unpaid,
                debtor_kind,
            },
        });
    }
    let assignment = match &src.assignment {
        None => Assignment::default(),
        Some(a) => Assignment {
            creditor_id: if a.creditor_id.trim().is_empty() {
                None
            } else {
                let parsed = CreditorId::parse(a.creditor_id.trim());
                if parsed.is_none() {
                    v.add("policy.assignment.creditor_id", "must be a UUID");
                }
                parsed
            },
            debtor_kind: kind_from(&mut v, "policy.assignment.debtor_kind", a.debtor_kind),
            min_principal: a
                .min_principal
                .as_ref()
                .and_then(|m| money(&mut v, "policy.assignment.min_principal", Some(m), None)),
            max_principal: a
                .max_principal
                .as_ref()
                .and_then(|m| money(&mut v, "policy.assignment.max_principal", Some(m), None)),
        },
    };
    v.finish()?;
    let input = PolicyInput {
        name: src.name.clone(),
        priority: src.priority,
        assignment,
        steps,
    };
    // The domain's field paths are relative to the policy.
    let violations =
        recouvre_domain::policy::policy_violations(&input.name, &input.assignment, &input.steps);
    if !violations.is_empty() {
        return Err(AppError::Invalid(
            violations
                .into_iter()
                .map(|mut f| {
                    f.field = format!("policy.{}", f.field);
                    f
                })
                .collect(),
        ));
    }
    Ok(input)
}

fn policy_id(field: &str, raw: &str) -> Result<PolicyId, AppError> {
    PolicyId::parse(raw.trim()).ok_or_else(|| AppError::invalid(field, "must be a UUID"))
}

#[tonic::async_trait]
impl PolicyService for Api {
    async fn list_policies(
        &self,
        request: Request<pb::ListPoliciesRequest>,
    ) -> Reply<pb::ListPoliciesResponse> {
        let p = self.principal(&request).await?;
        let policies = self.app.list_policies(&p).await?;
        Ok(Response::new(pb::ListPoliciesResponse {
            policies: policies.iter().map(policy_pb).collect(),
        }))
    }

    async fn get_policy(&self, request: Request<pb::GetPolicyRequest>) -> Reply<pb::Policy> {
        let p = self.principal(&request).await?;
        let id = policy_id("id", &request.get_ref().id)?;
        Ok(Response::new(policy_pb(
            &self.app.get_policy(&p, id).await?,
        )))
    }

    async fn create_policy(&self, request: Request<pb::CreatePolicyRequest>) -> Reply<pb::Policy> {
        let p = self.principal(&request).await?;
        p.require(Role::Admin)?;
        let r = request.into_inner();
        let m = Mutation::of("CreatePolicy", &r.request_id, &r)?;
        let input = policy_input(r.policy.as_ref())?;
        Ok(Response::new(
            self.app.create_policy(&p, &m, input, policy_pb).await?,
        ))
    }

    async fn update_policy(&self, request: Request<pb::UpdatePolicyRequest>) -> Reply<pb::Policy> {
        let p = self.principal(&request).await?;
        p.require(Role::Admin)?;
        let r = request.into_inner();
        let m = Mutation::of("UpdatePolicy", &r.request_id, &r)?;
        let id = policy_id(
            "policy.id",
            r.policy.as_ref().map(|p| p.id.as_str()).unwrap_or_default(),
        )?;
        let input = policy_input(r.policy.as_ref())?;
        Ok(Response::new(
            self.app
                .update_policy(&p, &m, id, &r.etag, input, policy_pb)
                .await?,
        ))
    }

    async fn delete_policy(
        &self,
        request: Request<pb::DeletePolicyRequest>,
    ) -> Reply<pb::DeletePolicyResponse> {
        let p = self.principal(&request).await?;
        p.require(Role::Admin)?;
        let r = request.into_inner();
        let m = Mutation::of("DeletePolicy", &r.request_id, &r)?;
        let id = policy_id("id", &r.id)?;
        Ok(Response::new(
            self.app
                .delete_policy(&p, &m, id, &r.etag, || pb::DeletePolicyResponse {})
                .await?,
        ))
    }
}

fn task_kind_pb(kind: &str) -> pb::TaskKind {
    match kind {
        "phone_call" => pb::TaskKind::PhoneCall,
        "visit" => pb::TaskKind::Visit,
        "legal_review" => pb::TaskKind::LegalReview,
        "step_review" => pb::TaskKind::StepReview,
        "declare_claim" => pb::TaskKind::DeclareClaim,
        "limitation_review" => pb::TaskKind::LimitationReview,
        _ => pb::TaskKind::Unspecified,
    }
}

fn outcome_pb(o: &str) -> pb::TaskOutcome {
    match TaskOutcome::parse(o) {
        Some(TaskOutcome::Reached) => pb::TaskOutcome::Reached,
        Some(TaskOutcome::NoAnswer) => pb::TaskOutcome::NoAnswer,
        Some(TaskOutcome::LeftMessage) => pb::TaskOutcome::LeftMessage,
        Some(TaskOutcome::Refused) => pb::TaskOutcome::Refused,
        Some(TaskOutcome::WrongContact) => pb::TaskOutcome::WrongContact,
        Some(TaskOutcome::HandedOver) => pb::TaskOutcome::HandedOver,
        Some(TaskOutcome::NotPursued) => pb::TaskOutcome::NotPursued,
        Some(TaskOutcome::Done) => pb::TaskOutcome::Done,
        None => pb::TaskOutcome::Unspecified,
    }
}

fn outcome_from(v: i32) -> Option<TaskOutcome> {
    Some(match pb::TaskOutcome::try_from(v).ok()? {
        pb::TaskOutcome::Unspecified => return None,
        pb::TaskOutcome::Reached => TaskOutcome::Reached,
        pb::TaskOutcome::NoAnswer => TaskOutcome::NoAnswer,
        pb::TaskOutcome::LeftMessage => TaskOutcome::LeftMessage,
        pb::TaskOutcome::Refused => TaskOutcome::Refused,
        pb::TaskOutcome::WrongContact => TaskOutcome::WrongContact,
        pb::TaskOutcome::HandedOver => TaskOutcome::HandedOver,
        pb::TaskOutcome::NotPursued => TaskOutcome::NotPursued,
        pb::TaskOutcome::Done => TaskOutcome::Done,
    })
}

fn task_pb(t: &TaskRow) -> pb::Task {
    pb::Task {
        id: t.id.to_string(),
        claim_id: t.claim_id.to_string(),
        kind: task_kind_pb(&t.kind) as i32,
        step_index: t.step_index.unwrap_or(-1),
        assignee: t.assignee.clone(),
        title: t.title.clone(),
        details: t.details.clone(),
        due_time: Some(timestamp(t.due_at)),
        done: t.status == "done",
        outcome: t.outcome.as_deref().map(outcome_pb).unwrap_or_default() as i32,
        outcome_note: t.outcome_note.clone().unwrap_or_default(),
        complete_time: t.completed_at.map(timestamp),
        etag: etag(t.version),
        create_time: Some(timestamp(t.created_at)),
    }
}

#[tonic::async_trait]
impl TaskService for Api {
    async fn list_tasks(
        &self,
        request: Request<pb::ListTasksRequest>,
    ) -> Reply<pb::ListTasksResponse> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let mut v = Violations::default();
        let due_before = r
            .due_before
            .as_ref()
            .and_then(|t| from_timestamp(&mut v, "due_before", t));
        // Reported with the other bad fields, all at once.
        let claim_id = claim_filter(&r.claim_id).unwrap_or_else(|_| {
            v.add("claim_id", "must be a UUID");
            None
        });
        v.finish()?;
        let filter = TaskFilter {
            assignee: Some(r.assignee.trim().to_owned()).filter(|a| !a.is_empty()),
            due_before,
            claim_id,
            include_done: r.include_done,
        };
        let (tasks, next_page_token) = self
            .app
            .list_tasks(&p, filter, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListTasksResponse {
            tasks: tasks.iter().map(task_pb).collect(),
            next_page_token,
        }))
    }

    async fn complete_task(&self, request: Request<pb::CompleteTaskRequest>) -> Reply<pb::Task> {
        let p = self.principal(&request).await?;
        p.require(Role::Agent)?;
        let r = request.into_inner();
        let m = Mutation::of("CompleteTask", &r.request_id, &r)?;
        let id =
            TaskId::parse(r.id.trim()).ok_or_else(|| AppError::invalid("id", "must be a UUID"))?;
        let outcome = outcome_from(r.outcome)
            .ok_or_else(|| AppError::invalid("outcome", "is required (a TASK_OUTCOME_… value)"))?;
        Ok(Response::new(
            self.app
                .complete_task(
                    &p,
                    &m,
                    id,
                    TaskCompletion {
                        outcome,
                        note: r.note.trim().to_owned(),
                        etag: r.etag.clone(),
                    },
                    task_pb,
                )
                .await?,
        ))
    }
}

#[tonic::async_trait]
impl SchedulerService for Api {
    async fn run_due_actions(
        &self,
        request: Request<pb::RunDueActionsRequest>,
    ) -> Reply<pb::RunDueActionsResponse> {
        let p = self.principal(&request).await?;
        p.require(Role::Operator)?;
        let r = request.into_inner();
        let mut v = Violations::default();
        let as_of = match &r.as_of {
            Some(t) => from_timestamp(&mut v, "as_of", t),
            None => Some(self.app.now().at),
        };
        if r.batch_size < 0 {
            v.add("batch_size", "must not be negative");
        }
        v.finish()?;
        let as_of = as_of.ok_or_else(|| AppError::invalid("as_of", "is invalid"))?;
        let batch = if r.batch_size == 0 {
            200
        } else {
            i64::from(r.batch_size)
        };
        let report = self.app.run_due_actions(as_of, batch).await?;
        Ok(Response::new(pb::RunDueActionsResponse {
            claims: report.claims as i64,
            steps_performed: report.performed as i64,
            steps_skipped: report.skipped as i64,
            steps_blocked: report.blocked as i64,
            documents: report.documents as i64,
            tasks: report.tasks as i64,
            messages: report.messages as i64,
            limitation_tasks: report.limitation_tasks as i64,
            quarantined: report.quarantined as i64,
        }))
    }
}

fn dispatch_pb(status: &str) -> pb::DispatchStatus {
    match status {
        "pending" => pb::DispatchStatus::Pending,
        "sent" => pb::DispatchStatus::Sent,
        "failed" => pb::DispatchStatus::Failed,
        _ => pb::DispatchStatus::Unspecified,
    }
}

fn message_pb(m: &OutboxRow) -> pb::OutboxMessage {
    pb::OutboxMessage {
        id: m.id.to_string(),
        claim_id: m.claim_id.to_string(),
        channel: m.channel.clone(),
        recipient: m.recipient.clone(),
        subject: m.subject.clone(),
        body: m.body.clone(),
        language_code: m.language.clone(),
        status: dispatch_pb(&m.status) as i32,
        attempts: m.attempts,
        last_error: m.last_error.clone().unwrap_or_default(),
        provider_reference: m.provider_ref.clone().unwrap_or_default(),
        create_time: Some(timestamp(m.created_at)),
        update_time: Some(timestamp(m.updated_at)),
    }
}

#[tonic::async_trait]
impl OutboxService for Api {
    async fn list_outbox_messages(
        &self,
        request: Request<pb::ListOutboxMessagesRequest>,
    ) -> Reply<pb::ListOutboxMessagesResponse> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let status = match pb::DispatchStatus::try_from(r.status) {
            Ok(pb::DispatchStatus::Unspecified) => None,
            Ok(pb::DispatchStatus::Pending) => Some(DispatchStatus::Pending),
            Ok(pb::DispatchStatus::Sent) => Some(DispatchStatus::Sent),
            Ok(pb::DispatchStatus::Failed) => Some(DispatchStatus::Failed),
            Err(_) => {
                return Err(AppError::invalid("status", "is not a DispatchStatus value").into());
            }
        };
        let claim = claim_filter(&r.claim_id)?;
        let (messages, next_page_token) = self
            .app
            .list_outbox(&p, status, claim, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListOutboxMessagesResponse {
            messages: messages.iter().map(message_pb).collect(),
            next_page_token,
        }))
    }

    async fn report_dispatch(
        &self,
        request: Request<pb::ReportDispatchRequest>,
    ) -> Reply<pb::OutboxMessage> {
        let p = self.principal(&request).await?;
        p.require(Role::Agent)?;
        let r = request.into_inner();
        let m = Mutation::of("ReportDispatch", &r.request_id, &r)?;
        let id = uuid::Uuid::try_parse(r.id.trim())
            .map_err(|_| AppError::invalid("id", "must be a UUID"))?;
        let mut v = Violations::default();
        let status = match pb::DispatchStatus::try_from(r.status) {
            Ok(pb::DispatchStatus::Sent) => DispatchStatus::Sent,
            Ok(pb::DispatchStatus::Failed) => {
                if r.error.trim().is_empty() {
                    v.add("error", "is required when the dispatch failed");
                }
                DispatchStatus::Failed
            }
            _ => {
                v.add(
                    "status",
                    "must be DISPATCH_STATUS_SENT or DISPATCH_STATUS_FAILED",
                );
                DispatchStatus::Pending
            }
        };
        for (field, text) in [
            ("error", &r.error),
            ("provider_reference", &r.provider_reference),
        ] {
            if let Some(problem) = recouvre_domain::claim::text_problem(text) {
                v.add(field, problem);
            } else if text.chars().count() > 2000 {
                v.add(field, "must be at most 2000 characters");
            }
        }
        v.finish()?;
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Response::new(
            self.app
                .report_dispatch(
                    &p,
                    &m,
                    id,
                    DispatchReport {
                        status,
                        provider_ref: some(&r.provider_reference),
                        error: some(&r.error),
                    },
                    message_pb,
                )
                .await?,
        ))
    }
}

/// Events per query of the stream.
const STREAM_BATCH: i64 = 500;
/// How long the stream waits before looking for new events once caught up.
const STREAM_POLL: std::time::Duration = std::time::Duration::from_millis(250);

#[tonic::async_trait]
impl EventService for Api {
    type StreamEventsStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<pb::StreamEventsResponse, Status>> + Send>,
    >;

    async fn stream_events(
        &self,
        request: Request<pb::StreamEventsRequest>,
    ) -> Reply<Self::StreamEventsStream> {
        let p = self.principal(&request).await?;
        p.require(Role::Legal)?;
        let r = request.into_inner();
        let mut cursor = stream_cursor::decode(&r.cursor)?;
        let claim = claim_filter(&r.claim_id)?;
        // The first batch is read here, so a refusal (a dead database) is the call's status.
        let first = self
            .app
            .stream_batch(&p, cursor, claim, STREAM_BATCH)
            .await?;
        let (tx, rx) = tokio::sync::mpsc::channel(STREAM_BATCH as usize);
        let app = self.app.clone();
        tokio::spawn(async move {
            let mut batch = first;
            loop {
                let full = batch.len() as i64 == STREAM_BATCH;
                for (at, event) in batch {
                    cursor = at;
                    let item = pb::StreamEventsResponse {
                        event: Some(event_pb(&event)),
                        cursor: stream_cursor::encode(at),
                    };
                    if tx.send(Ok(item)).await.is_err() {
                        return; // the client went away
                    }
                }
                if !full {
                    tokio::select! {
                        () = tokio::time::sleep(STREAM_POLL) => {}
                        () = tx.closed() => return,
                    }
                }
                batch = match app.stream_batch(&p, cursor, claim, STREAM_BATCH).await {
                    Ok(next) => next,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

/// An optional `claim_id` filter: empty is none, anything else must be a UUID.
fn claim_filter(raw: &str) -> Result<Option<ClaimId>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    ClaimId::parse(raw)
        .map(Some)
        .ok_or_else(|| AppError::invalid("claim_id", "must be a UUID"))
}
