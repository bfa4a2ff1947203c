//! Claims over the wire: creation, reads, lifecycle moves and their refusals, idempotency,
//! etags, the event chain.

use recouvre::api::pb;

use crate::support::*;

#[tokio::test]
async fn create_then_get_returns_the_same_claim() {
    let app = TestApp::spawn().await;
    let created = app.claim("1200.00").await;
    assert_eq!(created.state, pb::ClaimState::Amicable as i32);
    assert_eq!(created.balance, Some(eur("1200.00")));
    assert_eq!(created.event_count, 1);
    let got = app
        .claims(&app.legal)
        .get_claim(pb::GetClaimRequest {
            id: created.id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got, created);
}
