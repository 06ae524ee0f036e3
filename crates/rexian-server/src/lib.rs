//! HTTP for Rexian: the JSON API under `/api/v1`, the web console, auth and sessions.
//!
//! No business rules and no SQL live here: rules are in `rexian-domain`, SQL in `rexian-store`.

pub mod access;
pub mod api;
pub mod auth;
pub mod clock;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod ui;

use std::sync::Arc;

use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{middleware, Router};
use rexian_store::Store;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::clock::Clock;

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
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The clock (system or manual).
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// A hash to verify against for unknown logins (constant-time-ish failures).
    pub dummy_hash: String,
    /// The business calendar (holidays and adjusted working days).
    pub calendar: Arc<rexian_domain::calendar::BusinessCalendar>,
    /// Order changes on this node, for live queues (SSE).
    pub changes: tokio::sync::broadcast::Sender<OrderChanged>,
    /// This node's full-text index (under `data_dir/search-index`), fed from the outbox.
    pub search: Arc<rexian_search::SearchIndex>,
}

/// An order was created or changed (what live queues listen to).
#[derive(Debug, Clone, Copy)]
pub struct OrderChanged {
    /// The order.
    pub order_id: i64,
    /// Its company.
    pub company_id: i64,
}

impl AppState {
    /// Builds the state.
    pub async fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> anyhow::Result<Self> {
        let dummy_hash = auth::hash_password(auth::random_secret()).await?;
        let dir = settings.data_dir.join("search-index");
        let search = rexian_search::SearchIndex::open(&dir)
            .map_err(|e| anyhow::anyhow!("opening the search index in {}: {e}", dir.display()))?;
        Ok(AppState {
            search: Arc::new(search),
            store,
            clock,
            settings: Arc::new(settings),
            dummy_hash,
            calendar: Arc::new(rexian_domain::calendar::BusinessCalendar::embedded()),
            changes: tokio::sync::broadcast::channel(256).0,
        })
    }

    /// Tells live queues that an order changed (nobody listening is fine).
    pub fn notify(&self, o: &rexian_store::orders::OrderRow) {
        let _ = self.changes.send(OrderChanged {
            order_id: o.id,
            company_id: o.company_id,
        });
    }

    /// Brings this node's search index up to the end of the outbox.
    pub async fn index_catch_up(&self) -> Result<usize, error::AppError> {
        self.search
            .catch_up(&self.store)
            .await
            .map_err(|e| error::AppError::Internal(e.into()))
    }

    /// Runs every timer that is due at the clock's now.
    pub async fn run_timers(&self) -> Result<(), error::AppError> {
        rexian_jobs::run_due(&self.store, self.clock.now(), 500)
            .await
            .map_err(error::AppError::Internal)?;
        Ok(())
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
            api::personal::log_views,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .fallback(not_found)
        .with_state(state);
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        tracing::info_span!("request", request.id = %id, method = %req.method(), path = %req.uri().path())
    });
    app.layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
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
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
