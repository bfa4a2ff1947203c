//! Collection automation over the wire: the default policies' journeys from the due date to
//! the legal handoff with each document at its step, holds (dispute, promise) pausing and
//! resuming, Sundays and public holidays skipped, consumer calls inside the calling windows,
//! blocked steps asking for review, three concurrent workers performing each step once,
//! policies (validation, assignment, tenancy), tasks and the outbox.
//!
//! Time is the test's: the server's clock is moved to each claim's next action time and a
//! pass is run with `SchedulerService.RunDueActions` at that time.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use recouvre::api::pb;
use recouvre::api::pb::document_service_client::DocumentServiceClient;
use recouvre::api::pb::outbox_service_client::OutboxServiceClient;
use recouvre::api::pb::policy_service_client::PolicyServiceClient;
use recouvre::api::pb::scheduler_service_client::SchedulerServiceClient;
use recouvre::api::pb::task_service_client::TaskServiceClient;
use recouvre_domain::calendar::{in_calling_window, is_letter_day};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::support::*;

type Policies = PolicyServiceClient<InterceptedService<Channel, Auth>>;
type Tasks = TaskServiceClient<InterceptedService<Channel, Auth>>;
type Scheduler = SchedulerServiceClient<InterceptedService<Channel, Auth>>;
type Outbox = OutboxServiceClient<InterceptedService<Channel, Auth>>;

fn policies(app: &TestApp, key: &str) -> Policies {
    PolicyServiceClient::with_interceptor(app.channel.clone(), Auth(key.to_owned()))
}
fn tasks(app: &TestApp, key: &str) -> Tasks {
    TaskServiceClient::with_interceptor(app.channel.clone(), Auth(key.to_owned()))
}
fn scheduler(app: &TestApp, key: &str) -> Scheduler {
    SchedulerServiceClient::with_interceptor(app.channel.clone(), Auth(key.to_owned()))
}
fn outbox(app: &TestApp, key: &str) -> Outbox {
    OutboxServiceClient::with_interceptor(app.channel.clone(), Auth(key.to_owned()))
}

const TEST_SOURCE: &str = "Test figure, not a published rate";

/// Publishes test rates for 2026-S2 and 2027-S1 (the journeys run into January 2027).
async fn publish_rates(app: &TestApp) {
    let mut rates = app.rates(&app.operator().await);
    for effective in [date(2026, 7, 1), date(2027, 1, 1)] {
        rates
            .set_ecb_rate(pb::SetEcbRateRequest {
                request_id: new_request_id(),
                rate: Some(pb::EcbRate {
                    effective_date: Some(effective),
                    rate: "2.15".into(),
                    source: TEST_SOURCE.into(),
                }),
            })
            .await
            .expect("set ECB rate");
    }
    for semester in ["2026-S2", "2027-S1"] {
        rates
            .set_legal_interest_rate(pb::SetLegalInterestRateRequest {
                request_id: new_request_id(),
                rate: Some(pb::LegalInterestRate {
                    semester: semester.into(),
                    individual_rate: "6.50".into(),
                    other_rate: "2.50".into(),
                    source: TEST_SOURCE.into(),
                }),
            })
            .await
            .expect("set legal rate");
    }
}

/// An overdue claim: one invoice issued 2026-10-01, due 2026-11-02.
fn overdue_claim(creditor: &str, debtor: &str, amount: &str) -> pb::Claim {
    pb::Claim {
        creditor_id: creditor.into(),
        debtor_id: debtor.into(),
        external_reference: new_request_id(),
        currency_code: "EUR".into(),
        invoices: vec![pb::Invoice {
            number: "F-2026-0917".into(),
            issue_date: Some(date(2026, 10, 1)),
            service_completion_date: Some(date(2026, 10, 1)),
            due_date: Some(date(2026, 11, 2)),
            amount: Some(eur(amount)),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A creditor whose legal representative signs the formal notice and the dossier.
async fn creditor(app: &TestApp) -> pb::Creditor {
    creditor_of(app, &app.admin).await
}

async fn creditor_of(app: &TestApp, admin: &str) -> pb::Creditor {
    app.creditors(admin)
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(pb::Creditor {
                legal_representative: "Jeanne Durand, présidente".into(),
                ..sample_creditor()
            }),
        })
        .await
        .expect("create creditor")
        .into_inner()
}

async fn create(app: &TestApp, claim: pb::Claim) -> pb::Claim {
    app.claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(claim),
        })
        .await
        .expect("create claim")
        .into_inner()
}

/// A business debtor with its legal form (the bailiff dossier names it).
async fn business_debtor(app: &TestApp) -> pb::Debtor {
    app.debtors(&app.agent)
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(pb::Debtor {
                legal_form: "SARL".into(),
                ..sample_business_debtor()
            }),
        })
        .await
        .expect("create debtor")
        .into_inner()
}

async fn consumer_with_contacts(app: &TestApp) -> pb::Debtor {
    app.debtors(&app.agent)
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(pb::Debtor {
                emails: vec!["marie.martin@example.fr".into()],
                phones: vec!["06 12 34 56 78".into()],
                ..sample_consumer_debtor()
            }),
        })
        .await
        .expect("create debtor")
        .into_inner()
}

async fn get(app: &TestApp, id: &str) -> pb::Claim {
    app.claims(&app.agent)
        .get_claim(pb::GetClaimRequest { id: id.into() })
        .await
        .expect("get claim")
        .into_inner()
}

fn time_of(t: &prost_types::Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(t.seconds, t.nanos as u32).expect("timestamp")
}

fn paris_date(t: DateTime<Utc>) -> chrono::NaiveDate {
    t.with_timezone(&chrono_tz::Europe::Paris).date_naive()
}

/// Runs a pass at the server's current time with the operator key.
async fn pass(app: &TestApp, operator: &str) -> pb::RunDueActionsResponse {
    scheduler(app, operator)
        .run_due_actions(pb::RunDueActionsRequest::default())
        .await
        .expect("run due actions")
        .into_inner()
}

/// The claim's timeline as (kind name, payload).
async fn timeline(app: &TestApp, id: &str) -> Vec<(String, serde_json::Value, DateTime<Utc>)> {
    app.claims(&app.agent)
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: id.into(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("events")
        .into_inner()
        .events
        .into_iter()
        .map(|e| {
            (
                e.kind_name,
                serde_json::from_str(&e.payload_json).expect("payload json"),
                time_of(e.occur_time.as_ref().expect("time")),
            )
        })
        .collect()
}

/// The actions of the steps performed, in order, with the day each ran (Paris).
async fn steps_performed(app: &TestApp, id: &str) -> Vec<(String, chrono::NaiveDate)> {
    timeline(app, id)
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "step_performed")
        .map(|(_, p, at)| {
            (
                p["action"].as_str().unwrap_or_default().to_owned(),
                paris_date(at),
            )
        })
        .collect()
}

/// Moves the clock to each next action time of the claim and runs a pass, until the claim
/// has nothing scheduled. Returns the number of passes.
async fn run_to_end(app: &TestApp, operator: &str, id: &str) -> usize {
    for passes in 0..40 {
        let claim = get(app, id).await;
        let Some(next) = claim.next_action_time.as_ref().map(time_of) else {
            return passes;
        };
        if next > app.clock.now_at() {
            app.clock.set(next);
        }
        record_notice_receipt(app, &claim).await;
        pass(app, operator).await;
    }
    let tasks = all_tasks(app, id).await;
    panic!(
        "the claim is still scheduled after 40 passes: {:?}",
        tasks.iter().map(|t| &t.details).collect::<Vec<_>>()
    );
}

/// Once the formal notice is two days old, records its receipt (as the postal service's
/// acknowledgment would come back): the handoff waits for it and for the 8 days it gives.
async fn record_notice_receipt(app: &TestApp, claim: &pb::Claim) {
    if claim.state != pb::ClaimState::FormalNotice as i32 || claim.formal_notice.is_some() {
        return;
    }
    let sent = steps_performed(app, &claim.id)
        .await
        .into_iter()
        .find(|(a, _)| a == "formal_notice")
        .map(|(_, day)| day)
        .expect("formal notice step");
    let received = sent + chrono::Days::new(2);
    if paris_date(app.clock.now_at()) < received {
        return;
    }
    let d = |x: chrono::NaiveDate| date(x.year(), x.month() as i32, x.day() as i32);
    app.claims(&app.agent)
        .record_formal_notice_delivery(pb::RecordFormalNoticeDeliveryRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            etag: String::new(),
            delivery: Some(pb::FormalNoticeDelivery {
                sent_date: Some(d(sent)),
                receipt_date: Some(d(received)),
                tracking_number: "1A01234567890".into(),
            }),
        })
        .await
        .expect("record delivery");
}

async fn all_tasks(app: &TestApp, claim: &str) -> Vec<pb::Task> {
    tasks(app, &app.agent)
        .list_tasks(pb::ListTasksRequest {
            claim_id: claim.into(),
            include_done: true,
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("list tasks")
        .into_inner()
        .tasks
}

async fn documents_of(app: &TestApp, claim: &str) -> Vec<pb::Document> {
    DocumentServiceClient::with_interceptor(app.channel.clone(), Auth(app.agent.clone()))
        .list_documents(pb::ListDocumentsRequest {
            claim_id: claim.into(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("list documents")
        .into_inner()
        .documents
}

async fn messages_of(app: &TestApp, claim: &str) -> Vec<pb::OutboxMessage> {
    outbox(app, &app.agent)
        .list_outbox_messages(pb::ListOutboxMessagesRequest {
            claim_id: claim.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("list outbox")
        .into_inner()
        .messages
}

fn kind_names(docs: &[pb::Document]) -> Vec<String> {
    docs.iter()
        .map(|d| {
            pb::DocumentKind::try_from(d.kind)
                .map(|k| {
                    k.as_str_name()
                        .trim_start_matches("DOCUMENT_KIND_")
                        .to_lowercase()
                })
                .unwrap_or_default()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn b2b_default_policy_runs_from_due_date_to_legal_handoff() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "2400.00")).await;
    let builtin = policies(&app, &app.agent)
        .list_policies(pb::ListPoliciesRequest {})
        .await
        .expect("policies")
        .into_inner()
        .policies;
    let b2b = builtin
        .iter()
        .find(|p| p.builtin == "b2b")
        .expect("b2b policy");
    assert_eq!(
        claim.policy_id, b2b.id,
        "a business debtor's claim follows the B2B default"
    );
    assert_eq!(claim.next_step, 0);

    run_to_end(&app, &operator, &claim.id).await;

    let steps = steps_performed(&app, &claim.id).await;
    let actions: Vec<&str> = steps.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "email_reminder",
            "warning_letter_1",
            "phone_call_task",
            "warning_letter_2",
            "visit_task",
            "formal_notice",
            "legal_review"
        ]
    );
    // Each step waited at least its delay after the previous one, and none ran on a Sunday
    // or a public holiday.
    let delays = [8, 7, 8, 7, 7, 9];
    for (i, pair) in steps.windows(2).enumerate() {
        let gap = (pair[1].1 - pair[0].1).num_days();
        assert!(
            gap >= delays[i],
            "step {} came {gap} days after the previous",
            i + 1
        );
    }
    for (action, day) in &steps {
        assert!(
            is_letter_day(*day),
            "{action} ran on {day}, a Sunday or holiday"
        );
    }
    let claim = get(&app, &claim.id).await;
    assert_eq!(claim.state, pb::ClaimState::Legal as i32);
    assert!(
        claim.next_action_time.is_none(),
        "nothing is scheduled once handed over"
    );
    assert_eq!(claim.next_step, 7);

    // Each letter generated at its step, in order.
    let docs = documents_of(&app, &claim.id).await;
    assert_eq!(
        kind_names(&docs),
        [
            "warning_letter_1",
            "warning_letter_2",
            "formal_notice",
            "bailiff_dossier"
        ]
    );
    for (doc, (_, day)) in docs.iter().zip(steps.iter().filter(|(a, _)| {
        !matches!(
            a.as_str(),
            "email_reminder" | "phone_call_task" | "visit_task"
        )
    })) {
        assert_eq!(
            paris_date(time_of(doc.create_time.as_ref().expect("time"))),
            *day,
            "the document is dated the day of its step"
        );
        assert!(doc.size_bytes > 1000, "a real PDF");
    }
    // The e-mail is in the outbox, the call, the visit and the legal review are tasks.
    let messages = messages_of(&app, &claim.id).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].channel, "email");
    assert_eq!(messages[0].recipient, "compta@dupont-batiment.fr");
    assert_eq!(messages[0].status, pb::DispatchStatus::Pending as i32);
    assert!(!messages[0].subject.is_empty() && messages[0].body.contains("F-2026-0917"));
    let task_kinds: Vec<i32> = all_tasks(&app, &claim.id)
        .await
        .iter()
        .map(|t| t.kind)
        .collect();
    assert_eq!(
        task_kinds,
        [
            pb::TaskKind::PhoneCall as i32,
            pb::TaskKind::Visit as i32,
            pb::TaskKind::LegalReview as i32
        ]
    );
    // The timeline written by the scheduler still verifies.
    let verified = app
        .claims(&app.agent)
        .verify_claim_events(pb::VerifyClaimEventsRequest {
            claim_id: claim.id.clone(),
        })
        .await
        .expect("verify")
        .into_inner();
    assert!(verified.intact, "{verified:?}");
}

#[tokio::test]
async fn b2c_default_policy_calls_inside_the_windows_and_sends_no_visit() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = consumer_with_contacts(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "480.00")).await;
    // The call step falls on Saturday 5 December: outside the windows, so the task is due on
    // Monday at 10:00 Paris time.
    run_to_end(&app, &operator, &claim.id).await;
    let actions: Vec<String> = steps_performed(&app, &claim.id)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "email_reminder",
            "warning_letter_1",
            "phone_call_task",
            "sms_reminder",
            "warning_letter_2",
            "formal_notice",
            "legal_review"
        ]
    );
    let tasks = all_tasks(&app, &claim.id).await;
    let call = tasks
        .iter()
        .find(|t| t.kind == pb::TaskKind::PhoneCall as i32)
        .expect("call task");
    let due = time_of(call.due_time.as_ref().expect("due"));
    assert!(
        in_calling_window(due),
        "consumer call due at {due}, outside the windows"
    );
    assert!(
        call.details.contains("Marie"),
        "the task carries the call script"
    );
    assert!(!tasks.iter().any(|t| t.kind == pb::TaskKind::Visit as i32));
    let channels: Vec<String> = messages_of(&app, &claim.id)
        .await
        .into_iter()
        .map(|m| m.channel)
        .collect();
    assert_eq!(channels, ["email", "sms"]);
    assert_eq!(
        kind_names(&documents_of(&app, &claim.id).await),
        [
            "warning_letter_1",
            "warning_letter_2",
            "formal_notice",
            "bailiff_dossier"
        ]
    );
}

#[tokio::test]
async fn steps_the_debtor_cannot_receive_are_skipped_and_recorded() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    // No e-mail, no phone.
    let debtor = app
        .debtors(&app.agent)
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(sample_consumer_debtor()),
        })
        .await
        .expect("debtor")
        .into_inner();
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "300.00")).await;
    pass(&app, &operator).await;
    let events = timeline(&app, &claim.id).await;
    let skipped: Vec<(&str, &str)> = events
        .iter()
        .filter(|(k, _, _)| k == "step_skipped")
        .map(|(_, p, _)| {
            (
                p["action"].as_str().unwrap_or_default(),
                p["reason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(skipped, [("email_reminder", "no_email_address")]);
    // The skipped e-mail took no time: the first letter is planned 8 days after the due date
    // + 0, i.e. already due, so the same pass sent it.
    let performed = steps_performed(&app, &claim.id).await;
    assert_eq!(performed.len(), 1);
    assert_eq!(performed[0].0, "warning_letter_1");
}

#[tokio::test]
async fn a_dispute_pauses_the_policy_and_its_resolution_resumes_it() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "900.00")).await;
    pass(&app, &operator).await;
    assert_eq!(steps_performed(&app, &claim.id).await.len(), 1);
    let disputed = app
        .claims(&app.agent)
        .open_dispute(pb::OpenDisputeRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            reason: "Marchandise livrée incomplète".into(),
            ..Default::default()
        })
        .await
        .expect("open dispute")
        .into_inner();
    assert!(
        disputed.next_action_time.is_none(),
        "a dispute stops the schedule"
    );
    app.clock.advance_days(40);
    let report = pass(&app, &operator).await;
    assert_eq!(report.steps_performed, 0);
    assert_eq!(
        steps_performed(&app, &claim.id).await.len(),
        1,
        "nothing ran while disputed"
    );
    let resolved = app
        .claims(&app.agent)
        .resolve_dispute(pb::ResolveDisputeRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            resolution: pb::DisputeResolution::CreditorUpheld as i32,
            note: "Bon de livraison signé".into(),
            ..Default::default()
        })
        .await
        .expect("resolve")
        .into_inner();
    assert!(
        resolved.next_action_time.is_some(),
        "resolution resumes the schedule"
    );
    pass(&app, &operator).await;
    let steps = steps_performed(&app, &claim.id).await;
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[1].0, "warning_letter_1", "it resumes where it stood");
}

#[tokio::test]
async fn a_broken_promise_resumes_the_policy_where_it_stood() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "900.00")).await;
    pass(&app, &operator).await;
    let promised = app
        .claims(&app.agent)
        .record_promise_to_pay(pb::RecordPromiseToPayRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            amount: Some(eur("900.00")),
            due_date: Some(date(2026, 11, 30)),
            ..Default::default()
        })
        .await
        .expect("promise")
        .into_inner();
    // The letter planned for the 28th waits for the promise: the claim is looked at the
    // morning after its date.
    let next = time_of(promised.next_action_time.as_ref().expect("next"));
    assert_eq!(
        paris_date(next),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")
    );
    app.clock.set(
        Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
            .single()
            .expect("time"),
    );
    assert_eq!(
        pass(&app, &operator).await.steps_performed,
        0,
        "held by the promise"
    );
    app.clock.set(next);
    pass(&app, &operator).await;
    let kinds: Vec<String> = timeline(&app, &claim.id)
        .await
        .into_iter()
        .map(|(k, _, _)| k)
        .collect();
    let tail: Vec<&str> = kinds
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["promise_broken", "document_generated", "step_performed"]
    );
    assert_eq!(
        steps_performed(&app, &claim.id).await[1].0,
        "warning_letter_1"
    );
}

#[tokio::test]
async fn letters_are_not_dated_on_sundays_or_public_holidays() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    // One letter 9 days after the due date of 16 December: Christmas Day.
    let policy = policies(&app, &app.admin)
        .create_policy(pb::CreatePolicyRequest {
            request_id: new_request_id(),
            policy: Some(pb::Policy {
                name: "Lettre unique".into(),
                priority: 1,
                assignment: Some(pb::PolicyAssignment {
                    creditor_id: creditor.id.clone(),
                    ..Default::default()
                }),
                steps: vec![pb::PolicyStep {
                    action: pb::StepAction::WarningLetter1 as i32,
                    delay_days: 9,
                    from: pb::DelayFrom::DueDate as i32,
                    ..Default::default()
                }],
                ..Default::default()
            }),
        })
        .await
        .expect("create policy")
        .into_inner();
    let claim = app
        .claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(sample_claim(
                &creditor.id,
                &debtor.id,
                "NOEL-1",
                &["750.00"],
            )),
        })
        .await
        .expect("claim")
        .into_inner();
    assert_eq!(claim.policy_id, policy.id, "assigned by creditor");
    let planned = time_of(claim.next_action_time.as_ref().expect("planned"));
    assert_eq!(
        planned,
        Utc.with_ymd_and_hms(2026, 12, 25, 7, 0, 0)
            .single()
            .expect("t")
    );
    app.clock.set(planned + chrono::Duration::hours(2));
    assert_eq!(pass(&app, &operator).await.steps_performed, 0);
    let deferred = get(&app, &claim.id).await;
    let next = time_of(deferred.next_action_time.as_ref().expect("deferred"));
    assert_eq!(
        next,
        Utc.with_ymd_and_hms(2026, 12, 26, 7, 0, 0)
            .single()
            .expect("t"),
        "put off to Saturday 26 December, 08:00 Paris"
    );
    app.clock.set(next);
    assert_eq!(pass(&app, &operator).await.documents, 1);
    let docs = documents_of(&app, &claim.id).await;
    assert_eq!(docs.len(), 1);
    let dated = paris_date(time_of(docs[0].create_time.as_ref().expect("t")));
    assert_eq!((dated.month(), dated.day()), (12, 26));
}

#[tokio::test]
async fn three_concurrent_workers_perform_each_step_exactly_once() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let mut ids = Vec::new();
    for _ in 0..45 {
        ids.push(
            create(&app, overdue_claim(&creditor.id, &debtor.id, "120.00"))
                .await
                .id,
        );
    }
    // Three replicas: three applications with their own pools on the one database.
    let workers: Vec<recouvre::app::App> = (0..3)
        .map(|_| {
            let pool =
                recouvre_store::build_pool(app.db.url(), 4, std::time::Duration::from_secs(5))
                    .expect("pool");
            recouvre::app::App::new(pool, app.clock.clone())
        })
        .collect();
    let at = app.clock.now_at();
    let reports = futures::future::join_all(
        workers
            .iter()
            .map(|w| async move { w.run_due_actions(at, 4).await.expect("pass") }),
    )
    .await;
    let performed: u64 = reports.iter().map(|r| r.performed).sum();
    assert_eq!(performed, 45, "{reports:?}");
    assert!(
        reports.iter().filter(|r| r.performed > 0).count() >= 2,
        "the work was shared: {reports:?}"
    );
    for id in &ids {
        let steps = steps_performed(&app, id).await;
        assert_eq!(steps.len(), 1, "claim {id}: {steps:?}");
        assert_eq!(
            messages_of(&app, id).await.len(),
            1,
            "one e-mail for claim {id}"
        );
    }
    // A second round at the same time finds nothing left to do.
    let again = futures::future::join_all(
        workers
            .iter()
            .map(|w| async move { w.run_due_actions(at, 4).await.expect("pass") }),
    )
    .await;
    assert!(again.iter().all(|r| r.performed == 0), "{again:?}");
}

#[tokio::test]
async fn a_claim_that_fails_even_alone_is_set_aside_and_its_batch_goes_on() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let mut ids = Vec::new();
    let mut poison_reference = String::new();
    for i in 0..5 {
        let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "300.00")).await;
        if i == 2 {
            poison_reference = claim.external_reference.clone();
        }
        ids.push(claim.id);
    }
    // One row edited by hand into something the service cannot read: its batch fails.
    let poison = ids[2].clone();
    app.sql(&format!(
        "UPDATE claims SET payment_plan = '{{\"nonsense\": true}}' WHERE id = '{poison}'"
    ))
    .await;
    let report = pass(&app, &operator).await;
    assert_eq!(
        (report.steps_performed, report.quarantined),
        (4, 1),
        "{report:?}"
    );
    for id in ids.iter().filter(|id| **id != poison) {
        assert_eq!(steps_performed(&app, id).await.len(), 1, "claim {id}");
        assert_eq!(messages_of(&app, id).await.len(), 1, "claim {id}");
    }
    // The poison claim: nothing performed, one review task saying why, put off to the next
    // morning (08:00 Paris).
    let tasks = all_tasks(&app, &poison).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].kind, pb::TaskKind::StepReview as i32);
    assert!(
        tasks[0].details.contains("payment plan"),
        "{}",
        tasks[0].details
    );
    assert!(
        tasks[0].title.contains(&poison_reference),
        "{}",
        tasks[0].title
    );
    let next = {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let mut conn = AsyncPgConnection::establish(app.db.url())
            .await
            .expect("connect");
        diesel::sql_query(format!(
            "SELECT next_action_at FROM claims WHERE id = '{poison}'"
        ))
        .get_result::<NextAction>(&mut conn)
        .await
        .expect("claim row")
        .next_action_at
    };
    let tomorrow = paris_date(app.clock.now_at()).succ_opt().expect("date");
    assert_eq!(paris_date(next), tomorrow);
    assert_eq!(
        next.with_timezone(&chrono_tz::Europe::Paris)
            .format("%H:%M")
            .to_string(),
        "08:00"
    );
    // Later the same day nothing is retried; the next morning it fails again: still one task.
    let again = pass(&app, &operator).await;
    assert_eq!((again.claims, again.quarantined), (0, 0), "{again:?}");
    app.clock.advance_days(1);
    let morning = pass(&app, &operator).await;
    assert_eq!(morning.quarantined, 1, "{morning:?}");
    assert_eq!(all_tasks(&app, &poison).await.len(), 1);
}

#[derive(diesel::QueryableByName)]
struct NextAction {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    next_action_at: DateTime<Utc>,
}

#[tokio::test]
async fn a_blocked_step_asks_for_review_once_and_runs_when_it_is_done() {
    let app = TestApp::spawn().await;
    // No 2026-S2 rates yet: the e-mail prints what is owed, so it cannot be written.
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "640.00")).await;
    let report = pass(&app, &operator).await;
    assert_eq!((report.steps_performed, report.steps_blocked), (0, 1));
    let open = all_tasks(&app, &claim.id).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].kind, pb::TaskKind::StepReview as i32);
    assert!(open[0].details.contains("2026-S2"), "{}", open[0].details);
    // Looked at again the next morning, still blocked: still one review task.
    app.clock.advance_days(1);
    pass(&app, &operator).await;
    assert_eq!(all_tasks(&app, &claim.id).await.len(), 1);
    publish_rates(&app).await;
    tasks(&app, &app.agent)
        .complete_task(pb::CompleteTaskRequest {
            request_id: new_request_id(),
            id: open[0].id.clone(),
            outcome: pb::TaskOutcome::Done as i32,
            note: "Taux publiés".into(),
            etag: open[0].etag.clone(),
        })
        .await
        .expect("complete review");
    let claim_now = get(&app, &claim.id).await;
    assert!(time_of(claim_now.next_action_time.as_ref().expect("due")) <= app.clock.now_at());
    assert_eq!(pass(&app, &operator).await.steps_performed, 1);
    assert_eq!(
        steps_performed(&app, &claim.id).await[0].0,
        "email_reminder"
    );
}

#[tokio::test]
async fn completing_a_call_task_records_the_contact_and_the_outcome() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "1500.00")).await;
    // E-mail, letter 1, then the call.
    for _ in 0..3 {
        let next = get(&app, &claim.id)
            .await
            .next_action_time
            .map(|t| time_of(&t));
        if let Some(next) = next.filter(|n| *n > app.clock.now_at()) {
            app.clock.set(next);
        }
        pass(&app, &operator).await;
    }
    let open = tasks(&app, &app.agent)
        .list_tasks(pb::ListTasksRequest {
            assignee: "agents".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .tasks;
    assert_eq!(open.len(), 1);
    let call = &open[0];
    assert_eq!(call.kind, pb::TaskKind::PhoneCall as i32);
    // An outcome that does not fit a call.
    let wrong = tasks(&app, &app.agent)
        .complete_task(pb::CompleteTaskRequest {
            request_id: new_request_id(),
            id: call.id.clone(),
            outcome: pb::TaskOutcome::HandedOver as i32,
            ..Default::default()
        })
        .await;
    let status = assert_refused(wrong, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), ["outcome"]);
    // The legal team's key cannot work tasks.
    let legal = tasks(&app, &app.legal)
        .complete_task(pb::CompleteTaskRequest {
            request_id: new_request_id(),
            id: call.id.clone(),
            outcome: pb::TaskOutcome::Reached as i32,
            ..Default::default()
        })
        .await;
    assert_refused(legal, Code::PermissionDenied, "PERMISSION_DENIED");
    let done = tasks(&app, &app.agent)
        .complete_task(pb::CompleteTaskRequest {
            request_id: new_request_id(),
            id: call.id.clone(),
            outcome: pb::TaskOutcome::Reached as i32,
            note: "Promet de régler sous huit jours".into(),
            etag: call.etag.clone(),
        })
        .await
        .expect("complete")
        .into_inner();
    assert!(done.done);
    assert_eq!(done.outcome, pb::TaskOutcome::Reached as i32);
    let events = timeline(&app, &claim.id).await;
    let n = events.len();
    assert_eq!(events[n - 2].0, "contact_recorded");
    assert_eq!(events[n - 2].1["channel"], "phone");
    assert_eq!(events[n - 2].1["outcome"], "reached");
    assert_eq!(events[n - 1].0, "task_completed");
    assert_eq!(events[n - 1].1["task_id"], call.id.as_str());
    let again = tasks(&app, &app.agent)
        .complete_task(pb::CompleteTaskRequest {
            request_id: new_request_id(),
            id: call.id.clone(),
            outcome: pb::TaskOutcome::NoAnswer as i32,
            ..Default::default()
        })
        .await;
    assert_refused(again, Code::FailedPrecondition, "TASK_ALREADY_DONE");
    // Open tasks only by default; another tenant sees none of them.
    let (other, _) = app.new_tenant("other").await;
    let other_agent = app.key(other, recouvre_domain::Role::Agent).await;
    let theirs = tasks(&app, &other_agent)
        .list_tasks(pb::ListTasksRequest {
            include_done: true,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .tasks;
    assert!(theirs.is_empty());
    let cross = tasks(&app, &other_agent)
        .complete_task(pb::CompleteTaskRequest {
            request_id: new_request_id(),
            id: call.id.clone(),
            outcome: pb::TaskOutcome::Reached as i32,
            ..Default::default()
        })
        .await;
    assert_refused(cross, Code::NotFound, "NOT_FOUND");
}

#[tokio::test]
async fn policies_are_validated_assigned_and_kept_to_their_tenant() {
    let app = TestApp::spawn().await;
    let mut admin = policies(&app, &app.admin);
    let listed = admin
        .list_policies(pb::ListPoliciesRequest {})
        .await
        .expect("list")
        .into_inner()
        .policies;
    let builtins: Vec<&str> = listed.iter().map(|p| p.builtin.as_str()).collect();
    assert_eq!(builtins, ["b2b", "b2c"]);
    assert!(listed.iter().all(|p| p.steps.len() == 7));

    // A legal review with no formal notice before it, a negative delay, a visit with a
    // template: every problem at once.
    let bad = admin
        .create_policy(pb::CreatePolicyRequest {
            request_id: new_request_id(),
            policy: Some(pb::Policy {
                name: "Trop rapide".into(),
                steps: vec![
                    pb::PolicyStep {
                        action: pb::StepAction::LegalReview as i32,
                        ..Default::default()
                    },
                    pb::PolicyStep {
                        action: pb::StepAction::VisitTask as i32,
                        template: "warning_letter_1".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
        })
        .await;
    let status = assert_refused(bad, Code::InvalidArgument, "INVALID_ARGUMENT");
    let fields = bad_fields(&status);
    for expected in ["policy.steps[0].action", "policy.steps[1].template"] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected} in {fields:?}"
        );
    }
    let too_soon = admin
        .create_policy(pb::CreatePolicyRequest {
            request_id: new_request_id(),
            policy: Some(pb::Policy {
                name: "Mise en demeure courte".into(),
                steps: vec![
                    pb::PolicyStep {
                        action: pb::StepAction::FormalNotice as i32,
                        delay_days: 10,
                        ..Default::default()
                    },
                    pb::PolicyStep {
                        action: pb::StepAction::LegalReview as i32,
                        delay_days: 3,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
        })
        .await;
    let status = assert_refused(too_soon, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), ["policy.steps[1].delay_days"]);

    // Large claims get their own policy; others keep the default.
    let big = admin
        .create_policy(pb::CreatePolicyRequest {
            request_id: new_request_id(),
            policy: Some(pb::Policy {
                name: "Grands comptes".into(),
                priority: 10,
                assignment: Some(pb::PolicyAssignment {
                    min_principal: Some(eur("10000.00")),
                    ..Default::default()
                }),
                steps: vec![
                    pb::PolicyStep {
                        action: pb::StepAction::PhoneCallTask as i32,
                        delay_days: 1,
                        from: pb::DelayFrom::DueDate as i32,
                        ..Default::default()
                    },
                    pb::PolicyStep {
                        action: pb::StepAction::FormalNotice as i32,
                        delay_days: 5,
                        ..Default::default()
                    },
                    pb::PolicyStep {
                        action: pb::StepAction::LegalReview as i32,
                        delay_days: 9,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
        })
        .await
        .expect("create")
        .into_inner();
    assert_eq!(big.builtin, "");
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let large = create(&app, overdue_claim(&creditor.id, &debtor.id, "25000.00")).await;
    let small = create(&app, overdue_claim(&creditor.id, &debtor.id, "250.00")).await;
    assert_eq!(large.policy_id, big.id);
    let b2b = listed.iter().find(|p| p.builtin == "b2b").expect("b2b");
    assert_eq!(small.policy_id, b2b.id);

    // A stale etag; a built-in or a used policy cannot be deleted.
    let stale = admin
        .update_policy(pb::UpdatePolicyRequest {
            request_id: new_request_id(),
            policy: Some(pb::Policy {
                name: "Grands comptes (v2)".into(),
                ..big.clone()
            }),
            etag: "v999".into(),
        })
        .await;
    assert_refused(stale, Code::Aborted, "ETAG_MISMATCH");
    let builtin = admin
        .delete_policy(pb::DeletePolicyRequest {
            request_id: new_request_id(),
            id: b2b.id.clone(),
            etag: String::new(),
        })
        .await;
    assert_refused(builtin, Code::FailedPrecondition, "POLICY_BUILTIN");
    let in_use = admin
        .delete_policy(pb::DeletePolicyRequest {
            request_id: new_request_id(),
            id: big.id.clone(),
            etag: String::new(),
        })
        .await;
    assert_refused(in_use, Code::FailedPrecondition, "POLICY_IN_USE");
    // Agents read policies but do not change them.
    let agent = policies(&app, &app.agent)
        .delete_policy(pb::DeletePolicyRequest {
            request_id: new_request_id(),
            id: big.id.clone(),
            etag: String::new(),
        })
        .await;
    assert_refused(agent, Code::PermissionDenied, "PERMISSION_DENIED");

    // Another tenant neither sees nor uses this tenant's policy.
    let (other, other_admin) = app.new_tenant("other").await;
    let other_agent = app.key(other, recouvre_domain::Role::Agent).await;
    let seen = policies(&app, &other_admin)
        .get_policy(pb::GetPolicyRequest { id: big.id.clone() })
        .await;
    assert_refused(seen, Code::NotFound, "NOT_FOUND");
    let their_creditor = app.creditor(&other_admin).await;
    let their_debtor = app.debtor(&other_agent).await;
    let borrowed = app
        .claims(&other_agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(pb::Claim {
                policy_id: big.id.clone(),
                ..overdue_claim(&their_creditor.id, &their_debtor.id, "100.00")
            }),
        })
        .await;
    assert_refused(borrowed, Code::NotFound, "NOT_FOUND");
}

#[tokio::test]
async fn the_outbox_records_dispatch_results() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "330.00")).await;
    pass(&app, &operator).await;
    let mut box_ = outbox(&app, &app.agent);
    let pending = box_
        .list_outbox_messages(pb::ListOutboxMessagesRequest {
            status: pb::DispatchStatus::Pending as i32,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .messages;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].claim_id, claim.id);
    let no_error = box_
        .report_dispatch(pb::ReportDispatchRequest {
            request_id: new_request_id(),
            id: pending[0].id.clone(),
            status: pb::DispatchStatus::Failed as i32,
            ..Default::default()
        })
        .await;
    let status = assert_refused(no_error, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), ["error"]);
    let failed = box_
        .report_dispatch(pb::ReportDispatchRequest {
            request_id: new_request_id(),
            id: pending[0].id.clone(),
            status: pb::DispatchStatus::Failed as i32,
            error: "421 try again later".into(),
            ..Default::default()
        })
        .await
        .expect("failed")
        .into_inner();
    assert_eq!(
        (failed.status, failed.attempts),
        (pb::DispatchStatus::Failed as i32, 1)
    );
    let sent = box_
        .report_dispatch(pb::ReportDispatchRequest {
            request_id: new_request_id(),
            id: pending[0].id.clone(),
            status: pb::DispatchStatus::Sent as i32,
            provider_reference: "msg-8812".into(),
            ..Default::default()
        })
        .await
        .expect("sent")
        .into_inner();
    assert_eq!(sent.status, pb::DispatchStatus::Sent as i32);
    assert_eq!(sent.attempts, 2);
    assert_eq!(sent.provider_reference, "msg-8812");
    let twice = box_
        .report_dispatch(pb::ReportDispatchRequest {
            request_id: new_request_id(),
            id: pending[0].id.clone(),
            status: pb::DispatchStatus::Sent as i32,
            ..Default::default()
        })
        .await;
    assert_refused(twice, Code::FailedPrecondition, "MESSAGE_ALREADY_SENT");
    let (_, other_admin) = app.new_tenant("other").await;
    let theirs = outbox(&app, &other_admin)
        .list_outbox_messages(pb::ListOutboxMessagesRequest::default())
        .await
        .expect("list")
        .into_inner()
        .messages;
    assert!(theirs.is_empty(), "another tenant's outbox is its own");
}

#[tokio::test]
async fn only_an_operator_runs_passes_and_never_in_the_past() {
    let app = TestApp::spawn().await;
    let denied = scheduler(&app, &app.admin)
        .run_due_actions(pb::RunDueActionsRequest::default())
        .await;
    assert_refused(denied, Code::PermissionDenied, "PERMISSION_DENIED");
    let operator = app.operator().await;
    let past = scheduler(&app, &operator)
        .run_due_actions(pb::RunDueActionsRequest {
            as_of: Some(prost_types::Timestamp {
                seconds: app.clock.now_at().timestamp() - 86_400,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await;
    let status = assert_refused(past, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), ["as_of"]);
}

#[tokio::test]
async fn the_worker_serve_runs_performs_due_steps_by_itself() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "210.00")).await;
    // The loop `serve` spawns, on its own pool, ticking every 50 ms.
    let pool = recouvre_store::build_pool(app.db.url(), 2, std::time::Duration::from_secs(5))
        .expect("pool");
    let worker = tokio::spawn(recouvre::app::automation::run_scheduler(
        recouvre::app::App::new(pool, app.clock.clone()),
        std::time::Duration::from_millis(50),
        10,
    ));
    let mut performed = Vec::new();
    for _ in 0..200 {
        performed = steps_performed(&app, &claim.id).await;
        if !performed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    worker.abort();
    assert_eq!(
        performed.len(),
        1,
        "the worker performed the due e-mail step"
    );
    assert_eq!(performed[0].0, "email_reminder");
}

#[tokio::test]
async fn the_event_stream_follows_live_resumes_from_a_cursor_and_keeps_to_the_tenant() {
    use recouvre::api::pb::event_service_client::EventServiceClient;
    let app = TestApp::spawn().await;
    let stream_of =
        |key: &str| EventServiceClient::with_interceptor(app.channel.clone(), Auth(key.to_owned()));
    let claim = app.claim("500.00").await;
    let mut live = stream_of(&app.legal)
        .stream_events(pb::StreamEventsRequest::default())
        .await
        .expect("stream")
        .into_inner();
    let first = next_event(&mut live).await;
    let event = first.event.as_ref().expect("event");
    assert_eq!(
        (event.kind_name.as_str(), event.claim_id.as_str()),
        ("claim_created", claim.id.as_str())
    );
    // A change made now arrives on the open stream.
    app.claims(&app.agent)
        .open_dispute(pb::OpenDisputeRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            reason: "Montant contesté".into(),
            ..Default::default()
        })
        .await
        .expect("dispute");
    let second = next_event(&mut live).await;
    assert_eq!(
        second.event.as_ref().expect("event").kind_name,
        "dispute_opened"
    );
    drop(live);
    // Resuming after the first event gives the second, and nothing before it.
    let mut resumed = stream_of(&app.legal)
        .stream_events(pb::StreamEventsRequest {
            cursor: first.cursor.clone(),
            ..Default::default()
        })
        .await
        .expect("resume")
        .into_inner();
    let again = next_event(&mut resumed).await;
    assert_eq!(again.event, second.event);
    assert_eq!(again.cursor, second.cursor);
    // Another tenant's stream holds its own events only.
    let (other, other_admin) = app.new_tenant("other").await;
    let other_agent = app.key(other, recouvre_domain::Role::Agent).await;
    let their_creditor = creditor_of(&app, &other_admin).await;
    let their_debtor = app.debtor(&other_agent).await;
    let theirs = app
        .claims(&other_agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(sample_claim(
                &their_creditor.id,
                &their_debtor.id,
                "THEIRS-1",
                &["80.00"],
            )),
        })
        .await
        .expect("their claim")
        .into_inner();
    let mut their_stream = stream_of(&other_agent)
        .stream_events(pb::StreamEventsRequest::default())
        .await
        .expect("their stream")
        .into_inner();
    let their_first = next_event(&mut their_stream).await;
    assert_eq!(their_first.event.expect("event").claim_id, theirs.id);
    // A cursor that is not one is refused.
    let bad = stream_of(&app.legal)
        .stream_events(pb::StreamEventsRequest {
            cursor: "not-a-cursor".into(),
            ..Default::default()
        })
        .await;
    let status = assert_refused(bad, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), ["cursor"]);
}

async fn next_event(
    s: &mut tonic::Streaming<pb::StreamEventsResponse>,
) -> pb::StreamEventsResponse {
    tokio::time::timeout(std::time::Duration::from_secs(10), s.message())
        .await
        .expect("an event within 10 s")
        .expect("stream ok")
        .expect("stream open")
}

#[tokio::test]
async fn claims_near_their_limitation_deadline_are_listed_and_get_one_review_task() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let consumer = consumer_with_contacts(&app).await;
    // A consumer claim for a service completed on 1 December 2024: time-barred after
    // 1 December 2026 (C. consom. L218-2).
    let old = create(
        &app,
        pb::Claim {
            invoices: vec![pb::Invoice {
                number: "F-2024-1201".into(),
                issue_date: Some(date(2024, 12, 1)),
                service_completion_date: Some(date(2024, 12, 1)),
                due_date: Some(date(2024, 12, 31)),
                amount: Some(eur("350.00")),
                ..Default::default()
            }],
            ..overdue_claim(&creditor.id, &consumer.id, "1.00")
        },
    )
    .await;
    assert_eq!(old.limitation_deadline, Some(date(2026, 12, 1)));
    let recent = create(&app, overdue_claim(&creditor.id, &consumer.id, "90.00")).await;
    let near = app
        .claims(&app.legal)
        .list_claims(pb::ListClaimsRequest {
            limitation_deadline_before: Some(date(2027, 2, 18)),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .claims;
    let ids: Vec<&str> = near.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [old.id.as_str()], "only the claim near its deadline");
    assert_ne!(old.id, recent.id);
    let report = pass(&app, &operator).await;
    assert_eq!(report.limitation_tasks, 1);
    let watch: Vec<pb::Task> = all_tasks(&app, &old.id)
        .await
        .into_iter()
        .filter(|t| t.kind == pb::TaskKind::LimitationReview as i32)
        .collect();
    assert_eq!(watch.len(), 1);
    assert_eq!(watch[0].assignee, "legal");
    assert_eq!(
        time_of(watch[0].due_time.as_ref().expect("due")),
        Utc.with_ymd_and_hms(2026, 12, 1, 7, 0, 0)
            .single()
            .expect("t"),
        "due on the deadline, 08:00 Paris"
    );
    assert!(
        watch[0].details.contains("01/12/2026"),
        "{}",
        watch[0].details
    );
    // Looked at again: still one task.
    app.clock.advance_days(1);
    assert_eq!(pass(&app, &operator).await.limitation_tasks, 0);
    // The other tenant's listing is its own.
    let (other, _) = app.new_tenant("other").await;
    let other_legal = app.key(other, recouvre_domain::Role::Legal).await;
    let theirs = app
        .claims(&other_legal)
        .list_claims(pb::ListClaimsRequest {
            limitation_deadline_before: Some(date(2030, 1, 1)),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .claims;
    assert!(theirs.is_empty());
}

async fn record_proceedings(
    app: &TestApp,
    debtor: &str,
    proceedings: pb::DebtorProceedings,
) -> Result<pb::Debtor, tonic::Status> {
    app.debtors(&app.agent)
        .record_debtor_proceedings(pb::RecordDebtorProceedingsRequest {
            request_id: new_request_id(),
            debtor_id: debtor.into(),
            proceedings: Some(proceedings),
            etag: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn insolvency() -> pb::DebtorProceedings {
    pb::DebtorProceedings {
        insolvency: Some(pb::Insolvency {
            proceedings: pb::InsolvencyProceedings::Reorganisation as i32,
            opening_date: Some(date(2026, 11, 10)),
            publication_date: Some(date(2026, 11, 15)),
            court: "Tribunal des activités économiques de Lyon".into(),
            ..Default::default()
        }),
        over_indebtedness: None,
    }
}

/// The claim's one task to declare it to the mandataire judiciaire.
async fn declaration_task(app: &TestApp, claim_id: &str) -> pb::Task {
    let mut declare: Vec<pb::Task> = all_tasks(app, claim_id)
        .await
        .into_iter()
        .filter(|t| t.kind == pb::TaskKind::DeclareClaim as i32)
        .collect();
    assert_eq!(
        declare.len(),
        1,
        "one declaration task per claim: {declare:?}"
    );
    declare.remove(0)
}

#[tokio::test]
async fn collective_proceedings_stop_collection_and_ask_to_declare_every_claim() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let first = create(&app, overdue_claim(&creditor.id, &debtor.id, "1800.00")).await;
    let second = create(&app, overdue_claim(&creditor.id, &debtor.id, "650.00")).await;
    // Creditors in La Réunion and in Belgium have two months more to declare (C. com.
    // R622-24: those who do not live in metropolitan France).
    let creditor_at = |name: &str, postal_code: &str, locality: &str, region_code: &str| {
        let mut creditors = app.creditors(&app.admin);
        let creditor = pb::Creditor {
            legal_name: name.into(),
            legal_representative: "Paul Hoarau, gérant".into(),
            address: Some(pb::PostalAddress {
                address_lines: vec!["5 rue de Paris".into()],
                postal_code: postal_code.into(),
                locality: locality.into(),
                region_code: region_code.into(),
            }),
            ..sample_creditor()
        };
        async move {
            creditors
                .create_creditor(pb::CreateCreditorRequest {
                    request_id: new_request_id(),
                    creditor: Some(creditor),
                })
                .await
                .expect("create creditor")
                .into_inner()
        }
    };
    let overseas = creditor_at(
        "Comptoir de l'Océan Indien SARL",
        "97400",
        "Saint-Denis",
        "FR",
    )
    .await;
    let abroad = creditor_at("Négoce Wallon SPRL", "4000", "Liège", "BE").await;
    let third = create(&app, overdue_claim(&overseas.id, &debtor.id, "420.00")).await;
    let fourth = create(&app, overdue_claim(&abroad.id, &debtor.id, "310.00")).await;
    pass(&app, &operator).await;
    // A consumer's file is not collective proceedings, and the reverse.
    let wrong = record_proceedings(
        &app,
        &debtor.id,
        pb::DebtorProceedings {
            insolvency: None,
            over_indebtedness: Some(pb::OverIndebtedness {
                admissibility_date: Some(date(2026, 11, 12)),
                commission: "Commission du Rhône".into(),
            }),
        },
    )
    .await;
    let status = assert_refused(wrong, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), ["proceedings.over_indebtedness"]);

    let recorded = record_proceedings(&app, &debtor.id, insolvency())
        .await
        .expect("record");
    let insolvency = recorded
        .proceedings
        .and_then(|p| p.insolvency)
        .expect("insolvency");
    assert_eq!(insolvency.declaration_deadline, Some(date(2027, 1, 15)));
    for claim in [&first, &second] {
        let held = get(&app, &claim.id).await;
        assert_eq!(held.holds, [pb::Hold::Insolvency as i32]);
        assert!(held.next_action_time.is_none(), "collection stopped");
        let kinds: Vec<String> = timeline(&app, &claim.id)
            .await
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(
            kinds.last().map(String::as_str),
            Some("debtor_proceedings_recorded")
        );
        let declare = declaration_task(&app, &claim.id).await;
        assert_eq!(
            time_of(declare.due_time.as_ref().expect("due")),
            // 08:00 in Paris, winter time.
            Utc.with_ymd_and_hms(2027, 1, 15, 7, 0, 0)
                .single()
                .expect("t")
        );
        assert_eq!(declare.assignee, "legal");
        assert!(
            declare.details.contains("15/01/2027") && !declare.details.contains("porté à"),
            "{}",
            declare.details
        );
    }
    for claim in [&third, &fourth] {
        let declare = declaration_task(&app, &claim.id).await;
        assert_eq!(
            time_of(declare.due_time.as_ref().expect("due")),
            Utc.with_ymd_and_hms(2027, 3, 15, 7, 0, 0)
                .single()
                .expect("t")
        );
        assert_eq!(declare.assignee, "legal");
        assert!(
            declare.details.contains("15/03/2027") && declare.details.contains("porté à 4 mois"),
            "{}",
            declare.details
        );
    }
    // Nothing runs any more, and nobody can escalate.
    app.clock.advance_days(30);
    assert_eq!(pass(&app, &operator).await.steps_performed, 0);
    let escalated = app
        .claims(&app.agent)
        .escalate_claim(pb::EscalateClaimRequest {
            request_id: new_request_id(),
            claim_id: first.id.clone(),
            target_state: pb::ClaimState::FormalNotice as i32,
            ..Default::default()
        })
        .await;
    assert_refused(escalated, Code::FailedPrecondition, "CLAIM_ON_HOLD");
    // A claim handed over later is held from the start and declared at the next pass.
    let later = create(&app, overdue_claim(&creditor.id, &debtor.id, "99.00")).await;
    assert_eq!(later.holds, [pb::Hold::Insolvency as i32]);
    pass(&app, &operator).await;
    assert!(
        all_tasks(&app, &later.id)
            .await
            .iter()
            .any(|t| t.kind == pb::TaskKind::DeclareClaim as i32)
    );
    assert!(steps_performed(&app, &later.id).await.is_empty());
}

#[tokio::test]
async fn over_indebtedness_freezes_interest_and_stops_automated_demands() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let consumer = consumer_with_contacts(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &consumer.id, "2000.00")).await;
    // Legal interest runs from the formal notice's receipt (C. civ. 1231-6).
    app.claims(&app.agent)
        .record_formal_notice_delivery(pb::RecordFormalNoticeDeliveryRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            etag: String::new(),
            delivery: Some(pb::FormalNoticeDelivery {
                sent_date: Some(date(2026, 11, 3)),
                receipt_date: Some(date(2026, 11, 5)),
                tracking_number: "1A99887766554".into(),
            }),
        })
        .await
        .expect("delivery");
    let statement_on = |as_of| {
        let mut claims = app.claims(&app.agent);
        let id = claim.id.clone();
        async move {
            claims
                .get_statement(pb::GetStatementRequest {
                    claim_id: id,
                    as_of: Some(as_of),
                    ..Default::default()
                })
                .await
                .expect("statement")
                .into_inner()
                .totals
                .expect("totals")
                .interest
                .expect("interest")
                .amount
        }
    };
    let before = statement_on(date(2026, 12, 31)).await;
    assert_ne!(before, "0.00", "interest runs before the file");
    let recorded = record_proceedings(
        &app,
        &consumer.id,
        pb::DebtorProceedings {
            insolvency: None,
            over_indebtedness: Some(pb::OverIndebtedness {
                admissibility_date: Some(date(2026, 11, 15)),
                commission: "Commission de surendettement de Paris".into(),
            }),
        },
    )
    .await
    .expect("record");
    assert!(
        recorded
            .proceedings
            .and_then(|p| p.over_indebtedness)
            .is_some()
    );
    let at_admission = statement_on(date(2026, 11, 15)).await;
    let later = statement_on(date(2026, 12, 31)).await;
    assert_eq!(
        later, at_admission,
        "no interest accrues after admissibility (L722-14)"
    );
    assert_ne!(later, before);
    let held = get(&app, &claim.id).await;
    assert_eq!(held.holds, [pb::Hold::OverIndebtedness as i32]);
    assert!(held.next_action_time.is_none());
    app.clock.advance_days(20);
    assert_eq!(pass(&app, &operator).await.steps_performed, 0);
    assert!(
        messages_of(&app, &claim.id).await.is_empty(),
        "no automated demand"
    );
}

async fn pay(
    app: &TestApp,
    claim: &str,
    amount: &str,
    value: pb::google::r#type::Date,
) -> pb::Claim {
    app.claims(&app.agent)
        .record_payment(pb::RecordPaymentRequest {
            request_id: new_request_id(),
            claim_id: claim.into(),
            amount: Some(eur(amount)),
            value_date: Some(value),
            method: pb::PaymentMethod::BankTransfer as i32,
            reference: "VIR".into(),
            ..Default::default()
        })
        .await
        .expect("payment")
        .into_inner()
}

async fn propose(
    app: &TestApp,
    claim: &str,
    count: i32,
    first_due: pb::google::r#type::Date,
) -> Result<pb::Claim, tonic::Status> {
    app.claims(&app.agent)
        .propose_payment_plan(pb::ProposePaymentPlanRequest {
            request_id: new_request_id(),
            claim_id: claim.into(),
            instalment_count: count,
            first_due_date: Some(first_due),
            grace_days: 5,
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn agree(app: &TestApp, claim: &str) -> Result<pb::Claim, tonic::Status> {
    app.claims(&app.agent)
        .agree_payment_plan(pb::AgreePaymentPlanRequest {
            request_id: new_request_id(),
            claim_id: claim.into(),
            etag: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_defaulted_payment_plan_resumes_collection_where_it_stood() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let operator = app.operator().await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "900.00")).await;
    pass(&app, &operator).await; // the e-mail
    assert_refused(
        agree(&app, &claim.id).await,
        Code::FailedPrecondition,
        "NO_PAYMENT_PLAN_PROPOSED",
    );
    // A schedule that does not add up is refused field by field.
    let short = app
        .claims(&app.agent)
        .propose_payment_plan(pb::ProposePaymentPlanRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            instalments: vec![pb::PlanInstalment {
                due_date: Some(date(2026, 12, 1)),
                amount: Some(eur("100.00")),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await;
    let status = assert_refused(short, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), ["instalments"]);

    let proposed = propose(&app, &claim.id, 3, date(2026, 11, 30))
        .await
        .expect("propose");
    let plan = proposed.payment_plan.clone().expect("plan");
    assert_eq!(plan.status, pb::PaymentPlanStatus::Proposed as i32);
    assert_eq!(
        plan.total, proposed.amount_owed,
        "the plan pays everything owed"
    );
    assert!(proposed.holds.is_empty(), "a proposal holds nothing");
    let agreed = agree(&app, &claim.id).await.expect("agree");
    assert_eq!(agreed.holds, [pb::Hold::PaymentPlan as i32]);
    // Looked at the day after the first instalment's grace: 30 Nov + 5 days.
    assert_eq!(
        agreed.next_action_time.as_ref().map(time_of),
        Some(
            Utc.with_ymd_and_hms(2026, 12, 6, 7, 0, 0)
                .single()
                .expect("t")
        )
    );
    assert_refused(
        propose(&app, &claim.id, 2, date(2026, 12, 1)).await,
        Code::FailedPrecondition,
        "PAYMENT_PLAN_ACTIVE",
    );
    // The first instalment is paid on time; the second (30 December) is not.
    app.clock.set(
        Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
            .single()
            .expect("t"),
    );
    let first = plan.instalments[0].amount.clone().expect("amount").amount;
    let paid = pay(&app, &claim.id, &first, date(2026, 11, 29)).await;
    let plan_now = paid.payment_plan.expect("plan");
    assert!(plan_now.instalments[0].paid && !plan_now.instalments[1].paid);
    assert_eq!(
        paid.next_action_time.as_ref().map(time_of),
        Some(
            Utc.with_ymd_and_hms(2027, 1, 5, 7, 0, 0)
                .single()
                .expect("t")
        ),
        "next looked at after the second instalment's grace"
    );
    app.clock.set(
        Utc.with_ymd_and_hms(2027, 1, 5, 7, 0, 0)
            .single()
            .expect("t"),
    );
    pass(&app, &operator).await;
    let kinds: Vec<String> = timeline(&app, &claim.id)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    let from = kinds
        .iter()
        .position(|k| k == "payment_plan_defaulted")
        .expect("defaulted");
    assert_eq!(
        &kinds[from..],
        [
            "payment_plan_defaulted",
            "document_generated",
            "step_performed"
        ],
        "the plan fell and the first letter, due long ago, went at once"
    );
    let resumed = get(&app, &claim.id).await;
    assert_eq!(
        resumed.payment_plan.expect("plan").status,
        pb::PaymentPlanStatus::Defaulted as i32
    );
    assert!(resumed.holds.is_empty());
    assert_eq!(
        steps_performed(&app, &claim.id).await[1].0,
        "warning_letter_1"
    );
}

#[tokio::test]
async fn a_completed_payment_plan_closes_the_claim_as_paid() {
    let app = TestApp::spawn().await;
    publish_rates(&app).await;
    let creditor = creditor(&app).await;
    let debtor = business_debtor(&app).await;
    let claim = create(&app, overdue_claim(&creditor.id, &debtor.id, "1000.00")).await;
    let proposed = propose(&app, &claim.id, 2, date(2026, 11, 25))
        .await
        .expect("propose");
    agree(&app, &claim.id).await.expect("agree");
    let plan = proposed.payment_plan.expect("plan");
    let amounts: Vec<String> = plan
        .instalments
        .iter()
        .map(|i| i.amount.clone().expect("amount").amount)
        .collect();
    // Interest stopped at the proposal: paying the instalments late in the month changes
    // nothing to what they settle.
    app.clock.set(
        Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
            .single()
            .expect("t"),
    );
    pay(&app, &claim.id, &amounts[0], date(2026, 11, 25)).await;
    app.clock.set(
        Utc.with_ymd_and_hms(2026, 12, 24, 10, 0, 0)
            .single()
            .expect("t"),
    );
    let closed = pay(&app, &claim.id, &amounts[1], date(2026, 12, 24)).await;
    assert_eq!(closed.state, pb::ClaimState::Paid as i32);
    assert_eq!(
        closed.payment_plan.expect("plan").status,
        pb::PaymentPlanStatus::Completed as i32
    );
    let kinds: Vec<String> = timeline(&app, &claim.id)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["payment_recorded", "payment_plan_completed", "claim_closed"]
    );
}
