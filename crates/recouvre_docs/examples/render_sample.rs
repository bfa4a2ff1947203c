//! Renders a sample document, for template authors (no database):
//! `cargo run -p recouvre_docs --example render_sample -- <kind> [fr|en] [out] [long]`.
//! PDF kinds write `out` (default `<kind>.pdf`); text kinds print to stdout. `long` grows the
//! bailiff dossier to about ten pages (20 more invoices, 120 more events).

use std::process::ExitCode;

use recouvre_docs::{DocumentKind, Language, render_pdf, render_text, sample};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(kind) = args.first().and_then(|k| k.parse::<DocumentKind>().ok()) else {
        eprintln!(
            "usage: render_sample <kind> [fr|en] [out]; kinds: {:?}",
            DocumentKind::ALL.map(|k| k.as_str())
        );
        return ExitCode::FAILURE;
    };
    let lang: Language = args.get(1).and_then(|l| l.parse().ok()).unwrap_or_default();
    let data = if args.get(3).is_some_and(|a| a == "long") {
        recouvre_docs::sample_with_pages(lang, 20, 120)
    } else {
        sample(kind, lang)
    };
    if kind.is_pdf() {
        let out = args
            .get(2)
            .cloned()
            .unwrap_or_else(|| format!("{kind}.pdf"));
        match render_pdf(kind, lang, &data) {
            Ok(pdf) => {
                if let Err(e) = std::fs::write(&out, &pdf.bytes) {
                    eprintln!("{out}: {e}");
                    return ExitCode::FAILURE;
                }
                println!(
                    "{out}: {} pages, {} bytes, sha256 {}, {}",
                    pdf.pages,
                    pdf.bytes.len(),
                    pdf.sha256_hex,
                    pdf.template_version
                );
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        match render_text(kind, lang, &data) {
            Ok(text) => {
                if let Some(subject) = text.subject {
                    println!("Subject: {subject}\n");
                }
                println!("{}", text.body);
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
