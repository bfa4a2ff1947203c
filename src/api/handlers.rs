//! One handler per RPC: authenticate, parse, call the use case, render.

use recouvre_domain::{Contact, Payment, PaymentId};
use recouvre_store::claims::ClaimFilter;
use tonic::{Request, Response, Status};

use super::convert::{self, Violations, claim_pb, prefix_fields};
use super::pb::api_key_service_server::ApiKeyService;
use super::pb::claim_service_server::ClaimService;
use super::pb::creditor_service_server::CreditorService;
use super::pb::debtor_service_server::DebtorService;
use super::pb::document_service_server::DocumentService;
use super::pb::rate_service_server::RateService;
use super::pb::tenant_service_server::TenantService;
use super::{Api, pb};
use crate::app::{AppError, Mutation, valuation};

type Reply<T> = Result<Response<T>, Status>;

/// What every change to a claim starts from: the caller (an agent at least), the request-id
/// record of the change, and the claim.
struct ClaimChange {
    p: crate::app::Principal,
    m: Mutation,
    id: recouvre_domain::ClaimId,
}

impl Api {
    /// Authenticates a claim change, checks the role, hashes the request under its request id
    /// and parses the claim id; returns them with the request's message.
    async fn claim_change<R: prost::Message>(
        &self,
        request: Request<R>,
        method: &'static str,
        keys: fn(&R) -> (&String, &String),
    ) -> Result<(ClaimChange, R), Status> {
        let p = self.principal(&request).await?;
        p.require(recouvre_domain::Role::Agent)?;
        let r = request.into_inner();
        let (request_id, claim_id) = keys(&r);
        let m = Mutation::of(method, request_id, &r)?;
        let id = convert::claim_id("claim_id", claim_id)?;
        Ok((ClaimChange { p, m, id }, r))
    }
}

fn missing(what: &str) -> Status {
    AppError::invalid(what, "is invalid").into()
}

#[tonic::async_trait]
impl ClaimService for Api {
    async fn create_claim(&self, request: Request<pb::CreateClaimRequest>) -> Reply<pb::Claim> {
        let p = self.principal(&request).await?;
        p.require(recouvre_domain::Role::Agent)?;
        let r = request.into_inner();
        let m = Mutation::of("CreateClaim", &r.request_id, &r)?;
        let new = convert::new_claim(r.claim.as_ref(), self.app.now().today)?;
        let claim = self
            .app
            .create_claim(&p, &m, new, claim_pb)
            .await
            .map_err(|e| prefix_fields(e, "claim."))?;
        Ok(Response::new(claim))
    }

    async fn get_claim(&self, request: Request<pb::GetClaimRequest>) -> Reply<pb::Claim> {
        let p = self.principal(&request).await?;
        let id = convert::claim_id("id", &request.get_ref().id)?;
        let valued = self.app.get_claim(&p, id).await?;
        Ok(Response::new(claim_pb(
            &valued.claim,
            &valued.valuation,
            self.app.now(),
        )))
    }

    async fn list_claims(
        &self,
        request: Request<pb::ListClaimsRequest>,
    ) -> Reply<pb::ListClaimsResponse> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let mut v = Violations::default();
        let creditor_id = (!r.creditor_id.is_empty())
            .then(|| {
                v.check(
                    "creditor_id",
                    convert::creditor_id("creditor_id", &r.creditor_id)
                        .map_err(|_| "is not a valid id (UUID)"),
                )
            })
            .flatten();
        let debtor_id = (!r.debtor_id.is_empty())
            .then(|| {
                v.check(
                    "debtor_id",
                    convert::debtor_id("debtor_id", &r.debtor_id)
                        .map_err(|_| "is not a valid id (UUID)"),
                )
            })
            .flatten();
        let next_action_before = r
            .next_action_before
            .as_ref()
            .and_then(|t| convert::from_timestamp(&mut v, "next_action_before", t));
        let limitation_before = convert::date(
            &mut v,
            "limitation_deadline_before",
            r.limitation_deadline_before.as_ref(),
            false,
        );
        v.finish()?;
        let filter = ClaimFilter {
            state: convert::state_filter(r.state)?,
            creditor_id,
            debtor_id,
            next_action_before,
            limitation_before,
        };
        let page = self
            .app
            .list_claims(&p, &filter, r.page_size, &r.page_token)
            .await?;
        let now = self.app.now();
        Ok(Response::new(pb::ListClaimsResponse {
            claims: page
                .claims
                .iter()
                .map(|v| claim_pb(&v.claim, &v.valuation, now))
                .collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn list_claim_events(
        &self,
        request: Request<pb::ListClaimEventsRequest>,
    ) -> Reply<pb::ListClaimEventsResponse> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let id = convert::claim_id("claim_id", &r.claim_id)?;
        let (events, next_page_token) = self
            .app
            .list_claim_events(&p, id, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListClaimEventsResponse {
            events: events.iter().map(convert::event_pb).collect(),
            next_page_token,
        }))
    }

    async fn verify_claim_events(
        &self,
        request: Request<pb::VerifyClaimEventsRequest>,
    ) -> Reply<pb::VerifyClaimEventsResponse> {
        let p = self.principal(&request).await?;
        let id = convert::claim_id("claim_id", &request.get_ref().claim_id)?;
        let report = self.app.verify_claim_events(&p, id).await?;
        Ok(Response::new(pb::VerifyClaimEventsResponse {
            intact: report.broken.is_none(),
            event_count: report.event_count,
            head_hash: hex::encode(report.head_hash),
            first_broken_sequence: report.broken.as_ref().map(|b| b.seq).unwrap_or_default(),
            reason: report
                .broken
                .map(|b| b.reason.to_owned())
                .unwrap_or_default(),
        }))
    }

    async fn record_payment(&self, request: Request<pb::RecordPaymentRequest>) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "RecordPayment", |r| (&r.request_id, &r.claim_id))
            .await?;
        let mut v = Violations::default();
        let amount = convert::money(&mut v, "amount", r.amount.as_ref(), None);
        let value_date = convert::date(&mut v, "value_date", r.value_date.as_ref(), true);
        let method = convert::payment_method(&mut v, r.method);
        v.finish()?;
        let (Some(amount), Some(value_date), Some(method)) = (amount, value_date, method) else {
            return Err(missing("request"));
        };
        let payment_id = PaymentId::new_at(self.app.now().at);
        let reference = r.reference.trim().to_owned();
        let invoice_number = Some(r.invoice_number.trim().to_owned()).filter(|n| !n.is_empty());
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, rates, now| {
                    let payment = Payment {
                        id: payment_id,
                        amount,
                        value_date,
                        method,
                        reference,
                        invoice_number,
                    };
                    let settlement = valuation::settlement(c, &payment, rates, now.today);
                    c.record_payment(payment, settlement, now)
                },
                claim_pb,
            )
            .await?;
        Ok(Response::new(claim))
    }

    async fn record_contact(&self, request: Request<pb::RecordContactRequest>) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "RecordContact", |r| (&r.request_id, &r.claim_id))
            .await?;
        let mut v = Violations::default();
        let channel = convert::contact_channel(&mut v, r.channel);
        let direction = convert::contact_direction(&mut v, r.direction);
        let outcome = convert::contact_outcome(&mut v, r.outcome);
        let occurred = r
            .occur_time
            .as_ref()
            .map(|t| convert::from_timestamp(&mut v, "occur_time", t));
        v.finish()?;
        let (Some(channel), Some(direction), Some(outcome)) = (channel, direction, outcome) else {
            return Err(missing("request"));
        };
        let note = r.note.trim().to_owned();
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, _, now| {
                    let occurred_at = occurred
                        .flatten()
                        .map(crate::app::now_facts)
                        .map_or(now.at, |n| n.at);
                    c.record_contact(
                        Contact {
                            channel,
                            direction,
                            outcome,
                            note,
                            occurred_at,
                        },
                        now,
                    )
                },
                claim_pb,
            )
            .await?;
        Ok(Response::new(claim))
    }

    async fn open_dispute(&self, request: Request<pb::OpenDisputeRequest>) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "OpenDispute", |r| (&r.request_id, &r.claim_id))
            .await?;
        let reason = r.reason.trim().to_owned();
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, _, now| c.open_dispute(reason, now),
                claim_pb,
            )
            .await?;
        Ok(Response::new(claim))
    }

    async fn resolve_dispute(
        &self,
        request: Request<pb::ResolveDisputeRequest>,
    ) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "ResolveDispute", |r| (&r.request_id, &r.claim_id))
            .await?;
        let resolution = convert::dispute_resolution(r.resolution)?;
        let note = r.note.trim().to_owned();
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, _, now| c.resolve_dispute(resolution, note, now),
                claim_pb,
            )
            .await?;
        Ok(Response::new(claim))
    }

    async fn record_promise_to_pay(
        &self,
        request: Request<pb::RecordPromiseToPayRequest>,
    ) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "RecordPromiseToPay", |r| {
                (&r.request_id, &r.claim_id)
            })
            .await?;
        let mut v = Violations::default();
        let amount = convert::money(&mut v, "amount", r.amount.as_ref(), None);
        let due_date = convert::date(&mut v, "due_date", r.due_date.as_ref(), true);
        v.finish()?;
        let (Some(amount), Some(due_date)) = (amount, due_date) else {
            return Err(missing("request"));
        };
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, rates, now| {
                    let owed = valuation::value(c, rates, now.today).owed(c);
                    c.record_promise(amount, due_date, owed, now)
                },
                claim_pb,
            )
            .await?;
        Ok(Response::new(claim))
    }

    async fn escalate_claim(&self, request: Request<pb::EscalateClaimRequest>) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "EscalateClaim", |r| (&r.request_id, &r.claim_id))
            .await?;
        let to = convert::target_stage(r.target_state)?;
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, rates, now| {
                    let deadline = valuation::value(c, rates, now.today).limitation_deadline;
                    c.escalate(to, deadline, now)
                },
                claim_pb,
            )
            .await?;
        Ok(Response::new(claim))
    }

    async fn close_claim(&self, request: Request<pb::CloseClaimRequest>) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "CloseClaim", |r| (&r.request_id, &r.claim_id))
            .await?;
        let kind = convert::closure_kind(r.kind)?;
        let reason = r.reason.trim().to_owned();
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, rates, now| {
                    let owed = valuation::value(c, rates, now.today).owed(c);
                    c.close(kind, reason, owed, now)
                },
                claim_pb,
            )
            .await?;
        Ok(Response::new(claim))
    }

    async fn get_statement(
        &self,
        request: Request<pb::GetStatementRequest>,
    ) -> Reply<pb::Statement> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let id = convert::claim_id("claim_id", &r.claim_id)?;
        let mut v = Violations::default();
        let as_of = convert::date(&mut v, "as_of", r.as_of.as_ref(), false);
        let conventions = convert::conventions(&mut v, r.conventions.as_ref());
        v.finish()?;
        let statement = self
            .app
            .statement(&p, id, as_of, conventions.unwrap_or_default())
            .await?;
        Ok(Response::new(convert::statement_pb(id, &statement)))
    }

    async fn record_formal_notice_delivery(
        &self,
        request: Request<pb::RecordFormalNoticeDeliveryRequest>,
    ) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "RecordFormalNoticeDelivery", |r| {
                (&r.request_id, &r.claim_id)
            })
            .await?;
        let delivery = convert::formal_notice_delivery(r.delivery.as_ref())?;
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, _, now| c.record_formal_notice_delivery(delivery, now),
                claim_pb,
            )
            .await
            .map_err(|e| prefix_fields(e, "delivery."))?;
        Ok(Response::new(claim))
    }

    async fn record_judgment(
        &self,
        request: Request<pb::RecordJudgmentRequest>,
    ) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "RecordJudgment", |r| (&r.request_id, &r.claim_id))
            .await?;
        let judgment = convert::judgment(r.judgment.as_ref())?;
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, _, now| c.record_judgment(judgment, now),
                claim_pb,
            )
            .await
            .map_err(|e| prefix_fields(e, "judgment."))?;
        Ok(Response::new(claim))
    }

    async fn record_limitation_interruption(
        &self,
        request: Request<pb::RecordLimitationInterruptionRequest>,
    ) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "RecordLimitationInterruption", |r| {
                (&r.request_id, &r.claim_id)
            })
            .await?;
        let interruption = convert::interruption(r.interruption.as_ref())?;
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, _, now| c.record_interruption(interruption, now),
                claim_pb,
            )
            .await
            .map_err(|e| prefix_fields(e, "interruption."))?;
        Ok(Response::new(claim))
    }

    async fn propose_payment_plan(
        &self,
        request: Request<pb::ProposePaymentPlanRequest>,
    ) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "ProposePaymentPlan", |r| {
                (&r.request_id, &r.claim_id)
            })
            .await?;
        let schedule = convert::plan_schedule(&r)?;
        let grace = u32::try_from(r.grace_days)
            .map_err(|_| AppError::invalid("grace_days", "must not be negative"))?;
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, rates, now| {
                    let owed = valuation::value(c, rates, now.today).owed(c);
                    let instalments = match schedule {
                        convert::PlanSchedule::Given(list) => list,
                        convert::PlanSchedule::Equal { count, first_due } => {
                            let owed = owed.map_err(recouvre_domain::ClaimError::from)?;
                            recouvre_domain::plan::equal_instalments(owed, count, first_due)
                                .map_err(|v| recouvre_domain::ClaimError::Invalid(vec![v]))?
                        }
                    };
                    c.propose_plan(instalments, grace, owed, now)
                },
                claim_pb,
            )
            .await?;
        Ok(Response::new(claim))
    }

    async fn agree_payment_plan(
        &self,
        request: Request<pb::AgreePaymentPlanRequest>,
    ) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "AgreePaymentPlan", |r| {
                (&r.request_id, &r.claim_id)
            })
            .await?;
        let claim = self
            .app
            .mutate_claim(&p, &m, id, &r.etag, |c, _, now| c.agree_plan(now), claim_pb)
            .await?;
        Ok(Response::new(claim))
    }

    async fn record_recovery_cost(
        &self,
        request: Request<pb::RecordRecoveryCostRequest>,
    ) -> Reply<pb::Claim> {
        let (ClaimChange { p, m, id }, r) = self
            .claim_change(request, "RecordRecoveryCost", |r| {
                (&r.request_id, &r.claim_id)
            })
            .await?;
        let cost = convert::recovery_cost(r.cost.as_ref())?;
        let claim = self
            .app
            .mutate_claim(
                &p,
                &m,
                id,
                &r.etag,
                move |c, _, now| {
                    // The amount was parsed in its own currency: it must be the claim's.
                    if cost.1 != c.currency {
                        return Err(recouvre_domain::ClaimError::Invalid(vec![
                            recouvre_domain::claim::FieldViolation::new(
                                "amount.currency_code",
                                format!("must be the claim's currency {}", c.currency.code()),
                            ),
                        ]));
                    }
                    c.record_recovery_cost(cost.0, now)
                },
                claim_pb,
            )
            .await
            .map_err(|e| prefix_fields(e, "cost."))?;
        Ok(Response::new(claim))
    }
}

#[tonic::async_trait]
impl RateService for Api {
    async fn list_rates(
        &self,
        request: Request<pb::ListRatesRequest>,
    ) -> Reply<pb::ListRatesResponse> {
        let p = self.principal(&request).await?;
        let table = self.app.list_rates(&p).await?;
        Ok(Response::new(pb::ListRatesResponse {
            ecb_rates: table.ecb_rates().iter().map(convert::ecb_rate_pb).collect(),
            legal_interest_rates: table
                .legal_rates()
                .iter()
                .map(convert::legal_rate_pb)
                .collect(),
        }))
    }

    async fn set_ecb_rate(&self, request: Request<pb::SetEcbRateRequest>) -> Reply<pb::EcbRate> {
        let p = self.principal(&request).await?;
        p.require(recouvre_domain::Role::Operator)?;
        let r = request.into_inner();
        let m = Mutation::of("SetEcbRate", &r.request_id, &r)?;
        let rate = convert::ecb_rate(r.rate.as_ref())?;
        let row = self
            .app
            .set_ecb_rate(&p, &m, rate, convert::ecb_rate_pb)
            .await?;
        Ok(Response::new(row))
    }

    async fn set_legal_interest_rate(
        &self,
        request: Request<pb::SetLegalInterestRateRequest>,
    ) -> Reply<pb::LegalInterestRate> {
        let p = self.principal(&request).await?;
        p.require(recouvre_domain::Role::Operator)?;
        let r = request.into_inner();
        let m = Mutation::of("SetLegalInterestRate", &r.request_id, &r)?;
        let rate = convert::legal_rate(r.rate.as_ref())?;
        let row = self
            .app
            .set_legal_rate(&p, &m, rate, convert::legal_rate_pb)
            .await?;
        Ok(Response::new(row))
    }
}

#[tonic::async_trait]
impl CreditorService for Api {
    async fn create_creditor(
        &self,
        request: Request<pb::CreateCreditorRequest>,
    ) -> Reply<pb::Creditor> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        p.require(recouvre_domain::Role::Admin)?;
        let m = Mutation::of("CreateCreditor", &r.request_id, &r)?;
        let creditor = convert::new_creditor(r.creditor.as_ref())?;
        Ok(Response::new(
            self.app
                .create_creditor(&p, &m, creditor, convert::creditor_pb)
                .await?,
        ))
    }

    async fn get_creditor(&self, request: Request<pb::GetCreditorRequest>) -> Reply<pb::Creditor> {
        let p = self.principal(&request).await?;
        let id = convert::creditor_id("id", &request.get_ref().id)?;
        Ok(Response::new(convert::creditor_pb(
            &self.app.get_creditor(&p, id).await?,
        )))
    }

    async fn list_creditors(
        &self,
        request: Request<pb::ListCreditorsRequest>,
    ) -> Reply<pb::ListCreditorsResponse> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let (items, next_page_token) = self
            .app
            .list_creditors(&p, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListCreditorsResponse {
            creditors: items.iter().map(convert::creditor_pb).collect(),
            next_page_token,
        }))
    }

    async fn update_creditor(
        &self,
        request: Request<pb::UpdateCreditorRequest>,
    ) -> Reply<pb::Creditor> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        p.require(recouvre_domain::Role::Admin)?;
        let m = Mutation::of("UpdateCreditor", &r.request_id, &r)?;
        let src = r
            .creditor
            .clone()
            .ok_or_else(|| AppError::invalid("creditor", "is required"))?;
        let id = convert::creditor_id("creditor.id", &src.id)?;
        let mask = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let etag = src.etag.clone();
        let creditor = self
            .app
            .update_creditor(
                &p,
                &m,
                id,
                &etag,
                |c| convert::apply_creditor(&src, &mask, c),
                convert::creditor_pb,
            )
            .await?;
        Ok(Response::new(creditor))
    }
}

#[tonic::async_trait]
impl DebtorService for Api {
    async fn create_debtor(&self, request: Request<pb::CreateDebtorRequest>) -> Reply<pb::Debtor> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        p.require(recouvre_domain::Role::Agent)?;
        let m = Mutation::of("CreateDebtor", &r.request_id, &r)?;
        let debtor = convert::new_debtor(r.debtor.as_ref())?;
        Ok(Response::new(
            self.app
                .create_debtor(&p, &m, debtor, convert::debtor_pb)
                .await?,
        ))
    }

    async fn get_debtor(&self, request: Request<pb::GetDebtorRequest>) -> Reply<pb::Debtor> {
        let p = self.principal(&request).await?;
        let id = convert::debtor_id("id", &request.get_ref().id)?;
        Ok(Response::new(convert::debtor_pb(
            &self.app.get_debtor(&p, id).await?,
        )))
    }

    async fn list_debtors(
        &self,
        request: Request<pb::ListDebtorsRequest>,
    ) -> Reply<pb::ListDebtorsResponse> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let (items, next_page_token) = self
            .app
            .list_debtors(&p, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListDebtorsResponse {
            debtors: items.iter().map(convert::debtor_pb).collect(),
            next_page_token,
        }))
    }

    async fn update_debtor(&self, request: Request<pb::UpdateDebtorRequest>) -> Reply<pb::Debtor> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        p.require(recouvre_domain::Role::Agent)?;
        let m = Mutation::of("UpdateDebtor", &r.request_id, &r)?;
        let src = r
            .debtor
            .clone()
            .ok_or_else(|| AppError::invalid("debtor", "is required"))?;
        let id = convert::debtor_id("debtor.id", &src.id)?;
        let mask = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let etag = src.etag.clone();
        let debtor = self
            .app
            .update_debtor(
                &p,
                &m,
                id,
                &etag,
                |d| convert::apply_debtor(&src, &mask, d),
                convert::debtor_pb,
            )
            .await?;
        Ok(Response::new(debtor))
    }

    async fn record_debtor_proceedings(
        &self,
        request: Request<pb::RecordDebtorProceedingsRequest>,
    ) -> Reply<pb::Debtor> {
        let p = self.principal(&request).await?;
        p.require(recouvre_domain::Role::Agent)?;
        let r = request.into_inner();
        let m = Mutation::of("RecordDebtorProceedings", &r.request_id, &r)?;
        let id = convert::debtor_id("debtor_id", &r.debtor_id)?;
        let proceedings = convert::proceedings(r.proceedings.as_ref())?;
        let debtor = self
            .app
            .record_debtor_proceedings(&p, &m, id, &r.etag, proceedings, convert::debtor_pb)
            .await
            .map_err(|e| prefix_fields(e, "proceedings."))?;
        Ok(Response::new(debtor))
    }
}

#[tonic::async_trait]
impl ApiKeyService for Api {
    async fn create_api_key(&self, request: Request<pb::CreateApiKeyRequest>) -> Reply<pb::ApiKey> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        p.require(recouvre_domain::Role::Admin)?;
        let m = Mutation::of("CreateApiKey", &r.request_id, &r)?;
        let src = r.api_key.unwrap_or_default();
        let role = convert::role(src.role)?;
        let label = src.label.trim();
        if label.is_empty() || label.chars().count() > 200 || label.contains('\0') {
            return Err(AppError::invalid(
                "api_key.label",
                "is required, at most 200 characters, no NUL character",
            )
            .into());
        }
        let key = self
            .app
            .create_api_key(&p, &m, role, label, |k, with_token| {
                convert::api_key_pb(&k.key, with_token.then_some(k.token.as_str()))
            })
            .await?;
        Ok(Response::new(key))
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Reply<pb::ListApiKeysResponse> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let (items, next_page_token) = self
            .app
            .list_api_keys(&p, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListApiKeysResponse {
            api_keys: items.iter().map(|k| convert::api_key_pb(k, None)).collect(),
            next_page_token,
        }))
    }

    async fn revoke_api_key(&self, request: Request<pb::RevokeApiKeyRequest>) -> Reply<pb::ApiKey> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        p.require(recouvre_domain::Role::Admin)?;
        let m = Mutation::of("RevokeApiKey", &r.request_id, &r)?;
        let id = convert::api_key_id("id", &r.id)?;
        let key = self
            .app
            .revoke_api_key(&p, &m, id, |k| convert::api_key_pb(k, None))
            .await?;
        Ok(Response::new(key))
    }
}

fn document_kind(raw: i32) -> Result<recouvre_docs::DocumentKind, AppError> {
    use recouvre_docs::DocumentKind as K;
    match pb::DocumentKind::try_from(raw) {
        Ok(pb::DocumentKind::WarningLetter1) => Ok(K::WarningLetter1),
        Ok(pb::DocumentKind::WarningLetter2) => Ok(K::WarningLetter2),
        Ok(pb::DocumentKind::AgencyFirstLetter) => Ok(K::AgencyFirstLetter),
        Ok(pb::DocumentKind::FormalNotice) => Ok(K::FormalNotice),
        Ok(pb::DocumentKind::BailiffDossier) => Ok(K::BailiffDossier),
        Ok(pb::DocumentKind::EmailReminder) => Ok(K::EmailReminder),
        Ok(pb::DocumentKind::SmsReminder) => Ok(K::SmsReminder),
        Ok(pb::DocumentKind::CallScript) => Ok(K::CallScript),
        Ok(pb::DocumentKind::PaymentPlanAgreement) => Ok(K::PaymentPlanAgreement),
        Ok(pb::DocumentKind::Unspecified) | Err(_) => Err(AppError::invalid(
            "kind",
            "is required (a DOCUMENT_KIND_… value)",
        )),
    }
}

fn document_kind_pb(kind: &str) -> pb::DocumentKind {
    match kind {
        "warning_letter_1" => pb::DocumentKind::WarningLetter1,
        "warning_letter_2" => pb::DocumentKind::WarningLetter2,
        "agency_first_letter" => pb::DocumentKind::AgencyFirstLetter,
        "formal_notice" => pb::DocumentKind::FormalNotice,
        "bailiff_dossier" => pb::DocumentKind::BailiffDossier,
        "email_reminder" => pb::DocumentKind::EmailReminder,
        "sms_reminder" => pb::DocumentKind::SmsReminder,
        "call_script" => pb::DocumentKind::CallScript,
        "payment_plan_agreement" => pb::DocumentKind::PaymentPlanAgreement,
        _ => pb::DocumentKind::Unspecified,
    }
}

fn language(
    field: &str,
    raw: &str,
    required: bool,
) -> Result<Option<recouvre_docs::Language>, AppError> {
    match raw.trim() {
        "" if !required => Ok(None),
        code => code
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "must be \"fr\" or \"en\"")),
    }
}

fn document_id(field: &str, raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| AppError::invalid(field, "is not a valid id (UUID)"))
}

/// A document's metadata on the wire.
pub fn document_pb(d: &recouvre_store::documents::DocumentMeta) -> pb::Document {
    pb::Document {
        id: d.id.to_string(),
        claim_id: d.claim_id.to_string(),
        kind: document_kind_pb(&d.kind) as i32,
        language_code: d.language.clone(),
        content_type: d.content_type.clone(),
        file_name: d.file_name.clone(),
        size_bytes: d.size_bytes,
        sha256: hex::encode(&d.sha256),
        template_version: d.template_version.clone(),
        page_count: d.page_count,
        create_time: Some(convert::timestamp(d.created_at)),
        download_path: format!("/v1/documents/{}", d.id),
    }
}

fn template_pb(t: &recouvre_store::documents::TemplateRow) -> pb::Template {
    pb::Template {
        kind: document_kind_pb(&t.kind) as i32,
        language_code: t.language.clone(),
        source: t.source.clone(),
        version: t.version,
        sha256: hex::encode(&t.sha256),
        update_time: Some(convert::timestamp(t.updated_at)),
    }
}

/// Bytes of a download chunk: 64 KiB.
const CHUNK: usize = 64 * 1024;

#[tonic::async_trait]
impl DocumentService for Api {
    async fn generate_document(
        &self,
        request: Request<pb::GenerateDocumentRequest>,
    ) -> Reply<pb::Document> {
        let (ClaimChange { p, m, id: claim }, r) = self
            .claim_change(request, "GenerateDocument", |r| {
                (&r.request_id, &r.claim_id)
            })
            .await?;
        let kind = document_kind(r.kind)?;
        let language = language("language_code", &r.language_code, false)?;
        let signatory = r
            .signatory
            .as_ref()
            .filter(|s| !s.name.trim().is_empty() || !s.title.trim().is_empty())
            .map(|s| recouvre_docs::Signatory {
                name: s.name.trim().to_owned(),
                title: s.title.trim().to_owned(),
            });
        let doc = self
            .app
            .generate_document(
                &p,
                &m,
                crate::app::documents::GenerateRequest {
                    claim,
                    etag: r.etag.clone(),
                    kind,
                    language,
                    signatory,
                },
                document_pb,
            )
            .await?;
        Ok(Response::new(doc))
    }

    async fn get_document(&self, request: Request<pb::GetDocumentRequest>) -> Reply<pb::Document> {
        let p = self.principal(&request).await?;
        let id = document_id("id", &request.get_ref().id)?;
        let meta = self.app.get_document(&p, id).await?;
        Ok(Response::new(document_pb(&meta)))
    }

    async fn list_documents(
        &self,
        request: Request<pb::ListDocumentsRequest>,
    ) -> Reply<pb::ListDocumentsResponse> {
        let p = self.principal(&request).await?;
        let r = request.into_inner();
        let claim = convert::claim_id("claim_id", &r.claim_id)?;
        let (documents, next_page_token) = self
            .app
            .list_documents(&p, claim, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListDocumentsResponse {
            documents: documents.iter().map(document_pb).collect(),
            next_page_token,
        }))
    }

    type DownloadDocumentStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<pb::DownloadDocumentResponse, Status>> + Send>,
    >;

    async fn download_document(
        &self,
        request: Request<pb::DownloadDocumentRequest>,
    ) -> Reply<Self::DownloadDocumentStream> {
        let p = self.principal(&request).await?;
        let id = document_id("id", &request.get_ref().id)?;
        let (_, bytes) = self.app.document_bytes(&p, id).await?;
        let chunks: Vec<Result<pb::DownloadDocumentResponse, Status>> = bytes
            .chunks(CHUNK)
            .enumerate()
            .map(|(i, chunk)| {
                Ok(pb::DownloadDocumentResponse {
                    offset: (i * CHUNK) as i64,
                    data: chunk.to_vec(),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }

    async fn verify_document(
        &self,
        request: Request<pb::VerifyDocumentRequest>,
    ) -> Reply<pb::VerifyDocumentResponse> {
        let p = self.principal(&request).await?;
        let id = document_id("id", &request.get_ref().id)?;
        let (reproduced, stored_sha256, rendered_sha256, template_version) =
            self.app.verify_document(&p, id).await?;
        Ok(Response::new(pb::VerifyDocumentResponse {
            reproduced,
            stored_sha256,
            rendered_sha256,
            template_version,
        }))
    }

    async fn set_template(&self, request: Request<pb::SetTemplateRequest>) -> Reply<pb::Template> {
        let p = self.principal(&request).await?;
        p.require(recouvre_domain::Role::Admin)?;
        let r = request.into_inner();
        let m = Mutation::of("SetTemplate", &r.request_id, &r)?;
        let t = r
            .template
            .as_ref()
            .ok_or_else(|| AppError::invalid("template", "is required"))?;
        let kind = document_kind(t.kind).map_err(|_| {
            AppError::invalid("template.kind", "is required (a DOCUMENT_KIND_… value)")
        })?;
        let lang = language("template.language_code", &t.language_code, true)?
            .ok_or_else(|| AppError::invalid("template.language_code", "is required"))?;
        if t.source.trim().is_empty() {
            return Err(AppError::invalid("template.source", "must not be empty").into());
        }
        let row = self
            .app
            .set_template(&p, &m, kind, lang, t.source.clone(), template_pb)
            .await?;
        Ok(Response::new(row))
    }

    async fn list_templates(
        &self,
        request: Request<pb::ListTemplatesRequest>,
    ) -> Reply<pb::ListTemplatesResponse> {
        let p = self.principal(&request).await?;
        let rows = self.app.list_templates(&p).await?;
        Ok(Response::new(pb::ListTemplatesResponse {
            templates: rows.iter().map(template_pb).collect(),
        }))
    }

    async fn delete_template(
        &self,
        request: Request<pb::DeleteTemplateRequest>,
    ) -> Reply<pb::DeleteTemplateResponse> {
        let p = self.principal(&request).await?;
        p.require(recouvre_domain::Role::Admin)?;
        let r = request.into_inner();
        let m = Mutation::of("DeleteTemplate", &r.request_id, &r)?;
        let kind = document_kind(r.kind)?;
        let lang = language("language_code", &r.language_code, true)?
            .ok_or_else(|| AppError::invalid("language_code", "is required"))?;
        let result = self
            .app
            .delete_template(&p, &m, kind, lang, |deleted| pb::DeleteTemplateResponse {
                deleted,
            })
            .await?;
        Ok(Response::new(result))
    }
}

fn tenant_pb(
    t: &recouvre_store::access::Tenant,
    profile: Option<&recouvre_domain::AgencyProfile>,
) -> pb::Tenant {
    pb::Tenant {
        id: t.id.to_string(),
        name: t.name.clone(),
        kind: match t.kind {
            recouvre_domain::TenantKind::Creditor => pb::TenantKind::Creditor,
            recouvre_domain::TenantKind::Agency => pb::TenantKind::Agency,
        } as i32,
        agency_profile: profile.map(|a| pb::AgencyProfile {
            legal_name: a.legal_name.clone(),
            legal_form: a.legal_form.clone(),
            siren: a.siren.clone(),
            address: a.address.as_ref().map(|x| pb::PostalAddress {
                address_lines: x.lines.clone(),
                postal_code: x.postal_code.clone(),
                locality: x.city.clone(),
                region_code: x.country.clone(),
            }),
            iban: a.iban.clone(),
            bic: a.bic.clone(),
            contact_name: a.contact_name.clone(),
            contact_phone: a.contact_phone.clone(),
            contact_email: a.contact_email.clone(),
        }),
    }
}

#[tonic::async_trait]
impl TenantService for Api {
    async fn get_tenant(&self, request: Request<pb::GetTenantRequest>) -> Reply<pb::Tenant> {
        let p = self.principal(&request).await?;
        let (tenant, profile) = self.app.tenant(&p).await?;
        Ok(Response::new(tenant_pb(&tenant, profile.as_ref())))
    }

    async fn update_agency_profile(
        &self,
        request: Request<pb::UpdateAgencyProfileRequest>,
    ) -> Reply<pb::Tenant> {
        let p = self.principal(&request).await?;
        p.require(recouvre_domain::Role::Admin)?;
        let r = request.into_inner();
        let m = Mutation::of("UpdateAgencyProfile", &r.request_id, &r)?;
        let profile = convert::agency_profile(r.agency_profile.as_ref())?;
        let tenant = self
            .app
            .update_agency_profile(&p, &m, profile, |t, a| tenant_pb(t, Some(a)))
            .await?;
        Ok(Response::new(tenant))
    }
}
