//! The call script: what an agent needs on the phone, the consumer calling windows only for
//! consumers, the conduct rules, and strict refusal of missing data.

use recouvre_docs::{DebtorKind, DocumentKind, Language, RenderError, render_text, sample};

#[test]
fn the_call_script_gives_the_agent_the_claim_the_rules_and_where_to_pay() {
    let data = sample(DocumentKind::CallScript, Language::Fr);
    let script = render_text(DocumentKind::CallScript, Language::Fr, &data)
        .expect("call script")
        .body
        .replace(['\u{202f}', '\u{a0}'], " ");
    for expected in [
        "SCRIPT D'APPEL — dossier DUR-2025-0042",
        "Boulangerie Martin",
        "F-2025-0142",
        "3 850,40 €",
        "FR76 3000 6000 0112 3456 7890 189",
        "aucune pression morale",
        "L441-10",
        "RecordContact",
    ] {
        assert!(
            script.contains(expected),
            "{expected:?} missing from:\n{script}"
        );
    }
    // A business debtor: no consumer calling window.
    assert!(!script.contains("D223-9"), "{script}");

    let mut consumer = data.clone();
    if let Some(d) = consumer.debtor.as_mut() {
        d.kind = DebtorKind::Consumer;
    }
    let script = render_text(DocumentKind::CallScript, Language::Fr, &consumer)
        .expect("consumer call script")
        .body
        .replace(['\u{202f}', '\u{a0}'], " ");
    assert!(
        script.contains("de 10 h à 13 h ou de 14 h à 20 h"),
        "{script}"
    );
    assert!(script.contains("L111-8"), "{script}");

    let english = render_text(
        DocumentKind::CallScript,
        Language::En,
        &sample(DocumentKind::CallScript, Language::En),
    )
    .expect("english call script")
    .body;
    assert!(english.starts_with("CALL SCRIPT — file"), "{english}");
}

#[test]
fn a_call_script_without_the_debtors_phone_is_refused() {
    let mut data = sample(DocumentKind::CallScript, Language::Fr);
    if let Some(d) = data.debtor.as_mut() {
        d.phone.clear();
    }
    match render_text(DocumentKind::CallScript, Language::Fr, &data) {
        Err(RenderError::Refused(missing)) => {
            let fields: Vec<&str> = missing.iter().map(|m| m.field.as_str()).collect();
            assert_eq!(fields, ["debtor.phone"]);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
