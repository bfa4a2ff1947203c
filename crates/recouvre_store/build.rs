//! `embed_migrations!` reads `migrations/` at compile time but does not tell Cargo: without this,
//! editing a migration leaves the old SQL embedded in the binary (and the test harness, which
//! names its template after the files, would build an old-schema template under a new name).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
