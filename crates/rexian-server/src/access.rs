//! The access table: every route's rule, in one place. The `authorize` middleware reads it for
//! every request; a route with no rule here is refused, and a test walks the whole role × route
//! matrix from this table.

use axum::http::Method;
use rexian_domain::model::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    AnyUser,
    /// Signed-in users holding one of these roles.
    Roles(&'static [Role]),
}

use Role::*;

const ADMIN: Access = Access::Roles(&[Admin]);
const STAFF: Access = Access::Roles(&[
    Agent,
    Dispatcher,
    UnitHandler,
    FieldWorker,
    CallbackAgent,
    Supervisor,
    Assessor,
    Admin,
]);
const SHIFT: Access = Access::Roles(&[Agent, Dispatcher, CallbackAgent, Supervisor, Admin]);
const CENTRE: Access = Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]);
const HALL: Access = Access::Roles(&[Agent, Dispatcher, UnitHandler, Supervisor, Admin]);
const ADMIN_SUPERVISOR: Access = Access::Roles(&[Admin, Supervisor]);
/// Those who take `reply` on an order (`rexian_app::orders::step_roles`).
const FIELD: Access = Access::Roles(&[UnitHandler, FieldWorker, Supervisor, Admin]);

/// Every route: method, axum path pattern, rule.
pub static RULES: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Access::Public),
    ("GET", "/readyz", Access::Public),
    ("GET", "/assets/{file}", Access::Public),
    ("GET", "/login", Access::Public),
    ("POST", "/login", Access::Public),
    ("POST", "/lang", Access::Public),
    ("POST", "/api/v1/session", Access::Public),
    ("GET", "/api/v1/openapi.json", Access::Public),
    ("DELETE", "/api/v1/session", Access::AnyUser),
    ("GET", "/api/v1/me", Access::AnyUser),
    ("GET", "/", Access::AnyUser),
    ("POST", "/logout", Access::AnyUser),
    // Organisation.
    ("GET", "/api/v1/companies", Access::AnyUser),
    ("POST", "/api/v1/companies", ADMIN),
    ("GET", "/api/v1/companies/{id}", Access::AnyUser),
    ("PUT", "/api/v1/companies/{id}/season", ADMIN),
    ("GET", "/api/v1/units", Access::AnyUser),
    ("POST", "/api/v1/units", ADMIN),
    ("PUT", "/api/v1/units/{id}/area", ADMIN),
    ("GET", "/api/v1/users", ADMIN_SUPERVISOR),
    ("POST", "/api/v1/users", ADMIN),
    ("GET", "/api/v1/users/{id}", ADMIN_SUPERVISOR),
    ("PUT", "/api/v1/users/{id}/partner", ADMIN),
    ("PUT", "/api/v1/users/{id}/disabled", ADMIN),
    ("PUT", "/api/v1/users/{id}/password", ADMIN),
    ("GET", "/api/v1/companies/{id}/policy", Access::AnyUser),
    ("PUT", "/api/v1/companies/{id}/policy", ADMIN),
    // Orders: the union of the roles of every step; each step narrows further in the domain
    // of its handler's step table (`rexian_app::orders::step_roles`).
    ("GET", "/api/v1/orders", STAFF),
    (
        "POST",
        "/api/v1/orders",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    ("GET", "/api/v1/orders/{id}", STAFF),
    ("POST", "/api/v1/orders/{id}/{step}", STAFF),
    (
        "POST",
        "/api/v1/orders/{id}/extensions/{eid}/{decision}",
        Access::Roles(&[Supervisor, Admin]),
    ),
    ("GET", "/api/v1/orders/{id}/supervision", STAFF),
    // The crew on its way and visit appointments (narrowed in `rexian_app::steps::crew`).
    (
        "POST",
        "/api/v1/orders/{id}/crew",
        Access::Roles(&[UnitHandler, FieldWorker, Supervisor, Admin]),
    ),
    (
        "POST",
        "/api/v1/orders/{id}/appointment",
        Access::Roles(&[
            Agent,
            Dispatcher,
            UnitHandler,
            FieldWorker,
            Supervisor,
            Admin,
        ]),
    ),
    // Photos: anyone who may see the order sees them; adding is narrowed in `api::photos`.
    ("GET", "/api/v1/orders/{id}/photos", STAFF),
    ("POST", "/api/v1/orders/{id}/photos", STAFF),
    ("GET", "/api/v1/orders/{id}/photos/{pid}", STAFF),
    // Temperature readings: the unit's people on service/temperature orders (`measurements`).
    (
        "POST",
        "/api/v1/orders/{id}/measurements",
        Access::Roles(&[FieldWorker, UnitHandler, Supervisor, Admin]),
    ),
    (
        "GET",
        "/api/v1/orders/{id}/callback_form",
        Access::Roles(&[CallbackAgent, Supervisor, Assessor, Admin]),
    ),
    (
        "GET",
        "/api/v1/matters/{id}",
        Access::Roles(&[
            Agent,
            Dispatcher,
            Supervisor,
            CallbackAgent,
            Assessor,
            Admin,
        ]),
    ),
    ("GET", "/api/v1/admin/calendar", ADMIN_SUPERVISOR),
    // Callbacks and the contact ledger.
    (
        "GET",
        "/api/v1/callbacks/queue",
        Access::Roles(&[CallbackAgent, Supervisor, Admin]),
    ),
    (
        "GET",
        "/api/v1/callbacks/unsatisfied",
        Access::Roles(&[Supervisor, Assessor, Admin]),
    ),
    (
        "POST",
        "/api/v1/contacts",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    (
        "GET",
        "/api/v1/contacts/dropped",
        Access::Roles(&[Agent, CallbackAgent, Supervisor, Admin]),
    ),
    (
        "POST",
        "/api/v1/contacts/{id}/handled",
        Access::Roles(&[Agent, CallbackAgent, Supervisor, Admin]),
    ),
    (
        "GET",
        "/api/v1/callbacks/rechecks",
        Access::Roles(&[CallbackAgent, Supervisor, Admin]),
    ),
    (
        "POST",
        "/api/v1/rechecks/{id}",
        Access::Roles(&[CallbackAgent, Supervisor, Admin]),
    ),
    (
        "GET",
        "/api/v1/outreach",
        Access::Roles(&[Supervisor, CallbackAgent, Admin]),
    ),
    (
        "POST",
        "/api/v1/outreach",
        Access::Roles(&[Supervisor, Admin]),
    ),
    (
        "POST",
        "/api/v1/outreach/{id}/report",
        Access::Roles(&[Supervisor, Admin]),
    ),
    (
        "GET",
        "/api/v1/reports/kpi",
        Access::Roles(&[Supervisor, Assessor, Admin, Dispatcher]),
    ),
    ("GET", "/api/v1/search", STAFF),
    // Handovers and the duty log: the centre's shifts (`rexian_app::shifts`).
    ("POST", "/api/v1/handovers", SHIFT),
    ("GET", "/api/v1/handovers/{id}", SHIFT),
    ("POST", "/api/v1/handovers/{id}/accept", SHIFT),
    ("GET", "/api/v1/duty_log", SHIFT),
    ("POST", "/api/v1/duty_log", SHIFT),
    ("GET", "/api/v1/handovers", SHIFT),
    // Hall checks (`rexian_app::halls`): items added and retired by supervisors.
    ("GET", "/api/v1/halls/items", HALL),
    ("POST", "/api/v1/halls/items", ADMIN_SUPERVISOR),
    ("GET", "/api/v1/halls/items/{id}", HALL),
    ("POST", "/api/v1/halls/items/{id}/checks", HALL),
    ("POST", "/api/v1/halls/items/{id}/retire", ADMIN_SUPERVISOR),
    // Their screens.
    ("GET", "/handover", SHIFT),
    ("POST", "/handover", SHIFT),
    ("POST", "/handovers/{id}/accept", SHIFT),
    ("GET", "/handovers/{id}/print", SHIFT),
    ("GET", "/duty_log", SHIFT),
    ("POST", "/duty_log", SHIFT),
    ("GET", "/halls", HALL),
    ("POST", "/halls/items", ADMIN_SUPERVISOR),
    ("GET", "/halls/items/{id}", HALL),
    ("POST", "/halls/items/{id}/checks", HALL),
    ("POST", "/halls/items/{id}/retire", ADMIN_SUPERVISOR),
    // Away periods (A/B roles, `004`): one's own, or anyone's for supervisors and admins
    // (`rexian_app::away`); the company's periods for the centre (the roster).
    ("GET", "/api/v1/users/{id}/away", STAFF),
    ("POST", "/api/v1/users/{id}/away", STAFF),
    ("POST", "/api/v1/users/{id}/away/{aid}/end", STAFF),
    ("GET", "/api/v1/away", SHIFT),
    ("GET", "/away", STAFF),
    ("POST", "/away", STAFF),
    ("POST", "/away/{user}/{id}/end", STAFF),
    // The roster and the current shift (`rexian_app::roster`).
    ("GET", "/api/v1/roster", SHIFT),
    ("PUT", "/api/v1/roster", ADMIN_SUPERVISOR),
    ("POST", "/api/v1/roster/import", ADMIN_SUPERVISOR),
    ("GET", "/api/v1/roster/history", SHIFT),
    ("GET", "/api/v1/shifts/current", STAFF),
    // Outage notices: the centre's staff (`rexian_app::outages`).
    ("GET", "/api/v1/outages", CENTRE),
    ("POST", "/api/v1/outages", CENTRE),
    ("GET", "/api/v1/outages/{id}", CENTRE),
    ("POST", "/api/v1/outages/{id}/{step}", CENTRE),
    ("GET", "/api/v1/public/outages", Access::Public),
    // The customer portal (issue 20): no login; links made by the centre and its callbacks.
    ("POST", "/api/v1/public/orders", Access::Public),
    ("GET", "/api/v1/public/orders/{number}", Access::Public),
    ("POST", "/api/v1/public/verify", Access::Public),
    ("POST", "/api/v1/orders/{id}/portal_link", SHIFT),
    ("GET", "/p", Access::Public),
    ("POST", "/p/orders", Access::Public),
    ("GET", "/p/track", Access::Public),
    ("GET", "/p/outages", Access::Public),
    ("POST", "/p/verify", Access::Public),
    ("GET", "/p/s/{token}", Access::Public),
    ("POST", "/p/s/{token}", Access::Public),
    ("GET", "/outages", CENTRE),
    ("GET", "/roster", SHIFT),
    ("POST", "/roster/day", ADMIN_SUPERVISOR),
    ("POST", "/roster/import", ADMIN_SUPERVISOR),
    ("GET", "/outages/incidents", CENTRE),
    ("GET", "/api/v1/incidents", CENTRE),
    ("POST", "/api/v1/incidents/{id}/{step}", CENTRE),
    (
        "GET",
        "/api/v1/reports/outages",
        Access::Roles(&[Supervisor, Assessor, Admin, Dispatcher]),
    ),
    ("POST", "/outages", CENTRE),
    ("POST", "/outages/{id}/{step}", CENTRE),
    // Knowledge base: every staff member reads what is published; supervisors and admins
    // write and review (a reviewer other than the author, checked in `api::kb`).
    ("GET", "/api/v1/kb/articles", STAFF),
    ("POST", "/api/v1/kb/articles", ADMIN_SUPERVISOR),
    ("GET", "/api/v1/kb/articles/{id}", STAFF),
    ("PUT", "/api/v1/kb/articles/{id}", ADMIN_SUPERVISOR),
    (
        "POST",
        "/api/v1/kb/articles/{id}/{action}",
        ADMIN_SUPERVISOR,
    ),
    ("GET", "/api/v1/kb/articles/{id}/versions/{version}", STAFF),
    ("GET", "/api/v1/kb/suggest", STAFF),
    ("GET", "/api/v1/kb/checklists", STAFF),
    ("GET", "/search", STAFF),
    ("GET", "/search/results", STAFF),
    ("GET", "/kb", STAFF),
    ("GET", "/kb/new", ADMIN_SUPERVISOR),
    ("POST", "/kb/new", ADMIN_SUPERVISOR),
    ("GET", "/kb/checklists", STAFF),
    ("GET", "/kb/{id}", STAFF),
    ("POST", "/kb/{id}/edit", ADMIN_SUPERVISOR),
    ("POST", "/kb/{id}/{action}", ADMIN_SUPERVISOR),
    (
        "GET",
        "/intake/suggest",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    // Reports, supervision board, assessment ledger, month-end.
    (
        "GET",
        "/reports",
        Access::Roles(&[Supervisor, Assessor, Admin, Dispatcher]),
    ),
    (
        "GET",
        "/api/v1/reports/kpi/breakdown",
        Access::Roles(&[Supervisor, Assessor, Admin, Dispatcher]),
    ),
    (
        "GET",
        "/api/v1/reports/matters",
        Access::Roles(&[Supervisor, Assessor, Admin, Dispatcher]),
    ),
    (
        "POST",
        "/api/v1/reports/month_end",
        Access::Roles(&[Supervisor, Assessor, Admin]),
    ),
    (
        "GET",
        "/api/v1/supervision",
        // An agent (level 1 of a limit of the centre) reads only their own (`mine=true`).
        Access::Roles(&[Supervisor, UnitHandler, Assessor, Admin, Dispatcher, Agent]),
    ),
    (
        "POST",
        "/api/v1/supervision/{id}/ack",
        Access::Roles(&[Supervisor, UnitHandler, Admin]),
    ),
    (
        "POST",
        "/api/v1/assessment/entries",
        Access::Roles(&[Assessor, Admin]),
    ),
    (
        "POST",
        "/api/v1/assessment/entries/{id}/reverse",
        Access::Roles(&[Assessor, Admin]),
    ),
    (
        "GET",
        "/api/v1/assessment/statement",
        Access::Roles(&[Assessor, Supervisor, Admin]),
    ),
    // Customer register and surveys.
    (
        "GET",
        "/api/v1/customers",
        Access::Roles(&[Agent, Dispatcher, CallbackAgent, Supervisor, Admin]),
    ),
    (
        "POST",
        "/api/v1/customers",
        Access::Roles(&[Agent, Supervisor, Admin]),
    ),
    (
        "GET",
        "/api/v1/customers/{id}",
        Access::Roles(&[Agent, Dispatcher, CallbackAgent, Supervisor, Admin]),
    ),
    (
        "POST",
        "/api/v1/customers/{id}/verify",
        Access::Roles(&[Agent, Dispatcher, CallbackAgent, Supervisor, Admin]),
    ),
    (
        "POST",
        "/api/v1/surveys",
        Access::Roles(&[Supervisor, Admin]),
    ),
    (
        "GET",
        "/api/v1/surveys/{id}",
        Access::Roles(&[CallbackAgent, Supervisor, Assessor, Admin]),
    ),
    (
        "POST",
        "/api/v1/surveys/{id}/answers",
        Access::Roles(&[CallbackAgent, Supervisor, Admin]),
    ),
    // Test clock (only routed with `serve --clock manual`).
    ("PUT", "/api/v1/admin/clock", ADMIN),
    ("POST", "/api/v1/admin/clock/advance", ADMIN),
    // Admin screens.
    ("GET", "/admin", ADMIN),
    ("GET", "/admin/companies", ADMIN),
    ("POST", "/admin/companies", ADMIN),
    ("GET", "/admin/units", ADMIN),
    ("POST", "/admin/units", ADMIN),
    ("POST", "/admin/units/{id}/area", ADMIN),
    ("GET", "/admin/users", ADMIN),
    ("POST", "/admin/users", ADMIN),
    ("POST", "/admin/users/{id}/disabled", ADMIN),
    ("POST", "/admin/users/{id}/partner", ADMIN),
    ("GET", "/admin/policies", ADMIN),
    ("POST", "/admin/policies/{id}", ADMIN),
    ("GET", "/admin/calendar", ADMIN),
    ("POST", "/admin/calendar", ADMIN),
    // Supervisor's screen, assessment ledger, month-end closing.
    ("GET", "/supervise", ADMIN_SUPERVISOR),
    ("POST", "/supervise/notices/{id}/ack", ADMIN_SUPERVISOR),
    (
        "GET",
        "/ledger",
        Access::Roles(&[Assessor, Supervisor, Admin]),
    ),
    ("POST", "/ledger/entries", Access::Roles(&[Assessor, Admin])),
    (
        "POST",
        "/ledger/entries/{id}/reverse",
        Access::Roles(&[Assessor, Admin]),
    ),
    (
        "GET",
        "/month_end",
        Access::Roles(&[Supervisor, Assessor, Admin]),
    ),
    (
        "POST",
        "/month_end",
        Access::Roles(&[Supervisor, Assessor, Admin]),
    ),
    // Web console
    (
        "GET",
        "/intake",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    (
        "POST",
        "/intake",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    (
        "GET",
        "/intake/lookup",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    ("GET", "/intake/outages", CENTRE),
    (
        "POST",
        "/intake/verify",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    (
        "GET",
        "/intake/checklist",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    (
        "GET",
        "/intake/checklist/print",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    (
        "GET",
        "/intake/subtypes",
        Access::Roles(&[Agent, Dispatcher, Supervisor, Admin]),
    ),
    ("GET", "/queues", STAFF),
    ("GET", "/queues/stream", STAFF),
    (
        "GET",
        "/queues/callbacks",
        Access::Roles(&[CallbackAgent, Supervisor, Admin]),
    ),
    (
        "GET",
        "/queues/callbacks/rows",
        Access::Roles(&[CallbackAgent, Supervisor, Admin]),
    ),
    ("GET", "/queues/{name}", STAFF),
    ("GET", "/queues/{name}/rows", STAFF),
    ("GET", "/field", Access::Roles(&[FieldWorker])),
    ("GET", "/orders/{id}", STAFF),
    ("GET", "/orders/{id}/print", STAFF),
    (
        "GET",
        "/orders/{id}/callback_form",
        Access::Roles(&[CallbackAgent, Supervisor, Assessor, Admin]),
    ),
    ("POST", "/orders/{id}/{step}", STAFF),
    // The phone's crew buttons and the visit booking (`ui::field`).
    (
        "POST",
        "/orders/{id}/crew",
        Access::Roles(&[UnitHandler, FieldWorker, Supervisor, Admin]),
    ),
    (
        "POST",
        "/orders/{id}/appointment",
        Access::Roles(&[
            Agent,
            Dispatcher,
            UnitHandler,
            FieldWorker,
            Supervisor,
            Admin,
        ]),
    ),
    ("POST", "/orders/{id}/photos", STAFF),
    ("GET", "/orders/{id}/photos/{pid}", STAFF),
    (
        "POST",
        "/orders/{id}/measurements",
        Access::Roles(&[FieldWorker, UnitHandler, Supervisor, Admin]),
    ),
    ("GET", "/orders/{id}/measurements/print", STAFF),
    (
        "POST",
        "/orders/{id}/extensions/{eid}/{decision}",
        Access::Roles(&[Supervisor, Admin]),
    ),
    // Water extended services (003, issue 19; `rexian_app::water`): the service steps by those
    // who take `reply`, emergency water deliveries by the centre on an outage notice.
    ("POST", "/api/v1/orders/{id}/sample", FIELD),
    ("POST", "/api/v1/orders/{id}/lab_result", FIELD),
    ("POST", "/api/v1/orders/{id}/reminder", FIELD),
    ("POST", "/api/v1/orders/{id}/leak_result", FIELD),
    ("POST", "/api/v1/orders/{id}/community_report", FIELD),
    ("POST", "/api/v1/outages/{id}/water_deliveries", CENTRE),
    ("POST", "/orders/{id}/water/{step}", FIELD),
    ("POST", "/outages/{id}/water_deliveries", CENTRE),
];

/// The rule of a route, if it has one.
pub fn rule_for(method: &Method, path: &str) -> Option<Access> {
    RULES
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && *p == path)
        .map(|(_, _, a)| *a)
}
