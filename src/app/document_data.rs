//! Builds the documents' data contract (`recouvre_docs::DocumentData`) from the claim as it
//! stands: its parties, its statement, its timeline and its other documents. Amounts go as
//! decimal strings at the currency's precision, dates as ISO strings; words that depend on the
//! language (interest bases, event descriptions) are chosen here.

use chrono::NaiveDate;
use recouvre_docs::{self as docs, Language};
use recouvre_domain::rates::percent_text;
use recouvre_domain::statement::{InterestBasis, Statement};
use recouvre_domain::{Address, Claim, Creditor, Currency, Debtor, DebtorKind, StoredEvent};
use rust_decimal::Decimal;

/// Days given to pay, from receipt, by kind: eight for the formal notice (the usual delay, as
/// PRODUCT.md §5 states), fifteen then eight for the reminders.
pub fn deadline_days(kind: docs::DocumentKind) -> u32 {
    match kind {
        docs::DocumentKind::WarningLetter1 | docs::DocumentKind::EmailReminder => 15,
        _ => 8,
    }
}

/// What the builder needs besides the claim.
pub struct Sources<'a> {
    /// The document's own reference.
    pub reference: String,
    /// Its date.
    pub today: NaiveDate,
    /// Its language.
    pub language: Language,
    /// The creditor.
    pub creditor: &'a Creditor,
    /// The debtor.
    pub debtor: &'a Debtor,
    /// The statement as of today, when it could be computed.
    pub statement: Option<&'a Statement>,
    /// The timeline.
    pub events: &'a [StoredEvent],
    /// Earlier documents of the claim: (name, kind, reference, sha256).
    pub documents: Vec<(String, String, String, String)>,
    /// Who signs.
    pub signatory: Option<docs::Signatory>,
    /// The collection agency writing, when the tenant is one (R124-4).
    pub agency: Option<docs::Agency>,
    /// The agency's first letter to this debtor, recalled by its later letters.
    pub first_letter: Option<docs::LetterReference>,
}

fn amount(value: Decimal, currency: Currency) -> String {
    let mut v = value.round_dp(currency.minor_digits());
    v.rescale(currency.minor_digits());
    v.to_string()
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn basis_words(basis: InterestBasis, language: Language) -> String {
    let fr = language == Language::Fr;
    match basis {
        InterestBasis::ContractualRate { .. } => if fr {
            "Taux contractuel"
        } else {
            "Contractual rate"
        }
        .to_owned(),
        InterestBasis::EcbPlusTen { ecb } => {
            let ecb = percent_text(ecb).replace('.', if fr { "," } else { "." });
            if fr {
                format!("Taux BCE {ecb} % + 10 points")
            } else {
                format!("ECB rate {ecb}% + 10 points")
            }
        }
        InterestBasis::LegalInterest => if fr {
            "Intérêt au taux légal"
        } else {
            "Legal interest rate"
        }
        .to_owned(),
        InterestBasis::Judgment => if fr {
            "Intérêt au taux légal (jugement)"
        } else {
            "Legal interest (judgment)"
        }
        .to_owned(),
        InterestBasis::JudgmentMajorated => if fr {
            "Taux légal majoré de 5 points"
        } else {
            "Legal rate + 5 points"
        }
        .to_owned(),
    }
}

fn event_words(kind: &str, language: Language) -> String {
    let fr = language == Language::Fr;
    let (f, e) = match kind {
        "claim_created" => ("Créance confiée au recouvrement", "Claim handed over"),
        "payment_recorded" => ("Paiement reçu", "Payment received"),
        "contact_recorded" => ("Contact avec le débiteur", "Contact with the debtor"),
        "dispute_opened" => ("Contestation ouverte", "Dispute opened"),
        "dispute_resolved" => ("Contestation close", "Dispute resolved"),
        "promise_recorded" => ("Promesse de paiement", "Promise to pay"),
        "promise_kept" => ("Promesse tenue", "Promise kept"),
        "promise_broken" => ("Promesse non tenue", "Promise broken"),
        "escalated" => ("Passage à l'étape suivante", "Escalated"),
        "claim_closed" => ("Dossier clos", "Claim closed"),
        "formal_notice_delivered" => ("Mise en demeure reçue (AR)", "Formal notice received"),
        "judgment_recorded" => ("Jugement", "Judgment"),
        "interruption_recorded" => ("Interruption de la prescription", "Limitation interrupted"),
        "recovery_cost_recorded" => ("Frais de recouvrement justifiés", "Recovery costs"),
        "document_generated" => ("Document émis", "Document issued"),
        "payment_plan_proposed" => ("Échéancier proposé", "Payment plan proposed"),
        "payment_plan_agreed" => ("Échéancier accepté", "Payment plan agreed"),
        "payment_plan_defaulted" => (
            "Échéancier caduc (échéance impayée)",
            "Payment plan defaulted",
        ),
        "payment_plan_completed" => ("Échéancier soldé", "Payment plan completed"),
        _ => ("Événement", "Event"),
    };
    if fr { f } else { e }.to_owned()
}

/// The data of a document of the claim.
pub fn build(claim: &Claim, s: Sources<'_>) -> docs::DocumentData {
    let cur = claim.currency;
    let fr = s.language == Language::Fr;
    let creditor = s.creditor;
    let debtor = s.debtor;
    let statement = s.statement;
    let invoice_lines = claim
        .invoices
        .iter()
        .map(|i| {
            let st = statement.and_then(|st| st.invoices.iter().find(|x| x.number == i.number));
            docs::Invoice {
                number: i.number.clone(),
                issue_date: iso(i.issue_date),
                due_date: iso(i.due_date),
                amount: amount(i.amount.amount(), cur),
                paid: amount(st.map_or(Decimal::ZERO, |x| x.paid.principal), cur),
                balance: amount(
                    st.map_or(i.amount.amount(), |x| x.outstanding_principal),
                    cur,
                ),
            }
        })
        .collect();
    let payments = statement
        .map(|st| {
            st.payments
                .iter()
                .map(|p| {
                    let method = claim
                        .payments
                        .iter()
                        .find(|x| x.id == p.payment_id)
                        .map(|x| x.method.as_str().replace('_', " "))
                        .unwrap_or_default();
                    let reference = claim
                        .payments
                        .iter()
                        .find(|x| x.id == p.payment_id)
                        .map(|x| x.reference.clone())
                        .unwrap_or_default();
                    docs::Payment {
                        value_date: iso(p.value_date),
                        amount: amount(p.amount, cur),
                        method,
                        reference,
                        imputation: p
                            .lines
                            .iter()
                            .map(|l| docs::ImputationLine {
                                invoice_number: l.invoice_number.clone(),
                                interest: amount(l.interest, cur),
                                accessories: amount(l.fixed_indemnity + l.recovery_costs, cur),
                                principal: amount(l.principal, cur),
                            })
                            .collect(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let doc_statement = statement.map(|st| docs::Statement {
        as_of: iso(st.as_of),
        invoices: st
            .invoices
            .iter()
            .map(|i| docs::StatementInvoice {
                number: i.number.clone(),
                principal: amount(i.principal, cur),
                interest_from: i.interest_from.map(iso).unwrap_or_default(),
                segments: i
                    .segments
                    .iter()
                    .map(|g| docs::InterestSegment {
                        first_day: iso(g.first_day),
                        last_day: iso(g.last_day),
                        days: u32::try_from(g.days).unwrap_or(0),
                        base: amount(g.base, cur),
                        rate: percent_text(g.rate),
                        basis: basis_words(g.basis, s.language),
                        citation: g.basis.citation().to_owned(),
                        amount: amount(g.amount, cur),
                    })
                    .collect(),
                interest: amount(i.interest, cur),
                fixed_indemnity: amount(i.fixed_indemnity, cur),
                recovery_costs: amount(i.recovery_costs, cur),
                paid: amount(i.paid.total(), cur),
                balance: amount(i.balance, cur),
                limitation_deadline: iso(i.limitation.deadline),
                limitation_basis: if fr {
                    format!("{} ans, {}", i.limitation.years, i.limitation.basis)
                } else {
                    format!("{} years, {}", i.limitation.years, i.limitation.basis)
                },
            })
            .collect(),
        totals: docs::StatementTotals {
            principal: amount(st.totals.principal, cur),
            interest: amount(st.totals.interest, cur),
            fixed_indemnities: amount(st.totals.fixed_indemnities, cur),
            recovery_costs: amount(st.totals.recovery_costs, cur),
            paid: amount(st.totals.paid, cur),
            balance: amount(st.totals.owed, cur),
        },
        conventions: st.conventions.describe(),
        limitation_deadline: st.next_limitation_deadline.map(iso).unwrap_or_default(),
    });
    let formal_notice = claim.legal.formal_notice.as_ref().map(|n| {
        let notice_doc = s.documents.iter().rev().find(|d| d.1 == "formal_notice");
        docs::FormalNotice {
            reference: notice_doc.map(|d| d.2.clone()).unwrap_or_default(),
            sent_on: iso(n.sent_on),
            tracking_number: n.tracking_number.clone(),
            received_on: iso(n.received_on),
            delivery_status: if fr { "Distribuée" } else { "Delivered" }.to_owned(),
            deadline: iso(n.received_on + chrono::Days::new(8)),
            sha256: notice_doc.map(|d| d.3.clone()).unwrap_or_default(),
        }
    });
    // Every plan is given, with its status: the agreement refuses one that ended by name
    // (`payment_plan.status`) rather than as absent.
    let payment_plan = claim.plan.as_ref().map(|p| docs::PaymentPlan {
        status: p.status.as_str().to_owned(),
        proposed_on: iso(p.proposed_on),
        agreed_on: p.agreed_on.map(iso).unwrap_or_default(),
        grace_days: p.grace_days,
        total: amount(p.total.amount(), cur),
        instalments: p
            .instalments
            .iter()
            .map(|i| docs::PlanInstalment {
                due_date: iso(i.due_date),
                amount: amount(i.amount.amount(), cur),
            })
            .collect(),
    });
    docs::DocumentData {
        reference: s.reference,
        document_date: iso(s.today),
        place: creditor.address.city.clone(),
        creditor: Some(docs::Creditor {
            name: creditor.legal_name.clone(),
            legal_form: creditor.legal_form.clone(),
            siren: creditor
                .siren
                .as_ref()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            vat_number: creditor
                .vat_number
                .as_ref()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            rcs: String::new(),
            address_lines: creditor.address.letter_lines(),
            legal_representative: creditor.legal_representative.clone(),
            iban: creditor
                .iban
                .as_ref()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            bic: creditor
                .bic
                .as_ref()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            contact: docs::Contact {
                name: creditor.legal_name.clone(),
                phone: creditor
                    .contact_phone
                    .as_ref()
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
                email: creditor
                    .contact_email
                    .as_ref()
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
            },
        }),
        agency: s.agency,
        first_letter: s.first_letter,
        debtor: Some(docs::Debtor {
            kind: match debtor.kind {
                DebtorKind::Business => docs::DebtorKind::Business,
                DebtorKind::Consumer => docs::DebtorKind::Consumer,
            },
            name: debtor.display_name(),
            legal_form: debtor.legal_form.clone().unwrap_or_default(),
            siren: debtor
                .siren
                .as_ref()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            address_lines: debtor
                .addresses
                .first()
                .map(Address::letter_lines)
                .unwrap_or_default(),
            legal_representative: String::new(),
            birth_date: String::new(),
            birth_place: String::new(),
            email: debtor
                .emails
                .first()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            phone: debtor
                .phones
                .first()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
        }),
        claim: Some(docs::Claim {
            reference: claim.external_reference.clone(),
            currency: cur.code().to_owned(),
            basis: if fr {
                "Factures impayées".to_owned()
            } else {
                "Unpaid invoices".to_owned()
            },
            invoices: invoice_lines,
            payments,
            total_amount: amount(claim.principal_total.amount(), cur),
            total_paid: amount(claim.paid_total.amount(), cur),
            total_balance: amount(
                statement.map_or(claim.balance().amount(), |st| {
                    st.totals.outstanding_principal
                }),
                cur,
            ),
        }),
        statement: doc_statement,
        deadline_days: None,
        formal_notice,
        events: s
            .events
            .iter()
            .map(|e| docs::Event {
                seq: u64::try_from(e.seq).unwrap_or(0),
                at: e.occurred_at.format("%Y-%m-%dT%H:%M").to_string(),
                kind: e.kind.clone(),
                description: event_words(&e.kind, s.language),
                hash: hex::encode(e.hash),
            })
            .collect(),
        head_hash: hex::encode(claim.head_hash),
        enclosures: s
            .documents
            .iter()
            .map(|(name, _, _, sha)| docs::Enclosure {
                name: name.clone(),
                sha256: sha.clone(),
            })
            .collect(),
        signatory: s.signatory,
        payment_plan,
    }
}
