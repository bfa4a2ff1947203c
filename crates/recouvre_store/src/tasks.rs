//! Tasks for humans: created by the scheduler's steps, listed by assignee and due time,
//! completed with an outcome.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::{ClaimId, TaskId, TenantId};
use uuid::Uuid;

use crate::schema::{claims, tasks};
use crate::{Conn, StoreError};

/// A task as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tasks, check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
pub struct TaskRow {
    /// Identifier.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// The claim it is about.
    pub claim_id: Uuid,
    /// Kind (stored name of `TaskKind`).
    pub kind: String,
    /// The policy step that created it.
    pub step_index: Option<i32>,
    /// Who works it: a queue (`agents`, `legal`) or a person.
    pub assignee: String,
    /// One line.
    pub title: String,
    /// What to do, and with what (the call script of a call).
    pub details: String,
    /// When it should be done by (for consumer calls, inside the calling windows).
    pub due_at: DateTime<Utc>,
    /// `open` or `done`.
    pub status: String,
    /// How it ended.
    pub outcome: Option<String>,
    /// The agent's note.
    pub outcome_note: Option<String>,
    /// When it was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Who completed it.
    pub completed_by: Option<String>,
    /// Version, the etag.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Inserts tasks in one statement. A step's task already there (`tasks_step_once`: the same
/// claim, step and kind) is left as it is: a blocked step asks for its review once, however
/// many mornings it stays blocked. Returns how many were new.
pub async fn insert_tasks(conn: &mut Conn, rows: &[TaskRow]) -> Result<usize, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(diesel::insert_into(tasks::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?)
}

/// The review task [`quarantine_claim`] opens.
#[derive(Debug, Clone, Copy)]
pub struct QuarantineTask<'a> {
    /// Task kind (stored name).
    pub kind: &'a str,
    /// Its queue.
    pub assignee: &'a str,
    /// Its title, before the claim's external reference.
    pub title_prefix: &'a str,
    /// What went wrong.
    pub details: &'a str,
}

/// Sets aside a claim the scheduler could not work even alone (a row that does not parse, a
/// bug, a constraint its changes break): its next action is put off to `until` — no event is
/// written, since nothing happened to the claim — and a `step_review` task for its current
/// step asks a human to look (once per step, as for a blocked step). The claim is left alone if it is no longer due (another worker did it meanwhile). Returns
/// whether the claim was set aside.
pub async fn quarantine_claim(
    conn: &mut Conn,
    claim_id: Uuid,
    as_of: DateTime<Utc>,
    until: DateTime<Utc>,
    review: QuarantineTask<'_>,
) -> Result<bool, StoreError> {
    use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
    Ok(diesel::sql_query(
        "WITH q AS (UPDATE claims SET next_action_at = $3 \
         WHERE id = $1 AND next_action_at <= $2 \
         RETURNING id, tenant_id, external_reference, next_step) \
         , t AS (INSERT INTO tasks (id, tenant_id, claim_id, kind, step_index, assignee, title, \
         details, due_at, status, version, created_at) \
         SELECT gen_random_uuid(), tenant_id, id, $4, next_step, $5, \
         $6 || external_reference, $7, $2, 'open', 1, $2 FROM q \
         ON CONFLICT DO NOTHING) \
         SELECT 1 FROM q",
    )
    .bind::<SqlUuid, _>(claim_id)
    .bind::<Timestamptz, _>(as_of)
    .bind::<Timestamptz, _>(until)
    .bind::<Text, _>(review.kind)
    .bind::<Text, _>(review.assignee)
    .bind::<Text, _>(review.title_prefix)
    .bind::<Text, _>(review.details)
    .execute(conn)
    .await?
        == 1)
}

/// Filters of [`list_tasks`].
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only this assignee.
    pub assignee: Option<String>,
    /// Only tasks due strictly before.
    pub due_before: Option<DateTime<Utc>>,
    /// Only this claim's.
    pub claim_id: Option<ClaimId>,
    /// Done tasks too.
    pub include_done: bool,
}

/// A page of the tenant's tasks after (due_at, id), soonest due first. Open tasks of claims
/// that have since closed are left out: nobody should call about a paid claim.
pub async fn list_tasks(
    conn: &mut Conn,
    tenant: TenantId,
    filter: &TaskFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<TaskRow>, StoreError> {
    let mut query = tasks::table
        .inner_join(
            claims::table.on(claims::id
                .eq(tasks::claim_id)
                .and(claims::tenant_id.eq(tasks::tenant_id))),
        )
        .filter(tasks::tenant_id.eq(tenant.0))
        .select(TaskRow::as_select())
        .order((tasks::due_at, tasks::id))
        .limit(limit)
        .into_boxed();
    if !filter.include_done {
        query = query
            .filter(tasks::status.eq("open"))
            .filter(claims::state.eq_any(["amicable", "formal_notice", "legal"]));
    }
    if let Some(assignee) = &filter.assignee {
        query = query.filter(tasks::assignee.eq(assignee.clone()));
    }
    if let Some(before) = filter.due_before {
        query = query.filter(tasks::due_at.lt(before));
    }
    if let Some(claim) = filter.claim_id {
        query = query.filter(tasks::claim_id.eq(claim.0));
    }
    if let Some((due, id)) = after {
        query = query.filter(
            tasks::due_at
                .gt(due)
                .or(tasks::due_at.eq(due).and(tasks::id.gt(id))),
        );
    }
    Ok(query.load::<TaskRow>(conn).await?)
}

/// One task of the tenant; `lock` holds it for the transaction.
pub async fn get_task(
    conn: &mut Conn,
    tenant: TenantId,
    id: TaskId,
    lock: bool,
) -> Result<TaskRow, StoreError> {
    let query = tasks::table
        .filter(tasks::tenant_id.eq(tenant.0))
        .filter(tasks::id.eq(id.0))
        .select(TaskRow::as_select());
    Ok(if lock {
        query.for_update().first::<TaskRow>(conn).await?
    } else {
        query.first::<TaskRow>(conn).await?
    })
}

/// Marks a task done with its outcome.
pub async fn complete_task(
    conn: &mut Conn,
    tenant: TenantId,
    id: TaskId,
    outcome: &str,
    note: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let n = diesel::update(
        tasks::table
            .filter(tasks::tenant_id.eq(tenant.0))
            .filter(tasks::id.eq(id.0)),
    )
    .set((
        tasks::status.eq("done"),
        tasks::outcome.eq(outcome),
        tasks::outcome_note.eq(note),
        tasks::completed_by.eq(by),
        tasks::completed_at.eq(at),
        tasks::version.eq(tasks::version + 1),
    ))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Creates a limitation-review task for every open claim whose limitation deadline falls
/// between `today` and `today + horizon_days`, once per claim and deadline (a deadline moved
/// by an interruption gets its own). Returns how many were new.
pub async fn watch_limitation(
    conn: &mut Conn,
    today: chrono::NaiveDate,
    horizon_days: i32,
    at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    use diesel::sql_types::{Date, Int4, Timestamptz};
    Ok(diesel::sql_query(
        "INSERT INTO tasks (id, tenant_id, claim_id, kind, step_index, assignee, title, details, \
         due_at, status, version, created_at) \
         SELECT gen_random_uuid(), c.tenant_id, c.id, 'limitation_review', NULL, 'legal', \
         'Prescription proche — dossier ' || c.external_reference, \
         'Le délai de prescription expire le ' || to_char(c.limitation_deadline, 'DD/MM/YYYY') \
         || ' : l''interrompre (reconnaissance de dette, action en justice, mesure d''exécution, \
         C. civ. art. 2240 à 2244) ou décider de ne pas poursuivre. Aucune action en justice \
         après cette date (C. civ. art. 2219).', \
         (c.limitation_deadline::timestamp + time '08:00') AT TIME ZONE 'Europe/Paris', \
         'open', 1, $3 \
         FROM claims c \
         WHERE c.state IN ('amicable', 'formal_notice', 'legal') \
         AND c.limitation_deadline BETWEEN $1 AND $1 + $2 \
         ON CONFLICT DO NOTHING",
    )
    .bind::<Date, _>(today)
    .bind::<Int4, _>(horizon_days)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .await?)
}

/// Creates the task to declare each open claim on a debtor in collective proceedings, once per
/// claim, due the morning of its creditor's declaration deadline: the BODACC publication + 2
/// months, or + 4 months for a creditor who does not live in metropolitan France (C. com.
/// L622-24, R622-24 al. 1; the periods and the overseas postal codes are bound from
/// `recouvre_domain::proceedings`, where the rule is described). `debtor`: only that debtor's
/// claims (when the proceedings are recorded); `None`: all (the scheduler's pass, for claims
/// created since). Returns how many were new.
pub async fn ensure_declaration_tasks(
    conn: &mut Conn,
    debtor: Option<(TenantId, recouvre_domain::DebtorId)>,
    at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    use diesel::sql_types::{Array, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    use recouvre_domain::proceedings::{
        DECLARATION_MONTHS, DECLARATION_MONTHS_OUTSIDE_METROPOLITAN_FRANCE,
        OVERSEAS_POSTAL_PREFIXES,
    };
    Ok(diesel::sql_query(
        "INSERT INTO tasks (id, tenant_id, claim_id, kind, step_index, assignee, title, details, \
         due_at, status, version, created_at) \
         SELECT gen_random_uuid(), c.tenant_id, c.id, 'declare_claim', NULL, 'legal', \
         'Déclarer la créance au mandataire judiciaire — dossier ' || c.external_reference, \
         'Procédure collective ouverte le ' \
         || to_char((c.debtor_hold->>'opened_on')::date, 'DD/MM/YYYY') || ' par ' \
         || (c.debtor_hold->>'court') || ', publiée au BODACC le ' \
         || to_char((c.debtor_hold->>'published_on')::date, 'DD/MM/YYYY') \
         || ' : déclarer la créance au mandataire judiciaire au plus tard le ' \
         || to_char(d.deadline, 'DD/MM/YYYY') \
         || CASE WHEN m.metropolitan THEN '' ELSE ' (délai porté à ' || $5 \
         || ' mois, le créancier ne demeurant pas en France métropolitaine)' END \
         || ' (C. com. art. L622-24 et R622-24), sous peine de forclusion.', \
         (d.deadline + time '08:00') AT TIME ZONE 'Europe/Paris', 'open', 1, $3 \
         FROM claims c \
         JOIN creditors cr ON cr.tenant_id = c.tenant_id AND cr.id = c.creditor_id \
         CROSS JOIN LATERAL (SELECT coalesce(upper(cr.address->>'country'), 'FR') = 'FR' \
         AND NOT EXISTS (SELECT 1 FROM unnest($6::text[]) p \
         WHERE starts_with(trim(coalesce(cr.address->>'postal_code', '')), p)) AS metropolitan) m \
         CROSS JOIN LATERAL (SELECT ((c.debtor_hold->>'published_on')::date \
         + make_interval(months => CASE WHEN m.metropolitan THEN $4 ELSE $5 END))::date \
         AS deadline) d \
         WHERE c.debtor_hold IS NOT NULL AND c.debtor_hold->>'kind' = 'insolvency' \
         AND c.state IN ('amicable', 'formal_notice', 'legal') \
         AND ($1::uuid IS NULL OR (c.tenant_id = $1 AND c.debtor_id = $2)) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<Nullable<SqlUuid>, _>(debtor.map(|(t, _)| t.0))
    .bind::<Nullable<SqlUuid>, _>(debtor.map(|(_, d)| d.0))
    .bind::<Timestamptz, _>(at)
    .bind::<Int4, _>(DECLARATION_MONTHS as i32)
    .bind::<Int4, _>(DECLARATION_MONTHS_OUTSIDE_METROPOLITAN_FRANCE as i32)
    .bind::<Array<Text>, _>(OVERSEAS_POSTAL_PREFIXES.to_vec())
    .execute(conn)
    .await?)
}

/// The ids of the tenant's open claims on a debtor.
pub async fn open_claims_of_debtor(
    conn: &mut Conn,
    tenant: TenantId,
    debtor: recouvre_domain::DebtorId,
) -> Result<Vec<ClaimId>, StoreError> {
    Ok(claims::table
        .filter(claims::tenant_id.eq(tenant.0))
        .filter(claims::debtor_id.eq(debtor.0))
        .filter(claims::state.eq_any(["amicable", "formal_notice", "legal"]))
        .order(claims::id)
        .select(claims::id)
        .load::<Uuid>(conn)
        .await?
        .into_iter()
        .map(ClaimId)
        .collect())
}
