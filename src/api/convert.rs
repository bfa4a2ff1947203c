//! Wire ↔ domain. Parsing collects every bad field into `BadRequest` violations (parse, don't
//! validate: what leaves here is a typed domain value); rendering never fails.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use prost_types::Timestamp;
use recouvre_domain::claim::{FieldViolation, InvoiceParts, claim_violations, text_problem};
use recouvre_domain::identifiers::{
    Bic, CountryCode, Email, Iban, Phone, PostalCode, Siren, Siret, VatNumber,
};
use recouvre_domain::proceedings::{DebtorProceedings, InsolvencyKind};
use recouvre_domain::rates::{EcbRate, LegalRate, Semester, percent_text};
use recouvre_domain::statement::{
    Conventions, DayCount, FormalNoticeDelivery, ImputationLine, InterestBasis, InterestRegime,
    Interruption, InterruptionCause, Judgment, PaymentImputation, RecoveryCost, Statement,
    StatementNote,
};
use recouvre_domain::terms::{EndOfMonthMethod, PaymentTerms};
use recouvre_domain::{
    Address, ApiKeyId, Claim, ClaimId, ClaimState, ClosureKind, ContactChannel, ContactDirection,
    ContactOutcome, Creditor, CreditorId, Currency, Debtor, DebtorId, DebtorKind,
    DisputeResolution, Invoice, Language, Money, Now, Payment, PaymentMethod, Role, Stage,
    StoredEvent,
};
use recouvre_store::access::ApiKey;
use rust_decimal::Decimal;

use super::pb;
use crate::app::{AppError, Valuation, etag};

/// Collects field violations while parsing a request.
#[derive(Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Records `result`'s error under `field`, returning the value when valid.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// Records a violation; a field already reported keeps its first (most specific) one,
    /// so each bad field appears once.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        let field = field.into();
        if !self.0.iter().any(|v| v.field == field) {
            self.0.push(FieldViolation::new(field, description));
        }
    }

    /// Err with every violation, if any.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

/// Parses a required id.
pub fn id<T>(field: &str, raw: &str, make: fn(&str) -> Option<T>) -> Result<T, AppError> {
    if raw.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    make(raw).ok_or_else(|| AppError::invalid(field, "is not a valid id (UUID)"))
}

pub fn claim_id(field: &str, raw: &str) -> Result<ClaimId, AppError> {
    id(field, raw, ClaimId::parse)
}
pub fn creditor_id(field: &str, raw: &str) -> Result<CreditorId, AppError> {
    id(field, raw, CreditorId::parse)
}
pub fn debtor_id(field: &str, raw: &str) -> Result<DebtorId, AppError> {
    id(field, raw, DebtorId::parse)
}
pub fn api_key_id(field: &str, raw: &str) -> Result<ApiKeyId, AppError> {
    id(field, raw, ApiKeyId::parse)
}

fn uuid_or_violation<T>(
    v: &mut Violations,
    field: &str,
    raw: &str,
    make: fn(&str) -> Option<T>,
) -> Option<T> {
    if raw.is_empty() {
        v.add(field, "is required");
        None
    } else {
        let parsed = make(raw);
        if parsed.is_none() {
            v.add(field, "is not a valid id (UUID)");
        }
        parsed
    }
}

/// Parses a calendar date; `None` when unset.
pub fn date(
    v: &mut Violations,
    field: &str,
    d: Option<&pb::google::r#type::Date>,
    required: bool,
) -> Option<NaiveDate> {
    match d {
        None => {
            if required {
                v.add(field, "is required");
            }
            None
        }
        Some(d) => {
            let parsed = u32::try_from(d.month)
                .ok()
                .zip(u32::try_from(d.day).ok())
                .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day))
                .filter(|x| (1900..=9999).contains(&x.year()));
            if parsed.is_none() {
                v.add(
                    field,
                    "is not a valid calendar date (year 1900-9999, month, day)",
                );
            }
            parsed
        }
    }
}

pub fn date_pb(d: NaiveDate) -> pb::google::r#type::Date {
    pb::google::r#type::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

pub fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub fn from_timestamp(v: &mut Violations, field: &str, t: &Timestamp) -> Option<DateTime<Utc>> {
    let parsed = u32::try_from(t.nanos)
        .ok()
        .and_then(|n| DateTime::from_timestamp(t.seconds, n));
    if parsed.is_none() {
        v.add(field, "is not a valid timestamp");
    }
    parsed
}

/// Parses money in `currency` (when known) or in its own currency code.
pub fn money(
    v: &mut Violations,
    field: &str,
    m: Option<&pb::Money>,
    currency: Option<Currency>,
) -> Option<Money> {
    let Some(m) = m else {
        v.add(field, "is required");
        return None;
    };
    let own = v.check(
        format!("{field}.currency_code"),
        Currency::parse(&m.currency_code),
    )?;
    if let Some(expected) = currency
        && expected != own
    {
        v.add(
            format!("{field}.currency_code"),
            format!("must be the claim's currency {}", expected.code()),
        );
        return None;
    }
    v.check(format!("{field}.amount"), Money::parse_in(&m.amount, own))
}

pub fn money_pb(m: Money) -> pb::Money {
    pb::Money {
        currency_code: m.currency().code().to_owned(),
        amount: m.to_amount_string(),
    }
}

fn text(v: &mut Violations, field: &str, raw: &str, required: bool, max: usize) -> Option<String> {
    let t = raw.trim();
    if let Some(problem) = text_problem(t) {
        v.add(field, problem);
        None
    } else if required && t.is_empty() {
        v.add(field, "is required");
        None
    } else if t.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
        None
    } else {
        Some(t.to_owned())
    }
}

fn optional<T, E: std::fmt::Display>(
    v: &mut Violations,
    field: &str,
    raw: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    if raw.trim().is_empty() {
        None
    } else {
        v.check(field, parse(raw))
    }
}

/// Parses a postal address.
pub fn address(v: &mut Violations, field: &str, a: Option<&pb::PostalAddress>) -> Option<Address> {
    let Some(a) = a else {
        v.add(field, "is required");
        return None;
    };
    let mut lines = Vec::new();
    if a.address_lines.is_empty() || a.address_lines.len() > 4 {
        v.add(format!("{field}.address_lines"), "must have 1 to 4 lines");
    }
    for (i, line) in a.address_lines.iter().enumerate() {
        if let Some(l) = text(v, &format!("{field}.address_lines[{i}]"), line, true, 100) {
            lines.push(l);
        }
    }
    let city = text(v, &format!("{field}.locality"), &a.locality, true, 100);
    let country = v.check(
        format!("{field}.region_code"),
        CountryCode::parse(&a.region_code),
    );
    let postal_code = country.as_ref().and_then(|c| {
        v.check(
            format!("{field}.postal_code"),
            PostalCode::parse(c, &a.postal_code),
        )
    });
    Some(Address {
        lines,
        postal_code: postal_code?,
        city: city?,
        country: country?,
    })
}

pub fn address_pb(a: &Address) -> pb::PostalAddress {
    pb::PostalAddress {
        address_lines: a.lines.clone(),
        postal_code: a.postal_code.as_str().to_owned(),
        locality: a.city.clone(),
        region_code: a.country.as_str().to_owned(),
    }
}

/// A placeholder time for values the app layer overwrites (ids, versions, times).
fn epoch() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

/// Which creditor fields an update touches.
pub const CREDITOR_FIELDS: &[&str] = &[
    "legal_name",
    "legal_form",
    "siren",
    "siret",
    "vat_number",
    "address",
    "iban",
    "bic",
    "contact_email",
    "contact_phone",
    "agency_client",
    "natural_person",
    "end_of_month_method",
    "legal_representative",
];

/// Parses the mutable creditor fields named in `mask` (all when empty) onto `target`.
pub fn apply_creditor(
    src: &pb::Creditor,
    mask: &[String],
    target: &mut Creditor,
) -> Result<(), AppError> {
    let mut v = Violations::default();
    let all = mask.is_empty();
    for path in mask {
        if !CREDITOR_FIELDS.contains(&path.as_str()) {
            v.add(
                "update_mask",
                format!("{path} is not a mutable creditor field"),
            );
        }
    }
    let touches = |f: &str| all || mask.iter().any(|m| m == f);
    let f = |name: &str| format!("creditor.{name}");
    if touches("legal_name")
        && let Some(x) = text(&mut v, &f("legal_name"), &src.legal_name, true, 200)
    {
        target.legal_name = x;
    }
    if touches("legal_form")
        && let Some(x) = text(&mut v, &f("legal_form"), &src.legal_form, true, 50)
    {
        target.legal_form = x;
    }
    if touches("siren") {
        target.siren = optional(&mut v, &f("siren"), &src.siren, Siren::parse);
    }
    if touches("siret") {
        target.siret = optional(&mut v, &f("siret"), &src.siret, Siret::parse);
    }
    if touches("vat_number") {
        target.vat_number = optional(&mut v, &f("vat_number"), &src.vat_number, VatNumber::parse);
    }
    if touches("address")
        && let Some(a) = address(&mut v, &f("address"), src.address.as_ref())
    {
        target.address = a;
    }
    if touches("iban") {
        target.iban = optional(&mut v, &f("iban"), &src.iban, Iban::parse);
    }
    if touches("bic") {
        target.bic = optional(&mut v, &f("bic"), &src.bic, Bic::parse);
    }
    if touches("contact_email") {
        target.contact_email = optional(
            &mut v,
            &f("contact_email"),
            &src.contact_email,
            Email::parse,
        );
    }
    if touches("contact_phone") {
        target.contact_phone = optional(
            &mut v,
            &f("contact_phone"),
            &src.contact_phone,
            Phone::parse,
        );
    }
    if touches("agency_client") {
        target.agency_client = src.agency_client;
    }
    if touches("natural_person") {
        target.natural_person = src.natural_person;
    }
    if touches("legal_representative")
        && let Some(x) = text(
            &mut v,
            &f("legal_representative"),
            &src.legal_representative,
            false,
            200,
        )
    {
        target.legal_representative = x;
    }
    if touches("end_of_month_method") {
        match pb::EndOfMonthMethod::try_from(src.end_of_month_method) {
            Ok(pb::EndOfMonthMethod::Unspecified | pb::EndOfMonthMethod::AddThenEndOfMonth) => {
                target.end_of_month_method = EndOfMonthMethod::AddThenEndOfMonth;
            }
            Ok(pb::EndOfMonthMethod::EndOfMonthThenAdd) => {
                target.end_of_month_method = EndOfMonthMethod::EndOfMonthThenAdd;
            }
            Err(_) => v.add(f("end_of_month_method"), "is not a known method"),
        }
    }
    if let (Some(siren), Some(siret)) = (&target.siren, &target.siret)
        && siret.siren() != *siren
    {
        v.add(
            f("siret"),
            "its first 9 digits must be the creditor's SIREN",
        );
    }
    v.finish()
}

/// Parses a new creditor; the app sets its id, version and times.
pub fn new_creditor(src: Option<&pb::Creditor>) -> Result<Creditor, AppError> {
    let src = src.ok_or_else(|| AppError::invalid("creditor", "is required"))?;
    // Every field is parsed onto a blank creditor; the address, being required, is replaced
    // or reported.
    let mut creditor = Creditor {
        id: CreditorId(uuid::Uuid::nil()),
        legal_name: String::new(),
        legal_form: String::new(),
        siren: None,
        siret: None,
        vat_number: None,
        address: Address {
            lines: vec![],
            postal_code: placeholder_postal(),
            city: String::new(),
            country: placeholder_country(),
        },
        iban: None,
        bic: None,
        contact_email: None,
        contact_phone: None,
        agency_client: false,
        natural_person: false,
        legal_representative: String::new(),
        end_of_month_method: EndOfMonthMethod::default(),
        version: 0,
        created_at: epoch(),
        updated_at: epoch(),
    };
    apply_creditor(src, &[], &mut creditor)?;
    Ok(creditor)
}

fn placeholder_country() -> CountryCode {
    CountryCode::parse("FR").unwrap_or_else(|_| unreachable!("FR is a country"))
}

fn placeholder_postal() -> PostalCode {
    PostalCode::parse(&placeholder_country(), "75001")
        .unwrap_or_else(|_| unreachable!("75001 is a French postal code"))
}

pub fn creditor_pb(c: &Creditor) -> pb::Creditor {
    pb::Creditor {
        id: c.id.to_string(),
        legal_name: c.legal_name.clone(),
        legal_form: c.legal_form.clone(),
        siren: c
            .siren
            .as_ref()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        siret: c
            .siret
            .as_ref()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        vat_number: c
            .vat_number
            .as_ref()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        address: Some(address_pb(&c.address)),
        iban: c
            .iban
            .as_ref()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        bic: c
            .bic
            .as_ref()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        contact_email: c
            .contact_email
            .as_ref()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        contact_phone: c
            .contact_phone
            .as_ref()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        agency_client: c.agency_client,
        natural_person: c.natural_person,
        legal_representative: c.legal_representative.clone(),
        end_of_month_method: match c.end_of_month_method {
            EndOfMonthMethod::AddThenEndOfMonth => pb::EndOfMonthMethod::AddThenEndOfMonth,
            EndOfMonthMethod::EndOfMonthThenAdd => pb::EndOfMonthMethod::EndOfMonthThenAdd,
        } as i32,
        etag: etag(c.version),
        create_time: Some(timestamp(c.created_at)),
        update_time: Some(timestamp(c.updated_at)),
    }
}

/// Which debtor fields an update touches.
pub const DEBTOR_FIELDS: &[&str] = &[
    "kind",
    "legal_name",
    "legal_form",
    "given_name",
    "family_name",
    "siren",
    "addresses",
    "emails",
    "phones",
    "language_code",
];

/// Parses the mutable debtor fields named in `mask` (all when empty) onto `target`, then checks
/// the debtor as a whole (a business has a legal name, a consumer a family name and no SIREN).
pub fn apply_debtor(
    src: &pb::Debtor,
    mask: &[String],
    target: &mut Debtor,
) -> Result<(), AppError> {
    let mut v = Violations::default();
    let all = mask.is_empty();
    for path in mask {
        if !DEBTOR_FIELDS.contains(&path.as_str()) {
            v.add(
                "update_mask",
                format!("{path} is not a mutable debtor field"),
            );
        }
    }
    let touches = |f: &str| all || mask.iter().any(|m| m == f);
    let f = |name: &str| format!("debtor.{name}");
    // Without a valid kind the kind-specific rules below cannot be judged: checking them
    // against the placeholder kind would report fields that are not wrong.
    let mut kind_known = true;
    if touches("kind") {
        match pb::DebtorKind::try_from(src.kind) {
            Ok(pb::DebtorKind::Consumer) => target.kind = DebtorKind::Consumer,
            Ok(pb::DebtorKind::Business) => target.kind = DebtorKind::Business,
            Ok(pb::DebtorKind::Unspecified) | Err(_) => {
                kind_known = false;
                v.add(f("kind"), "must be CONSUMER or BUSINESS")
            }
        }
    }
    let opt_text = |v: &mut Violations, name: &str, raw: &str| {
        text(v, &f(name), raw, false, 200).filter(|s| !s.is_empty())
    };
    if touches("legal_form") {
        target.legal_form = opt_text(&mut v, "legal_form", &src.legal_form);
    }
    if touches("legal_name") {
        target.legal_name = opt_text(&mut v, "legal_name", &src.legal_name);
    }
    if touches("given_name") {
        target.given_name = opt_text(&mut v, "given_name", &src.given_name);
    }
    if touches("family_name") {
        target.family_name = opt_text(&mut v, "family_name", &src.family_name);
    }
    if touches("siren") {
        target.siren = optional(&mut v, &f("siren"), &src.siren, Siren::parse);
    }
    if touches("addresses") {
        if src.addresses.is_empty() {
            v.add(f("addresses"), "at least one postal address is required");
        } else if src.addresses.len() > 10 {
            v.add(f("addresses"), "at most 10 addresses");
        }
        let parsed: Vec<Option<Address>> = src
            .addresses
            .iter()
            .enumerate()
            .map(|(i, a)| address(&mut v, &format!("debtor.addresses[{i}]"), Some(a)))
            .collect();
        if parsed.iter().all(Option::is_some) {
            target.addresses = parsed.into_iter().flatten().collect();
        }
    }
    if touches("emails") {
        let parsed: Vec<Option<Email>> = src
            .emails
            .iter()
            .enumerate()
            .map(|(i, e)| v.check(format!("debtor.emails[{i}]"), Email::parse(e)))
            .collect();
        target.emails = parsed.into_iter().flatten().collect();
    }
    if touches("phones") {
        let parsed: Vec<Option<Phone>> = src
            .phones
            .iter()
            .enumerate()
            .map(|(i, e)| v.check(format!("debtor.phones[{i}]"), Phone::parse(e)))
            .collect();
        target.phones = parsed.into_iter().flatten().collect();
    }
    if touches("language_code") {
        if src.language_code.is_empty() {
            target.preferred_language = Language::Fr;
        } else {
            match Language::parse(&src.language_code) {
                Some(l) => target.preferred_language = l,
                None => v.add(f("language_code"), "must be \"fr\" or \"en\""),
            }
        }
    }
    match target.kind {
        _ if !kind_known => {}
        DebtorKind::Business => {
            if target.legal_name.is_none() {
                v.add(f("legal_name"), "is required for a business");
            }
        }
        DebtorKind::Consumer => {
            if target.family_name.is_none() {
                v.add(f("family_name"), "is required for a consumer");
            }
            if target.siren.is_some() {
                v.add(f("siren"), "a consumer has no SIREN");
            }
            if target.legal_form.is_some() {
                v.add(f("legal_form"), "a consumer has no legal form");
            }
        }
    }
    v.finish()
}

/// Parses a new debtor; the app sets its id, version and times.
pub fn new_debtor(src: Option<&pb::Debtor>) -> Result<Debtor, AppError> {
    let src = src.ok_or_else(|| AppError::invalid("debtor", "is required"))?;
    let mut debtor = Debtor {
        id: DebtorId(uuid::Uuid::nil()),
        kind: DebtorKind::Consumer,
        legal_name: None,
        legal_form: None,
        given_name: None,
        family_name: None,
        siren: None,
        addresses: vec![],
        emails: vec![],
        phones: vec![],
        preferred_language: Language::Fr,
        proceedings: None,
        version: 0,
        created_at: epoch(),
        updated_at: epoch(),
    };
    apply_debtor(src, &[], &mut debtor)?;
    Ok(debtor)
}

pub fn debtor_pb(d: &Debtor) -> pb::Debtor {
    pb::Debtor {
        id: d.id.to_string(),
        kind: match d.kind {
            DebtorKind::Consumer => pb::DebtorKind::Consumer,
            DebtorKind::Business => pb::DebtorKind::Business,
        } as i32,
        legal_name: d.legal_name.clone().unwrap_or_default(),
        legal_form: d.legal_form.clone().unwrap_or_default(),
        given_name: d.given_name.clone().unwrap_or_default(),
        family_name: d.family_name.clone().unwrap_or_default(),
        siren: d
            .siren
            .as_ref()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        addresses: d.addresses.iter().map(address_pb).collect(),
        emails: d.emails.iter().map(|e| e.as_str().to_owned()).collect(),
        phones: d.phones.iter().map(|e| e.as_str().to_owned()).collect(),
        language_code: d.preferred_language.as_str().to_owned(),
        etag: etag(d.version),
        create_time: Some(timestamp(d.created_at)),
        update_time: Some(timestamp(d.updated_at)),
        proceedings: d.proceedings.as_ref().map(proceedings_pb),
    }
}

fn proceedings_pb(p: &DebtorProceedings) -> pb::DebtorProceedings {
    match p {
        DebtorProceedings::Insolvency {
            kind,
            opened_on,
            published_on,
            court,
            declaration_deadline,
        } => pb::DebtorProceedings {
            insolvency: Some(pb::Insolvency {
                proceedings: match kind {
                    InsolvencyKind::Safeguard => pb::InsolvencyProceedings::Safeguard,
                    InsolvencyKind::Reorganisation => pb::InsolvencyProceedings::Reorganisation,
                    InsolvencyKind::Liquidation => pb::InsolvencyProceedings::Liquidation,
                } as i32,
                opening_date: Some(date_pb(*opened_on)),
                publication_date: Some(date_pb(*published_on)),
                court: court.clone(),
                declaration_deadline: Some(date_pb(*declaration_deadline)),
            }),
            over_indebtedness: None,
        },
        DebtorProceedings::OverIndebtedness {
            admissible_on,
            commission,
        } => pb::DebtorProceedings {
            insolvency: None,
            over_indebtedness: Some(pb::OverIndebtedness {
                admissibility_date: Some(date_pb(*admissible_on)),
                commission: commission.clone(),
            }),
        },
    }
}

/// Parses the proceedings of a RecordDebtorProceedings request (the domain checks the rules).
pub fn proceedings(src: Option<&pb::DebtorProceedings>) -> Result<DebtorProceedings, AppError> {
    let src = src.ok_or_else(|| AppError::invalid("proceedings", "is required"))?;
    let mut v = Violations::default();
    let parsed = match (&src.insolvency, &src.over_indebtedness) {
        (Some(i), None) => {
            let kind = match pb::InsolvencyProceedings::try_from(i.proceedings) {
                Ok(pb::InsolvencyProceedings::Safeguard) => Some(InsolvencyKind::Safeguard),
                Ok(pb::InsolvencyProceedings::Reorganisation) => {
                    Some(InsolvencyKind::Reorganisation)
                }
                Ok(pb::InsolvencyProceedings::Liquidation) => Some(InsolvencyKind::Liquidation),
                _ => {
                    v.add(
                        "proceedings.insolvency.proceedings",
                        "is required (an INSOLVENCY_PROCEEDINGS_… value)",
                    );
                    None
                }
            };
            let opened = date(
                &mut v,
                "proceedings.insolvency.opening_date",
                i.opening_date.as_ref(),
                true,
            );
            let published = date(
                &mut v,
                "proceedings.insolvency.publication_date",
                i.publication_date.as_ref(),
                true,
            );
            match (kind, opened, published) {
                (Some(kind), Some(opened_on), Some(published_on)) => {
                    Some(DebtorProceedings::Insolvency {
                        kind,
                        opened_on,
                        published_on,
                        court: i.court.clone(),
                        declaration_deadline: published_on,
                    })
                }
                _ => None,
            }
        }
        (None, Some(o)) => date(
            &mut v,
            "proceedings.over_indebtedness.admissibility_date",
            o.admissibility_date.as_ref(),
            true,
        )
        .map(|admissible_on| DebtorProceedings::OverIndebtedness {
            admissible_on,
            commission: o.commission.clone(),
        }),
        _ => {
            v.add(
                "proceedings",
                "must hold exactly one of insolvency and over_indebtedness",
            );
            None
        }
    };
    v.finish()?;
    parsed.ok_or_else(|| AppError::invalid("proceedings", "is invalid"))
}

/// The instalments a ProposePaymentPlan request asks for.
pub enum PlanSchedule {
    /// Listed one by one.
    Given(Vec<recouvre_domain::plan::Instalment>),
    /// `count` equal monthly instalments from `first_due`.
    Equal {
        /// How many.
        count: u32,
        /// The first's due date.
        first_due: NaiveDate,
    },
}

/// Parses a ProposePaymentPlan request's schedule.
pub fn plan_schedule(r: &pb::ProposePaymentPlanRequest) -> Result<PlanSchedule, AppError> {
    let mut v = Violations::default();
    let schedule = if r.instalments.is_empty() {
        let count = u32::try_from(r.instalment_count).ok().filter(|c| *c > 0);
        if count.is_none() {
            v.add(
                "instalment_count",
                "give the instalments, or their count (1 to 60) and first_due_date",
            );
        }
        let first_due = date(&mut v, "first_due_date", r.first_due_date.as_ref(), true);
        count
            .zip(first_due)
            .map(|(count, first_due)| PlanSchedule::Equal { count, first_due })
    } else {
        if r.instalment_count != 0 || r.first_due_date.is_some() {
            v.add(
                "instalment_count",
                "give either the instalments or their count and first date, not both",
            );
        }
        let mut list = Vec::with_capacity(r.instalments.len());
        for (i, inst) in r.instalments.iter().enumerate() {
            let due = date(
                &mut v,
                &format!("instalments[{i}].due_date"),
                inst.due_date.as_ref(),
                true,
            );
            let amount = money(
                &mut v,
                &format!("instalments[{i}].amount"),
                inst.amount.as_ref(),
                None,
            );
            if let (Some(due_date), Some(amount)) = (due, amount) {
                list.push(recouvre_domain::plan::Instalment { due_date, amount });
            }
        }
        Some(PlanSchedule::Given(list))
    };
    v.finish()?;
    schedule.ok_or_else(|| AppError::invalid("instalments", "are invalid"))
}

fn plan_pb(plan: &recouvre_domain::plan::PaymentPlan) -> pb::PaymentPlan {
    use recouvre_domain::plan::PlanStatus;
    let coverage = plan.coverage();
    pb::PaymentPlan {
        status: match plan.status {
            PlanStatus::Proposed => pb::PaymentPlanStatus::Proposed,
            PlanStatus::Active => pb::PaymentPlanStatus::Active,
            PlanStatus::Completed => pb::PaymentPlanStatus::Completed,
            PlanStatus::Defaulted | PlanStatus::Cancelled => pb::PaymentPlanStatus::Defaulted,
        } as i32,
        instalments: plan
            .instalments
            .iter()
            .enumerate()
            .map(|(i, inst)| pb::PlanInstalment {
                due_date: Some(date_pb(inst.due_date)),
                amount: Some(money_pb(inst.amount)),
                covered: coverage.get(i).map(|c| money_pb(c.covered)),
                paid: coverage.get(i).is_some_and(|c| c.fully_covered),
            })
            .collect(),
        grace_days: i32::try_from(plan.grace_days).unwrap_or(i32::MAX),
        total: Some(money_pb(plan.total)),
        paid: Some(money_pb(plan.paid)),
        proposed_date: Some(date_pb(plan.proposed_on)),
        agreed_date: plan.agreed_on.map(date_pb),
    }
}

/// Parses the claim of a CreateClaim request and checks the claim rules on every part that
/// parsed, so one answer names every bad field, malformed or rule-breaking.
pub fn new_claim(
    src: Option<&pb::Claim>,
    today: NaiveDate,
) -> Result<recouvre_domain::NewClaim, AppError> {
    let src = src.ok_or_else(|| AppError::invalid("claim", "is required"))?;
    let mut v = Violations::default();
    let creditor_id = uuid_or_violation(
        &mut v,
        "claim.creditor_id",
        &src.creditor_id,
        CreditorId::parse,
    );
    let debtor_id = uuid_or_violation(&mut v, "claim.debtor_id", &src.debtor_id, DebtorId::parse);
    let currency = v.check("claim.currency_code", Currency::parse(&src.currency_code));
    let mut parsed = Vec::with_capacity(src.invoices.len());
    let mut extras = Vec::with_capacity(src.invoices.len());
    for (i, inv) in src.invoices.iter().enumerate() {
        let p = |f: &str| format!("claim.invoices[{i}].{f}");
        let issue_date = date(&mut v, &p("issue_date"), inv.issue_date.as_ref(), true);
        let service_completion_date = date(
            &mut v,
            &p("service_completion_date"),
            inv.service_completion_date.as_ref(),
            false,
        );
        let payment_terms = inv
            .payment_terms
            .as_ref()
            .and_then(|t| payment_terms(&mut v, &p("payment_terms"), t));
        if inv.payment_terms.is_some() && inv.due_date.is_some() {
            v.add(
                p("due_date"),
                "give either a due date or payment terms, not both",
            );
        }
        // With terms, the due date is derived once the creditor's counting method is known.
        let due_date = if inv.payment_terms.is_some() {
            issue_date
        } else {
            date(&mut v, &p("due_date"), inv.due_date.as_ref(), true)
        };
        // The amount is parsed in its own currency; the rules compare it with the claim's.
        let amount = money(&mut v, &p("amount"), inv.amount.as_ref(), None);
        let contractual_rate = if inv.contractual_rate.is_empty() {
            None
        } else {
            match inv.contractual_rate.parse::<rust_decimal::Decimal>() {
                Ok(rate) if !inv.contractual_rate.contains(['e', 'E', ' ', '+']) => {
                    match recouvre_domain::rates::rate_problem(rate) {
                        Some(problem) => {
                            v.add(p("contractual_rate"), problem);
                            None
                        }
                        None if rate < rust_decimal::Decimal::ZERO => {
                            v.add(p("contractual_rate"), "must not be negative");
                            None
                        }
                        None => Some(rate.normalize()),
                    }
                }
                _ => {
                    v.add(
                        p("contractual_rate"),
                        "must be a decimal percentage such as \"12.5\"",
                    );
                    None
                }
            }
        };
        parsed.push(InvoiceParts {
            number: &inv.number,
            issue_date,
            service_completion_date,
            due_date: if inv.payment_terms.is_some() {
                None
            } else {
                due_date
            },
            amount,
        });
        extras.push((due_date, payment_terms, contractual_rate));
    }
    for rule in claim_violations(&src.external_reference, &parsed, currency, today) {
        v.add(format!("claim.{}", rule.field), rule.description);
    }
    let invoices: Vec<Invoice> = parsed
        .iter()
        .zip(&extras)
        .filter_map(|(p, (due_date, payment_terms, contractual_rate))| {
            Some(Invoice {
                number: p.number.to_owned(),
                issue_date: p.issue_date?,
                service_completion_date: p.service_completion_date,
                due_date: (*due_date)?,
                payment_terms: *payment_terms,
                amount: p.amount?,
                contractual_rate: *contractual_rate,
            })
        })
        .collect();
    let policy_id = if src.policy_id.trim().is_empty() {
        None
    } else {
        match recouvre_domain::PolicyId::parse(src.policy_id.trim()) {
            Some(id) => Some(id),
            None => {
                v.add("claim.policy_id", "must be a UUID");
                None
            }
        }
    };
    v.finish()?;
    match (creditor_id, debtor_id, currency) {
        (Some(creditor_id), Some(debtor_id), Some(currency)) if invoices.len() == parsed.len() => {
            Ok(recouvre_domain::NewClaim {
                creditor_id,
                debtor_id,
                external_reference: src.external_reference.clone(),
                currency,
                invoices,
                // Decided by the app from the parties.
                regime: InterestRegime::Commercial,
                compound_interest: src.compound_interest,
                policy_id,
                // Planned by the app from the policy.
                first_step_at: None,
            })
        }
        _ => Err(AppError::invalid("claim", "is invalid")),
    }
}

fn payment_terms(v: &mut Violations, field: &str, t: &pb::PaymentTerms) -> Option<PaymentTerms> {
    let days = |v: &mut Violations| match u16::try_from(t.days) {
        Ok(d) if d <= 365 => Some(d),
        _ => {
            v.add(format!("{field}.days"), "must be between 0 and 365");
            None
        }
    };
    match pb::payment_terms::Kind::try_from(t.kind) {
        Ok(pb::payment_terms::Kind::Default30Days) => Some(PaymentTerms::Default30),
        Ok(pb::payment_terms::Kind::NetDays) => days(v).map(PaymentTerms::Net),
        Ok(pb::payment_terms::Kind::EndOfMonth45) => Some(PaymentTerms::EndOfMonth45),
        Ok(pb::payment_terms::Kind::Unspecified) | Err(_) => {
            v.add(format!("{field}.kind"), "is required");
            None
        }
    }
}

/// Prefixes the domain's field paths with the request field holding them.
pub fn prefix_fields(e: AppError, prefix: &str) -> AppError {
    match e {
        AppError::Domain(recouvre_domain::ClaimError::Invalid(list)) => AppError::Invalid(
            list.into_iter()
                .map(|x| FieldViolation::new(format!("{prefix}{}", x.field), x.description))
                .collect(),
        ),
        other => other,
    }
}

pub fn state_pb(s: ClaimState) -> pb::ClaimState {
    match s {
        ClaimState::Open(Stage::Amicable) => pb::ClaimState::Amicable,
        ClaimState::Open(Stage::FormalNotice) => pb::ClaimState::FormalNotice,
        ClaimState::Open(Stage::Legal) => pb::ClaimState::Legal,
        ClaimState::Closed(ClosureKind::Paid) => pb::ClaimState::Paid,
        ClaimState::Closed(ClosureKind::Settled) => pb::ClaimState::Settled,
        ClaimState::Closed(ClosureKind::WrittenOff) => pb::ClaimState::WrittenOff,
        ClaimState::Closed(ClosureKind::Cancelled) => pb::ClaimState::Cancelled,
    }
}

/// Parses a state filter; unspecified means any.
pub fn state_filter(raw: i32) -> Result<Option<ClaimState>, AppError> {
    Ok(Some(match pb::ClaimState::try_from(raw) {
        Ok(pb::ClaimState::Unspecified) => return Ok(None),
        Ok(pb::ClaimState::Amicable) => ClaimState::Open(Stage::Amicable),
        Ok(pb::ClaimState::FormalNotice) => ClaimState::Open(Stage::FormalNotice),
        Ok(pb::ClaimState::Legal) => ClaimState::Open(Stage::Legal),
        Ok(pb::ClaimState::Paid) => ClaimState::Closed(ClosureKind::Paid),
        Ok(pb::ClaimState::Settled) => ClaimState::Closed(ClosureKind::Settled),
        Ok(pb::ClaimState::WrittenOff) => ClaimState::Closed(ClosureKind::WrittenOff),
        Ok(pb::ClaimState::Cancelled) => ClaimState::Closed(ClosureKind::Cancelled),
        Err(_) => return Err(AppError::invalid("state", "is not a known claim state")),
    }))
}

/// Parses an escalation target.
pub fn target_stage(raw: i32) -> Result<Stage, AppError> {
    match pb::ClaimState::try_from(raw) {
        Ok(pb::ClaimState::FormalNotice) => Ok(Stage::FormalNotice),
        Ok(pb::ClaimState::Legal) => Ok(Stage::Legal),
        Ok(
            pb::ClaimState::Unspecified
            | pb::ClaimState::Amicable
            | pb::ClaimState::Paid
            | pb::ClaimState::Settled
            | pb::ClaimState::WrittenOff
            | pb::ClaimState::Cancelled,
        )
        | Err(_) => Err(AppError::invalid(
            "target_state",
            "must be FORMAL_NOTICE or LEGAL (use CloseClaim to end a claim)",
        )),
    }
}

pub fn closure_kind(raw: i32) -> Result<ClosureKind, AppError> {
    match pb::ClosureKind::try_from(raw) {
        Ok(pb::ClosureKind::Paid) => Ok(ClosureKind::Paid),
        Ok(pb::ClosureKind::Settled) => Ok(ClosureKind::Settled),
        Ok(pb::ClosureKind::WrittenOff) => Ok(ClosureKind::WrittenOff),
        Ok(pb::ClosureKind::Cancelled) => Ok(ClosureKind::Cancelled),
        Ok(pb::ClosureKind::Unspecified) | Err(_) => Err(AppError::invalid(
            "kind",
            "must be PAID, SETTLED, WRITTEN_OFF or CANCELLED",
        )),
    }
}

fn closure_kind_pb(k: ClosureKind) -> pb::ClosureKind {
    match k {
        ClosureKind::Paid => pb::ClosureKind::Paid,
        ClosureKind::Settled => pb::ClosureKind::Settled,
        ClosureKind::WrittenOff => pb::ClosureKind::WrittenOff,
        ClosureKind::Cancelled => pb::ClosureKind::Cancelled,
    }
}

pub fn payment_method(v: &mut Violations, raw: i32) -> Option<PaymentMethod> {
    let m = match pb::PaymentMethod::try_from(raw) {
        Ok(pb::PaymentMethod::BankTransfer) => PaymentMethod::BankTransfer,
        Ok(pb::PaymentMethod::DirectDebit) => PaymentMethod::DirectDebit,
        Ok(pb::PaymentMethod::Card) => PaymentMethod::Card,
        Ok(pb::PaymentMethod::Cheque) => PaymentMethod::Cheque,
        Ok(pb::PaymentMethod::Cash) => PaymentMethod::Cash,
        Ok(pb::PaymentMethod::Other) => PaymentMethod::Other,
        Ok(pb::PaymentMethod::Unspecified) | Err(_) => {
            v.add("method", "is required");
            return None;
        }
    };
    Some(m)
}

pub fn contact_channel(v: &mut Violations, raw: i32) -> Option<ContactChannel> {
    Some(match pb::ContactChannel::try_from(raw) {
        Ok(pb::ContactChannel::Letter) => ContactChannel::Letter,
        Ok(pb::ContactChannel::Email) => ContactChannel::Email,
        Ok(pb::ContactChannel::Sms) => ContactChannel::Sms,
        Ok(pb::ContactChannel::Phone) => ContactChannel::Phone,
        Ok(pb::ContactChannel::Visit) => ContactChannel::Visit,
        Ok(pb::ContactChannel::Unspecified) | Err(_) => {
            v.add("channel", "is required");
            return None;
        }
    })
}

pub fn contact_direction(v: &mut Violations, raw: i32) -> Option<ContactDirection> {
    Some(match pb::ContactDirection::try_from(raw) {
        Ok(pb::ContactDirection::Outbound) => ContactDirection::Outbound,
        Ok(pb::ContactDirection::Inbound) => ContactDirection::Inbound,
        Ok(pb::ContactDirection::Unspecified) | Err(_) => {
            v.add("direction", "is required");
            return None;
        }
    })
}

pub fn contact_outcome(v: &mut Violations, raw: i32) -> Option<ContactOutcome> {
    Some(match pb::ContactOutcome::try_from(raw) {
        Ok(pb::ContactOutcome::Sent) => ContactOutcome::Sent,
        Ok(pb::ContactOutcome::Delivered) => ContactOutcome::Delivered,
        Ok(pb::ContactOutcome::Undeliverable) => ContactOutcome::Undeliverable,
        Ok(pb::ContactOutcome::Reached) => ContactOutcome::Reached,
        Ok(pb::ContactOutcome::NoAnswer) => ContactOutcome::NoAnswer,
        Ok(pb::ContactOutcome::LeftMessage) => ContactOutcome::LeftMessage,
        Ok(pb::ContactOutcome::Refused) => ContactOutcome::Refused,
        Ok(pb::ContactOutcome::WrongContact) => ContactOutcome::WrongContact,
        Ok(pb::ContactOutcome::Unspecified) | Err(_) => {
            v.add("outcome", "is required");
            return None;
        }
    })
}

pub fn dispute_resolution(raw: i32) -> Result<DisputeResolution, AppError> {
    match pb::DisputeResolution::try_from(raw) {
        Ok(pb::DisputeResolution::CreditorUpheld) => Ok(DisputeResolution::CreditorUpheld),
        Ok(pb::DisputeResolution::DebtorUpheld) => Ok(DisputeResolution::DebtorUpheld),
        Ok(pb::DisputeResolution::Withdrawn) => Ok(DisputeResolution::Withdrawn),
        Ok(pb::DisputeResolution::Unspecified) | Err(_) => Err(AppError::invalid(
            "resolution",
            "must be CREDITOR_UPHELD, DEBTOR_UPHELD or WITHDRAWN",
        )),
    }
}

pub fn role(raw: i32) -> Result<Role, AppError> {
    match pb::Role::try_from(raw) {
        Ok(pb::Role::Legal) => Ok(Role::Legal),
        Ok(pb::Role::Agent) => Ok(Role::Agent),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Operator) => Ok(Role::Operator),
        Ok(pb::Role::Unspecified) | Err(_) => Err(AppError::invalid(
            "api_key.role",
            "must be LEGAL, AGENT, ADMIN or OPERATOR",
        )),
    }
}

pub fn role_pb(r: Role) -> pb::Role {
    match r {
        Role::Legal => pb::Role::Legal,
        Role::Agent => pb::Role::Agent,
        Role::Admin => pb::Role::Admin,
        Role::Operator => pb::Role::Operator,
    }
}

pub fn api_key_pb(k: &ApiKey, token: Option<&str>) -> pb::ApiKey {
    pb::ApiKey {
        id: k.id.to_string(),
        role: role_pb(k.role) as i32,
        label: k.label.clone(),
        token: token.unwrap_or_default().to_owned(),
        create_time: Some(timestamp(k.created_at)),
        revoke_time: k.revoked_at.map(timestamp),
    }
}

/// Renders a claim as seen at `now` (holds and broken promises depend on the date).
pub fn claim_pb(c: &Claim, valuation: &Valuation, now: Now) -> pb::Claim {
    let mut holds = Vec::new();
    // A closed claim is on no hold, whatever dispute it ended with.
    let open = matches!(c.state, ClaimState::Open(_));
    if open && c.dispute.is_some() {
        holds.push(pb::Hold::Dispute as i32);
    }
    if open && c.promise.as_ref().is_some_and(|p| p.due_date >= now.today) {
        holds.push(pb::Hold::PromiseToPay as i32);
    }
    match (&c.debtor_hold, open) {
        (Some(DebtorProceedings::Insolvency { .. }), true) => {
            holds.push(pb::Hold::Insolvency as i32);
        }
        (Some(DebtorProceedings::OverIndebtedness { .. }), true) => {
            holds.push(pb::Hold::OverIndebtedness as i32);
        }
        _ => {}
    }
    if open
        && c.plan
            .as_ref()
            .is_some_and(|p| p.status == recouvre_domain::plan::PlanStatus::Active)
    {
        holds.push(pb::Hold::PaymentPlan as i32);
    }
    pb::Claim {
        id: c.id.to_string(),
        creditor_id: c.creditor_id.to_string(),
        debtor_id: c.debtor_id.to_string(),
        external_reference: c.external_reference.clone(),
        currency_code: c.currency.code().to_owned(),
        invoices: c
            .invoices
            .iter()
            .map(|i| pb::Invoice {
                number: i.number.clone(),
                issue_date: Some(date_pb(i.issue_date)),
                service_completion_date: i.service_completion_date.map(date_pb),
                due_date: Some(date_pb(i.due_date)),
                amount: Some(money_pb(i.amount)),
                payment_terms: i.payment_terms.map(payment_terms_pb),
                contractual_rate: i.contractual_rate.map(percent_text).unwrap_or_default(),
            })
            .collect(),
        state: state_pb(c.state) as i32,
        principal_total: Some(money_pb(c.principal_total)),
        paid_total: Some(money_pb(c.paid_total)),
        balance: Some(money_pb(c.balance())),
        holds,
        dispute: c.dispute.as_ref().map(|d| pb::Dispute {
            reason: d.reason.clone(),
            open_time: Some(timestamp(d.opened_at)),
        }),
        promise: c.promise.as_ref().map(|p| pb::PromiseToPay {
            amount: Some(money_pb(p.amount)),
            due_date: Some(date_pb(p.due_date)),
            paid: Some(money_pb(p.paid)),
            broken: p.due_date < now.today,
        }),
        closure: c.closure.as_ref().map(|x| pb::Closure {
            kind: closure_kind_pb(x.kind) as i32,
            reason: x.reason.clone(),
            close_time: Some(timestamp(x.closed_at)),
        }),
        next_action_time: c.next_action_at.map(timestamp),
        policy_id: c
            .automation
            .policy_id
            .map(|p| p.to_string())
            .unwrap_or_default(),
        next_step: i32::try_from(c.automation.next_step).unwrap_or(i32::MAX),
        planned_step_time: c.automation.planned_at.map(timestamp),
        payment_plan: c.plan.as_ref().map(plan_pb),
        event_count: c.version,
        etag: etag(c.version),
        create_time: Some(timestamp(c.created_at)),
        update_time: Some(timestamp(c.updated_at)),
        compound_interest: c.legal.compound_interest,
        interest_regime: regime_pb(c.regime) as i32,
        amount_owed: valuation.owed(c).ok().map(money_pb),
        amount_owed_date: Some(date_pb(valuation.as_of)),
        amount_owed_unavailable: valuation
            .statement
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default(),
        limitation_deadline: valuation.limitation_deadline.map(date_pb),
        payments: c
            .payments
            .iter()
            .map(|payment| {
                let imputation = valuation
                    .imputations()
                    .and_then(|s| s.payments.iter().find(|i| i.payment_id == payment.id));
                payment_pb(payment, imputation, c.currency)
            })
            .collect(),
        formal_notice: c
            .legal
            .formal_notice
            .as_ref()
            .map(|n| pb::FormalNoticeDelivery {
                sent_date: Some(date_pb(n.sent_on)),
                receipt_date: Some(date_pb(n.received_on)),
                tracking_number: n.tracking_number.clone(),
            }),
        judgment: c.legal.judgment.as_ref().map(|j| pb::Judgment {
            judgment_date: Some(date_pb(j.pronounced_on)),
            enforceable_date: j.enforceable_on.map(date_pb),
            court: j.court.clone(),
            reference: j.reference.clone(),
        }),
        limitation_interruptions: c
            .legal
            .interruptions
            .iter()
            .map(|i| pb::LimitationInterruption {
                date: Some(date_pb(i.on)),
                cause: interruption_cause_pb(i.cause) as i32,
                note: i.note.clone(),
            })
            .collect(),
        recovery_costs: c
            .legal
            .recovery_costs
            .iter()
            .map(|r| pb::RecoveryCost {
                invoice_number: r.invoice_number.clone(),
                amount: Some(decimal_pb(r.amount, c.currency)),
                incurred_date: Some(date_pb(r.incurred_on)),
                proof: r.proof.clone(),
            })
            .collect(),
    }
}

fn regime_pb(r: InterestRegime) -> pb::InterestRegime {
    match r {
        InterestRegime::Commercial => pb::InterestRegime::Commercial,
        InterestRegime::Consumer => pb::InterestRegime::Consumer,
        InterestRegime::Civil => pb::InterestRegime::Civil,
    }
}

fn interruption_cause_pb(c: InterruptionCause) -> pb::InterruptionCause {
    match c {
        InterruptionCause::Acknowledgment => pb::InterruptionCause::Acknowledgment,
        InterruptionCause::CourtAction => pb::InterruptionCause::CourtAction,
        InterruptionCause::EnforcementMeasure => pb::InterruptionCause::EnforcementMeasure,
        InterruptionCause::Payment => pb::InterruptionCause::Payment,
    }
}

fn payment_terms_pb(t: PaymentTerms) -> pb::PaymentTerms {
    let kind = match t {
        PaymentTerms::Default30 => pb::payment_terms::Kind::Default30Days,
        PaymentTerms::Net(_) => pb::payment_terms::Kind::NetDays,
        PaymentTerms::EndOfMonth45 => pb::payment_terms::Kind::EndOfMonth45,
    };
    pb::PaymentTerms {
        kind: kind as i32,
        days: t.days().map(i32::from).unwrap_or_default(),
    }
}

/// An engine amount (already at the currency's precision) on the wire.
pub fn decimal_pb(amount: Decimal, currency: Currency) -> pb::Money {
    let mut rounded = amount.round_dp(currency.minor_digits());
    rounded.rescale(currency.minor_digits());
    pb::Money {
        currency_code: currency.code().to_owned(),
        amount: rounded.to_string(),
    }
}

fn imputation_line_pb(l: &ImputationLine, currency: Currency) -> pb::ImputationLine {
    pb::ImputationLine {
        invoice_number: l.invoice_number.clone(),
        interest: Some(decimal_pb(l.interest, currency)),
        fixed_indemnity: Some(decimal_pb(l.fixed_indemnity, currency)),
        recovery_costs: Some(decimal_pb(l.recovery_costs, currency)),
        principal: Some(decimal_pb(l.principal, currency)),
    }
}

fn payment_pb(
    p: &Payment,
    imputation: Option<&PaymentImputation>,
    currency: Currency,
) -> pb::Payment {
    pb::Payment {
        id: p.id.to_string(),
        amount: Some(money_pb(p.amount)),
        value_date: Some(date_pb(p.value_date)),
        method: payment_method_pb(p.method) as i32,
        reference: p.reference.clone(),
        invoice_number: p.invoice_number.clone().unwrap_or_default(),
        imputation: imputation
            .map(|i| {
                i.lines
                    .iter()
                    .map(|l| imputation_line_pb(l, currency))
                    .collect()
            })
            .unwrap_or_default(),
        unapplied: imputation.map(|i| decimal_pb(i.unapplied, currency)),
    }
}

fn payment_method_pb(m: PaymentMethod) -> pb::PaymentMethod {
    match m {
        PaymentMethod::BankTransfer => pb::PaymentMethod::BankTransfer,
        PaymentMethod::DirectDebit => pb::PaymentMethod::DirectDebit,
        PaymentMethod::Card => pb::PaymentMethod::Card,
        PaymentMethod::Cheque => pb::PaymentMethod::Cheque,
        PaymentMethod::Cash => pb::PaymentMethod::Cash,
        PaymentMethod::Other => pb::PaymentMethod::Other,
    }
}

/// Parses statement conventions; unset means the defaults.
pub fn conventions(
    v: &mut Violations,
    c: Option<&pb::StatementConventions>,
) -> Option<Conventions> {
    let Some(c) = c else {
        return Some(Conventions::default());
    };
    let day_count = match pb::DayCount::try_from(c.day_count) {
        Ok(pb::DayCount::Unspecified | pb::DayCount::Act365Fixed) => DayCount::Act365Fixed,
        Ok(pb::DayCount::ActualActual) => DayCount::ActualActual,
        Err(_) => {
            v.add("conventions.day_count", "is not a known day count");
            return None;
        }
    };
    Some(Conventions {
        day_count,
        count_start_day: c.count_start_day,
    })
}

fn note_pb(n: &StatementNote, currency: Currency) -> pb::StatementNote {
    let (code, message, invoice) = match n {
        StatementNote::ContractualRateBelowFloor {
            invoice,
            semester,
            rate,
            floor,
        } => (
            "CONTRACTUAL_RATE_BELOW_FLOOR",
            format!(
                "The contractual rate {rate} % is below 3 × the legal rate ({floor} %) in \
                 {semester} (C. com. L441-10 II): applied as agreed, to review."
            ),
            Some(invoice.clone()),
        ),
        StatementNote::LimitationFromInvoiceDate { invoice } => (
            "LIMITATION_FROM_INVOICE_DATE",
            "No service-completion date: limitation counted from the invoice date, which may \
             be later than the legal starting point."
                .to_owned(),
            Some(invoice.clone()),
        ),
        StatementNote::InterestNotRunning => (
            "INTEREST_NOT_RUNNING",
            "No formal notice receipt or start of interest is recorded: no interest runs \
             (C. civ. 1231-6, 1344-1)."
                .to_owned(),
            None,
        ),
        StatementNote::IndemnityNotInEuro => (
            "INDEMNITY_NOT_IN_EURO",
            "The fixed indemnity is €40 (D441-5); it is not added to a claim in another \
             currency."
                .to_owned(),
            None,
        ),
        StatementNote::InterruptionAfterExpiry { invoice, on } => (
            "INTERRUPTION_AFTER_EXPIRY",
            format!(
                "The interruption of {on} came after the period had expired: it restarts nothing."
            ),
            Some(invoice.clone()),
        ),
        StatementNote::UnappliedPayment { payment_id, amount } => (
            "UNAPPLIED_PAYMENT",
            format!(
                "Payment {payment_id} exceeded everything owed by {} (to refund).",
                decimal_pb(*amount, currency).amount
            ),
            None,
        ),
        StatementNote::DueDateFromInvoiceDate { invoice } => (
            "DUE_DATE_FROM_INVOICE_DATE",
            "Default terms with no service-completion or delivery date: the 30 days were \
             counted from the invoice date (C. com. L441-10 I counts from receipt or \
             performance)."
                .to_owned(),
            Some(invoice.clone()),
        ),
        StatementNote::AgreedTermsAboveLegalCap { invoice, days } => (
            "AGREED_TERMS_ABOVE_LEGAL_CAP",
            format!(
                "Agreed terms of {days} days exceed the 60 days C. com. L441-10 I allows \
                 between professionals: the debt falls due as agreed, the clause is to review."
            ),
            Some(invoice.clone()),
        ),
        StatementNote::InterestFrozen { from } => (
            "INTEREST_FROZEN",
            format!("Interest stops accruing after {from}."),
            None,
        ),
    };
    pb::StatementNote {
        code: code.to_owned(),
        message,
        invoice_number: invoice.unwrap_or_default(),
    }
}

/// The statement on the wire.
pub fn statement_pb(claim: ClaimId, s: &Statement) -> pb::Statement {
    let cur = s.currency;
    let m = |d: Decimal| Some(decimal_pb(d, cur));
    pb::Statement {
        claim_id: claim.to_string(),
        as_of: Some(date_pb(s.as_of)),
        interest_regime: regime_pb(s.regime) as i32,
        legal_rate_category: s.legal_rate_category.as_str().to_owned(),
        conventions: Some(pb::StatementConventions {
            day_count: match s.conventions.day_count {
                DayCount::Act365Fixed => pb::DayCount::Act365Fixed,
                DayCount::ActualActual => pb::DayCount::ActualActual,
            } as i32,
            count_start_day: s.conventions.count_start_day,
        }),
        conventions_text: s.conventions.describe(),
        invoices: s
            .invoices
            .iter()
            .map(|i| pb::InvoiceStatement {
                number: i.number.clone(),
                issue_date: Some(date_pb(i.issue_date)),
                due_date: Some(date_pb(i.due_date)),
                principal: m(i.principal),
                interest_from: i.interest_from.map(date_pb),
                segments: i
                    .segments
                    .iter()
                    .map(|g| pb::InterestSegment {
                        first_day: Some(date_pb(g.first_day)),
                        last_day: Some(date_pb(g.last_day)),
                        days: g.days,
                        base: m(g.base),
                        rate: percent_text(g.rate),
                        basis: g.basis.as_str().to_owned(),
                        legal_basis: g.basis.citation().to_owned(),
                        ecb_rate: match g.basis {
                            InterestBasis::EcbPlusTen { ecb } => percent_text(ecb),
                            _ => String::new(),
                        },
                        floor_rate: match g.basis {
                            InterestBasis::ContractualRate { floor: Some(f) } => percent_text(f),
                            _ => String::new(),
                        },
                        below_floor: g.basis.below_floor(g.rate),
                        semester: g.semester.to_string(),
                        amount: m(g.amount),
                    })
                    .collect(),
                capitalisations: i
                    .capitalisations
                    .iter()
                    .map(|c| pb::Capitalisation {
                        date: Some(date_pb(c.on)),
                        amount: m(c.amount),
                    })
                    .collect(),
                interest: m(i.interest),
                fixed_indemnity: m(i.fixed_indemnity),
                recovery_costs: m(i.recovery_costs),
                paid: Some(imputation_line_pb(&i.paid, cur)),
                outstanding_principal: m(i.outstanding_principal),
                outstanding_interest: m(i.outstanding_interest),
                outstanding_accessories: m(i.outstanding_accessories),
                balance: m(i.balance),
                limitation: Some(pb::InvoiceLimitation {
                    years: i.limitation.years as i32,
                    legal_basis: i.limitation.basis.to_owned(),
                    start_date: Some(date_pb(i.limitation.starts_on)),
                    counted_from_invoice_date: i.limitation.counted_from_invoice_date,
                    restart_date: i.limitation.restarted.map(|r| date_pb(r.0)),
                    restart_cause: i
                        .limitation
                        .restarted
                        .map(|r| interruption_cause_pb(r.1) as i32)
                        .unwrap_or_default(),
                    deadline: Some(date_pb(i.limitation.deadline)),
                    expired: i.limitation.expired,
                }),
            })
            .collect(),
        payments: s
            .payments
            .iter()
            .map(|i| pb::Payment {
                id: i.payment_id.to_string(),
                amount: m(i.amount),
                value_date: Some(date_pb(i.value_date)),
                method: 0,
                reference: String::new(),
                invoice_number: i.designated_invoice.clone().unwrap_or_default(),
                imputation: i.lines.iter().map(|l| imputation_line_pb(l, cur)).collect(),
                unapplied: m(i.unapplied),
            })
            .collect(),
        totals: Some(pb::StatementTotals {
            principal: m(s.totals.principal),
            interest: m(s.totals.interest),
            fixed_indemnities: m(s.totals.fixed_indemnities),
            recovery_costs: m(s.totals.recovery_costs),
            paid: m(s.totals.paid),
            outstanding_principal: m(s.totals.outstanding_principal),
            outstanding_interest: m(s.totals.outstanding_interest),
            outstanding_accessories: m(s.totals.outstanding_accessories),
            owed: m(s.totals.owed),
            unapplied: m(s.totals.unapplied),
        }),
        limitation_deadline: s.next_limitation_deadline.map(date_pb),
        notes: s.notes.iter().map(|n| note_pb(n, cur)).collect(),
    }
}

/// Parses a formal-notice delivery (field paths relative to it).
pub fn formal_notice_delivery(
    d: Option<&pb::FormalNoticeDelivery>,
) -> Result<FormalNoticeDelivery, AppError> {
    let d = d.ok_or_else(|| AppError::invalid("delivery", "is required"))?;
    let mut v = Violations::default();
    let sent_on = date(&mut v, "delivery.sent_date", d.sent_date.as_ref(), true);
    let received_on = date(
        &mut v,
        "delivery.receipt_date",
        d.receipt_date.as_ref(),
        true,
    );
    v.finish()?;
    match (sent_on, received_on) {
        (Some(sent_on), Some(received_on)) => Ok(FormalNoticeDelivery {
            sent_on,
            received_on,
            tracking_number: d.tracking_number.trim().to_owned(),
        }),
        _ => Err(AppError::invalid("delivery", "is invalid")),
    }
}

/// Parses a judgment.
pub fn judgment(j: Option<&pb::Judgment>) -> Result<Judgment, AppError> {
    let j = j.ok_or_else(|| AppError::invalid("judgment", "is required"))?;
    let mut v = Violations::default();
    let pronounced_on = date(
        &mut v,
        "judgment.judgment_date",
        j.judgment_date.as_ref(),
        true,
    );
    let enforceable_on = date(
        &mut v,
        "judgment.enforceable_date",
        j.enforceable_date.as_ref(),
        false,
    );
    v.finish()?;
    let pronounced_on = pronounced_on.ok_or_else(|| AppError::invalid("judgment", "is invalid"))?;
    Ok(Judgment {
        pronounced_on,
        enforceable_on,
        court: j.court.trim().to_owned(),
        reference: j.reference.trim().to_owned(),
    })
}

/// Parses a limitation interruption.
pub fn interruption(i: Option<&pb::LimitationInterruption>) -> Result<Interruption, AppError> {
    let i = i.ok_or_else(|| AppError::invalid("interruption", "is required"))?;
    let mut v = Violations::default();
    let on = date(&mut v, "interruption.date", i.date.as_ref(), true);
    let cause = match pb::InterruptionCause::try_from(i.cause) {
        Ok(pb::InterruptionCause::Acknowledgment) => Some(InterruptionCause::Acknowledgment),
        Ok(pb::InterruptionCause::CourtAction) => Some(InterruptionCause::CourtAction),
        Ok(pb::InterruptionCause::EnforcementMeasure) => {
            Some(InterruptionCause::EnforcementMeasure)
        }
        Ok(pb::InterruptionCause::Payment) => {
            v.add(
                "interruption.cause",
                "payments are recorded with RecordPayment",
            );
            None
        }
        Ok(pb::InterruptionCause::Unspecified) | Err(_) => {
            v.add("interruption.cause", "is required");
            None
        }
    };
    v.finish()?;
    match (on, cause) {
        (Some(on), Some(cause)) => Ok(Interruption {
            on,
            cause,
            note: i.note.trim().to_owned(),
        }),
        _ => Err(AppError::invalid("interruption", "is invalid")),
    }
}

/// Parses recovery costs, with the currency their amount was given in.
pub fn recovery_cost(c: Option<&pb::RecoveryCost>) -> Result<(RecoveryCost, Currency), AppError> {
    let c = c.ok_or_else(|| AppError::invalid("cost", "is required"))?;
    let mut v = Violations::default();
    let amount = money(&mut v, "cost.amount", c.amount.as_ref(), None);
    let incurred_on = date(&mut v, "cost.incurred_date", c.incurred_date.as_ref(), true);
    v.finish()?;
    match (amount, incurred_on) {
        (Some(amount), Some(incurred_on)) => Ok((
            RecoveryCost {
                invoice_number: c.invoice_number.trim().to_owned(),
                amount: amount.amount(),
                incurred_on,
                proof: c.proof.trim().to_owned(),
            },
            amount.currency(),
        )),
        _ => Err(AppError::invalid("cost", "is invalid")),
    }
}

fn percent(v: &mut Violations, field: &str, raw: &str) -> Option<Decimal> {
    let value = raw
        .trim()
        .parse::<Decimal>()
        .ok()
        .filter(|_| !raw.contains(['e', 'E', '+']) && !raw.trim().is_empty());
    match value {
        None => {
            v.add(field, "must be a decimal percentage such as \"2.15\"");
            None
        }
        Some(d) => Some(d.normalize()),
    }
}

/// Parses an ECB row (rules checked by the app).
pub fn ecb_rate(r: Option<&pb::EcbRate>) -> Result<EcbRate, AppError> {
    let r = r.ok_or_else(|| AppError::invalid("rate", "is required"))?;
    let mut v = Violations::default();
    let effective = date(
        &mut v,
        "rate.effective_date",
        r.effective_date.as_ref(),
        true,
    );
    let rate = percent(&mut v, "rate.rate", &r.rate);
    v.finish()?;
    match (effective, rate) {
        (Some(effective), Some(rate)) => Ok(EcbRate {
            effective,
            rate,
            source: r.source.trim().to_owned(),
        }),
        _ => Err(AppError::invalid("rate", "is invalid")),
    }
}

/// Parses a legal-rate row (rules checked by the app).
pub fn legal_rate(r: Option<&pb::LegalInterestRate>) -> Result<LegalRate, AppError> {
    let r = r.ok_or_else(|| AppError::invalid("rate", "is required"))?;
    let mut v = Violations::default();
    let semester = Semester::parse(r.semester.trim());
    if semester.is_none() {
        v.add("rate.semester", "must be a semester such as \"2026-S2\"");
    }
    let individual = percent(&mut v, "rate.individual_rate", &r.individual_rate);
    let other = percent(&mut v, "rate.other_rate", &r.other_rate);
    v.finish()?;
    match (semester, individual, other) {
        (Some(semester), Some(individual), Some(other)) => Ok(LegalRate {
            semester,
            individual,
            other,
            source: r.source.trim().to_owned(),
        }),
        _ => Err(AppError::invalid("rate", "is invalid")),
    }
}

/// An ECB row on the wire.
pub fn ecb_rate_pb(r: &EcbRate) -> pb::EcbRate {
    pb::EcbRate {
        effective_date: Some(date_pb(r.effective)),
        rate: percent_text(r.rate),
        source: r.source.clone(),
    }
}

/// A legal-rate row on the wire.
pub fn legal_rate_pb(r: &LegalRate) -> pb::LegalInterestRate {
    pb::LegalInterestRate {
        semester: r.semester.to_string(),
        individual_rate: percent_text(r.individual),
        other_rate: percent_text(r.other),
        source: r.source.clone(),
    }
}

fn event_kind_pb(kind: &str) -> pb::ClaimEventKind {
    match kind {
        "claim_created" => pb::ClaimEventKind::ClaimCreated,
        "payment_recorded" => pb::ClaimEventKind::PaymentRecorded,
        "contact_recorded" => pb::ClaimEventKind::ContactRecorded,
        "dispute_opened" => pb::ClaimEventKind::DisputeOpened,
        "dispute_resolved" => pb::ClaimEventKind::DisputeResolved,
        "promise_recorded" => pb::ClaimEventKind::PromiseRecorded,
        "promise_kept" => pb::ClaimEventKind::PromiseKept,
        "promise_broken" => pb::ClaimEventKind::PromiseBroken,
        "escalated" => pb::ClaimEventKind::Escalated,
        "claim_closed" => pb::ClaimEventKind::ClaimClosed,
        "formal_notice_delivered" => pb::ClaimEventKind::FormalNoticeDelivered,
        "judgment_recorded" => pb::ClaimEventKind::JudgmentRecorded,
        "interruption_recorded" => pb::ClaimEventKind::InterruptionRecorded,
        "recovery_cost_recorded" => pb::ClaimEventKind::RecoveryCostRecorded,
        "document_generated" => pb::ClaimEventKind::DocumentGenerated,
        "step_performed" => pb::ClaimEventKind::StepPerformed,
        "step_skipped" => pb::ClaimEventKind::StepSkipped,
        "task_completed" => pb::ClaimEventKind::TaskCompleted,
        "debtor_proceedings_recorded" => pb::ClaimEventKind::DebtorProceedingsRecorded,
        "payment_plan_proposed" => pb::ClaimEventKind::PaymentPlanProposed,
        "payment_plan_agreed" => pb::ClaimEventKind::PaymentPlanAgreed,
        "payment_plan_defaulted" => pb::ClaimEventKind::PaymentPlanDefaulted,
        "payment_plan_completed" => pb::ClaimEventKind::PaymentPlanCompleted,
        _ => pb::ClaimEventKind::Unspecified,
    }
}

pub fn event_pb(e: &StoredEvent) -> pb::ClaimEvent {
    let mut payload = String::new();
    recouvre_domain::events::canonical_json(&e.payload, &mut payload);
    pb::ClaimEvent {
        claim_id: e.claim_id.to_string(),
        sequence: e.seq,
        kind: event_kind_pb(&e.kind) as i32,
        kind_name: e.kind.clone(),
        occur_time: Some(timestamp(e.occurred_at)),
        actor: e.actor.clone(),
        payload_json: payload,
        previous_hash: hex::encode(e.prev_hash),
        hash: hex::encode(e.hash),
    }
}

/// Parses an agency profile, every field checked (paths under `agency_profile.`).
pub fn agency_profile(
    a: Option<&pb::AgencyProfile>,
) -> Result<recouvre_domain::AgencyProfile, AppError> {
    let a = a.ok_or_else(|| AppError::invalid("agency_profile", "is required"))?;
    let mut v = Violations::default();
    let f = |n: &str| format!("agency_profile.{n}");
    let legal_name = text(&mut v, &f("legal_name"), &a.legal_name, true, 200);
    let legal_form = text(&mut v, &f("legal_form"), &a.legal_form, true, 50);
    let siren = v.check(f("siren"), Siren::parse(&a.siren));
    let address = address(&mut v, &f("address"), a.address.as_ref());
    let iban = v.check(f("iban"), Iban::parse(&a.iban));
    let bic = optional(&mut v, &f("bic"), &a.bic, Bic::parse);
    let contact_name = text(&mut v, &f("contact_name"), &a.contact_name, true, 200);
    let phone = v.check(f("contact_phone"), Phone::parse(&a.contact_phone));
    let email = v.check(f("contact_email"), Email::parse(&a.contact_email));
    v.finish()?;
    match (
        legal_name,
        legal_form,
        siren,
        address,
        iban,
        contact_name,
        phone,
        email,
    ) {
        (
            Some(legal_name),
            Some(legal_form),
            Some(siren),
            Some(address),
            Some(iban),
            Some(contact_name),
            Some(phone),
            Some(email),
        ) => {
            let lines = address.letter_lines();
            Ok(recouvre_domain::AgencyProfile {
                legal_name,
                legal_form,
                siren: siren.as_str().to_owned(),
                address_lines: lines,
                iban: iban.as_str().to_owned(),
                bic: bic.map(|b| b.as_str().to_owned()).unwrap_or_default(),
                contact_name,
                contact_phone: phone.as_str().to_owned(),
                contact_email: email.as_str().to_owned(),
                address: Some(recouvre_domain::AddressParts {
                    lines: address.lines.clone(),
                    postal_code: address.postal_code.as_str().to_owned(),
                    city: address.city.clone(),
                    country: address.country.as_str().to_owned(),
                }),
            })
        }
        _ => Err(AppError::invalid("agency_profile", "is invalid")),
    }
}
