//! Free text as it enters: limits count the text as sent (the OpenAPI maxLength does too), the
//! text is kept trimmed, empty is none.

use crate::{AppError, AppResult};

/// Optional text of at most `max` characters, trimmed; empty is none.
pub fn clean(field: &str, v: Option<String>, max: usize) -> AppResult<Option<String>> {
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(AppError::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
}

/// Required text of at most `max` characters, trimmed.
pub fn required(field: &str, v: String, max: usize) -> AppResult<String> {
    clean(field, Some(v), max)?
        .ok_or_else(|| AppError::invalid(field, format!("{field} is required")))
}
