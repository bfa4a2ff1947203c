//! Recouvre's documents: warning letters, the agency's first letter, the formal notice, the
//! bailiff handoff dossier and the payment-plan agreement as PDF; e-mail and SMS reminders as
//! text.
//!
//! # Why Typst, used as a library
//!
//! PDFs are typeset by [Typst](https://typst.app) 0.15 linked into the binary (the `typst` and
//! `typst-pdf` crates), not by a PDF-drawing crate such as genpdf. The measurements
//! decided it: a two-page letter renders in about 15 ms at about 60 KB, with subset fonts,
//! real paragraph and table layout (page breaks inside long tables, repeated headers,
//! "page X / Y"), and **byte-identical output** for the same inputs, so a document's SHA-256
//! is reproducible. genpdf has none of page totals, table headers that repeat, or font
//! subsetting, and its output is not reproducible; it is not to be used.
//!
//! Templates are Typst sources in `templates/` (one per kind plus `common.typ` and its
//! data-free half `common-base.typ`, see the `pdf` module on speed), and the fonts in
//! `fonts/` (OFL, licences beside them); both are embedded with `include_str!` /
//! `include_bytes!`, so the binary needs no file at run time. The data reach a template as a
//! virtual file, `/data.json`, which it reads with `json(...)`: data are values, never markup,
//! so nothing a debtor or a creditor typed can change the document's code.
//!
//! Text channels (e-mail subject and body, SMS) are Handlebars templates in strict mode: a
//! missing variable is an error, never an empty string.
//!
//! # Refuse rather than print blanks
//!
//! [`validate`] lists **every** field a kind needs and the data lack (or carry in the wrong
//! format); [`render_pdf`] and [`render_text`] run it first and refuse with that list.
//!
//! # Entry points
//!
//! - [`render_pdf`] / [`render_pdf_with_template`] (a tenant's own Typst source, test-rendered
//!   and refused with Typst's diagnostics when broken),
//! - [`render_text`] for [`DocumentKind::EmailReminder`] and [`DocumentKind::SmsReminder`],
//! - [`sample`]: complete sample data for every kind, for tests and `render-sample`.

mod format;
mod model;
mod pdf;
mod sample;
mod text;
mod validate;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use model::*;
pub use pdf::{RenderedPdf, render_pdf, render_pdf_with_template, template_source};
pub use sample::{sample, sample_with_pages};
pub use text::{
    RenderedText, SMS_MAX_SEPTETS, render_text, render_text_with_template, sms_septets,
};
pub use validate::{MissingField, Problem, validate};

/// The kinds of document, with stable names (`as_str`, serde, `FromStr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Lettre de relance / d'avertissement, level 1 (courteous).
    #[serde(rename = "warning_letter_1")]
    WarningLetter1,
    /// Warning letter level 2: firmer, announces the formal notice.
    #[serde(rename = "warning_letter_2")]
    WarningLetter2,
    /// An agency's first letter to the debtor, with the five mentions of R124-4 CPCE.
    AgencyFirstLetter,
    /// Mise en demeure de payer, sent by registered letter with acknowledgment of receipt.
    FormalNotice,
    /// Dossier de transmission for the commissaire de justice (multi-page).
    BailiffDossier,
    /// Reminder e-mail (subject and body).
    EmailReminder,
    /// Reminder SMS (at most 160 GSM-7 septets).
    SmsReminder,
    /// The script an agent follows when calling the debtor (a phone-call task).
    CallScript,
    /// Lettre d'accord d'échéancier: the payment plan (échéancier) proposed to or agreed with
    /// the debtor, its instalments (échéances), the grace period and what a missed instalment
    /// entails, for the debtor to countersign.
    PaymentPlanAgreement,
}

impl DocumentKind {
    /// Every kind, in ladder order; the payment-plan agreement, off the ladder, last.
    pub const ALL: [DocumentKind; 9] = [
        DocumentKind::EmailReminder,
        DocumentKind::CallScript,
        DocumentKind::WarningLetter1,
        DocumentKind::SmsReminder,
        DocumentKind::WarningLetter2,
        DocumentKind::AgencyFirstLetter,
        DocumentKind::FormalNotice,
        DocumentKind::BailiffDossier,
        DocumentKind::PaymentPlanAgreement,
    ];

    /// The kinds rendered as PDF.
    pub const PDF: [DocumentKind; 6] = [
        DocumentKind::WarningLetter1,
        DocumentKind::WarningLetter2,
        DocumentKind::AgencyFirstLetter,
        DocumentKind::FormalNotice,
        DocumentKind::BailiffDossier,
        DocumentKind::PaymentPlanAgreement,
    ];

    /// The stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::WarningLetter1 => "warning_letter_1",
            DocumentKind::WarningLetter2 => "warning_letter_2",
            DocumentKind::AgencyFirstLetter => "agency_first_letter",
            DocumentKind::FormalNotice => "formal_notice",
            DocumentKind::BailiffDossier => "bailiff_dossier",
            DocumentKind::EmailReminder => "email_reminder",
            DocumentKind::SmsReminder => "sms_reminder",
            DocumentKind::CallScript => "call_script",
            DocumentKind::PaymentPlanAgreement => "payment_plan_agreement",
        }
    }

    /// True for the kinds rendered as PDF, false for the text channels.
    pub fn is_pdf(self) -> bool {
        !matches!(
            self,
            DocumentKind::EmailReminder | DocumentKind::SmsReminder | DocumentKind::CallScript
        )
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// The language a document is written in. French by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// French (the default: letters to French debtors).
    #[default]
    Fr,
    /// English.
    En,
}

impl Language {
    /// ISO 639-1 code.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fr" => Ok(Language::Fr),
            "en" => Ok(Language::En),
            _ => Err(UnknownName(s.to_owned())),
        }
    }
}

/// A document kind or language name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0:?}")]
pub struct UnknownName(pub String);

/// Why a document was not rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Required data are missing or malformed: every one is listed.
    #[error("document refused, data missing or invalid: {}", list(.0))]
    Refused(Vec<MissingField>),
    /// The template does not compile or fails while laying out; Typst's or Handlebars'
    /// diagnostics, one per line, with the template line and column.
    #[error("template error:\n{0}")]
    Template(String),
    /// The PDF export failed.
    #[error("PDF export error:\n{0}")]
    Export(String),
    /// The kind is not rendered by this function (a text kind asked as PDF, or the reverse).
    #[error("{0} is not rendered by this function")]
    WrongChannel(DocumentKind),
    /// The SMS does not fit in one message.
    #[error("SMS too long: {septets} GSM-7 septets, at most {max}")]
    SmsTooLong {
        /// Its length in septets.
        septets: usize,
        /// The limit.
        max: usize,
    },
}

fn list(fields: &[MissingField]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
