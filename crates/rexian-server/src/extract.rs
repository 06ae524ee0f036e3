//! Request extractors that turn malformed input into `invalid_input` naming the field.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::AppError;

/// A JSON body whose errors name the offending field.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = bytes::Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::invalid("body", e.body_text()))?;
        let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
            bytes::Bytes::from_static(b"{}")
        } else {
            bytes
        };
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the field of the first error. A string holding a NUL character is
/// refused, naming its field (PostgreSQL cannot store it in text).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // Every body is an object: serde would also take a struct from an array (`[null]`).
    if !bytes.trim_ascii_start().starts_with(b"{") {
        return Err(AppError::invalid("body", "the body must be a JSON object"));
    }
    // In JSON a NUL can only be written as the escape `\u0000`.
    if contains(bytes, b"\\u0000") {
        if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
            if let Some(field) = nul_in_json(&v, "") {
                return Err(nul_error(&field));
            }
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // A missing field is reported by serde in the message, not the path.
        let field = if let Some(rest) = msg.strip_prefix("missing field `") {
            let name = rest.split('`').next().unwrap_or_default();
            if path == "." {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        } else if path == "." {
            "body".to_owned()
        } else {
            path
        };
        AppError::InvalidInput {
            field: Some(field),
            message: msg,
        }
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn nul_error(field: &str) -> AppError {
    AppError::invalid(field, format!("{field} must not contain a NUL character"))
}

/// A field name fit to show: any NUL in it written as `\u0000`.
fn shown(name: &str) -> String {
    name.replace('\0', "\\u0000")
}

/// The path (written as in other `invalid_input` errors: `a.b[0].c`) of the first string
/// or key in `v` that holds a NUL; `body` for the whole body.
fn nul_in_json(v: &Value, at: &str) -> Option<String> {
    match v {
        Value::String(s) if s.contains('\0') => Some(if at.is_empty() {
            "body".to_owned()
        } else {
            at.to_owned()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_in_json(x, &format!("{at}[{i}]"))),
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            let path = if at.is_empty() {
                shown(k)
            } else {
                format!("{at}.{}", shown(k))
            };
            if k.contains('\0') {
                Some(path)
            } else {
                nul_in_json(x, &path)
            }
        }),
        _ => None,
    }
}

/// The first name in a URL-encoded text whose name or value decodes to hold a NUL.
fn nul_in_urlencoded(text: &[u8]) -> Option<String> {
    if !contains(text, b"%00") && !text.contains(&0) {
        return None;
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(text)
        .ok()?
        .into_iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| shown(&k))
}

/// The largest URL-encoded form body read (as axum's own form extractor).
const FORM_LIMIT: usize = 2 << 20;

/// Middleware: refuses a NUL character in the path, in the query string and in a URL-encoded
/// form body as `invalid_input` naming the parameter (`path` for the path). JSON bodies are
/// checked by [`parse_json`].
pub async fn refuse_nul(req: Request, next: Next) -> Result<Response, AppError> {
    if req.uri().path().contains("%00") {
        return Err(nul_error("path"));
    }
    if let Some(field) = req
        .uri()
        .query()
        .and_then(|q| nul_in_urlencoded(q.as_bytes()))
    {
        return Err(nul_error(&field));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(next.run(req).await);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| AppError::invalid("body", "form body too large"))?;
    if let Some(field) = nul_in_urlencoded(&bytes) {
        return Err(nul_error(&field));
    }
    Ok(next
        .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_paths_are_named_like_serde_paths() {
        let v: Value =
            serde_json::from_str(r#"{"a": "ok", "customer": {"names": ["x", "y\u0000"]}}"#)
                .unwrap();
        assert_eq!(nul_in_json(&v, "").as_deref(), Some("customer.names[1]"));
        let v: Value = serde_json::from_str(r#""\u0000""#).unwrap();
        assert_eq!(nul_in_json(&v, "").as_deref(), Some("body"));
        let v: Value = serde_json::from_str(r#"{"k\u0000": 1}"#).unwrap();
        assert_eq!(nul_in_json(&v, "").as_deref(), Some("k\\u0000"));
        let v: Value = serde_json::from_str(r#"{"a": "\\u0000"}"#).unwrap();
        assert_eq!(nul_in_json(&v, ""), None);
    }

    #[test]
    fn nul_in_urlencoded_names_the_parameter() {
        assert_eq!(nul_in_urlencoded(b"a=1&q=x%00y").as_deref(), Some("q"));
        assert_eq!(nul_in_urlencoded(b"a=1&q=x%2500y"), None);
        assert_eq!(nul_in_urlencoded(b"a%00=1").as_deref(), Some("a\\u0000"));
    }
}
