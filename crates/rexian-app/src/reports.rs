//! Reports (SPEC §5): the period of a report, the KPIs with the policy's targets, and the
//! supervision board (督办) with its acknowledgements.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, Utc};
use rexian_domain::model::Role;
use rexian_domain::policy::KpiTargets;
use rexian_domain::reports::Kpi;
use rexian_store::org::Company;
use rexian_store::reports::{Dimension, KpiCounts};
use serde::Serialize;

use crate::ser;
use crate::tenancy::{chosen_company, company_policy};
use crate::{Actor, App, AppError, AppResult};

/// A bound of the period: a date (the company's local midnight; `to` is inclusive) or an
/// RFC 3339 instant (exact).
fn bound(field: &str, v: &str, offset: FixedOffset, end: bool) -> AppResult<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc).timestamp_millis());
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, format!("{field} must be YYYY-MM-DD or RFC 3339")))?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    let t = d
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(offset).single())
        .ok_or_else(|| AppError::invalid(field, "date out of range"))?;
    Ok(t.timestamp_millis())
}

/// The period `[from, to)` in unix ms of a report's `from` and `to`, both required.
pub fn period(company: &Company, from: Option<&str>, to: Option<&str>) -> AppResult<(i64, i64)> {
    let offset = company.offset();
    let from = from
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::invalid("from", "from is required"))?;
    let to = to
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::invalid("to", "to is required"))?;
    let (from, to) = (
        bound("from", from, offset, false)?,
        bound("to", to, offset, true)?,
    );
    if to <= from {
        return Err(AppError::invalid("to", "to must be after from"));
    }
    Ok((from, to))
}

/// The KPIs of a period: rates 0..1, null when undefined.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct KpiReport {
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// The policy's targets (`settings.*_target`, `000:九.7`) beside the rates.
    pub targets: KpiTargets,
    /// Repeat complaints (the breakdown's column; not in this answer).
    #[serde(skip)]
    pub repeat_complaints: i64,
}

/// The KPI figures of stored counts: rates 0..1, null when undefined.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Figures {
    /// Orders accepted (cancelled ones left out).
    pub intake: i64,
    /// Of those, closed.
    pub closed: i64,
    /// Orders that met every limit / orders with limits.
    pub timely_rate: Option<f64>,
    /// Closed / accepted.
    pub resolution_rate: Option<f64>,
    /// (Satisfied + basically satisfied) / rated callbacks.
    pub satisfaction_rate: Option<f64>,
    /// Callbacks done / callbacks required.
    pub callback_rate: Option<f64>,
    /// Still open with a missed limit.
    pub overdue: i64,
}

/// The KPIs of stored counts (the domain's definitions, one owner for every report).
pub fn kpi_of(c: &KpiCounts) -> Kpi {
    rexian_domain::reports::kpi(
        c.intake,
        c.closed,
        c.with_limits,
        c.timely,
        c.overdue,
        c.callback_required,
        c.callback_done,
        c.rated,
        c.satisfied,
    )
}

/// What a report covers: a company (the caller's own; group-level staff name one) and a
/// period (`from` and `to`, dates or RFC 3339, both required).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The company asked for.
    pub company_id: Option<i64>,
    /// First day (or instant).
    pub from: Option<String>,
    /// Last day, inclusive (or end instant).
    pub to: Option<String>,
}

impl Scope {
    /// The company and the period `[from, to)` in unix ms, checked for `me`.
    async fn resolve(&self, app: &App, me: &Actor) -> AppResult<(Company, (i64, i64))> {
        let company = chosen_company(app, me, "company_id", self.company_id).await?;
        let p = period(&company, self.from.as_deref(), self.to.as_deref())?;
        Ok((company, p))
    }
}

impl Figures {
    /// The figures of `c` (the domain's definitions, one owner for every report).
    pub fn of(c: &KpiCounts) -> Figures {
        let k = kpi_of(c);
        Figures {
            intake: k.intake,
            closed: k.closed,
            timely_rate: k.timely_rate,
            resolution_rate: k.resolution_rate,
            satisfaction_rate: k.satisfaction_rate,
            callback_rate: k.callback_rate,
            overdue: k.overdue,
        }
    }
}

/// The KPIs of a company's period, optionally of one unit.
pub async fn kpi(
    app: &App,
    me: &Actor,
    scope: &Scope,
    unit_id: Option<i64>,
) -> AppResult<KpiReport> {
    let (company, (from, to)) = scope.resolve(app, me).await?;
    let counts = app.store.kpi_counts(company.id, unit_id, from, to).await?;
    Ok(KpiReport {
        figures: Figures::of(&counts),
        targets: company_policy(&company)?.kpi_targets(),
        repeat_complaints: counts.repeat_complaints,
    })
}

/// What a breakdown groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The unit handling the order.
    Unit,
    /// The first responder.
    Person,
    /// The category.
    Category,
    /// The subtype (what the demand was about).
    Subtype,
    /// The channel.
    Channel,
}

impl By {
    /// Every dimension, in the order screens offer them.
    pub const ALL: [By; 5] = [By::Unit, By::Person, By::Category, By::Subtype, By::Channel];

    /// The dimension `s` names, or `invalid_input` naming `by`.
    pub fn parse(s: &str) -> AppResult<By> {
        By::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| {
                AppError::invalid(
                    "by",
                    format!("by must be unit, person, category, subtype or channel, got {s:?}"),
                )
            })
    }

    /// Its name in a query.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Unit => "unit",
            By::Person => "person",
            By::Category => "category",
            By::Subtype => "subtype",
            By::Channel => "channel",
        }
    }

    fn dimension(self) -> Dimension {
        match self {
            By::Unit => Dimension::Unit,
            By::Person => Dimension::Person,
            By::Category => Dimension::Category,
            By::Subtype => Dimension::Subtype,
            By::Channel => Dimension::Channel,
        }
    }
}

/// The KPIs of one unit, person, category, subtype or channel.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct BreakdownLine {
    /// The unit's or person's id, the category, subtype or channel (empty for none).
    pub key: String,
    /// The unit's or person's name, else the key (`（未派单）` for no unit).
    pub label: String,
    /// The unit's or person's name, when the key names one.
    #[serde(skip)]
    pub name: Option<String>,
    /// The KPIs.
    #[serde(flatten)]
    pub figures: Figures,
    /// Repeat complaints.
    pub repeat_complaints: i64,
}

/// The KPIs of each unit, person, category, subtype or channel of a period, busiest first.
pub async fn breakdown(
    app: &App,
    me: &Actor,
    scope: &Scope,
    by: By,
) -> AppResult<Vec<BreakdownLine>> {
    let (company, (from, to)) = scope.resolve(app, me).await?;
    let rows = app
        .store
        .kpi_breakdown(company.id, by.dimension(), from, to)
        .await?;
    let names = match by {
        By::Unit => unit_names(app, company.id).await?,
        By::Person => user_names(app, company.id).await?,
        _ => HashMap::new(),
    };
    Ok(rows
        .into_iter()
        .map(|(key, c)| {
            let name = key.parse().ok().and_then(|id| names.get(&id)).cloned();
            let label = match (&name, by) {
                (Some(n), _) => n.clone(),
                (None, By::Unit) if key.is_empty() => "（未派单）".into(),
                (None, _) => key.clone(),
            };
            BreakdownLine {
                key,
                label,
                name,
                figures: Figures::of(&c),
                repeat_complaints: c.repeat_complaints,
            }
        })
        .collect())
}

/// The names of a company's units by id.
pub(crate) async fn unit_names(app: &App, company_id: i64) -> AppResult<HashMap<i64, String>> {
    let units = app.store.units(Some(company_id)).await?;
    Ok(units.into_iter().map(|u| (u.id, u.name)).collect())
}

/// The names of a company's staff by id.
pub(crate) async fn user_names(app: &App, company_id: i64) -> AppResult<HashMap<i64, String>> {
    let users = app.store.users(Some(company_id)).await?;
    Ok(users.into_iter().map(|u| (u.id, u.name)).collect())
}

/// A complaint matter (事项) with its complaints of a period.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct MatterLine {
    /// The matter.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub matter_id: i64,
    /// Its title.
    pub title: String,
    /// Its subtype.
    pub subtype: Option<String>,
    /// Its place.
    pub place: Option<String>,
    /// Complaints accepted in the period.
    pub complaints: i64,
    /// Of those, repeats by an earlier complainant.
    pub repeat_complaints: i64,
    /// Of those, not closed.
    pub open: i64,
}

/// The `limit` complaint matters with the most complaints of a period.
pub async fn top_matters(
    app: &App,
    me: &Actor,
    scope: &Scope,
    limit: i64,
) -> AppResult<Vec<MatterLine>> {
    let (company, (from, to)) = scope.resolve(app, me).await?;
    Ok(app
        .store
        .top_matters(company.id, from, to, limit)
        .await?
        .into_iter()
        .map(|m| MatterLine {
            matter_id: m.matter_id,
            title: m.title,
            subtype: m.subtype,
            place: m.place,
            complaints: m.complaints,
            repeat_complaints: m.repeats,
            open: m.open,
        })
        .collect())
}

/// Records that `me` exported `rows` rows of `what` as `format` (SPEC §7).
pub async fn log_export(
    app: &App,
    me: &Actor,
    what: &str,
    format: &str,
    rows: usize,
) -> AppResult<()> {
    app.store
        .log_export(me.id, what, format, rows as i64, app.now_ms())
        .await?;
    Ok(())
}

/// The company a screen works on, with its local today.
#[derive(Debug, Clone)]
pub struct Home {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Its UTC offset.
    pub offset: FixedOffset,
    /// Its local date now.
    pub today: NaiveDate,
}

impl Home {
    /// `YYYY-MM` of today's month, moved `back` months.
    pub fn month(&self, back: u32) -> String {
        let first = self.today.with_day(1).unwrap_or(self.today);
        let m = first.checked_sub_months(Months::new(back)).unwrap_or(first);
        format!("{:04}-{:02}", m.year(), m.month())
    }
}

/// The company of `me`'s screens: their own, else (group-level staff) the first.
pub async fn home(app: &App, me: &Actor) -> AppResult<Home> {
    let company = match me.company_id {
        Some(c) => app.store.company(c).await?,
        None => app
            .store
            .companies()
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)?,
    };
    let offset = company.offset();
    Ok(Home {
        id: company.id,
        name: company.name,
        offset,
        today: app.clock.now().with_timezone(&offset).date_naive(),
    })
}

/// Who a supervision notice reaches: the post of its level and the person holding it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct AddresseeView {
    /// `unit_handler`, `unit_head`, `division_head`, `agent`, `centre_supervisor` or `company`.
    pub post: String,
    /// The unit whose post it is.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
    /// The person; none when nobody holds the post.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub user_id: Option<i64>,
    /// Their name.
    pub name: Option<String>,
}

/// A line of the supervision board: an order once, at its highest level.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct BoardLine {
    /// `order`.
    pub kind: &'static str,
    /// Notice id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Order.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub order_id: i64,
    /// Order number.
    pub number: String,
    /// The limit supervised.
    pub deadline: String,
    /// Level.
    pub level: i64,
    /// The deadline's unit.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
    /// When the level was reached.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// When acknowledged.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub acknowledged_at: Option<i64>,
    /// Reminders at the top level.
    pub reminders: i64,
    /// The last reminder.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub reminded_at: Option<i64>,
    /// Who the level reaches (its post, and the persons holding it).
    pub addressees: Vec<AddresseeView>,
}

/// A line of the supervision board: an outage notice still unpublished past the end of the
/// shift that received it (`001`), for the company's supervisors.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct LateOutageLine {
    /// `outage`.
    pub kind: &'static str,
    /// The outage notice.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// `planned` or `fault`.
    pub outage_kind: String,
    /// Cause.
    pub cause: String,
    /// Received.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub received_at: i64,
    /// When it had to be published; late since.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub publish_due_at: i64,
    /// Who received it.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub created_by: i64,
}

/// An item of the supervision board.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum BoardItem {
    /// A supervised order.
    Order(BoardLine),
    /// A late outage notice.
    Outage(LateOutageLine),
}

/// Lines of the board at the most, of each kind.
const BOARD_LIMIT: i64 = 500;

/// Who reads the whole board.
fn may_read_board(me: &Actor) -> bool {
    [
        Role::Supervisor,
        Role::UnitHandler,
        Role::Assessor,
        Role::Admin,
        Role::Dispatcher,
    ]
    .iter()
    .any(|r| me.has(*r))
}

/// Who sees the late outage notices on it: the centre's staff over notices and the reports.
fn sees_late_outages(me: &Actor) -> bool {
    [
        Role::Supervisor,
        Role::Admin,
        Role::Dispatcher,
        Role::Assessor,
    ]
    .iter()
    .any(|r| me.has(*r))
}

/// The supervision board of `me`'s company (group staff: of `company`, or every company): the
/// outage notices late for publication (most overdue first), then each order once with its
/// highest level, its addressees and reminders, newest first; `open`: unacknowledged only.
/// `mine`: only the notices addressed to `me` (every level that reached them) and, for a
/// supervisor, the company's late outage notices; what an agent always reads.
pub async fn board(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    open: bool,
    mine: bool,
) -> AppResult<Vec<BoardItem>> {
    // The others (an agent reached at level 1) read only their own.
    let mine = mine || !may_read_board(me);
    let company = me.company_id.or(company);
    let mut items = Vec::new();
    let outages = if mine {
        me.has(Role::Supervisor) && me.company_id.is_some()
    } else {
        sees_late_outages(me)
    };
    if outages {
        for o in app
            .store
            .late_drafts(company, app.now_ms(), BOARD_LIMIT)
            .await?
        {
            items.push(BoardItem::Outage(LateOutageLine {
                kind: "outage",
                id: o.id,
                company_id: o.company_id,
                outage_kind: o.kind,
                cause: o.cause,
                received_at: o.received_at,
                publish_due_at: o.publish_due_at,
                created_by: o.created_by,
            }));
        }
    }
    let notices = if mine {
        app.store.notices_of_user(me.id, open, BOARD_LIMIT).await?
    } else {
        app.store.notices(company, open, BOARD_LIMIT).await?
    };
    let ids: Vec<i64> = notices.iter().map(|n| n.id).collect();
    let mut to: HashMap<i64, Vec<AddresseeView>> = HashMap::new();
    for a in app.store.notice_addressees(&ids).await? {
        to.entry(a.notice_id).or_default().push(AddresseeView {
            post: a.post,
            unit_id: a.unit_id,
            user_id: a.user_id,
            name: a.name,
        });
    }
    items.extend(notices.into_iter().map(|n| {
        BoardItem::Order(BoardLine {
            kind: "order",
            addressees: to.remove(&n.id).unwrap_or_default(),
            id: n.id,
            order_id: n.order_id,
            number: n.number,
            deadline: n.kind,
            level: n.level,
            unit_id: n.unit_id,
            at: n.at,
            acknowledged_at: n.acknowledged_at,
            reminders: n.reminders,
            reminded_at: n.reminded_at,
        })
    }));
    Ok(items)
}

/// The supervised unit or head acknowledges notice `id`.
pub async fn acknowledge(app: &App, me: &Actor, id: i64) -> AppResult<()> {
    app.store
        .acknowledge_notice(id, me.company_id, me.id, app.now_ms())
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => {
                AppError::InvalidTransition("this notice is already acknowledged".into())
            }
            other => other.into(),
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breakdown_dimension_round_trips_and_a_bad_one_names_by() {
        for b in By::ALL {
            assert_eq!(By::parse(b.as_str()).unwrap(), b);
        }
        let e = By::parse("team").unwrap_err();
        assert_eq!(e.field(), Some("by"));
        assert!(e.to_string().contains("\"team\""));
    }

    #[test]
    fn home_months_go_back_over_the_year() {
        let home = Home {
            id: 1,
            name: "c".into(),
            offset: FixedOffset::east_opt(8 * 3600).unwrap(),
            today: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
        };
        assert_eq!(home.month(0), "2026-01");
        assert_eq!(home.month(1), "2025-12");
        assert_eq!(home.month(13), "2024-12");
    }

    #[test]
    fn the_kpi_answer_leaves_repeat_complaints_to_the_breakdown() {
        let c = KpiCounts {
            intake: 4,
            closed: 2,
            repeat_complaints: 1,
            ..Default::default()
        };
        let line = BreakdownLine {
            key: "7".into(),
            label: "城北".into(),
            name: Some("城北".into()),
            figures: Figures::of(&c),
            repeat_complaints: c.repeat_complaints,
        };
        let v = serde_json::to_value(&line).unwrap();
        assert_eq!(v["resolution_rate"], 0.5);
        assert_eq!(v["repeat_complaints"], 1);
        assert!(v.get("name").is_none() && v.get("figures").is_none());
        let r = KpiReport {
            figures: Figures::of(&c),
            targets: KpiTargets::default(),
            repeat_complaints: 1,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["intake"], 4);
        assert!(v.get("repeat_complaints").is_none() && v.get("targets").is_some());
    }
}
