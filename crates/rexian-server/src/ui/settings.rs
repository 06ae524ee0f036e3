//! Admin screens for the rules as data: each company's time-limit policy (preset plus override,
//! checked with line and reason before it is saved) and the holiday calendar years (with a
//! warning for a missing current or next year, and checking and installing a new year file).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use rexian_domain::calendar::BusinessCalendar;
use rexian_domain::policy::PolicyError;

use super::common::{field, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::tenancy::{admin_scope, require_group_admin, AdminScope};
use crate::AppState;
use rexian_app::{calendar, org};

/// Policy and calendar routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/policies", get(policies))
        .route("/admin/policies/{id}", post(policy_submit))
        .route("/admin/calendar", get(calendar).post(calendar_submit))
}

/// The outcome of a check or save, shown under the company's form.
pub struct Outcome {
    ok: bool,
    message: String,
}

/// One company's policy.
pub struct PolicyRow {
    id: i64,
    name: String,
    preset: String,
    override_text: String,
    effective: String,
    outcome: Option<Outcome>,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    rows: Vec<PolicyRow>,
}

/// A policy error as the page says it: `第 3 行：reason` / `line 3: reason`.
fn policy_message(t: &Msgs, e: &PolicyError) -> String {
    match e.line {
        Some(l) => format!(
            "{}{l}{}{}",
            t.get("policy.line_pre"),
            t.get("policy.line_post"),
            e.reason
        ),
        None => e.reason.clone(),
    }
}

/// The page, with what was typed and the outcome for company `focus`.
async fn policies_page(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    focus: Option<(i64, String, Outcome)>,
) -> AppResult<PoliciesPage> {
    let mut focus = focus;
    let mut rows = Vec::new();
    for c in org::companies(app).await? {
        if u.company_id.is_some_and(|own| own != c.id) {
            continue;
        }
        let p = org::policy(app, c.id).await?;
        let (override_text, outcome) = match focus.take_if(|(id, _, _)| *id == c.id) {
            Some((_, text, o)) => (text, Some(o)),
            None => (p.policy_override.unwrap_or_default(), None),
        };
        rows.push(PolicyRow {
            id: c.id,
            name: c.name,
            preset: p.preset,
            override_text,
            effective: p.effective,
            outcome,
        });
    }
    Ok(PoliciesPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        rows,
    })
}

async fn policies(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    let t = msgs(&headers);
    match policies_page(&app, t, &u, None).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

/// `action=check` checks the override against the company's preset; `action=save` stores it
/// through the API's own call (which checks it again and records the change).
async fn policy_submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let text = field(&f, "override").replace("\r\n", "\n");
    let r: AppResult<(i64, Outcome)> = async {
        let cid = parse_id("id", &id)?;
        let checked = org::check_policy(&app, &u, cid, &text).await?;
        let outcome = match field(&f, "action") {
            "check" => match checked {
                Ok(()) if text.trim().is_empty() => Outcome {
                    ok: true,
                    message: t.get("policy.empty_ok"),
                },
                Ok(()) => Outcome {
                    ok: true,
                    message: t.get("policy.check_ok"),
                },
                Err(e) => Outcome {
                    ok: false,
                    message: policy_message(&t, &e),
                },
            },
            "save" => match org::set_policy(&app, &u, cid, Some(text.clone())).await {
                Ok(_) => Outcome {
                    ok: true,
                    message: t.get("policy.saved"),
                },
                // The use case names the override field; say the line and reason again.
                Err(AppError::InvalidInput { .. }) => Outcome {
                    ok: false,
                    message: match checked {
                        Err(e) => policy_message(&t, &e),
                        Ok(()) => t.get("policy.not_saved"),
                    },
                },
                Err(e) => return Err(e),
            },
            other => {
                return Err(AppError::invalid(
                    "action",
                    format!("action must be check or save, got {other:?}"),
                ))
            }
        };
        Ok((cid, outcome))
    }
    .await;
    match r {
        Ok((cid, outcome)) => {
            let status = if outcome.ok {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            match policies_page(&app, t, &u, Some((cid, text, outcome))).await {
                Ok(p) => (status, render(&p)).into_response(),
                Err(e) => error_page(t, &u, e),
            }
        }
        Err(e) => error_page(t, &u, e),
    }
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    years: Vec<i32>,
    missing: Vec<i32>,
    installed: Option<Vec<i32>>,
    text: String,
    outcome: Option<Outcome>,
    /// Whether the viewer may install a calendar (a group administrator).
    group: bool,
}

/// The file `rexian serve` reads its calendar from at start (in the data dir).
fn installed_path(app: &AppState) -> std::path::PathBuf {
    app.settings.data_dir.join(crate::CALENDAR_FILE)
}

async fn calendar_page(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    text: String,
    outcome: Option<Outcome>,
) -> CalendarPage {
    let in_use = calendar::in_use(app);
    CalendarPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        years: in_use.years,
        missing: in_use.missing,
        installed: calendar::installed_years(&installed_path(app)).await,
        text,
        outcome,
        group: admin_scope(u) == Some(AdminScope::Group),
    }
}

async fn calendar(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    let t = msgs(&headers);
    render(&calendar_page(&app, t, &u, String::new(), None).await)
}

/// `action=check` validates a calendar file; `action=install` validates it and installs it as
/// the data dir's calendar, used from the next start (as `rexian calendar load` does).
async fn calendar_submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    // The calendar is shared by every company: a group administrator's change.
    if let Err(e) = require_group_admin(&u) {
        return error_page(t, &u, e);
    }
    let text = field(&f, "calendar").replace("\r\n", "\n");
    let action = field(&f, "action");
    if action != "check" && action != "install" {
        let e = AppError::invalid(
            "action",
            format!("action must be check or install, got {action:?}"),
        );
        return error_page(t, &u, e);
    }
    if text.trim().is_empty() {
        return error_page(
            t,
            &u,
            AppError::invalid("calendar", "paste or choose a calendar file"),
        );
    }
    let cal = match BusinessCalendar::from_toml(&text) {
        Ok(c) => c,
        Err(e) => {
            let o = Outcome {
                ok: false,
                message: e.to_string(),
            };
            let page = calendar_page(&app, t, &u, text, Some(o)).await;
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
    };
    let years = cal
        .years()
        .iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if action == "check" {
        let o = Outcome {
            ok: true,
            message: format!("{}{years}", t.get("cal.check_ok")),
        };
        return render(&calendar_page(&app, t, &u, text, Some(o)).await);
    }
    match calendar::install(&app, &u, &installed_path(&app), &text, &cal).await {
        Ok(()) => Redirect::to("/admin/calendar").into_response(),
        Err(e) => error_page(t, &u, e),
    }
}
