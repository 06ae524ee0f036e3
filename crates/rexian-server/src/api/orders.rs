//! Work orders: intake, the lifecycle steps, detail and lists (api-v1 "Orders").

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rexian_app::intake;
use rexian_app::orders::OrderView;
use rexian_app::steps::{self, views, StepDone, StepInput};

use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::parse_json;
use crate::idempotency::{replay, request_hash};
use crate::AppState;

/// `POST /api/v1/orders`: creates an order (or closes it at once when answered on the call).
/// Its `Idempotency-Key` answer is kept in the transaction that creates the order.
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    pre: Option<Extension<crate::idempotency::Prefetched>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let hash = request_hash("POST", "/api/v1/orders", &body);
    if let Some(k) = &key {
        if k.is_empty() || k.len() > 200 {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1–200 characters",
            ));
        }
        // Authentication found what is kept under the key, in the same query.
        let kept = match pre.and_then(|Extension(p)| p.for_key(k)) {
            Some(a) => a,
            None => intake::answered(&app, &me, k)
                .await?
                .map(|r| r.answer.into()),
        };
        if let Some(a) = kept {
            return replay(a, &hash);
        }
    }
    let b: intake::NewOrderInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let key = key.map(|key| intake::Key {
        key,
        request_hash: Some(hash.clone()),
    });
    match intake::create(&app, &me, b, key).await? {
        intake::Intake::Created(v) => Ok((StatusCode::CREATED, Json(v)).into_response()),
        intake::Intake::Replayed(r) => replay(r.answer, &hash),
    }
}

/// `GET /api/v1/orders/{id}`; the view of personal data is logged.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<OrderView>> {
    Ok(Json(views::detail(&app, &me, parse_id("id", &id)?).await?))
}

/// `GET /api/v1/orders`: newest first, scoped to what the user may see.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<rexian_app::orders::ListInput>,
) -> AppResult<Json<rexian_app::orders::OrderPage>> {
    Ok(Json(rexian_app::orders::list(&app, &me, &q).await?))
}

/// `POST /api/v1/orders/{id}/{step}`: the order after the step (`201` with the request's
/// `extension_id` when the step asked for an extension).
pub async fn step(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let b: StepInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    steps::known(&step)?;
    let done = steps::take(&app, &me, parse_id("id", &id)?, &step, None, b).await?;
    done.shown();
    let status = match done.extension_id {
        Some(_) => StatusCode::CREATED,
        None => StatusCode::OK,
    };
    Ok((status, Json(done)).into_response())
}

/// `POST /api/v1/orders/{id}/extensions/{eid}/{approve|reject}`.
pub async fn extension_decision(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, eid, decision)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<StepDone>> {
    let b: StepInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let eid = parse_id("extension_id", &eid)?;
    let step = match decision.as_str() {
        "approve" => "extension_approve",
        "reject" => "extension_reject",
        _ => return Err(AppError::NotFound),
    };
    let done = steps::take(&app, &me, parse_id("id", &id)?, step, Some(eid), b).await?;
    done.shown();
    Ok(Json(done))
}

/// `GET /api/v1/orders/{id}/supervision`: the supervision notices of an order, by level, with
/// who each level reaches and the reminders at the top level.
pub async fn supervision(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<views::Notices>> {
    Ok(Json(
        views::supervision(&app, &me, parse_id("id", &id)?).await?,
    ))
}

/// `GET /api/v1/orders/{id}/callback_form`: the callback form (回访单, `000:附件`) of the order's
/// latest callback, every field of the seed's form, ready to show or print.
pub async fn callback_form(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<views::CallbackForm>> {
    Ok(Json(
        views::callback_form(&app, &me, parse_id("id", &id)?).await?,
    ))
}
