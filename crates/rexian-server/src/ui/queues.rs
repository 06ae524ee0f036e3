//! Work queues with countdown badges: my orders, to dispatch, the unit's queue, callbacks and
//! overdue. The rows refresh themselves (htmx polling) and the badges tick in the page's script.
//! Every list goes through the API's own list functions, so the API's scoping applies.

use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use rexian_app::orders::{ListInput, OrderSummary};
use rexian_app::worklist;
use rexian_domain::model::{Role, Status};

use super::common::{msgs, Badge};
use super::worklist::{limits_badge, Places};
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
    /// The mass incident it belongs to: (id, community), none when none.
    incident: Option<(String, String)>,
}

/// A supervision notice addressed to the user, not yet acknowledged (issue 18).
pub struct MyNotice {
    order_id: String,
    number: String,
    deadline: String,
    level: i64,
    post: String,
}

/// What sits above a queue's rows, refreshed with them: the open incidents and the user's
/// own supervision notices.
pub struct Above {
    incidents: Vec<IncidentChip>,
    notices: Vec<MyNotice>,
}

/// Notices shown above a queue at the most.
const NOTICES_SHOWN: usize = 20;

/// The unacknowledged supervision notices addressed to the user, newest first.
async fn my_notices(app: &AppState, t: &Msgs, u: &CurrentUser) -> AppResult<Vec<MyNotice>> {
    use rexian_app::reports::BoardItem;
    Ok(rexian_app::reports::board(app, u, None, true, true)
        .await?
        .into_iter()
        .filter_map(|i| match i {
            BoardItem::Order(n) => Some(n),
            BoardItem::Outage(_) => None,
        })
        .take(NOTICES_SHOWN)
        .map(|n| MyNotice {
            order_id: n.order_id.to_string(),
            number: n.number,
            deadline: t.get(&format!("deadline.{}", n.deadline)),
            level: n.level,
            post: n
                .addressees
                .first()
                .map(|a| t.get(&format!("sup.post.{}", a.post)))
                .unwrap_or_default(),
        })
        .collect())
}

/// An open incident of the user's company, with its live count (SPEC §6).
pub struct IncidentChip {
    id: String,
    community: String,
    subtype: String,
    orders: i64,
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
    above: Above,
    now: i64,
    /// What handovers I accepted gave me (`001`: first in the incoming shift's queue).
    handed: Vec<(String, Vec<super::shifts::ItemLine>)>,
}

#[derive(Template)]
#[template(path = "queue_rows.html")]
struct QueueRows {
    t: Msgs,
    name: String,
    rows: Vec<Row>,
    above: Above,
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
    let (rows, above) = match rows_of(&app, &t, &u, &name).await {
        Ok(r) => r,
        Err(e) => return error_page(t, &u, e),
    };
    let handed = match super::shifts::handed_to_me(&app, &t, &u).await {
        Ok(h) => h,
        Err(e) => return error_page(t, &u, e),
    };
    render(&QueuePage {
        handed,
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        tabs: tabs(&t, &u, &name),
        name,
        rows,
        above,
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
        Ok((rows, above)) => render(&QueueRows {
            t,
            name,
            rows,
            above,
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

/// The summaries of an order list query (its scoping and logging).
async fn list(
    app: &AppState,
    u: &CurrentUser,
    status: Option<&str>,
    overdue: bool,
    limit: &str,
) -> AppResult<Vec<Line>> {
    let q = ListInput {
        status: status.map(str::to_owned),
        overdue: overdue.then(|| "true".to_owned()),
        limit: Some(limit.to_owned()),
        ..ListInput::default()
    };
    Ok(rexian_app::orders::list(app, u, &q)
        .await?
        .items
        .into_iter()
        .map(|order| Line {
            order,
            callback: None,
            cover: None,
        })
        .collect())
}

/// An order of a queue; in the callback queue with its attempts and whether a call may be made
/// now.
struct Line {
    order: OrderSummary,
    callback: Option<(i64, bool)>,
    /// Held for this away colleague (代A处理).
    cover: Option<i64>,
}

fn is_open(l: &Line) -> bool {
    Status::from_str(&l.order.status).is_ok_and(|x| x.is_open())
}

/// The orders a queue holds, before badges.
async fn summaries(app: &AppState, u: &CurrentUser, name: &str) -> AppResult<Vec<Line>> {
    Ok(match name {
        "dispatch" => {
            let mut v = list(app, u, Some("new"), false, "200").await?;
            v.extend(list(app, u, Some("returned"), false, "200").await?);
            v
        }
        "unit" => {
            let mut v = Vec::new();
            for st in ["dispatched", "accepted", "in_progress"] {
                // Unit staff see their unit's orders (the list scopes them); the centre sees
                // every unit's.
                v.extend(list(app, u, Some(st), false, "200").await?);
            }
            v
        }
        "overdue" => list(app, u, None, true, "200")
            .await?
            .into_iter()
            .filter(is_open)
            .collect(),
        "callbacks" => rexian_app::callbacks::queue(app, u, u.company_id, 200)
            .await?
            .into_iter()
            .map(|l| Line {
                callback: Some((l.attempts, l.may_call_now)),
                order: l.order,
                cover: None,
            })
            .collect(),
        // Mine: what I hold as first responder, or what my unit or I am working on, and what
        // I handle for an away colleague (004 AB角).
        _ => {
            let mut v: Vec<Line> = list(app, u, None, false, "500")
                .await?
                .into_iter()
                .filter(is_open)
                .filter(|l| {
                    !centre(u)
                        || l.order.first_responder_id == u.id
                        || l.order.assignee_id == Some(u.id)
                })
                .collect();
            for c in rexian_app::away::covering(app, u).await? {
                match v.iter_mut().find(|l| l.order.id == c.order.id) {
                    Some(l) => l.cover = Some(c.for_user_id),
                    None => v.push(Line {
                        order: c.order,
                        callback: None,
                        cover: Some(c.for_user_id),
                    }),
                }
            }
            v.retain(is_open);
            v
        }
    })
}

/// The open incidents of the user's company (every company for group staff), for those who
/// work with them (the incident board's roles); the rows refresh them with the queue.
async fn open_incidents(app: &AppState, t: &Msgs, u: &CurrentUser) -> AppResult<Vec<IncidentChip>> {
    if !rexian_app::outages::may_handle(u) {
        return Ok(Vec::new());
    }
    Ok(rexian_app::incidents::list(app, u, u.company_id, true)
        .await?
        .into_iter()
        .map(|i| IncidentChip {
            id: i.id.to_string(),
            community: i.community,
            subtype: t.get(&format!("subtype.{}", i.subtype)),
            orders: i.orders,
        })
        .collect())
}

async fn rows_of(
    app: &AppState,
    t: &Msgs,
    u: &CurrentUser,
    name: &str,
) -> AppResult<(Vec<Row>, Above)> {
    if !may_see_queue(u, name) {
        return Err(AppError::Forbidden);
    }
    let items = summaries(app, u, name).await?;
    let incidents = open_incidents(app, t, u).await?;
    let now = ms(app.clock.now());
    let mut places = Places::default();
    let covered: Vec<i64> = items.iter().take(200).filter_map(|l| l.cover).collect();
    let names = rexian_app::shifts::user_names(app, covered).await?;
    let mut rows = Vec::new();
    for l in items.iter().take(200) {
        let o = &l.order;
        let offset = places.offset(app, o.company_id).await?;
        let limits = worklist::watched(app, u, o.id).await?.limits;
        let badge = limits_badge(t, &limits, now, offset);
        let mut row = row_of(t, l, badge, &places, offset);
        row.incident = o.incident_id.map(|id| {
            let id = id.to_string();
            let place = incidents
                .iter()
                .find(|i| i.id == id)
                .map(|i| i.community.clone())
                .unwrap_or_default();
            (id, place)
        });
        if let Some(a) = l.cover {
            row.extra = super::away::covering_mark(t, names.get(&a).cloned().unwrap_or_default());
        }
        rows.push(row);
    }
    if name != "callbacks" {
        rows.sort_by_key(|r| r.badge.urgency());
    }
    rows.truncate(SHOWN);
    let notices = my_notices(app, t, u).await?;
    Ok((rows, Above { incidents, notices }))
}

/// The row of order line `l` (its incident set by the caller).
fn row_of(t: &Msgs, l: &Line, badge: Badge, places: &Places, offset: chrono::FixedOffset) -> Row {
    let o = &l.order;
    let c = &o.customer;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let extra = match l.callback {
        Some((attempts, may_call_now)) => format!(
            "{}{}{}",
            t.get("queue.attempts"),
            attempts,
            if may_call_now {
                String::new()
            } else {
                format!(" · {}", t.get("queue.not_now"))
            }
        ),
        None => String::new(),
    };
    let subtype = text(&o.subtype);
    Row {
        id: o.id.to_string(),
        number: o.number.clone(),
        category: t.get(&format!("category.{}", o.category)),
        subtype: if subtype.is_empty() {
            String::new()
        } else {
            t.get(&format!("subtype.{subtype}"))
        },
        status: t.get(&format!("status.{}", o.status)),
        customer: if c.hidden {
            t.get("order.anonymous")
        } else {
            [text(&c.name), text(&c.phone)].join(" ").trim().to_owned()
        },
        place: {
            let a = text(&c.address);
            if a.is_empty() {
                text(&c.community)
            } else {
                a
            }
        },
        description: o.description.clone(),
        unit: places.unit(o.unit_id).unwrap_or_default(),
        created: super::common::local_time(o.created_at, offset),
        badge,
        extra,
        incident: None,
    }
}
