//! Claim use cases.

use recouvre_domain::calendar::morning_in_paris;
use recouvre_domain::events::seal;
use recouvre_domain::policy::{Policy, choose_policy, planned_date};
use recouvre_domain::rates::RateTable;
use recouvre_domain::statement::{Conventions, InterestRegime, Statement, statement};
use recouvre_domain::terms::due_date;
use recouvre_domain::{
    ChainBreak, Claim, ClaimError, ClaimEvent, ClaimId, DebtorKind, Money, NewClaim, Now, Role,
    StoredEvent, verify_chain,
};
use recouvre_store::StoreError;
use recouvre_store::claims::{
    ClaimFilter, claim_head, find_claim_by_reference, get_claim, list_claims, list_events,
    save_claim_change,
};
use recouvre_store::create::{LedgerEntry, create_claim};
use recouvre_store::idempotency::find_request;
use recouvre_store::parties::claim_parties;
use recouvre_store::policies::{ensure_builtin_policies, list_policies};
use uuid::Uuid;

use super::tx::replay;
use super::valuation::{Valuation, value};
use super::{App, AppError, Mutation, Principal, not_found, page_token};

/// The etag of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("v{version}")
}

pub(crate) fn check_etag(sent: &str, version: i64) -> Result<(), AppError> {
    let current = etag(version);
    if sent.is_empty() || sent == current {
        Ok(())
    } else {
        Err(AppError::EtagMismatch { current })
    }
}

/// A claim and its standing today.
#[derive(Debug)]
pub struct ValuedClaim {
    /// The claim.
    pub claim: Claim,
    /// What the statement engine says of it today.
    pub valuation: Valuation,
}

/// A page of claims.
#[derive(Debug)]
pub struct ClaimPage {
    /// The claims.
    pub claims: Vec<ValuedClaim>,
    /// Token of the next page; empty on the last.
    pub next_page_token: String,
}

/// The result of checking a claim's chain.
#[derive(Debug)]
pub struct ChainReport {
    /// Events checked.
    pub event_count: i64,
    /// Head hash recorded on the claim.
    pub head_hash: [u8; 32],
    /// The first break, if any.
    pub broken: Option<ChainBreak>,
}

impl App {
    /// Hands over invoices as a new claim (`Role::Agent`).
    pub async fn create_claim<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        mut new: NewClaim,
        render: impl FnOnce(&Claim, &Valuation, Now) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Agent)?;
        let now = self.now();
        let rates = self.rates().await?;
        let creditor_id = new.creditor_id;
        let reference = new.external_reference.trim().to_owned();
        let mut conn = self.conn().await?;
        // The regime and the due dates from terms depend on the parties.
        let (creditor, debtor) =
            claim_parties(&mut conn, p.tenant, new.creditor_id, new.debtor_id).await?;
        let (Some((natural_person, end_of_month)), Some((debtor_kind, proceedings))) =
            (creditor, debtor)
        else {
            if let Some(seen) = find_request(&mut conn, p.tenant, &m.request_id).await? {
                return replay(seen, m);
            }
            return Err(if creditor.is_none() {
                AppError::NotFound {
                    resource: "creditor",
                    id: new.creditor_id.to_string(),
                }
            } else {
                AppError::NotFound {
                    resource: "debtor",
                    id: new.debtor_id.to_string(),
                }
            });
        };
        new.regime = InterestRegime::of(debtor_kind == DebtorKind::Business, natural_person);
        // The escalation policy: the one named, else the first matching the claim, else the
        // default for the debtor's kind; its first step is planned from the due date.
        let mut policies = list_policies(&mut conn, p.tenant).await?;
        if !policies.iter().any(|s| s.policy.builtin.is_some()) {
            ensure_builtin_policies(&mut conn, p.tenant, now.at).await?;
            policies = list_policies(&mut conn, p.tenant).await?;
        }
        let policies: Vec<Policy> = policies.into_iter().map(|s| s.policy).collect();
        let principal = new
            .invoices
            .iter()
            .try_fold(Money::zero(new.currency), |sum, i| {
                sum.checked_add(i.amount)
            })
            .unwrap_or(Money::zero(new.currency));
        let policy = match new.policy_id {
            Some(id) => policies
                .iter()
                .find(|p| p.id == id)
                .ok_or(AppError::NotFound {
                    resource: "policy",
                    id: id.to_string(),
                })?,
            None => choose_policy(&policies, new.creditor_id, debtor_kind, principal).ok_or(
                AppError::Store(StoreError::Corrupt("no built-in policy".into())),
            )?,
        };
        new.policy_id = Some(policy.id);
        for invoice in &mut new.invoices {
            if let Some(terms) = invoice.payment_terms {
                invoice.due_date = due_date(
                    terms,
                    invoice.issue_date,
                    invoice.service_completion_date,
                    end_of_month,
                )
                .due_date;
            }
        }
        if let Some(first_due) = new.invoices.iter().map(|i| i.due_date).min() {
            new.first_step_at = policy
                .steps
                .first()
                .and_then(|step| planned_date(step, first_due, None))
                .map(morning_in_paris);
        }
        let (mut claim, mut events) = Claim::open(ClaimId::new_at(now.at), new, now)?;
        // A claim on a debtor in proceedings is held from the start (and declared: the
        // scheduler's pass creates the declaration task).
        if let Some(proceedings) = &proceedings {
            events.extend(claim.apply_proceedings(proceedings, now));
        }
        let (sealed, version, head) =
            seal(claim.id, 0, claim.head_hash, &events, &p.actor(), now.at);
        claim.version = version;
        claim.head_hash = head;
        let valuation = value(&claim, &rates, now.today);
        let response = render(&claim, &valuation, now);
        let encoded = response.encode_to_vec();
        let ledger = LedgerEntry {
            request_id: &m.request_id,
            method: m.method,
            request_hash: &m.fingerprint,
            response: &encoded,
        };
        // One statement, one transaction: the database checks the parties again (tenant-scoped
        // foreign keys), the reference (unique per creditor) and the request id (the ledger's
        // key) as it writes.
        let Err(error) = create_claim(
            &mut conn,
            p.tenant,
            &claim,
            &sealed,
            valuation.limitation_deadline,
            &ledger,
        )
        .await
        else {
            return Ok(response);
        };
        // Whatever refused the write, a request id already in the ledger means this is a
        // retry (or a concurrent twin): answer the first result.
        if let Some(seen) = find_request(&mut conn, p.tenant, &m.request_id).await? {
            return replay(seen, m);
        }
        Err(match error {
            StoreError::MissingReference(c) if c == "claims_creditor_fk" => AppError::NotFound {
                resource: "creditor",
                id: claim.creditor_id.to_string(),
            },
            StoreError::MissingReference(c) if c == "claims_debtor_fk" => AppError::NotFound {
                resource: "debtor",
                id: claim.debtor_id.to_string(),
            },
            StoreError::AlreadyExists(c) if c == "claims_external_reference_unique" => {
                let existing =
                    find_claim_by_reference(&mut conn, p.tenant, creditor_id, &reference).await?;
                AppError::AlreadyExists {
                    reason: "EXTERNAL_REFERENCE_EXISTS",
                    message: match existing {
                        Some(id) => format!(
                            "The creditor already has claim {id} with external reference {reference:?}."
                        ),
                        None => format!(
                            "The creditor already has a claim with external reference {reference:?}."
                        ),
                    },
                    existing_id: existing.map(|id| id.to_string()),
                }
            }
            other => other.into(),
        })
    }

    /// Applies a lifecycle transition to a claim (`Role::Agent`): locks it, checks the etag,
    /// runs the pure transition, saves the claim, its payments and the sealed events.
    pub async fn mutate_claim<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: ClaimId,
        sent_etag: &str,
        transition: impl FnOnce(&mut Claim, &RateTable, Now) -> Result<Vec<ClaimEvent>, ClaimError>,
        render: impl FnOnce(&Claim, &Valuation, Now) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Agent)?;
        let actor = p.actor();
        let rates = self.rates().await?;
        self.in_transaction(p, m, async |conn, now| {
            let mut claim = get_claim(conn, p.tenant, id, true)
                .await
                .map_err(not_found("claim", id))?;
            check_etag(sent_etag, claim.version)?;
            let events = transition(&mut claim, &rates, now)?;
            let (sealed, version, head) = seal(
                claim.id,
                claim.version,
                claim.head_hash,
                &events,
                &actor,
                now.at,
            );
            claim.version = version;
            claim.head_hash = head;
            let payments: Vec<_> = events
                .iter()
                .filter_map(|event| match event {
                    ClaimEvent::PaymentRecorded { payment, .. } => Some(payment),
                    _ => None,
                })
                .collect();
            let valuation = value(&claim, &rates, now.today);
            save_claim_change(
                conn,
                p.tenant,
                &claim,
                &payments,
                &sealed,
                valuation.limitation_deadline,
                now.at,
            )
            .await?;
            Ok(render(&claim, &valuation, now))
        })
        .await
    }

    /// One claim, valued today.
    pub async fn get_claim(&self, p: &Principal, id: ClaimId) -> Result<ValuedClaim, AppError> {
        p.require(Role::Legal)?;
        let rates = self.rates().await?;
        let mut conn = self.conn().await?;
        let claim = get_claim(&mut conn, p.tenant, id, false)
            .await
            .map_err(not_found("claim", id))?;
        let valuation = value(&claim, &rates, self.now().today);
        Ok(ValuedClaim { claim, valuation })
    }

    /// The statement of a claim as of `as_of` (today when `None`). Refused when a rate it
    /// needs is not published.
    pub async fn statement(
        &self,
        p: &Principal,
        id: ClaimId,
        as_of: Option<chrono::NaiveDate>,
        conventions: Conventions,
    ) -> Result<Statement, AppError> {
        p.require(Role::Legal)?;
        let rates = self.rates().await?;
        let mut conn = self.conn().await?;
        let claim = get_claim(&mut conn, p.tenant, id, false)
            .await
            .map_err(not_found("claim", id))?;
        let as_of = as_of.unwrap_or(self.now().today);
        // Before its first invoice was issued a claim owes nothing that a statement could show.
        if let Some(first) = claim.invoices.iter().map(|i| i.issue_date).min()
            && as_of < first
        {
            return Err(AppError::invalid(
                "as_of",
                format!("must not be before the first invoice's issue date {first}"),
            ));
        }
        Ok(
            statement(claim.statement_input(), &rates, as_of, conventions)
                .map_err(ClaimError::from)?,
        )
    }

    /// A page of claims matching `filter`, in creation order.
    pub async fn list_claims(
        &self,
        p: &Principal,
        filter: &ClaimFilter,
        page_size: i32,
        token: &str,
    ) -> Result<ClaimPage, AppError> {
        p.require(Role::Legal)?;
        let rates = self.rates().await?;
        let limit = page_token::size(page_size, 50, 500)?;
        let fingerprint = format!("claims:{filter:?}");
        let after = page_token::decode(token, &fingerprint)?
            .map(|b| Uuid::from_slice(&b).map_err(|_| AppError::InvalidPageToken))
            .transpose()?;
        let mut conn = self.conn().await?;
        // One row more than asked tells whether another page exists.
        let mut claims = list_claims(&mut conn, p.tenant, filter, after, limit + 1).await?;
        let next_page_token = if claims.len() as i64 > limit {
            claims.truncate(limit as usize);
            claims
                .last()
                .map(|c| page_token::encode(c.id.0.as_bytes(), &fingerprint))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let today = self.now().today;
        Ok(ClaimPage {
            claims: claims
                .into_iter()
                .map(|claim| {
                    let valuation = value(&claim, &rates, today);
                    ValuedClaim { claim, valuation }
                })
                .collect(),
            next_page_token,
        })
    }

    /// A page of a claim's timeline, and the next page token.
    pub async fn list_claim_events(
        &self,
        p: &Principal,
        id: ClaimId,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<StoredEvent>, String), AppError> {
        p.require(Role::Legal)?;
        let limit = page_token::size(page_size, 100, 1000)?;
        let fingerprint = format!("events:{id}");
        let after = match page_token::decode(token, &fingerprint)? {
            None => 0,
            Some(b) => i64::from_be_bytes(b.try_into().map_err(|_| AppError::InvalidPageToken)?),
        };
        let mut conn = self.conn().await?;
        let (version, _) = claim_head(&mut conn, p.tenant, id)
            .await
            .map_err(not_found("claim", id))?;
        let events = list_events(&mut conn, p.tenant, id, after, Some(limit)).await?;
        let next = match events.last() {
            Some(last) if last.seq < version => {
                page_token::encode(&last.seq.to_be_bytes(), &fingerprint)
            }
            _ => String::new(),
        };
        Ok((events, next))
    }

    /// Re-computes a claim's chain.
    pub async fn verify_claim_events(
        &self,
        p: &Principal,
        id: ClaimId,
    ) -> Result<ChainReport, AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        let (version, head_hash) = claim_head(&mut conn, p.tenant, id)
            .await
            .map_err(not_found("claim", id))?;
        let events = list_events(&mut conn, p.tenant, id, 0, None).await?;
        let event_count = events.len() as i64;
        let broken = verify_chain(&events, version, &head_hash).err();
        Ok(ChainReport {
            event_count,
            head_hash,
            broken,
        })
    }
}

/// Seals `events` onto `claim`'s chain as `actor` and saves the claim with them (and its new
/// limitation deadline), in the caller's transaction: the end of every change to a claim that
/// records no payment.
pub(crate) async fn save_events(
    conn: &mut recouvre_store::Conn,
    tenant: recouvre_domain::TenantId,
    claim: &mut Claim,
    events: &[ClaimEvent],
    actor: &str,
    rates: &RateTable,
    now: Now,
) -> Result<(), AppError> {
    let (sealed, version, head) = seal(
        claim.id,
        claim.version,
        claim.head_hash,
        events,
        actor,
        now.at,
    );
    claim.version = version;
    claim.head_hash = head;
    let after = value(claim, rates, now.today);
    save_claim_change(
        conn,
        tenant,
        claim,
        &[],
        &sealed,
        after.limitation_deadline,
        now.at,
    )
    .await?;
    Ok(())
}
