//! The data contract of every document: plain serde structs, filled by the service.
//!
//! Everything a template prints comes from here, serialized to JSON and handed to the template
//! as a file (`/data.json` for Typst, the context for Handlebars): nothing is ever spliced into
//! template markup, so a debtor named `#panic()` or `{{x}}` prints as written.
//!
//! Conventions, checked by [`crate::validate`]:
//! - **amounts** are decimal strings with a point and no grouping (`"1234.56"`), as the API
//!   carries them; the templates localise them (`1 234,56 €` / `€1,234.56`). Never a float.
//! - **dates** are ISO `YYYY-MM-DD` strings (the event timeline may add a time:
//!   `YYYY-MM-DDTHH:MM`); **rates** are decimal strings in percent (`"12.15"`).
//! - A field that a document needs and is empty (`""`, an empty list, `None`) is *missing*: the
//!   document is refused with the list of every missing field rather than printed with a blank.
//! - Free texts that depend on the language (interest basis, conventions, event descriptions)
//!   are given by the caller in the document's language.
//!
//! Every struct derives `Default` and every field is `#[serde(default)]`, so a partial JSON
//! document deserializes and [`crate::validate`] can name everything that is absent.

use serde::{Deserialize, Serialize};

/// Everything any document may print. Which parts are required depends on the
/// [`DocumentKind`](crate::DocumentKind): see [`crate::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentData {
    /// This document's own reference (e.g. `MED-2026-000042`), printed and recalled later.
    pub reference: String,
    /// The date the document is issued (ISO); also the PDF's creation date.
    pub document_date: String,
    /// The place written before the date ("Lyon, le 3 mars 2026").
    pub place: String,
    /// The creditor (letterhead, payee, party to the dossier).
    pub creditor: Option<Creditor>,
    /// The collection agency writing for the creditor, when the tenant is an agency
    /// (R124-4 CPCE). `None` when the creditor collects its own invoices.
    pub agency: Option<Agency>,
    /// The agency's first letter to this debtor, recalled by every later contact
    /// (R124-4 last paragraph). Required on agency documents other than the first letter.
    pub first_letter: Option<LetterReference>,
    /// The debtor.
    pub debtor: Option<Debtor>,
    /// The claim: invoices, payments, balances.
    pub claim: Option<Claim>,
    /// The statement of sums owed (décompte), valued at `statement.as_of`.
    pub statement: Option<Statement>,
    /// Days given to pay from receipt (formal notice: 8; warning letters: the policy's).
    pub deadline_days: Option<u32>,
    /// The formal notice sent (for later documents: the dossier, the agency's later letters).
    pub formal_notice: Option<FormalNotice>,
    /// The event timeline of the claim, in sequence order.
    pub events: Vec<Event>,
    /// The hash at the head of the event chain (the claim's integrity anchor).
    pub head_hash: String,
    /// Documents enclosed with the dossier, each with its SHA-256.
    pub enclosures: Vec<Enclosure>,
    /// Who signs (formal notice, dossier, payment-plan agreement).
    pub signatory: Option<Signatory>,
    /// The claim's payment plan (échéancier), proposed or agreed: the payment-plan agreement
    /// prints it. Left out of the JSON when absent, so the stored inputs of the other kinds,
    /// and what a renderer of an earlier release reads, are unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_plan: Option<PaymentPlan>,
}

/// A creditor (the business owed the money).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Creditor {
    /// Legal name.
    pub name: String,
    /// Legal form (SAS, SARL, …).
    pub legal_form: String,
    /// SIREN (9 digits).
    pub siren: String,
    /// VAT number, if any.
    pub vat_number: String,
    /// RCS registration ("RCS Lyon"), if any.
    pub rcs: String,
    /// Registered office, one line per element, postcode and city on the last.
    pub address_lines: Vec<String>,
    /// Legal representative ("Mme Claire Martin, présidente").
    pub legal_representative: String,
    /// IBAN payments go to.
    pub iban: String,
    /// BIC, if any.
    pub bic: String,
    /// Who to contact about the claim.
    pub contact: Contact,
}

/// A contact: a person or a department, with a phone and an e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Contact {
    /// Name or department ("Service recouvrement").
    pub name: String,
    /// Phone number, formatted.
    pub phone: String,
    /// E-mail address.
    pub email: String,
}

/// A collection agency (recouvrement amiable pour le compte d'autrui, L124-1 / R124-4 CPCE).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Agency {
    /// Name or company name (R124-4 1°).
    pub name: String,
    /// Legal form.
    pub legal_form: String,
    /// SIREN.
    pub siren: String,
    /// Address or registered office (R124-4 1°).
    pub address_lines: Vec<String>,
    /// The account reserved for funds collected for creditors (R124-2), where the debtor pays.
    pub iban: String,
    /// BIC, if any.
    pub bic: String,
    /// Who to contact.
    pub contact: Contact,
}

/// The reference and sending date of the agency's first letter (R124-4 last paragraph).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LetterReference {
    /// Its reference.
    pub reference: String,
    /// Its sending date (ISO).
    pub sent_on: String,
}

/// Whether the debtor is a business or a consumer: drives the legal mentions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebtorKind {
    /// A business: L441-10 penalties and the €40 indemnity apply (B2B).
    #[default]
    Business,
    /// A consumer or other natural person: legal interest from the formal notice.
    Consumer,
}

/// The debtor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Debtor {
    /// Business or consumer.
    pub kind: DebtorKind,
    /// Legal name, or "Civility First-name Surname".
    pub name: String,
    /// Legal form (businesses).
    pub legal_form: String,
    /// SIREN (businesses).
    pub siren: String,
    /// Postal address, one line per element, postcode and city on the last.
    pub address_lines: Vec<String>,
    /// Legal representative (businesses), if known.
    pub legal_representative: String,
    /// Date of birth (natural persons, dossier only, if lawfully known; ISO).
    pub birth_date: String,
    /// Place of birth (natural persons, dossier only, if lawfully known).
    pub birth_place: String,
    /// E-mail address (e-mail reminders).
    pub email: String,
    /// Mobile number (SMS reminders).
    pub phone: String,
}

/// The claim as the letters show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Claim {
    /// The file reference to quote with a payment.
    pub reference: String,
    /// ISO 4217 currency code of every amount (`EUR`).
    pub currency: String,
    /// The basis of the claim (fondement: "factures de prestations de maintenance, contrat
    /// n° …"), in the document's language.
    pub basis: String,
    /// The invoices still open, in date order.
    pub invoices: Vec<Invoice>,
    /// The payments received, in value-date order, with their imputation.
    pub payments: Vec<Payment>,
    /// Sum of the invoices.
    pub total_amount: String,
    /// Sum paid on them.
    pub total_paid: String,
    /// What remains of the invoices (principal only; the statement adds interest).
    pub total_balance: String,
}

/// One invoice of the claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Invoice {
    /// Invoice number.
    pub number: String,
    /// Issue date (ISO).
    pub issue_date: String,
    /// Due date (ISO).
    pub due_date: String,
    /// Amount including VAT.
    pub amount: String,
    /// Paid on its principal.
    pub paid: String,
    /// Principal remaining.
    pub balance: String,
}

/// A payment received and how it was imputed (C. civ. 1342-10, 1343-1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Payment {
    /// Value date (ISO).
    pub value_date: String,
    /// Amount.
    pub amount: String,
    /// Method (transfer, cheque, …), in the document's language.
    pub method: String,
    /// The payer's or bank's reference.
    pub reference: String,
    /// What it paid, per invoice.
    pub imputation: Vec<ImputationLine>,
}

/// The share of a payment imputed to one invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImputationLine {
    /// The invoice.
    pub invoice_number: String,
    /// To interest.
    pub interest: String,
    /// To the fixed indemnity and recovery costs.
    pub accessories: String,
    /// To principal.
    pub principal: String,
}

/// The statement of sums owed (décompte), as the statement engine computed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Statement {
    /// The date it is valued at (ISO).
    pub as_of: String,
    /// One block per invoice.
    pub invoices: Vec<StatementInvoice>,
    /// The totals.
    pub totals: StatementTotals,
    /// How interest is counted ("Intérêts simples, jour par jour, base 365 jours, …").
    pub conventions: String,
    /// The earliest limitation deadline of the claim (ISO).
    pub limitation_deadline: String,
}

/// The statement of one invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatementInvoice {
    /// Invoice number.
    pub number: String,
    /// Principal (amount incl. VAT).
    pub principal: String,
    /// The day interest runs from (ISO); empty when none runs.
    pub interest_from: String,
    /// The interest segments, in date order.
    pub segments: Vec<InterestSegment>,
    /// Sum of the segments.
    pub interest: String,
    /// The €40 fixed indemnity (D441-5), `"0.00"` when not due.
    pub fixed_indemnity: String,
    /// Complementary recovery costs claimed on proof.
    pub recovery_costs: String,
    /// Paid so far (all parts).
    pub paid: String,
    /// Everything still owed on this invoice.
    pub balance: String,
    /// Its limitation deadline (ISO).
    pub limitation_deadline: String,
    /// The limitation rule ("5 ans, C. com. L110-4").
    pub limitation_basis: String,
}

/// One interest segment: a run of days at one rate on one base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InterestSegment {
    /// First day counted (ISO).
    pub first_day: String,
    /// Last day counted (ISO).
    pub last_day: String,
    /// Number of days.
    pub days: u32,
    /// The base the rate applies to.
    pub base: String,
    /// Annual rate in percent.
    pub rate: String,
    /// Why this rate ("BCE 2,15 % + 10 points"), in the document's language.
    pub basis: String,
    /// The article ("C. com. L441-10 II").
    pub citation: String,
    /// Interest of the segment, rounded to the cent.
    pub amount: String,
}

/// Totals of the statement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatementTotals {
    /// Principal of the invoices.
    pub principal: String,
    /// Interest accrued.
    pub interest: String,
    /// Fixed indemnities (B2B; `"0.00"` otherwise).
    pub fixed_indemnities: String,
    /// Recovery costs claimed on proof.
    pub recovery_costs: String,
    /// Paid so far.
    pub paid: String,
    /// Everything owed at `as_of`.
    pub balance: String,
}

/// The formal notice as sent and delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FormalNotice {
    /// The formal notice document's reference.
    pub reference: String,
    /// Sending date (ISO).
    pub sent_on: String,
    /// Registered-letter tracking number.
    pub tracking_number: String,
    /// Date of the acknowledgment of receipt (ISO); empty when not (yet) received.
    pub received_on: String,
    /// What the acknowledgment says ("Distribuée", "Non réclamée", …).
    pub delivery_status: String,
    /// The payment deadline it gave (ISO).
    pub deadline: String,
    /// SHA-256 of the formal notice PDF.
    pub sha256: String,
}

/// One event of the claim's timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Event {
    /// Sequence number in the claim's chain.
    pub seq: u64,
    /// When (ISO date, optionally with a time).
    pub at: String,
    /// Stable kind (`reminder_sent`, `payment_recorded`, …).
    pub kind: String,
    /// What happened, in the document's language.
    pub description: String,
    /// The event's hash (hex SHA-256).
    pub hash: String,
}

/// A document enclosed with the dossier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Enclosure {
    /// What it is ("Facture F-2026-0012", "Accusé de réception").
    pub name: String,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
}

/// Who signs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Signatory {
    /// Name.
    pub name: String,
    /// Title ("Responsable du recouvrement").
    pub title: String,
}

/// A payment plan (échéancier) as the payment-plan agreement prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentPlan {
    /// Where it stands, by its stored name: `proposed` (offered, awaiting the debtor's
    /// agreement) or `active` (agreed and running). The agreement is refused for a plan that
    /// ended (`completed`, `defaulted`, `cancelled`).
    pub status: String,
    /// The day it was proposed (ISO): what it pays is what was owed that day, and interest
    /// stops from that day once it is agreed.
    pub proposed_on: String,
    /// The day the debtor agreed to it (ISO); empty while only proposed.
    pub agreed_on: String,
    /// Days after each due date before an instalment counts as missed (0 to 30).
    pub grace_days: u32,
    /// The sum of the instalments: everything owed on `proposed_on`.
    pub total: String,
    /// The instalments (échéances), in due-date order.
    pub instalments: Vec<PlanInstalment>,
}

/// One instalment (échéance) of a payment plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanInstalment {
    /// The day it is due (ISO).
    pub due_date: String,
    /// The amount due.
    pub amount: String,
}
