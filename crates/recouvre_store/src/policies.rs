//! Escalation policies: a tenant's own and its two built-in defaults, steps and assignment kept
//! as `jsonb` (read back through typed structs, so a hand-edited row is `Corrupt`, not a panic).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::policy::{
    Assignment, BuiltinPolicy, DelayFrom, Policy, PolicyStep, StepAction, StepConditions,
};
use recouvre_domain::{CreditorId, DebtorKind, Money, PolicyId, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::json::corrupt;
use crate::schema::policies;
use crate::{Conn, StoreError};

#[derive(Serialize, Deserialize)]
struct MoneyJson {
    amount: String,
    currency: String,
}

fn money_to_json(m: Money) -> MoneyJson {
    MoneyJson {
        amount: m.to_amount_string(),
        currency: m.currency().code().to_owned(),
    }
}

fn money_from_json(m: MoneyJson) -> Result<Money, StoreError> {
    Money::parse(&m.amount, &m.currency).map_err(corrupt)
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct ConditionsJson {
    min_unpaid: Option<MoneyJson>,
    debtor_kind: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StepJson {
    action: String,
    delay_days: u32,
    from: String,
    template: Option<String>,
    #[serde(default)]
    conditions: ConditionsJson,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct AssignmentJson {
    creditor_id: Option<Uuid>,
    debtor_kind: Option<String>,
    min_principal: Option<MoneyJson>,
    max_principal: Option<MoneyJson>,
}

fn kind(s: Option<String>) -> Result<Option<DebtorKind>, StoreError> {
    s.map(|k| DebtorKind::parse(&k).ok_or_else(|| StoreError::Corrupt(format!("debtor kind {k}"))))
        .transpose()
}

fn steps_to_json(steps: &[PolicyStep]) -> Value {
    serde_json::to_value(
        steps
            .iter()
            .map(|s| StepJson {
                action: s.action.as_str().to_owned(),
                delay_days: s.delay_days,
                from: s.from.as_str().to_owned(),
                template: s.template.clone(),
                conditions: ConditionsJson {
                    min_unpaid: s.conditions.min_unpaid.map(money_to_json),
                    debtor_kind: s.conditions.debtor_kind.map(|k| k.as_str().to_owned()),
                },
            })
            .collect::<Vec<_>>(),
    )
    .unwrap_or(Value::Null)
}

fn steps_from_json(v: Value) -> Result<Vec<PolicyStep>, StoreError> {
    let steps: Vec<StepJson> = serde_json::from_value(v).map_err(corrupt)?;
    steps
        .into_iter()
        .map(|s| {
            Ok(PolicyStep {
                action: StepAction::parse(&s.action)
                    .ok_or_else(|| StoreError::Corrupt(format!("step action {}", s.action)))?,
                delay_days: s.delay_days,
                from: DelayFrom::parse(&s.from)
                    .ok_or_else(|| StoreError::Corrupt(format!("step delay from {}", s.from)))?,
                template: s.template,
                conditions: StepConditions {
                    min_unpaid: s.conditions.min_unpaid.map(money_from_json).transpose()?,
                    debtor_kind: kind(s.conditions.debtor_kind)?,
                },
            })
        })
        .collect()
}

fn assignment_to_json(a: &Assignment) -> Value {
    serde_json::to_value(AssignmentJson {
        creditor_id: a.creditor_id.map(|c| c.0),
        debtor_kind: a.debtor_kind.map(|k| k.as_str().to_owned()),
        min_principal: a.min_principal.map(money_to_json),
        max_principal: a.max_principal.map(money_to_json),
    })
    .unwrap_or(Value::Null)
}

fn assignment_from_json(v: Value) -> Result<Assignment, StoreError> {
    let a: AssignmentJson = serde_json::from_value(v).map_err(corrupt)?;
    Ok(Assignment {
        creditor_id: a.creditor_id.map(CreditorId),
        debtor_kind: kind(a.debtor_kind)?,
        min_principal: a.min_principal.map(money_from_json).transpose()?,
        max_principal: a.max_principal.map(money_from_json).transpose()?,
    })
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = policies, check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
struct PolicyRow {
    id: Uuid,
    tenant_id: Uuid,
    name: String,
    builtin: Option<String>,
    priority: i32,
    assignment: Value,
    steps: Value,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl PolicyRow {
    fn new(tenant: TenantId, p: &Policy, at: DateTime<Utc>) -> Self {
        PolicyRow {
            id: p.id.0,
            tenant_id: tenant.0,
            name: p.name.clone(),
            builtin: p.builtin.map(|b| b.as_str().to_owned()),
            priority: p.priority,
            assignment: assignment_to_json(&p.assignment),
            steps: steps_to_json(&p.steps),
            version: p.version,
            created_at: at,
            updated_at: at,
        }
    }
}

impl TryFrom<PolicyRow> for Policy {
    type Error = StoreError;

    fn try_from(r: PolicyRow) -> Result<Self, StoreError> {
        Ok(Policy {
            id: PolicyId(r.id),
            name: r.name,
            builtin: r
                .builtin
                .map(|b| {
                    BuiltinPolicy::parse(&b)
                        .ok_or_else(|| StoreError::Corrupt(format!("built-in policy {b}")))
                })
                .transpose()?,
            priority: r.priority,
            assignment: assignment_from_json(r.assignment)?,
            steps: steps_from_json(r.steps)?,
            version: r.version,
        })
    }
}

/// A policy with its update time.
#[derive(Debug, Clone)]
pub struct StoredPolicy {
    /// The policy.
    pub policy: Policy,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

fn stored(r: PolicyRow) -> Result<StoredPolicy, StoreError> {
    let (created_at, updated_at) = (r.created_at, r.updated_at);
    Ok(StoredPolicy {
        policy: r.try_into()?,
        created_at,
        updated_at,
    })
}

/// Creates the tenant's two built-in policies if missing (idempotent: the unique
/// (tenant, builtin) pair makes a concurrent twin a no-op).
pub async fn ensure_builtin_policies(
    conn: &mut Conn,
    tenant: TenantId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<PolicyRow> = [BuiltinPolicy::B2b, BuiltinPolicy::B2c]
        .into_iter()
        .map(|b| {
            PolicyRow::new(
                tenant,
                &Policy {
                    id: PolicyId::new_at(at),
                    name: b.default_name().to_owned(),
                    builtin: Some(b),
                    priority: i32::MAX,
                    assignment: Assignment {
                        debtor_kind: Some(match b {
                            BuiltinPolicy::B2b => DebtorKind::Business,
                            BuiltinPolicy::B2c => DebtorKind::Consumer,
                        }),
                        ..Assignment::default()
                    },
                    steps: b.steps(),
                    version: 1,
                },
                at,
            )
        })
        .collect();
    diesel::insert_into(policies::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Every policy of the tenant, by priority (the built-in ones, last, B2B before B2C), then
/// creation order.
pub async fn list_policies(
    conn: &mut Conn,
    tenant: TenantId,
) -> Result<Vec<StoredPolicy>, StoreError> {
    policies::table
        .filter(policies::tenant_id.eq(tenant.0))
        .order((policies::priority, policies::builtin, policies::id))
        .select(PolicyRow::as_select())
        .load::<PolicyRow>(conn)
        .await?
        .into_iter()
        .map(stored)
        .collect()
}

/// The policies of several tenants (the scheduler's batch), by tenant.
pub async fn policies_of_tenants(
    conn: &mut Conn,
    tenants: &[Uuid],
) -> Result<Vec<(TenantId, Policy)>, StoreError> {
    policies::table
        .filter(policies::tenant_id.eq_any(tenants))
        .select(PolicyRow::as_select())
        .load::<PolicyRow>(conn)
        .await?
        .into_iter()
        .map(|r| Ok((TenantId(r.tenant_id), r.try_into()?)))
        .collect()
}

/// One policy of the tenant; `lock` holds it for the transaction.
pub async fn get_policy(
    conn: &mut Conn,
    tenant: TenantId,
    id: PolicyId,
    lock: bool,
) -> Result<StoredPolicy, StoreError> {
    let query = policies::table
        .filter(policies::tenant_id.eq(tenant.0))
        .filter(policies::id.eq(id.0))
        .select(PolicyRow::as_select());
    let row = if lock {
        query.for_update().first::<PolicyRow>(conn).await?
    } else {
        query.first::<PolicyRow>(conn).await?
    };
    stored(row)
}

/// Inserts a new policy.
pub async fn insert_policy(
    conn: &mut Conn,
    tenant: TenantId,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(policies::table)
        .values(PolicyRow::new(tenant, policy, at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Saves a changed policy (name, priority, assignment, steps, version).
pub async fn update_policy(
    conn: &mut Conn,
    tenant: TenantId,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = PolicyRow::new(tenant, policy, at);
    let n = diesel::update(
        policies::table
            .filter(policies::tenant_id.eq(tenant.0))
            .filter(policies::id.eq(policy.id.0)),
    )
    .set((
        policies::name.eq(row.name),
        policies::priority.eq(row.priority),
        policies::assignment.eq(row.assignment),
        policies::steps.eq(row.steps),
        policies::version.eq(row.version),
        policies::updated_at.eq(at),
    ))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes a policy no claim follows; `MissingReference("claims_policy_fk")` when one does.
pub async fn delete_policy(
    conn: &mut Conn,
    tenant: TenantId,
    id: PolicyId,
) -> Result<(), StoreError> {
    let n = diesel::delete(
        policies::table
            .filter(policies::tenant_id.eq(tenant.0))
            .filter(policies::id.eq(id.0)),
    )
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
