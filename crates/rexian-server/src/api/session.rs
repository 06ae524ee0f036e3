//! `POST /api/v1/session` (login) and `DELETE /api/v1/session` (logout).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde::Serialize;

use crate::auth::{self, CurrentUser};
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::AppState;
use rexian_app::ser;

/// Login body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
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
    Json(LoginAnswer {
        token: l.token,
        user: l.user,
    })
    .into_response()
}

/// The login answer.
#[derive(schemars::JsonSchema, Debug, Serialize)]
pub struct LoginAnswer {
    /// The bearer token (shown once).
    pub token: String,
    /// Who signed in.
    pub user: rexian_app::session::SignedIn,
}

/// `GET /api/v1/me`: the signed-in user.
#[derive(schemars::JsonSchema, Debug, Serialize)]
pub struct MeView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Roles.
    pub roles: Vec<rexian_domain::model::Role>,
    /// The user's company (none: the group's administrators).
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub company_id: Option<i64>,
    /// The user's unit.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
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
pub async fn me(Extension(u): Extension<CurrentUser>) -> Json<MeView> {
    Json(MeView {
        id: u.id,
        login: u.login.clone(),
        name: u.name.clone(),
        roles: u.roles.clone(),
        company_id: u.company_id,
        unit_id: u.unit_id,
    })
}
