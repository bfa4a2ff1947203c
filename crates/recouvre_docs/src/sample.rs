//! Complete sample data for every kind, in French and English: for the tests, the bench and
//! `recouvre render-sample` (template authors, no database).
//!
//! The story: Ateliers Durand (Lyon) invoiced Boulangerie Martin twice in late 2025; 400 € was
//! paid on 15 January 2026; the statement is valued at 2 March 2026 at the B2B rate (ECB 2.15 %
//! plus 10 points, 12.15 %, law-fr.md §2.3), ACT/365, first day excluded, each segment rounded
//! to the cent. The figures are computed by hand and consistent with each other. The
//! payment-plan agreement's plan was proposed on 27 February 2026 for what was owed that day and
//! agreed on 2 March.

use sha2::{Digest, Sha256};

use crate::model::*;
use crate::{DocumentKind, Language};

/// Complete sample data for `kind` in `lang`: renders without refusal.
pub fn sample(kind: DocumentKind, lang: Language) -> DocumentData {
    let fr = lang == Language::Fr;
    let t = |f: &str, e: &str| if fr { f.to_owned() } else { e.to_owned() };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();

    let creditor = Creditor {
        name: "Ateliers Durand".into(),
        legal_form: t(
            "SAS au capital de 50 000 €",
            "SAS (simplified joint-stock company)",
        ),
        siren: "812345676".into(),
        vat_number: "FR32812345676".into(),
        rcs: "RCS Lyon".into(),
        address_lines: s(&["14 quai Saint-Vincent", "69001 Lyon"]),
        legal_representative: t(
            "Mme Claire Durand, présidente",
            "Ms Claire Durand, president",
        ),
        iban: "FR76 3000 6000 0112 3456 7890 189".into(),
        bic: "AGRIFRPP".into(),
        contact: Contact {
            name: t(
                "Service recouvrement — Julie Perrin",
                "Collections — Julie Perrin",
            ),
            phone: "04 72 00 12 34".into(),
            email: "recouvrement@ateliers-durand.fr".into(),
        },
    };
    let agency = Agency {
        name: "Cabinet Recouvra".into(),
        legal_form: "SAS".into(),
        siren: "793456120".into(),
        address_lines: s(&["27 rue de la République", "69002 Lyon"]),
        iban: "FR14 2004 1010 0505 0001 3M02 606".into(),
        bic: "PSSTFRPPLYO".into(),
        contact: Contact {
            name: "Marc Lefèvre".into(),
            phone: "04 78 00 56 78".into(),
            email: "dossiers@recouvra.fr".into(),
        },
    };
    let debtor = Debtor {
        kind: DebtorKind::Business,
        name: "Boulangerie Martin".into(),
        legal_form: "SARL".into(),
        siren: "845123785".into(),
        address_lines: s(&[
            "M. Paul Martin, gérant",
            "5 avenue Roger-Salengro",
            "69100 Villeurbanne",
        ]),
        legal_representative: t("M. Paul Martin, gérant", "Mr Paul Martin, manager"),
        birth_date: String::new(),
        birth_place: String::new(),
        email: "contact@boulangerie-martin.fr".into(),
        phone: "06 12 34 56 78".into(),
    };
    let claim = Claim {
        reference: "DUR-2025-0042".into(),
        currency: "EUR".into(),
        basis: t(
            "factures de travaux de menuiserie (devis accepté n° D-2025-118 du 2 septembre 2025)",
            "invoices for joinery works (accepted quote no. D-2025-118 of 2 September 2025)",
        ),
        invoices: vec![
            Invoice {
                number: "F-2025-0142".into(),
                issue_date: "2025-11-03".into(),
                due_date: "2025-12-03".into(),
                amount: "2400.00".into(),
                paid: "400.00".into(),
                balance: "2000.00".into(),
            },
            Invoice {
                number: "F-2025-0157".into(),
                issue_date: "2025-11-20".into(),
                due_date: "2025-12-20".into(),
                amount: "1850.40".into(),
                paid: "0.00".into(),
                balance: "1850.40".into(),
            },
        ],
        payments: vec![Payment {
            value_date: "2026-01-15".into(),
            amount: "400.00".into(),
            method: t("Virement", "Bank transfer"),
            reference: "VIR-BM-0115".into(),
            imputation: vec![ImputationLine {
                invoice_number: "F-2025-0142".into(),
                interest: "34.35".into(),
                accessories: "40.00".into(),
                principal: "325.65".into(),
            }],
        }],
        total_amount: "4250.40".into(),
        total_paid: "400.00".into(),
        total_balance: "3850.40".into(),
    };
    let ecb = t("Taux BCE 2,15 % + 10 points", "ECB rate 2.15% + 10 points");
    let seg = |first: &str, last: &str, days: u32, base: &str, amount: &str| InterestSegment {
        first_day: first.into(),
        last_day: last.into(),
        days,
        base: base.into(),
        rate: "12.15".into(),
        basis: ecb.clone(),
        citation: "C. com. L441-10 II".into(),
        amount: amount.into(),
    };
    let limitation = t("5 ans, C. com. L110-4", "5 years, C. com. L110-4");
    let statement = Statement {
        as_of: "2026-03-02".into(),
        invoices: vec![
            StatementInvoice {
                number: "F-2025-0142".into(),
                principal: "2400.00".into(),
                interest_from: "2025-12-04".into(),
                segments: vec![
                    seg("2025-12-04", "2025-12-31", 28, "2400.00", "22.37"),
                    seg("2026-01-01", "2026-01-15", 15, "2400.00", "11.98"),
                    seg("2026-01-16", "2026-03-02", 46, "2074.35", "31.76"),
                ],
                interest: "66.11".into(),
                fixed_indemnity: "40.00".into(),
                recovery_costs: "0.00".into(),
                paid: "400.00".into(),
                balance: "2106.11".into(),
                limitation_deadline: "2031-01-15".into(),
                limitation_basis: t(
                    "5 ans, C. com. L110-4 — interrompu par le paiement partiel du 15/01/2026 (C. civ. 2240)",
                    "5 years, C. com. L110-4 — interrupted by the part payment of 15 Jan 2026 (C. civ. 2240)",
                ),
            },
            StatementInvoice {
                number: "F-2025-0157".into(),
                principal: "1850.40".into(),
                interest_from: "2025-12-21".into(),
                segments: vec![
                    seg("2025-12-21", "2025-12-31", 11, "1850.40", "6.78"),
                    seg("2026-01-01", "2026-03-02", 61, "1850.40", "37.57"),
                ],
                interest: "44.35".into(),
                fixed_indemnity: "40.00".into(),
                recovery_costs: "0.00".into(),
                paid: "0.00".into(),
                balance: "1934.75".into(),
                limitation_deadline: "2030-11-20".into(),
                limitation_basis: limitation.clone(),
            },
        ],
        totals: StatementTotals {
            principal: "4250.40".into(),
            interest: "110.46".into(),
            fixed_indemnities: "80.00".into(),
            recovery_costs: "0.00".into(),
            paid: "400.00".into(),
            balance: "4040.86".into(),
        },
        conventions: t(
            "Intérêts simples, calculés jour par jour sur une base de 365 jours (premier jour exclu, dernier jour inclus), par période semestrielle de taux, chaque période arrondie au centime. Paiements imputés d'abord sur les intérêts, puis sur l'indemnité forfaitaire et les frais, puis sur le principal (C. civ. 1343-1), sur les factures échues les plus anciennes (C. civ. 1342-10).",
            "Simple interest, accrued day by day on a 365-day basis (first day excluded, last day included), per semester of rate, each period rounded to the cent. Payments imputed first to interest, then to the fixed indemnity and costs, then to principal (C. civ. 1343-1), to the oldest invoices due first (C. civ. 1342-10).",
        ),
        limitation_deadline: "2030-11-20".into(),
    };
    let signatory = Signatory {
        name: "Claire Durand".into(),
        title: t("Présidente", "President"),
    };

    let mut data = DocumentData {
        reference: String::new(),
        document_date: "2026-03-02".into(),
        place: "Lyon".into(),
        creditor: Some(creditor),
        agency: None,
        first_letter: None,
        debtor: Some(debtor),
        claim: Some(claim),
        statement: None,
        deadline_days: Some(8),
        formal_notice: None,
        events: Vec::new(),
        head_hash: String::new(),
        enclosures: Vec::new(),
        signatory: None,
        payment_plan: None,
    };
    match kind {
        DocumentKind::WarningLetter1 => data.reference = "REL1-2026-0042".into(),
        DocumentKind::WarningLetter2 => data.reference = "REL2-2026-0042".into(),
        DocumentKind::EmailReminder | DocumentKind::SmsReminder => {
            data.reference = "MAIL-2026-0042".into();
        }
        DocumentKind::CallScript => data.reference = "CALL-2026-0042".into(),
        DocumentKind::AgencyFirstLetter => {
            data.reference = "RCV-2026-00318".into();
            data.agency = Some(agency);
            data.statement = Some(statement);
            data.deadline_days = Some(15);
        }
        DocumentKind::PaymentPlanAgreement => {
            // Proposed on 27 February 2026 for everything owed that day: the statement above
            // valued at 27 February (interest 63.35 + 42.51, the third segment of F-2025-0142
            // and the second of F-2025-0157 cut at 42 and 58 days), 4036.26 in all, split in
            // four instalments in the middle of the month (cents rounded down, the remainder
            // on the last; 15 March is a Sunday); agreed on 2 March.
            data.reference = "ECH-2026-0042".into();
            data.signatory = Some(signatory);
            data.payment_plan = Some(PaymentPlan {
                status: "active".into(),
                proposed_on: "2026-02-27".into(),
                agreed_on: "2026-03-02".into(),
                grace_days: 5,
                total: "4036.26".into(),
                instalments: [
                    ("2026-03-16", "1009.06"),
                    ("2026-04-15", "1009.06"),
                    ("2026-05-15", "1009.06"),
                    ("2026-06-15", "1009.08"),
                ]
                .into_iter()
                .map(|(due_date, amount)| PlanInstalment {
                    due_date: due_date.into(),
                    amount: amount.into(),
                })
                .collect(),
            });
        }
        DocumentKind::FormalNotice => {
            data.reference = "MED-2026-0042".into();
            data.statement = Some(statement);
            data.signatory = Some(signatory);
        }
        DocumentKind::BailiffDossier => {
            data.reference = "CJ-2026-0042".into();
            data.statement = Some(statement);
            data.signatory = Some(signatory);
            data.formal_notice = Some(FormalNotice {
                reference: "MED-2026-0031".into(),
                sent_on: "2026-02-02".into(),
                tracking_number: "1A 234 567 8901 2".into(),
                received_on: "2026-02-04".into(),
                delivery_status: t(
                    "Distribuée — avis de réception signé",
                    "Delivered — acknowledgment of receipt signed",
                ),
                deadline: "2026-02-12".into(),
                sha256: sha("formal notice MED-2026-0031"),
            });
            data.events = timeline(lang);
            data.head_hash = data
                .events
                .last()
                .map(|e| e.hash.clone())
                .unwrap_or_default();
            data.enclosures = vec![
                Enclosure {
                    name: t("Devis accepté D-2025-118", "Accepted quote D-2025-118"),
                    sha256: sha("quote"),
                },
                Enclosure {
                    name: t("Facture F-2025-0142", "Invoice F-2025-0142"),
                    sha256: sha("F-2025-0142"),
                },
                Enclosure {
                    name: t("Facture F-2025-0157", "Invoice F-2025-0157"),
                    sha256: sha("F-2025-0157"),
                },
                Enclosure {
                    name: t(
                        "Procès-verbal de réception des travaux",
                        "Acceptance report of the works",
                    ),
                    sha256: sha("pv"),
                },
                Enclosure {
                    name: t(
                        "Mise en demeure MED-2026-0031",
                        "Formal notice MED-2026-0031",
                    ),
                    sha256: sha("formal notice MED-2026-0031"),
                },
                Enclosure {
                    name: t("Avis de réception La Poste", "Acknowledgment of receipt"),
                    sha256: sha("ar"),
                },
            ];
        }
    }
    data
}

/// The bailiff dossier sample grown with `extra_invoices` more invoices (each with three
/// interest segments) and `extra_events` more events: for the bench's long dossier and for
/// checking page breaks. The totals are left as they are (it measures layout, not sums).
pub fn sample_with_pages(
    lang: Language,
    extra_invoices: usize,
    extra_events: usize,
) -> DocumentData {
    let mut data = sample(DocumentKind::BailiffDossier, lang);
    let (Some(claim), Some(statement)) = (data.claim.as_mut(), data.statement.as_mut()) else {
        return data;
    };
    let template = statement.invoices[1].clone();
    for n in 0..extra_invoices {
        let number = format!("F-2025-{:04}", 200 + n);
        claim.invoices.push(Invoice {
            number: number.clone(),
            issue_date: "2025-11-20".into(),
            due_date: "2025-12-20".into(),
            amount: "1850.40".into(),
            paid: "0.00".into(),
            balance: "1850.40".into(),
        });
        let mut inv = template.clone();
        inv.number = number;
        let mut third = inv.segments[1].clone();
        third.first_day = "2026-03-03".into();
        third.last_day = "2026-03-03".into();
        third.days = 1;
        inv.segments.push(third);
        statement.invoices.push(inv);
    }
    let mut prev = data.head_hash.clone();
    for n in 0..extra_events {
        let seq = data.events.len() as u64 + 1;
        let hash = sha(&format!("{prev}{seq}"));
        data.events.push(Event {
            seq,
            at: format!("2026-02-{:02}T{:02}:{:02}", 13 + n % 15, 9 + n % 9, n % 60),
            kind: "call_logged".into(),
            description: if lang == Language::Fr {
                format!(
                    "Appel sortant n° {}, messagerie, message laissé demandant un rappel",
                    n + 1
                )
            } else {
                format!(
                    "Outgoing call no. {}, voicemail, message left asking for a call back",
                    n + 1
                )
            },
            hash: hash.clone(),
        });
        prev = hash;
    }
    data.head_hash = prev;
    data
}

fn sha(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The collection ladder of the sample claim, hash-chained.
fn timeline(lang: Language) -> Vec<Event> {
    let fr = lang == Language::Fr;
    let steps: [(&str, &str, &str, &str); 11] = [
        (
            "2025-11-21T10:02",
            "claim_created",
            "Dossier ouvert, factures F-2025-0142 et F-2025-0157",
            "File opened, invoices F-2025-0142 and F-2025-0157",
        ),
        (
            "2025-12-10T08:00",
            "reminder_sent",
            "Relance par courriel envoyée à contact@boulangerie-martin.fr",
            "Reminder e-mail sent to contact@boulangerie-martin.fr",
        ),
        (
            "2025-12-18T08:00",
            "letter_sent",
            "Lettre de relance REL1-2025-0042 envoyée (courrier simple)",
            "Warning letter REL1-2025-0042 sent (ordinary mail)",
        ),
        (
            "2026-01-06T14:31",
            "call_logged",
            "Appel : M. Martin reconnaît la dette, promet un paiement partiel",
            "Call: Mr Martin acknowledges the debt, promises a part payment",
        ),
        (
            "2026-01-06T14:40",
            "promise_recorded",
            "Promesse de paiement de 400,00 € au 15/01/2026",
            "Promise to pay €400.00 by 15 Jan 2026",
        ),
        (
            "2026-01-15T16:12",
            "payment_recorded",
            "Paiement de 400,00 € reçu (virement VIR-BM-0115)",
            "Payment of €400.00 received (transfer VIR-BM-0115)",
        ),
        (
            "2026-01-16T08:00",
            "letter_sent",
            "Lettre de relance REL2-2026-0042 envoyée (courrier simple)",
            "Warning letter REL2-2026-0042 sent (ordinary mail)",
        ),
        (
            "2026-01-26T11:05",
            "call_logged",
            "Appel : pas de réponse, message laissé",
            "Call: no answer, message left",
        ),
        (
            "2026-02-02T09:00",
            "formal_notice_sent",
            "Mise en demeure MED-2026-0031 envoyée en LRAR n° 1A 234 567 8901 2",
            "Formal notice MED-2026-0031 sent by registered letter no. 1A 234 567 8901 2",
        ),
        (
            "2026-02-04T12:00",
            "formal_notice_received",
            "Avis de réception signé le 04/02/2026",
            "Acknowledgment of receipt signed on 4 Feb 2026",
        ),
        (
            "2026-02-13T08:00",
            "deadline_expired",
            "Délai de la mise en demeure expiré sans paiement ; dossier transmis au service juridique",
            "Formal notice deadline expired without payment; file passed to legal",
        ),
    ];
    let mut prev = "0".repeat(64);
    steps
        .iter()
        .enumerate()
        .map(|(i, (at, kind, f, e))| {
            let hash = sha(&format!("{prev}{i}{kind}"));
            prev = hash.clone();
            Event {
                seq: i as u64 + 1,
                at: (*at).into(),
                kind: (*kind).into(),
                description: if fr { (*f).into() } else { (*e).into() },
                hash,
            }
        })
        .collect()
}
