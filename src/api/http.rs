//! `GET /v1/documents/{id}`: documents over plain HTTP (HTTP/1.1 or 2) on the gRPC port, with
//! the same bearer key and tenancy, so legal teams fetch a dossier with a browser or curl:
//!
//! ```sh
//! curl -H "authorization: Bearer $KEY" -OJ http://127.0.0.1:50051/v1/documents/$ID
//! ```

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tonic::Code;

use super::Api;
use crate::app::AppError;

/// The status of an error, as HTTP, with the message of its gRPC status as the body.
fn error(e: AppError) -> Response {
    let status = tonic::Status::from(e);
    let http = match status.code() {
        Code::InvalidArgument => StatusCode::BAD_REQUEST,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut response = (http, format!("{}\n", status.message())).into_response();
    if http == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"recouvre\""),
        );
    }
    response
}

/// RFC 6266 `Content-Disposition` with an ASCII fallback and the UTF-8 name.
fn disposition(file_name: &str) -> HeaderValue {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Serves one document's bytes.
pub async fn download(api: Api, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let token = super::bearer_token(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    let principal = match api.app.authenticate(token).await {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return error(AppError::invalid("id", "is not a valid id (UUID)"));
    };
    match api.app.document_bytes(&principal, id).await {
        Ok((meta, bytes)) => {
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&meta.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(header::CONTENT_DISPOSITION, disposition(&meta.file_name));
            if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&meta.sha256))) {
                h.insert(header::ETAG, v);
            }
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Err(e) => error(e),
    }
}
