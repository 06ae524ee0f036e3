//! The server's errors: the use cases' [`AppError`] (its HTTP answer comes with it), and the
//! JSON envelope for every other error answer under `/api/`.

use axum::response::{IntoResponse, Response};
use axum::Json;
pub use rexian_app::error::{AppError, AppResult};

/// Every error answer under `/api/` is the JSON envelope, whoever wrote it: the extractors'
/// rejections (a path segment that is not UTF-8, an unknown method, a body over the limit) come
/// from axum as plain text, and the API's clients and its OpenAPI document expect one shape.
pub async fn api_envelope(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = match axum::body::to_bytes(body, 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_owned(),
        Err(_) => String::new(),
    };
    let code = match status.as_u16() {
        400 => "invalid_input",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        s if s >= 500 => "internal",
        _ => "invalid_input",
    };
    let message = if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    // A path rejection names the path; others name no field.
    let field = message.contains("path").then_some("path");
    let body = serde_json::json!({"error": {"code": code, "message": message, "field": field}});
    let mut res = (status, Json(body)).into_response();
    for (k, v) in parts.headers.iter() {
        if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
            res.headers_mut().append(k.clone(), v.clone());
        }
    }
    res
}
