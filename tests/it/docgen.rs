//! The renderer sidecar: `recouvre docgen` typesets what `serve --docgen-addr` sends it, and
//! the bytes are those of rendering in-process.

use recouvre::api::pb;
use recouvre::app::renderer::{Renderer, render_here};
use recouvre::server::{ServerConfig, serve_docgen};
use recouvre_docs::{DocumentKind, Language};
use sha2::{Digest, Sha256};

use crate::support::*;

/// A sidecar on a free port; stops when the sender is dropped.
async fn sidecar() -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_docgen(listener, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

#[tokio::test]
async fn the_sidecar_renders_the_same_bytes_as_the_process() {
    let (addr, _stop) = sidecar().await;
    let renderer = Renderer::sidecar(&addr).expect("client");
    for kind in [
        DocumentKind::WarningLetter1,
        DocumentKind::FormalNotice,
        DocumentKind::BailiffDossier,
        // Its plan travels in the data's JSON like the rest.
        DocumentKind::PaymentPlanAgreement,
        DocumentKind::EmailReminder,
        DocumentKind::SmsReminder,
    ] {
        for language in [Language::Fr, Language::En] {
            let data = recouvre_docs::sample(kind, language);
            let here = render_here(kind, language, &data, None).expect("in-process");
            let there = match renderer.render(kind, language, data, None).await {
                Ok(r) => r,
                Err(e) => panic!("sidecar render of {kind:?}: {e:?}"),
            };
            assert_eq!(there, here, "{kind:?} {language:?}");
            assert_eq!(there.sha256, hex::encode(Sha256::digest(&there.bytes)));
        }
    }
    // Missing data are refused by the sidecar too, naming the fields.
    let mut data = recouvre_docs::sample(DocumentKind::FormalNotice, Language::Fr);
    data.signatory = None;
    let refused = renderer
        .render(DocumentKind::FormalNotice, Language::Fr, data, None)
        .await
        .expect_err("no signatory");
    assert!(format!("{refused:?}").contains("signatory"), "{refused:?}");
}

#[tokio::test]
async fn serve_with_a_sidecar_generates_documents_and_without_it_answers_unavailable() {
    let (addr, stop) = sidecar().await;
    let app = TestApp::spawn_rendering_with(
        ServerConfig::default(),
        Renderer::sidecar(&addr).expect("client"),
    )
    .await;
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    let claim = app
        .claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(sample_claim(
                &creditor.id,
                &debtor.id,
                "DOS-SIDE",
                &["120.00"],
            )),
        })
        .await
        .expect("claim")
        .into_inner();
    let mut documents = pb::document_service_client::DocumentServiceClient::with_interceptor(
        app.channel.clone(),
        Auth(app.agent.clone()),
    );
    let generate = |request_id: String| pb::GenerateDocumentRequest {
        request_id,
        claim_id: claim.id.clone(),
        kind: pb::DocumentKind::WarningLetter1 as i32,
        ..Default::default()
    };
    let doc = documents
        .generate_document(generate(new_request_id()))
        .await
        .expect("generated through the sidecar")
        .into_inner();
    assert_eq!(doc.content_type, "application/pdf");
    let verified = documents
        .verify_document(pb::VerifyDocumentRequest { id: doc.id.clone() })
        .await
        .expect("verify")
        .into_inner();
    assert!(verified.reproduced, "{verified:?}");

    drop(stop);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let status = documents
        .generate_document(generate(new_request_id()))
        .await
        .expect_err("sidecar down");
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert_eq!(reason(&status), "RENDERER_UNAVAILABLE");
}
