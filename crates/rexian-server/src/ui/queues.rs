//! Work queues with countdown badges: my orders, to dispatch, the unit's queue, callbacks and
//! overdue. The rows refresh themselves (htmx polling) and the badges tick in the page's script.
//! Every list goes through the API's own list functions, so the API's scoping applies.

use std::collections::HashMap;
use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::FixedOffset;
use rexian_domain::model::{Role, Status};
use serde_json::{json, Value};

use super::common::{body, msgs, order_badge, s, Badge};
use super::{error_page, render, PageUser};
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Queue routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/queues", get(default_queue))
        .route("/queues/callbacks", get(callbacks_page))
        .route("/queues/callbacks/rows", get(callbacks_rows))
        .route("/queues/{name}", get(queue_page))
        .route("/queues/{name}/rows", get(queue_rows))
}

/// The queues, in tab order; which a user sees depends on the roles.
const QUEUES: &[&str] = &["mine", "dispatch", "unit", "callbacks", "overdue"];

/// How many rows a queue shows.
const SHOWN: usize = 50;

/// Whether the user works in the centre (not only in a unit).
fn centre(u: &CurrentUser) -> bool {
    [
        Role::Agent,
        Role::Dispatcher,
        Role::CallbackAgent,
        Role::Supervisor,
        Role::Assessor,
        Role::Admin,
    ]
    .iter()
    .any(|r| u.has(*r))
}

fn may_see_queue(u: &CurrentUser, name: &str) -> bool {
    match name {
        "mine" | "overdue" => true,
        "dispatch" => [Role::Agent, Role::Dispatcher, Role::Supervisor, Role::Admin]
            .iter()
            .any(|r| u.has(*r)),
        "unit" => u.has(Role::UnitHandler) || u.has(Role::Supervisor) || u.has(Role::Admin),
        "callbacks" => [Role::CallbackAgent, Role::Supervisor, Role::Admin]
            .iter()
            .any(|r| u.has(*r)),
        _ => false,
    }
}

/// A row of a queue.
pub struct Row {
    id: String,
    number: String,
    category: String,
    subtype: String,
    status: String,
    customer: String,
    place: String,
    description: String,
    unit: String,
    created: String,
    badge: Badge,
    extra: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    name: String,
    tabs: Vec<(String, String, bool)>,
    rows: Vec<Row>,
    now: i64,
}

#[derive(Template)]
#[template(path = "queue_rows.html")]
struct QueueRows {
    t: Msgs,
    name: String,
    rows: Vec<Row>,
    now: i64,
}

async fn default_queue(Extension(u): Extension<CurrentUser>) -> Response {
    let first = if u.has(Role::Dispatcher) {
        "dispatch"
    } else if u.has(Role::CallbackAgent) {
        "callbacks"
    } else if u.has(Role::UnitHandler) && !centre(&u) {
        "unit"
    } else {
        "mine"
    };
    Redirect::to(&format!("/queues/{first}")).into_response()
}

fn tabs(t: &Msgs, u: &CurrentUser, current: &str) -> Vec<(String, String, bool)> {
    QUEUES
        .iter()
        .filter(|q| may_see_queue(u, q))
        .map(|q| ((*q).to_owned(), t.get(&format!("queue.{q}")), *q == current))
        .collect()
}

async fn queue_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(name): Path<String>,
) -> Response {
    let t = msgs(&headers);
    if !QUEUES.contains(&name.as_str()) {
        return error_page(t, &u, AppError::NotFound);
    }
    let rows = match rows_of(&app, &t, &u, &name).await {
        Ok(r) => r,
        Err(e) => return error_page(t, &u, e),
    };
    render(&QueuePage {
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        tabs: tabs(&t, &u, &name),
        name,
        rows,
        now: ms(app.clock.now()),
    })
}

async fn queue_rows(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(name): Path<String>,
) -> Response {
    let t = msgs(&headers);
    if !QUEUES.contains(&name.as_str()) {
        return AppError::NotFound.into_response();
    }
    match rows_of(&app, &t, &u, &name).await {
        Ok(rows) => render(&QueueRows {
            t,
            name,
            rows,
            now: ms(app.clock.now()),
        }),
        Err(e) => e.into_response(),
    }
}

async fn callbacks_page(
    state: State<AppState>,
    headers: HeaderMap,
    user: Extension<CurrentUser>,
) -> Response {
    queue_page(state, headers, user, Path("callbacks".to_owned())).await
}

async fn callbacks_rows(
    state: State<AppState>,
    headers: HeaderMap,
    user: Extension<CurrentUser>,
) -> Response {
    queue_rows(state, headers, user, Path("callbacks".to_owned())).await
}

/// The summaries of an order list query (its scoping and logging), as the queue rows read
/// them beside the callback queue's lines.
async fn list(app: &AppState, u: &CurrentUser, q: Value) -> AppResult<Vec<Value>> {
    let q: rexian_app::orders::ListInput = body(q)?;
    let page = rexian_app::orders::list(app, u, &q).await?;
    Ok(page.items.iter().map(|o| json!(o)).collect())
}

fn is_open(o: &Value) -> bool {
    Status::from_str(&s(o, "status")).is_ok_and(|x| x.is_open())
}

/// The summaries a queue holds, before badges.
async fn summaries(app: &AppState, u: &CurrentUser, name: &str) -> AppResult<Vec<Value>> {
    let me = u.id.to_string();
    Ok(match name {
        "dispatch" => {
            let mut v = list(app, u, json!({"status": "new", "limit": "200"})).await?;
            v.extend(list(app, u, json!({"status": "returned", "limit": "200"})).await?);
            v
        }
        "unit" => {
            let mut v = Vec::new();
            for st in ["dispatched", "accepted", "in_progress"] {
                // Unit staff see their unit's orders (the API scopes them); the centre sees
                // every unit's.
                v.extend(list(app, u, json!({"status": st, "limit": "200"})).await?);
            }
            v
        }
        "overdue" => list(app, u, json!({"overdue": "true", "limit": "200"}))
            .await?
            .into_iter()
            .filter(is_open)
            .collect(),
        "callbacks" => {
            let Json(v) = crate::api::callbacks::queue(
                State(app.clone()),
                Extension(u.clone()),
                axum::extract::Query(body(json!({"limit": "200"}))?),
            )
            .await?;
            match v["items"].clone() {
                Value::Array(items) => items,
                _ => Vec::new(),
            }
        }
        // Mine: what I hold as first responder, or what my unit or I am working on.
        _ => list(app, u, json!({"limit": "500"}))
            .await?
            .into_iter()
            .filter(is_open)
            .filter(|o| !centre(u) || s(o, "first_responder_id") == me || s(o, "assignee_id") == me)
            .collect(),
    })
}

async fn rows_of(app: &AppState, t: &Msgs, u: &CurrentUser, name: &str) -> AppResult<Vec<Row>> {
    if !may_see_queue(u, name) {
        return Err(AppError::Forbidden);
    }
    let items = summaries(app, u, name).await?;
    let now = ms(app.clock.now());
    let mut offsets: HashMap<String, FixedOffset> = HashMap::new();
    let mut units: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::new();
    for o in items.iter().take(200) {
        let cid = s(o, "company_id");
        if !offsets.contains_key(&cid) {
            let c = app
                .store
                .company(crate::api::parse_id("company_id", &cid)?)
                .await?;
            offsets.insert(cid.clone(), crate::api::orders::offset_of(&c));
            for x in app.store.units(Some(c.id)).await? {
                units.insert(x.id.to_string(), x.name);
            }
        }
        let offset = offsets[&cid];
        let id = crate::api::parse_id("id", &s(o, "id"))?;
        let full = app.store.order_full(id).await?;
        let badge = order_badge(t, &full.deadlines, now, offset);
        let c = &o["customer"];
        let extra = if name == "callbacks" {
            format!(
                "{}{}{}",
                t.get("queue.attempts"),
                o["attempts"].as_i64().unwrap_or(0),
                if o["may_call_now"].as_bool() == Some(false) {
                    format!(" · {}", t.get("queue.not_now"))
                } else {
                    String::new()
                }
            )
        } else {
            String::new()
        };
        let subtype = s(o, "subtype");
        rows.push(Row {
            id: s(o, "id"),
            number: s(o, "number"),
            category: t.get(&format!("category.{}", s(o, "category"))),
            subtype: if subtype.is_empty() {
                String::new()
            } else {
                t.get(&format!("subtype.{subtype}"))
            },
            status: t.get(&format!("status.{}", s(o, "status"))),
            customer: if c["hidden"].as_bool() == Some(true) {
                t.get("order.anonymous")
            } else {
                [s(c, "name"), s(c, "phone")].join(" ").trim().to_owned()
            },
            place: {
                let a = s(c, "address");
                if a.is_empty() {
                    s(c, "community")
                } else {
                    a
                }
            },
            description: s(o, "description"),
            unit: units.get(&s(o, "unit_id")).cloned().unwrap_or_default(),
            created: super::common::local_time(full.order.created_at, offset),
            badge,
            extra,
        });
    }
    if name != "callbacks" {
        rows.sort_by_key(|r| r.badge.urgency());
    }
    rows.truncate(SHOWN);
    Ok(rows)
}
