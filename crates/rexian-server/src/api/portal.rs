//! The customer self-service calls (api-v1 "Customer self-service"): a demand and a phone
//! verification code without login, under the portal's limits (429 with `Retry-After`);
//! tracking by number and phone; and the staff's signed link for a customer's callback answer.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rexian_app::portal::{
    self, CodeSent, LinkInput, LinkMade, PublicOrder, Submitted, VerifyInput,
};
use rexian_app::ser;
use serde::{Deserialize, Serialize};

use super::parse_id;
use crate::auth::{ClientAddr, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::extract::parse_json;
use crate::i18n::{Lang, Msgs};
use crate::portal_limits::Counted;
use crate::throttle::ClientKey;
use crate::AppState;

/// 429 with `Retry-After`.
pub fn too_many(retry_after: u64) -> Response {
    (
        [(header::RETRY_AFTER, retry_after.to_string())],
        AppError::Locked("too many requests from this client or for this phone; try later".into()),
    )
        .into_response()
}

/// Counts a demand or code request against the limits of its company; the seconds to wait
/// when past them.
pub fn limit(
    app: &AppState,
    what: Counted,
    company: i64,
    client: ClientAddr,
    phone: &str,
    rules: &rexian_domain::portal::PortalRules,
) -> Result<(), u64> {
    let now = app.now_ms();
    app.portal_limits
        .count(what, company, ClientKey::of(client.0), phone, rules, now)
}

/// `POST /api/v1/public/orders` → 201 `{number}` (channel `web`, no login).
pub async fn submit(
    State(app): State<AppState>,
    client: ClientAddr,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Submitted>), Response> {
    let b: PublicOrder = parse_json(&body).map_err(IntoResponse::into_response)?;
    let c = portal::check(&app, b)
        .await
        .map_err(IntoResponse::into_response)?;
    limit(
        &app,
        Counted::Orders,
        c.company.id,
        client,
        &c.phone,
        &c.rules,
    )
    .map_err(too_many)?;
    let done = portal::submit(&app, c)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// `POST /api/v1/public/verify` `{company_id, phone}`: sends a verification code (when the
/// company asks for one), limited like demands.
pub async fn verify(
    State(app): State<AppState>,
    client: ClientAddr,
    body: axum::body::Bytes,
) -> Result<Json<CodeSent>, Response> {
    let b: VerifyInput = parse_json(&body).map_err(IntoResponse::into_response)?;
    let (company, rules, phone) = portal::check_verify(&app, &b)
        .await
        .map_err(IntoResponse::into_response)?;
    limit(&app, Counted::Codes, company.id, client, &phone, &rules).map_err(too_many)?;
    let sent = portal::issue_code(&app, &company, &phone)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(sent))
}

/// Query of tracking.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct TrackQuery {
    /// The customer's phone.
    #[schemars(required)]
    phone: Option<String>,
}

/// A step as the customer reads it.
#[derive(schemars::JsonSchema, Debug, Serialize)]
pub struct StepView {
    /// When.
    #[serde(serialize_with = "ser::time")]
    #[schemars(with = "ser::Rfc3339")]
    pub at: i64,
    /// What happened, in plain words.
    pub what: String,
}

/// An order as its customer sees it.
#[derive(schemars::JsonSchema, Debug, Serialize)]
pub struct TrackView {
    /// Number.
    pub number: String,
    /// Status.
    #[schemars(with = "rexian_domain::model::Status")]
    pub status: String,
    /// Steps, oldest first.
    pub steps: Vec<StepView>,
}

impl TrackView {
    /// The tracking in the words of `t`.
    pub fn of(t: Msgs, r: portal::Tracking) -> TrackView {
        TrackView {
            number: r.number,
            status: r.status,
            steps: r
                .steps
                .into_iter()
                .map(|s| StepView {
                    at: s.at,
                    what: t.get(&format!("portal.step_{}", s.what)),
                })
                .collect(),
        }
    }
}

/// `GET /api/v1/public/orders/{number}?phone=`: the same 404 for a wrong phone as for an
/// unknown number.
pub async fn track(
    State(app): State<AppState>,
    Path(number): Path<String>,
    Query(q): Query<TrackQuery>,
    headers: HeaderMap,
) -> AppResult<Json<TrackView>> {
    let r = portal::track(&app, &number, q.phone).await?;
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    Ok(Json(TrackView::of(t, r)))
}

/// The scheme and host the request came to, for links sent out (none in-process).
pub fn base_url(app: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        });
    match host {
        Some(h) if app.settings.secure_cookies => format!("https://{h}"),
        Some(h) => format!("http://{h}"),
        None => String::new(),
    }
}

/// `POST /api/v1/orders/{id}/portal_link` `{purpose?, days?}` → 201 `{url, expires_at}`.
pub async fn make_link(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<LinkMade>)> {
    let id = parse_id("id", &id)?;
    let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
    let b: LinkInput = parse_json(body)?;
    let base = base_url(&app, &headers);
    let made = portal::make_link(&app, &me, id, b, &base).await?;
    Ok((StatusCode::CREATED, Json(made)))
}
