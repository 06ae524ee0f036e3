//! `POST /api/v1/session` (login) and `DELETE /api/v1/session` (logout).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{self, CurrentUser};
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::AppState;

/// Login body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    login: String,
    password: String,
}

/// Signs in and returns a bearer token; 401 for a wrong login, wrong password or disabled
/// account alike, 429 with `Retry-After` when throttled.
pub async fn create(
    State(app): State<AppState>,
    client: auth::ClientAddr,
    ApiJson(b): ApiJson<LoginBody>,
) -> Response {
    let l = match auth::login(&app, client, &b.login, &b.password, "api").await {
        Ok(l) => l,
        Err(e) => return e.into_api_response(),
    };
    Json(json!({"token": l.token, "user": l.user})).into_response()
}

/// Revokes the token of this request.
pub async fn delete(
    State(app): State<AppState>,
    Extension(u): Extension<CurrentUser>,
) -> AppResult<StatusCode> {
    rexian_app::session::revoke(&app, &u, u.token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
pub async fn me(Extension(u): Extension<CurrentUser>) -> Json<Value> {
    Json(json!({
        "id": u.id.to_string(), "login": u.login, "name": u.name, "roles": u.roles,
        "company_id": u.company_id.map(|v| v.to_string()), "unit_id": u.unit_id.map(|v| v.to_string()),
    }))
}
