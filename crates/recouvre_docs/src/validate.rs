//! "Refuse rather than print blanks": what each kind of document needs, checked all at once.
//!
//! [`validate`] walks everything a kind prints and collects one [`MissingField`] per absent or
//! malformed field, by its JSON path (`creditor.address_lines`, `claim.invoices[1].due_date`),
//! so the caller fixes its data in one round instead of discovering blanks one at a time —
//! and so no letter ever goes out with an empty IBAN or an invoice without an amount.

use std::fmt;

use crate::DocumentKind;
use crate::model::*;

/// One field a document needs and the data do not give (or give in the wrong format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingField {
    /// JSON path of the field (`creditor.address_lines`, `claim.invoices[0].amount`).
    pub field: String,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Absent or empty.
    Missing,
    /// Present but not in the expected format (the format is named).
    Invalid(&'static str),
}

impl fmt::Display for MissingField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            Problem::Missing => write!(f, "{}: missing", self.field),
            Problem::Invalid(expected) => write!(f, "{}: invalid, expected {expected}", self.field),
        }
    }
}

/// Checks that `data` holds everything `kind` prints, listing **every** missing or malformed
/// field. The language does not change what is required.
pub fn validate(kind: DocumentKind, data: &DocumentData) -> Result<(), Vec<MissingField>> {
    let mut c = Checker::default();
    let agency = data.agency.is_some() || kind == DocumentKind::AgencyFirstLetter;
    match kind {
        DocumentKind::WarningLetter1 | DocumentKind::WarningLetter2 => {
            letter_head(&mut c, data, agency, false);
            claim(&mut c, data.claim.as_ref(), false);
            deadline(&mut c, data);
        }
        DocumentKind::AgencyFirstLetter => {
            letter_head(&mut c, data, true, true);
            claim(&mut c, data.claim.as_ref(), true);
            statement(&mut c, data.statement.as_ref(), false);
            deadline(&mut c, data);
        }
        DocumentKind::FormalNotice => {
            letter_head(&mut c, data, agency, false);
            claim(&mut c, data.claim.as_ref(), true);
            statement(&mut c, data.statement.as_ref(), true);
            deadline(&mut c, data);
            signatory(&mut c, data);
        }
        DocumentKind::PaymentPlanAgreement => {
            // The debt recalled (invoices, no statement: the plan's total is what was owed on
            // the day it was proposed), the schedule, and who commits the creditor to it.
            letter_head(&mut c, data, agency, false);
            claim(&mut c, data.claim.as_ref(), false);
            payment_plan(&mut c, data.payment_plan.as_ref());
            signatory(&mut c, data);
        }
        DocumentKind::BailiffDossier => {
            c.text("reference", &data.reference);
            c.date("document_date", &data.document_date);
            creditor(&mut c, data.creditor.as_ref(), CreditorRole::Dossier);
            if let Some(a) = &data.agency {
                agency_fields(&mut c, a);
            }
            debtor(&mut c, data.debtor.as_ref(), true);
            claim(&mut c, data.claim.as_ref(), true);
            statement(&mut c, data.statement.as_ref(), true);
            formal_notice(&mut c, data.formal_notice.as_ref());
            events(&mut c, &data.events);
            c.hash("head_hash", &data.head_hash);
            if data.enclosures.is_empty() {
                c.missing("enclosures");
            }
            for (i, e) in data.enclosures.iter().enumerate() {
                c.text(&format!("enclosures[{i}].name"), &e.name);
                c.hash(&format!("enclosures[{i}].sha256"), &e.sha256);
            }
            signatory(&mut c, data);
        }
        DocumentKind::CallScript => {
            // The agent needs whom to call, what is owed, where to pay and who to refer to.
            match &data.creditor {
                None => c.missing("creditor"),
                Some(cr) => {
                    c.text("creditor.name", &cr.name);
                    if !agency {
                        c.text("creditor.iban", &cr.iban);
                        c.text("creditor.contact.name", &cr.contact.name);
                        c.text("creditor.contact.phone", &cr.contact.phone);
                    }
                }
            }
            if agency {
                match &data.agency {
                    None => c.missing("agency"),
                    Some(a) => {
                        c.text("agency.name", &a.name);
                        c.text("agency.iban", &a.iban);
                        c.text("agency.contact.name", &a.contact.name);
                        c.text("agency.contact.phone", &a.contact.phone);
                    }
                }
            }
            match &data.debtor {
                None => c.missing("debtor"),
                Some(d) => {
                    c.text("debtor.name", &d.name);
                    c.text("debtor.phone", &d.phone);
                }
            }
            match &data.claim {
                None => c.missing("claim"),
                Some(cl) => {
                    c.text("claim.reference", &cl.reference);
                    c.currency("claim.currency", &cl.currency);
                    c.amount("claim.total_balance", &cl.total_balance);
                    invoices(&mut c, &cl.invoices);
                }
            }
            deadline(&mut c, data);
        }
        DocumentKind::EmailReminder | DocumentKind::SmsReminder => {
            let sms = kind == DocumentKind::SmsReminder;
            match &data.creditor {
                None => c.missing("creditor"),
                Some(cr) => {
                    // With an agency, the agency is contacted and paid: the creditor is named.
                    c.text("creditor.name", &cr.name);
                    if !agency {
                        if sms {
                            c.text("creditor.contact.phone", &cr.contact.phone);
                        } else {
                            contact(&mut c, "creditor.contact", &cr.contact);
                            c.text("creditor.iban", &cr.iban);
                        }
                    }
                }
            }
            if agency {
                match &data.agency {
                    None => c.missing("agency"),
                    Some(a) => {
                        c.text("agency.name", &a.name);
                        if sms {
                            c.text("agency.contact.phone", &a.contact.phone);
                        } else {
                            c.text("agency.iban", &a.iban);
                            contact(&mut c, "agency.contact", &a.contact);
                        }
                    }
                }
                first_letter(&mut c, data);
            }
            match &data.debtor {
                None => c.missing("debtor"),
                Some(d) => {
                    c.text("debtor.name", &d.name);
                    if sms {
                        c.text("debtor.phone", &d.phone);
                    } else {
                        c.text("debtor.email", &d.email);
                    }
                }
            }
            match &data.claim {
                None => c.missing("claim"),
                Some(cl) => {
                    c.text("claim.reference", &cl.reference);
                    c.currency("claim.currency", &cl.currency);
                    c.amount("claim.total_balance", &cl.total_balance);
                    if !sms {
                        invoices(&mut c, &cl.invoices);
                    }
                }
            }
            deadline(&mut c, data);
        }
    }
    c.finish()
}

/// The parts every letter has: reference, place and date, sender, payee, recipient.
///
/// `first` is true for the agency's first letter, which later letters recall.
fn letter_head(c: &mut Checker, data: &DocumentData, agency: bool, first: bool) {
    c.text("reference", &data.reference);
    c.date("document_date", &data.document_date);
    c.text("place", &data.place);
    // The creditor writes and is paid, unless an agency collects: then the agency writes and
    // is paid (R124-2 account), and the creditor is named with its address (R124-4 2°).
    let role = if agency {
        CreditorRole::Principal
    } else {
        CreditorRole::Sender
    };
    creditor(c, data.creditor.as_ref(), role);
    if agency {
        match &data.agency {
            None => c.missing("agency"),
            Some(a) => agency_fields(c, a),
        }
    }
    if agency && !first {
        // Every later agency letter recalls the first one (R124-4 last paragraph).
        first_letter(c, data);
    }
    debtor(c, data.debtor.as_ref(), false);
}

fn first_letter(c: &mut Checker, data: &DocumentData) {
    match &data.first_letter {
        None => c.missing("first_letter"),
        Some(f) => {
            c.text("first_letter.reference", &f.reference);
            c.date("first_letter.sent_on", &f.sent_on);
        }
    }
}

/// What a document prints of the creditor.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CreditorRole {
    /// It writes the letter and is paid: letterhead, legal line, IBAN, contact.
    Sender,
    /// An agency writes for it: its name and address.
    Principal,
    /// The dossier: everything, with its legal representative.
    Dossier,
}

fn creditor(c: &mut Checker, cr: Option<&Creditor>, role: CreditorRole) {
    let Some(cr) = cr else {
        c.missing("creditor");
        return;
    };
    c.text("creditor.name", &cr.name);
    c.lines("creditor.address_lines", &cr.address_lines);
    if role == CreditorRole::Principal {
        return;
    }
    c.text("creditor.legal_form", &cr.legal_form);
    c.siren("creditor.siren", &cr.siren);
    c.text("creditor.iban", &cr.iban);
    if role == CreditorRole::Dossier {
        c.text("creditor.legal_representative", &cr.legal_representative);
    }
    contact(c, "creditor.contact", &cr.contact);
}

fn agency_fields(c: &mut Checker, a: &Agency) {
    // R124-4 1°: name or company name, address or registered office; where to pay.
    c.text("agency.name", &a.name);
    c.text("agency.legal_form", &a.legal_form);
    c.siren("agency.siren", &a.siren);
    c.lines("agency.address_lines", &a.address_lines);
    c.text("agency.iban", &a.iban);
    contact(c, "agency.contact", &a.contact);
}

fn contact(c: &mut Checker, path: &str, ct: &Contact) {
    c.text(&format!("{path}.name"), &ct.name);
    c.text(&format!("{path}.phone"), &ct.phone);
    c.text(&format!("{path}.email"), &ct.email);
}

fn debtor(c: &mut Checker, d: Option<&Debtor>, dossier: bool) {
    let Some(d) = d else {
        c.missing("debtor");
        return;
    };
    c.text("debtor.name", &d.name);
    c.lines("debtor.address_lines", &d.address_lines);
    if dossier && d.kind == DebtorKind::Business {
        // The commissaire acts on identifiers: a company is found by its SIREN.
        c.siren("debtor.siren", &d.siren);
        c.text("debtor.legal_form", &d.legal_form);
    }
    if !d.birth_date.is_empty() {
        c.date("debtor.birth_date", &d.birth_date);
    }
}

fn claim(c: &mut Checker, cl: Option<&Claim>, basis: bool) {
    let Some(cl) = cl else {
        c.missing("claim");
        return;
    };
    c.text("claim.reference", &cl.reference);
    c.currency("claim.currency", &cl.currency);
    if basis {
        c.text("claim.basis", &cl.basis);
    }
    invoices(c, &cl.invoices);
    c.amount("claim.total_amount", &cl.total_amount);
    c.amount("claim.total_paid", &cl.total_paid);
    c.amount("claim.total_balance", &cl.total_balance);
    for (i, p) in cl.payments.iter().enumerate() {
        let at = format!("claim.payments[{i}]");
        c.date(&format!("{at}.value_date"), &p.value_date);
        c.amount(&format!("{at}.amount"), &p.amount);
        c.text(&format!("{at}.method"), &p.method);
        for (j, l) in p.imputation.iter().enumerate() {
            let at = format!("{at}.imputation[{j}]");
            c.text(&format!("{at}.invoice_number"), &l.invoice_number);
            c.amount(&format!("{at}.interest"), &l.interest);
            c.amount(&format!("{at}.accessories"), &l.accessories);
            c.amount(&format!("{at}.principal"), &l.principal);
        }
    }
}

fn invoices(c: &mut Checker, invoices: &[Invoice]) {
    if invoices.is_empty() {
        c.missing("claim.invoices");
    }
    for (i, inv) in invoices.iter().enumerate() {
        let at = format!("claim.invoices[{i}]");
        c.text(&format!("{at}.number"), &inv.number);
        c.date(&format!("{at}.issue_date"), &inv.issue_date);
        c.date(&format!("{at}.due_date"), &inv.due_date);
        c.amount(&format!("{at}.amount"), &inv.amount);
        c.amount(&format!("{at}.paid"), &inv.paid);
        c.amount(&format!("{at}.balance"), &inv.balance);
    }
}

fn statement(c: &mut Checker, st: Option<&Statement>, segments: bool) {
    let Some(st) = st else {
        c.missing("statement");
        return;
    };
    c.date("statement.as_of", &st.as_of);
    if st.invoices.is_empty() {
        c.missing("statement.invoices");
    }
    for (i, inv) in st.invoices.iter().enumerate() {
        let at = format!("statement.invoices[{i}]");
        c.text(&format!("{at}.number"), &inv.number);
        c.amount(&format!("{at}.principal"), &inv.principal);
        c.amount(&format!("{at}.interest"), &inv.interest);
        c.amount(&format!("{at}.fixed_indemnity"), &inv.fixed_indemnity);
        c.amount(&format!("{at}.recovery_costs"), &inv.recovery_costs);
        c.amount(&format!("{at}.paid"), &inv.paid);
        c.amount(&format!("{at}.balance"), &inv.balance);
        if !inv.interest_from.is_empty() {
            c.date(&format!("{at}.interest_from"), &inv.interest_from);
        }
        if segments {
            c.date(
                &format!("{at}.limitation_deadline"),
                &inv.limitation_deadline,
            );
            c.text(&format!("{at}.limitation_basis"), &inv.limitation_basis);
            for (j, s) in inv.segments.iter().enumerate() {
                let at = format!("{at}.segments[{j}]");
                c.date(&format!("{at}.first_day"), &s.first_day);
                c.date(&format!("{at}.last_day"), &s.last_day);
                if s.days == 0 {
                    c.missing(&format!("{at}.days"));
                }
                c.amount(&format!("{at}.base"), &s.base);
                c.rate(&format!("{at}.rate"), &s.rate);
                c.text(&format!("{at}.basis"), &s.basis);
                c.text(&format!("{at}.citation"), &s.citation);
                c.amount(&format!("{at}.amount"), &s.amount);
            }
        }
    }
    let t = &st.totals;
    c.amount("statement.totals.principal", &t.principal);
    c.amount("statement.totals.interest", &t.interest);
    c.amount("statement.totals.fixed_indemnities", &t.fixed_indemnities);
    c.amount("statement.totals.recovery_costs", &t.recovery_costs);
    c.amount("statement.totals.paid", &t.paid);
    c.amount("statement.totals.balance", &t.balance);
    c.text("statement.conventions", &st.conventions);
    if segments {
        c.date("statement.limitation_deadline", &st.limitation_deadline);
    }
}

fn deadline(c: &mut Checker, data: &DocumentData) {
    if data.deadline_days.is_none_or(|d| d == 0) {
        c.missing("deadline_days");
    }
}

fn signatory(c: &mut Checker, data: &DocumentData) {
    match &data.signatory {
        None => c.missing("signatory"),
        Some(s) => {
            c.text("signatory.name", &s.name);
            c.text("signatory.title", &s.title);
        }
    }
}

/// The plan the agreement prints: one that runs or awaits the debtor's agreement, never one
/// that ended (a letter setting out a defaulted schedule would tell the debtor it still holds).
fn payment_plan(c: &mut Checker, p: Option<&PaymentPlan>) {
    let Some(p) = p else {
        c.missing("payment_plan");
        return;
    };
    let agreed = p.status == "active";
    c.check(
        "payment_plan.status",
        &p.status,
        agreed || p.status == "proposed",
        "proposed or active (a plan that has not ended)",
    );
    c.date("payment_plan.proposed_on", &p.proposed_on);
    if agreed || !p.agreed_on.is_empty() {
        c.date("payment_plan.agreed_on", &p.agreed_on);
    }
    c.amount("payment_plan.total", &p.total);
    if p.instalments.is_empty() {
        c.missing("payment_plan.instalments");
    }
    for (i, inst) in p.instalments.iter().enumerate() {
        let at = format!("payment_plan.instalments[{i}]");
        c.date(&format!("{at}.due_date"), &inst.due_date);
        c.amount(&format!("{at}.amount"), &inst.amount);
    }
}

fn formal_notice(c: &mut Checker, f: Option<&FormalNotice>) {
    let Some(f) = f else {
        c.missing("formal_notice");
        return;
    };
    c.text("formal_notice.reference", &f.reference);
    c.date("formal_notice.sent_on", &f.sent_on);
    c.text("formal_notice.tracking_number", &f.tracking_number);
    c.text("formal_notice.delivery_status", &f.delivery_status);
    if !f.received_on.is_empty() {
        c.date("formal_notice.received_on", &f.received_on);
    }
    c.date("formal_notice.deadline", &f.deadline);
    c.hash("formal_notice.sha256", &f.sha256);
}

fn events(c: &mut Checker, events: &[Event]) {
    if events.is_empty() {
        c.missing("events");
    }
    for (i, e) in events.iter().enumerate() {
        let at = format!("events[{i}]");
        c.datetime(&format!("{at}.at"), &e.at);
        c.text(&format!("{at}.kind"), &e.kind);
        c.text(&format!("{at}.description"), &e.description);
        c.hash(&format!("{at}.hash"), &e.hash);
    }
}

/// Collects the problems.
#[derive(Default)]
struct Checker {
    problems: Vec<MissingField>,
}

impl Checker {
    fn finish(self) -> Result<(), Vec<MissingField>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }

    fn push(&mut self, field: &str, problem: Problem) {
        self.problems.push(MissingField {
            field: field.to_owned(),
            problem,
        });
    }

    fn missing(&mut self, field: &str) {
        self.push(field, Problem::Missing);
    }

    /// Present: not empty once trimmed.
    fn text(&mut self, field: &str, v: &str) -> bool {
        if v.trim().is_empty() {
            self.missing(field);
            false
        } else {
            true
        }
    }

    fn lines(&mut self, field: &str, v: &[String]) {
        if v.iter().all(|l| l.trim().is_empty()) {
            self.missing(field);
        }
    }

    fn check(&mut self, field: &str, v: &str, ok: bool, expected: &'static str) {
        if self.text(field, v) && !ok {
            self.push(field, Problem::Invalid(expected));
        }
    }

    fn amount(&mut self, field: &str, v: &str) {
        self.check(field, v, is_amount(v), "a decimal string such as 1234.56");
    }

    fn rate(&mut self, field: &str, v: &str) {
        self.check(field, v, is_amount(v), "a percentage such as 12.15");
    }

    fn date(&mut self, field: &str, v: &str) {
        self.check(field, v, is_date(v), "an ISO date YYYY-MM-DD");
    }

    fn datetime(&mut self, field: &str, v: &str) {
        let ok = is_date(v.get(..10).unwrap_or(v))
            && (v.len() == 10 || (v.as_bytes().get(10) == Some(&b'T') && v.len() >= 16));
        self.check(
            field,
            v,
            ok,
            "an ISO date, optionally with a time (YYYY-MM-DDTHH:MM)",
        );
    }

    fn hash(&mut self, field: &str, v: &str) {
        let ok = v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit());
        self.check(field, v, ok, "64 hexadecimal digits (SHA-256)");
    }

    fn siren(&mut self, field: &str, v: &str) {
        let digits: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        let ok = digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit());
        self.check(field, v, ok, "9 digits");
    }

    fn currency(&mut self, field: &str, v: &str) {
        let ok = v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase());
        self.check(field, v, ok, "an ISO 4217 code such as EUR");
    }
}

/// `"1234.56"`: digits, optionally a point and 1 to 3 digits. No sign, no grouping.
pub(crate) fn is_amount(v: &str) -> bool {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (!v.contains('.') || (1..=3).contains(&frac.len()))
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD` with a real month and a day the month has.
pub(crate) fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|_| s.bytes().all(|c| c.is_ascii_digit()))
    };
    let (Some(y), Some(m), Some(d)) = (num(&v[..4]), num(&v[5..7]), num(&v[8..])) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}
