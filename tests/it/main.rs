//! The integration tests: the real gRPC server on 127.0.0.1 over TCP, each test with its own
//! PostgreSQL database cloned from a migrated template, and a clock the test controls.

mod support;

mod automation;
mod claims;
mod docgen;
mod documents;
mod embedded;
mod parties;
mod server;
mod statement;
mod tenancy;
mod tls;
