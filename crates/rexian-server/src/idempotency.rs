//! One `Idempotency-Key` layer for every POST of the API (DESIGN: API). A POST carrying the
//! header is answered once: a retry with the same key and the same body gets the first answer
//! (status and JSON) without running again; the same key with another body is refused 422
//! `idempotency_key_reused`. Keys are per user. Only successful answers are kept, so a refused
//! request can be corrected and sent again under its key. Order intake also stores its answer
//! in the transaction that creates the order, so that not even a crash between the two makes a
//! retry create a second order; the layer leaves that route to it.
//! Left out: sign-in (no user yet), the test clock, and photo uploads (multipart, large).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// The largest JSON body the layer reads (the API's default body limit).
const MAX_BODY: usize = 2 * 1024 * 1024;
/// The largest answer kept.
const MAX_ANSWER: usize = 4 * 1024 * 1024;

pub use rexian_app::idempotency::request_hash;
use rexian_app::idempotency::{self, KeptAnswer};

/// Answers a request whose idempotency key was seen: the stored answer when the request is
/// the one first answered, 422 `idempotency_key_reused` when it differs.
pub fn replay(a: impl Into<KeptAnswer>, hash: &str) -> AppResult<Response> {
    let a = a.into().for_request(hash)?;
    let status = StatusCode::from_u16(a.status as u16).unwrap_or(StatusCode::CREATED);
    let v: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
    Ok((status, Json(v)).into_response())
}

/// The answer kept under a request's idempotency key, found by the authentication's query
/// (issue 22: token and key in one round trip). Put in the request by [`crate::auth::authorize`].
#[derive(Debug, Clone)]
pub struct Prefetched {
    /// The key looked up.
    pub key: String,
    /// What was kept under it.
    pub answer: Option<KeptAnswer>,
}

/// The key whose answer authentication should fetch along: a well-formed key of a request this
/// layer or the order intake serves.
pub fn key_to_prefetch(req: &Request) -> Option<String> {
    if !applies(req) || multipart(req) {
        return None;
    }
    let k = req.headers().get("idempotency-key")?.to_str().ok()?;
    well_formed(k).then(|| k.to_owned())
}

/// Printable ASCII, 1–200 characters, no space at either end (the document's pattern).
fn well_formed(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 200
        && k.bytes().all(|b| (b' '..=b'~').contains(&b))
        && !k.starts_with(' ')
        && !k.ends_with(' ')
}

impl Prefetched {
    /// What authentication found under `key`, if it looked for that key.
    pub fn for_key(&self, key: &str) -> Option<Option<KeptAnswer>> {
        (self.key == key).then(|| self.answer.clone())
    }
}

fn applies(req: &Request) -> bool {
    applies_to(req.method().as_str(), req.uri().path())
}

/// Whether the layer serves `method path` (the OpenAPI document lists the header there).
pub fn applies_to(method: &str, path: &str) -> bool {
    method == Method::POST.as_str()
        && path.starts_with("/api/v1/")
        && path != "/api/v1/session"
        && !path.starts_with("/api/v1/admin/clock")
}

/// Photo uploads (multipart, large) are not kept under their key; the key is still checked.
fn multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"))
}

/// The layer (a route layer inside authentication: it needs the user).
pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let Some(raw) = req.headers().get("idempotency-key").cloned() else {
        return next.run(req).await;
    };
    if !applies(&req) {
        return next.run(req).await;
    }
    let Some(me) = req.extensions().get::<CurrentUser>().map(|u| u.id) else {
        return next.run(req).await;
    };
    // `to_str` also takes a tab: `well_formed` does not.
    let key = match raw.to_str() {
        Ok(k) if well_formed(k) => k.to_owned(),
        _ => {
            return AppError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1–200 visible ASCII characters",
            )
            .into_response()
        }
    };
    // Order intake stores its answer in the transaction that creates the order and looks the
    // key up itself: a second lookup and a second write here would only cost.
    if req.uri().path() == "/api/v1/orders" || multipart(&req) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return AppError::invalid("body", "the request body could not be read").into_response()
        }
    };
    let hash = request_hash(parts.method.as_str(), parts.uri.path(), &bytes);
    let pre = parts.extensions.get::<Prefetched>();
    let kept = match pre.and_then(|p| p.for_key(&key)) {
        Some(a) => Ok(a),
        None => idempotency::kept(&app, me, &key).await,
    };
    match kept {
        Ok(Some(a)) => return replay(a, &hash).into_response(),
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !res.status().is_success() || !json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let answer = match axum::body::to_bytes(body, MAX_ANSWER).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading an answer to keep under its idempotency key");
            return AppError::Internal(anyhow::anyhow!("answer unreadable")).into_response();
        }
    };
    let text = String::from_utf8_lossy(&answer);
    if let Err(e) = idempotency::keep(&app, me, &key, parts.status.as_u16(), &text, &hash).await {
        // The change is committed; the answer goes out. A retry then runs again.
        tracing::error!(error = ?e, "keeping the answer under its idempotency key failed");
    }
    Response::from_parts(parts, Body::from(answer))
}
