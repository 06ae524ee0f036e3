//! The HTTP answer of an error (the `http` feature, for the server): the status, the machine
//! code and the JSON envelope of api-v1.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::AppError;

impl AppError {
    /// The status and the machine code of this error.
    pub fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::InvalidInput { .. } => (StatusCode::BAD_REQUEST, "invalid_input"),
            AppError::InvalidTransition(_) | AppError::TransitionOf { .. } => {
                (StatusCode::CONFLICT, "invalid_transition")
            }
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            AppError::CallbackWindow(_) => (StatusCode::UNPROCESSABLE_ENTITY, "callback_window"),
            AppError::CallbackTooSoon(_) => (StatusCode::UNPROCESSABLE_ENTITY, "callback_too_soon"),
            AppError::IdempotencyKeyReused(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            }
            AppError::Refused { code, .. } => (StatusCode::CONFLICT, *code),
            AppError::RefusedField {
                code: "invalid_transition",
                ..
            } => (StatusCode::CONFLICT, "invalid_transition"),
            AppError::RefusedField { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, *code),
            AppError::Locked(_) => (StatusCode::TOO_MANY_REQUESTS, "locked"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
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
