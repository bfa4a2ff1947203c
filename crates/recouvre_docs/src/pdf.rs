//! PDF rendering with Typst as a library.
//!
//! [`DocWorld`] is a minimal `typst::World` over a virtual file system of four files:
//! the template (the main source), `/common.typ` (shared layout, importable by any template,
//! a tenant's too), `/common-base.typ` (its data-free half: translation dictionary,
//! formatting functions, typography; `common.typ` re-exports it) and `/data.json` (the
//! [`DocumentData`] with the kind and language). Nothing else can be read: no disk, no package,
//! no clock — `today()` is the document's date — so a tenant's template cannot reach the
//! machine and the same inputs always give the same bytes.
//!
//! Reproducibility: the PDF's creation date is the document's date, its identifier is derived
//! from the kind and the document's reference (`PdfOptions::ident`), and the creator is
//! "Recouvre"; fonts are embedded subset. Two renders of the same inputs are byte-identical,
//! so the SHA-256 recorded with a document can be recomputed.
//!
//! # Speed
//!
//! The scheduler renders hundreds of letters a second, each for a different claim, so what
//! one render can reuse from the previous ones matters (Typst memoizes evaluation and layout
//! with `comemo`, keyed on what each step read):
//!
//! - `common-base.typ` reads no data, so its evaluation is done once per process;
//! - nothing the data decide is in the styles around the body (see `letter` in `common.typ`),
//!   so the layout of the template's own paragraphs is reused across documents;
//! - a warning letter (or a tenant's template) is first compiled assuming it has one page
//!   (`"one-page": true` in `/data.json`): the footer then prints "1 / 1" without asking
//!   Typst's page counter, and one layout pass is enough instead of two. A document that
//!   turns out longer is compiled again without the assumption, so "page X / Y" is right on
//!   every page. Which path a document takes depends only on its inputs, so the bytes stay
//!   reproducible;
//! - the caches are evicted every few renders, not after each;
//! - every font subset starts with the glyphs of [`SUBSET_BASE_TEXT`], so that letters embed
//!   the same subsets and the PDF writer's work on the fonts is done once per process.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use sha2::{Digest, Sha256};
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

use crate::model::DocumentData;
use crate::{DocumentKind, Language, RenderError, validate};

/// A rendered PDF and what is recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPdf {
    /// The PDF.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lowercase hex.
    pub sha256_hex: String,
    /// `<kind>@<12 hex digits>` (`custom@…` for a tenant's template): a hash of the template,
    /// `common.typ`, `common-base.typ`, the fonts and the Typst release, so it changes
    /// whenever anything that decides the bytes changes; the same version and data give the
    /// same bytes.
    pub template_version: String,
    /// Number of pages.
    pub pages: usize,
}

const COMMON: &str = include_str!("../../../templates/common.typ");
/// The data-free half of `common.typ`, in a file of its own so that Typst evaluates it once
/// per process (see the module's doc).
const COMMON_BASE: &str = include_str!("../../../templates/common-base.typ");

/// The built-in Typst source of a PDF kind (`None` for the text kinds).
pub fn template_source(kind: DocumentKind) -> Option<&'static str> {
    Some(match kind {
        DocumentKind::WarningLetter1 => include_str!("../../../templates/warning_letter_1.typ"),
        DocumentKind::WarningLetter2 => include_str!("../../../templates/warning_letter_2.typ"),
        DocumentKind::AgencyFirstLetter => {
            include_str!("../../../templates/agency_first_letter.typ")
        }
        DocumentKind::FormalNotice => include_str!("../../../templates/formal_notice.typ"),
        DocumentKind::BailiffDossier => include_str!("../../../templates/bailiff_dossier.typ"),
        DocumentKind::PaymentPlanAgreement => {
            include_str!("../../../templates/payment_plan_agreement.typ")
        }
        DocumentKind::EmailReminder | DocumentKind::SmsReminder | DocumentKind::CallScript => {
            return None;
        }
    })
}

/// The embedded fonts: OFL Libertinus Serif and Inter, DejaVu Sans Mono for hashes (the
/// bailiff dossier).
const FONT_FILES: [&[u8]; 6] = [
    include_bytes!("../../../fonts/LibertinusSerif-Regular.otf"),
    include_bytes!("../../../fonts/LibertinusSerif-Bold.otf"),
    include_bytes!("../../../fonts/LibertinusSerif-Italic.otf"),
    include_bytes!("../../../fonts/Inter-Regular.otf"),
    include_bytes!("../../../fonts/Inter-SemiBold.otf"),
    include_bytes!("../../../fonts/DejaVuSansMono.ttf"),
];

/// The PDF writer and the revision of our patch to it (`crates/krilla/recouvre.patch`): part
/// of every template version, since a change of either changes the bytes.
const PDF_WRITER: &str = "krilla-0.8.2+recouvre.1";

/// What every render shares: the standard library, the fonts, the parsed built-in sources.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    common: Source,
    common_base: Source,
    data_id: FileId,
    builtin: Vec<(DocumentKind, Source, String)>,
    /// SHA-256 of the fonts and the Typst version, part of every template version.
    renderer: String,
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| unreachable!("static path {path}"));
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())[..12].to_owned()
}

/// The characters whose glyphs every embedded font subset includes, whether a document uses
/// them or not: French and English text, figures and the punctuation of amounts and dates.
///
/// So that letters embed the same subset of each font whatever their data, and the font's
/// subsetting, measuring and compression are done once per process rather than once per
/// letter (our krilla patch, `crates/krilla/README.recouvre.md`). A glyph outside this text
/// is added to the subset as usual, for that document.
const SUBSET_BASE_TEXT: &str = concat!(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    "\u{A0}\u{202F}«»°§·×€‘’“”–—…→",
    "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ",
);

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    krilla::text::set_subset_base_text(SUBSET_BASE_TEXT);
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    // What else decides the bytes: the fonts, the Typst release, the PDF writer and the
    // glyphs every font subset includes.
    let mut renderer_hash = Sha256::new();
    for data in FONT_FILES {
        renderer_hash.update(data);
    }
    renderer_hash.update(SUBSET_BASE_TEXT.as_bytes());
    let renderer = format!(
        "{}+{}+{PDF_WRITER}",
        hex::encode(renderer_hash.finalize()),
        typst::utils::version().raw()
    );
    let builtin = DocumentKind::PDF
        .into_iter()
        .filter_map(|kind| {
            let text = template_source(kind)?;
            let source = Source::new(file_id(&format!("/{kind}.typ")), text.to_owned());
            let version = format!(
                "{kind}@{}",
                short_hash(&[text, COMMON, COMMON_BASE, &renderer])
            );
            Some((kind, source, version))
        })
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
        common: Source::new(file_id("/common.typ"), COMMON.to_owned()),
        common_base: Source::new(file_id("/common-base.typ"), COMMON_BASE.to_owned()),
        data_id: file_id("/data.json"),
        builtin,
        renderer,
    }
});

/// The world one document is compiled in.
struct DocWorld {
    main: Source,
    data: Bytes,
    today: Option<Datetime>,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == SHARED.common.id() {
            Ok(SHARED.common.clone())
        } else if id == SHARED.common_base.id() {
            Ok(SHARED.common_base.clone())
        } else if id == SHARED.data_id {
            Err(FileError::NotSource)
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == SHARED.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else if id == SHARED.common.id() {
            Ok(Bytes::from_string(SHARED.common.clone()))
        } else if id == SHARED.common_base.id() {
            Ok(Bytes::from_string(SHARED.common_base.clone()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}

/// What `/data.json` holds.
#[derive(Serialize)]
struct Envelope<'a> {
    kind: DocumentKind,
    lang: Language,
    /// The first compilation's assumption that the document has one page (the footer then
    /// prints "1 / 1" without the page counter); absent when compiling again without it.
    #[serde(rename = "one-page", skip_serializing_if = "std::ops::Not::not")]
    one_page: bool,
    data: &'a DocumentData,
}

/// Renders a PDF kind with its built-in template, after [`validate`](crate::validate).
pub fn render_pdf(
    kind: DocumentKind,
    lang: Language,
    data: &DocumentData,
) -> Result<RenderedPdf, RenderError> {
    let (_, source, version) = SHARED
        .builtin
        .iter()
        .find(|(k, _, _)| *k == kind)
        .ok_or(RenderError::WrongChannel(kind))?;
    render(kind, lang, data, source.clone(), version.clone(), false)
}

/// Renders a PDF kind with another Typst source — a tenant's uploaded template, test-rendered
/// before it is accepted. It sees the same virtual files as the built-in templates
/// (`json("/data.json")`, `import "common.typ"`); a source that does not compile is refused
/// with Typst's diagnostics as text ([`RenderError::Template`]).
pub fn render_pdf_with_template(
    source: &str,
    kind: DocumentKind,
    lang: Language,
    data: &DocumentData,
) -> Result<RenderedPdf, RenderError> {
    if !kind.is_pdf() {
        return Err(RenderError::WrongChannel(kind));
    }
    let main = Source::new(file_id("/template.typ"), source.to_owned());
    let version = format!(
        "custom@{}",
        short_hash(&[source, COMMON, COMMON_BASE, &SHARED.renderer])
    );
    render(kind, lang, data, main, version, true)
}

fn render(
    kind: DocumentKind,
    lang: Language,
    data: &DocumentData,
    main: Source,
    template_version: String,
    custom: bool,
) -> Result<RenderedPdf, RenderError> {
    validate(kind, data).map_err(RenderError::Refused)?;
    let date = iso_date(&data.document_date);
    let make_world = |one_page| -> Result<DocWorld, RenderError> {
        let json = serde_json::to_vec(&Envelope {
            kind,
            lang,
            one_page,
            data,
        })
        .map_err(|e| RenderError::Export(format!("cannot serialize the data: {e}")))?;
        Ok(DocWorld {
            main: main.clone(),
            data: Bytes::new(json),
            today: date,
        })
    };
    let compile = |world: &DocWorld| {
        typst::compile::<PagedDocument>(world)
            .output
            .map_err(|errors| RenderError::Template(diagnostics(world, &errors)))
    };

    // One page assumed first (one layout pass); compiled again if the assumption was wrong.
    // Which path is taken depends only on the inputs, so the bytes are reproducible.
    let one_page = custom || usually_one_page(kind);
    let mut world = make_world(one_page)?;
    let mut document = compile(&world)?;
    if one_page && document.pages().len() > 1 {
        world = make_world(false)?;
        document = compile(&world)?;
    }

    let options = PdfOptions {
        ident: Smart::Custom(format!("recouvre/{kind}/{}", data.reference)),
        creator: Smart::Custom(Some("Recouvre".to_owned())),
        timestamp: date.map(Timestamp::new_utc),
        ..PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&document, &options)
        .map_err(|errors| RenderError::Export(diagnostics(&world, &errors)))?;
    // Keep the memoization caches bounded in a long-running server: drop what the last few
    // renders did not use. Eviction walks every cache, so it runs every `EVICT_EVERY` renders
    // rather than after each (entries unused for one to two such periods are dropped).
    if RENDERS.fetch_add(1, Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1 {
        typst::comemo::evict(1);
    }

    Ok(RenderedPdf {
        sha256_hex: hex::encode(Sha256::digest(&bytes)),
        template_version,
        pages: document.pages().len(),
        bytes,
    })
}

/// Renders since the process started, for the eviction cadence.
static RENDERS: AtomicUsize = AtomicUsize::new(0);
const EVICT_EVERY: usize = 8;

/// Whether a kind's documents usually fit on one page, so that compiling them first with the
/// one-page assumption saves a layout pass (module doc). The others (the formal notice, the
/// agency's first letter and the payment-plan agreement take two pages, the dossier more) are
/// compiled without it, since the attempt would be thrown away. A tenant's template is tried
/// on one page.
fn usually_one_page(kind: DocumentKind) -> bool {
    match kind {
        DocumentKind::WarningLetter1 | DocumentKind::WarningLetter2 => true,
        DocumentKind::AgencyFirstLetter
        | DocumentKind::FormalNotice
        | DocumentKind::PaymentPlanAgreement
        | DocumentKind::BailiffDossier => false,
        DocumentKind::EmailReminder | DocumentKind::SmsReminder | DocumentKind::CallScript => false,
    }
}

fn iso_date(s: &str) -> Option<Datetime> {
    if !crate::validate::is_date(s) {
        return None;
    }
    let year = s[..4].parse().ok()?;
    let month = s[5..7].parse().ok()?;
    let day = s[8..].parse().ok()?;
    Datetime::from_ymd(year, month, day)
}

/// Typst's diagnostics, one per line: `error: /template.typ:3:14: unknown variable: x`,
/// followed by its hints.
fn diagnostics(world: &DocWorld, diags: &[SourceDiagnostic]) -> String {
    let mut out = Vec::new();
    for d in diags {
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = d
            .span
            .id()
            .and_then(|id| {
                let source = world.source(id).ok()?;
                let range = world.range(d.span)?;
                let (line, col) = source.lines().byte_to_line_column(range.start)?;
                Some(format!(
                    "{}:{}:{}: ",
                    id.vpath().get_with_slash(),
                    line + 1,
                    col + 1
                ))
            })
            .unwrap_or_default();
        out.push(format!("{severity}: {at}{}", d.message));
        for hint in &d.hints {
            out.push(format!("  hint: {}", hint.v));
        }
    }
    out.join("\n")
}
