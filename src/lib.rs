//! Recouvre: the gRPC service, its use cases and its command line.
//!
//! Only this crate knows tonic and protobuf (`api`); use cases (`app`) own transactions and
//! authorization; rules live in `recouvre_domain`, persistence in `recouvre_store`.

pub mod api;
pub mod app;
pub mod bench;
pub mod config;
pub mod database;
pub mod server;
