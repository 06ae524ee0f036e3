//! The field worker's phone screen: the orders assigned to me, most urgent first, each with its
//! address, countdown and a one-tap "arrived"; the order page takes the reply.

use std::str::FromStr;

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use rexian_domain::model::Status;

use rexian_app::orders::ListInput;
use rexian_app::worklist;

use super::common::{local_time, msgs, Badge};
use super::worklist::{limits_badge, Places};
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
    // The list scopes a field worker to the orders assigned to them.
    let q = ListInput {
        limit: Some("200".into()),
        ..ListInput::default()
    };
    let page = rexian_app::orders::list(app, u, &q).await?;
    let now = ms(app.clock.now());
    let mut places = Places::default();
    let mut out = Vec::new();
    for o in &page.items {
        let status = Status::from_str(&o.status).ok();
        if !status.is_some_and(rexian_domain::lifecycle::with_unit) {
            continue;
        }
        let limits = worklist::watched(app, u, o.id).await?.limits;
        let offset = places.offset(app, o.company_id).await?;
        let c = &o.customer;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        out.push(Job {
            id: o.id.to_string(),
            number: o.number.clone(),
            category: t.get(&format!("category.{}", o.category)),
            status: t.get(&format!("status.{}", o.status)),
            address: [text(&c.address), text(&c.community)]
                .join(" ")
                .trim()
                .to_owned(),
            customer: if c.hidden {
                t.get("order.anonymous")
            } else {
                text(&c.name)
            },
            phone: if c.hidden {
                String::new()
            } else {
                text(&c.phone)
            },
            description: o.description.clone(),
            created: local_time(o.created_at, offset),
            badge: limits_badge(t, &limits, now, offset),
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
