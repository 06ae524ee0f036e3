//! HTTP for Rexian: the JSON API under `/api/v1`, the web console, auth and sessions.
//!
//! No business rules and no SQL live here: rules are in `rexian-domain`, SQL in `rexian-store`.

pub mod access;
pub mod api;
pub mod auth;
pub use rexian_app::clock;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod idempotency;
pub mod portal_limits;
pub use rexian_app::tenancy;
pub mod throttle;
pub mod ui;

use std::sync::Arc;

use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// File name of the holiday calendar installed in the data dir (`rexian calendar load`, or the
/// admin's calendar screen); `serve` reads it at start instead of the embedded one.
pub const CALENDAR_FILE: &str = "calendar.toml";

/// Server settings that handlers need (the rest stay in the binary).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lifetime of an API bearer token, minutes.
    pub token_ttl_minutes: i64,
    /// Lifetime of a browser session, minutes.
    pub session_ttl_minutes: i64,
    /// Failed logins in a row that lock an account.
    pub lockout_threshold: i64,
    /// How long a lockout lasts, minutes.
    pub lockout_minutes: i64,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Where files live (photos under `photos/`).
    pub data_dir: std::path::PathBuf,
    /// Failed logins from one client address, within `lockout_minutes`, before that address is
    /// refused for the rest of the window.
    pub login_failures_per_client: i64,
    /// Failed logins from all addresses together, within `lockout_minutes`, before every login is
    /// refused for the rest of the window.
    pub login_failures_global: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none: the connection's address
    /// is the client's).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            token_ttl_minutes: 12 * 60,
            session_ttl_minutes: 12 * 60,
            lockout_threshold: 5,
            lockout_minutes: 15,
            secure_cookies: false,
            data_dir: std::env::temp_dir().join("rexian-data"),
            login_failures_per_client: 50,
            login_failures_global: 2000,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// What the use cases work with: the store, the clock and the business calendar.
    pub core: rexian_app::App,
    /// Settings.
    pub settings: Arc<Settings>,
    /// A hash to verify against for unknown logins (constant-time-ish failures).
    pub dummy_hash: String,
    /// Failed-login throttle of this node.
    pub login_guard: Arc<throttle::LoginGuard>,
    /// The portal's limits per client and phone on this node.
    pub portal_limits: Arc<portal_limits::PortalLimits>,
}

pub use rexian_app::OrderChanged;

impl std::ops::Deref for AppState {
    type Target = rexian_app::App;
    fn deref(&self) -> &rexian_app::App {
        &self.core
    }
}

impl AppState {
    /// Builds the state.
    pub async fn new(core: rexian_app::App, settings: Settings) -> anyhow::Result<Self> {
        let dummy_hash = auth::hash_password(auth::random_secret()).await?;
        let limit = |v: i64| u32::try_from(v.max(1)).unwrap_or(u32::MAX);
        let login_guard = throttle::LoginGuard::new(throttle::Limits {
            pair_failures: limit(settings.lockout_threshold),
            lock_ms: settings.lockout_minutes.max(1).saturating_mul(60_000),
            client_failures: limit(settings.login_failures_per_client),
            global_failures: limit(settings.login_failures_global),
            window_ms: settings.lockout_minutes.max(1).saturating_mul(60_000),
            max_entries: 100_000,
        });
        Ok(AppState {
            login_guard: Arc::new(login_guard),
            portal_limits: Arc::default(),
            core,
            settings: Arc::new(settings),
            dummy_hash,
        })
    }

    /// Runs every timer that is due at the clock's now; returns the effects applied (events).
    /// The error carries its cause chain; the caller logs it once (`{:#}`).
    pub async fn run_timers(&self) -> anyhow::Result<u64> {
        rexian_jobs::run_due(&self.store, self.clock.now(), 500)
            .await
            .map_err(|e| e.context("running the due timers"))
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let manual = state.clock.is_manual();
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/assets/{file}", get(ui::asset))
        .merge(api::routes(manual))
        .merge(ui::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            api::personal::log_views,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .layer(middleware::from_fn(extract::refuse_nul))
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn(error::api_envelope));
    layers(app)
}

/// The layers around every route: panics become a 500 answer, request ids (the client's only
/// when well-formed), tracing, small bodies read ahead, and the security headers.
pub fn layers(app: Router) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        tracing::info_span!("request", request.id = %id, method = %req.method(), path = %req.uri().path())
    });
    app.layer(middleware::from_fn(catch_panic))
        .layer(middleware::from_fn(read_small_body))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::map_request(drop_bad_request_id))
        .layer(middleware::from_fn(security_headers))
}

/// Whether a client's `X-Request-Id` may be kept: at most 64 of `A-Z a-z 0-9 . _ -`.
pub fn request_id_ok(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a client's `X-Request-Id` that is not well-formed (one is then generated): it goes
/// into every log line of the request and back to the client.
async fn drop_bad_request_id(mut req: Request<axum::body::Body>) -> Request<axum::body::Body> {
    let ids = req.headers().get_all("x-request-id");
    let mut it = ids.iter();
    let ok = matches!((it.next(), it.next()), (Some(v), None) if request_id_ok(v.as_bytes()));
    if !ok {
        req.headers_mut().remove("x-request-id");
    }
    req
}

/// Largest request body read ahead of the handler.
const READ_AHEAD: u64 = 64 * 1024;

/// Reads a small body (by its `Content-Length`) before the request goes on. A refusal that
/// never reads the body (no token, no right, a rejected content type) otherwise leaves it in
/// the connection, and hyper then closes the connection instead of reading the next request.
async fn read_small_body(
    req: Request<axum::body::Body>,
    next: middleware::Next,
) -> axum::response::Response {
    let len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(len) = len.filter(|l| (1..=READ_AHEAD).contains(l)) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, READ_AHEAD as usize).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Err(_) => {
            tracing::debug!(content_length = len, "request body could not be read");
            error::AppError::invalid("body", "the request body could not be read").into_response()
        }
    }
}

/// Turns a panic of a handler into a 500 answer carrying the request id (JSON for the API, a
/// short page otherwise), so that the connection stays open and the client learns the id.
async fn catch_panic(
    req: Request<axum::body::Body>,
    next: middleware::Next,
) -> axum::response::Response {
    use futures_util::FutureExt;
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| request_id_ok(v.as_bytes()))
        .unwrap_or("-")
        .to_owned();
    let api = req.uri().path().starts_with("/api/");
    let panic = match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(res) => return res,
        Err(p) => p,
    };
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    tracing::error!(request.id = %id, panic = %what, "request handler panicked");
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    if api {
        let body = serde_json::json!({"error": {
            "code": "internal",
            "message": format!("internal error (request id {id})"),
            "field": null,
        }});
        return (status, axum::Json(body)).into_response();
    }
    let page = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>内部错误</title>\
         </head><body><h1>内部错误 · Internal error</h1><p>请求编号 · Request id: <code>{id}</code></p>\
         <p><a href=\"/\">首页 · Home</a></p></body></html>"
    );
    (status, axum::response::Html(page)).into_response()
}

async fn security_headers(
    req: Request<axum::body::Body>,
    next: middleware::Next,
) -> axum::response::Response {
    let asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Pages, answers and photos carry personal data: no cache keeps them. Only the embedded
    // assets (the same for everyone) may be cached.
    if !asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'",
        ),
    );
    res
}

async fn not_found() -> impl IntoResponse {
    error::AppError::NotFound
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(axum::extract::State(app): axum::extract::State<AppState>) -> impl IntoResponse {
    match rexian_app::session::ready(&app).await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = ?e, "database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
