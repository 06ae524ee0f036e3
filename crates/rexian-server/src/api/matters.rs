//! Complaint matters (事项): grouping, the proposed match, and grades recomputed as a matter grows
//! (`002:§14(6)`).

use axum::extract::{Path, State};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use rexian_domain::grading::{self, CandidateMatter, ComplaintFacts, MatterFacts, MatterKey};
use rexian_domain::model::Grade;
use rexian_store::orders::{NewEvent, OrderRow};
use rexian_store::org::Company;
use serde_json::{json, Value};

use super::{orders, parse_id};
use crate::auth::CurrentUser;
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::AppState;
use rexian_domain::workflow::{self, Env};

/// The matter a new complaint joins: the proposed match (same subtype and place, or similar
/// text, within 30 days), or a new matter. The agent overrides by passing `matter_id`.
pub async fn propose_or_create(
    app: &AppState,
    company: &Company,
    subtype: Option<&str>,
    place: Option<&str>,
    description: &str,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let since = now - chrono::Duration::days(30);
    let recent = app
        .store
        .recent_complaints(company.id, since.timestamp_millis())
        .await?;
    let mut candidates: Vec<CandidateMatter> = Vec::new();
    for o in &recent {
        let Some(m) = o.matter_id else { continue };
        match candidates.iter_mut().find(|c| c.id == m) {
            Some(c) => c.last_at = c.last_at.max(from_ms(o.created_at)),
            None => candidates.push(CandidateMatter {
                id: m,
                subtype: o.subtype.clone(),
                place: o.customer_community.clone(),
                text: o.description.clone(),
                last_at: from_ms(o.created_at),
            }),
        }
    }
    let key = MatterKey {
        subtype: subtype.map(str::to_owned),
        place: place.map(str::to_owned),
        text: description.to_owned(),
    };
    if let Some(m) = grading::propose_match(&key, &candidates, now) {
        return Ok(m);
    }
    let title: String = description.chars().take(40).collect();
    Ok(app
        .store
        .create_matter(company.id, subtype, place, &title, now.timestamp_millis())
        .await?)
}

/// Who complained: the phone, else the account, else the name, else the order itself.
fn complaint_facts(o: &OrderRow) -> ComplaintFacts {
    let customer = o
        .customer_phone
        .clone()
        .or_else(|| o.account_no.clone())
        .or_else(|| o.customer_name.clone())
        .unwrap_or_else(|| format!("order:{}", o.id));
    ComplaintFacts {
        customer,
        at: from_ms(o.created_at),
        lawsuit: o.lawsuit,
        media_exposed: o.media_exposed,
        people: u32::try_from(o.complainants).unwrap_or(u32::MAX),
    }
}

async fn rules_of(
    app: &AppState,
    company_id: i64,
) -> AppResult<rexian_domain::grading::GradingRules> {
    let company = app.store.company(company_id).await?;
    Ok(crate::api::orders::company_policy(&company)?.grading_rules())
}

/// The grade of complaint `this` (not yet stored) joining matter `matter_id`.
pub async fn grade_with(app: &AppState, matter_id: i64, this: &OrderRow) -> AppResult<Grade> {
    let others = app.store.matter_orders(matter_id).await?;
    let matter = MatterFacts {
        complaints: others
            .iter()
            .filter(|o| o.status != "cancelled")
            .map(complaint_facts)
            .collect(),
    };
    let rules = rules_of(app, this.company_id).await?;
    Ok(grading::grade_with(&matter, &complaint_facts(this), &rules))
}

/// Recomputes the grades of the open complaints of a matter after it grew (`except`: the order
/// just graded); each change is an event on the order.
pub async fn regrade_matter(app: &AppState, matter_id: i64, except: Option<i64>) -> AppResult<()> {
    let orders = app.store.matter_orders(matter_id).await?;
    let Some(first) = orders.first() else {
        return Ok(());
    };
    let rules = rules_of(app, first.company_id).await?;
    let valid: Vec<&OrderRow> = orders.iter().filter(|o| o.status != "cancelled").collect();
    for o in valid
        .iter()
        .filter(|o| Some(o.id) != except && o.status != "closed")
    {
        let matter = MatterFacts {
            complaints: valid
                .iter()
                .filter(|x| x.id != o.id)
                .map(|x| complaint_facts(x))
                .collect(),
        };
        let g = i64::from(grading::grade_with(&matter, &complaint_facts(o), &rules).get());
        if o.grade != Some(g) {
            regrade_one(app, o.id, matter_id, g, valid.len()).await?;
        }
    }
    Ok(())
}

/// Sets one order's new grade with its event, restarting the grade's finish limit from the
/// dispatch while a unit holds it. A concurrent change of the order is retried on a fresh read.
async fn regrade_one(
    app: &AppState,
    order_id: i64,
    matter_id: i64,
    g: i64,
    size: usize,
) -> AppResult<()> {
    for _ in 0..5 {
        let now = app.clock.now();
        let full = app.store.order_full(order_id).await?;
        if full.order.grade == Some(g) {
            return Ok(());
        }
        let company = app.store.company(full.order.company_id).await?;
        let policy = orders::company_policy(&company)?;
        let mut state = orders::state_of(&full, &company)?;
        state.grade = Grade::new(g as u8).ok();
        let env = Env {
            policy: &policy,
            calendar: &app.calendar,
            offset: orders::offset_of(&company),
            now,
        };
        let dispatched_at = full
            .events
            .iter()
            .rev()
            .find(|e| matches!(e.kind.as_str(), "dispatched" | "transferred" | "reopened"))
            .map(|e| from_ms(e.at));
        let ops = match dispatched_at {
            Some(at) => workflow::on_regrade(&state, &env, at),
            None => Vec::new(),
        };
        let event = NewEvent {
            kind: "regraded".into(),
            actor_id: None,
            at: now.timestamp_millis(),
            data: json!({"from": full.order.grade, "to": g, "matter_id": matter_id.to_string(), "size": size}),
        };
        match app
            .store
            .regrade(
                order_id,
                full.order.version,
                g,
                &event,
                &orders::to_changes(&ops),
            )
            .await
        {
            Ok(()) => return Ok(()),
            Err(rexian_store::StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "order {order_id} kept changing while being regraded"
    )))
}

/// `GET /api/v1/matters/{id}`: the matter's orders.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    let orders = app.store.matter_orders(id).await?;
    if orders.is_empty() || me.company_id.is_some_and(|c| c != orders[0].company_id) {
        return Err(AppError::NotFound);
    }
    let items: Vec<Value> = orders
        .iter()
        .map(|o| json!({"id": o.id.to_string(), "number": o.number, "status": o.status, "grade": o.grade}))
        .collect();
    Ok(Json(json!({"id": id.to_string(), "orders": items})))
}
