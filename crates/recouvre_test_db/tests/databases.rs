//! Real databases: two created at once, both migrated, each on its own.

use diesel::sql_types::BigInt;
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use recouvre_test_db::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    let rows: Vec<Count> = sql_query(sql).load(conn).await.expect(sql);
    rows.into_iter().next().expect("one row").n
}

#[tokio::test]
async fn concurrent_databases_are_migrated_and_independent() {
    let (a, b) = tokio::join!(TestDatabase::new(), TestDatabase::new());
    assert_ne!(a.url(), b.url());

    let mut conn_a = AsyncPgConnection::establish(a.url())
        .await
        .expect("connect a");
    let mut conn_b = AsyncPgConnection::establish(b.url())
        .await
        .expect("connect b");
    assert_eq!(
        count(&mut conn_a, "SELECT count(*) AS n FROM tenants").await,
        0
    );
    assert_eq!(
        count(&mut conn_b, "SELECT count(*) AS n FROM tenants").await,
        0
    );

    conn_a
        .batch_execute(
            "INSERT INTO tenants (id, name, kind, created_at) \
             VALUES (gen_random_uuid(), 'Cabinet A', 'agency', now())",
        )
        .await
        .expect("insert into a");
    assert_eq!(
        count(&mut conn_a, "SELECT count(*) AS n FROM tenants").await,
        1
    );
    assert_eq!(
        count(&mut conn_b, "SELECT count(*) AS n FROM tenants").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_removes_the_database() {
    let db = TestDatabase::new().await;
    let name = db.name().to_owned();
    let admin = db.url().replace(&name, "postgres");
    let mut admin_conn = AsyncPgConnection::establish(&admin).await.expect("connect");
    // Being connected must not prevent the drop (WITH (FORCE)).
    let _conn = AsyncPgConnection::establish(db.url())
        .await
        .expect("connect db");
    drop(db);
    let sql = format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'");
    assert_eq!(count(&mut admin_conn, &sql).await, 0);
}
