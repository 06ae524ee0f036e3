//! Work orders: intake, the lifecycle steps, detail and lists (api-v1 "Orders").

use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, FixedOffset, Utc};
use rexian_domain::model::{Category, Channel, Grade, Status};
use rexian_domain::workflow::{self, Env, OrderState};
use rexian_store::orders::{Idempotency, NewContact, NewEvent, NewOrder, OrderFull, OrderRow};
use rexian_store::org::Company;
use serde::Deserialize;
use serde_json::{json, Value};

use rexian_app::orders::OrderView;
use rexian_app::steps::{self, views, StepDone, StepInput};

use super::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::extract::parse_json;
use crate::idempotency::{replay, request_hash};
use crate::AppState;

pub(crate) use rexian_app::order_state::{season_start, to_changes};
pub use rexian_app::tenancy::company_policy;

pub(crate) fn offset_of(c: &Company) -> FixedOffset {
    c.offset()
}

pub(crate) use rexian_app::orders::{can_see, same_company};

fn id_str(v: Option<i64>) -> Value {
    v.map(|x| Value::String(x.to_string()))
        .unwrap_or(Value::Null)
}

/// The whole order as api-v1 shows it.
fn order_json(u: &CurrentUser, f: &OrderFull, now: i64) -> Value {
    json!(rexian_app::orders::OrderView::of(u, f, now))
}

/// The customer fields of an intake.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    name: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    community: Option<String>,
    account_no: Option<String>,
}

/// `{answer}` of an order answered at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtOnce {
    answer: String,
}

/// `POST /api/v1/orders` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrderBody {
    company_id: Id,
    category: String,
    subtype: Option<String>,
    channel: String,
    description: String,
    #[serde(default)]
    customer: CustomerBody,
    #[serde(default)]
    anonymous: bool,
    callback: Option<String>,
    complainants: Option<i64>,
    #[serde(default)]
    media_exposed: bool,
    #[serde(default)]
    lawsuit: bool,
    matter_id: Option<Id>,
    resolved_at_once: Option<AtOnce>,
    contact_id: Option<Id>,
    /// 约时回访: the time the customer asked to be called back.
    callback_at: Option<DateTime<Utc>>,
    /// The order during whose callback this new demand was raised.
    linked_order_id: Option<Id>,
    /// An anonymous complainant agrees that the worker on site sees their contact.
    #[serde(default)]
    onsite_consent: bool,
}

pub(crate) use rexian_app::text::clean;

/// Creates an order (or closes it at once when answered on the call).
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(k) = &key {
        if k.is_empty() || k.len() > 200 {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1–200 characters",
            ));
        }
        if let Some(a) = app.store.idempotent_answer(me.id, k).await? {
            return replay(a, &request_hash("POST", "/api/v1/orders", &body));
        }
    }
    let b: NewOrderBody = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let Some(k) = key else {
        let v = create_order(&app, &me, b, None).await?;
        return Ok((StatusCode::CREATED, Json(v)).into_response());
    };
    let now_ms = ms(app.clock.now());
    let viewer = me.clone();
    let idem = Idempotency {
        user_id: me.id,
        key: k.clone(),
        status: 201,
        request_hash: Some(request_hash("POST", "/api/v1/orders", &body)),
        render: Box::new(move |full| order_json(&viewer, full, now_ms).to_string()),
    };
    match create_order_with(&app, &me, b, Some(idem)).await {
        Ok((_, Some(body))) => Ok((
            StatusCode::CREATED,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()),
        Ok((v, None)) => Ok((StatusCode::CREATED, Json(v)).into_response()),
        // The same key raced this request and won: answer as it was answered.
        Err(e @ AppError::Conflict { .. }) if e.field() == Some("Idempotency-Key") => {
            match app.store.idempotent_answer(me.id, &k).await? {
                Some(a) => replay(a, &request_hash("POST", "/api/v1/orders", &body)),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Validates an intake and stores the order; returns it as the API shows it.
/// With `idem`, the answer rendered by it is stored under its key in the same transaction.
pub async fn create_order(
    app: &AppState,
    me: &CurrentUser,
    b: NewOrderBody,
    idem: Option<Idempotency>,
) -> AppResult<Value> {
    Ok(create_order_with(app, me, b, idem).await?.0)
}

/// [`create_order`], also returning the answer stored under the idempotency key.
pub async fn create_order_with(
    app: &AppState,
    me: &CurrentUser,
    b: NewOrderBody,
    idem: Option<Idempotency>,
) -> AppResult<(Value, Option<String>)> {
    let company = app
        .store
        .company(b.company_id.0)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    if !same_company(me, company.id) {
        return Err(AppError::Forbidden);
    }
    let category = Category::from_str(&b.category)
        .map_err(|e| AppError::invalid("category", e.to_string()))?;
    let channel =
        Channel::from_str(&b.channel).map_err(|e| AppError::invalid("channel", e.to_string()))?;
    let policy = company_policy(&company)?;
    let subtype = clean("subtype", b.subtype, 40)?;
    if let Some(s) = &subtype {
        if !policy.knows_subtype(category, s) {
            return Err(AppError::invalid(
                "subtype",
                format!("the policy has no subtype {s:?} for {category}"),
            ));
        }
    }
    let description = clean("description", Some(b.description), 4000)?
        .ok_or_else(|| AppError::invalid("description", "description must not be empty"))?;
    let callback_pref = match b.callback.as_deref() {
        None | Some("required") => "required",
        Some("declined") => "declined",
        Some(other) => {
            return Err(AppError::invalid(
                "callback",
                format!("callback must be required or declined, got {other:?}"),
            ))
        }
    };
    let complainants = b.complainants.unwrap_or(1);
    if !(1..=100_000).contains(&complainants) {
        return Err(AppError::invalid(
            "complainants",
            "complainants must be at least 1",
        ));
    }
    if b.anonymous && category != Category::Complaint && category != Category::Report {
        return Err(AppError::invalid(
            "anonymous",
            "only complaints and reports may be anonymous",
        ));
    }
    let answer = match b.resolved_at_once {
        Some(a) => Some(
            clean("resolved_at_once.answer", Some(a.answer), 4000)?
                .ok_or_else(|| AppError::invalid("resolved_at_once.answer", "give the answer"))?,
        ),
        None => None,
    };
    let c = b.customer;
    let phone = rexian_app::text::phone("customer.phone", c.phone)?;
    let name = clean("customer.name", c.name, 100)?;
    let address = clean("customer.address", c.address, 300)?;
    let community = clean("customer.community", c.community, 100)?;
    let account_no = clean("customer.account_no", c.account_no, 40)?;
    let now = app.clock.now();
    let now_ms = ms(now);

    let contact_id = match b.contact_id {
        Some(id) => {
            // Another demand of the same call: the contact must be this company's.
            if app.store.contact_company(id.0).await? != Some(company.id) {
                return Err(AppError::invalid(
                    "contact_id",
                    "contact_id names no contact of this company",
                ));
            }
            Some(id.0)
        }
        None => None,
    };
    let new_contact = contact_id.is_none().then(|| NewContact {
        company_id: company.id,
        channel: channel.as_str().into(),
        caller_name: name.clone(),
        caller_phone: phone.clone(),
        summary: description.clone(),
        agent_id: me.id,
        at: now_ms,
        dropped: false,
    });
    // Complaints belong to a matter: the one given, the proposed match, or a new one.
    let (matter_id, grade) = if category == Category::Complaint {
        let matter = match b.matter_id {
            Some(m) => {
                if !app.store.matter_exists(company.id, m.0).await? {
                    return Err(AppError::invalid(
                        "matter_id",
                        "matter_id names no matter of this company",
                    ));
                }
                m.0
            }
            None => {
                crate::api::matters::propose_or_create(
                    app,
                    &company,
                    subtype.as_deref(),
                    community.as_deref(),
                    &description,
                    now,
                )
                .await?
            }
        };
        (Some(matter), None)
    } else {
        (None, None::<i64>)
    };
    let linked_order_id = match b.linked_order_id {
        Some(l) => {
            let linked = app.store.order(l.0).await.map_err(|_| {
                AppError::invalid("linked_order_id", "linked_order_id names no order")
            })?;
            if linked.company_id != company.id {
                return Err(AppError::invalid(
                    "linked_order_id",
                    "linked order belongs to another company",
                ));
            }
            Some(linked.id)
        }
        None => None,
    };
    if b.callback_at.is_some() && callback_pref == "declined" {
        return Err(AppError::invalid(
            "callback_at",
            "a declined callback takes no appointment",
        ));
    }
    let resolved = answer.is_some();
    let status = if resolved {
        Status::Closed
    } else {
        Status::New
    };
    let mut row = OrderRow {
        company_id: company.id,
        contact_id,
        category: category.as_str().into(),
        subtype: subtype.clone(),
        channel: channel.as_str().into(),
        status: status.as_str().into(),
        grade,
        matter_id,
        first_responder_id: me.id,
        customer_name: name,
        customer_phone: phone,
        customer_address: address,
        customer_community: community,
        account_no,
        anonymous: b.anonymous,
        description,
        callback_pref: callback_pref.into(),
        complainants,
        media_exposed: b.media_exposed,
        lawsuit: b.lawsuit,
        created_at: now_ms,
        updated_at: now_ms,
        closed_at: resolved.then_some(now_ms),
        callback_at: b.callback_at.map(ms),
        linked_order_id,
        onsite_consent: b.anonymous && b.onsite_consent,
        ..Default::default()
    };
    let row_community = row.customer_community.clone();
    let matter = match matter_id {
        Some(m) => {
            let (g, intake) = crate::api::matters::join(app, &company, m, &row).await?;
            row.grade = Some(i64::from(g.get()));
            Some(intake)
        }
        None => None,
    };
    let state = OrderState {
        status,
        category,
        subtype,
        grade: row.grade.and_then(|g| Grade::new(g as u8).ok()),
        unit: None,
        callback_declined: callback_pref == "declined",
        accepted_at: now,
        arrived: false,
        suspended_from: None,
        extension_pending: false,
        attempts: Vec::new(),
        season_start: season_start(&company),
    };
    let env = Env {
        policy: &policy,
        calendar: &app.calendar,
        offset: offset_of(&company),
        now,
    };
    let ops = workflow::on_create(&state, &env);
    let created = json!({"category": category, "subtype": state.subtype, "channel": channel,
        "matter_id": id_str(matter_id), "grade": row.grade,
        "linked_order_id": id_str(linked_order_id), "callback_at": b.callback_at});
    let me_id = me.id;
    let events = move |contact_id: Option<i64>| {
        let mut data = created;
        data["contact_id"] = json!(id_str(contact_id));
        let mut events = vec![NewEvent {
            kind: "created".into(),
            actor_id: Some(me_id),
            at: now_ms,
            data,
        }];
        if let Some(a) = answer {
            events.push(NewEvent {
                kind: "closed".into(),
                actor_id: Some(me_id),
                at: now_ms,
                data: json!({"answered_at_once": a}),
            });
        }
        events
    };
    let local_date = now.with_timezone(&env.offset).date_naive();
    let prefix = company.number_prefix.clone();
    let (full, stored) = app
        .store
        .create_order(NewOrder {
            contact: new_contact,
            row,
            day: local_date.to_string(),
            number_of: Box::new(move |seq| workflow::order_number(&prefix, local_date, seq)),
            events: Box::new(events),
            deadlines: to_changes(&ops),
            idempotency: idem,
            incident: rexian_app::incidents::intake(&policy, row_community.as_deref(), now_ms),
            matter,
        })
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(c) if c.starts_with("idempotency_keys") => {
                AppError::Conflict {
                    field: Some("Idempotency-Key".into()),
                    message: "this Idempotency-Key was used by another request".into(),
                }
            }
            e => e.into(),
        })?;
    app.notify(&full.order);
    Ok((order_json(me, &full, now_ms), stored))
}

/// `GET /api/v1/orders/{id}`; the view of personal data is logged.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<OrderView>> {
    Ok(Json(views::detail(&app, &me, parse_id("id", &id)?).await?))
}

/// `GET /api/v1/orders`: newest first, scoped to what the user may see.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<rexian_app::orders::ListInput>,
) -> AppResult<Json<rexian_app::orders::OrderPage>> {
    Ok(Json(rexian_app::orders::list(&app, &me, &q).await?))
}

/// `POST /api/v1/orders/{id}/{step}`: the order after the step (`201` with the request's
/// `extension_id` when the step asked for an extension).
pub async fn step(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let b: StepInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    steps::known(&step)?;
    let done = steps::take(&app, &me, parse_id("id", &id)?, &step, None, b).await?;
    done.shown();
    let status = match done.extension_id {
        Some(_) => StatusCode::CREATED,
        None => StatusCode::OK,
    };
    Ok((status, Json(done)).into_response())
}

/// `POST /api/v1/orders/{id}/extensions/{eid}/{approve|reject}`.
pub async fn extension_decision(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, eid, decision)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<StepDone>> {
    let b: StepInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let eid = parse_id("extension_id", &eid)?;
    let step = match decision.as_str() {
        "approve" => "extension_approve",
        "reject" => "extension_reject",
        _ => return Err(AppError::NotFound),
    };
    let done = steps::take(&app, &me, parse_id("id", &id)?, step, Some(eid), b).await?;
    done.shown();
    Ok(Json(done))
}

/// `GET /api/v1/orders/{id}/supervision`: the supervision notices of an order, by level, with
/// who each level reaches and the reminders at the top level.
pub async fn supervision(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<views::Notices>> {
    Ok(Json(
        views::supervision(&app, &me, parse_id("id", &id)?).await?,
    ))
}

/// `GET /api/v1/orders/{id}/callback_form`: the callback form (回访单, `000:附件`) of the order's
/// latest callback, every field of the seed's form, ready to show or print.
pub async fn callback_form(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<views::CallbackForm>> {
    Ok(Json(
        views::callback_form(&app, &me, parse_id("id", &id)?).await?,
    ))
}
