//! Live queues over SSE: `GET /queues/stream` sends an `order` event whenever an order that the
//! user may see (the order API's visibility rule) is created or changed on this node (the `AppState::changes` broadcast that the
//! order write paths feed). Queue pages listen with the htmx SSE extension and refresh their
//! rows; polling stays on as the fallback (other nodes, a dropped stream, timers).
//! A stream ends after [`STREAM_MAX`] (the browser reconnects by itself) or when the server
//! shuts down ([`close_streams`]), so that no stream holds a graceful shutdown open.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::{AppState, OrderChanged};

/// Longest life of one stream; the browser's EventSource reconnects after it.
pub const STREAM_MAX: Duration = Duration::from_secs(300);

fn closing() -> &'static watch::Sender<bool> {
    static CLOSING: OnceLock<watch::Sender<bool>> = OnceLock::new();
    CLOSING.get_or_init(|| watch::channel(false).0)
}

/// Ends every live stream (call on shutdown, before waiting for connections to close).
pub fn close_streams() {
    closing().send_replace(true);
}

struct Live {
    rx: broadcast::Receiver<OrderChanged>,
    me: CurrentUser,
    until: tokio::time::Instant,
    closing: watch::Receiver<bool>,
    hello: bool,
}

fn changes(app: &AppState, me: &CurrentUser) -> impl Stream<Item = Result<Event, Infallible>> {
    let live = Live {
        rx: app.changes.subscribe(),
        me: me.clone(),
        until: tokio::time::Instant::now() + STREAM_MAX,
        closing: closing().subscribe(),
        hello: true,
    };
    stream::unfold(live, |mut l| async move {
        if l.hello {
            l.hello = false;
            // Reconnect quickly after the stream ends.
            let e = Event::default()
                .retry(Duration::from_secs(2))
                .comment("live");
            return Some((Ok(e), l));
        }
        loop {
            if *l.closing.borrow() {
                return None;
            }
            let got = tokio::select! {
                r = l.rx.recv() => r,
                _ = tokio::time::sleep_until(l.until) => return None,
                _ = l.closing.changed() => return None,
            };
            let data = match got {
                Ok(c) if rexian_app::orders::can_see(&l.me, &c.order) => c.order_id.to_string(),
                Ok(_) => continue,
                // Missed some: refresh anyway.
                Err(RecvError::Lagged(_)) => "lagged".to_owned(),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok(Event::default().event("order").data(data)), l));
        }
    })
}

/// `GET /queues/stream`; only for clients that accept `text/event-stream` (an EventSource
/// does), so that a plain request gets an answer instead of a stream that stays open.
pub async fn stream(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(me): Extension<CurrentUser>,
) -> Response {
    let sse = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"));
    if !sse {
        return AppError::invalid("Accept", "Accept must include text/event-stream")
            .into_response();
    }
    (
        [(header::CACHE_CONTROL, "no-store")],
        Sse::new(changes(&app, &me)).keep_alive(KeepAlive::default()),
    )
        .into_response()
}
