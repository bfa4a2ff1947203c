//! The scheduler: performs the steps of the claims' escalation policies when they fall due.
//!
//! A batch locks due claims across tenants with `FOR UPDATE SKIP LOCKED`, so concurrent
//! workers (threads or replicas) never take the same claim; each claim's step is decided by
//! the pure domain ([`Claim::due_step`] / [`Claim::complete_step`]), its letter rendered
//! through the configured renderer, its task or outbox message written, and everything —
//! claim, events, document, task, message — saved in the batch's transaction. A claim is done
//! at most once per step: the row lock excludes other workers until commit, and after commit
//! the claim's position in its policy has moved on (the database's unique (claim, step, kind)
//! keys on tasks and messages check it again).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Days, Utc};
use diesel_async::{AnsiTransactionManager, TransactionManager};
use recouvre_docs::{DocumentKind, Language};
use recouvre_domain::automation::{DebtorFacts, DueStep, HandoffReadiness, StepOutput};
use recouvre_domain::calendar::{morning_in_paris, next_calling_slot};
use recouvre_domain::events::seal;
use recouvre_domain::policy::{BuiltinPolicy, Policy, StepAction};
use recouvre_domain::rates::RateTable;
use recouvre_domain::task::TaskKind;
use recouvre_domain::{
    Claim, ClaimError, ClaimEvent, Creditor, Debtor, DebtorKind, Now, StoredEvent, TaskId, TenantId,
};
use recouvre_store::claims::{
    ScheduledChange, list_events, lock_due_claims, save_scheduled_changes,
};
use recouvre_store::documents::{
    NewDocument, first_agency_letter, insert_documents, list_documents,
};
use recouvre_store::outbox::{OutboxRow, insert_messages};
use recouvre_store::parties::{creditors_by_ids, debtors_by_ids};
use recouvre_store::policies::{ensure_builtin_policies, policies_of_tenants};
use recouvre_store::tasks::{QuarantineTask, TaskRow, insert_tasks, quarantine_claim};
use recouvre_store::{Conn, PooledConn};
use uuid::Uuid;

use super::documents::{
    DocumentInputs, PreparedDocument, TenantDocs, debtor_language, prepare_document,
};
use super::renderer::{Rendered, render_text_here};
use super::valuation::value;
use super::{App, AppError, now_facts};

/// Default horizon of the limitation watch: a review task three months before a deadline
/// leaves time for an acknowledgment or a court action (C. civ. 2240–2241).
pub const LIMITATION_WATCH_DAYS: i32 = 90;

/// Who the timeline says acted.
pub const SCHEDULER_ACTOR: &str = "scheduler";

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Claims looked at.
    pub claims: u64,
    /// Steps performed.
    pub performed: u64,
    /// Steps skipped (conditions, stage passed, no e-mail or phone).
    pub skipped: u64,
    /// Steps that could not run (a rate not published, data missing): a review task is
    /// created and the claim looked at again the next morning.
    pub blocked: u64,
    /// Letters generated.
    pub documents: u64,
    /// Tasks created.
    pub tasks: u64,
    /// E-mails and SMS queued.
    pub messages: u64,
    /// Limitation-review tasks created (deadlines within the watch's horizon).
    pub limitation_tasks: u64,
    /// Claims set aside because they failed even alone ([`App::run_due_actions`]).
    pub quarantined: u64,
}

impl PassReport {
    fn add(&mut self, other: PassReport) {
        self.claims += other.claims;
        self.performed += other.performed;
        self.skipped += other.skipped;
        self.blocked += other.blocked;
        self.documents += other.documents;
        self.tasks += other.tasks;
        self.messages += other.messages;
        self.limitation_tasks += other.limitation_tasks;
        self.quarantined += other.quarantined;
    }
}

/// The worker `serve` runs: a pass every `interval`, for ever. A failed pass (database down,
/// renderer down) is logged and retried at the next tick; its batch was rolled back.
pub async fn run_scheduler(app: App, interval: Duration, batch_size: i64) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let at = app.now().at;
        match app.run_due_actions(at, batch_size).await {
            Ok(report) if report.claims > 0 => tracing::info!(
                claims = report.claims,
                performed = report.performed,
                skipped = report.skipped,
                blocked = report.blocked,
                "scheduler pass"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "scheduler pass failed; retrying at the next tick")
            }
        }
    }
}

/// One due claim going through a batch.
struct Work {
    tenant: TenantId,
    claim: Claim,
    policy: Policy,
    events: Vec<ClaimEvent>,
    due: Option<DueStep>,
    prepared: Option<PreparedDocument>,
    rendered: Option<Rendered>,
    text: Option<recouvre_docs::RenderedText>,
    blocked: Option<String>,
}

/// The longest a scheduler batch may wait for its documents before giving up (and rolling
/// back): a stuck sidecar must not hold claim locks for ever.
const RENDER_TIMEOUT: Duration = Duration::from_secs(120);

impl App {
    /// Performs every step due at `as_of`, batch after batch, until none is left. Steps are
    /// dated `as_of`; it must not be in the past (a timeline is never backdated).
    pub async fn run_due_actions(
        &self,
        as_of: DateTime<Utc>,
        batch_size: i64,
    ) -> Result<PassReport, AppError> {
        let now = self.now();
        if as_of < now.at - chrono::Duration::minutes(1) {
            return Err(AppError::invalid(
                "as_of",
                "must not be in the past: steps are dated when they run",
            ));
        }
        let mut report = PassReport::default();
        {
            let mut conn = self.conn().await?;
            let today = now_facts(as_of).today;
            report.limitation_tasks = recouvre_store::tasks::watch_limitation(
                &mut conn,
                today,
                self.limitation_watch_days,
                as_of,
            )
            .await? as u64;
            // Claims created on a debtor already in proceedings are declared too.
            report.tasks += recouvre_store::tasks::ensure_declaration_tasks(&mut conn, None, as_of)
                .await? as u64;
        }
        let limit = batch_size.clamp(1, 1000);
        loop {
            let mut locked = Vec::new();
            match self.run_batch(as_of, limit, None, &mut locked).await {
                Ok(batch) if batch.claims == 0 => break,
                Ok(batch) => report.add(batch),
                Err(e) if locked.is_empty() || !claim_may_be_at_fault(&e) => return Err(e),
                Err(e) => {
                    // One bad claim must not hold back the others of its batch for ever:
                    // the batch was rolled back whole; retry its claims one by one and set
                    // aside the one that fails alone.
                    tracing::warn!(error = %e, claims = locked.len(), "scheduler batch failed; retrying its claims one by one");
                    for id in locked {
                        report.add(self.run_claim_alone(as_of, id).await?);
                    }
                }
            }
        }
        Ok(report)
    }

    /// One claim of a failed batch in its own transaction; set aside if it fails again.
    async fn run_claim_alone(
        &self,
        as_of: DateTime<Utc>,
        id: Uuid,
    ) -> Result<PassReport, AppError> {
        let mut locked = Vec::new();
        match self.run_batch(as_of, 1, Some(&[id]), &mut locked).await {
            Ok(report) => Ok(report),
            Err(e) if !claim_may_be_at_fault(&e) => Err(e),
            Err(e) => {
                tracing::error!(claim = %id, error = %e, "claim fails the scheduler even alone; set aside until the next morning");
                let details = format!(
                    "Le planificateur n'a pas pu traiter ce dossier ; il le reprendra le matin suivant : {e}"
                );
                let review = QuarantineTask {
                    kind: TaskKind::StepReview.as_str(),
                    assignee: TaskKind::StepReview.default_assignee(),
                    title_prefix: &format!("{} — dossier ", title_of(TaskKind::StepReview)),
                    details: &details,
                };
                let today = now_facts(as_of).today;
                let mut conn = self.conn().await?;
                let set_aside = quarantine_claim(
                    &mut conn,
                    id,
                    as_of,
                    morning_in_paris(today + Days::new(1)),
                    review,
                )
                .await?;
                Ok(PassReport {
                    claims: 1,
                    quarantined: u64::from(set_aside),
                    ..PassReport::default()
                })
            }
        }
    }

    /// One batch in one transaction (`only`: these claims). The claims it locked are pushed
    /// to `locked`, so a caller knows them when it fails.
    async fn run_batch(
        &self,
        as_of: DateTime<Utc>,
        limit: i64,
        only: Option<&[Uuid]>,
        locked: &mut Vec<Uuid>,
    ) -> Result<PassReport, AppError> {
        let now = now_facts(as_of);
        let rates = self.rates().await?;
        let mut conn: PooledConn = self.conn().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn).await?;
        let result = self
            .batch(&mut conn, now, &rates, limit, only, locked)
            .await;
        match result {
            Ok(report) => {
                AnsiTransactionManager::commit_transaction(&mut *conn).await?;
                Ok(report)
            }
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *conn).await;
                Err(e)
            }
        }
    }

    async fn batch(
        &self,
        conn: &mut Conn,
        now: Now,
        rates: &RateTable,
        limit: i64,
        only: Option<&[Uuid]>,
        locked: &mut Vec<Uuid>,
    ) -> Result<PassReport, AppError> {
        let due = lock_due_claims(conn, now.at, limit, only, locked).await?;
        let mut report = PassReport {
            claims: due.len() as u64,
            ..PassReport::default()
        };
        if due.is_empty() {
            return Ok(report);
        }
        let policies = batch_policies(conn, &due, now).await?;
        let creditor_ids: Vec<Uuid> = due.iter().map(|(_, c)| c.creditor_id.0).collect();
        let debtor_ids: Vec<Uuid> = due.iter().map(|(_, c)| c.debtor_id.0).collect();
        let creditors = creditors_by_ids(conn, &creditor_ids).await?;
        let debtors = debtors_by_ids(conn, &debtor_ids).await?;
        let mut tenant_docs: HashMap<TenantId, TenantDocs> = HashMap::new();

        // Decide each claim's step and prepare what it renders.
        let mut works = Vec::with_capacity(due.len());
        for (tenant, mut claim) in due {
            let (Some(creditor), Some(debtor)) = (
                creditors.get(&claim.creditor_id.0),
                debtors.get(&claim.debtor_id.0),
            ) else {
                return Err(AppError::Store(recouvre_store::StoreError::Corrupt(
                    format!("claim {} names a missing party", claim.id),
                )));
            };
            let policy = policy_of(&policies, tenant, &claim, debtor.kind)?;
            let facts = DebtorFacts {
                kind: debtor.kind,
                has_email: !debtor.emails.is_empty(),
                has_phone: !debtor.phones.is_empty(),
            };
            let (events, mut due_step) = claim.due_step(&policy.steps, facts, now);
            let mut blocked = None;
            if let Some(step) = &due_step
                && step.step.action == StepAction::LegalReview
            {
                match claim.handoff_readiness(now.today) {
                    HandoffReadiness::Ready => {}
                    HandoffReadiness::DeliveryUnknown => {
                        blocked = Some(
                            "the formal notice's delivery is not recorded (RecordFormalNoticeDelivery): the dossier proves it and the debtor's deadline runs from its receipt"
                                .to_owned(),
                        );
                    }
                    HandoffReadiness::DeadlineRunning(deadline) => {
                        claim.defer_step(morning_in_paris(deadline + Days::new(1)), now);
                        due_step = None;
                    }
                }
            }
            let mut work = Work {
                tenant,
                claim,
                policy,
                events,
                due: due_step,
                prepared: None,
                rendered: None,
                text: None,
                blocked,
            };
            if let Some(step) = work.due.clone()
                && work.blocked.is_none()
                && let Some(kind) = document_kind(&step, &work, conn, &mut tenant_docs).await?
            {
                match self
                    .prepare(
                        conn,
                        &work,
                        kind,
                        creditor,
                        debtor,
                        &tenant_docs,
                        rates,
                        now,
                    )
                    .await?
                {
                    Ok(prepared) => work.prepared = Some(prepared),
                    Err(reason) => work.blocked = Some(reason),
                }
            }
            works.push(work);
        }

        // Render: letters concurrently on the blocking pool (or the sidecar), texts here.
        let renderer = &self.renderer;
        let renders = futures::future::join_all(works.iter().map(|w| async move {
            match &w.prepared {
                Some(p) if p.kind.is_pdf() => Some(p.render(renderer).await),
                _ => None,
            }
        }));
        let renders = tokio::time::timeout(RENDER_TIMEOUT, renders)
            .await
            .map_err(|_| AppError::RendererUnavailable("the batch's letters timed out".into()))?;
        for (work, rendered) in works.iter_mut().zip(renders) {
            match rendered {
                Some(Ok(r)) => work.rendered = Some(r),
                Some(Err(AppError::RendererUnavailable(cause))) => {
                    // The renderer being down is not the claim's fault: roll back and retry.
                    return Err(AppError::RendererUnavailable(cause));
                }
                Some(Err(e)) => work.blocked = Some(blocked_reason(&e)),
                None => {
                    if let Some(p) = &work.prepared
                        && !p.kind.is_pdf()
                    {
                        match render_text_here(p.kind, p.language, &p.data, p.template.as_deref()) {
                            Ok(text) => work.text = Some(text),
                            Err(e) => work.blocked = Some(e.to_string()),
                        }
                    }
                }
            }
        }

        // Complete each step and collect the rows.
        let mut documents: Vec<NewDocument> = Vec::new();
        let mut tasks: Vec<TaskRow> = Vec::new();
        let mut messages: Vec<OutboxRow> = Vec::new();
        let mut sealed: Vec<(TenantId, Claim, Vec<StoredEvent>, Option<chrono::NaiveDate>)> =
            Vec::with_capacity(works.len());
        for work in works {
            let Work {
                tenant,
                mut claim,
                policy,
                mut events,
                due,
                prepared,
                rendered,
                text,
                blocked,
            } = work;
            report.skipped += events
                .iter()
                .filter(|e| matches!(e, ClaimEvent::StepSkipped { .. }))
                .count() as u64;
            if let Some(step) = due {
                let debtor = &debtors[&claim.debtor_id.0];
                let before = value(&claim, rates, now.today);
                let outcome = match blocked {
                    Some(reason) => Err(reason),
                    None => perform(
                        tenant,
                        &claim,
                        &step,
                        debtor,
                        prepared,
                        rendered,
                        text,
                        now,
                        &mut documents,
                        &mut tasks,
                        &mut messages,
                    ),
                };
                let completed = outcome.and_then(|output| {
                    claim
                        .complete_step(
                            &policy.steps,
                            step.index,
                            output,
                            before.limitation_deadline,
                            now,
                        )
                        .map_err(|e| match e {
                            ClaimError::LimitationExpired { deadline } => format!(
                                "limitation expired on {deadline}: no court action on a time-barred claim (C. civ. art. 2219)"
                            ),
                            other => other.to_string(),
                        })
                });
                match completed {
                    Ok(more) => {
                        report.performed += 1;
                        events.extend(more);
                    }
                    Err(reason) => {
                        // The rows the step would have written go with it.
                        documents.retain(|d| d.claim_id != claim.id.0);
                        tasks.retain(|t| t.claim_id != claim.id.0);
                        messages.retain(|m| m.claim_id != claim.id.0);
                        report.blocked += 1;
                        tasks.push(review_task(tenant, &claim, &step, &reason, now));
                        if reason.starts_with("limitation expired") {
                            claim.halt_automation(now);
                        } else {
                            claim.defer_step(morning_in_paris(now.today + Days::new(1)), now);
                        }
                    }
                }
            }
            // Termination: whatever happened, the claim is not due again in this pass.
            if claim.next_action_at.is_some_and(|at| at <= now.at) {
                tracing::warn!(claim = %claim.id, "claim still due after its pass; put off an hour");
                claim.defer_step(now.at + chrono::Duration::hours(1), now);
            }
            if events.is_empty() {
                sealed.push((tenant, claim, Vec::new(), None));
                continue;
            }
            let (stored, version, head) = seal(
                claim.id,
                claim.version,
                claim.head_hash,
                &events,
                SCHEDULER_ACTOR,
                now.at,
            );
            claim.version = version;
            claim.head_hash = head;
            let after = value(&claim, rates, now.today);
            sealed.push((tenant, claim, stored, after.limitation_deadline));
        }
        report.documents = documents.len() as u64;
        report.tasks = tasks.len() as u64;
        report.messages = messages.len() as u64;
        let changes: Vec<ScheduledChange<'_>> = sealed
            .iter()
            .map(|(tenant, claim, events, deadline)| ScheduledChange {
                tenant: *tenant,
                claim,
                events,
                limitation_deadline: *deadline,
            })
            .collect();
        save_scheduled_changes(conn, &changes).await?;
        insert_documents(conn, &documents).await?;
        insert_tasks(conn, &tasks).await?;
        insert_messages(conn, &messages).await?;
        Ok(report)
    }

    /// Builds a step's document data; `Ok(Err(reason))` when the step cannot run now.
    #[allow(clippy::too_many_arguments)]
    async fn prepare(
        &self,
        conn: &mut Conn,
        work: &Work,
        kind: DocumentKind,
        creditor: &Creditor,
        debtor: &Debtor,
        tenant_docs: &HashMap<TenantId, TenantDocs>,
        rates: &RateTable,
        now: Now,
    ) -> Result<Result<PreparedDocument, String>, AppError> {
        let claim = &work.claim;
        let valuation = value(claim, rates, now.today);
        let statement = match &valuation.statement {
            Ok(s) => s,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let Some(tenant) = tenant_docs.get(&work.tenant) else {
            return Ok(Err("tenant documents not loaded".into()));
        };
        // The dossier lists the timeline and the earlier documents; other kinds need neither.
        let (events, earlier) = if kind == DocumentKind::BailiffDossier {
            (
                list_events(conn, work.tenant, claim.id, 0, None).await?,
                list_documents(conn, work.tenant, claim.id, None, 10_000).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let first_letter = if tenant.is_agency() && kind.is_pdf() {
            first_agency_letter(conn, work.tenant, claim.debtor_id).await?
        } else {
            None
        };
        let language: Language = debtor_language(debtor);
        Ok(prepare_document(
            claim,
            kind,
            language,
            DocumentInputs {
                creditor,
                debtor,
                statement,
                events: &events,
                earlier: &earlier,
                tenant,
                first_letter,
                signatory: default_signatory(creditor, language),
            },
            now.today,
        )
        .map_err(|e| blocked_reason(&e)))
    }
}

/// The policies of the batch's tenants, creating the built-in defaults of a tenant that has
/// none yet (one made before they existed).
async fn batch_policies(
    conn: &mut Conn,
    due: &[(TenantId, Claim)],
    now: Now,
) -> Result<Vec<(TenantId, Policy)>, AppError> {
    let mut tenants: Vec<Uuid> = due.iter().map(|(t, _)| t.0).collect();
    tenants.sort_unstable();
    tenants.dedup();
    let mut policies = policies_of_tenants(conn, &tenants).await?;
    let mut missing = false;
    for t in &tenants {
        if !policies
            .iter()
            .any(|(pt, p)| pt.0 == *t && p.builtin.is_some())
        {
            ensure_builtin_policies(conn, TenantId(*t), now.at).await?;
            missing = true;
        }
    }
    if missing {
        policies = policies_of_tenants(conn, &tenants).await?;
    }
    Ok(policies)
}

/// The claim's policy: its own, else its tenant's default for the debtor's kind.
fn policy_of(
    policies: &[(TenantId, Policy)],
    tenant: TenantId,
    claim: &Claim,
    kind: DebtorKind,
) -> Result<Policy, AppError> {
    let wanted = BuiltinPolicy::for_debtor(kind);
    policies
        .iter()
        .find(|(t, p)| {
            *t == tenant
                && match claim.automation.policy_id {
                    Some(id) => p.id == id,
                    None => p.builtin == Some(wanted),
                }
        })
        .map(|(_, p)| p.clone())
        .ok_or_else(|| {
            AppError::Store(recouvre_store::StoreError::Corrupt(format!(
                "claim {} follows a missing policy",
                claim.id
            )))
        })
}

/// The document a step renders. An agency's first letter to a debtor must carry the R124-4
/// mentions: a warning-letter step sends the agency's first letter when none was sent yet.
async fn document_kind(
    step: &DueStep,
    work: &Work,
    conn: &mut Conn,
    tenant_docs: &mut HashMap<TenantId, TenantDocs>,
) -> Result<Option<DocumentKind>, AppError> {
    let Some(name) = step.step.document_kind() else {
        return Ok(None);
    };
    let Ok(mut kind) = name.parse::<DocumentKind>() else {
        return Err(AppError::Store(recouvre_store::StoreError::Corrupt(
            format!("policy {} names document kind {name}", work.policy.id),
        )));
    };
    if let std::collections::hash_map::Entry::Vacant(slot) = tenant_docs.entry(work.tenant) {
        slot.insert(TenantDocs::load(conn, work.tenant).await?);
    }
    if matches!(
        step.step.action,
        StepAction::WarningLetter1 | StepAction::WarningLetter2
    ) && tenant_docs[&work.tenant].is_agency()
        && first_agency_letter(conn, work.tenant, work.claim.debtor_id)
            .await?
            .is_none()
    {
        kind = DocumentKind::AgencyFirstLetter;
    }
    Ok(Some(kind))
}

/// Produces a step's output rows; `Err(reason)` when it cannot.
#[allow(clippy::too_many_arguments)]
fn perform(
    tenant: TenantId,
    claim: &Claim,
    step: &DueStep,
    debtor: &Debtor,
    prepared: Option<PreparedDocument>,
    rendered: Option<Rendered>,
    text: Option<recouvre_docs::RenderedText>,
    now: Now,
    documents: &mut Vec<NewDocument>,
    tasks: &mut Vec<TaskRow>,
    messages: &mut Vec<OutboxRow>,
) -> Result<StepOutput, String> {
    let mut output = StepOutput::default();
    let index = i32::try_from(step.index).unwrap_or(i32::MAX);
    match step.step.action {
        StepAction::EmailReminder | StepAction::SmsReminder => {
            let (Some(prepared), Some(text)) = (prepared, text) else {
                return Err("the message was not rendered".into());
            };
            let (channel, recipient) = if step.step.action == StepAction::EmailReminder {
                (
                    "email",
                    debtor.emails.first().map(|e| e.as_str().to_owned()),
                )
            } else {
                ("sms", debtor.phones.first().map(|p| p.as_str().to_owned()))
            };
            let recipient = recipient.ok_or("no address to send to")?;
            let id = Uuid::now_v7();
            messages.push(OutboxRow {
                id,
                tenant_id: tenant.0,
                claim_id: claim.id.0,
                channel: channel.to_owned(),
                recipient,
                subject: text.subject.unwrap_or_default(),
                body: text.body,
                language: prepared.language.as_str().to_owned(),
                step_index: Some(index),
                status: "pending".to_owned(),
                attempts: 0,
                last_error: None,
                provider_ref: None,
                created_at: now.at,
                updated_at: now.at,
            });
            output.message_id = Some(id);
        }
        StepAction::PhoneCallTask | StepAction::VisitTask => {
            let (kind, details) = if step.step.action == StepAction::PhoneCallTask {
                let script = text
                    .map(|t| t.body)
                    .ok_or("the call script was not rendered")?;
                (TaskKind::PhoneCall, script)
            } else {
                let address = debtor
                    .addresses
                    .first()
                    .map(|a| a.letter_lines().join("\n"))
                    .unwrap_or_default();
                (TaskKind::Visit, address)
            };
            // Consumers are called only inside the house calling windows (C. consom. D223-9
            // adopted as house rule, law-fr.md §5.3).
            let due_at = if kind == TaskKind::PhoneCall && debtor.kind == DebtorKind::Consumer {
                next_calling_slot(now.at)
            } else {
                now.at
            };
            let task = task_row(
                tenant,
                claim,
                kind,
                Some(index),
                title(kind, claim),
                details,
                due_at,
                now,
            );
            output.task_id = Some(TaskId(task.id));
            tasks.push(task);
        }
        StepAction::WarningLetter1
        | StepAction::WarningLetter2
        | StepAction::FormalNotice
        | StepAction::LegalReview => {
            let (Some(prepared), Some(rendered)) = (prepared, rendered) else {
                return Err("the letter was not rendered".into());
            };
            output.document = Some(prepared.generated(&rendered));
            documents.push(prepared.row(tenant, claim, rendered, now.at));
            if step.step.action == StepAction::LegalReview {
                let route = if claim.balance().amount() <= rust_decimal::Decimal::from(5000) {
                    "Principal ≤ 5 000 € : procédure simplifiée de recouvrement des petites créances (CPCE L125-1) ou injonction de payer (CPC art. 1405)."
                } else {
                    "Injonction de payer (CPC art. 1405) ; référé-provision si l'obligation n'est pas sérieusement contestable."
                };
                let task = task_row(
                    tenant,
                    claim,
                    TaskKind::LegalReview,
                    Some(index),
                    title(TaskKind::LegalReview, claim),
                    route.to_owned(),
                    now.at,
                    now,
                );
                output.task_id = Some(TaskId(task.id));
                tasks.push(task);
            }
        }
    }
    Ok(output)
}

fn title(kind: TaskKind, claim: &Claim) -> String {
    format!("{} — dossier {}", title_of(kind), claim.external_reference)
}

/// A task's title, before the claim's reference.
fn title_of(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::PhoneCall => "Appeler le débiteur",
        TaskKind::Visit => "Visite au débiteur",
        TaskKind::LegalReview => "Revue juridique et transmission au commissaire de justice",
        TaskKind::StepReview => "Étape de relance bloquée",
        TaskKind::DeclareClaim => "Déclarer la créance au mandataire judiciaire",
        TaskKind::LimitationReview => "Prescription proche",
    }
}

/// Whether a failed batch may be the fault of one of its claims (rather than of the database
/// or the renderer being down, or a concurrent transaction, which retrying later fixes).
fn claim_may_be_at_fault(e: &AppError) -> bool {
    use recouvre_store::StoreError;
    !matches!(
        e,
        AppError::RendererUnavailable(_)
            | AppError::Store(StoreError::Unavailable(_) | StoreError::Conflict)
    )
}

#[allow(clippy::too_many_arguments)]
fn task_row(
    tenant: TenantId,
    claim: &Claim,
    kind: TaskKind,
    step_index: Option<i32>,
    title: String,
    details: String,
    due_at: DateTime<Utc>,
    now: Now,
) -> TaskRow {
    TaskRow {
        id: Uuid::now_v7(),
        tenant_id: tenant.0,
        claim_id: claim.id.0,
        kind: kind.as_str().to_owned(),
        step_index,
        assignee: kind.default_assignee().to_owned(),
        title,
        details,
        due_at,
        status: "open".to_owned(),
        outcome: None,
        outcome_note: None,
        completed_at: None,
        completed_by: None,
        version: 1,
        created_at: now.at,
    }
}

/// The task asking a human to unblock a step.
fn review_task(tenant: TenantId, claim: &Claim, step: &DueStep, reason: &str, now: Now) -> TaskRow {
    task_row(
        tenant,
        claim,
        TaskKind::StepReview,
        Some(i32::try_from(step.index).unwrap_or(i32::MAX)),
        title(TaskKind::StepReview, claim),
        format!(
            "L'étape {} ({}) n'a pas pu être exécutée : {reason}",
            step.index + 1,
            step.step.action.as_str()
        ),
        now.at,
        now,
    )
}

/// Who signs the letters the scheduler sends: the creditor's legal representative (named in
/// the dossier too). Without one, a formal notice or dossier is refused by name
/// (`signatory`), the step is blocked and its review task says so.
fn default_signatory(creditor: &Creditor, language: Language) -> Option<recouvre_docs::Signatory> {
    let name = creditor.legal_representative.trim();
    (!name.is_empty()).then(|| recouvre_docs::Signatory {
        name: name.to_owned(),
        title: match language {
            Language::Fr => "Pour le créancier",
            Language::En => "For the creditor",
        }
        .to_owned(),
    })
}

/// Why a step could not run, for the review task: the fields a letter lacks by name.
fn blocked_reason(e: &AppError) -> String {
    match e {
        AppError::DocumentDataMissing(missing) => format!(
            "données manquantes pour le document : {}",
            missing
                .iter()
                .map(|(field, _)| field.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}
