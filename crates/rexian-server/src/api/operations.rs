//! Every operation of the API, one entry each: method, path, summary, tag, then what it takes
//! (`query::<Q>()` the handler's `Query<Q>`, `body::<B>()` its JSON body) and what it answers
//! (`ok::<T>()` 200, `created::<T>()` 201, `no_content()` 204, `export::<T>()` JSON, CSV or
//! xlsx). The error statuses are those of its method (`doc::READ`, `doc::WRITE`) unless
//! `errors(..)` says. The OpenAPI document is generated from this table ([`super::doc`]).

use rexian_app::{
    assessment, away, calendar, callbacks, contacts, customers, halls, incidents, intake, kb,
    matters, measurements, orders, org, outages, photos, reports, roster, search, shifts, steps,
};

use super::doc::{op, Op};
use super::Items;

/// Every operation of the document.
pub fn operations() -> Vec<Op> {
    let mut all = ops_org();
    all.extend(ops_orders());
    all.extend(order_steps());
    all.extend(ops_channels());
    all.extend(ops_knowledge());
    all.extend(ops_reports());
    all.extend(ops_outages());
    all.extend(ops_shifts());
    all.extend(ops_portal());
    all.extend(ops_water());
    all
}

/// The customer self-service portal (issue 20).
#[rustfmt::skip]
fn ops_portal() -> Vec<Op> {
    use rexian_app::portal;
    const PUBLIC: &[u16] = &[400, 413, 422, 429];
    vec![
        op("POST", "/api/v1/public/orders", "For the public (no login): submits a demand (channel web); limited per client and per phone (429 with Retry-After); with the company's verification on, the code sent by /public/verify", "portal").body::<portal::PublicOrder>().created::<portal::Submitted>().errors(PUBLIC),
        op("GET", "/api/v1/public/orders/{number}", "For the public: an order's status and steps in plain words when phone is its customer's; the same 404 otherwise", "portal").query::<super::portal::TrackQuery>().ok::<super::portal::TrackView>().errors(&[400, 404, 422]),
        op("POST", "/api/v1/public/verify", "For the public: sends a verification code to the phone (companies with settings.portal_verify_phone = 1); limited like demands", "portal").body::<portal::VerifyInput>().ok::<portal::CodeSent>().errors(PUBLIC),
        op("POST", "/api/v1/orders/{id}/portal_link", "A signed, single-use, expiring link (/p/s/{token}) the customer answers the callback with; its SMS is written for the sender", "portal").body::<portal::LinkInput>().created::<portal::LinkMade>(),
    ]
}

/// Water extended services (003, api-v1 "Field services").
#[rustfmt::skip]
fn ops_water() -> Vec<Op> {
    use rexian_app::water;
    vec![
        op("POST", "/api/v1/orders/{id}/sample", "Water-quality test (service/water_quality, with the unit): the sample taken {at, point}; an order event, the status stays", "orders").body::<water::SampleInput>().ok::<orders::OrderView>(),
        op("POST", "/api/v1/orders/{id}/lab_result", "Water-quality test: the lab's result {at, passed, report_no} after the sample (else 409 invalid_transition); then reply and callback as for any order", "orders").body::<water::LabResultInput>().ok::<orders::OrderView>(),
        op("POST", "/api/v1/orders/{id}/reminder", "Reminder (service/reminder, 003:1.2): kind abnormal_use, suspected_leak or safety_hazard, signed by the customer (must be true)", "orders").body::<water::ReminderInput>().ok::<orders::OrderView>(),
        op("POST", "/api/v1/orders/{id}/leak_result", "Leak detection on request (service/leak_detection, 003:2): found and the result told to the customer", "orders").body::<water::LeakResultInput>().ok::<orders::OrderView>(),
        op("POST", "/api/v1/orders/{id}/community_report", "Community service day (service/community, 003:5): origin planned, requested or staff, held_at and the report", "orders").body::<water::CommunityInput>().ok::<orders::OrderView>(),
        op("POST", "/api/v1/outages/{id}/water_deliveries", "Emergency water delivery (003:6) during a published outage of a water company: at, place, litres or tanks; answers the notice with its water_deliveries", "outages").body::<water::DeliveryInput>().created::<outages::OutageView>(),
    ]
}

/// Health, session, organisation and the test clock.
#[rustfmt::skip]
fn ops_org() -> Vec<Op> {
    const SIGN_IN: &[u16] = &[400, 401, 403, 404, 409, 413, 422, 429];
    vec![
        op("GET", "/healthz", "Process up", "ops").text().errors(&[]),
        op("GET", "/readyz", "Database answers", "ops").text().errors(&[]),
        op("POST", "/api/v1/session", "Sign in", "auth").body::<super::session::LoginBody>().ok::<super::session::LoginAnswer>().errors(SIGN_IN),
        op("DELETE", "/api/v1/session", "Sign out (revoke token)", "auth").no_content(),
        op("GET", "/api/v1/me", "The signed-in user", "auth").ok::<super::session::MeView>(),
        op("GET", "/api/v1/companies", "Companies", "org").ok::<Items<org::CompanyView>>(),
        op("POST", "/api/v1/companies", "Create a company", "org").body::<org::NewCompanyInput>().created::<org::Created>(),
        op("GET", "/api/v1/companies/{id}", "One company", "org").ok::<org::CompanyView>(),
        op("PUT", "/api/v1/companies/{id}/season", "Set the heating season", "org").body::<org::SeasonInput>().ok::<org::SeasonSet>(),
        op("GET", "/api/v1/companies/{id}/policy", "Effective policy", "org").ok::<org::PolicyView>(),
        op("PUT", "/api/v1/companies/{id}/policy", "Override the preset", "org").body::<super::org::PolicyBody>().ok::<org::PolicyView>(),
        op("GET", "/api/v1/units", "Units", "org").query::<super::org::CompanyFilter>().ok::<Items<org::UnitView>>(),
        op("POST", "/api/v1/units", "Create a unit", "org").body::<org::NewUnitInput>().created::<org::Created>(),
        op("PUT", "/api/v1/units/{id}/area", "Set a unit's area class (urban, rural, remote; null: the company policy's)", "org").body::<super::org::AreaBody>().ok::<org::UnitView>(),
        op("GET", "/api/v1/users", "Users", "org").query::<super::org::CompanyFilter>().ok::<Items<org::UserView>>(),
        op("POST", "/api/v1/users", "Create a user", "org").body::<org::NewUserInput>().created::<org::Created>(),
        op("GET", "/api/v1/users/{id}", "One user", "org").ok::<org::UserView>(),
        op("PUT", "/api/v1/users/{id}/partner", "Set the A/B partner", "org").body::<super::org::PartnerBody>().ok::<org::UserView>(),
        op("PUT", "/api/v1/users/{id}/disabled", "Disable or enable", "org").body::<super::org::DisabledBody>().ok::<org::UserView>(),
        op("PUT", "/api/v1/users/{id}/password", "Set the password", "org").body::<super::org::PasswordBody>().no_content(),
        op("GET", "/api/v1/admin/calendar", "Calendar years and missing-year warning", "admin").ok::<calendar::CalendarView>(),
        op("PUT", "/api/v1/admin/clock", "Set the manual clock (serve --clock manual)", "test").body::<super::clock::SetBody>().ok::<super::clock::ClockView>(),
        op("POST", "/api/v1/admin/clock/advance", "Advance the manual clock and run due timers", "test").body::<super::clock::AdvanceBody>().ok::<super::clock::ClockView>(),
    ]
}

/// Orders, their photos and matters.
#[rustfmt::skip]
fn ops_orders() -> Vec<Op> {
    vec![
        op("GET", "/api/v1/orders", "List orders", "orders").query::<orders::ListInput>().ok::<orders::OrderPage>(),
        op("POST", "/api/v1/orders", "Create an order; the answer carries outages: the published, unrestored notices of the company covering the caller's community or address; resolved_at_once.outage_id closes the call with one of them (linked and counted)", "orders").body::<intake::NewOrderInput>().created::<intake::Created>(),
        op("GET", "/api/v1/orders/{id}", "One order with deadlines, events and callbacks", "orders").ok::<orders::OrderView>(),
        op("GET", "/api/v1/orders/{id}/supervision", "Supervision notices", "orders").ok::<steps::views::Notices>(),
        op("GET", "/api/v1/orders/{id}/callback_form", "Callback form (回访单)", "callbacks").ok::<steps::views::CallbackForm>(),
        op("GET", "/api/v1/matters/{id}", "A complaint matter and its orders", "orders").ok::<matters::MatterView>(),
        op("POST", "/api/v1/orders/{id}/extensions/{eid}/approve", "Approve an extension", "orders").body::<steps::StepInput>().ok::<steps::StepDone>(),
        op("POST", "/api/v1/orders/{id}/extensions/{eid}/reject", "Reject an extension", "orders").body::<steps::StepInput>().requires(&["reason"]).ok::<steps::StepDone>(),
        op("GET", "/api/v1/orders/{id}/photos", "Photos of an order (anyone who may see the order)", "orders").ok::<Items<photos::PhotoView>>(),
        op("POST", "/api/v1/orders/{id}/photos", "Add photos to an order (multipart, fields `photo`: JPEG or PNG, at most 6 of 8 MB each); not to a closed or cancelled order", "orders").photos().created::<Items<photos::PhotoView>>(),
        op("GET", "/api/v1/orders/{id}/photos/{pid}", "One photo of an order: the image", "orders").image(),
        op("POST", "/api/v1/orders/{id}/crew", "The crew on its way (001): the assigned field worker (or the unit) reports set_off (with eta), on_site (the arrive step) or done; 409 invalid_transition naming state when out of order", "orders").body::<steps::CrewInput>().requires(&["state"]).ok::<steps::StepDone>(),
        op("POST", "/api/v1/orders/{id}/appointment", "Book a visit for the customer's time (上门预约); the arrive limit counts to it, a missed one is appointment_missed; booked again, the next visit", "orders").body::<steps::AppointmentInput>().requires(&["for_time"]).ok::<steps::StepDone>(),
        op("POST", "/api/v1/orders/{id}/measurements", "A temperature reading of a service/temperature order (000:五): 08:00–21:00 local (measurement_window); valid with both conditions; a valid reading below the policy's standard_c starts cause_check and lists neighbour_sample", "orders").body::<measurements::MeasurementInput>().requires(&["stage", "room_c", "doors_windows_closed_1h", "device_centre_1m", "customer_signed"]).ok::<orders::OrderView>(),
    ]
}

/// The steps of `POST /api/v1/orders/{id}/{step}`: name, what it does, the fields it needs.
const ORDER_STEPS: &[(&str, &str, &[&str])] = &[
    ("dispatch", "Step: dispatch", &["unit_id"]),
    ("transfer", "Step: transfer", &["unit_id"]),
    ("accept", "Step: accept", &[]),
    ("return", "Step: return", &["reason"]),
    ("arrive", "Step: arrive", &[]),
    ("extensions", "Step: ask for an extension (201, extension_id)", &["until", "reason"]),
    ("reply", "Step: reply", &["result"]),
    ("review", "Step: review", &["approved"]),
    ("callbacks", "Step: callbacks", &["reached"]),
    ("close", "Step: close", &[]),
    ("cancel", "Step: cancel", &["reason"]),
    ("reopen", "Step: reopen", &["reason"]),
    ("suspend", "Step: suspend", &["reason"]),
    ("suspend_request", "Step: suspend_request (the unit asks the company to suspend; an event, the status stays)", &["reason"]),
    ("suspend_refuse", "Step: suspend_refuse (the company refuses a pending suspension request; 409 when none is pending)", &["reason"]),
    ("resume", "Step: resume", &[]),
    ("merge", "Step: merge", &["into"]),
    ("assign", "Assign to a field worker", &["user_id"]),
    ("callback_appointment", "约时回访: appointment", &["until"]),
    ("unsatisfied_review", "Supervisor reviews an unsatisfied callback", &["comment"]),
];

/// One operation per order step (one route, `steps::StepInput` for all).
fn order_steps() -> Vec<Op> {
    ORDER_STEPS
        .iter()
        .map(|(step, summary, needs)| {
            let o = op(
                "POST",
                &format!("/api/v1/orders/{{id}}/{step}"),
                summary,
                "orders",
            )
            .body::<steps::StepInput>()
            .requires(needs);
            if *step == "extensions" {
                o.created::<steps::StepDone>()
            } else {
                o.ok::<steps::StepDone>()
            }
        })
        .collect()
}

/// Callbacks, contacts, re-checks, outreach, customers and surveys.
#[rustfmt::skip]
fn ops_channels() -> Vec<Op> {
    use super::callbacks::QueueQuery;
    vec![
        op("GET", "/api/v1/callbacks/queue", "Orders waiting for a callback", "callbacks").query::<QueueQuery>().ok::<Items<callbacks::CallbackLine>>(),
        op("GET", "/api/v1/callbacks/unsatisfied", "Unsatisfied callbacks for supervisor review", "callbacks").query::<QueueQuery>().ok::<Items<orders::OrderSummary>>(),
        op("POST", "/api/v1/contacts", "Record a contact (dropped call = call-back task)", "callbacks").body::<contacts::ContactInput>().created::<contacts::Created>(),
        op("GET", "/api/v1/contacts/dropped", "Dropped calls to call back", "callbacks").query::<QueueQuery>().ok::<Items<contacts::DroppedCall>>(),
        op("POST", "/api/v1/contacts/{id}/handled", "Dropped call called back", "callbacks").no_content(),
        op("GET", "/api/v1/callbacks/rechecks", "Open re-checks", "callbacks").query::<QueueQuery>().ok::<Items<callbacks::RecheckLine>>(),
        op("POST", "/api/v1/rechecks/{id}", "Record a satisfaction re-check: reached customers answer satisfaction, repair surveys also attitude and quality", "callbacks").body::<contacts::RecheckInput>().no_content(),
        op("GET", "/api/v1/outreach", "Outreach events", "callbacks").query::<QueueQuery>().ok::<Items<contacts::OutreachView>>(),
        op("POST", "/api/v1/outreach", "Add an outreach event; its report is due the policy's days after it ends", "callbacks").body::<contacts::OutreachInput>().created::<contacts::OutreachCreated>(),
        op("POST", "/api/v1/outreach/{id}/report", "File an outreach event's report", "callbacks").body::<super::callbacks::ReportBody>().no_content(),
        op("GET", "/api/v1/customers", "Customer register", "callbacks").query::<super::customers::FindQuery>().ok::<Items<customers::CustomerView>>(),
        op("POST", "/api/v1/customers", "Add a customer to the register", "callbacks").body::<customers::CustomerInput>().created::<customers::Created>(),
        op("GET", "/api/v1/customers/{id}", "A customer: the account number and their orders only once this agent verified the caller (30 minutes)", "callbacks").ok::<customers::CustomerDetail>(),
        op("POST", "/api/v1/customers/{id}/verify", "Check a caller's identity against the register: two matching fields and no wrong one; every attempt is recorded", "callbacks").body::<super::customers::VerifyBody>().ok::<customers::Verification>(),
        op("POST", "/api/v1/surveys", "Draw a month's survey sample from the customer register (once a month)", "callbacks").body::<customers::SurveyInput>().created::<customers::SurveyCreated>(),
        op("GET", "/api/v1/surveys/{id}", "A survey: its sample, the sample's spread over communities, and the results", "callbacks").ok::<customers::SurveyView>(),
        op("POST", "/api/v1/surveys/{id}/answers", "Record a sampled household's answer", "callbacks").body::<customers::AnswerInput>().no_content(),
    ]
}

/// The knowledge base and search.
#[rustfmt::skip]
fn ops_knowledge() -> Vec<Op> {
    vec![
        op("GET", "/api/v1/search", "Search orders, customers, contacts, knowledge articles and outage notices (the centre's staff): phone, account and order number whole or a prefix; address fragments", "search").query::<super::search::SearchQuery>().ok::<Items<search::Hit>>(),
        op("GET", "/api/v1/kb/articles", "Knowledge articles: readers the published ones, supervisors and admins the latest version of each", "kb").query::<kb::ListFilter>().ok::<Items<kb::ArticleLine>>(),
        op("POST", "/api/v1/kb/articles", "Create an article (version 1, draft); supervisors and admins", "kb").body::<kb::ArticleInput>().created::<kb::Article>(),
        op("GET", "/api/v1/kb/articles/{id}", "One article: readers the published text; writers the latest version with every version and event", "kb").ok::<kb::Article>(),
        op("PUT", "/api/v1/kb/articles/{id}", "A new version of the article (draft); earlier versions are kept", "kb").body::<kb::VersionInput>().ok::<kb::Article>(),
        op("POST", "/api/v1/kb/articles/{id}/{action}", "Workflow step: submit (draft → review), approve (review → published; reviewer other than the author; an earlier published version is retired), reject (review → draft, reason), retire (published → retired, reason)", "kb").path_enum("action", &["submit", "approve", "reject", "retire"]).body::<kb::ActionInput>().ok::<kb::Article>(),
        op("GET", "/api/v1/kb/articles/{id}/versions/{version}", "One version of an article (readers: only a published one)", "kb").ok::<kb::ArticleVersion>(),
        op("GET", "/api/v1/kb/suggest", "Published articles for what the caller said (any of its words, synonyms included), best first", "kb").query::<super::kb::SuggestQuery>().ok::<Items<search::Hit>>(),
        op("GET", "/api/v1/kb/checklists", "The one-time-notification checklists (一次性告知) of the company's policy, by subtype", "kb").query::<super::kb::CompanyQuery>().ok::<kb::Checklists>(),
    ]
}

/// Reports, supervision and assessment.
#[rustfmt::skip]
fn ops_reports() -> Vec<Op> {
    vec![
        op("GET", "/api/v1/reports/kpi", "KPIs of a period", "reports").query::<super::reports::KpiQuery>().ok::<reports::KpiReport>(),
        op("GET", "/api/v1/reports/kpi/breakdown", "KPIs of a period by unit, person, category, subtype or channel, with repeat complaints", "reports").query::<super::reports::BreakdownQuery>().export::<Items<reports::BreakdownLine>>(),
        op("GET", "/api/v1/reports/matters", "Top complaint matters of a period with their repeat complaints", "reports").query::<super::reports::MattersQuery>().export::<Items<reports::MatterLine>>(),
        op("POST", "/api/v1/reports/month_end", "Close a month once: the orders still open at its end and the policy's month_end_open deductions, in one transaction", "reports").body::<assessment::MonthEndInput>().created::<assessment::MonthEnd>(),
        op("GET", "/api/v1/supervision", "Supervision board (督办): each order once at its highest level with its reminders and addressees, and outage notices late for publication (kind outage); mine=true: the notices addressed to the caller", "reports").query::<super::reports::BoardQuery>().ok::<Items<reports::BoardItem>>(),
        op("POST", "/api/v1/supervision/{id}/ack", "Acknowledge a supervision notice", "reports").no_content(),
        op("POST", "/api/v1/assessment/entries", "Manual assessment entry (person or unit, points or 元, with a reason)", "reports").body::<assessment::EntryInput>().created::<assessment::Created>(),
        op("POST", "/api/v1/assessment/entries/{id}/reverse", "Reverse an entry with a reason: a new entry of the opposite amounts (nothing is deleted)", "reports").body::<super::assessment::ReverseBody>().created::<assessment::Created>(),
        op("GET", "/api/v1/assessment/statement", "Monthly assessment statement per person and unit, or every entry with detail=true", "reports").query::<super::assessment::StatementQuery>().export::<super::assessment::StatementAnswer>(),
    ]
}

/// Outage notices and mass incidents.
#[rustfmt::skip]
fn ops_outages() -> Vec<Op> {
    const READ: &[u16] = &[400, 401, 403, 422];
    vec![
        op("GET", "/api/v1/outages", "Outage notices, newest first; with address (and a company), those not restored whose area covers it", "outages").query::<outages::ListInput>().ok::<Items<outages::OutageView>>().errors(READ),
        op("POST", "/api/v1/outages", "Records an outage notice as received: a draft due for publication at the end of the receiving shift (publish_due_at); unpublished by then, the company's outage_notice_late rule fires once on its creator", "outages").body::<outages::NewOutage>().created::<outages::OutageView>(),
        op("GET", "/api/v1/outages/{id}", "One notice with the orders answered with it (contacts)", "outages").ok::<outages::OutageView>().errors(&[400, 401, 403, 404, 422]),
        op("POST", "/api/v1/outages/{id}/{step}", "publish (draft → published), update (cause, expected_end_at; draft or published), restore (published → restored, restored_at)", "outages").path_enum("step", &["publish", "update", "restore"]).body::<super::outages::StepBody>().ok::<outages::OutageView>(),
        op("GET", "/api/v1/public/outages", "For the public (no login): the published, unrestored outage notices of a company covering an address; nothing internal", "outages").query::<outages::PublicQuery>().ok::<Items<outages::PublicNotice>>().errors(&[400, 422]),
        op("GET", "/api/v1/reports/outages", "Outage notices received in the period (local dates, both included): minutes to publication, late publications, calls answered with each notice", "reports").query::<super::outages::ReportQuery>().ok::<outages::Report>().errors(READ),
        op("GET", "/api/v1/incidents", "Mass incidents (SPEC §6), newest first", "outages").query::<super::outages::IncidentQuery>().ok::<Items<incidents::IncidentView>>().errors(READ),
        op("POST", "/api/v1/incidents/{id}/{step}", "link {outage_id}: links the incident to an outage notice of its company; close {answer}: every order of the incident still new is answered at once, then the incident is closed", "outages").path_enum("step", &["link", "close"]).body::<super::outages::IncidentBody>().ok::<super::outages::IncidentAnswer>(),
    ]
}

/// Shift handovers and the duty log.
#[rustfmt::skip]
fn ops_shifts() -> Vec<Op> {
    const READ: &[u16] = &[400, 401, 403, 422];
    const CREATE: &[u16] = &[400, 401, 403, 409, 413, 422];
    vec![
        op("POST", "/api/v1/handovers", "The outgoing shift hands over (001): every item still open that the incoming shift must take over, plus notes", "shifts").body::<shifts::NewHandover>().created::<shifts::HandoverView>().errors(CREATE),
        op("GET", "/api/v1/handovers/{id}", "One handover with its items", "shifts").ok::<shifts::HandoverView>().errors(&[400, 401, 403, 404, 422]),
        op("POST", "/api/v1/handovers/{id}/accept", "The incoming shift accepts, acknowledging every item; late past the policy's handover_max_delay_minutes, the handover_late rule fires", "shifts").body::<shifts::Accept>().ok::<shifts::HandoverView>(),
        op("GET", "/api/v1/duty_log", "The duty log (值班日志) of a local day of the company (default today), oldest first", "shifts").query::<super::shifts::DayQuery>().ok::<Items<shifts::EntryView>>().errors(READ),
        op("POST", "/api/v1/duty_log", "Writes a line in today's duty log", "shifts").body::<shifts::NewEntry>().created::<shifts::EntryView>().errors(CREATE),
        op("GET", "/api/v1/users/{id}/away", "The away periods of a user (004 AB角), newest first, with the moves of their work; the user themself, or a supervisor or admin of their company", "shifts").ok::<Items<away::AwayView>>(),
        op("POST", "/api/v1/users/{id}/away", "Records an away period (004 AB角): from `from` to `until` the user's open work (orders assigned to them, follow-ups as first responder, callbacks included) is handled by their B partner, each move an order event; at `until` what is still open and still with B (or nobody) comes back. 409 partner_away when the partner is away at an overlapping time, 409 no_partner when the post has no B, unless force (then the work goes to nobody and the supervisor assigns); 409 conflict (field from) when the user is away then already", "shifts").body::<away::NewAway>().created::<away::AwayView>(),
        op("POST", "/api/v1/users/{id}/away/{aid}/end", "Ends an away period now: what is still open and still with B (or nobody) comes back; 409 when it is over already", "shifts").ok::<away::AwayView>(),
        op("GET", "/api/v1/away", "The away periods of a company sharing a moment with [from, until) (default the next 7 days), each with both_away when the post's partner is away at an overlapping time too", "shifts").query::<super::away::RangeQuery>().ok::<Items<away::AwayView>>().errors(READ),
        op("GET", "/api/v1/roster", "The roster (排班, 001) of a month: every local date with its shifts (from the company's policy: number, name, start, end) and who is on each", "shifts").query::<super::roster::MonthQuery>().ok::<roster::MonthView>().errors(READ),
        op("PUT", "/api/v1/roster", "Sets the roster a day at a time (supervisors and admins): every date named by an entry or in `dates` becomes exactly its entries; removed ones are kept as history, every change an event; the same request twice changes nothing", "shifts").body::<roster::PutRoster>().ok::<roster::Changed>(),
        op("POST", "/api/v1/roster/import", "Imports the roster from an .xlsx workbook (first sheet; header 日期, 班次, 工号/登录名): every date in the sheet becomes its rows; a bad row is refused with 400 naming its row and column, and nothing is written", "shifts").query::<super::roster::CompanyQuery>().xlsx().ok::<roster::Changed>().errors(&[400, 401, 403, 409, 413, 422]),
        op("GET", "/api/v1/roster/history", "The changes of one date's roster, oldest first: who was added or removed, from where, by whom, when", "shifts").query::<super::roster::HistoryQuery>().ok::<Items<roster::EventView>>().errors(READ),
        op("GET", "/api/v1/shifts/current", "The company's shift now (number, name, start, end, from its policy and the clock) and who is on it by the roster", "shifts").query::<super::roster::CompanyQuery>().ok::<roster::SlotView>().errors(READ),
        op("GET", "/api/v1/handovers", "The handovers of a local day of the company (default today)", "shifts").query::<super::shifts::DayQuery>().ok::<Items<shifts::HandoverView>>().errors(READ),
        op("GET", "/api/v1/halls/items", "Hall check items (004) of the company by due date; overdue=true keeps those past due", "halls").query::<super::halls::ListQuery>().ok::<Items<halls::ItemView>>(),
        op("POST", "/api/v1/halls/items", "Adds an item to a hall's checks, with its period and first due date", "halls").body::<halls::NewItem>().created::<halls::ItemDetail>().errors(CREATE),
        op("GET", "/api/v1/halls/items/{id}", "One hall item with its checks, newest first", "halls").ok::<halls::ItemDetail>(),
        op("POST", "/api/v1/halls/items/{id}/checks", "Records a check: who, what was found, the next due date", "halls").body::<halls::NewCheck>().created::<halls::ItemDetail>(),
        op("POST", "/api/v1/halls/items/{id}/retire", "Retires an item (kept, no more checks)", "halls").body::<halls::Retire>().ok::<halls::ItemDetail>(),
    ]
}
