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

/// An optional phone number of `field`: digits (a leading `+` allowed), spaces and dashes
/// dropped, 5–20 characters.
pub fn phone(field: &str, v: Option<String>) -> AppResult<Option<String>> {
    let Some(p) = clean(field, v, 20)? else {
        return Ok(None);
    };
    let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() < 5
        || !digits
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+'))
    {
        return Err(AppError::invalid(
            field,
            format!("{field} must be digits (5–20)"),
        ));
    }
    Ok(Some(digits))
}
