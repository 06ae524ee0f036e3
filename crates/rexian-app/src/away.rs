//! Away periods of the A/B roles (`004` 第五章): while A is away (事假, 病假, 培训, 外出), A's
//! open work — orders assigned to A and A's follow-ups as first responder (callbacks included)
//! — is with B, shown as "代A处理", and comes back at `until` when still open. A and B away at
//! once is refused (`partner_away`) unless forced; then the work goes to nobody and the centre
//! head assigns it from the supervisor's screen.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rexian_domain::away::{self, AwayReason, Cover, CoverRefusal, Phase};
use rexian_domain::model::{Role, Status};
use rexian_store::away::{AwayMove, AwayRow, NewAway as StoreAway};
use rexian_store::org::User;
use serde::{Deserialize, Serialize};

use crate::clock::ms;
use crate::orders::{can_see, OrderSummary};
use crate::ser;
use crate::tenancy::{chosen_company, company_for, require_user_affairs};
use crate::{text, Actor, App, AppError, AppResult};

/// Periods shown at the most in one list.
const MAX_LISTED: i64 = 200;
/// Orders B's queue shows covering for A, at the most.
const MAX_COVERED: i64 = 500;
/// The supervisor's screen looks this far ahead for away periods (7 days).
pub const UPCOMING_MS: i64 = 7 * 24 * 3_600_000;

/// The statuses of open orders (what moves and what comes back).
pub fn open_statuses() -> Vec<String> {
    Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// `POST /users/{id}/away`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAway {
    /// From.
    pub from: DateTime<Utc>,
    /// Until.
    pub until: DateTime<Utc>,
    /// `leave`, `sick`, `training`, `out` or `other`.
    pub reason: String,
    /// Free text (what, where).
    pub note: Option<String>,
    /// Record it although the partner is away (or there is none): the work goes to nobody.
    #[serde(default)]
    pub force: bool,
}

/// One order's duty moved away from A.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct MoveView {
    /// The order.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub order_id: i64,
    /// Its number.
    pub number: String,
    /// Its status now.
    pub status: String,
    /// `assignee` or `follow_up` (first responder).
    pub duty: String,
    /// Who holds it (B), or none.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub to_user_id: Option<i64>,
    /// When it moved.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub moved_at: i64,
    /// When it came back (or was left).
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub returned_at: Option<i64>,
    /// `returned` or `kept` (closed, or reassigned meanwhile).
    pub outcome: Option<String>,
}

impl From<AwayMove> for MoveView {
    fn from(m: AwayMove) -> Self {
        MoveView {
            order_id: m.order_id,
            number: m.number,
            status: m.status,
            duty: m.duty,
            to_user_id: m.to_user,
            moved_at: m.moved_at,
            returned_at: m.returned_at,
            outcome: m.outcome,
        }
    }
}

/// An away period as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct AwayView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Who is away (A).
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub user_id: i64,
    /// Who covers (B); none when forced.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub cover_id: Option<i64>,
    /// From.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub from: i64,
    /// Until.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub until: i64,
    /// Reason code.
    pub reason: String,
    /// Free text.
    pub note: Option<String>,
    /// Recorded although the partner was away (or there was none).
    pub forced: bool,
    /// `upcoming`, `away` or `over`.
    pub phase: &'static str,
    /// Recorded by.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub created_by: i64,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub created_at: i64,
    /// When the work moved.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub started_at: Option<i64>,
    /// When it ended.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub ended_at: Option<i64>,
    /// Ended by (none: at `until`).
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub ended_by: Option<i64>,
    /// `until` or `early`.
    pub end_kind: Option<String>,
    /// The partner of the post is away at an overlapping time too (in the company list).
    pub both_away: bool,
    /// The moves of A's work (in a user's list and a single period).
    pub moves: Vec<MoveView>,
}

fn view(a: AwayRow, now: i64) -> AwayView {
    AwayView {
        phase: away::phase(a.from_at, a.until_at, a.ended_at, now).as_str(),
        id: a.id,
        company_id: a.company_id,
        user_id: a.user_id,
        cover_id: a.cover_id,
        from: a.from_at,
        until: a.until_at,
        reason: a.reason,
        note: a.note,
        forced: a.forced,
        created_by: a.created_by,
        created_at: a.created_at,
        started_at: a.started_at,
        ended_at: a.ended_at,
        ended_by: a.ended_by,
        end_kind: a.end_kind,
        both_away: false,
        moves: Vec::new(),
    }
}

async fn detail(app: &App, a: AwayRow) -> AppResult<AwayView> {
    let moves = app.store.away_moves(a.id).await?;
    let mut v = view(a, app.now_ms());
    v.moves = moves.into_iter().map(MoveView::from).collect();
    Ok(v)
}

/// User `id`, when `me` may act on their affairs.
async fn target(app: &App, me: &Actor, id: i64) -> AppResult<User> {
    let u = match app.store.user(id).await {
        Err(rexian_store::StoreError::NotFound) => return Err(AppError::NotFound),
        r => r?,
    };
    require_user_affairs(me, &u)?;
    Ok(u)
}

/// Records an away period of user `id`; from its `from` A's open work is with B.
pub async fn create(app: &App, me: &Actor, id: i64, b: NewAway) -> AppResult<AwayView> {
    let user = target(app, me, id).await?;
    let company = user
        .company_id
        .ok_or_else(|| AppError::invalid("id", "a group-level user has no post to cover"))?;
    let (from, until, now) = (ms(b.from), ms(b.until), app.now_ms());
    away::check_period(from, until, now).map_err(|e| AppError::invalid(e.field, e.message))?;
    let reason =
        AwayReason::from_str(b.reason.trim()).map_err(|e| AppError::invalid("reason", e))?;
    let note = text::clean("note", b.note, 500)?;
    if app.store.away_overlapping(user.id, from, until).await? {
        return Err(AppError::Conflict {
            field: Some("from".into()),
            message: "the user is away at an overlapping time already".into(),
        });
    }
    let partner = match user.partner_id {
        Some(p) => Some(app.store.user(p).await?).filter(|p| !p.disabled),
        None => None,
    };
    let partner_away = match &partner {
        Some(p) => app.store.away_overlapping(p.id, from, until).await?,
        None => false,
    };
    let cover = away::cover(partner.as_ref().map(|p| p.id), partner_away, b.force).map_err(
        |r| match r {
            CoverRefusal::PartnerAway => AppError::Refused {
                code: "partner_away",
                message: "the partner (B) is away at an overlapping time; send force to record \
                          it anyway, and the centre head assigns the work"
                    .into(),
            },
            CoverRefusal::NoPartner => AppError::Refused {
                code: "no_partner",
                message: "the user's post has no partner (B); set one, or send force and the \
                          centre head assigns the work"
                    .into(),
            },
        },
    )?;
    let n = StoreAway {
        company_id: company,
        user_id: user.id,
        cover_id: match cover {
            Cover::Partner(p) => Some(p),
            Cover::Nobody => None,
        },
        from_at: from,
        until_at: until,
        reason: reason.as_str().into(),
        note,
        forced: cover == Cover::Nobody,
        created_by: me.id,
        created_at: now,
    };
    let aid = app
        .store
        .create_away(&n, from <= now, &open_statuses())
        .await?;
    detail(app, app.store.away(aid).await?).await
}

/// The away periods of user `id`, newest first, with their moves.
pub async fn list(app: &App, me: &Actor, id: i64) -> AppResult<Vec<AwayView>> {
    let user = target(app, me, id).await?;
    let mut out = Vec::new();
    for a in app.store.aways_of_user(user.id, MAX_LISTED).await? {
        out.push(detail(app, a).await?);
    }
    Ok(out)
}

/// Period `aid` of user `id`.
async fn period(app: &App, me: &Actor, id: i64, aid: i64) -> AppResult<AwayRow> {
    let user = target(app, me, id).await?;
    match app.store.away(aid).await {
        Ok(a) if a.user_id == user.id => Ok(a),
        Ok(_) | Err(rexian_store::StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Ends period `aid` of user `id` now (A is back early, or it is cancelled before it began):
/// what is still open and untouched goes back to A.
pub async fn end(app: &App, me: &Actor, id: i64, aid: i64) -> AppResult<AwayView> {
    let a = period(app, me, id, aid).await?;
    let now = app.now_ms();
    if away::phase(a.from_at, a.until_at, a.ended_at, now) == Phase::Over {
        return Err(AppError::InvalidTransition(
            "this away period is over already".into(),
        ));
    }
    app.store
        .end_away(
            aid,
            now,
            Some(me.id),
            "early",
            &open_statuses(),
            away::returns,
        )
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => {
                AppError::InvalidTransition("this away period is over already".into())
            }
            e => e.into(),
        })?;
    detail(app, app.store.away(aid).await?).await
}

/// Who may see the company's away periods: the centre's staff (the roster, the supervisor).
fn may_see_company(me: &Actor) -> bool {
    [
        Role::Agent,
        Role::Dispatcher,
        Role::CallbackAgent,
        Role::Supervisor,
        Role::Admin,
    ]
    .iter()
    .any(|r| me.has(*r))
}

/// An optional RFC 3339 time of a query, naming `field` when it is not one.
fn time_param(field: &str, v: Option<&str>) -> AppResult<Option<i64>> {
    v.filter(|s| !s.is_empty())
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.timestamp_millis())
                .map_err(|_| AppError::invalid(field, format!("{field} is an RFC 3339 time")))
        })
        .transpose()
}

/// The away periods of a company sharing a moment with `[from, until)` (default: the next 7
/// days), each flagged when the partner of the post is away at an overlapping time too.
pub async fn of_company(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    from: Option<&str>,
    until: Option<&str>,
) -> AppResult<Vec<AwayView>> {
    if !may_see_company(me) {
        return Err(AppError::Forbidden);
    }
    let company = chosen_company(app, me, "company_id", company).await?;
    let now = app.now_ms();
    let from = time_param("from", from)?.unwrap_or(now);
    let until = time_param("until", until)?.unwrap_or(from + UPCOMING_MS);
    if until <= from {
        return Err(AppError::invalid("until", "until must be after from"));
    }
    if until - from > away::MAX_AWAY_MS {
        return Err(AppError::invalid("until", "a range is at most 366 days"));
    }
    let rows = app
        .store
        .aways_of_company(company.id, from, until, MAX_LISTED)
        .await?;
    let partners: HashMap<i64, Option<i64>> = app
        .store
        .users(Some(company.id))
        .await?
        .into_iter()
        .map(|u| (u.id, u.partner_id))
        .collect();
    let span = |a: &AwayRow| (a.from_at, away::effective_until(a.until_at, a.ended_at));
    let flags: Vec<bool> = rows
        .iter()
        .map(|a| {
            let partner = partners.get(&a.user_id).copied().flatten();
            rows.iter()
                .any(|b| Some(b.user_id) == partner && away::both_away(span(a), span(b)))
        })
        .collect();
    Ok(rows
        .into_iter()
        .zip(flags)
        .map(|(a, both)| AwayView {
            both_away: both,
            ..view(a, now)
        })
        .collect())
}

/// An order B holds for A.
#[derive(Debug, Clone)]
pub struct Covered {
    /// The order as B may see it.
    pub order: OrderSummary,
    /// A, for whom B handles it.
    pub for_user_id: i64,
    /// `assignee` or `follow_up`.
    pub duty: String,
}

/// The open orders `me` handles for an away colleague (代A处理).
pub async fn covering(app: &App, me: &Actor) -> AppResult<Vec<Covered>> {
    let mut out = Vec::new();
    for m in app.store.covering(me.id, MAX_COVERED).await? {
        let o = app.store.order(m.order_id).await?;
        if can_see(me, &o) {
            out.push(Covered {
                order: OrderSummary::of(me, &o),
                for_user_id: m.from_user,
                duty: m.duty,
            });
        }
    }
    Ok(out)
}

/// Who holds order `id` for whom while someone is away: `(A, B or none, duty)`; for its page.
pub async fn covers_of_order(app: &App, id: i64) -> AppResult<Vec<(i64, Option<i64>, String)>> {
    Ok(app
        .store
        .order_covers(id)
        .await?
        .into_iter()
        .map(|m| (m.from_user, m.to_user, m.duty))
        .collect())
}

/// Work of an away user held by nobody.
#[derive(Debug, Clone)]
pub struct Uncovered {
    /// The order.
    pub order_id: i64,
    /// Its number.
    pub number: String,
    /// Its status.
    pub status: String,
    /// `assignee` or `follow_up`.
    pub duty: String,
    /// Who is away (A).
    pub away_user_id: i64,
}

/// The work of a company held by nobody (A and B away, forced): the centre head assigns it.
pub async fn uncovered(app: &App, me: &Actor, company: i64) -> AppResult<Vec<Uncovered>> {
    if !(me.has(Role::Supervisor) || me.has(Role::Admin)) {
        return Err(AppError::Forbidden);
    }
    let company = company_for(app, me, "company_id", company).await?;
    Ok(app
        .store
        .uncovered(company.id, MAX_LISTED)
        .await?
        .into_iter()
        .map(|m| Uncovered {
            order_id: m.order_id,
            number: m.number,
            status: m.status,
            duty: m.duty,
            away_user_id: m.from_user,
        })
        .collect())
}
