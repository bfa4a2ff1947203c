//! Renders every document from its sample, reads the PDF back with `pdftotext` (poppler-utils)
//! and checks the mentions and amounts a reader must find; checks reproducibility, refusals,
//! tenant templates and the text channels.

use std::io::Write;
use std::process::{Command, Stdio};

use recouvre_docs::{
    DocumentData, DocumentKind, Language, MissingField, Problem, RenderError, render_pdf,
    render_pdf_with_template, render_text, render_text_with_template, sample, sample_with_pages,
    sms_septets, validate,
};

/// The text of each page of a PDF, whitespace collapsed, typographic quotes and spaces made
/// plain, hyphenation at line ends undone.
fn pages_text(pdf: &[u8]) -> Vec<String> {
    let mut child = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext (Debian package poppler-utils) must be installed for these tests");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(pdf)
        .expect("write pdf");
    let out = child.wait_with_output().expect("pdftotext");
    assert!(out.status.success(), "pdftotext failed");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(normalize)
        .collect()
}

fn normalize(page: &str) -> String {
    let page = page
        .replace(['\u{202F}', '\u{A0}'], " ")
        .replace(['’', '‘'], "'");
    // Undo hyphenation at line ends: "recou-\nvrement" → "recouvrement".
    let chars: Vec<char> = page.chars().collect();
    let mut joined = String::with_capacity(page.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '-'
            && chars.get(i + 1) == Some(&'\n')
            && i > 0
            && chars[i - 1].is_lowercase()
            && chars.get(i + 2).is_some_and(|c| c.is_lowercase())
        {
            i += 2;
            continue;
        }
        joined.push(chars[i]);
        i += 1;
    }
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(pdf: &[u8]) -> String {
    pages_text(pdf).join(" ")
}

#[track_caller]
fn assert_mentions(text: &str, expected: &[&str]) {
    let missing: Vec<&&str> = expected.iter().filter(|e| !text.contains(**e)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in:\n{text}");
}

fn render(kind: DocumentKind, lang: Language) -> (recouvre_docs::RenderedPdf, String) {
    let pdf = render_pdf(kind, lang, &sample(kind, lang))
        .unwrap_or_else(|e| panic!("{kind} {lang}: {e}"));
    let text = text_of(&pdf.bytes);
    (pdf, text)
}

const INVOICES: [&str; 2] = ["F-2025-0142", "F-2025-0157"];

#[test]
fn warning_letters_show_open_invoices_total_and_payment_instructions() {
    for kind in [DocumentKind::WarningLetter1, DocumentKind::WarningLetter2] {
        let (pdf, text) = render(kind, Language::Fr);
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        assert_eq!(pdf.pages, 1, "{kind}");
        assert_mentions(&text, &INVOICES);
        assert_mentions(
            &text,
            &[
                "Ateliers Durand",
                "SIREN 812345676",
                "14 quai Saint-Vincent",
                "Boulangerie Martin",
                "69100 Villeurbanne",
                "Lyon, le 2 mars 2026",
                "2 400,00 €",
                "1 850,40 €",
                "4 250,40 €",
                "3 850,40 €",
                "03/12/2025",
                "FR76 3000 6000 0112 3456 7890 189",
                "DUR-2025-0042",
                "8 jours",
                "L441-10",
                "D441-5",
                "40 €",
                "04 72 00 12 34",
                "recouvrement@ateliers-durand.fr",
                "salutations distinguées",
            ],
        );
    }
    let (_, first) = render(DocumentKind::WarningLetter1, Language::Fr);
    assert_mentions(&first, &["REL1-2026-0042", "Relance"]);
    let (_, second) = render(DocumentKind::WarningLetter2, Language::Fr);
    assert_mentions(
        &second,
        &[
            "REL2-2026-0042",
            "mise en demeure",
            "lettre recommandée avec accusé de réception",
        ],
    );
}

#[test]
fn agency_first_letter_carries_the_five_r124_4_mentions() {
    let (pdf, text) = render(DocumentKind::AgencyFirstLetter, Language::Fr);
    assert!(pdf.pages <= 2, "{} pages", pdf.pages);
    assert_mentions(
        &text,
        &[
            // 1° the collector, its address, and that it collects debts amicably
            "Cabinet Recouvra",
            "27 rue de la République, 69002 Lyon",
            "exerce une activité de recouvrement amiable de créances pour le compte d'autrui",
            // 2° the creditor and its address
            "Ateliers Durand",
            "14 quai Saint-Vincent, 69001 Lyon",
            // 3° basis and amount, each component separately, no fees
            "factures de travaux de menuiserie",
            "Principal",
            "4 250,40 €",
            "Intérêts",
            "110,46 €",
            "Autres accessoires",
            "80,00 €",
            "4 040,86 €",
            "aucun frais de recouvrement amiable",
            // 4° instruction to pay and payment methods
            "Nous vous demandons de régler la somme de 4 040,86 €",
            "15 jours",
            "FR14 2004 1010 0505 0001 3M02 606",
            "DUR-2025-0042",
            // 5° L111-8 paragraphs 2 and 3, verbatim
            "alinéas 2 et 3 de l'article L111-8",
            "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du créancier, sauf s'ils concernent un acte dont l'accomplissement est prescrit par la loi au créancier. Toute stipulation contraire est réputée non écrite, sauf disposition législative contraire.",
            "Cependant, le créancier qui justifie du caractère nécessaire des démarches entreprises pour recouvrer sa créance peut demander au juge de l'exécution de laisser tout ou partie des frais ainsi exposés à la charge du débiteur de mauvaise foi.",
            // the letter's reference and date, to be recalled later
            "RCV-2026-00318 du 02/03/2026",
        ],
    );
    // The first agency letter's English variant still reproduces the French text of the law.
    let (_, en) = render(DocumentKind::AgencyFirstLetter, Language::En);
    assert_mentions(
        &en,
        &[
            "carries out amicable debt collection on behalf of others",
            "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du créancier",
            "English translation, for information",
            "€4,040.86",
        ],
    );
}

#[test]
fn formal_notice_is_an_explicit_notice_with_statement_deadline_and_consequences() {
    let (pdf, text) = render(DocumentKind::FormalNotice, Language::Fr);
    assert!(pdf.pages <= 2, "{} pages", pdf.pages);
    assert_mentions(&text, &INVOICES);
    assert_mentions(
        &text,
        &[
            "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION",
            "Mise en demeure de payer",
            "nous vous mettons en demeure de nous payer la somme de 4 040,86 € dans un délai de 8 jours",
            "article 1344 du Code civil",
            "1231-6",
            "L441-10",
            "D441-5",
            // the statement: every segment, its rate, basis and amount
            "04/12/2025 → 31/12/2025",
            "16/01/2026 → 02/03/2026",
            "12,15 %",
            "2 074,35 €",
            "22,37 €",
            "11,98 €",
            "31,76 €",
            "6,78 €",
            "37,57 €",
            "110,46 €",
            "80,00 €",
            "400,00 €",
            "4 040,86 €",
            "Taux BCE 2,15 % + 10 points",
            "base de 365 jours",
            "injonction de payer",
            "FR76 3000 6000 0112 3456 7890 189",
            "Claire Durand",
            "Présidente",
        ],
    );
    let (_, en) = render(DocumentKind::FormalNotice, Language::En);
    assert_mentions(
        &en,
        &[
            "REGISTERED LETTER WITH ACKNOWLEDGMENT OF RECEIPT",
            "we give you formal notice to pay us the sum of €4,040.86 within 8 days",
            "12.15%",
            "€2,074.35",
            "article 1344",
        ],
    );
}

#[test]
fn bailiff_dossier_has_every_section_and_an_integrity_footer_on_every_page() {
    let data = sample(DocumentKind::BailiffDossier, Language::Fr);
    let pdf = render_pdf(DocumentKind::BailiffDossier, Language::Fr, &data).expect("dossier");
    let pages = pages_text(&pdf.bytes);
    assert_eq!(pages.len(), pdf.pages);
    assert!(pdf.pages >= 2, "multi-page");
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("page {} / {}", i + 1, pdf.pages)),
            "page {i}: {page}"
        );
        assert!(
            page.contains(&data.head_hash),
            "integrity hash missing on page {}",
            i + 1
        );
    }
    let text = pages.join(" ");
    assert_mentions(&text, &INVOICES);
    let mut expected: Vec<String> = [
        "Dossier de transmission au commissaire de justice",
        "Synthèse",
        "SIREN 812345676",
        "845123785",
        "Mme Claire Durand, présidente",
        "M. Paul Martin, gérant",
        "Professionnel (B2B)",
        "Décompte des sommes dues",
        "04/12/2025 → 31/12/2025",
        "01/01/2026 → 15/01/2026",
        "16/01/2026 → 02/03/2026",
        "21/12/2025 → 31/12/2025",
        "01/01/2026 → 02/03/2026",
        "22,37 €",
        "31,76 €",
        "37,57 €",
        "4 040,86 €",
        "Paiements reçus et imputation",
        "15/01/2026",
        "VIR-BM-0115",
        "34,35 €",
        "325,65 €",
        "Chronologie",
        "MED-2026-0031",
        "1A 234 567 8901 2",
        "Distribuée — avis de réception signé",
        "04/02/2026",
        "12/02/2026",
        "Pièces jointes",
        "Devis accepté D-2025-118",
        "Prescription",
        "15/01/2031",
        "20/11/2030",
        "Aucune créance n'est prescrite",
        "Injonction de payer",
        "Cerfa n° 12946*02",
        "Procédure simplifiée de recouvrement des petites créances",
        "n'excède pas 5 000 €",
        "Attestation d'intégrité",
    ]
    .map(String::from)
    .to_vec();
    for e in &data.events {
        expected.push(e.hash.clone());
        expected.push(e.kind.clone());
    }
    for e in &data.enclosures {
        expected.push(e.sha256.clone());
    }
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_mentions(&text, &expected);

    let (_, en) = render(DocumentKind::BailiffDossier, Language::En);
    assert_mentions(
        &en,
        &[
            "Handoff dossier for the commissaire de justice",
            "Order for payment",
            "€4,040.86",
            "page 1 /",
        ],
    );
}

/// A warning letter is first compiled assuming one page (the footer then prints "1 / 1"
/// without Typst's page counter); one that overflows is compiled again, and every page must
/// still say "page X / Y". The two-page kinds must too.
#[test]
fn letters_longer_than_a_page_number_every_page_of_the_total() {
    let mut long = sample_with_pages(Language::Fr, 30, 0);
    long.deadline_days = Some(8);
    for (kind, data) in [
        (DocumentKind::WarningLetter1, long.clone()),
        (DocumentKind::WarningLetter2, long),
        (
            DocumentKind::FormalNotice,
            sample(DocumentKind::FormalNotice, Language::Fr),
        ),
        (
            DocumentKind::AgencyFirstLetter,
            sample(DocumentKind::AgencyFirstLetter, Language::Fr),
        ),
    ] {
        let pdf = render_pdf(kind, Language::Fr, &data).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let pages = pages_text(&pdf.bytes);
        assert_eq!(pages.len(), pdf.pages, "{kind}");
        assert!(pdf.pages >= 2, "{kind}: {} page(s)", pdf.pages);
        for (i, page) in pages.iter().enumerate() {
            assert!(
                page.contains(&format!("page {} / {}", i + 1, pdf.pages)),
                "{kind} page {}: {page}",
                i + 1
            );
        }
        let again = render_pdf(kind, Language::Fr, &data).expect("again");
        assert_eq!(again.bytes, pdf.bytes, "{kind}: reproducible");
    }
}

#[test]
fn dossier_above_five_thousand_euros_recommends_no_small_claims_and_flags_expired_limitation() {
    let mut data = sample(DocumentKind::BailiffDossier, Language::Fr);
    let st = data.statement.as_mut().expect("statement");
    st.totals.balance = "5000.01".into();
    st.invoices[1].limitation_deadline = "2026-01-31".into();
    let text = text_of(
        &render_pdf(DocumentKind::BailiffDossier, Language::Fr, &data)
            .expect("dossier")
            .bytes,
    );
    assert_mentions(
        &text,
        &[
            "excède 5 000 €",
            "n'est pas ouverte",
            "1 facture(s) prescrite(s)",
        ],
    );
    assert!(!text.contains("n'excède pas 5 000 €"));
}

#[test]
fn every_pdf_kind_renders_byte_identical_twice_in_both_languages() {
    let cases: Vec<(DocumentKind, Language)> = DocumentKind::PDF
        .into_iter()
        .flat_map(|k| [(k, Language::Fr), (k, Language::En)])
        .collect();
    let first: Vec<_> = cases
        .iter()
        .map(|&(kind, lang)| render_pdf(kind, lang, &sample(kind, lang)).expect("first"))
        .collect();
    // Typst's caches emptied and the documents rendered in the other order: nothing carried
    // over from one render to the next.
    typst::comemo::evict(0);
    for (&(kind, lang), a) in cases.iter().zip(&first).rev() {
        let b = render_pdf(kind, lang, &sample(kind, lang)).expect("second");
        assert!(a.bytes == b.bytes, "{kind} {lang}: not byte-identical");
        assert_eq!(a.sha256_hex, b.sha256_hex);
        assert_eq!(a.sha256_hex.len(), 64);
        assert!(a.template_version.starts_with(kind.as_str()));
        // The creation date is the document's date, not the clock's.
        let raw = String::from_utf8_lossy(&a.bytes);
        assert!(raw.contains("D:20260302"), "{kind}: creation date");
    }
}

/// The embedded fonts' names, `ABCDEF+Font` (the six letters name the subset).
fn font_subsets(pdf: &[u8]) -> Vec<String> {
    let raw = String::from_utf8_lossy(pdf);
    let mut names: Vec<String> = raw
        .split("/BaseFont/")
        .skip(1)
        .filter_map(|rest| rest.split(['/', ' ', '>', '\n']).next())
        .filter(|name| !name.ends_with("-Identity-H"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Letters for different debtors embed the same subset of each font, whatever their names,
/// amounts and dates, as long as their text stays within French and English text: the PDF
/// writer's work on the fonts is then done once per process, not once per letter. A name
/// with a letter outside that text still prints and reads back right.
#[test]
fn letters_for_different_debtors_embed_the_same_font_subsets() {
    let kind = DocumentKind::WarningLetter1;
    let letter = |name: &str, amount: &str, date: &str| {
        let mut data = sample(kind, Language::Fr);
        data.debtor.as_mut().expect("debtor").name = name.to_owned();
        data.claim.as_mut().expect("claim").total_balance = amount.to_owned();
        data.document_date = date.to_owned();
        render_pdf(kind, Language::Fr, &data).expect("rendered")
    };
    let a = letter("Boulangerie Martin", "3850.40", "2026-03-02");
    let b = letter("Œuvres & Vins d'Yquem — Zoé Kübler", "17.09", "2026-11-27");
    let subsets = font_subsets(&a.bytes);
    assert_eq!(subsets.len(), 4, "{subsets:?}");
    assert_eq!(subsets, font_subsets(&b.bytes));
    assert_ne!(a.bytes, b.bytes);

    let c = letter("Łukasz Żółć", "3850.40", "2026-03-02");
    assert_ne!(
        font_subsets(&c.bytes),
        subsets,
        "Ł is outside the base text"
    );
    assert_mentions(&text_of(&c.bytes), &["Łukasz Żółć", "3 850,40 €"]);
    assert_mentions(
        &text_of(&b.bytes),
        &[
            "Œuvres & Vins d'Yquem — Zoé Kübler",
            "17,09 €",
            "27 novembre 2026",
        ],
    );
}

#[test]
fn data_are_never_interpreted_as_markup() {
    let mut data = sample(DocumentKind::WarningLetter1, Language::Fr);
    let debtor = data.debtor.as_mut().expect("debtor");
    debtor.name = "#panic(\"pwned\") *gras* $x^2$ <label> @ref \\ [lien](x)".into();
    let pdf = render_pdf(DocumentKind::WarningLetter1, Language::Fr, &data).expect("rendered");
    let text = text_of(&pdf.bytes);
    assert_mentions(
        &text,
        &["#panic(\"pwned\") *gras* $x^2$ <label> @ref \\ [lien](x)"],
    );
}

#[test]
fn validation_lists_every_missing_field() {
    // An empty document: every section of a warning letter is named.
    let empty = DocumentData::default();
    let problems = validate(DocumentKind::WarningLetter1, &empty).expect_err("refused");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "reference",
            "document_date",
            "place",
            "creditor",
            "debtor",
            "claim",
            "deadline_days"
        ]
    );

    // The dossier without its creditor address, formal notice, events, head hash, one
    // invoice's due date and one segment's rate, with a malformed amount: all of them at once.
    let mut data = sample(DocumentKind::BailiffDossier, Language::Fr);
    data.creditor
        .as_mut()
        .expect("creditor")
        .address_lines
        .clear();
    data.formal_notice = None;
    data.events.clear();
    data.head_hash.clear();
    let claim = data.claim.as_mut().expect("claim");
    claim.invoices[1].due_date.clear();
    claim.total_balance = "3 850,40".into();
    data.statement.as_mut().expect("statement").invoices[0].segments[2]
        .rate
        .clear();
    let err = render_pdf(DocumentKind::BailiffDossier, Language::Fr, &data).expect_err("refused");
    let RenderError::Refused(problems) = err else {
        panic!("{err}")
    };
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "creditor.address_lines: missing",
            "claim.invoices[1].due_date: missing",
            "claim.total_balance: invalid, expected a decimal string such as 1234.56",
            "statement.invoices[0].segments[2].rate: missing",
            "formal_notice: missing",
            "events: missing",
            "head_hash: missing",
        ],
    );

    // The agency letter needs the agency (R124-4 1°); later agency letters need the first one.
    let mut agency = sample(DocumentKind::AgencyFirstLetter, Language::Fr);
    agency.agency = None;
    let problems = validate(DocumentKind::AgencyFirstLetter, &agency).expect_err("refused");
    assert_eq!(
        problems,
        [MissingField {
            field: "agency".into(),
            problem: Problem::Missing
        }]
    );
    let mut later = sample(DocumentKind::AgencyFirstLetter, Language::Fr);
    later.signatory = sample(DocumentKind::FormalNotice, Language::Fr).signatory;
    let problems = validate(DocumentKind::FormalNotice, &later).expect_err("refused");
    assert_eq!(
        problems,
        [MissingField {
            field: "first_letter".into(),
            problem: Problem::Missing
        }]
    );
    later.first_letter = Some(recouvre_docs::LetterReference {
        reference: "RCV-2026-00318".into(),
        sent_on: "2026-03-02".into(),
    });
    let text = text_of(
        &render_pdf(DocumentKind::FormalNotice, Language::Fr, &later)
            .expect("agency notice")
            .bytes,
    );
    assert_mentions(
        &text,
        &[
            "Rappel de notre premier courrier réf. RCV-2026-00318 du 02/03/2026",
            "Cabinet Recouvra",
            "aucun frais de recouvrement amiable",
        ],
    );

    // Every sample is complete.
    for kind in DocumentKind::ALL {
        for lang in [Language::Fr, Language::En] {
            assert_eq!(validate(kind, &sample(kind, lang)), Ok(()), "{kind} {lang}");
        }
    }
}

#[test]
fn a_broken_tenant_template_is_refused_with_typst_diagnostics() {
    let data = sample(DocumentKind::WarningLetter1, Language::Fr);
    let broken =
        "#import \"common.typ\": *\n\n= Relance\n#d.debtor.name\n#undefined-thing\n#let x = (\n";
    let err = render_pdf_with_template(broken, DocumentKind::WarningLetter1, Language::Fr, &data)
        .expect_err("refused");
    let RenderError::Template(diagnostics) = err else {
        panic!("{err}")
    };
    assert!(
        diagnostics.contains("error: /template.typ:"),
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("unclosed delimiter") || diagnostics.contains("expected"),
        "{diagnostics}"
    );

    let unknown = "#import \"common.typ\": *\nHello #d.debtor.nmae\n";
    let err = render_pdf_with_template(unknown, DocumentKind::WarningLetter1, Language::Fr, &data)
        .expect_err("refused");
    let RenderError::Template(diagnostics) = err else {
        panic!("{err}")
    };
    assert!(diagnostics.contains("/template.typ:2:"), "{diagnostics}");
    assert!(diagnostics.contains("nmae"), "{diagnostics}");

    // No file beyond the virtual ones: not the disk, not a package.
    for source in [
        "#read(\"/etc/passwd\")",
        "#import \"@preview/tablex:0.0.8\": *",
    ] {
        let err =
            render_pdf_with_template(source, DocumentKind::WarningLetter1, Language::Fr, &data)
                .expect_err("refused");
        assert!(matches!(err, RenderError::Template(_)), "{source}: {err}");
    }

    // A working tenant template renders from the same data file and layout.
    let ok = "#import \"common.typ\": *\n#show: letter.with(title: \"Tenant\")\n#head-block()\nBonjour #d.debtor.name, solde : #money(d.claim.total_balance).\n";
    let pdf = render_pdf_with_template(ok, DocumentKind::WarningLetter1, Language::Fr, &data)
        .expect("tenant template");
    assert!(pdf.template_version.starts_with("custom@"));
    assert_mentions(
        &text_of(&pdf.bytes),
        &["Bonjour Boulangerie Martin, solde : 3 850,40 €"],
    );

    // Still refused for missing data before any template runs.
    let err = render_pdf_with_template(
        ok,
        DocumentKind::WarningLetter1,
        Language::Fr,
        &DocumentData::default(),
    )
    .expect_err("refused");
    assert!(matches!(err, RenderError::Refused(_)));
}

#[test]
fn text_kinds_are_not_pdfs_and_the_reverse() {
    let data = sample(DocumentKind::EmailReminder, Language::Fr);
    assert_eq!(
        render_pdf(DocumentKind::EmailReminder, Language::Fr, &data),
        Err(RenderError::WrongChannel(DocumentKind::EmailReminder))
    );
    assert_eq!(
        render_text(DocumentKind::FormalNotice, Language::Fr, &data),
        Err(RenderError::WrongChannel(DocumentKind::FormalNotice))
    );
}

#[test]
fn email_reminder_renders_in_both_languages() {
    let fr = render_text(
        DocumentKind::EmailReminder,
        Language::Fr,
        &sample(DocumentKind::EmailReminder, Language::Fr),
    )
    .expect("fr");
    let subject = fr.subject.expect("subject");
    assert_eq!(
        subject,
        "Ateliers Durand : facture(s) impayée(s), dossier DUR-2025-0042"
    );
    assert_mentions(
        &fr.body.replace(['\u{202F}', '\u{A0}'], " "),
        &[
            "facture n° F-2025-0142 du 3 novembre 2025, échue le 3 décembre 2025 : 2 000,00 € restant dû",
            "Total restant dû : 3 850,40 €",
            "sous 8 jours",
            "FR76 3000 6000 0112 3456 7890 189",
        ],
    );
    let en = render_text(
        DocumentKind::EmailReminder,
        Language::En,
        &sample(DocumentKind::EmailReminder, Language::En),
    )
    .expect("en");
    assert_eq!(
        en.subject.as_deref(),
        Some("Ateliers Durand: unpaid invoice(s), file DUR-2025-0042")
    );
    assert_mentions(
        &en.body,
        &[
            "invoice no. F-2025-0157 of 20 November 2025, due on 20 December 2025: €1,850.40 outstanding",
            "Total outstanding: €3,850.40",
        ],
    );

    // An agency's e-mail recalls its first letter (R124-4).
    let mut agency = sample(DocumentKind::AgencyFirstLetter, Language::Fr);
    agency.first_letter = Some(recouvre_docs::LetterReference {
        reference: "RCV-2026-00318".into(),
        sent_on: "2026-03-02".into(),
    });
    let mail =
        render_text(DocumentKind::EmailReminder, Language::Fr, &agency).expect("agency mail");
    assert_mentions(
        &mail.body,
        &[
            "Cabinet Recouvra",
            "recouvrement amiable de créances",
            "réf. RCV-2026-00318 du 2 mars 2026",
            "FR14 2004",
        ],
    );
}

#[test]
fn sms_reminder_fits_one_gsm_message() {
    for lang in [Language::Fr, Language::En] {
        let sms = render_text(
            DocumentKind::SmsReminder,
            lang,
            &sample(DocumentKind::SmsReminder, lang),
        )
        .expect("sms");
        assert!(sms.subject.is_none());
        let septets = sms_septets(&sms.body).expect("GSM-7 only");
        assert!(septets <= 160, "{septets}: {}", sms.body);
        assert!(sms.body.contains("DUR-2025-0042"), "{}", sms.body);
        assert!(
            sms.body.contains("3 850,40 €") || sms.body.contains("€3,850.40"),
            "{}",
            sms.body
        );
    }
    // Accents outside GSM-7 are transliterated; a message that does not fit is refused.
    let mut data = sample(DocumentKind::SmsReminder, Language::Fr);
    data.creditor.as_mut().expect("creditor").name = "Pâtisserie Crêpe & Gâteaux".into();
    let sms = render_text(DocumentKind::SmsReminder, Language::Fr, &data).expect("sms");
    assert!(
        sms.body.starts_with("Patisserie Crepe & Gateaux:"),
        "{}",
        sms.body
    );
    data.creditor.as_mut().expect("creditor").name = "Société ".repeat(20);
    let err = render_text(DocumentKind::SmsReminder, Language::Fr, &data).expect_err("too long");
    assert!(
        matches!(err, RenderError::SmsTooLong { max: 160, .. }),
        "{err}"
    );
}

#[test]
fn text_templates_are_strict() {
    let data = sample(DocumentKind::EmailReminder, Language::Fr);
    let err = render_text_with_template(
        DocumentKind::EmailReminder,
        Language::Fr,
        &data,
        Some("Relance {{claim.reference}}"),
        "Bonjour {{debtor.nmae}}",
    )
    .expect_err("strict");
    let RenderError::Template(message) = err else {
        panic!("{err}")
    };
    assert!(message.contains("nmae"), "{message}");
    let ok = render_text_with_template(
        DocumentKind::EmailReminder,
        Language::Fr,
        &data,
        None,
        "Bonjour {{debtor.name}}, {{money claim.total_balance claim.currency}}",
    )
    .expect("ok");
    assert_eq!(
        ok.body,
        "Bonjour Boulangerie Martin, 3\u{202F}850,40\u{A0}€"
    );
    // Plain text: no HTML escaping.
    let mut amp = data.clone();
    amp.debtor.as_mut().expect("debtor").name = "Martin & Fils <SARL>".into();
    let ok = render_text_with_template(
        DocumentKind::EmailReminder,
        Language::Fr,
        &amp,
        None,
        "{{debtor.name}}",
    )
    .expect("ok");
    assert_eq!(ok.body, "Martin & Fils <SARL>");
    // Missing data are refused before the template runs.
    let mut no_email = data;
    no_email.debtor.as_mut().expect("debtor").email.clear();
    assert_eq!(
        render_text(DocumentKind::EmailReminder, Language::Fr, &no_email),
        Err(RenderError::Refused(vec![MissingField {
            field: "debtor.email".into(),
            problem: Problem::Missing
        }]))
    );
}

#[test]
fn kinds_and_languages_have_stable_names() {
    for kind in DocumentKind::ALL {
        assert_eq!(kind.as_str().parse::<DocumentKind>(), Ok(kind));
        assert_eq!(
            serde_json::to_string(&kind).expect("json"),
            format!("\"{kind}\"")
        );
    }
    assert_eq!("fr".parse::<Language>(), Ok(Language::Fr));
    assert_eq!(Language::default(), Language::Fr);
    assert!("de".parse::<Language>().is_err());
}

#[test]
fn data_round_trip_through_json_and_partial_json_is_validated() {
    let data = sample(DocumentKind::BailiffDossier, Language::Fr);
    let json = serde_json::to_string(&data).expect("json");
    assert_eq!(
        serde_json::from_str::<DocumentData>(&json).expect("back"),
        data
    );
    let partial: DocumentData =
        serde_json::from_str(r#"{"reference":"X","creditor":{"name":"A"}}"#).expect("partial");
    let problems = validate(DocumentKind::WarningLetter1, &partial).expect_err("refused");
    assert!(problems.iter().any(|p| p.field == "creditor.address_lines"));
    assert!(problems.iter().any(|p| p.field == "creditor.siren"));
}

#[test]
fn an_agency_warning_letter_recalls_the_first_letter_and_names_the_creditor() {
    let mut data = sample(DocumentKind::WarningLetter2, Language::Fr);
    data.agency = sample(DocumentKind::AgencyFirstLetter, Language::Fr).agency;
    // The agency writes and is paid: of the creditor, only its name and address are needed.
    let creditor = data.creditor.as_mut().expect("creditor");
    *creditor = recouvre_docs::Creditor {
        name: creditor.name.clone(),
        address_lines: creditor.address_lines.clone(),
        ..Default::default()
    };
    let problems = validate(DocumentKind::WarningLetter2, &data).expect_err("refused");
    assert_eq!(
        problems,
        [MissingField {
            field: "first_letter".into(),
            problem: Problem::Missing
        }]
    );
    data.first_letter = Some(recouvre_docs::LetterReference {
        reference: "RCV-2026-00318".into(),
        sent_on: "2026-02-16".into(),
    });
    let pdf = render_pdf(DocumentKind::WarningLetter2, Language::Fr, &data).expect("agency letter");
    let text = text_of(&pdf.bytes);
    assert_mentions(
        &text,
        &[
            "Cabinet Recouvra",
            "exerce une activité de recouvrement amiable de créances pour le compte d'autrui",
            "Créancier mandant : Ateliers Durand",
            "Rappel de notre premier courrier réf. RCV-2026-00318 du 16/02/2026",
            "FR14 2004 1010 0505 0001 3M02 606",
            "pour le compte du créancier Ateliers Durand",
        ],
    );
    assert!(
        !text.contains("FR76 3000"),
        "the creditor's IBAN must not be given by the agency"
    );
}

#[test]
fn an_agency_sms_names_the_agency_and_recalls_its_first_letter() {
    let mut data = sample(DocumentKind::SmsReminder, Language::Fr);
    data.agency = sample(DocumentKind::AgencyFirstLetter, Language::Fr).agency;
    data.creditor = Some(recouvre_docs::Creditor {
        name: "Ateliers Durand".into(),
        ..Default::default()
    });
    data.first_letter = Some(recouvre_docs::LetterReference {
        reference: "RCV-2026-00318".into(),
        sent_on: "2026-02-16".into(),
    });
    let sms = render_text(DocumentKind::SmsReminder, Language::Fr, &data).expect("sms");
    assert!(
        sms.body.starts_with(
            "Cabinet Recouvra pour Ateliers Durand (courrier RCV-2026-00318 du 16/02/2026)"
        ),
        "{}",
        sms.body
    );
    assert!(sms.body.ends_with("04 78 00 56 78"), "{}", sms.body);
    assert!(sms_septets(&sms.body).is_some_and(|n| n <= 160));
}

#[test]
fn payment_plan_agreement_sets_out_the_schedule_the_grace_and_a_missed_instalment() {
    let kind = DocumentKind::PaymentPlanAgreement;
    let (pdf, text) = render(kind, Language::Fr);
    assert!(pdf.pages <= 2, "{} pages", pdf.pages);
    assert_mentions(&text, &INVOICES);
    assert_mentions(
        &text,
        &[
            "Accord d'échéancier de paiement",
            "ECH-2026-0042",
            "Lyon, le 2 mars 2026",
            "l'accord intervenu le 2 mars 2026",
            // the debt recalled: the invoices and what was owed on the proposal's day
            "3 850,40 €",
            "Au 27 février 2026, date de notre proposition, la somme due s'élevait à 4 036,26 €",
            "L441-10",
            "D441-5",
            "40 € par facture payée en retard",
            // the schedule: each instalment's number, date and amount, and the total
            "La somme de 4 036,26 € sera réglée en 4 échéances",
            "1 16 mars 2026 1 009,06 €",
            "2 15 avril 2026 1 009,06 €",
            "3 15 mai 2026 1 009,06 €",
            "4 15 juin 2026 1 009,08 €",
            "Total 4 036,26 €",
            // how to pay each instalment
            "Chaque échéance est à régler au plus tard à sa date",
            "FR76 3000 6000 0112 3456 7890 189",
            "DUR-2025-0042",
            // interest stops from the proposal while the plan is kept (agreed plan)
            "aucune pénalité de retard ne court plus sur ces sommes à compter du 27 février 2026",
            // grace and what a missed instalment entails
            "dans les 5 jours qui suivent sa date",
            "n'est pas intégralement réglée à l'expiration de ce délai, l'échéancier prend fin de plein droit",
            "la totalité du solde restant dû redevient immédiatement exigible",
            "y compris celle de l'échéancier",
            "la procédure de recouvrement reprend",
            "article 2240 du Code civil",
            // signed by the creditor, countersigned by the debtor
            "Claire Durand",
            "Présidente",
            "Bon pour accord",
        ],
    );

    let (pdf, en) = render(kind, Language::En);
    assert!(pdf.pages <= 2, "{} pages", pdf.pages);
    assert_mentions(
        &en,
        &[
            "Payment plan agreement",
            "the arrangement reached on 2 March 2026",
            "On 27 February 2026, the date of our proposal, the sum due amounted to €4,036.26",
            "1 16 March 2026 €1,009.06",
            "4 15 June 2026 €1,009.08",
            "Total €4,036.26",
            "no late-payment penalty accrues on these sums from 27 February 2026",
            "within 5 days after its due date",
            "the payment plan lapses",
            "article 2240",
            "€40 per invoice paid late",
        ],
    );
}

#[test]
fn a_proposed_plan_is_offered_for_signature_and_a_consumer_is_charged_no_indemnity() {
    let kind = DocumentKind::PaymentPlanAgreement;
    let mut data = sample(kind, Language::Fr);
    let plan = data.payment_plan.as_mut().expect("plan");
    plan.status = "proposed".into();
    plan.agreed_on.clear();
    plan.grace_days = 0;
    data.debtor.as_mut().expect("debtor").kind = recouvre_docs::DebtorKind::Consumer;
    let text = text_of(
        &render_pdf(kind, Language::Fr, &data)
            .expect("proposal")
            .bytes,
    );
    assert_mentions(
        &text,
        &[
            "Proposition d'échéancier de paiement",
            "nous vous proposons de régler de manière échelonnée",
            "Dès votre accord",
            "aucun intérêt de retard ne courra plus sur ces sommes à compter du 27 février 2026",
            "Aucun : chaque échéance doit être réglée au plus tard à sa date",
            "Si une échéance n'est pas intégralement réglée à sa date, l'échéancier prend fin",
            "« Bon pour accord », avant le 16 mars 2026",
            "1 009,06 €",
        ],
    );
    for absent in ["L441-10", "40 € par facture", "l'accord intervenu"] {
        assert!(!text.contains(absent), "{absent:?} in:\n{text}");
    }
    let en = text_of(
        &render_pdf(kind, Language::En, &data)
            .expect("proposal")
            .bytes,
    );
    assert_mentions(
        &en,
        &[
            "Payment plan proposal",
            "Once you agree",
            "no late-payment interest will accrue",
            "None: each instalment must be paid by its due date",
        ],
    );
}

#[test]
fn the_payment_plan_agreement_is_refused_without_a_plan_that_runs() {
    let kind = DocumentKind::PaymentPlanAgreement;
    let mut data = sample(kind, Language::Fr);
    data.payment_plan = None;
    assert_eq!(
        validate(kind, &data),
        Err(vec![MissingField {
            field: "payment_plan".into(),
            problem: Problem::Missing
        }])
    );
    let err = render_pdf(kind, Language::Fr, &data).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "document refused, data missing or invalid: payment_plan: missing"
    );

    // A plan that ended is named; an agreed one needs its agreement date; every field at once.
    let mut data = sample(kind, Language::Fr);
    data.signatory = None;
    let plan = data.payment_plan.as_mut().expect("plan");
    plan.status = "defaulted".into();
    plan.total = "4 036,26".into();
    plan.instalments[2].due_date = "2026-05-32".into();
    plan.instalments[3].amount.clear();
    let shown: Vec<String> = validate(kind, &data)
        .expect_err("refused")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        shown,
        [
            "payment_plan.status: invalid, expected proposed or active (a plan that has not ended)",
            "payment_plan.total: invalid, expected a decimal string such as 1234.56",
            "payment_plan.instalments[2].due_date: invalid, expected an ISO date YYYY-MM-DD",
            "payment_plan.instalments[3].amount: missing",
            "signatory: missing",
        ]
    );
    let mut data = sample(kind, Language::Fr);
    let plan = data.payment_plan.as_mut().expect("plan");
    plan.agreed_on.clear();
    plan.instalments.clear();
    let fields: Vec<String> = validate(kind, &data)
        .expect_err("refused")
        .into_iter()
        .map(|m| m.field)
        .collect();
    assert_eq!(
        fields,
        ["payment_plan.agreed_on", "payment_plan.instalments"]
    );
}
