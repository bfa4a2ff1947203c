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
//! "(all data varied)" lines are the realistic case for a server sending letters: **every**
//! datum differs from the previous render (names, addresses, amounts, dates, invoice numbers,
//! IBAN, hashes…, see `vary_all`), so only the template's own text can be reused from Typst's
//! memoization caches. The scheduler's budget is set on these lines.
//!
//! Targets (the issue): warning letter ≤ 20 ms and ≤ 80 KB; 10-page dossier ≤ 300 ms.
//! The scheduler (500 letters per second on 2 cores): a warning letter, all data varied,
//! ≤ 3.5 ms of CPU.
//!
//! Arguments: a word keeps only the lines whose name contains it (`=name`: the line named
//! exactly so); `RENDER_BENCH_N` sets `N`,
//! `RENDER_BENCH_COLD=0` skips the cold renders. Instructions per render, whatever the load:
//!
//! ```sh
//! for n in 10 30; do RENDER_BENCH_N=$n RENDER_BENCH_COLD=0 valgrind --tool=callgrind \
//!   --callgrind-out-file=cg.$n target/release/deps/render-* 'warning_letter_1 (all'; done
//! # (total of cg.30 − total of cg.10) / 20, totals from `callgrind_annotate cg.N | head`
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use recouvre_docs::{
    DocumentData, DocumentKind, Language, render_pdf, render_text, sample, sample_with_pages,
};

/// The allocator the server runs with (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WARM_UP: usize = 3;

fn n() -> usize {
    std::env::var("RENDER_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

fn cold() -> bool {
    std::env::var("RENDER_BENCH_COLD").map_or(true, |v| v != "0")
}

/// The line names to run: those containing the first argument that is not an option
/// (`cargo bench` passes `--bench`), or named exactly as it says after a `=`.
fn selected(name: &str) -> bool {
    std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .is_none_or(|filter| match filter.strip_prefix('=') {
            Some(exact) => name == exact,
            None => name.contains(&filter),
        })
}

fn main() {
    println!(
        "{:<42} {:>5} {:>10} {:>10} {:>10} {:>10}",
        "document", "pages", "mean", "min", "cold mean", "bytes"
    );
    for kind in DocumentKind::PDF {
        let data = sample(kind, Language::Fr);
        bench(kind.as_str(), kind, |i| vary(&data, i));
        bench(&format!("{kind} (all data varied)"), kind, |i| {
            vary_all(&data, i)
        });
    }

    if !selected("bailiff_dossier (") {
        return text_kinds();
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
    text_kinds();
}

fn text_kinds() {
    for kind in [DocumentKind::EmailReminder, DocumentKind::SmsReminder] {
        if !selected(kind.as_str()) {
            continue;
        }
        let data = sample(kind, Language::Fr);
        let mut times = Vec::new();
        let mut bytes = 0;
        for i in 0..WARM_UP + n() {
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

/// The same kind of document for a wholly different claim: every string of the data changes
/// (amounts and dates stay well-formed, the debtor's kind and the currency stay), as when a
/// server renders one letter after another for different debtors.
fn vary_all(data: &DocumentData, i: usize) -> DocumentData {
    let mut value = serde_json::to_value(data).expect("serialize");
    vary_value(&mut value, "", i);
    serde_json::from_value(value).expect("deserialize")
}

fn vary_value(value: &mut serde_json::Value, key: &str, i: usize) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = vary_str(s, key, i),
        Value::Number(n) => {
            if let Some(v) = n.as_u64() {
                *n = (v + (i as u64 % 7)).into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| vary_value(v, key, i)),
        Value::Object(map) => map.iter_mut().for_each(|(k, v)| vary_value(v, k, i)),
        Value::Bool(_) | Value::Null => {}
    }
}

fn vary_str(s: &str, key: &str, i: usize) -> String {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if s.is_empty() || matches!(key, "kind" | "currency") {
        return s.to_owned();
    }
    // Amounts: another whole part, same cents pattern.
    if let Some((int, frac)) = s.split_once('.')
        && digits(int)
        && digits(frac)
    {
        let int: u64 = int.parse().expect("amount");
        return format!("{}.{frac}", int + 1 + (i as u64 * 37) % 900);
    }
    // Dates (and date-times): another day of the same month.
    if s.len() >= 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' && digits(&s[8..10]) {
        let day: usize = s[8..10].parse().expect("day");
        return format!("{}{:02}{}", &s[..8], 1 + (day + i) % 28, &s[10..]);
    }
    // SIREN: nine other digits.
    if s.len() == 9 && digits(s) {
        return format!("{:09}", 100_000_000 + (i * 7_919_113) % 899_999_999);
    }
    // SHA-256 hashes: other hex digits.
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let shift = i % 16;
        return s
            .chars()
            .map(|c| {
                let v = c.to_digit(16).expect("hex") as usize;
                char::from_digit(((v + shift) % 16) as u32, 16).expect("hex")
            })
            .collect();
    }
    // Text: a few other words (names, addresses, IBAN, references, descriptions…).
    let words = [
        "Lambert", "Nicolas", "Girard", "Mercier", "Faure", "Rousseau", "Blanc",
    ];
    format!("{s} {}{i}", words[i % words.len()])
}

fn bench(name: &str, kind: DocumentKind, data: impl Fn(usize) -> DocumentData) {
    if !selected(name) {
        return;
    }
    let n = n();
    let mut times = Vec::with_capacity(n);
    let mut cold_times = Vec::with_capacity(n);
    let mut last = None;
    for i in 0..WARM_UP + n {
        let d = data(i);
        let start = Instant::now();
        let pdf = render_pdf(kind, Language::Fr, black_box(&d)).expect("render");
        if i >= WARM_UP {
            times.push(start.elapsed());
        }
        last = Some(pdf);
    }
    if cold() {
        for i in 0..n {
            let d = data(1000 + i);
            typst::comemo::evict(0);
            let start = Instant::now();
            black_box(render_pdf(kind, Language::Fr, black_box(&d)).expect("render"));
            cold_times.push(start.elapsed());
        }
    }
    let pdf = last.expect("rendered");
    let cold_times = (!cold_times.is_empty()).then_some(cold_times.as_slice());
    report(name, pdf.pages, &times, cold_times, pdf.bytes.len());
}

fn report(name: &str, pages: usize, times: &[Duration], cold: Option<&[Duration]>, bytes: usize) {
    let ms = |d: Duration| format!("{:.2}ms", d.as_secs_f64() * 1e3);
    let mean = |t: &[Duration]| t.iter().sum::<Duration>() / t.len() as u32;
    let min = times.iter().min().copied().unwrap_or_default();
    let cold = cold.map_or_else(|| "-".to_owned(), |c| ms(mean(c)));
    println!(
        "{name:<42} {pages:>5} {:>10} {:>10} {cold:>10} {bytes:>10}",
        ms(mean(times)),
        ms(min)
    );
}
