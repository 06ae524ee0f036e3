//! The web console: server-rendered pages (askama) with htmx, every asset embedded.

mod admin;
mod away;
mod checklist;
mod common;
mod field;
mod halls;
mod intake;
mod kb;
mod ledger;
pub mod live;
mod measure;
mod orders;
mod outages;
mod portal;
mod queues;
mod reports;
mod roster;
mod settings;
mod shifts;
mod supervise;
mod water;
mod worklist;

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use rexian_domain::model::Role;

use crate::auth::{self, CurrentUser, SESSION_COOKIE};
use crate::error::AppError;
use crate::i18n::{Lang, Msgs};
use crate::AppState;

/// The UI routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", post(set_lang))
        .route("/queues/stream", get(live::stream))
        .merge(admin::routes())
        .merge(away::routes())
        .merge(intake::routes())
        .merge(checklist::routes())
        .merge(kb::routes())
        .merge(outages::routes())
        .merge(queues::routes())
        .merge(orders::routes())
        .merge(field::routes())
        .merge(measure::routes())
        .merge(reports::routes())
        .merge(supervise::routes())
        .merge(settings::routes())
        .merge(ledger::routes())
        .merge(shifts::routes())
        .merge(halls::routes())
        .merge(portal::routes())
        .merge(water::routes())
        .merge(roster::routes())
}

/// What every page's header needs to know of the user.
pub struct PageUser {
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Role labels in the page's language.
    pub role_names: Vec<String>,
    /// Shows the admin links.
    pub is_admin: bool,
    /// CSRF secret for the page's forms.
    pub csrf: String,
    /// Shows the intake link (agents and the centre).
    pub can_intake: bool,
    /// Shows the field worker's list.
    pub is_field: bool,
    /// Shows the reports link.
    pub can_report: bool,
    /// Shows the supervisor's screen link.
    pub can_supervise: bool,
    /// Shows the assessment ledger and month-end links.
    pub can_ledger: bool,
    /// Shows the handover and duty-log links (the centre's shifts).
    pub can_hand_over: bool,
    /// Shows the hall checks link.
    pub can_halls: bool,
    /// Shows the roster link (the centre's staff).
    pub can_roster: bool,
    /// The shift now of the user's company (`全天 12-01 08:00–12-02 08:00`).
    pub shift: Option<String>,
}

impl PageUser {
    /// The header data of `u`.
    pub fn of(u: &CurrentUser, t: &Msgs) -> Self {
        PageUser {
            login: u.login.clone(),
            name: u.name.clone(),
            role_names: u
                .roles
                .iter()
                .map(|r| t.get(&format!("role.{}", r.as_str())))
                .collect(),
            is_admin: u.has(Role::Admin),
            csrf: u.csrf.clone().unwrap_or_default(),
            can_intake: [Role::Agent, Role::Dispatcher, Role::Supervisor, Role::Admin]
                .iter()
                .any(|r| u.has(*r)),
            is_field: u.has(Role::FieldWorker),
            can_report: [
                Role::Supervisor,
                Role::Assessor,
                Role::Admin,
                Role::Dispatcher,
            ]
            .iter()
            .any(|r| u.has(*r)),
            can_supervise: u.has(Role::Supervisor) || u.has(Role::Admin),
            can_ledger: [Role::Supervisor, Role::Assessor, Role::Admin]
                .iter()
                .any(|r| u.has(*r)),
            can_hand_over: [
                Role::Agent,
                Role::Dispatcher,
                Role::CallbackAgent,
                Role::Supervisor,
                Role::Admin,
            ]
            .iter()
            .any(|r| u.has(*r)),
            can_roster: [
                Role::Agent,
                Role::Dispatcher,
                Role::CallbackAgent,
                Role::Supervisor,
                Role::Admin,
            ]
            .iter()
            .any(|r| u.has(*r)),
            can_halls: rexian_app::halls::may_check(u),
            shift: u.shift.clone(),
        }
    }
}

/// Renders a template into a response; a render failure is an internal error.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => AppError::Internal(anyhow::anyhow!("rendering template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    message: String,
}

/// An error shown as a page (forms), with the status of the API error.
pub fn error_page(t: Msgs, u: &CurrentUser, e: AppError) -> Response {
    let (status, _) = e.parts();
    if let AppError::Internal(err) = &e {
        tracing::error!(error = ?err, "page failed");
    }
    let message = match (&e, e.field()) {
        (AppError::Internal(_), _) => "internal error".to_owned(),
        (_, Some(f)) => format!("{f}: {e}"),
        _ => e.to_string(),
    };
    let page = ErrorPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash: None,
        message,
    };
    (status, render(&page)).into_response()
}

/// Serves an embedded asset.
pub async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, ctype): (&'static [u8], &str) = match file.as_str() {
        "app.css" => (
            include_bytes!("../../assets/app.css"),
            "text/css; charset=utf-8",
        ),
        "app.js" => (
            include_bytes!("../../assets/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "htmx.min.js" => (
            include_bytes!("../../assets/htmx.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "htmx-ext-sse.min.js" => (
            include_bytes!("../../assets/htmx-ext-sse.min.js"),
            "text/javascript; charset=utf-8",
        ),
        // The field worker's forms kept in the browser without signal (`ui::field`).
        "offline.js" => (
            include_bytes!("../../assets/offline.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return AppError::NotFound.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    error: Option<String>,
    csrf: String,
}

/// Cookie of the login form's CSRF secret (double submit: the form carries the same value).
/// Without it, another site could sign a browser in to an account of the attacker's choosing.
const LOGIN_CSRF_COOKIE: &str = "rexian_login_csrf";

/// The login page, with the form's CSRF secret in the cookie (kept when it is already set, so
/// that two tabs both work) and in the form.
fn login_form(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(headers),
    };
    let csrf = auth::cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(auth::random_secret, str::to_owned);
    let secure = if app.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{secure}");
    let page = LoginPage {
        t,
        user: None,
        flash: None,
        error,
        csrf,
    };
    (status, [(header::SET_COOKIE, cookie)], render(&page)).into_response()
}

async fn login_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    login_form(&app, &headers, StatusCode::OK, None)
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn login_submit(
    State(app): State<AppState>,
    client: auth::ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !auth::constant_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        let error = Some(t.get("login.expired"));
        return login_form(&app, &headers, StatusCode::FORBIDDEN, error);
    }
    match auth::login(&app, client, &f.login, &f.password, "web").await {
        Ok(l) => {
            let secure = if app.settings.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let max_age = app.settings.session_ttl_minutes * 60;
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
                l.token
            );
            let spent =
                format!("{LOGIN_CSRF_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
            (
                axum::response::AppendHeaders([
                    (header::SET_COOKIE, cookie),
                    (header::SET_COOKIE, spent),
                ]),
                Redirect::to("/"),
            )
                .into_response()
        }
        Err(auth::LoginError::Refused) => login_form(
            &app,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some(t.get("login.failed")),
        ),
        Err(auth::LoginError::Throttled { retry_after }) => {
            let mut res = login_form(
                &app,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                Some(t.get("login.locked")),
            );
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(auth::LoginError::Other(e)) => {
            if let AppError::Internal(err) = &e {
                tracing::error!(error = ?err, "login failed");
            }
            login_form(&app, &headers, e.parts().0, Some(t.get("error.title")))
        }
    }
}

async fn logout(State(app): State<AppState>, Extension(u): Extension<CurrentUser>) -> Response {
    if let Err(e) = rexian_app::session::revoke(&app, &u, u.token_id).await {
        tracing::warn!(error = ?e, user.id = u.id, "logout could not revoke the session");
    }
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
}

async fn set_lang(headers: HeaderMap, Form(f): Form<LangForm>) -> Response {
    let v = if f.lang == "en" { "en" } else { "zh" };
    let back = same_origin_path(&headers).unwrap_or_else(|| "/".to_owned());
    let cookie = format!("lang={v}; Path=/; SameSite=Lax; Max-Age=31536000");
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

/// The path (and query) of the `Referer` when it is a page of this site: same host as the
/// request, and a path that a browser cannot read as another host (`//x`, `/\\x`).
fn same_origin_path(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("https://")
        .or_else(|| referer.strip_prefix("http://"))?;
    let (authority, path) = rest.split_at(rest.find('/')?);
    if !authority.eq_ignore_ascii_case(host) {
        return None;
    }
    let path = path.split('#').next().unwrap_or("/");
    let unsafe_start = path.starts_with("//") || path.starts_with("/\\");
    let clean = path.bytes().all(|b| b.is_ascii_graphic()) && !path.contains('\\');
    (!unsafe_start && clean).then(|| path.to_owned())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    company: Option<String>,
    unit: Option<String>,
}

async fn home(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let (company, unit) = rexian_app::org::placement(&app, &u).await;
    render(&HomePage {
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        company,
        unit,
    })
}

#[cfg(test)]
mod catalogue_tests {
    use crate::i18n::{keys, Lang};
    use rexian_domain::model::{Category, Channel, DeadlineKind, Role, Satisfaction, Status};

    /// Every `t.get("…")` key of every template, and every key the code builds from an enum,
    /// is in both catalogues; the catalogues have the same keys.
    #[test]
    fn every_ui_string_is_in_both_catalogues() {
        let zh = keys(Lang::Zh);
        let en = keys(Lang::En);
        assert_eq!(zh, en, "zh-CN and en catalogues differ");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut wanted = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("templates dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("template");
            for part in text.split("t.get(\"").skip(1) {
                if let Some(end) = part.find('"') {
                    wanted.push((path.display().to_string(), part[..end].to_owned()));
                }
            }
        }
        for (prefix, names) in enum_names() {
            for n in names {
                wanted.push(("enum".into(), format!("{prefix}.{n}")));
            }
        }
        // Subtypes of every preset.
        for (name, _) in rexian_domain::policy::PRESETS {
            let p = rexian_domain::policy::Policy::preset(name).expect("preset");
            for list in p.subtypes.values() {
                for s in list {
                    wanted.push((format!("policy {name}"), format!("subtype.{s}")));
                }
            }
        }
        let missing: Vec<_> = wanted.iter().filter(|(_, k)| !zh.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues: {missing:?}"
        );
    }

    /// Every key the code builds from an enum: (prefix, names).
    fn enum_names() -> Vec<(&'static str, Vec<&'static str>)> {
        let enums = vec![
            (
                "category",
                Category::ALL.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
            ),
            ("channel", Channel::ALL.iter().map(|x| x.as_str()).collect()),
            ("status", Status::ALL.iter().map(|x| x.as_str()).collect()),
            (
                "deadline",
                DeadlineKind::ALL.iter().map(|x| x.as_str()).collect(),
            ),
            ("role", Role::ALL.iter().map(|x| x.as_str()).collect()),
            (
                "satisfaction",
                Satisfaction::ALL.iter().map(|x| x.as_str()).collect(),
            ),
        ];
        let kb = vec![
            (
                "kbcat",
                rexian_domain::kb::KbCategory::ALL
                    .iter()
                    .map(|x| x.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                "kbstate",
                rexian_domain::kb::KbState::ALL
                    .iter()
                    .map(|x| x.as_str())
                    .collect(),
            ),
            (
                "kbevent",
                rexian_domain::kb::KbAction::ALL
                    .iter()
                    .map(|x| x.event())
                    .chain(["created", "edited", "superseded"])
                    .collect(),
            ),
            (
                "kbdone",
                rexian_domain::kb::KbAction::ALL
                    .iter()
                    .map(|x| x.as_str())
                    .chain(["created", "edited"])
                    .collect(),
            ),
            (
                "search",
                rexian_app::search::KINDS
                    .iter()
                    .map(|k| match *k {
                        "order" => "kind_order",
                        "customer" => "kind_customer",
                        "contact" => "kind_contact",
                        "outage" => "kind_outage",
                        _ => "kind_article",
                    })
                    .collect(),
            ),
        ];
        enums.into_iter().chain(kb).collect()
    }
}
