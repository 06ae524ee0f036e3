//! The field worker's phone screen: the orders assigned to me, most urgent first, each with its
//! address, countdown and a one-tap "arrived"; the order page takes the reply.

use std::str::FromStr;

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use rexian_domain::model::Status;
use serde_json::json;

use super::common::{body, local_time, msgs, order_badge, s, Badge};
use super::{error_page, render, PageUser};
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::AppResult;
use crate::i18n::Msgs;
use crate::AppState;

/// Field routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/field", get(page))
}

/// One assigned order.
pub struct Job {
    id: String,
    number: String,
    category: String,
    status: String,
    address: String,
    customer: String,
    phone: String,
    description: String,
    created: String,
    badge: Badge,
    can_arrive: bool,
}

#[derive(Template)]
#[template(path = "field.html")]
struct FieldPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    jobs: Vec<Job>,
    now: i64,
}

async fn jobs(app: &AppState, t: &Msgs, u: &CurrentUser) -> AppResult<Vec<Job>> {
    // The API's list scopes a field worker to the orders assigned to them.
    let Json(v) = crate::api::orders::list(
        State(app.clone()),
        Extension(u.clone()),
        axum::extract::Query(body(json!({"limit": "200"}))?),
    )
    .await?;
    let now = ms(app.clock.now());
    let mut out = Vec::new();
    for o in v["items"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let status = Status::from_str(&s(o, "status")).ok();
        if !status.is_some_and(rexian_domain::lifecycle::with_unit) {
            continue;
        }
        let full = app
            .store
            .order_full(crate::api::parse_id("id", &s(o, "id"))?)
            .await?;
        let company = app.store.company(full.order.company_id).await?;
        let offset = crate::api::orders::offset_of(&company);
        let c = &o["customer"];
        let hidden = c["hidden"].as_bool() == Some(true);
        out.push(Job {
            id: s(o, "id"),
            number: s(o, "number"),
            category: t.get(&format!("category.{}", s(o, "category"))),
            status: t.get(&format!("status.{}", s(o, "status"))),
            address: [s(c, "address"), s(c, "community")]
                .join(" ")
                .trim()
                .to_owned(),
            customer: if hidden {
                t.get("order.anonymous")
            } else {
                s(c, "name")
            },
            phone: if hidden { String::new() } else { s(c, "phone") },
            description: s(o, "description"),
            created: local_time(full.order.created_at, offset),
            badge: order_badge(t, &full.deadlines, now, offset),
            can_arrive: status != Some(Status::InProgress),
        });
    }
    out.sort_by_key(|j| j.badge.urgency());
    Ok(out)
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    let t = msgs(&headers);
    match jobs(&app, &t, &u).await {
        Ok(jobs) => render(&FieldPage {
            t,
            user: Some(PageUser::of(&u, &t)),
            flash: None,
            csrf: u.csrf.clone().unwrap_or_default(),
            jobs,
            now: ms(app.clock.now()),
        }),
        Err(e) => error_page(t, &u, e),
    }
}
