//! One error type for every handler: the JSON envelope of api-v1 for the API, a page for the UI.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rexian_store::StoreError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed; names the field when known.
    #[error("{message}")]
    InvalidInput {
        /// Offending field.
        field: Option<String>,
        /// Human-readable reason.
        message: String,
    },
    /// The step is not allowed in the order's current state.
    #[error("{0}")]
    InvalidTransition(String),
    /// No such thing (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// Authenticated but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// A uniqueness rule refused the change.
    #[error("{message}")]
    Conflict {
        /// Field that clashed.
        field: Option<String>,
        /// Reason.
        message: String,
    },
    /// A callback attempted outside the company's callback window.
    #[error("{0}")]
    CallbackWindow(String),
    /// A callback attempted too soon after an unreachable attempt.
    #[error("{0}")]
    CallbackTooSoon(String),
    /// An `Idempotency-Key` used again with a different request.
    #[error("{0}")]
    IdempotencyKeyReused(String),
    /// Too many attempts; try later.
    #[error("{0}")]
    Locked(String),
    /// A failure of ours; logged, never shown.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// An `invalid_input` naming `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::InvalidInput {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// The status and the machine code of this error.
    pub fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::InvalidInput { .. } => (StatusCode::BAD_REQUEST, "invalid_input"),
            AppError::InvalidTransition(_) => (StatusCode::CONFLICT, "invalid_transition"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            AppError::CallbackWindow(_) => (StatusCode::UNPROCESSABLE_ENTITY, "callback_window"),
            AppError::CallbackTooSoon(_) => (StatusCode::UNPROCESSABLE_ENTITY, "callback_too_soon"),
            AppError::IdempotencyKeyReused(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            }
            AppError::Locked(_) => (StatusCode::TOO_MANY_REQUESTS, "locked"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The field named by this error, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::InvalidInput { field, .. } | AppError::Conflict { field, .. } => {
                field.as_deref()
            }
            AppError::IdempotencyKeyReused(_) => Some("Idempotency-Key"),
            _ => None,
        }
    }
}

/// Maps a storage constraint name to the request field it guards.
fn field_of_constraint(name: &str) -> Option<&'static str> {
    match name {
        "users_login_key" | "users.login" => Some("login"),
        "orders_idem_key" => Some("Idempotency-Key"),
        _ if name.contains("company") => Some("company_id"),
        _ if name.contains("unit") => Some("unit_id"),
        _ if name.contains("partner") => Some("partner_id"),
        _ => None,
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(c) => {
                let field = field_of_constraint(&c).map(str::to_owned);
                let message = match &field {
                    Some(f) => format!("{f} conflicts with an existing record or names none"),
                    None => "the change conflicts with existing data".to_owned(),
                };
                AppError::Conflict { field, message }
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let message = match &self {
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let body = serde_json::json!({
            "error": {"code": code, "message": message, "field": self.field()}
        });
        (status, Json(body)).into_response()
    }
}

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;

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
