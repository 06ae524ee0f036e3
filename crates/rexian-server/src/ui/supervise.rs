//! The supervisor's screen (值班长): overdue and due-soon orders by unit, the requests waiting
//! for a decision (extensions, returns to the centre, suspensions) and the supervision board
//! (督办). Decisions post to the order page's own step routes (`_back=/supervise`), so every one
//! is the same lifecycle step, with its event, as on the order page.

use std::collections::BTreeMap;
use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::FixedOffset;
use rexian_app::orders::{ListInput, OrderSummary};
use rexian_app::reports::{AddresseeView, BoardItem};
use rexian_app::worklist::{self, Watched};
use rexian_domain::model::Status;
use serde::Deserialize;

use super::common::{local_time, msgs, Badge};
use super::worklist::{limits_badge, Places};
use super::{error_page, render, PageUser};
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
    /// Whom the level reaches: post and names.
    to: String,
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
    /// Outage notices not yet published: (cause, publish by, late).
    outages: Vec<(String, String, bool)>,
    /// Hall check items past their due date (`004`).
    halls_overdue: Vec<HallLine>,
    /// Away periods ahead and work nobody covers (`004` AB角).
    away: super::away::SupervisorAway,
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

/// What the screen gathers from the open orders.
#[derive(Default)]
struct Gathered {
    places: Places,
    groups: BTreeMap<String, UnitGroup>,
    extensions: Vec<ExtensionLine>,
    returns: Vec<ReturnLine>,
    suspensions: Vec<SuspensionLine>,
}

impl Gathered {
    fn unit(&self, t: &Msgs, id: Option<i64>) -> String {
        self.places
            .unit(id)
            .unwrap_or_else(|| t.get("report.no_unit"))
    }

    /// An overdue or due-soon order joins its unit's group.
    fn add_late(&mut self, t: &Msgs, o: &OrderSummary, badge: Badge) {
        if badge.class != "red" && badge.class != "amber" {
            return;
        }
        let key = o.unit_id.map(|x| x.to_string()).unwrap_or_default();
        let name = self.unit(t, o.unit_id);
        let g = self.groups.entry(key.clone()).or_insert_with(|| UnitGroup {
            key,
            name,
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
            id: o.id.to_string(),
            number: o.number.clone(),
            category: t.get(&format!("category.{}", o.category)),
            status: t.get(&format!("status.{}", o.status)),
            description: o.description.clone(),
            badge,
        });
    }

    /// The requests of an order waiting for a decision.
    fn add_requests(&mut self, t: &Msgs, o: &OrderSummary, w: Watched, offset: FixedOffset) {
        for x in w.extensions {
            // The limit the extension would move, as it stands.
            let due = x
                .due_at
                .map(|d| {
                    format!(
                        "{} {}",
                        t.get(&format!("deadline.{}", x.kind)),
                        local_time(d, offset)
                    )
                })
                .unwrap_or_default();
            self.extensions.push(ExtensionLine {
                order_id: o.id.to_string(),
                number: o.number.clone(),
                unit: self.unit(t, o.unit_id),
                id: x.id.to_string(),
                until: local_time(x.until_at, offset),
                due,
                reason: x.reason,
            });
        }
        if let Some(r) = w.returned {
            self.returns.push(ReturnLine {
                order_id: o.id.to_string(),
                number: o.number.clone(),
                from_unit_id: r.from_unit.map(|x| x.to_string()).unwrap_or_default(),
                from_unit: self.unit(t, r.from_unit),
                reason: r.reason,
                at: r.at.map(|a| local_time(a, offset)).unwrap_or_default(),
            });
        }
        if let Some(s) = w.suspension {
            self.suspensions.push(SuspensionLine {
                order_id: o.id.to_string(),
                number: o.number.clone(),
                unit: self.unit(t, o.unit_id),
                reason: s.reason,
                at: local_time(s.at, offset),
            });
        }
    }
}

async fn build(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    flash: Option<String>,
) -> AppResult<SupervisePage> {
    let now = ms(app.clock.now());
    let mut g = Gathered::default();
    for o in &open_orders(app, u).await? {
        let w = worklist::watched(app, u, o.id).await?;
        let offset = g.places.offset(app, o.company_id).await?;
        g.add_late(&t, o, limits_badge(&t, &w.limits, now, offset));
        g.add_requests(&t, o, w, offset);
    }
    let mut groups: Vec<UnitGroup> = std::mem::take(&mut g.groups).into_values().collect();
    for x in &mut groups {
        x.orders.sort_by_key(|o| o.badge.urgency());
    }
    // The unit with the most overdue first.
    groups.sort_by_key(|x| (std::cmp::Reverse(x.red), std::cmp::Reverse(x.amber)));
    let notices = notices(app, &t, u, &g.places).await?;
    let outages = unpublished(app, u, &mut g.places, now).await?;
    let halls_overdue = overdue_hall_items(app, u).await?;
    Ok(SupervisePage {
        away: super::away::for_supervisor(app, &t, u).await?,
        outages,
        halls_overdue,
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        csrf: u.csrf.clone().unwrap_or_default(),
        now,
        groups,
        extensions: g.extensions,
        returns: g.returns,
        suspensions: g.suspensions,
        notices,
        units: g.places.units,
    })
}

/// A hall check item past its due date.
pub struct HallLine {
    id: String,
    hall: String,
    name: String,
    due_on: String,
}

/// The hall check items past their due date (`004` 营业厅), most overdue first.
async fn overdue_hall_items(app: &AppState, u: &CurrentUser) -> AppResult<Vec<HallLine>> {
    if !rexian_app::halls::may_check(u) {
        return Ok(Vec::new());
    }
    Ok(rexian_app::halls::overdue(app, u)
        .await?
        .into_iter()
        .map(|i| HallLine {
            id: i.id.to_string(),
            hall: i.unit_name,
            name: i.name,
            due_on: i.due_on,
        })
        .collect())
}

/// Outage notices not yet published, with their deadline in the company's time (`001`:
/// published in the shift that received them).
async fn unpublished(
    app: &AppState,
    u: &CurrentUser,
    places: &mut Places,
    now: i64,
) -> AppResult<Vec<(String, String, bool)>> {
    let mut out = Vec::new();
    for n in rexian_app::outages::unpublished(app, u).await? {
        let offset = places.offset(app, n.company_id).await?;
        let due = super::common::local_time(n.publish_due_at, offset);
        out.push((n.cause, due, n.late || n.publish_due_at <= now));
    }
    Ok(out)
}

/// The supervision board (the company scoping of the use case).
async fn notices(
    app: &AppState,
    t: &Msgs,
    u: &CurrentUser,
    places: &Places,
) -> AppResult<Vec<NoticeLine>> {
    let lines = rexian_app::reports::board(app, u, None, false, false).await?;
    let offset = u
        .company_id
        .and_then(|c| places.known_offset(c))
        .unwrap_or_else(rexian_domain::policy::china_offset);
    Ok(lines
        .iter()
        .filter_map(|i| match i {
            BoardItem::Order(n) => Some(n),
            // Late outage notices have their own panel.
            BoardItem::Outage(_) => None,
        })
        .take(100)
        .map(|n| NoticeLine {
            id: n.id.to_string(),
            order_id: n.order_id.to_string(),
            number: n.number.clone(),
            deadline: t.get(&format!("deadline.{}", n.deadline)),
            level: level_text(t, n.level, n.reminders),
            unit: places.unit(n.unit_id).unwrap_or_default(),
            at: local_time(n.at, offset),
            acknowledged: n
                .acknowledged_at
                .map(|a| local_time(a, offset))
                .unwrap_or_default(),
            to: addressees_text(t, places, &n.addressees),
        })
        .collect())
}

/// A notice's level, with the reminders at the top level (`000:八.5(5)`).
fn level_text(t: &Msgs, level: i64, reminders: i64) -> String {
    let base = format!(
        "{}{level}{}",
        t.get("sup.level_pre"),
        t.get("sup.level_post")
    );
    match reminders {
        0 => base,
        r => format!(
            "{base} · {}{r}{}",
            t.get("sup.reminded_pre"),
            t.get("sup.reminded_post")
        ),
    }
}

/// Whom a notice reaches: the post (with its unit) and the persons, or the post vacant.
pub fn addressees_text(t: &Msgs, places: &Places, to: &[AddresseeView]) -> String {
    let Some(first) = to.first() else {
        return String::new();
    };
    let unit = places
        .unit(first.unit_id)
        .map(|u| format!("{u} "))
        .unwrap_or_default();
    let names: Vec<String> = to.iter().filter_map(|a| a.name.clone()).collect();
    let who = if names.is_empty() {
        t.get("sup.vacant")
    } else {
        names.join("、")
    };
    format!(
        "{unit}{}：{who}",
        t.get(&format!("sup.post.{}", first.post))
    )
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
