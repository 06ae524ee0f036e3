//! The roster (排班, `001` 值班) and the current shift: shifts by number and name from the
//! company's policy, who is on which shift by local date (set a day at a time, by JSON or an
//! .xlsx import, every change an event), the month view, and the shift every page shows.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rexian_domain::model::Role;
use rexian_domain::policy::Shifts;
use rexian_domain::shift::{self, Slot};
use rexian_store::org::{Company, User};
use rexian_store::roster::{RosterEntry, RosterSet};
use serde::{Deserialize, Serialize};

use crate::clock::from_ms;
use crate::ser::{self, Id};
use crate::tenancy::{chosen_company, company_for, company_policy};
use crate::{Actor, App, AppError, AppResult};

/// Entries in one change at the most.
const MAX_ENTRIES: usize = 5000;
/// Local dates in one change at the most (two months).
const MAX_DAYS: usize = 62;
/// An .xlsx body at the most (bytes).
pub const MAX_XLSX_BYTES: usize = 2 * 1024 * 1024;

/// Who reads the roster: the centre's staff.
fn may_read(me: &Actor) -> bool {
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

/// Who sets the roster: supervisors and administrators.
fn may_edit(me: &Actor) -> bool {
    me.has(Role::Supervisor) || me.has(Role::Admin)
}

/// A shift as given: its number from 0, or its name.
#[derive(schemars::JsonSchema, Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ShiftRef {
    /// Number in the day, from 0.
    Index(u32),
    /// Name (`早班`, `全天`).
    Name(String),
}

/// One entry of `PUT /roster`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryIn {
    /// Local date (`YYYY-MM-DD`) the shift starts on.
    pub date: String,
    /// The shift.
    pub shift: ShiftRef,
    /// Who.
    pub user_id: Id,
}

/// `PUT /roster`: the roster of every date named (by an entry or in `dates`) becomes exactly
/// the entries of that date.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutRoster {
    /// Company.
    pub company_id: Id,
    /// The entries.
    pub entries: Vec<EntryIn>,
    /// More dates to replace (a date without entries is emptied).
    #[serde(default)]
    pub dates: Vec<String>,
}

/// What a change did.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Changed {
    /// Dates replaced.
    pub dates: Vec<String>,
    /// Entries added.
    pub added: usize,
    /// Entries removed (kept as history).
    pub removed: usize,
}

/// A user on a shift.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct OnShift {
    /// User id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Staff number (工号).
    pub staff_no: Option<String>,
}

/// A shift of a date with who is on it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct SlotView {
    /// Local date it starts on.
    pub date: String,
    /// Number in the day, from 0.
    pub index: usize,
    /// Name.
    pub name: String,
    /// Start.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub start: i64,
    /// End.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub end: i64,
    /// Local start and end (`08:00–08:00`).
    pub hours: String,
    /// Who is on it.
    pub users: Vec<OnShift>,
}

/// A date of the month view.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct DayView {
    /// Local date.
    pub date: String,
    /// Its shifts.
    pub shifts: Vec<SlotView>,
}

/// `GET /roster?company_id=&month=`.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct MonthView {
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Its name.
    pub company_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The shift names of a day, in order.
    pub shift_names: Vec<String>,
    /// Every date of the month.
    pub days: Vec<DayView>,
}

/// The company's shift `s` as shown, with who is on it.
fn slot_view(c: &Company, s: &Slot, users: Vec<OnShift>) -> SlotView {
    SlotView {
        date: s.date.to_string(),
        index: s.index,
        name: s.name.clone(),
        start: utc_ms(c, s.start),
        end: utc_ms(c, s.end),
        hours: format!("{}–{}", s.start.format("%H:%M"), s.end.format("%H:%M")),
        users,
    }
}

fn on_shift(e: RosterEntry) -> OnShift {
    OnShift {
        id: e.user_id,
        login: e.login,
        name: e.name,
        staff_no: e.staff_no,
    }
}

/// A local time of the company as stored (ms).
fn utc_ms(c: &Company, t: NaiveDateTime) -> i64 {
    c.offset()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
        .unwrap_or_default()
}

fn local_now(app: &App, c: &Company) -> NaiveDateTime {
    from_ms(app.now_ms())
        .with_timezone(&c.offset())
        .naive_local()
}

fn parse_date(field: &str, s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| AppError::invalid(field, format!("{field} is a date YYYY-MM-DD, got {s:?}")))
}

fn shift_index(shifts: &Shifts, field: &str, s: &ShiftRef) -> AppResult<usize> {
    let i = match s {
        ShiftRef::Index(i) => Some(*i as usize).filter(|i| *i < shifts.starts.len()),
        ShiftRef::Name(n) => (0..shifts.starts.len()).find(|i| shift::name(shifts, *i) == n.trim()),
    };
    i.ok_or_else(|| {
        let names: Vec<String> = (0..shifts.starts.len())
            .map(|i| format!("{i} {}", shift::name(shifts, i)))
            .collect();
        AppError::invalid(
            field,
            format!(
                "{field} names no shift of the company (shifts: {})",
                names.join(", ")
            ),
        )
    })
}

/// The company's enabled users by id.
async fn staff(app: &App, c: &Company) -> AppResult<HashMap<i64, User>> {
    Ok(app
        .store
        .users(Some(c.id))
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| (u.id, u))
        .collect())
}

/// Replaces the roster of `dates` with `entries` (already checked).
async fn replace(
    app: &App,
    me: &Actor,
    c: &Company,
    dates: BTreeSet<String>,
    entries: Vec<RosterSet>,
    source: &str,
) -> AppResult<Changed> {
    if dates.len() > MAX_DAYS {
        return Err(AppError::invalid(
            "entries",
            format!("at most {MAX_DAYS} dates at a time"),
        ));
    }
    let ch = app
        .store
        .replace_roster(c.id, &dates, &entries, source, Some(me.id), app.now_ms())
        .await?;
    Ok(Changed {
        dates: dates.into_iter().collect(),
        added: ch.added,
        removed: ch.removed,
    })
}

/// `PUT /roster`: the roster of each date named becomes exactly its entries; the same request
/// twice changes nothing. Removed entries are kept as history, every change is an event.
pub async fn put(app: &App, me: &Actor, b: PutRoster) -> AppResult<Changed> {
    put_from(app, me, b, "api").await
}

/// [`put`], recording where the change came from (`api`, `form`, `demo`).
pub async fn put_from(app: &App, me: &Actor, b: PutRoster, source: &str) -> AppResult<Changed> {
    if !may_edit(me) {
        return Err(AppError::Forbidden);
    }
    let c = company_for(app, me, "company_id", b.company_id.0).await?;
    if b.entries.len() > MAX_ENTRIES {
        return Err(AppError::invalid(
            "entries",
            format!("at most {MAX_ENTRIES} entries at a time"),
        ));
    }
    let shifts = company_policy(&c)?.shifts;
    let users = staff(app, &c).await?;
    let mut dates = BTreeSet::new();
    for (i, d) in b.dates.iter().enumerate() {
        dates.insert(parse_date(&format!("dates[{i}]"), d)?.to_string());
    }
    let mut entries = Vec::with_capacity(b.entries.len());
    for (i, e) in b.entries.iter().enumerate() {
        let date = parse_date(&format!("entries[{i}].date"), &e.date)?.to_string();
        let index = shift_index(&shifts, &format!("entries[{i}].shift"), &e.shift)?;
        if !users.contains_key(&e.user_id.0) {
            let f = format!("entries[{i}].user_id");
            return Err(AppError::invalid(
                &f,
                format!("{f} names no enabled user of the company"),
            ));
        }
        dates.insert(date.clone());
        entries.push(RosterSet {
            day: date,
            shift: index as i64,
            user_id: e.user_id.0,
        });
    }
    replace(app, me, &c, dates, entries, source).await
}

/// `GET /roster?company_id=&month=YYYY-MM` (default: this month): every date's shifts with who
/// is on them.
pub async fn month(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    month: Option<&str>,
) -> AppResult<MonthView> {
    if !may_read(me) {
        return Err(AppError::Forbidden);
    }
    let c = chosen_company(app, me, "company_id", company).await?;
    let first = match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => parse_date("month", &format!("{m}-01"))
            .map_err(|_| AppError::invalid("month", format!("month is YYYY-MM, got {m:?}")))?,
        None => local_now(app, &c).date().with_day(1).unwrap_or_default(),
    };
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let last = next.pred_opt().unwrap_or(first);
    let shifts = company_policy(&c)?.shifts;
    let mut by_slot: HashMap<(String, i64), Vec<OnShift>> = HashMap::new();
    for e in app
        .store
        .roster(c.id, &first.to_string(), &last.to_string())
        .await?
    {
        by_slot
            .entry((e.day.clone(), e.shift))
            .or_default()
            .push(on_shift(e));
    }
    let days = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| DayView {
            date: d.to_string(),
            shifts: shift::of_day(&shifts, d)
                .iter()
                .map(|s| {
                    let users = by_slot
                        .remove(&(d.to_string(), s.index as i64))
                        .unwrap_or_default();
                    slot_view(&c, s, users)
                })
                .collect(),
        })
        .collect();
    Ok(MonthView {
        company_id: c.id,
        company_name: c.name.clone(),
        month: first.format("%Y-%m").to_string(),
        shift_names: (0..shifts.starts.len())
            .map(|i| shift::name(&shifts, i))
            .collect(),
        days,
    })
}

/// `GET /shifts/current?company_id=`: the shift now and who is on it.
pub async fn current(app: &App, me: &Actor, company: Option<i64>) -> AppResult<SlotView> {
    let c = chosen_company(app, me, "company_id", company).await?;
    let shifts = company_policy(&c)?.shifts;
    let s = shift::containing(&shifts, local_now(app, &c));
    let users = app
        .store
        .roster_slot(c.id, &s.date.to_string(), s.index as i64)
        .await?
        .into_iter()
        .map(on_shift)
        .collect();
    Ok(slot_view(&c, &s, users))
}

/// The company's enabled staff, to choose from in the day editor (supervisors and
/// administrators).
pub async fn choices(app: &App, me: &Actor, company: i64) -> AppResult<Vec<OnShift>> {
    if !may_edit(me) {
        return Err(AppError::Forbidden);
    }
    let c = company_for(app, me, "company_id", company).await?;
    let mut users: Vec<OnShift> = staff(app, &c)
        .await?
        .into_values()
        .map(|u| OnShift {
            id: u.id,
            login: u.login,
            name: u.name,
            staff_no: u.staff_no,
        })
        .collect();
    users.sort_by_key(|u| u.id);
    Ok(users)
}

/// Whether `me` may change the roster.
pub fn may_change(me: &Actor) -> bool {
    may_edit(me)
}

/// A change of the roster as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct EventView {
    /// Shift number.
    pub shift: i64,
    /// Who was added or removed.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub user_id: i64,
    /// `added` or `removed`.
    pub kind: String,
    /// `api`, `import`, `form` or `demo`.
    pub source: String,
    /// Who changed it.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub actor_id: Option<i64>,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
}

/// The changes of one date's roster (the day editor's history).
pub async fn history(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    date: &str,
) -> AppResult<Vec<EventView>> {
    if !may_read(me) {
        return Err(AppError::Forbidden);
    }
    let c = chosen_company(app, me, "company_id", company).await?;
    let day = parse_date("date", date)?.to_string();
    Ok(app
        .store
        .roster_events(c.id, &day)
        .await?
        .into_iter()
        .map(|e| EventView {
            shift: e.shift,
            user_id: e.user_id,
            kind: e.kind,
            source: e.source,
            actor_id: e.actor_id,
            at: e.at,
        })
        .collect())
}

// ---------- import ----------

/// The columns of an import sheet, by their header.
struct Columns {
    date: usize,
    shift: usize,
    user: usize,
}

const DATE_HEADS: [&str; 2] = ["日期", "date"];
const SHIFT_HEADS: [&str; 2] = ["班次", "shift"];
const USER_HEADS: [&str; 5] = ["工号/登录名", "工号", "登录名", "login", "staff_no"];

fn columns(head: &[calamine::Data]) -> AppResult<Columns> {
    let find = |names: &[&str], what: &str| {
        head.iter()
            .position(|c| names.contains(&c.to_string().trim().to_lowercase().as_str()))
            .ok_or_else(|| {
                AppError::invalid(
                    "row 1",
                    format!(
                        "row 1: the header has no column {what} (columns: 日期, 班次, 工号/登录名)"
                    ),
                )
            })
    };
    Ok(Columns {
        date: find(&DATE_HEADS, "日期")?,
        shift: find(&SHIFT_HEADS, "班次")?,
        user: find(&USER_HEADS, "工号/登录名")?,
    })
}

/// A date cell: a date, an Excel date number, or text `YYYY-MM-DD` (or `YYYY/MM/DD`).
fn cell_date(c: &calamine::Data) -> Option<NaiveDate> {
    use calamine::Data;
    let serial = |f: f64| {
        NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|d| d.checked_add_signed(chrono::Duration::days(f.floor() as i64)))
    };
    let d = match c {
        Data::DateTime(d) => serial(d.as_f64()),
        Data::Float(f) => serial(*f),
        Data::Int(i) => serial(*i as f64),
        Data::String(s) | Data::DateTimeIso(s) => {
            let s = s.trim().replace('/', "-");
            NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d").ok()
        }
        _ => None,
    }?;
    (2000..=2100).contains(&d.year()).then_some(d)
}

/// Text of a cell (a whole number without its `.0`).
fn cell_text(c: &calamine::Data) -> String {
    match c {
        calamine::Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        c => c.to_string().trim().to_string(),
    }
}

fn column_letter(i: usize) -> String {
    let mut n = i + 1;
    let mut s = String::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.insert(0, (b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    s
}

fn bad_cell(row: usize, col: usize, head: &str, why: String) -> AppError {
    AppError::invalid(
        &format!("row {row} {head}"),
        format!("row {row}, column {head} ({}): {why}", column_letter(col)),
    )
}

/// The first sheet's rows, header first.
fn sheet(bytes: &[u8]) -> AppResult<Vec<Vec<calamine::Data>>> {
    use calamine::Reader;
    let bad = |e: String| AppError::invalid("body", format!("not an .xlsx workbook: {e}"));
    let mut wb =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| bad("the workbook has no sheet".into()))?
        .map_err(|e| bad(e.to_string()))?;
    Ok(range.rows().map(|r| r.to_vec()).collect())
}

/// `POST /roster/import?company_id=` with an .xlsx body (columns 日期, 班次, 工号/登录名; the
/// shift by name or number from 1): the roster of every date in the sheet becomes its rows. A
/// bad row is refused naming its row and column, and nothing is written.
pub async fn import(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    bytes: &[u8],
) -> AppResult<Changed> {
    if !may_edit(me) {
        return Err(AppError::Forbidden);
    }
    let c = chosen_company(app, me, "company_id", company).await?;
    if bytes.len() > MAX_XLSX_BYTES {
        return Err(AppError::invalid(
            "body",
            format!("an import is at most {MAX_XLSX_BYTES} bytes"),
        ));
    }
    let rows = sheet(bytes)?;
    let Some((head, body)) = rows.split_first() else {
        return Err(AppError::invalid("body", "the sheet is empty"));
    };
    if body.len() > MAX_ENTRIES {
        return Err(AppError::invalid(
            "body",
            format!("at most {MAX_ENTRIES} rows at a time"),
        ));
    }
    let cols = columns(head)?;
    let shifts = company_policy(&c)?.shifts;
    let users = staff(app, &c).await?;
    let by_key: HashMap<&str, i64> = users
        .values()
        .flat_map(|u| {
            let staff_no = u.staff_no.as_deref().map(|s| (s, u.id));
            staff_no.into_iter().chain([(u.login.as_str(), u.id)])
        })
        .collect();
    let empty = calamine::Data::Empty;
    let mut dates = BTreeSet::new();
    let mut entries = Vec::new();
    for (i, r) in body.iter().enumerate() {
        let row = i + 2;
        let cell = |k: usize| r.get(k).unwrap_or(&empty);
        if [cols.date, cols.shift, cols.user]
            .iter()
            .all(|k| cell_text(cell(*k)).is_empty())
        {
            continue;
        }
        let date = cell_date(cell(cols.date)).ok_or_else(|| {
            let got = cell_text(cell(cols.date));
            bad_cell(
                row,
                cols.date,
                "日期",
                format!("not a date YYYY-MM-DD: {got:?}"),
            )
        })?;
        let shift_text = cell_text(cell(cols.shift));
        let index = shift::index_of(&shifts, &shift_text).ok_or_else(|| {
            let names: Vec<String> = (0..shifts.starts.len())
                .map(|i| shift::name(&shifts, i))
                .collect();
            let why = format!("no shift {shift_text:?} (shifts: {})", names.join(", "));
            bad_cell(row, cols.shift, "班次", why)
        })?;
        let who = cell_text(cell(cols.user));
        let user = by_key.get(who.as_str()).copied().ok_or_else(|| {
            let why = format!("no enabled user of the company with 工号 or login {who:?}");
            bad_cell(row, cols.user, "工号/登录名", why)
        })?;
        dates.insert(date.to_string());
        entries.push(RosterSet {
            day: date.to_string(),
            shift: index as i64,
            user_id: user,
        });
    }
    if entries.is_empty() {
        return Err(AppError::invalid("body", "the sheet has no rows"));
    }
    replace(app, me, &c, dates, entries, "import").await
}

// ---------- the page header ----------

/// How long the page header keeps a company's shifts before reading them again.
const HEAD_TTL: Duration = Duration::from_secs(60);

/// The companies' shifts and zones the page header reads, kept a minute: the header costs no
/// query on most pages.
#[derive(Default)]
pub struct HeadCache(Mutex<HashMap<i64, (Instant, Shifts, chrono::FixedOffset)>>);

/// The shift now as the page header shows it: its name and hours (`全天 12-01 08:00–12-02
/// 08:00`). None for group-level users or a company without a readable policy.
pub async fn header(app: &App, me: &Actor) -> Option<String> {
    let company = me.company_id?;
    let cached = app.shift_heads.0.lock().ok().and_then(|m| {
        m.get(&company)
            .filter(|(at, _, _)| at.elapsed() < HEAD_TTL)
            .map(|(_, s, o)| (s.clone(), *o))
    });
    let (shifts, offset) = match cached {
        Some(x) => x,
        None => {
            let c = app.store.company(company).await.ok()?;
            let shifts = c.policy().ok()?.shifts;
            if let Ok(mut m) = app.shift_heads.0.lock() {
                m.insert(company, (Instant::now(), shifts.clone(), c.offset()));
            }
            (shifts, c.offset())
        }
    };
    let now = from_ms(app.now_ms()).with_timezone(&offset).naive_local();
    let s = shift::containing(&shifts, now);
    Some(format!(
        "{} {}–{}",
        s.name,
        s.start.format("%m-%d %H:%M"),
        s.end.format("%m-%d %H:%M")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_like_excel() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(2), "C");
        assert_eq!(column_letter(26), "AA");
    }

    #[test]
    fn date_cells_are_read_from_numbers_and_text() {
        use calamine::Data;
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(cell_date(&Data::String("2026-12-01".into())), Some(d));
        assert_eq!(cell_date(&Data::String("2026/12/01".into())), Some(d));
        // Excel's serial day of 2026-12-01.
        assert_eq!(cell_date(&Data::Float(46357.0)), Some(d));
        assert_eq!(cell_date(&Data::String("明天".into())), None);
    }
}
