//! The customer portal `/p` (issue 20): no login, phone-sized, plain HTML forms that work
//! without JavaScript (it opens inside WeChat's browser). Submit a demand, track it by number
//! and phone, read the outage notices of an address, answer a callback link once. Nothing
//! internal is shown: the customer's own words and the portal's plain steps only.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rexian_app::portal::{self, LinkAnswer, PublicCustomer, PublicOrder, VerifyInput};
use rexian_app::ser::Id;
use rexian_domain::model::Category;
use rexian_domain::policy::china_offset;
use rexian_domain::portal::LinkState;
use serde::Deserialize;

use super::common::{local_time, msgs};
use super::render;
use crate::auth::ClientAddr;
use crate::error::AppError;
use crate::i18n::Msgs;
use crate::portal_limits::Counted;
use crate::throttle::ClientKey;
use crate::AppState;

/// Portal routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/p", get(home))
        .route("/p/orders", post(submit))
        .route("/p/verify", post(verify))
        .route("/p/track", get(track))
        .route("/p/outages", get(outages))
        .route("/p/s/{token}", get(link_page).post(link_answer))
}

/// A notice as the page lists it.
struct Notice {
    kind: String,
    cause: String,
    area: String,
    start: String,
    end: String,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Page {
    t: Msgs,
    view: &'static str,
    error: Option<String>,
    notice: Option<String>,
    company_id: String,
    companies: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    category: String,
    description: String,
    name: String,
    phone: String,
    address: String,
    verify: bool,
    number: String,
    status_label: String,
    steps: Vec<(String, String)>,
    outages: Vec<Notice>,
    token: String,
    link_state: &'static str,
}

impl Page {
    fn new(t: Msgs, view: &'static str) -> Page {
        Page {
            t,
            view,
            error: None,
            notice: None,
            company_id: String::new(),
            companies: Vec::new(),
            categories: Category::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), t.get(&format!("category.{c}"))))
                .collect(),
            category: "repair".into(),
            description: String::new(),
            name: String::new(),
            phone: String::new(),
            address: String::new(),
            verify: false,
            number: String::new(),
            status_label: String::new(),
            steps: Vec::new(),
            outages: Vec::new(),
            token: String::new(),
            link_state: "",
        }
    }

    fn with(self, status: StatusCode) -> Response {
        (status, render(&self)).into_response()
    }
}

/// The form of a demand (and of the code request, sent by the same form).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DemandForm {
    company_id: String,
    category: String,
    description: String,
    name: String,
    phone: String,
    address: String,
    code: String,
}

/// The query naming the company.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CompanyQuery {
    company_id: String,
}

/// The home page: the company's forms, or the chooser of companies.
async fn home(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CompanyQuery>,
) -> Response {
    let t = msgs(&headers);
    home_page(&app, t, &q.company_id, None)
        .await
        .with(StatusCode::OK)
}

/// The home page of `company_id` with the demand form filled from `form`.
async fn home_page(app: &AppState, t: Msgs, company_id: &str, form: Option<&DemandForm>) -> Page {
    let mut p = Page::new(t, "home");
    let rules = match company_id.parse::<i64>() {
        Ok(id) if id > 0 => portal::company_rules(app, "company_id", id).await.ok(),
        _ => None,
    };
    match rules {
        Some((c, r)) => {
            p.company_id = c.id.to_string();
            p.verify = r.verify_phone;
        }
        None => {
            p.companies = portal::companies(app)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|(id, name)| (id.to_string(), name))
                .collect();
        }
    }
    if let Some(f) = form {
        if !f.category.is_empty() {
            p.category = f.category.clone();
        }
        p.description = f.description.clone();
        p.name = f.name.clone();
        p.phone = f.phone.clone();
        p.address = f.address.clone();
    }
    p
}

/// What the customer is told of an error: the field to check, in their words.
fn error_text(t: &Msgs, e: &AppError) -> String {
    match e {
        AppError::InvalidInput { field: Some(f), .. } => {
            let key = f.trim_start_matches("customer.");
            format!(
                "{}{}",
                t.get("portal.check"),
                t.get(&format!("portal.{key}"))
            )
        }
        AppError::NotFound => t.get("portal.not_found"),
        _ => t.get("error.title"),
    }
}

fn opt(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.trim().is_empty())
}

/// The page of a refused form: its error, the form kept.
async fn refused(app: &AppState, t: Msgs, f: &DemandForm, e: AppError) -> Response {
    let mut p = home_page(app, t, &f.company_id, Some(f)).await;
    p.error = Some(error_text(&t, &e));
    let status = match e {
        AppError::InvalidInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => e.into_response().status(),
    };
    p.with(status)
}

/// The page of a client or phone past the limits: 429 with `Retry-After`.
async fn too_many(app: &AppState, t: Msgs, f: &DemandForm, retry_after: u64) -> Response {
    let mut p = home_page(app, t, &f.company_id, Some(f)).await;
    p.error = Some(t.get("portal.too_many"));
    let mut r = p.with(StatusCode::TOO_MANY_REQUESTS);
    if let Ok(v) = retry_after.to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn company_of(f: &DemandForm) -> Result<Id, AppError> {
    f.company_id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(Id)
        .ok_or_else(|| AppError::invalid("company_id", "company_id must be an id"))
}

/// `POST /p/orders`: takes a demand; the page with its number.
async fn submit(
    State(app): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(f): Form<DemandForm>,
) -> Response {
    let t = msgs(&headers);
    let company_id = match company_of(&f) {
        Ok(id) => id,
        Err(e) => return refused(&app, t, &f, e).await,
    };
    let b = PublicOrder {
        company_id,
        category: f.category.clone(),
        description: f.description.clone(),
        customer: PublicCustomer {
            name: opt(&f.name),
            phone: opt(&f.phone),
            address: opt(&f.address),
        },
        code: opt(&f.code),
    };
    let c = match portal::check(&app, b).await {
        Ok(c) => c,
        Err(e) => return refused(&app, t, &f, e).await,
    };
    let key = ClientKey::of(client.0);
    let now = app.now_ms();
    let counted =
        app.portal_limits
            .count(Counted::Orders, c.company.id, key, &c.phone, &c.rules, now);
    if let Err(secs) = counted {
        return too_many(&app, t, &f, secs).await;
    }
    let phone = c.phone.clone();
    match portal::submit(&app, c).await {
        Ok(done) => {
            let mut p = Page::new(t, "submitted");
            p.company_id = f.company_id.clone();
            p.number = done.number;
            p.phone = phone;
            p.with(StatusCode::CREATED)
        }
        Err(e) => refused(&app, t, &f, e).await,
    }
}

/// `POST /p/verify`: sends a code to the form's phone; the form again, kept.
async fn verify(
    State(app): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(f): Form<DemandForm>,
) -> Response {
    let t = msgs(&headers);
    let company_id = match company_of(&f) {
        Ok(id) => id,
        Err(e) => return refused(&app, t, &f, e).await,
    };
    let b = VerifyInput {
        company_id,
        phone: f.phone.clone(),
    };
    let (company, rules, phone) = match portal::check_verify(&app, &b).await {
        Ok(v) => v,
        Err(e) => return refused(&app, t, &f, e).await,
    };
    let key = ClientKey::of(client.0);
    let now = app.now_ms();
    let counted = app
        .portal_limits
        .count(Counted::Codes, company.id, key, &phone, &rules, now);
    if let Err(secs) = counted {
        return too_many(&app, t, &f, secs).await;
    }
    if let Err(e) = portal::issue_code(&app, &company, &phone).await {
        return refused(&app, t, &f, e).await;
    }
    let mut p = home_page(&app, t, &f.company_id, Some(&f)).await;
    p.notice = Some(t.get("portal.code_sent"));
    p.with(StatusCode::OK)
}

/// The tracking query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TrackForm {
    company_id: String,
    number: String,
    phone: String,
}

/// `GET /p/track?number=&phone=`: the order's status and plain steps, or "not found" (the same
/// for a wrong phone).
async fn track(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TrackForm>,
) -> Response {
    let t = msgs(&headers);
    match portal::track(&app, q.number.trim(), opt(&q.phone)).await {
        Ok(r) => {
            let mut p = Page::new(t, "track");
            p.company_id = q.company_id;
            p.number = r.number;
            p.status_label = t.get(&format!("portal.status_{}", r.status));
            p.steps = r
                .steps
                .into_iter()
                .map(|s| {
                    let when = local_time(s.at, china_offset());
                    (when, t.get(&format!("portal.step_{}", s.what)))
                })
                .collect();
            p.with(StatusCode::OK)
        }
        Err(e) => {
            let mut p = home_page(&app, t, &q.company_id, None).await;
            p.error = Some(match e {
                AppError::InvalidInput { .. } | AppError::NotFound => t.get("portal.not_found"),
                _ => t.get("error.title"),
            });
            let status = e.into_response().status();
            p.with(status)
        }
    }
}

/// The outage query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OutageForm {
    company_id: String,
    address: String,
}

/// `GET /p/outages?company_id=&address=`: the published notices covering the address.
async fn outages(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<OutageForm>,
) -> Response {
    let t = msgs(&headers);
    let query = rexian_app::outages::PublicQuery {
        company_id: Some(q.company_id.clone()),
        address: Some(q.address.clone()),
    };
    match rexian_app::outages::public(&app, query).await {
        Ok(items) => {
            let mut p = Page::new(t, "outages");
            p.company_id = q.company_id;
            p.address = q.address;
            p.outages = items
                .into_iter()
                .map(|n| {
                    let a = n.area;
                    let places = [a.communities, a.streets, a.buildings, a.stations];
                    Notice {
                        kind: t.get(&format!("outage.kind_{}", n.kind)),
                        cause: n.cause,
                        area: places.concat().join("、"),
                        start: local_time(n.start_at, china_offset()),
                        end: local_time(n.expected_end_at, china_offset()),
                    }
                })
                .collect();
            p.with(StatusCode::OK)
        }
        Err(e) => {
            let f = DemandForm {
                company_id: q.company_id,
                ..DemandForm::default()
            };
            refused(&app, t, &f, e).await
        }
    }
}

fn state_name(s: LinkState) -> &'static str {
    match s {
        LinkState::Open => "open",
        LinkState::Answered => "answered",
        LinkState::Expired => "expired",
    }
}

/// The page of link `token` in `state`.
fn link_view(t: Msgs, token: &str, number: String, state: LinkState) -> Page {
    let mut p = Page::new(t, "link");
    p.token = token.to_owned();
    p.number = number;
    p.link_state = state_name(state);
    p
}

/// A link that is not one.
fn unknown_link(t: Msgs) -> Response {
    let mut p = Page::new(t, "link");
    p.link_state = "unknown";
    p.error = Some(t.get("portal.link_unknown"));
    p.with(StatusCode::NOT_FOUND)
}

/// `GET /p/s/{token}`: the callback form, or "already answered", or "expired".
async fn link_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let t = msgs(&headers);
    match portal::link(&app, &token).await {
        Ok(v) => link_view(t, &token, v.number, v.state).with(StatusCode::OK),
        Err(AppError::NotFound) => unknown_link(t),
        Err(e) => e.into_response(),
    }
}

/// The answer form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnswerForm {
    satisfaction: String,
    matches_reply: String,
    note: String,
}

/// `POST /p/s/{token}`: records the answer once (the order's callback event).
async fn link_answer(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let t = msgs(&headers);
    let v = match portal::link(&app, &token).await {
        Ok(v) => v,
        Err(AppError::NotFound) => return unknown_link(t),
        Err(e) => return e.into_response(),
    };
    let a = LinkAnswer {
        satisfaction: opt(&f.satisfaction),
        matches_reply: opt(&f.matches_reply),
        note: opt(&f.note),
    };
    match portal::answer(&app, &token, a).await {
        Ok(LinkState::Answered) if v.state == LinkState::Open => {
            let mut p = link_view(t, &token, v.number, LinkState::Answered);
            p.link_state = "thanks";
            p.notice = Some(t.get("portal.thanks"));
            p.with(StatusCode::OK)
        }
        Ok(state) => link_view(t, &token, v.number, state).with(StatusCode::CONFLICT),
        Err(e) => {
            let mut p = link_view(t, &token, v.number, v.state);
            p.error = Some(error_text(&t, &e));
            let status = e.into_response().status();
            p.with(status)
        }
    }
}
