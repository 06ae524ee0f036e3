//! The supervisor's screen (值班长): overdue and due-soon orders by unit, the requests waiting
//! for a decision (extensions, returns to the centre, suspensions) and the supervision board
//! (督办). Decisions post to the order page's own step routes (`_back=/supervise`), so every one
//! is the same lifecycle step, with its event, as on the order page.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::FixedOffset;
use rexian_app::orders::{ListInput, OrderSummary};
use rexian_domain::model::Status;
use serde::Deserialize;
use serde_json::Value;

use super::common::{local_time, msgs, order_badge, Badge};
use super::{error_page, render, PageUser};
use crate::api::orders::{offset_of, pending_suspension};
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::AppResult;
use crate::i18n::Msgs;
use crate::AppState;

/// Supervisor routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supervise", get(page))
        .route("/supervise/notices/{id}/ack", post(acknowledge))
}

/// How many open orders the screen reads (newest first).
const SCAN: usize = 500;

/// An order in a unit's group.
pub struct OrderLine {
    id: String,
    number: String,
    category: String,
    status: String,
    description: String,
    badge: Badge,
}

/// One unit's overdue and due-soon orders.
pub struct UnitGroup {
    key: String,
    name: String,
    red: usize,
    amber: usize,
    orders: Vec<OrderLine>,
}

/// A pending extension request.
pub struct ExtensionLine {
    order_id: String,
    number: String,
    unit: String,
    id: String,
    until: String,
    due: String,
    reason: String,
}

/// An order returned to the centre (回退), waiting to be sent on.
pub struct ReturnLine {
    order_id: String,
    number: String,
    from_unit_id: String,
    from_unit: String,
    reason: String,
    at: String,
}

/// A pending suspension request.
pub struct SuspensionLine {
    order_id: String,
    number: String,
    unit: String,
    reason: String,
    at: String,
}

/// A supervision notice.
pub struct NoticeLine {
    id: String,
    order_id: String,
    number: String,
    deadline: String,
    level: String,
    unit: String,
    at: String,
    acknowledged: String,
}

#[derive(Template)]
#[template(path = "supervise.html")]
struct SupervisePage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    now: i64,
    groups: Vec<UnitGroup>,
    extensions: Vec<ExtensionLine>,
    returns: Vec<ReturnLine>,
    suspensions: Vec<SuspensionLine>,
    notices: Vec<NoticeLine>,
    units: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct PageQuery {
    done: Option<String>,
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    let flash = q
        .done
        .filter(|d| d.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|d| format!("{}{}", t.get("order.done"), t.get(&format!("step.{d}"))));
    match build(&app, t, &u, flash).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

/// The open orders the user may see (the list's scoping applies).
async fn open_orders(app: &AppState, u: &CurrentUser) -> AppResult<Vec<OrderSummary>> {
    let q = ListInput {
        limit: Some(SCAN.to_string()),
        ..ListInput::default()
    };
    Ok(rexian_app::orders::list(app, u, &q)
        .await?
        .items
        .into_iter()
        .filter(|o| Status::from_str(&o.status).is_ok_and(|x| x.is_open()))
        .collect())
}

fn text(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

async fn build(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    flash: Option<String>,
) -> AppResult<SupervisePage> {
    let now = ms(app.clock.now());
    let items = open_orders(app, u).await?;
    let mut offsets: HashMap<i64, FixedOffset> = HashMap::new();
    let mut unit_names: HashMap<i64, String> = HashMap::new();
    let mut units = Vec::new();
    let mut groups: BTreeMap<String, UnitGroup> = BTreeMap::new();
    let mut extensions = Vec::new();
    let mut returns = Vec::new();
    let mut suspensions = Vec::new();
    for o in &items {
        let id = o.id;
        let full = app.store.order_full(id).await?;
        let company_id = full.order.company_id;
        if let std::collections::hash_map::Entry::Vacant(slot) = offsets.entry(company_id) {
            let c = app.store.company(company_id).await?;
            slot.insert(offset_of(&c));
            for x in app.store.units(Some(company_id)).await? {
                units.push((x.id.to_string(), x.name.clone()));
                unit_names.insert(x.id, x.name);
            }
        }
        let offset = offsets[&company_id];
        let unit_of = |id: Option<i64>| {
            id.and_then(|i| unit_names.get(&i).cloned())
                .unwrap_or_else(|| t.get("report.no_unit"))
        };
        let o_row = &full.order;
        let badge = order_badge(&t, &full.deadlines, now, offset);
        if badge.class == "red" || badge.class == "amber" {
            let key = o_row.unit_id.map(|x| x.to_string()).unwrap_or_default();
            let g = groups.entry(key.clone()).or_insert_with(|| UnitGroup {
                key,
                name: unit_of(o_row.unit_id),
                red: 0,
                amber: 0,
                orders: Vec::new(),
            });
            if badge.class == "red" {
                g.red += 1;
            } else {
                g.amber += 1;
            }
            g.orders.push(OrderLine {
                id: o_row.id.to_string(),
                number: o_row.number.clone(),
                category: t.get(&format!("category.{}", o_row.category)),
                status: t.get(&format!("status.{}", o_row.status)),
                description: o_row.description.clone(),
                badge,
            });
        }
        for x in full.extensions.iter().filter(|x| x.status == "pending") {
            // The limit the extension would move, as it stands.
            let due = full
                .deadlines
                .iter()
                .filter(|d| d.active && d.met_at.is_none() && d.state != "met")
                .find(|d| d.kind == x.kind)
                .map(|d| {
                    format!(
                        "{} {}",
                        t.get(&format!("deadline.{}", x.kind)),
                        local_time(d.due_at, offset)
                    )
                })
                .unwrap_or_default();
            extensions.push(ExtensionLine {
                order_id: o_row.id.to_string(),
                number: o_row.number.clone(),
                unit: unit_of(o_row.unit_id),
                id: x.id.to_string(),
                until: local_time(x.until_at, offset),
                due,
                reason: x.reason.clone(),
            });
        }
        if o_row.status == "returned" {
            let ev = full.events.iter().rev().find(|e| e.kind == "returned");
            let data: Value = ev
                .and_then(|e| serde_json::from_str(&e.data).ok())
                .unwrap_or(Value::Null);
            // The unit that returned it: the last dispatch or transfer before the return.
            let from = full
                .events
                .iter()
                .rev()
                .filter(|e| e.kind == "dispatched" || e.kind == "transferred")
                .find_map(|e| {
                    serde_json::from_str::<Value>(&e.data)
                        .ok()
                        .and_then(|d| text(&d, "unit_id").parse::<i64>().ok())
                });
            returns.push(ReturnLine {
                order_id: o_row.id.to_string(),
                number: o_row.number.clone(),
                from_unit_id: from.map(|x| x.to_string()).unwrap_or_default(),
                from_unit: unit_of(from),
                reason: text(&data, "reason"),
                at: ev.map(|e| local_time(e.at, offset)).unwrap_or_default(),
            });
        }
        if let Some(ev) = pending_suspension(&full) {
            let data: Value = serde_json::from_str(&ev.data).unwrap_or(Value::Null);
            suspensions.push(SuspensionLine {
                order_id: o_row.id.to_string(),
                number: o_row.number.clone(),
                unit: unit_of(o_row.unit_id),
                reason: text(&data, "reason"),
                at: local_time(ev.at, offset),
            });
        }
    }
    let mut groups: Vec<UnitGroup> = groups.into_values().collect();
    for g in &mut groups {
        g.orders.sort_by_key(|o| o.badge.urgency());
    }
    // The unit with the most overdue first.
    groups.sort_by_key(|g| (std::cmp::Reverse(g.red), std::cmp::Reverse(g.amber)));
    let notices = notices(app, &t, u, &unit_names, &offsets).await?;
    Ok(SupervisePage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        csrf: u.csrf.clone().unwrap_or_default(),
        now,
        groups,
        extensions,
        returns,
        suspensions,
        notices,
        units,
    })
}

/// The supervision board (the company scoping of the use case).
async fn notices(
    app: &AppState,
    t: &Msgs,
    u: &CurrentUser,
    units: &HashMap<i64, String>,
    offsets: &HashMap<i64, FixedOffset>,
) -> AppResult<Vec<NoticeLine>> {
    let lines = rexian_app::reports::board(app, u, None, false).await?;
    let offset = u
        .company_id
        .and_then(|c| offsets.get(&c).copied())
        .unwrap_or_else(rexian_domain::policy::china_offset);
    Ok(lines
        .iter()
        .take(100)
        .map(|n| NoticeLine {
            id: n.id.to_string(),
            order_id: n.order_id.to_string(),
            number: n.number.clone(),
            deadline: t.get(&format!("deadline.{}", n.deadline)),
            level: match n.reminders {
                0 => format!(
                    "{}{}{}",
                    t.get("sup.level_pre"),
                    n.level,
                    t.get("sup.level_post")
                ),
                // The top level, reminded once a workday (`000:八.5(5)`).
                r => format!(
                    "{}{}{} · {}{r}{}",
                    t.get("sup.level_pre"),
                    n.level,
                    t.get("sup.level_post"),
                    t.get("sup.reminded_pre"),
                    t.get("sup.reminded_post")
                ),
            },
            unit: n
                .unit_id
                .and_then(|x| units.get(&x).cloned())
                .unwrap_or_default(),
            at: local_time(n.at, offset),
            acknowledged: n
                .acknowledged_at
                .map(|a| local_time(a, offset))
                .unwrap_or_default(),
        })
        .collect())
}

async fn acknowledge(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Response {
    let t = msgs(&headers);
    let done = match crate::api::parse_id("id", &id) {
        Ok(id) => rexian_app::reports::acknowledge(&app, &u, id).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Redirect::to("/supervise?done=ack").into_response(),
        Err(e) => error_page(t, &u, e),
    }
}
