//! The away screen (`/away`, 请假/外出, `004` AB角): record an away period of oneself (or, for
//! supervisors and admins, of anyone of the company), list a user's periods with the work that
//! moved, end one early. Also the "代A处理" marks of the order page and of B's queue.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::{DateTime, FixedOffset, Utc};
use rexian_app::away::{self, AwayView, NewAway};
use rexian_domain::away::AwayReason;
use rexian_domain::model::Role;
use serde::Deserialize;
use serde_json::Value;

use super::common::{field, local_time, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Away routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/away", get(page).post(create))
        .route("/away/{user}/{id}/end", post(end))
}

/// A period as listed.
struct Line {
    id: String,
    from: String,
    until: String,
    reason: String,
    note: String,
    phase: String,
    phase_label: String,
    cover: String,
    moves: usize,
    returned: usize,
}

#[derive(Template)]
#[template(path = "away.html")]
struct Page {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    user_id: i64,
    user_name: String,
    partner: String,
    users: Vec<(i64, String)>,
    reasons: Vec<(String, String)>,
    lines: Vec<Line>,
    now_input: String,
}

/// Query of the screen.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    user_id: Option<String>,
}

fn may_choose(u: &CurrentUser) -> bool {
    u.has(Role::Supervisor) || u.has(Role::Admin)
}

fn line(t: &Msgs, a: &AwayView, names: &HashMap<i64, String>, offset: FixedOffset) -> Line {
    Line {
        id: a.id.to_string(),
        from: local_time(a.from, offset),
        until: local_time(a.until, offset),
        reason: t.get(&format!("away.reason_{}", a.reason)),
        note: a.note.clone().unwrap_or_default(),
        phase: a.phase.to_owned(),
        phase_label: t.get(&format!("away.phase_{}", a.phase)),
        cover: a
            .cover_id
            .and_then(|c| names.get(&c).cloned())
            .unwrap_or_else(|| t.get("away.nobody")),
        moves: a.moves.len(),
        returned: a
            .moves
            .iter()
            .filter(|m| m.outcome.as_deref() == Some("returned"))
            .count(),
    }
}

async fn build(app: &AppState, t: Msgs, u: &CurrentUser, q: PageQuery) -> AppResult<Page> {
    let chosen = match q.user_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_id("user_id", s)?,
        None => u.id,
    };
    let target = rexian_app::org::user(app, u, chosen).await?;
    let periods = away::list(app, u, target.id).await?;
    let company = target
        .company_id
        .ok_or_else(|| AppError::invalid("user_id", "a group-level user has no post"))?;
    let offset = rexian_app::outages::zone(app, u, company).await?;
    let ids: Vec<i64> = periods
        .iter()
        .filter_map(|a| a.cover_id)
        .chain(target.partner_id)
        .collect();
    let names: HashMap<i64, String> = rexian_app::shifts::user_names(app, ids)
        .await?
        .into_iter()
        .collect();
    let users = if may_choose(u) {
        rexian_app::org::users(app, u, Some(company))
            .await?
            .into_iter()
            .filter(|x| !x.disabled)
            .map(|x| (x.id, x.name))
            .collect()
    } else {
        vec![(u.id, u.name.clone())]
    };
    Ok(Page {
        user: Some(PageUser::of(u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        user_id: target.id,
        user_name: target.name.clone(),
        partner: target
            .partner_id
            .and_then(|p| names.get(&p).cloned())
            .unwrap_or_else(|| t.get("away.no_partner")),
        users,
        reasons: AwayReason::ALL
            .iter()
            .map(|r| (r.as_str().to_owned(), t.get(&format!("away.reason_{r}"))))
            .collect(),
        lines: periods
            .iter()
            .map(|a| line(&t, a, &names, offset))
            .collect(),
        now_input: app
            .clock
            .now()
            .with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        t,
    })
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    match build(&app, t, &u, q).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

/// A `datetime-local` input in the company's zone, naming `name` when it is not one.
fn local_input(f: &Fields, name: &str, offset: FixedOffset) -> AppResult<DateTime<Utc>> {
    let bad = || AppError::invalid(name, format!("{name} must be a date and time"));
    chrono::NaiveDateTime::parse_from_str(field(f, name), "%Y-%m-%dT%H:%M")
        .map_err(|_| bad())?
        .and_local_timezone(offset)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(bad)
}

async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let user = parse_id("user_id", field(&f, "user_id"))?;
        let company = rexian_app::org::user(&app, &u, user)
            .await?
            .company_id
            .ok_or_else(|| AppError::invalid("user_id", "a group-level user has no post"))?;
        let offset = rexian_app::outages::zone(&app, &u, company).await?;
        let n = NewAway {
            from: local_input(&f, "from", offset)?,
            until: local_input(&f, "until", offset)?,
            reason: field(&f, "reason").to_owned(),
            note: Some(field(&f, "note").to_owned()),
            force: field(&f, "force") == "1",
        };
        away::create(&app, &u, user, n).await?;
        Ok::<_, AppError>(user)
    };
    match run.await {
        Ok(user) => Redirect::to(&format!("/away?user_id={user}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

async fn end(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path((user, id)): Path<(String, String)>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let user = parse_id("user", &user)?;
        away::end(&app, &u, user, parse_id("id", &id)?).await?;
        Ok::<_, AppError>(user)
    };
    match run.await {
        Ok(user) => Redirect::to(&format!("/away?user_id={user}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// The detail of an `assignee_changed` event: `甲 → 乙（请假代理）` or `（归还）`.
pub fn move_detail(t: &Msgs, d: &Value, users: &HashMap<i64, String>) -> String {
    let name = |k: &str| {
        d[k].as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .and_then(|id| users.get(&id).cloned())
            .unwrap_or_else(|| t.get("away.nobody"))
    };
    let duty = d["duty"].as_str().unwrap_or("assignee");
    let reason = d["reason"].as_str().unwrap_or("away");
    format!(
        "{} → {} ({} · {})",
        name("from"),
        name("to"),
        t.get(&format!("away.duty_{duty}")),
        t.get(&format!("away.move_{reason}"))
    )
}

/// The "代A处理" marks of an order while someone is away.
pub async fn order_covers(
    app: &AppState,
    t: &Msgs,
    order: i64,
    users: &HashMap<i64, String>,
) -> AppResult<Vec<String>> {
    let name = |id: i64| users.get(&id).cloned().unwrap_or_default();
    Ok(away::covers_of_order(app, order)
        .await?
        .into_iter()
        .map(|(a, b, duty)| {
            let who = b.map(name).unwrap_or_else(|| t.get("away.nobody"));
            format!(
                "{} {}{}{} ({})",
                who,
                t.get("away.for_pre"),
                name(a),
                t.get("away.for_post"),
                t.get(&format!("away.duty_{duty}"))
            )
        })
        .collect())
}

/// The mark of an order B handles for A in B's queue: `代张三处理`.
pub fn covering_mark(t: &Msgs, a: String) -> String {
    format!("{}{}{}", t.get("away.for_pre"), a, t.get("away.for_post"))
}

/// An away period ahead, as the supervisor's screen lists it.
pub struct UpcomingLine {
    /// Who.
    pub user: String,
    /// From.
    pub from: String,
    /// Until.
    pub until: String,
    /// Reason.
    pub reason: String,
    /// Covered by.
    pub cover: String,
    /// A and B of the post away at once.
    pub both_away: bool,
}

/// Work of an away user nobody covers.
pub struct UncoveredLine {
    /// Order id.
    pub order_id: String,
    /// Number.
    pub number: String,
    /// Who is away.
    pub user: String,
    /// Which duty.
    pub duty: String,
}

/// The away panel of the supervisor's screen.
#[derive(Default)]
pub struct SupervisorAway {
    /// The next 7 days.
    pub upcoming: Vec<UpcomingLine>,
    /// Work nobody covers (无人代理): the centre head assigns it.
    pub uncovered: Vec<UncoveredLine>,
}

/// The away panel of the supervisor's screen for `u`'s company (none for group staff).
pub async fn for_supervisor(
    app: &AppState,
    t: &Msgs,
    u: &CurrentUser,
) -> AppResult<SupervisorAway> {
    let Some(company) = u.company_id else {
        return Ok(SupervisorAway::default());
    };
    let upcoming = periods(app, t, u, company, None, None).await?;
    let uncovered = away::uncovered(app, u, company).await?;
    let ids: Vec<i64> = uncovered.iter().map(|m| m.away_user_id).collect();
    let names = rexian_app::shifts::user_names(app, ids).await?;
    let uncovered = uncovered
        .into_iter()
        .map(|m| UncoveredLine {
            order_id: m.order_id.to_string(),
            number: m.number,
            user: names.get(&m.away_user_id).cloned().unwrap_or_default(),
            duty: t.get(&format!("away.duty_{}", m.duty)),
        })
        .collect();
    Ok(SupervisorAway {
        upcoming,
        uncovered,
    })
}

/// The away periods of `company` not over yet that share a moment with `[from, until)` (RFC
/// 3339; default the next 7 days), A and B away at once flagged: the supervisor's screen and
/// the roster's warning.
pub async fn periods(
    app: &AppState,
    t: &Msgs,
    u: &CurrentUser,
    company: i64,
    from: Option<&str>,
    until: Option<&str>,
) -> AppResult<Vec<UpcomingLine>> {
    let offset = rexian_app::outages::zone(app, u, company).await?;
    let list: Vec<AwayView> = away::of_company(app, u, Some(company), from, until)
        .await?
        .into_iter()
        .filter(|a| a.phase != "over")
        .collect();
    let ids: Vec<i64> = list
        .iter()
        .flat_map(|a| std::iter::once(a.user_id).chain(a.cover_id))
        .collect();
    let names = rexian_app::shifts::user_names(app, ids).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(list
        .into_iter()
        .map(|a| UpcomingLine {
            user: name(a.user_id),
            from: local_time(a.from, offset),
            until: local_time(a.until, offset),
            reason: t.get(&format!("away.reason_{}", a.reason)),
            cover: a.cover_id.map(name).unwrap_or_else(|| t.get("away.nobody")),
            both_away: a.both_away,
        })
        .collect())
}
