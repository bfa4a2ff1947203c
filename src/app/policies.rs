//! Escalation policies: listed, created, replaced and deleted by the tenant's admins; the two
//! built-in defaults are created on first use.

use recouvre_domain::policy::{Assignment, Policy, PolicyStep, policy_violations};
use recouvre_domain::{PolicyId, Role};
use recouvre_store::StoreError;
use recouvre_store::policies::{
    StoredPolicy, delete_policy, ensure_builtin_policies, get_policy, insert_policy, list_policies,
    update_policy,
};

use super::claims::{check_etag, etag};
use super::{App, AppError, Mutation, Principal, not_found};

/// A policy as the caller describes it.
pub struct PolicyInput {
    /// Name.
    pub name: String,
    /// Priority.
    pub priority: i32,
    /// Assignment.
    pub assignment: Assignment,
    /// Steps.
    pub steps: Vec<PolicyStep>,
}

fn check(input: &PolicyInput) -> Result<(), AppError> {
    let violations = policy_violations(&input.name, &input.assignment, &input.steps);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(violations))
    }
}

impl App {
    /// Every policy of the tenant (any role), the built-in ones created on first use.
    pub async fn list_policies(&self, p: &Principal) -> Result<Vec<StoredPolicy>, AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        ensure_builtin_policies(&mut conn, p.tenant, self.now().at).await?;
        Ok(list_policies(&mut conn, p.tenant).await?)
    }

    /// One policy (any role).
    pub async fn get_policy(&self, p: &Principal, id: PolicyId) -> Result<StoredPolicy, AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        get_policy(&mut conn, p.tenant, id, false)
            .await
            .map_err(not_found("policy", id))
    }

    /// Creates a policy (`Role::Admin`).
    pub async fn create_policy<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        input: PolicyInput,
        render: impl FnOnce(&StoredPolicy) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        check(&input)?;
        self.in_transaction(p, m, async |conn, now| {
            let policy = Policy {
                id: PolicyId::new_at(now.at),
                name: input.name.trim().to_owned(),
                builtin: None,
                priority: input.priority,
                assignment: input.assignment,
                steps: input.steps,
                version: 1,
            };
            insert_policy(conn, p.tenant, &policy, now.at)
                .await
                .map_err(|e| match e {
                    StoreError::MissingReference(_) => AppError::NotFound {
                        resource: "creditor",
                        id: policy
                            .assignment
                            .creditor_id
                            .map(|c| c.to_string())
                            .unwrap_or_default(),
                    },
                    other => other.into(),
                })?;
            let stored = get_policy(conn, p.tenant, policy.id, false).await?;
            Ok(render(&stored))
        })
        .await
    }

    /// Replaces a policy's name, priority, assignment and steps (`Role::Admin`). A built-in
    /// policy keeps its assignment (the debtor kind it is the default for).
    pub async fn update_policy<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: PolicyId,
        sent_etag: &str,
        input: PolicyInput,
        render: impl FnOnce(&StoredPolicy) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        check(&input)?;
        self.in_transaction(p, m, async |conn, now| {
            let stored = get_policy(conn, p.tenant, id, true)
                .await
                .map_err(not_found("policy", id))?;
            check_etag(sent_etag, stored.policy.version)?;
            let mut policy = stored.policy;
            policy.name = input.name.trim().to_owned();
            policy.steps = input.steps;
            if policy.builtin.is_none() {
                policy.priority = input.priority;
                policy.assignment = input.assignment;
            }
            policy.version += 1;
            update_policy(conn, p.tenant, &policy, now.at).await?;
            let stored = get_policy(conn, p.tenant, id, false).await?;
            Ok(render(&stored))
        })
        .await
    }

    /// Deletes a policy no claim follows (`Role::Admin`).
    pub async fn delete_policy<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: PolicyId,
        sent_etag: &str,
        render: impl FnOnce() -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        self.in_transaction(p, m, async |conn, _now| {
            let stored = get_policy(conn, p.tenant, id, true)
                .await
                .map_err(not_found("policy", id))?;
            check_etag(sent_etag, stored.policy.version)?;
            if stored.policy.builtin.is_some() {
                return Err(AppError::Precondition {
                    reason: "POLICY_BUILTIN",
                    subject: "policy",
                    message: "A built-in policy cannot be deleted; edit its steps instead."
                        .to_owned(),
                });
            }
            delete_policy(conn, p.tenant, id)
                .await
                .map_err(|e| match e {
                    StoreError::MissingReference(_) => AppError::Precondition {
                        reason: "POLICY_IN_USE",
                        subject: "policy",
                        message: "Claims follow this policy; it cannot be deleted.".to_owned(),
                    },
                    other => other.into(),
                })?;
            Ok(render())
        })
        .await
    }
}

/// The etag of a policy.
pub fn policy_etag(policy: &Policy) -> String {
    etag(policy.version)
}
