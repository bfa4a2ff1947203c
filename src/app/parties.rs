//! Creditor, debtor and API-key use cases.

use recouvre_domain::{ApiKeyId, Creditor, CreditorId, Debtor, DebtorId, Role};
use recouvre_store::access::{ApiKey, list_api_keys, revoke_api_key};
use recouvre_store::parties::{
    debtor_has_claims, get_creditor, get_debtor, insert_creditor, insert_debtor, list_creditors,
    list_debtors, update_creditor, update_debtor,
};
use uuid::Uuid;

use super::claims::check_etag;
use super::{App, AppError, Mutation, NewApiKey, Principal, create_api_key, not_found, page_token};

fn page<T>(
    mut items: Vec<T>,
    limit: i64,
    id: impl Fn(&T) -> Uuid,
    fingerprint: &str,
) -> (Vec<T>, String) {
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        let token = items
            .last()
            .map(|i| page_token::encode(id(i).as_bytes(), fingerprint))
            .unwrap_or_default();
        (items, token)
    } else {
        (items, String::new())
    }
}

fn after(token: &str, fingerprint: &str) -> Result<Option<Uuid>, AppError> {
    page_token::decode(token, fingerprint)?
        .map(|b| Uuid::from_slice(&b).map_err(|_| AppError::InvalidPageToken))
        .transpose()
}

impl App {
    /// Registers a creditor (`Role::Admin`). Its id, version and times are set here.
    pub async fn create_creditor<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        mut creditor: Creditor,
        render: impl FnOnce(&Creditor) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        self.in_transaction(p, m, async |conn, now| {
            creditor.id = CreditorId::new_at(now.at);
            creditor.version = 1;
            creditor.created_at = now.at;
            creditor.updated_at = now.at;
            insert_creditor(conn, p.tenant, &creditor).await?;
            Ok(render(&creditor))
        })
        .await
    }

    /// One creditor.
    pub async fn get_creditor(&self, p: &Principal, id: CreditorId) -> Result<Creditor, AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        get_creditor(&mut conn, p.tenant, id, false)
            .await
            .map_err(not_found("creditor", id))
    }

    /// A page of creditors.
    pub async fn list_creditors(
        &self,
        p: &Principal,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<Creditor>, String), AppError> {
        p.require(Role::Legal)?;
        let limit = page_token::size(page_size, 50, 500)?;
        let after = after(token, "creditors")?;
        let mut conn = self.conn().await?;
        let items = list_creditors(&mut conn, p.tenant, after, limit + 1).await?;
        Ok(page(items, limit, |c| c.id.0, "creditors"))
    }

    /// Changes a creditor (`Role::Admin`): `apply` edits the current value.
    pub async fn update_creditor<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: CreditorId,
        sent_etag: &str,
        apply: impl FnOnce(&mut Creditor) -> Result<(), AppError>,
        render: impl FnOnce(&Creditor) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        self.in_transaction(p, m, async |conn, now| {
            let mut creditor = get_creditor(conn, p.tenant, id, true)
                .await
                .map_err(not_found("creditor", id))?;
            check_etag(sent_etag, creditor.version)?;
            apply(&mut creditor)?;
            creditor.version += 1;
            creditor.updated_at = now.at;
            update_creditor(conn, p.tenant, &creditor).await?;
            Ok(render(&creditor))
        })
        .await
    }

    /// Registers a debtor (`Role::Agent`).
    pub async fn create_debtor<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        mut debtor: Debtor,
        render: impl FnOnce(&Debtor) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Agent)?;
        self.in_transaction(p, m, async |conn, now| {
            debtor.id = DebtorId::new_at(now.at);
            debtor.version = 1;
            debtor.created_at = now.at;
            debtor.updated_at = now.at;
            insert_debtor(conn, p.tenant, &debtor).await?;
            Ok(render(&debtor))
        })
        .await
    }

    /// One debtor.
    pub async fn get_debtor(&self, p: &Principal, id: DebtorId) -> Result<Debtor, AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        get_debtor(&mut conn, p.tenant, id, false)
            .await
            .map_err(not_found("debtor", id))
    }

    /// A page of debtors.
    pub async fn list_debtors(
        &self,
        p: &Principal,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<Debtor>, String), AppError> {
        p.require(Role::Legal)?;
        let limit = page_token::size(page_size, 50, 500)?;
        let after = after(token, "debtors")?;
        let mut conn = self.conn().await?;
        let items = list_debtors(&mut conn, p.tenant, after, limit + 1).await?;
        Ok(page(items, limit, |d| d.id.0, "debtors"))
    }

    /// Changes a debtor (`Role::Agent`). Its kind cannot change once it has claims: rates,
    /// indemnities and limitation periods already computed depend on it.
    pub async fn update_debtor<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: DebtorId,
        sent_etag: &str,
        apply: impl FnOnce(&mut Debtor) -> Result<(), AppError>,
        render: impl FnOnce(&Debtor) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Agent)?;
        self.in_transaction(p, m, async |conn, now| {
            let mut debtor = get_debtor(conn, p.tenant, id, true)
                .await
                .map_err(not_found("debtor", id))?;
            check_etag(sent_etag, debtor.version)?;
            let kind_before = debtor.kind;
            apply(&mut debtor)?;
            if debtor.kind != kind_before && debtor_has_claims(conn, p.tenant, id).await? {
                return Err(AppError::invalid(
                    "debtor.kind",
                    "cannot change once the debtor has claims",
                ));
            }
            debtor.version += 1;
            debtor.updated_at = now.at;
            update_debtor(conn, p.tenant, &debtor).await?;
            Ok(render(&debtor))
        })
        .await
    }

    /// Creates an API key for the caller's tenant (`Role::Admin`). The token is in the first
    /// response only: what the ledger keeps for replays has none.
    pub async fn create_api_key<R: prost::Message + Default + PartialEq>(
        &self,
        p: &Principal,
        m: &Mutation,
        role: Role,
        label: &str,
        render: impl Fn(&NewApiKey, bool) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        // A key never mints a stronger one: operator keys come from the command line only.
        if role > p.role {
            return Err(AppError::PermissionDenied { required: role });
        }
        let mut created = None;
        let stored = self
            .in_transaction(p, m, async |conn, now| {
                let key = create_api_key(conn, p.tenant, role, label, now.at).await?;
                let stored = render(&key, false);
                created = Some(key);
                Ok(stored)
            })
            .await?;
        // Show the token only if it is this transaction's key that was committed (a concurrent
        // twin of this request may have won, and ours was rolled back).
        match created {
            Some(key) if render(&key, false) == stored => Ok(render(&key, true)),
            Some(_) | None => Ok(stored),
        }
    }

    /// A page of the tenant's API keys.
    pub async fn list_api_keys(
        &self,
        p: &Principal,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<ApiKey>, String), AppError> {
        p.require(Role::Admin)?;
        let limit = page_token::size(page_size, 50, 500)?;
        let after = after(token, "api_keys")?;
        let mut conn = self.conn().await?;
        let items = list_api_keys(&mut conn, p.tenant, after, limit + 1).await?;
        Ok(page(items, limit, |k| k.id.0, "api_keys"))
    }

    /// Revokes one of the tenant's keys (`Role::Admin`).
    pub async fn revoke_api_key<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: ApiKeyId,
        render: impl FnOnce(&ApiKey) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        let out = self
            .in_transaction(p, m, async |conn, now| {
                let key = revoke_api_key(conn, p.tenant, id, now.at)
                    .await
                    .map_err(not_found("api_key", id))?;
                Ok(render(&key))
            })
            .await;
        self.key_cache().evict(id);
        out
    }
}

impl App {
    /// Records a debtor's collective proceedings or over-indebtedness (`Role::Agent`) and puts
    /// them on every open claim on the debtor, with the declaration tasks, in one transaction.
    pub async fn record_debtor_proceedings<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        id: DebtorId,
        sent_etag: &str,
        proceedings: recouvre_domain::proceedings::DebtorProceedings,
        render: impl FnOnce(&Debtor) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Agent)?;
        let actor = p.actor();
        let rates = self.rates().await?;
        self.in_transaction(p, m, async |conn, now| {
            let mut debtor = get_debtor(conn, p.tenant, id, true)
                .await
                .map_err(not_found("debtor", id))?;
            check_etag(sent_etag, debtor.version)?;
            let proceedings = proceedings.checked(debtor.kind, now.today)?;
            debtor.proceedings = Some(proceedings.clone());
            debtor.version += 1;
            debtor.updated_at = now.at;
            update_debtor(conn, p.tenant, &debtor).await?;
            for claim_id in recouvre_store::tasks::open_claims_of_debtor(conn, p.tenant, id).await?
            {
                let mut claim =
                    recouvre_store::claims::get_claim(conn, p.tenant, claim_id, true).await?;
                let events = claim.apply_proceedings(&proceedings, now);
                super::claims::save_events(
                    conn, p.tenant, &mut claim, &events, &actor, &rates, now,
                )
                .await?;
            }
            recouvre_store::tasks::ensure_declaration_tasks(conn, Some((p.tenant, id)), now.at)
                .await?;
            Ok(render(&debtor))
        })
        .await
    }
}
