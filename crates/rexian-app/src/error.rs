//! One error type for every use case; the server maps it to the JSON envelope of api-v1 (the
//! `http` feature) or to a page.

use rexian_store::StoreError;

/// Everything a use case can fail with.
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
    /// The step is not allowed in the order's present state, the field naming what was asked
    /// (the crew's `state`).
    #[error("{message}")]
    TransitionOf {
        /// The field asking for the transition.
        field: &'static str,
        /// Why not.
        message: String,
    },
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
    /// A rule of the regulations refuses the request as it stands (`partner_away`,
    /// `no_partner`); the code names the rule.
    #[error("{message}")]
    Refused {
        /// Machine code.
        code: &'static str,
        /// Reason.
        message: String,
    },
    /// A rule refuses the request and names the field it is about (`measurement_window` on
    /// `at`, `invalid_transition` on a reading's `stage`).
    #[error("{message}")]
    RefusedField {
        /// Machine code.
        code: &'static str,
        /// The field.
        field: &'static str,
        /// Reason.
        message: String,
    },
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

    /// The field named by this error, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::InvalidInput { field, .. } | AppError::Conflict { field, .. } => {
                field.as_deref()
            }
            AppError::IdempotencyKeyReused(_) => Some("Idempotency-Key"),
            AppError::TransitionOf { field, .. } => Some(field),
            AppError::RefusedField { field, .. } => Some(field),
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

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;
