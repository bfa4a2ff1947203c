//! Tenants, roles, creditors and debtors.

use chrono::{DateTime, Utc};

use crate::identifiers::{
    Bic, CountryCode, Email, Iban, Phone, PostalCode, Siren, Siret, VatNumber,
};
use crate::ids::{CreditorId, DebtorId};

/// Whether a tenant collects its own invoices or is a collection agency working for
/// creditors (then CPCE R124-1 to R124-7 govern its letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantKind {
    /// A creditor collecting its own invoices.
    Creditor,
    /// A collection agency (société de recouvrement), CPCE R124-1.
    Agency,
}

impl TenantKind {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantKind::Creditor => "creditor",
            TenantKind::Agency => "agency",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "creditor" => Some(TenantKind::Creditor),
            "agency" => Some(TenantKind::Agency),
            _ => None,
        }
    }
}

/// What an API key may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads everything (legal teams).
    Legal,
    /// Reads, and works claims: creates them, records events, moves them.
    Agent,
    /// Also manages creditors and API keys.
    Admin,
    /// Operates the service: also sets the reference rates every tenant shares.
    Operator,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Legal => "legal",
            Role::Agent => "agent",
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "legal" => Some(Role::Legal),
            "agent" => Some(Role::Agent),
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }

    /// Whether this role may do what `required` may.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Street lines, 1 to 4, each non-empty.
    pub lines: Vec<String>,
    /// Postal code, valid for `country`.
    pub postal_code: PostalCode,
    /// City (commune).
    pub city: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: CountryCode,
}

impl Address {
    /// The lines of an envelope: street lines, then "postcode city" (and the country code
    /// outside France).
    pub fn letter_lines(&self) -> Vec<String> {
        let mut lines = self.lines.clone();
        let mut last = format!("{} {}", self.postal_code.as_str(), self.city);
        if self.country.as_str() != "FR" {
            last = format!("{last}, {}", self.country.as_str());
        }
        lines.push(last);
        lines
    }
}

/// Preferred language for letters and messages; French by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// French.
    #[default]
    Fr,
    /// English.
    En,
}

impl Language {
    /// The BCP 47 code.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    /// Parses a BCP 47 code ("fr", "en").
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fr" => Some(Language::Fr),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

/// A creditor (créancier): a business whose invoices are collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creditor {
    /// Identifier.
    pub id: CreditorId,
    /// Legal name (dénomination sociale).
    pub legal_name: String,
    /// Legal form (SAS, SARL, …).
    pub legal_form: String,
    /// SIREN; equals the first 9 digits of `siret` when both are given.
    pub siren: Option<Siren>,
    /// SIRET of the establishment invoicing.
    pub siret: Option<Siret>,
    /// Intra-EU VAT number.
    pub vat_number: Option<VatNumber>,
    /// Registered office.
    pub address: Address,
    /// Account payments are made to.
    pub iban: Option<Iban>,
    /// BIC of that account.
    pub bic: Option<Bic>,
    /// Contact e-mail shown on letters.
    pub contact_email: Option<Email>,
    /// Contact phone shown on letters.
    pub contact_phone: Option<Phone>,
    /// Whether this creditor is a client of the tenant acting as a collection agency.
    pub agency_client: bool,
    /// A natural person acting outside any profession: its claims are civil and bear the
    /// "particuliers" legal rate (CMF L313-2, law-fr.md §3.2).
    pub natural_person: bool,
    /// Its legal representative ("Mme Claire Martin, présidente"), named in the bailiff
    /// dossier.
    pub legal_representative: String,
    /// How its contracts count "45 days end of month" (L441-10 I; DGCCRF accepts both).
    pub end_of_month_method: crate::terms::EndOfMonthMethod,
    /// Incremented on every change; the etag.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Whether a debtor is a consumer or a business: it decides rates, indemnities and the
/// limitation period (C. com. L441-10 and D441-5 apply only between professionals;
/// C. consom. L218-2 gives 2 years against a consumer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebtorKind {
    /// A natural person not acting for professional needs (consommateur).
    Consumer,
    /// A professional (entreprise).
    Business,
}

impl DebtorKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DebtorKind::Consumer => "consumer",
            DebtorKind::Business => "business",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "consumer" => Some(DebtorKind::Consumer),
            "business" => Some(DebtorKind::Business),
            _ => None,
        }
    }
}

/// A debtor (débiteur).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    /// Identifier.
    pub id: DebtorId,
    /// Consumer or business.
    pub kind: DebtorKind,
    /// Legal name; required for a business.
    pub legal_name: Option<String>,
    /// Legal form of a business (SAS, SARL…), named in the bailiff dossier.
    pub legal_form: Option<String>,
    /// Given name(s) of a consumer (or of a sole trader).
    pub given_name: Option<String>,
    /// Family name; required for a consumer.
    pub family_name: Option<String>,
    /// SIREN of a business.
    pub siren: Option<Siren>,
    /// Postal addresses, the first being where letters go.
    pub addresses: Vec<Address>,
    /// E-mail addresses.
    pub emails: Vec<Email>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// Language of letters and messages.
    pub preferred_language: Language,
    /// Collective proceedings or over-indebtedness, once recorded: collection stops on every
    /// claim on the debtor.
    pub proceedings: Option<crate::proceedings::DebtorProceedings>,
    /// Incremented on every change; the etag.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Debtor {
    /// The name letters are addressed to.
    pub fn display_name(&self) -> String {
        match self.kind {
            DebtorKind::Business => self.legal_name.clone().unwrap_or_default(),
            DebtorKind::Consumer => [self.given_name.as_deref(), self.family_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// A collection agency's identity, printed on its letters (CPCE R124-4 1°). Fields hold the
/// normalised text of values checked at the boundary (SIREN Luhn, IBAN mod 97, …).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AgencyProfile {
    /// Name or company name.
    pub legal_name: String,
    /// Legal form.
    pub legal_form: String,
    /// SIREN.
    pub siren: String,
    /// Address lines, the last one "postcode city".
    pub address_lines: Vec<String>,
    /// The account reserved for funds collected for creditors (R124-2).
    pub iban: String,
    /// Its BIC, if given.
    pub bic: String,
    /// Who debtors contact.
    pub contact_name: String,
    /// Their phone.
    pub contact_phone: String,
    /// Their e-mail.
    pub contact_email: String,
    /// The address as given, for the API.
    pub address: Option<AddressParts>,
}

/// An address as plain strings (stored form).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AddressParts {
    /// Street lines.
    pub lines: Vec<String>,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// ISO country code.
    pub country: String,
}
