//! Text channels: the reminder e-mail (subject and body) and the reminder SMS, rendered by
//! Handlebars in **strict mode** (a variable the data lack is an error, never an empty string)
//! with HTML escaping off (these are plain texts).
//!
//! Helpers: `{{money amount currency}}` (localised amount), `{{date iso}}` (long date) and
//! `{{short_date iso}}` (`16/02/2026`; ISO in English, where day/month order is ambiguous).
//! The SMS is made GSM-7 (characters outside the GSM 03.38 alphabet are transliterated:
//! `ê` → `e`, `ç` → `c`, typographic quotes and spaces to plain ones) and refused above 160
//! septets (`€` and the other extension characters count two).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
    Renderable, StringOutput, Template,
};
use serde::Serialize;

use crate::format::{long_date, money, short_date};
use crate::model::DocumentData;
use crate::{DocumentKind, Language, RenderError, validate};

/// The most septets one SMS carries.
pub const SMS_MAX_SEPTETS: usize = 160;

/// A rendered text document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedText {
    /// The e-mail subject (`None` for an SMS).
    pub subject: Option<String>,
    /// The e-mail body or the SMS text.
    pub body: String,
}

struct Templates {
    subject: Option<&'static str>,
    body: &'static str,
}

fn builtin(kind: DocumentKind, lang: Language) -> Option<Templates> {
    use DocumentKind::{CallScript, EmailReminder, SmsReminder};
    use Language::{En, Fr};
    Some(match (kind, lang) {
        (EmailReminder, Fr) => Templates {
            subject: Some(include_str!(
                "../../../templates/email_reminder_subject.fr.hbs"
            )),
            body: include_str!("../../../templates/email_reminder_body.fr.hbs"),
        },
        (EmailReminder, En) => Templates {
            subject: Some(include_str!(
                "../../../templates/email_reminder_subject.en.hbs"
            )),
            body: include_str!("../../../templates/email_reminder_body.en.hbs"),
        },
        (SmsReminder, Fr) => Templates {
            subject: None,
            body: include_str!("../../../templates/sms_reminder.fr.hbs"),
        },
        (SmsReminder, En) => Templates {
            subject: None,
            body: include_str!("../../../templates/sms_reminder.en.hbs"),
        },
        (CallScript, Fr) => Templates {
            subject: None,
            body: include_str!("../../../templates/call_script.fr.hbs"),
        },
        (CallScript, En) => Templates {
            subject: None,
            body: include_str!("../../../templates/call_script.en.hbs"),
        },
        _ => return None,
    })
}

/// One strict registry per language (the helpers format in that language).
static REGISTRIES: LazyLock<[Handlebars<'static>; 2]> =
    LazyLock::new(|| [registry(Language::Fr), registry(Language::En)]);

fn registry(lang: Language) -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    hb.register_helper(
        "money",
        Box::new(
            move |h: &Helper,
                  _: &Handlebars,
                  _: &Context,
                  _: &mut RenderContext,
                  out: &mut dyn Output|
                  -> HelperResult {
                let amount = str_param(h, 0, "money")?;
                let currency = str_param(h, 1, "money")?;
                let text = money(lang, amount, currency).ok_or_else(|| {
                    RenderErrorReason::Other(format!("money: {amount:?} is not a decimal amount"))
                })?;
                out.write(&text)?;
                Ok(())
            },
        ),
    );
    hb.register_helper(
        "short_date",
        Box::new(
            move |h: &Helper,
                  _: &Handlebars,
                  _: &Context,
                  _: &mut RenderContext,
                  out: &mut dyn Output|
                  -> HelperResult {
                let iso = str_param(h, 0, "short_date")?;
                let text = short_date(lang, iso).ok_or_else(|| {
                    RenderErrorReason::Other(format!("short_date: {iso:?} is not an ISO date"))
                })?;
                out.write(&text)?;
                Ok(())
            },
        ),
    );
    hb.register_helper(
        "date",
        Box::new(
            move |h: &Helper,
                  _: &Handlebars,
                  _: &Context,
                  _: &mut RenderContext,
                  out: &mut dyn Output|
                  -> HelperResult {
                let iso = str_param(h, 0, "date")?;
                let text = long_date(lang, iso).ok_or_else(|| {
                    RenderErrorReason::Other(format!("date: {iso:?} is not an ISO date"))
                })?;
                out.write(&text)?;
                Ok(())
            },
        ),
    );
    hb
}

fn str_param<'a>(
    h: &'a Helper,
    i: usize,
    helper: &'static str,
) -> Result<&'a str, RenderErrorReason> {
    h.param(i)
        .and_then(|p| p.value().as_str())
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(helper, i))
}

/// Parsed templates by source text. Parsing is most of the cost of a text (the scheduler
/// writes thousands of e-mails and call scripts a pass), and the sources are few: the built-in
/// ones and the tenants' current overrides. Bounded: emptied when it grows past
/// [`COMPILED_MAX`] (only old template versions would pile up).
static COMPILED: LazyLock<Mutex<HashMap<String, Arc<Template>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
const COMPILED_MAX: usize = 512;

fn compiled(source: &str) -> Result<Arc<Template>, handlebars::RenderError> {
    // A panic while holding the lock cannot leave the map half-updated: keep using it.
    let cache = || COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(template) = cache().get(source) {
        return Ok(Arc::clone(template));
    }
    // The same options as `Handlebars::render_template` (indentation kept).
    let template = Arc::new(Template::compile(source)?);
    let mut map = cache();
    if map.len() >= COMPILED_MAX {
        map.clear();
    }
    map.insert(source.to_owned(), Arc::clone(&template));
    Ok(template)
}

#[derive(Serialize)]
struct Envelope<'a> {
    kind: DocumentKind,
    lang: Language,
    #[serde(flatten)]
    data: &'a DocumentData,
}

/// Renders a text kind (e-mail or SMS reminder) with its built-in templates, after
/// [`validate`](crate::validate).
pub fn render_text(
    kind: DocumentKind,
    lang: Language,
    data: &DocumentData,
) -> Result<RenderedText, RenderError> {
    let t = builtin(kind, lang).ok_or(RenderError::WrongChannel(kind))?;
    render_text_with_template(kind, lang, data, t.subject, t.body)
}

/// Renders a text kind with other Handlebars templates (a tenant's), in strict mode: a
/// variable the data lack, or a template that does not parse, is refused with Handlebars'
/// message ([`RenderError::Template`]).
pub fn render_text_with_template(
    kind: DocumentKind,
    lang: Language,
    data: &DocumentData,
    subject: Option<&str>,
    body: &str,
) -> Result<RenderedText, RenderError> {
    if kind.is_pdf() {
        return Err(RenderError::WrongChannel(kind));
    }
    validate(kind, data).map_err(RenderError::Refused)?;
    let hb = &REGISTRIES[match lang {
        Language::Fr => 0,
        Language::En => 1,
    }];
    let context = Context::wraps(Envelope { kind, lang, data })
        .map_err(|e| RenderError::Template(format!("data: {e}")))?;
    let render = |name: &str, source: &str| {
        compiled(source)
            .and_then(|template| {
                let mut out = StringOutput::new();
                template.render(hb, &context, &mut RenderContext::new(None), &mut out)?;
                Ok(out.into_string()?)
            })
            .map(|s| s.trim().to_owned())
            .map_err(|e: handlebars::RenderError| RenderError::Template(format!("{name}: {e}")))
    };
    let subject = subject.map(|s| render("subject", s)).transpose()?;
    let mut body = render("body", body)?;
    if kind == DocumentKind::SmsReminder {
        body = to_gsm(&body);
        let septets = sms_septets(&body).unwrap_or(usize::MAX);
        if septets > SMS_MAX_SEPTETS {
            return Err(RenderError::SmsTooLong {
                septets,
                max: SMS_MAX_SEPTETS,
            });
        }
    }
    Ok(RenderedText { subject, body })
}

const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION: &str = "^{}\\[~]|€";

/// Length of `text` in GSM-7 septets (extension characters count two), or `None` when a
/// character is outside the GSM 03.38 alphabet.
pub fn sms_septets(text: &str) -> Option<usize> {
    text.chars().try_fold(0, |n, c| {
        if GSM_BASIC.contains(c) {
            Some(n + 1)
        } else if GSM_EXTENSION.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

/// Replaces what GSM-7 lacks by its nearest GSM character; drops what has none.
fn to_gsm(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if GSM_BASIC.contains(c) || GSM_EXTENSION.contains(c) {
            out.push(c);
            continue;
        }
        let replacement = match c {
            'â' | 'á' | 'ã' => "a",
            'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' => "i",
            'ô' | 'ó' | 'õ' => "o",
            'û' | 'ú' => "u",
            'ç' => "c",
            'ÿ' => "y",
            'À' | 'Â' | 'Á' => "A",
            'È' | 'Ê' | 'Ë' => "E",
            'Î' | 'Ï' => "I",
            'Ô' => "O",
            'Ù' | 'Û' => "U",
            'œ' => "oe",
            'Œ' => "OE",
            '’' | '‘' => "'",
            '“' | '”' | '«' | '»' => "\"",
            '–' | '—' => "-",
            '…' => "...",
            '\u{00A0}' | '\u{202F}' | '\t' => " ",
            _ => "",
        };
        out.push_str(replacement);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_counts_and_transliterates() {
        assert_eq!(sms_septets("à régler"), Some(8));
        assert_eq!(sms_septets("12 €"), Some(5));
        assert_eq!(sms_septets("ê"), None);
        assert_eq!(
            to_gsm("Hélène Gâteau, 1\u{202F}234,00\u{A0}€ – dû"),
            "Hélène Gateau, 1 234,00 € - du"
        );
    }
}
