//! The agent's intake screen for a live call: caller lookup (register and earlier orders),
//! category and subtype from the company's policy, customer fields, answer-and-close; creates
//! through `rexian_app::intake` and redirects to the new order (POST-redirect-GET).

use std::str::FromStr;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use rexian_app::intake::{self, AtOnce, CustomerFields, Intake, NewOrderInput};
use rexian_domain::model::{Category, Channel, Status};
use serde::Deserialize;

use super::common::{field, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::auth::{random_secret, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Intake routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/intake", get(page).post(submit))
        .route("/intake/lookup", get(lookup))
        .route("/intake/verify", post(verify))
        .route("/intake/subtypes", get(subtypes))
        .route("/intake/outages", get(outages_banner))
}

/// A notice on the intake screen.
struct Notice {
    id: String,
    cause: String,
    until: String,
}

#[derive(Template)]
#[template(path = "intake_outages.html")]
struct OutagesBanner {
    t: Msgs,
    notices: Vec<Notice>,
}

/// Query of the banner: where the caller is.
#[derive(Debug, Deserialize)]
pub struct Place {
    company_id: Option<String>,
    community: Option<String>,
    address: Option<String>,
}

/// The published notices covering the caller's community or address, as soon as either is
/// typed, each with the button that answers and closes the call with it.
async fn outages_banner(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<Place>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let company = match (
            u.company_id,
            q.company_id.as_deref().filter(|s| !s.is_empty()),
        ) {
            (Some(c), _) => c,
            (None, Some(s)) => rexian_app::ser::parse_id("company_id", s)?,
            (None, None) => return Ok(Vec::new()),
        };
        let offset = rexian_app::outages::zone(&app, &u, company).await?;
        let told = rexian_app::outages::told(
            &app,
            company,
            q.community.as_deref(),
            q.address.as_deref(),
            None,
        )
        .await?;
        Ok::<_, AppError>(
            told.into_iter()
                .map(|n| Notice {
                    id: n.id.to_string(),
                    cause: n.cause,
                    until: super::common::local_time(n.expected_end_at, offset),
                })
                .collect(),
        )
    };
    match run.await {
        Ok(notices) => render(&OutagesBanner { t, notices }),
        Err(e) => error_page(t, &u, e),
    }
}

/// The answer read to a caller from notice `id`, in the company's time, and what the caller
/// asked when the agent wrote nothing.
async fn notice_answer(
    app: &AppState,
    u: &CurrentUser,
    t: &Msgs,
    id: &str,
) -> AppResult<(i64, String, String)> {
    let id = rexian_app::ser::parse_id("answer_outage", id)?;
    let n = rexian_app::outages::get(app, u, id).await?;
    let offset = rexian_app::outages::zone(app, u, n.company_id).await?;
    let until = super::common::local_time(n.expected_end_at, offset);
    let text = format!(
        "{}{}{}{}",
        t.get("outage.banner"),
        n.cause,
        t.get("outage.banner_until"),
        until
    );
    let asked = format!("{}{}", t.get("outage.asked"), n.cause);
    Ok((id, text, asked))
}

/// What the agent typed, kept when the form comes back with an error.
#[derive(Default, Clone)]
struct Draft {
    company_id: String,
    phone: String,
    account_no: String,
    name: String,
    address: String,
    community: String,
    category: String,
    subtype: String,
    channel: String,
    description: String,
    anonymous: bool,
    callback_declined: bool,
    answer: String,
    /// The notice the call is answered with (its button).
    outage: String,
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    idem: String,
    error: Option<String>,
    d: Draft,
    companies: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    subtypes: Vec<(String, String)>,
}

fn labelled<T: Copy>(
    t: &Msgs,
    prefix: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|x| {
            (
                name(*x).to_owned(),
                t.get(&format!("{prefix}.{}", name(*x))),
            )
        })
        .collect()
}

/// The subtypes the company's policy knows for a category, labelled.
async fn subtype_options(
    app: &AppState,
    u: &CurrentUser,
    t: &Msgs,
    company_id: Option<i64>,
    category: &str,
) -> Vec<(String, String)> {
    let Some(cid) = company_id else {
        return Vec::new();
    };
    let list = intake::subtypes(app, u, cid, category).await;
    list.unwrap_or_default()
        .into_iter()
        .map(|x| {
            let key = format!("subtype.{x}");
            let label = t.get(&key);
            // A company's own subtype has no catalogue entry: show its code.
            let label = if label == key { x.clone() } else { label };
            (x, label)
        })
        .collect()
}

async fn show(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    d: Draft,
    error: Option<String>,
) -> Response {
    let companies = match u.company_id {
        Some(_) => Vec::new(),
        None => match rexian_app::org::companies(app).await {
            Ok(cs) => cs.into_iter().map(|c| (c.id.to_string(), c.name)).collect(),
            Err(e) => return error_page(t, u, e),
        },
    };
    let company_id = u
        .company_id
        .or_else(|| d.company_id.parse().ok())
        .or_else(|| companies.first().and_then(|(id, _)| id.parse().ok()));
    let subtypes = subtype_options(app, u, &t, company_id, &d.category).await;
    let page = IntakePage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        idem: random_secret(),
        error,
        d,
        companies,
        categories: labelled(&t, "category", Category::ALL, Category::as_str),
        channels: labelled(&t, "channel", Channel::ALL, Channel::as_str),
        subtypes,
    };
    render(&page)
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    let d = Draft {
        category: "repair".into(),
        channel: "phone".into(),
        ..Default::default()
    };
    show(&app, msgs(&headers), &u, d, None).await
}

fn draft_of(f: &Fields) -> Draft {
    let g = |k: &str| field(f, k).trim().to_owned();
    Draft {
        company_id: g("company_id"),
        phone: g("phone"),
        account_no: g("account_no"),
        name: g("name"),
        address: g("address"),
        community: g("community"),
        category: g("category"),
        subtype: g("subtype"),
        channel: g("channel"),
        description: g("description"),
        anonymous: !field(f, "anonymous").is_empty(),
        callback_declined: !field(f, "callback_declined").is_empty(),
        answer: g("answer"),
        outage: g("answer_outage"),
    }
}

/// The intake of a draft.
fn order_input(u: &CurrentUser, d: &Draft, outage: Option<i64>) -> AppResult<NewOrderInput> {
    let company = match u.company_id {
        Some(c) => c,
        None if !d.company_id.is_empty() => rexian_app::ser::parse_id("company_id", &d.company_id)?,
        None => return Err(AppError::invalid("company_id", "choose a company")),
    };
    let opt = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let channel = if d.channel.is_empty() {
        "phone"
    } else {
        &d.channel
    };
    Ok(NewOrderInput {
        subtype: opt(&d.subtype),
        customer: CustomerFields {
            name: opt(&d.name),
            phone: opt(&d.phone),
            address: opt(&d.address),
            community: opt(&d.community),
            account_no: opt(&d.account_no),
        },
        anonymous: d.anonymous,
        callback: Some(
            if d.callback_declined {
                "declined"
            } else {
                "required"
            }
            .into(),
        ),
        resolved_at_once: opt(&d.answer).map(|answer| AtOnce {
            answer,
            outage_id: outage.map(rexian_app::ser::Id),
        }),
        ..NewOrderInput::new(company, &d.category, channel, &d.description)
    })
}

/// Where a replayed intake goes: the order it made.
fn to_replayed(r: &intake::Replay) -> Response {
    let id = r.order_id.map(|i| i.to_string()).unwrap_or_default();
    Redirect::to(&format!("/orders/{id}")).into_response()
}

async fn submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let mut d = draft_of(&f);
    // Answered with a notice: its text is the answer unless the agent wrote one.
    let outage = if d.outage.is_empty() {
        None
    } else {
        match notice_answer(&app, &u, &t, &d.outage).await {
            Ok((id, text, asked)) => {
                if d.answer.is_empty() {
                    d.answer = text;
                }
                if d.description.is_empty() {
                    d.description = asked;
                }
                Some(id)
            }
            Err(e) => return show(&app, t, &u, d, Some(e.to_string())).await,
        }
    };
    let key = field(&f, "_idem").to_owned();
    let key = (!key.is_empty() && key.len() <= 200).then_some(key);
    // A second submit of the same form (double click, reload) goes to the order it made.
    if let Some(k) = &key {
        match intake::answered(&app, &u, k).await {
            Ok(Some(r)) => return to_replayed(&r),
            Ok(None) => {}
            Err(e) => return error_page(t, &u, e),
        }
    }
    let key = key.map(|key| intake::Key {
        key,
        request_hash: None,
    });
    let created = async {
        let input = order_input(&u, &d, outage)?;
        intake::create(&app, &u, input, key).await
    }
    .await;
    match created {
        Ok(Intake::Created(o)) => {
            let id = o.order.summary.id;
            Redirect::to(&format!("/orders/{id}?done=created")).into_response()
        }
        // A second submit of the same form raced this one: go where the first one went.
        Ok(Intake::Replayed(r)) => to_replayed(&r),
        Err(AppError::Internal(e)) => error_page(t, &u, AppError::Internal(e)),
        Err(e) => {
            let msg = match e.field() {
                Some(f) => format!("{}: {}", t.get(&format!("field.{f}")), e),
                None => e.to_string(),
            };
            show(&app, t, &u, d, Some(msg)).await
        }
    }
}

#[derive(Deserialize)]
struct SubtypeQuery {
    category: Option<String>,
    company_id: Option<String>,
    subtype: Option<String>,
}

#[derive(Template)]
#[template(path = "intake_subtypes.html")]
struct SubtypeOptions {
    t: Msgs,
    subtypes: Vec<(String, String)>,
    selected: String,
}

async fn subtypes(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<SubtypeQuery>,
) -> Response {
    let t = msgs(&headers);
    let company = u
        .company_id
        .or_else(|| q.company_id.as_deref().and_then(|c| c.parse().ok()));
    let subtypes = subtype_options(
        &app,
        &u,
        &t,
        company,
        q.category.as_deref().unwrap_or_default(),
    )
    .await;
    render(&SubtypeOptions {
        t,
        subtypes,
        selected: q.subtype.unwrap_or_default(),
    })
}

#[derive(Deserialize)]
struct LookupQuery {
    phone: Option<String>,
    account_no: Option<String>,
}

/// An earlier order of the caller, as the lookup shows it.
pub struct PastOrder {
    id: String,
    number: String,
    created: String,
    category: String,
    status: String,
    description: String,
    open: bool,
    complaint: bool,
    /// The crew in words (`001`, an open order a unit holds): "已出发，预计 10:40 到达".
    crew: String,
}

/// A register entry of the caller.
pub struct RegisterEntry {
    id: String,
    name: String,
    account_no: String,
    phone: String,
    address: String,
    community: String,
    /// Masked.
    id_number: String,
    /// This agent verified the caller as this customer; else the account number is masked.
    verified: bool,
}

#[derive(Template)]
#[template(path = "intake_lookup.html")]
struct LookupPanel {
    t: Msgs,
    csrf: String,
    /// The phone or account number looked up.
    key: String,
    /// The outcome of an identity check just made.
    notice: Option<String>,
    asked: bool,
    customers: Vec<RegisterEntry>,
    open: Vec<PastOrder>,
    past: Vec<PastOrder>,
    complaints: usize,
    /// Earlier orders not shown because no customer is verified.
    withheld: usize,
}

async fn lookup(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<LookupQuery>,
) -> Response {
    let key = [q.phone, q.account_no]
        .into_iter()
        .flatten()
        .map(|x| x.trim().to_owned())
        .find(|x| x.chars().count() >= 4)
        .unwrap_or_default();
    lookup_panel(&app, msgs(&headers), &u, key, None).await
}

async fn lookup_panel(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    key: String,
    notice: Option<String>,
) -> Response {
    let csrf = u.csrf.clone().unwrap_or_default();
    if key.is_empty() {
        return render(&LookupPanel {
            t,
            csrf,
            key,
            notice,
            asked: false,
            customers: Vec::new(),
            open: Vec::new(),
            past: Vec::new(),
            complaints: 0,
            withheld: 0,
        });
    }
    match lookup_data(app, &t, u, &key).await {
        Ok((customers, orders, withheld)) => {
            let complaints = orders.iter().filter(|o| o.complaint).count();
            let (open, past) = orders.into_iter().partition(|o| o.open);
            render(&LookupPanel {
                t,
                csrf,
                key,
                notice,
                asked: true,
                customers,
                open,
                past,
                complaints,
                withheld,
            })
        }
        Err(e) => error_page(t, u, e),
    }
}

/// The identity check form of a register entry in the lookup panel.
#[derive(Deserialize)]
struct VerifyForm {
    customer_id: String,
    #[serde(default)]
    key: String,
    name: Option<String>,
    phone: Option<String>,
    id_number: Option<String>,
    address: Option<String>,
}

/// `POST /intake/verify`: checks what the caller says against the register (`002:§14(1)`) and
/// shows the lookup panel again, with the account and orders when verified.
async fn verify(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<VerifyForm>,
) -> Response {
    let t = msgs(&headers);
    let id = match crate::api::parse_id("customer_id", &f.customer_id) {
        Ok(id) => id,
        Err(e) => return error_page(t, &u, e),
    };
    let claim = rexian_domain::identity::Claim {
        name: f.name,
        phone: f.phone,
        address: f.address,
        id_number: f.id_number,
    };
    let notice = match rexian_app::customers::verify(&app, &u, id, &claim).await {
        Ok(v) if v.verified() => t.get("lookup.verify_ok"),
        Ok(v) if v.mismatched.is_empty() => t.get("lookup.verify_too_few"),
        Ok(v) => {
            let wrong: Vec<String> = v
                .mismatched
                .iter()
                .map(|f| t.get(&format!("lookup.factor_{f}")))
                .collect();
            format!("{}{}", t.get("lookup.verify_wrong"), wrong.join("、"))
        }
        Err(e) => return error_page(t, &u, e),
    };
    let key = f.key.trim().to_owned();
    lookup_panel(&app, t, &u, key, Some(notice)).await
}

/// The lookup of the caller, labelled: the register entries matching the key, the earlier
/// orders of those among them this agent verified, and the number of orders withheld.
async fn lookup_data(
    app: &AppState,
    t: &Msgs,
    u: &CurrentUser,
    key: &str,
) -> AppResult<(Vec<RegisterEntry>, Vec<PastOrder>, usize)> {
    let found = intake::lookup(app, u, key).await?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let customers = found
        .customers
        .iter()
        .map(|c| RegisterEntry {
            id: c.id.to_string(),
            name: c.name.clone(),
            account_no: c.account_no.clone(),
            phone: text(&c.phone),
            address: [&c.district, &c.community, &c.building, &c.unit, &c.room]
                .iter()
                .map(|v| text(v))
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_owned(),
            community: text(&c.community),
            id_number: text(&c.id_number),
            verified: c.verified == Some(true),
        })
        .collect();
    let offset = intake::local_offset(app, u).await?;
    let crews = super::field::lookup_crews(app, t, &found.orders, offset).await?;
    let orders = found
        .orders
        .iter()
        .zip(crews)
        .map(|(o, crew)| PastOrder {
            id: o.id.to_string(),
            number: o.number.clone(),
            created: super::common::local_time(o.created_at, offset),
            category: t.get(&format!("category.{}", o.category)),
            open: Status::from_str(&o.status).is_ok_and(|x| x.is_open()),
            status: t.get(&format!("status.{}", o.status)),
            description: o.description.clone(),
            complaint: o.category == "complaint",
            crew,
        })
        .collect();
    Ok((customers, orders, found.withheld))
}
