//! The gRPC API `recouvre.v1`: the only module that knows the wire format. Handlers
//! authenticate, parse the request into domain values (`convert`), call one use case of the
//! app layer and render its result; errors become statuses in `status` only.

mod automation;
pub mod convert;
mod handlers;
pub mod http;
pub mod status;

use tonic::Request;

use crate::app::{App, AppError, Principal};

/// Generated protobuf code.
pub mod pb {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    /// googleapis types vendored under `proto/google`.
    pub mod google {
        /// `google.type`.
        pub mod r#type {
            include!(concat!(env!("OUT_DIR"), "/google.r#type.rs"));
        }
    }
    /// `recouvre.v1`, re-exported below.
    pub mod recouvre {
        /// Version 1 of the API.
        pub mod v1 {
            tonic::include_proto!("recouvre.v1");
        }
        /// The renderer sidecar's internal API.
        pub mod docgen {
            /// Version 1.
            pub mod v1 {
                tonic::include_proto!("recouvre.docgen.v1");
            }
        }
    }
    pub use recouvre::v1::*;

    /// Encoded descriptors of every file, for gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("recouvre_descriptor");
}

/// The implementation of every `recouvre.v1` service.
#[derive(Clone)]
pub struct Api {
    app: App,
}

impl Api {
    /// The API over `app`.
    pub fn new(app: App) -> Self {
        Api { app }
    }

    /// Authenticates the request's bearer key.
    async fn principal<T>(&self, request: &Request<T>) -> Result<Principal, AppError> {
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        self.app.authenticate(bearer_token(header)).await
    }
}

/// The token of an `authorization: Bearer <token>` header (gRPC metadata or HTTP), if any.
pub(crate) fn bearer_token(header: Option<&str>) -> Option<&str> {
    header
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
}
