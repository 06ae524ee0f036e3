//! The holiday calendar every company shares: the years in use, the ones missing (deadlines
//! there are provisional), and a new calendar file installed for the next start.

use std::path::Path;

use chrono::Datelike;
use rexian_domain::calendar::BusinessCalendar;
use serde::Serialize;

use crate::tenancy::require_group_admin;
use crate::{Actor, App, AppError, AppResult};

/// The calendar in use.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CalendarView {
    /// Years with holiday data.
    pub years: Vec<i32>,
    /// This year or next without.
    pub missing: Vec<i32>,
    /// What a missing year means, when one is.
    pub warning: Option<String>,
}

/// The years with holiday data, and a warning for this or next year without (deadlines there
/// are provisional: weekends only).
pub fn in_use(app: &App) -> CalendarView {
    let year = app.clock.now().year();
    let missing = app.calendar.missing_years(year, year + 1);
    let warning = (!missing.is_empty()).then(|| {
        format!("no holiday data for {missing:?}: deadlines there are provisional; load the State Council notice with `rexian calendar load`")
    });
    CalendarView {
        years: app.calendar.years(),
        missing,
        warning,
    }
}

/// Installs calendar file `text` (already read as `cal`) at `dest`, used from the next start:
/// written next to its place and renamed, then recorded (group administrators only).
pub async fn install(
    app: &App,
    me: &Actor,
    dest: &Path,
    text: &str,
    cal: &BusinessCalendar,
) -> AppResult<()> {
    require_group_admin(me)?;
    let tmp = dest.with_extension("toml.new");
    let io = |e: std::io::Error| AppError::Internal(anyhow::anyhow!("installing calendar: {e}"));
    if let Some(dir) = dest.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
    }
    tokio::fs::write(&tmp, text).await.map_err(io)?;
    tokio::fs::rename(&tmp, dest).await.map_err(io)?;
    app.store
        .audit(
            "calendar",
            0,
            "calendar_installed",
            Some(me.id),
            app.now_ms(),
            &serde_json::json!({"years": cal.years()}),
        )
        .await?;
    tracing::info!(user.id = me.id, years = ?cal.years(), "calendar installed for the next start");
    Ok(())
}

/// The years of the calendar file at `path` (installed for the next start), if one is there.
pub async fn installed_years(path: &Path) -> Option<Vec<i32>> {
    let text = tokio::fs::read_to_string(path).await.ok()?;
    BusinessCalendar::from_toml(&text).ok().map(|c| c.years())
}
