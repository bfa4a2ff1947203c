//! The caller's tenant and, for collection agencies, the identity their letters print.

use recouvre_domain::{AgencyProfile, Role, TenantKind};
use recouvre_store::access::{Tenant, get_agency_profile, get_tenant, upsert_agency_profile};

use super::{App, AppError, Mutation, Principal};

/// Reads a stored profile; a row that does not parse is reported, not ignored.
pub(crate) fn profile_from_json(v: serde_json::Value) -> Result<AgencyProfile, AppError> {
    serde_json::from_value(v).map_err(|e| {
        AppError::Store(recouvre_store::StoreError::Corrupt(format!(
            "agency profile: {e}"
        )))
    })
}

impl App {
    /// The caller's tenant and its agency profile, if any (any role).
    pub async fn tenant(&self, p: &Principal) -> Result<(Tenant, Option<AgencyProfile>), AppError> {
        p.require(Role::Legal)?;
        let mut conn = self.conn().await?;
        let tenant = get_tenant(&mut conn, p.tenant).await?;
        let profile = get_agency_profile(&mut conn, p.tenant)
            .await?
            .map(profile_from_json)
            .transpose()?;
        Ok((tenant, profile))
    }

    /// Replaces the agency's profile (`Role::Admin`); only an agency tenant has one.
    pub async fn update_agency_profile<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        profile: AgencyProfile,
        render: impl FnOnce(&Tenant, &AgencyProfile) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Admin)?;
        self.in_transaction(p, m, async |conn, now| {
            let tenant = get_tenant(conn, p.tenant).await?;
            if tenant.kind != TenantKind::Agency {
                return Err(AppError::invalid(
                    "agency_profile",
                    "only a collection-agency tenant has an agency profile",
                ));
            }
            let json = serde_json::to_value(&profile)
                .map_err(|e| AppError::Render(format!("agency profile: {e}")))?;
            upsert_agency_profile(conn, p.tenant, &json, now.at).await?;
            Ok(render(&tenant, &profile))
        })
        .await
    }
}
