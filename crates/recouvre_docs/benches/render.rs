//! Render time and size per document kind: `cargo bench -p recouvre_docs --bench render`.
//!
//! For each kind, the sample is rendered a few times to warm up (fonts parsed, the standard
//! library built), then `N` times with **different data each time** (reference, debtor name,
//! date: as a server renders one claim after another, so Typst's memoization cannot return a
//! whole previous document); the mean and best wall times and the PDF size are printed.
//! "cold" clears Typst's memoization caches before every render: the first document after a
//! start, the worst case. A 10-page dossier (the sample grown with invoices and timeline
//! events until it takes ten pages) is timed the same way.
//!
//! Targets (the issue): warning letter ≤ 20 ms and ≤ 80 KB; 10-page dossier ≤ 300 ms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use recouvre_docs::{
    DocumentData, DocumentKind, Language, render_pdf, render_text, sample, sample_with_pages,
};

const WARM_UP: usize = 3;
const N: usize = 20;

fn main() {
    println!(
        "{:<36} {:>5} {:>10} {:>10} {:>10} {:>10}",
        "document", "pages", "mean", "min", "cold mean", "bytes"
    );
    for kind in DocumentKind::PDF {
        let data = sample(kind, Language::Fr);
        bench(kind.as_str(), kind, |i| vary(&data, i));
    }

    // Grow the dossier until it takes ten pages.
    let (mut invoices, mut events) = (0, 0);
    let pages = |i, e| {
        render_pdf(
            DocumentKind::BailiffDossier,
            Language::Fr,
            &sample_with_pages(Language::Fr, i, e),
        )
        .map(|p| p.pages)
        .unwrap_or(0)
    };
    while pages(invoices, events) < 10 {
        invoices += 2;
        events += 12;
    }
    let base = sample_with_pages(Language::Fr, invoices, events);
    bench(
        &format!(
            "bailiff_dossier ({invoices}+2 inv, {} ev)",
            base.events.len()
        ),
        DocumentKind::BailiffDossier,
        |i| vary(&base, i),
    );

    for kind in [DocumentKind::EmailReminder, DocumentKind::SmsReminder] {
        let data = sample(kind, Language::Fr);
        let mut times = Vec::new();
        let mut bytes = 0;
        for i in 0..WARM_UP + N {
            let start = Instant::now();
            let text = render_text(kind, Language::Fr, black_box(&data)).expect("text");
            if i >= WARM_UP {
                times.push(start.elapsed());
            }
            bytes = text.body.len() + text.subject.map_or(0, |s| s.len());
        }
        report(kind.as_str(), 0, &times, None, bytes);
    }
}

/// The same document for another claim: what changes from one render to the next in a server.
fn vary(data: &DocumentData, i: usize) -> DocumentData {
    let mut d = data.clone();
    d.reference = format!("{}-{i}", d.reference);
    d.document_date = format!("2026-03-{:02}", 3 + i % 25);
    if let Some(debtor) = d.debtor.as_mut() {
        debtor.name = format!("{} {i}", debtor.name);
    }
    if let Some(claim) = d.claim.as_mut() {
        claim.reference = format!("{}-{i}", claim.reference);
    }
    d
}

fn bench(name: &str, kind: DocumentKind, data: impl Fn(usize) -> DocumentData) {
    let mut times = Vec::with_capacity(N);
    let mut cold = Vec::with_capacity(N);
    let mut last = None;
    for i in 0..WARM_UP + N {
        let d = data(i);
        let start = Instant::now();
        let pdf = render_pdf(kind, Language::Fr, black_box(&d)).expect("render");
        if i >= WARM_UP {
            times.push(start.elapsed());
        }
        last = Some(pdf);
    }
    for i in 0..N {
        let d = data(1000 + i);
        typst::comemo::evict(0);
        let start = Instant::now();
        black_box(render_pdf(kind, Language::Fr, black_box(&d)).expect("render"));
        cold.push(start.elapsed());
    }
    let pdf = last.expect("rendered");
    report(name, pdf.pages, &times, Some(&cold), pdf.bytes.len());
}

fn report(name: &str, pages: usize, times: &[Duration], cold: Option<&[Duration]>, bytes: usize) {
    let ms = |d: Duration| format!("{:.2}ms", d.as_secs_f64() * 1e3);
    let mean = |t: &[Duration]| t.iter().sum::<Duration>() / t.len() as u32;
    let min = times.iter().min().copied().unwrap_or_default();
    let cold = cold.map_or_else(|| "-".to_owned(), |c| ms(mean(c)));
    println!(
        "{name:<36} {pages:>5} {:>10} {:>10} {cold:>10} {bytes:>10}",
        ms(mean(times)),
        ms(min)
    );
}
