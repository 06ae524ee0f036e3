//! The JSON API under `/api/v1` (see `shared/api-v1.md`).

pub mod assessment;
pub mod away;
pub mod callbacks;
pub mod clock;
pub mod crew;
pub mod customers;
pub mod doc;
pub mod halls;
pub mod kb;
pub mod matters;
pub mod measurements;
pub mod operations;
pub mod orders;
pub mod org;
pub mod outages;
pub mod personal;
pub mod photos;
pub mod portal;
pub mod reports;
pub mod roster;
pub mod search;
pub mod session;
pub mod shifts;
pub mod water;

use axum::routing::{get, post, put};
use axum::Router;

use crate::AppState;

/// The API routes; `manual_clock` adds the test clock calls.
pub fn routes(manual_clock: bool) -> Router<AppState> {
    let r = org_routes()
        .merge(order_routes())
        .merge(channel_routes())
        .merge(knowledge_routes())
        .merge(report_routes())
        .merge(outage_routes())
        .merge(shift_routes())
        .merge(portal_routes())
        .merge(water_routes());
    if manual_clock {
        r.route("/api/v1/admin/clock", put(clock::set))
            .route("/api/v1/admin/clock/advance", post(clock::advance))
    } else {
        r
    }
}

/// Session, organisation, the document and the calendar.
fn org_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/session",
            post(session::create).delete(session::delete),
        )
        .route("/api/v1/me", get(session::me))
        .route(
            "/api/v1/companies",
            get(org::list_companies).post(org::create_company),
        )
        .route("/api/v1/companies/{id}", get(org::get_company))
        .route("/api/v1/companies/{id}/season", put(org::set_season))
        .route("/api/v1/units", get(org::list_units).post(org::create_unit))
        .route("/api/v1/units/{id}/area", put(org::set_unit_area))
        .route("/api/v1/users", get(org::list_users).post(org::create_user))
        .route("/api/v1/users/{id}", get(org::get_user))
        .route("/api/v1/users/{id}/partner", put(org::set_partner))
        .route("/api/v1/users/{id}/disabled", put(org::set_disabled))
        .route("/api/v1/users/{id}/password", put(org::set_password))
        .route(
            "/api/v1/companies/{id}/policy",
            get(org::get_policy).put(org::set_policy),
        )
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/admin/calendar", get(calendar))
}

/// Orders, their steps, photos and matters.
fn order_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders", get(orders::list).post(orders::create))
        .route("/api/v1/orders/{id}", get(orders::get))
        .route("/api/v1/orders/{id}/{step}", post(orders::step))
        .route(
            "/api/v1/orders/{id}/extensions/{eid}/{decision}",
            post(orders::extension_decision),
        )
        .route(
            "/api/v1/orders/{id}/photos",
            get(photos::list)
                .post(photos::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    photos::UPLOAD_BODY_LIMIT,
                )),
        )
        .route("/api/v1/orders/{id}/photos/{pid}", get(photos::get))
        .route(
            "/api/v1/orders/{id}/measurements",
            post(measurements::record),
        )
        .route("/api/v1/matters/{id}", get(matters::get))
        .route("/api/v1/orders/{id}/supervision", get(orders::supervision))
        .route(
            "/api/v1/orders/{id}/callback_form",
            get(orders::callback_form),
        )
        // The crew on its way and visit appointments (001, 000:一.4).
        .route("/api/v1/orders/{id}/crew", post(crew::crew))
        .route("/api/v1/orders/{id}/appointment", post(crew::appointment))
}

/// Callbacks, contacts, re-checks and outreach.
fn channel_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/callbacks/queue", get(callbacks::queue))
        .route("/api/v1/callbacks/unsatisfied", get(callbacks::unsatisfied))
        .route("/api/v1/contacts", post(callbacks::create_contact))
        .route("/api/v1/contacts/dropped", get(callbacks::dropped))
        .route("/api/v1/contacts/{id}/handled", post(callbacks::handled))
        .route("/api/v1/callbacks/rechecks", get(callbacks::rechecks))
        .route("/api/v1/rechecks/{id}", post(callbacks::finish_recheck))
        .route(
            "/api/v1/outreach",
            get(callbacks::list_outreach).post(callbacks::create_outreach),
        )
        .route(
            "/api/v1/outreach/{id}/report",
            post(callbacks::report_outreach),
        )
}

/// The knowledge base and search.
fn knowledge_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/kb/articles", get(kb::list).post(kb::create))
        .route("/api/v1/kb/articles/{id}", get(kb::get).put(kb::update))
        .route("/api/v1/kb/articles/{id}/{action}", post(kb::step))
        .route(
            "/api/v1/kb/articles/{id}/versions/{version}",
            get(kb::version),
        )
        .route("/api/v1/kb/suggest", get(kb::suggest))
        .route("/api/v1/kb/checklists", get(kb::checklists))
}

/// Shift handovers, the duty log and hall checks.
fn shift_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/handovers", get(shifts::list).post(shifts::create))
        .route("/api/v1/handovers/{id}", get(shifts::get))
        .route("/api/v1/handovers/{id}/accept", post(shifts::accept))
        .route("/api/v1/duty_log", get(shifts::day).post(shifts::log))
        .route("/api/v1/halls/items", get(halls::list).post(halls::create))
        .route("/api/v1/halls/items/{id}", get(halls::get))
        .route("/api/v1/halls/items/{id}/checks", post(halls::check))
        .route("/api/v1/halls/items/{id}/retire", post(halls::retire))
        .route(
            "/api/v1/users/{id}/away",
            get(away::list).post(away::create),
        )
        .route("/api/v1/users/{id}/away/{aid}/end", post(away::end))
        .route("/api/v1/away", get(away::of_company))
        .route("/api/v1/roster", get(roster::month).put(roster::put))
        .route("/api/v1/roster/import", post(roster::import))
        .route("/api/v1/roster/history", get(roster::history))
        .route("/api/v1/shifts/current", get(roster::current))
}

/// The customer self-service portal (issue 20).
fn portal_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/public/orders", post(portal::submit))
        .route("/api/v1/public/orders/{number}", get(portal::track))
        .route("/api/v1/public/verify", post(portal::verify))
        .route("/api/v1/orders/{id}/portal_link", post(portal::make_link))
}

/// Water extended services (003): service steps on orders, deliveries on outage notices.
fn water_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders/{id}/sample", post(water::sample))
        .route("/api/v1/orders/{id}/lab_result", post(water::lab_result))
        .route("/api/v1/orders/{id}/reminder", post(water::reminder))
        .route("/api/v1/orders/{id}/leak_result", post(water::leak_result))
        .route(
            "/api/v1/orders/{id}/community_report",
            post(water::community_report),
        )
        .route(
            "/api/v1/outages/{id}/water_deliveries",
            post(water::deliver),
        )
}

/// Outage notices.
fn outage_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/outages", get(outages::list).post(outages::create))
        .route("/api/v1/outages/{id}", get(outages::get))
        .route("/api/v1/outages/{id}/{step}", post(outages::step))
        .route("/api/v1/public/outages", get(outages::public))
        .route("/api/v1/reports/outages", get(outages::report))
        .route("/api/v1/incidents", get(outages::incidents))
        .route(
            "/api/v1/incidents/{id}/{step}",
            post(outages::incident_step),
        )
}

/// Reports, supervision, assessment, customers and surveys.
fn report_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/kpi/breakdown", get(reports::breakdown))
        .route("/api/v1/reports/matters", get(reports::matters))
        .route("/api/v1/reports/month_end", post(assessment::month_end))
        .route("/api/v1/supervision", get(reports::board))
        .route("/api/v1/supervision/{id}/ack", post(reports::acknowledge))
        .route("/api/v1/assessment/entries", post(assessment::create))
        .route(
            "/api/v1/assessment/entries/{id}/reverse",
            post(assessment::reverse),
        )
        .route("/api/v1/assessment/statement", get(assessment::statement))
        .route("/api/v1/reports/kpi", get(reports::kpi))
        .route(
            "/api/v1/customers",
            get(customers::find).post(customers::create),
        )
        .route("/api/v1/customers/{id}", get(customers::get))
        .route("/api/v1/customers/{id}/verify", post(customers::verify))
        .route("/api/v1/surveys", post(customers::create_survey))
        .route("/api/v1/surveys/{id}", get(customers::get_survey))
        .route("/api/v1/surveys/{id}/answers", post(customers::answer))
}

/// A list answer.
#[derive(schemars::JsonSchema, Debug, serde::Serialize)]
#[schemars(rename = "{T}List")]
pub struct Items<T> {
    /// The items.
    pub items: Vec<T>,
}

pub use rexian_app::ser::parse_id;
pub use rexian_app::ser::Id;

/// An optional id of the query (empty means not given), naming `field` when it is no id.
pub fn opt_id(field: &str, v: Option<&str>) -> crate::error::AppResult<Option<i64>> {
    v.filter(|s| !s.is_empty())
        .map(|s| parse_id(field, s))
        .transpose()
}

/// The OpenAPI document of the API, generated from its types ([`doc`]).
pub async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        doc::document_text(),
    )
}

/// `GET /api/v1/admin/calendar`: the years with holiday data, and a warning for this or next
/// year without (deadlines there are provisional: weekends only).
pub async fn calendar(
    axum::extract::State(app): axum::extract::State<crate::AppState>,
) -> axum::Json<rexian_app::calendar::CalendarView> {
    axum::Json(rexian_app::calendar::in_use(&app))
}
