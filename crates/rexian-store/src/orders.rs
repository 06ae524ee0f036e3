//! Work orders: rows, events, deadlines, callbacks and extensions. Every change of an order is
//! written with its event in one transaction; the order row is the projection of its events.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::{query, Db, DbRow};
use crate::{Result, Store, StoreError};

/// A contact of the ledger (来电/来访台账).
#[derive(Debug, Clone)]
pub struct NewContact {
    /// Company.
    pub company_id: i64,
    /// Channel name.
    pub channel: String,
    /// Caller's name.
    pub caller_name: Option<String>,
    /// Caller's phone.
    pub caller_phone: Option<String>,
    /// Summary.
    pub summary: String,
    /// Agent who took it.
    pub agent_id: i64,
    /// When, unix ms.
    pub at: i64,
    /// The call dropped before the demand was taken: a call-back task (`000:二.3(4)`).
    pub dropped: bool,
}

/// A contact of the ledger as stored.
#[derive(Debug, Clone)]
pub struct ContactRow {
    /// Row id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Channel name.
    pub channel: String,
    /// Caller's name.
    pub caller_name: Option<String>,
    /// Caller's phone.
    pub caller_phone: Option<String>,
    /// Summary.
    pub summary: String,
    /// Agent.
    pub agent_id: Option<i64>,
    /// When.
    pub at: i64,
    /// Dropped call.
    pub dropped: bool,
    /// When the call-back task was handled.
    pub handled_at: Option<i64>,
}

pub(crate) fn contact_from(r: &AnyRow) -> Result<ContactRow> {
    Ok(ContactRow {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        channel: r.try_get("channel")?,
        caller_name: r.try_get("caller_name")?,
        caller_phone: r.try_get("caller_phone")?,
        summary: r.try_get("summary")?,
        agent_id: r.try_get("agent_id")?,
        at: r.try_get("at")?,
        dropped: r.try_get::<i64, _>("dropped")? != 0,
        handled_at: r.try_get("handled_at")?,
    })
}

/// An order waiting for its callback, with what the queue shows.
#[derive(Debug, Clone)]
pub struct QueuedCallback {
    /// The order.
    pub order: OrderRow,
    /// Due time of the active callback limit.
    pub due_at: Option<i64>,
    /// Attempts since the last reply.
    pub attempts: i64,
    /// Last unreached attempt since the last reply.
    pub last_unreached: Option<i64>,
}

/// An order row.
#[derive(Debug, Clone, Default)]
pub struct OrderRow {
    /// Row id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Order number (prefix + date + sequence).
    pub number: String,
    /// Contact it came from.
    pub contact_id: Option<i64>,
    /// Category name.
    pub category: String,
    /// Subtype name.
    pub subtype: Option<String>,
    /// Channel name.
    pub channel: String,
    /// Status name.
    pub status: String,
    /// Complaint grade 1–3.
    pub grade: Option<i64>,
    /// Matter of a complaint.
    pub matter_id: Option<i64>,
    /// Unit handling it.
    pub unit_id: Option<i64>,
    /// First responder (首问负责人).
    pub first_responder_id: i64,
    /// Customer name.
    pub customer_name: Option<String>,
    /// Customer phone.
    pub customer_phone: Option<String>,
    /// Customer address.
    pub customer_address: Option<String>,
    /// Customer community / station.
    pub customer_community: Option<String>,
    /// Account number.
    pub account_no: Option<String>,
    /// Anonymous complainant.
    pub anonymous: bool,
    /// What the customer said.
    pub description: String,
    /// `required` or `declined`.
    pub callback_pref: String,
    /// Number of complainants (collective complaints).
    pub complainants: i64,
    /// Exposed or may be exposed by media.
    pub media_exposed: bool,
    /// A lawsuit is filed.
    pub lawsuit: bool,
    /// Sequence number of the last event.
    pub version: i64,
    /// Accepted at, unix ms.
    pub created_at: i64,
    /// Last change, unix ms.
    pub updated_at: i64,
    /// Closed at, unix ms.
    pub closed_at: Option<i64>,
    /// Field worker assigned.
    pub assignee_id: Option<i64>,
    /// Callback appointment (约时回访), unix ms.
    pub callback_at: Option<i64>,
    /// Order this one was raised from (a new demand during a callback).
    pub linked_order_id: Option<i64>,
    /// An anonymous complainant agreed to show their contact to the worker on site.
    pub onsite_consent: bool,
    /// The mass incident it belongs to (SPEC §6).
    pub incident_id: Option<i64>,
}

/// One event of an order.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Sequence within the order, from 1.
    pub seq: i64,
    /// Event type.
    pub kind: String,
    /// Who (none for timers).
    pub actor_id: Option<i64>,
    /// When, unix ms.
    pub at: i64,
    /// Details (JSON text).
    pub data: String,
}

/// A deadline row.
#[derive(Debug, Clone)]
pub struct DeadlineRow {
    /// Row id.
    pub id: i64,
    /// Order.
    pub order_id: i64,
    /// Kind name.
    pub kind: String,
    /// Unit whose clock it is.
    pub unit_id: Option<i64>,
    /// Started at.
    pub started_at: i64,
    /// Due at (after extensions).
    pub due_at: i64,
    /// Due at as first computed.
    pub original_due_at: i64,
    /// Turns amber at.
    pub amber_at: i64,
    /// Computed on a year without calendar data.
    pub provisional: bool,
    /// `pending`, `met` or `missed`.
    pub state: String,
    /// Still counting (false once stopped by a return or superseded).
    pub active: bool,
    /// Met at.
    pub met_at: Option<i64>,
    /// Supervision level reached.
    pub level: i64,
    /// Length of the limit, ms (escalation step).
    pub limit_ms: i64,
}

/// A new deadline.
#[derive(Debug, Clone)]
pub struct NewDeadline {
    /// Kind name.
    pub kind: String,
    /// Unit whose clock it is.
    pub unit_id: Option<i64>,
    /// Start.
    pub started_at: i64,
    /// Due.
    pub due_at: i64,
    /// Amber.
    pub amber_at: i64,
    /// Provisional.
    pub provisional: bool,
    /// Length of the limit, ms.
    pub limit_ms: i64,
}

/// A change to the deadlines of an order.
#[derive(Debug, Clone)]
pub enum DeadlineChange {
    /// Start a new deadline.
    Add(NewDeadline),
    /// Mark the active deadline of this kind met at this time (a missed one keeps `missed`).
    Meet {
        /// Kind name.
        kind: String,
        /// When.
        at: i64,
    },
    /// Stop the active deadlines of these kinds (a return to the centre).
    Stop {
        /// Kind names.
        kinds: Vec<String>,
        /// Only those with a unit (started by a dispatch).
        unit_only: bool,
    },
    /// The running, not yet missed deadlines of these kinds now belong to `unit_id` (none: the
    /// centre).
    Assign {
        /// Kind names.
        kinds: Vec<String>,
        /// The unit.
        unit_id: Option<i64>,
    },
    /// Restart the deadlines of these kinds that a suspension stopped (the latest of each kind,
    /// inactive and unmet), their due and amber times (and a missed one's next supervision
    /// step) later by `paused_ms`.
    Resume {
        /// Kind names.
        kinds: Vec<String>,
        /// The time suspended, ms.
        paused_ms: i64,
    },
    /// Move the due time of the active, unmet deadline of this kind later (an approved
    /// extension; never earlier). A missed one counts again against the new time: it is
    /// pending and has no supervision step due until it is missed again.
    Move {
        /// Kind name.
        kind: String,
        /// New due time.
        due_at: i64,
        /// New amber time.
        amber_at: i64,
    },
}

/// A callback attempt.
#[derive(Debug, Clone)]
pub struct CallbackRow {
    /// When.
    pub at: i64,
    /// By whom.
    pub agent_id: Option<i64>,
    /// Customer reached.
    pub reached: bool,
    /// Satisfaction name.
    pub satisfaction: Option<String>,
    /// Customer's account matches the unit's reply.
    pub matches_reply: Option<bool>,
    /// Note.
    pub note: Option<String>,
}

/// An extension request.
#[derive(Debug, Clone)]
pub struct ExtensionRow {
    /// Row id.
    pub id: i64,
    /// Order.
    pub order_id: i64,
    /// Asked new due time.
    pub until_at: i64,
    /// The kind of the limit it is for.
    pub kind: String,
    /// Reason.
    pub reason: String,
    /// `pending`, `approved`, `rejected`.
    pub status: String,
}

/// The extension part of a step.
#[derive(Debug, Clone)]
pub enum ExtensionChange {
    /// A new request.
    Ask {
        /// Until.
        until_at: i64,
        /// The kind of the limit it is for.
        kind: String,
        /// Reason.
        reason: String,
    },
    /// A decision.
    Decide {
        /// Extension id.
        id: i64,
        /// `approved` or `rejected`.
        status: String,
        /// Reason of a refusal.
        reason: Option<String>,
    },
}

/// A new event.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Type.
    pub kind: String,
    /// Actor.
    pub actor_id: Option<i64>,
    /// When.
    pub at: i64,
    /// Details.
    pub data: serde_json::Value,
}

/// Everything one step writes, atomically.
#[derive(Debug, Clone)]
pub struct OrderChange {
    /// The order as read before the step (its version guards against lost updates).
    pub before_version: i64,
    /// The order after the step.
    pub after: OrderRow,
    /// The event.
    pub event: NewEvent,
    /// Deadline changes.
    pub deadlines: Vec<DeadlineChange>,
    /// A callback attempt to record.
    pub callback: Option<CallbackRow>,
    /// An extension request or decision.
    pub extension: Option<ExtensionChange>,
    /// A satisfaction re-check the step picks the order for (its kind), written with it.
    pub recheck: Option<String>,
}

/// An order with everything shown on its page.
#[derive(Debug, Clone)]
pub struct OrderFull {
    /// The row.
    pub order: OrderRow,
    /// Events, oldest first.
    pub events: Vec<EventRow>,
    /// Deadlines, oldest first (inactive ones included).
    pub deadlines: Vec<DeadlineRow>,
    /// Callback attempts.
    pub callbacks: Vec<CallbackRow>,
    /// Extension requests.
    pub extensions: Vec<ExtensionRow>,
}

/// Filter of the order list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this company.
    pub company_id: Option<i64>,
    /// Only these companies (scoping).
    pub status: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Unit.
    pub unit_id: Option<i64>,
    /// Only orders with a missed active deadline.
    pub overdue: bool,
    /// Text in number or description, and in the customer's columns as `personal` allows.
    pub q: Option<String>,
    /// Which customer columns `q` may match.
    pub personal: PersonalMatch,
    /// Orders with an id below this (cursor).
    pub before_id: Option<i64>,
    /// Page size.
    pub limit: i64,
    /// Only orders of this matter.
    pub matter_id: Option<i64>,
    /// Only orders assigned to this field worker.
    pub assignee_id: Option<i64>,
}

/// Which of an order's customer columns (name, phone, address, community, account number) a
/// search term may match: only those the searcher may see, or the count of answers would tell
/// what the answers hide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PersonalMatch {
    /// None (the safe default).
    #[default]
    None,
    /// All of them, but only on orders that are not anonymous (unit staff).
    NotAnonymous,
    /// All but the phone (roles that see it masked).
    NoPhone,
    /// All of them.
    All,
}

pub(crate) const ORDER_COLS: &str = "id, company_id, number, contact_id, category, subtype, channel, status, \
    grade, matter_id, unit_id, first_responder_id, customer_name, customer_phone, customer_address, \
    customer_community, account_no, anonymous, description, callback_pref, complainants, \
    media_exposed, lawsuit, version, created_at, updated_at, closed_at, assignee_id, callback_at, linked_order_id, onsite_consent, incident_id";

pub(crate) fn order_from(r: &AnyRow) -> Result<OrderRow> {
    Ok(OrderRow {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        number: r.try_get("number")?,
        contact_id: r.try_get("contact_id")?,
        category: r.try_get("category")?,
        subtype: r.try_get("subtype")?,
        channel: r.try_get("channel")?,
        status: r.try_get("status")?,
        grade: r.try_get("grade")?,
        matter_id: r.try_get("matter_id")?,
        unit_id: r.try_get("unit_id")?,
        first_responder_id: r.try_get("first_responder_id")?,
        customer_name: r.try_get("customer_name")?,
        customer_phone: r.try_get("customer_phone")?,
        customer_address: r.try_get("customer_address")?,
        customer_community: r.try_get("customer_community")?,
        account_no: r.try_get("account_no")?,
        anonymous: r.try_get::<i64, _>("anonymous")? != 0,
        description: r.try_get("description")?,
        callback_pref: r.try_get("callback_pref")?,
        complainants: r.try_get("complainants")?,
        media_exposed: r.try_get::<i64, _>("media_exposed")? != 0,
        lawsuit: r.try_get::<i64, _>("lawsuit")? != 0,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        closed_at: r.try_get("closed_at")?,
        assignee_id: r.try_get("assignee_id")?,
        callback_at: r.try_get("callback_at")?,
        linked_order_id: r.try_get("linked_order_id")?,
        onsite_consent: r.try_get::<i64, _>("onsite_consent")? != 0,
        incident_id: r.try_get("incident_id")?,
    })
}

const DEADLINE_COLS: &str = "id, order_id, kind, unit_id, started_at, due_at, original_due_at, \
    amber_at, provisional, state, active, met_at, level, limit_ms";

fn deadline_from(r: &DbRow) -> Result<DeadlineRow> {
    Ok(DeadlineRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        kind: r.try_get("kind")?,
        unit_id: r.try_get("unit_id")?,
        started_at: r.try_get("started_at")?,
        due_at: r.try_get("due_at")?,
        original_due_at: r.try_get("original_due_at")?,
        amber_at: r.try_get("amber_at")?,
        provisional: r.try_get::<i64>("provisional")? != 0,
        state: r.try_get("state")?,
        active: r.try_get::<i64>("active")? != 0,
        met_at: r.try_get("met_at")?,
        level: r.try_get("level")?,
        limit_ms: r.try_get("limit_ms")?,
    })
}

pub(crate) async fn insert_event(
    tx: &mut Db<'_>,
    order_id: i64,
    seq: i64,
    e: &NewEvent,
) -> Result<()> {
    query("INSERT INTO order_events (order_id, seq, type, actor_id, at, data) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(order_id)
        .bind(seq)
        .bind(&e.kind)
        .bind(e.actor_id)
        .bind(e.at)
        .bind(e.data.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Inserts new deadlines; the rows follow, each from [`deadline_values`].
const INSERT_DEADLINES: &str =
    "INSERT INTO deadlines (order_id, kind, unit_id, started_at, due_at, \
    original_due_at, amber_at, provisional, state, active, limit_ms) VALUES";

/// The placeholders of the `i`-th new deadline row (eight values, see [`bind_deadline`]).
fn deadline_values(i: usize) -> String {
    let b = i * 8;
    format!(
        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'pending', 1, ${})",
        b + 1,
        b + 2,
        b + 3,
        b + 4,
        b + 5,
        b + 5,
        b + 6,
        b + 7,
        b + 8
    )
}

/// Binds a new deadline's eight values.
fn bind_deadline<'q>(
    q: crate::db::Query<'q>,
    order_id: i64,
    d: &NewDeadline,
) -> crate::db::Query<'q> {
    q.bind(order_id)
        .bind(&d.kind)
        .bind(d.unit_id)
        .bind(d.started_at)
        .bind(d.due_at)
        .bind(d.amber_at)
        .bind(i64::from(d.provisional))
        .bind(d.limit_ms)
}

pub(crate) async fn apply_deadlines(
    tx: &mut Db<'_>,
    order_id: i64,
    changes: &[DeadlineChange],
) -> Result<()> {
    for c in changes {
        match c {
            DeadlineChange::Add(d) => {
                // A new deadline of a kind supersedes the active one (kept for reports).
                query("UPDATE deadlines SET active = 0 WHERE order_id = $1 AND kind = $2 AND active = 1")
                    .bind(order_id)
                    .bind(&d.kind)
                    .execute(&mut *tx)
                    .await?;
                let q = format!("{INSERT_DEADLINES} {}", deadline_values(0));
                bind_deadline(query(&q), order_id, d)
                    .execute(&mut *tx)
                    .await?;
            }
            DeadlineChange::Meet { kind, at } => {
                query(
                    "UPDATE deadlines SET met_at = $1, state = CASE WHEN state = 'pending' THEN 'met' ELSE state END \
                     WHERE order_id = $2 AND kind = $3 AND active = 1 AND met_at IS NULL",
                )
                .bind(at)
                .bind(order_id)
                .bind(kind)
                .execute(&mut *tx)
                .await?;
            }
            DeadlineChange::Stop { kinds, unit_only } => {
                for k in kinds {
                    query(
                        "UPDATE deadlines SET active = 0 WHERE order_id = $1 AND kind = $2 AND active = 1 \
                         AND ($3 = 0 OR unit_id IS NOT NULL)",
                    )
                        .bind(order_id)
                        .bind(k)
                        .bind(i64::from(*unit_only))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            DeadlineChange::Assign { kinds, unit_id } => {
                for k in kinds {
                    query(
                        "UPDATE deadlines SET unit_id = $1 WHERE order_id = $2 AND kind = $3 \
                         AND active = 1 AND met_at IS NULL AND state = 'pending'",
                    )
                    .bind(unit_id)
                    .bind(order_id)
                    .bind(k)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            DeadlineChange::Resume { kinds, paused_ms } => {
                for k in kinds {
                    query(
                        "UPDATE deadlines SET active = 1, due_at = due_at + $1, amber_at = amber_at + $1, \
                         supervise_at = CASE WHEN state = 'missed' AND level > 0 AND limit_ms > 0 \
                         THEN due_at + $1 + level * limit_ms ELSE NULL END \
                         WHERE order_id = $2 AND kind = $3 AND active = 0 AND met_at IS NULL \
                         AND id = (SELECT MAX(id) FROM deadlines WHERE order_id = $2 AND kind = $3)",
                    )
                    .bind(paused_ms)
                    .bind(order_id)
                    .bind(k)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            DeadlineChange::Move {
                kind,
                due_at,
                amber_at,
            } => {
                query(
                    "UPDATE deadlines SET due_at = $1, amber_at = $2, amber_noted = 0, \
                     state = CASE WHEN state = 'missed' THEN 'pending' ELSE state END, supervise_at = NULL \
                     WHERE order_id = $3 AND kind = $4 AND active = 1 AND met_at IS NULL AND due_at < $1",
                )
                .bind(due_at)
                .bind(amber_at)
                .bind(order_id)
                .bind(kind)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// An order with its events, deadlines, callbacks and extensions, on one connection.
async fn load_full(c: &mut AnyConnection, id: i64) -> Result<OrderFull> {
    let q = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
    let row = sqlx::query(&q).bind(id).fetch_optional(&mut *c).await?;
    let order = order_from(&row.ok_or(StoreError::NotFound)?)?;
    let events = sqlx::query(
        "SELECT seq, type, actor_id, at, data FROM order_events WHERE order_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(EventRow {
            seq: r.try_get("seq")?,
            kind: r.try_get("type")?,
            actor_id: r.try_get("actor_id")?,
            at: r.try_get("at")?,
            data: r.try_get("data")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let q = format!("SELECT {DEADLINE_COLS} FROM deadlines WHERE order_id = $1 ORDER BY id");
    let deadlines = sqlx::query(&q)
        .bind(id)
        .fetch_all(&mut *c)
        .await?
        .into_iter()
        .map(|r| deadline_from(&DbRow::Any(r)))
        .collect::<Result<Vec<_>>>()?;
    let callbacks = sqlx::query(
        "SELECT at, agent_id, reached, satisfaction, matches_reply, note FROM callbacks WHERE order_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(CallbackRow {
            at: r.try_get("at")?,
            agent_id: r.try_get("agent_id")?,
            reached: r.try_get::<i64, _>("reached")? != 0,
            satisfaction: r.try_get("satisfaction")?,
            matches_reply: r.try_get::<Option<i64>, _>("matches_reply")?.map(|v| v != 0),
            note: r.try_get("note")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let extensions = sqlx::query("SELECT id, order_id, until_at, kind, reason, status FROM extensions WHERE order_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| {
            Ok(ExtensionRow {
                id: r.try_get("id")?,
                order_id: r.try_get("order_id")?,
                until_at: r.try_get("until_at")?,
                kind: r.try_get("kind")?,
                reason: r.try_get("reason")?,
                status: r.try_get("status")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(OrderFull {
        order,
        events,
        deadlines,
        callbacks,
        extensions,
    })
}

/// A new order, with what is written along with it.
pub struct NewOrder {
    /// The contact of the call, when it is new (its id then becomes the order's `contact_id`).
    pub contact: Option<NewContact>,
    /// The order (number and id are set here).
    pub row: OrderRow,
    /// The company's local day, which numbers the order.
    pub day: String,
    /// Forms the number from the day's sequence.
    pub number_of: Box<dyn Fn(i64) -> String + Send>,
    /// The first events, given the contact id.
    pub events: Box<dyn FnOnce(Option<i64>) -> Vec<NewEvent> + Send>,
    /// Deadlines to start.
    pub deadlines: Vec<DeadlineChange>,
    /// Store the answer under an idempotency key.
    pub idempotency: Option<Idempotency>,
    /// A complaint: its matter, whose counts and grade change in the same transaction.
    pub matter: Option<crate::matters::MatterIntake>,
    /// Grouping into a mass incident (an order with a community and a subtype).
    pub incident: Option<crate::incidents::IncidentIntake>,
    /// The outage notice the call was answered with (linked and counted).
    pub outage: Option<i64>,
}

/// The answer stored under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    /// The answer's HTTP status.
    pub status: i64,
    /// The answer's body.
    pub body: String,
    /// Fingerprint of the request first answered (None: not compared).
    pub request_hash: Option<String>,
}

/// An idempotency key and how to render the answer stored under it.
pub struct Idempotency {
    /// Whose key.
    pub user_id: i64,
    /// The key.
    pub key: String,
    /// The answer's HTTP status.
    pub status: i64,
    /// Fingerprint of the request, compared when the key comes again (None: not compared).
    pub request_hash: Option<String>,
    /// Renders the answer from the stored order.
    pub render: Box<dyn FnOnce(&OrderFull) -> String + Send>,
}

/// `seq` is the day's number when already taken (PostgreSQL: from this node's block, see
/// [`crate::numbers`]); else it is taken here, in the unit (SQLite's one writer: no gaps).
async fn insert_order(
    c: &mut Db<'_>,
    n: NewOrder,
    seq: Option<i64>,
) -> Result<(OrderFull, Option<String>)> {
    let mut o = n.row;
    let seq = match seq {
        Some(seq) => seq,
        None => Store::next_seq(&mut *c, o.company_id, &n.day).await?,
    };
    let number = (n.number_of)(seq);
    let contact = match &n.contact {
        Some(ct) => Some((insert_contact_row(&mut *c, ct).await?, ct.at)),
        None => None,
    };
    if let Some((cid, _)) = contact {
        o.contact_id = Some(cid);
    }
    let events = (n.events)(o.contact_id);
    let id: i64 = query(
        "INSERT INTO orders (company_id, number, contact_id, category, subtype, channel, status, grade, \
         matter_id, unit_id, first_responder_id, customer_name, customer_phone, customer_address, \
         customer_community, account_no, anonymous, description, callback_pref, complainants, \
         media_exposed, lawsuit, version, created_at, updated_at, closed_at, callback_at, linked_order_id, onsite_consent, \
         complainant, community_key) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
         $21, $22, $23, $24, $24, $25, $26, $27, $28, $29, $30) RETURNING id",
    )
    .bind(o.company_id)
    .bind(&number)
    .bind(o.contact_id)
    .bind(&o.category)
    .bind(&o.subtype)
    .bind(&o.channel)
    .bind(&o.status)
    .bind(o.grade)
    .bind(o.matter_id)
    .bind(o.unit_id)
    .bind(o.first_responder_id)
    .bind(&o.customer_name)
    .bind(&o.customer_phone)
    .bind(&o.customer_address)
    .bind(&o.customer_community)
    .bind(&o.account_no)
    .bind(i64::from(o.anonymous))
    .bind(&o.description)
    .bind(&o.callback_pref)
    .bind(o.complainants)
    .bind(i64::from(o.media_exposed))
    .bind(i64::from(o.lawsuit))
    .bind(events.len() as i64)
    .bind(o.created_at)
    .bind(o.closed_at)
    .bind(o.callback_at)
    .bind(o.linked_order_id)
    .bind(i64::from(o.onsite_consent))
    .bind(n.matter.as_ref().and_then(|m| m.complainant.clone()))
    .bind(n.incident.as_ref().map(|i| i.key.clone()))
    .scalar(&mut *c)
    .await?;
    insert_first_events(&mut *c, id, &events).await?;
    let deadlines = start_first_deadlines(&mut *c, id, &n.deadlines).await?;
    crate::reports::refresh_facts(&mut *c, id, id).await?;
    let mut indexed = Vec::with_capacity(2);
    if let Some((cid, at)) = contact {
        indexed.push(("contact", cid, at));
    }
    indexed.push(("order", id, o.created_at));
    crate::search::outbox_many(&mut *c, &indexed).await?;
    // The matter's row is locked until the commit: late, so that complaints of one matter
    // queue for as short a time as possible.
    let mut o_events = events;
    if let Some(m) = &n.matter {
        let version = o_events.len() as i64;
        let joined = crate::matters::join(
            &mut *c,
            m,
            id,
            version,
            o.grade,
            o.created_at,
            &o.description,
        )
        .await?;
        if let Some(e) = joined.event {
            o.grade = Some(joined.grade);
            o_events.push(NewEvent {
                kind: e.kind,
                actor_id: e.actor_id,
                at: e.at,
                data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            });
        }
    }
    let events = o_events;
    if let (Some(i), Some(subtype)) = (&n.incident, o.subtype.as_deref()) {
        let placed = crate::incidents::Placed {
            id,
            company_id: o.company_id,
            category: &o.category,
            subtype,
            at: o.created_at,
            matter_id: n.matter.as_ref().map(|m| m.matter_id),
        };
        crate::incidents::place(&mut *c, &placed, i).await?;
    }
    if let Some(outage) = n.outage {
        query("INSERT INTO outage_links (outage_id, order_id, at) VALUES ($1, $2, $3)")
            .bind(outage)
            .bind(id)
            .bind(o.created_at)
            .execute(&mut *c)
            .await?;
    }
    o.id = id;
    o.number = number;
    o.version = events.len() as i64;
    o.updated_at = o.created_at;
    o.assignee_id = None;
    let full = OrderFull {
        order: o,
        events: events
            .iter()
            .enumerate()
            .map(|(i, e)| EventRow {
                seq: i as i64 + 1,
                kind: e.kind.clone(),
                actor_id: e.actor_id,
                at: e.at,
                data: e.data.to_string(),
            })
            .collect(),
        deadlines,
        callbacks: Vec::new(),
        extensions: Vec::new(),
    };
    let answer = match n.idempotency {
        Some(k) => {
            let body = (k.render)(&full);
            query(
                "INSERT INTO idempotency_keys (user_id, key, status, body, created_at, request_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(k.user_id)
            .bind(&k.key)
            .bind(k.status)
            .bind(&body)
            .bind(full.order.created_at)
            .bind(&k.request_hash)
            .execute(&mut *c)
            .await?;
            Some(body)
        }
        None => None,
    };
    Ok((full, answer))
}

/// The first events of a new order, in one statement.
async fn insert_first_events(c: &mut Db<'_>, order_id: i64, events: &[NewEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = (0..events.len())
        .map(|i| {
            let b = i * 6;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let q =
        format!("INSERT INTO order_events (order_id, seq, type, actor_id, at, data) VALUES {rows}");
    let mut query = query(&q);
    for (i, e) in events.iter().enumerate() {
        query = query
            .bind(order_id)
            .bind(i as i64 + 1)
            .bind(&e.kind)
            .bind(e.actor_id)
            .bind(e.at)
            .bind(e.data.to_string());
    }
    query.execute(&mut *c).await?;
    Ok(())
}

/// Starts the deadlines of a new order and returns them as stored: one statement when they are
/// all new and of distinct kinds (nothing to supersede), else the general path.
async fn start_first_deadlines(
    c: &mut Db<'_>,
    order_id: i64,
    changes: &[DeadlineChange],
) -> Result<Vec<DeadlineRow>> {
    let adds: Option<Vec<&NewDeadline>> = changes
        .iter()
        .map(|d| match d {
            DeadlineChange::Add(a) => Some(a),
            _ => None,
        })
        .collect();
    let distinct = |adds: &[&NewDeadline]| {
        let mut kinds: Vec<&str> = adds.iter().map(|a| a.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.windows(2).all(|w| w[0] != w[1])
    };
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let Some(adds) = adds.filter(|a| distinct(a)) else {
        apply_deadlines(&mut *c, order_id, changes).await?;
        let q = format!("SELECT {DEADLINE_COLS} FROM deadlines WHERE order_id = $1 ORDER BY id");
        return query(&q)
            .bind(order_id)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(deadline_from)
            .collect();
    };
    let rows = (0..adds.len())
        .map(deadline_values)
        .collect::<Vec<_>>()
        .join(", ");
    let q = format!("{INSERT_DEADLINES} {rows} RETURNING id, kind");
    let mut query = query(&q);
    for d in &adds {
        query = bind_deadline(query, order_id, d);
    }
    let ids = query
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String>("kind")?, r.try_get::<i64>("id")?)))
        .collect::<Result<std::collections::HashMap<_, _>>>()?;
    let mut out = adds
        .iter()
        .map(|d| {
            Ok(DeadlineRow {
                id: *ids.get(&d.kind).ok_or(StoreError::NotFound)?,
                order_id,
                kind: d.kind.clone(),
                unit_id: d.unit_id,
                started_at: d.started_at,
                due_at: d.due_at,
                original_due_at: d.due_at,
                amber_at: d.amber_at,
                provisional: d.provisional,
                state: "pending".into(),
                active: true,
                met_at: None,
                level: 0,
                limit_ms: d.limit_ms,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|d| d.id);
    Ok(out)
}

async fn insert_contact(c: &mut Db<'_>, ct: &NewContact) -> Result<i64> {
    let id = insert_contact_row(&mut *c, ct).await?;
    crate::search::outbox(&mut *c, "contact", id, ct.at).await?;
    Ok(id)
}

/// The contact row alone (its search outbox row is the caller's).
async fn insert_contact_row(c: &mut Db<'_>, ct: &NewContact) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO contacts (company_id, channel, caller_name, caller_phone, summary, agent_id, at, dropped) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(ct.company_id)
    .bind(&ct.channel)
    .bind(&ct.caller_name)
    .bind(&ct.caller_phone)
    .bind(&ct.summary)
    .bind(ct.agent_id)
    .bind(ct.at)
    .bind(i64::from(ct.dropped))
    .scalar(&mut *c)
    .await?;
    Ok(id)
}

impl Store {
    /// Allocates the next number of a company's day (atomic across nodes).
    async fn next_seq(tx: &mut Db<'_>, company_id: i64, day: &str) -> Result<i64> {
        let seq: i64 = query(
            "INSERT INTO order_counters (company_id, day, seq) VALUES ($1, $2, 1) \
             ON CONFLICT (company_id, day) DO UPDATE SET seq = order_counters.seq + 1 RETURNING seq",
        )
        .bind(company_id)
        .bind(day)
        .scalar(&mut *tx)
        .await?;
        Ok(seq)
    }

    /// Records a contact in the contact ledger; returns its id.
    pub async fn create_contact(&self, c: &NewContact) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = insert_contact(&mut Db::Any(&mut tx), c).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Dropped calls of a company not yet called back, oldest first.
    pub async fn dropped_calls(
        &self,
        company_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ContactRow>> {
        let rows = sqlx::query(
            "SELECT id, company_id, channel, caller_name, caller_phone, summary, agent_id, at, dropped, handled_at \
             FROM contacts WHERE dropped = 1 AND handled_at IS NULL AND ($1 IS NULL OR company_id = $1) \
             ORDER BY at LIMIT $2",
        )
        .bind(company_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(contact_from).collect()
    }

    /// Marks a dropped call as called back; `NotFound` when it is not an open task of the company.
    pub async fn handle_dropped_call(
        &self,
        id: i64,
        company_id: Option<i64>,
        user_id: i64,
        at: i64,
    ) -> Result<()> {
        let _w = self.write_guard().await;
        let n = sqlx::query(
            "UPDATE contacts SET handled_at = $1, handled_by = $2 WHERE id = $3 AND dropped = 1 \
             AND handled_at IS NULL AND ($4 IS NULL OR company_id = $4)",
        )
        .bind(at)
        .bind(user_id)
        .bind(id)
        .bind(company_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Orders waiting for a callback (reviewed, callback wanted, no customer reached since the
    /// last reply), by appointment or callback due time.
    pub async fn callback_queue(
        &self,
        company_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<QueuedCallback>> {
        let cols = ORDER_COLS
            .split(", ")
            .map(|c| format!("o.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let since = "COALESCE((SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id AND e.type = 'replied'), 0)";
        let q = format!(
            "SELECT {cols}, d.due_at AS cb_due, \
             (SELECT COUNT(*) FROM callbacks c WHERE c.order_id = o.id AND c.at >= {since}) AS attempts, \
             (SELECT MAX(c.at) FROM callbacks c WHERE c.order_id = o.id AND c.reached = 0 AND c.at >= {since}) AS last_unreached \
             FROM orders o LEFT JOIN deadlines d ON d.order_id = o.id AND d.kind = 'callback' AND d.active = 1 \
             WHERE o.status IN ('reviewed', 'callback') AND o.callback_pref = 'required' \
             AND ($1 IS NULL OR o.company_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.order_id = o.id AND c.reached = 1 AND c.at >= {since}) \
             ORDER BY COALESCE(o.callback_at, d.due_at, o.created_at), o.id LIMIT $2"
        );
        let rows = sqlx::query(&q)
            .bind(company_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(QueuedCallback {
                    order: order_from(r)?,
                    due_at: r.try_get("cb_due")?,
                    attempts: r.try_get("attempts")?,
                    last_unreached: r.try_get("last_unreached")?,
                })
            })
            .collect()
    }

    /// Orders whose latest callback found the customer unsatisfied and no supervisor has
    /// reviewed since.
    pub async fn unsatisfied_orders(
        &self,
        company_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<OrderRow>> {
        let q = format!(
            "SELECT {ORDER_COLS} FROM orders o WHERE ($1 IS NULL OR company_id = $1) AND EXISTS (\
             SELECT 1 FROM callbacks c WHERE c.order_id = o.id AND c.satisfaction = 'unsatisfied' AND c.at > \
             COALESCE((SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id AND e.type = 'unsatisfied_reviewed'), -1)) \
             ORDER BY id DESC LIMIT $2"
        );
        let rows = sqlx::query(&q)
            .bind(company_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(order_from).collect()
    }

    /// Contacts of the ledger whose phone starts with, or whose caller or summary contains, `q`.
    pub async fn search_contacts(
        &self,
        company_id: Option<i64>,
        q: &str,
        limit: i64,
    ) -> Result<Vec<ContactRow>> {
        let rows = sqlx::query(
            "SELECT id, company_id, channel, caller_name, caller_phone, summary, agent_id, at, dropped, handled_at \
             FROM contacts WHERE ($1 IS NULL OR company_id = $1) AND (caller_phone LIKE $2 ESCAPE '\\' \
             OR caller_name LIKE $3 ESCAPE '\\' OR summary LIKE $3 ESCAPE '\\') ORDER BY id DESC LIMIT $4",
        )
        .bind(company_id)
        .bind(crate::like_pattern(q, false))
        .bind(crate::like_pattern(q, true))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(contact_from).collect()
    }

    /// The company of a contact, if the contact exists.
    pub async fn contact_company(&self, id: i64) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT company_id FROM contacts WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Creates a matter; returns its id.
    pub async fn create_matter(
        &self,
        company_id: i64,
        subtype: Option<&str>,
        place: Option<&str>,
        title: &str,
        at: i64,
    ) -> Result<i64> {
        let _w = self.write_guard().await;
        Ok(sqlx::query_scalar(
            "INSERT INTO matters (company_id, subtype, place, title, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(company_id)
        .bind(subtype)
        .bind(place)
        .bind(title)
        .bind(at)
        .fetch_one(self.pool())
        .await?)
    }

    /// Whether a matter of this company exists.
    pub async fn matter_exists(&self, company_id: i64, matter_id: i64) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM matters WHERE id = $1 AND company_id = $2")
                .bind(matter_id)
                .bind(company_id)
                .fetch_one(self.pool())
                .await?;
        Ok(n > 0)
    }

    /// Every order of a matter.
    pub async fn matter_orders(&self, matter_id: i64) -> Result<Vec<OrderRow>> {
        let q = format!("SELECT {ORDER_COLS} FROM orders WHERE matter_id = $1 ORDER BY id");
        let rows = sqlx::query(&q)
            .bind(matter_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(order_from).collect()
    }

    /// Stores a new order in one unit of the group commit: the contact (when new), the order,
    /// its events and deadlines, its number (on PostgreSQL from this node's block, taken before
    /// the transaction: no row lock held through it) and the idempotency record with the
    /// rendered answer.
    /// Returns the order as stored and the rendered answer. A repeated idempotency key gives
    /// `Conflict("idempotency_keys…")` and stores nothing.
    pub async fn create_order(&self, n: NewOrder) -> Result<(OrderFull, Option<String>)> {
        let seq = match self.backend {
            crate::Backend::Postgres => Some(self.take_number(n.row.company_id, &n.day).await?),
            crate::Backend::Sqlite => None,
        };
        self.grouped(move |c| Box::pin(insert_order(c, n, seq)))
            .await
    }

    /// One order row.
    pub async fn order(&self, id: i64) -> Result<OrderRow> {
        let q = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
        let row = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        order_from(&row.ok_or(StoreError::NotFound)?)
    }

    /// An order with its events, deadlines, callbacks and extensions.
    pub async fn order_full(&self, id: i64) -> Result<OrderFull> {
        let mut c = self.pool().acquire().await?;
        load_full(&mut c, id).await
    }

    /// Writes one step: the order row (guarded by its version), the event, deadline changes,
    /// and any callback or extension. Returns the extension id when one was asked.
    /// A concurrent change of the same order gives `Conflict("orders.version")`.
    pub async fn apply_change(&self, c: &OrderChange) -> Result<Option<i64>> {
        let c = c.clone();
        self.grouped(move |tx| Box::pin(async move { write_change(tx, &c).await }))
            .await
    }
}

async fn write_change(tx: &mut Db<'_>, c: &OrderChange) -> Result<Option<i64>> {
    let o = &c.after;
    let seq = c.before_version + 1;
    let n = query(
            "UPDATE orders SET status = $1, unit_id = $2, grade = $3, matter_id = $4, version = $5, \
             updated_at = $6, closed_at = $7, assignee_id = $10, callback_at = $11 WHERE id = $8 AND version = $9",
        )
        .bind(&o.status)
        .bind(o.unit_id)
        .bind(o.grade)
        .bind(o.matter_id)
        .bind(seq)
        .bind(c.event.at)
        .bind(o.closed_at)
        .bind(o.id)
        .bind(c.before_version)
        .bind(o.assignee_id)
        .bind(o.callback_at)
        .execute(&mut *tx)
        .await?;
    if n == 0 {
        return Err(StoreError::Conflict("orders.version".into()));
    }
    insert_event(&mut *tx, o.id, seq, &c.event).await?;
    apply_deadlines(&mut *tx, o.id, &c.deadlines).await?;
    if let (Some(m), "cancelled" | "merged") = (o.matter_id, c.event.kind.as_str()) {
        crate::matters::leave(&mut *tx, o.id, m).await?;
    }
    if let Some(kind) = &c.recheck {
        query(
            "INSERT INTO rechecks (company_id, order_id, kind, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (order_id, kind) DO NOTHING",
        )
        .bind(o.company_id)
        .bind(o.id)
        .bind(kind)
        .bind(c.event.at)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(cb) = &c.callback {
        query(
                "INSERT INTO callbacks (order_id, agent_id, at, reached, satisfaction, matches_reply, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(o.id)
            .bind(cb.agent_id)
            .bind(cb.at)
            .bind(i64::from(cb.reached))
            .bind(&cb.satisfaction)
            .bind(cb.matches_reply.map(i64::from))
            .bind(&cb.note)
            .execute(&mut *tx)
            .await?;
    }
    let mut ext_id = None;
    match &c.extension {
        Some(ExtensionChange::Ask {
            until_at,
            kind,
            reason,
        }) => {
            ext_id = Some(
                    query(
                        "INSERT INTO extensions (order_id, until_at, reason, status, asked_by, asked_at, kind) \
                         VALUES ($1, $2, $3, 'pending', $4, $5, $6) RETURNING id",
                    )
                    .bind(o.id)
                    .bind(until_at)
                    .bind(reason)
                    .bind(c.event.actor_id)
                    .bind(c.event.at)
                    .bind(kind)
                    .scalar(&mut *tx)
                    .await?,
                );
        }
        Some(ExtensionChange::Decide { id, status, reason }) => {
            let n = query(
                    "UPDATE extensions SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 \
                     WHERE id = $5 AND order_id = $6 AND status = 'pending'",
                )
                .bind(status)
                .bind(c.event.actor_id)
                .bind(c.event.at)
                .bind(reason)
                .bind(id)
                .bind(o.id)
                .execute(&mut *tx)
                .await?;
            if n == 0 {
                return Err(StoreError::Conflict("extensions.status".into()));
            }
        }
        None => {}
    }
    crate::reports::refresh_facts(&mut *tx, o.id, o.id).await?;
    crate::search::outbox(&mut *tx, "order", o.id, c.event.at).await?;
    Ok(ext_id)
}

impl Store {
    /// Sets the grade of an order with an event (matter grew); guarded by version.
    pub async fn regrade(
        &self,
        order_id: i64,
        version: i64,
        grade: i64,
        event: &NewEvent,
        deadlines: &[DeadlineChange],
    ) -> Result<()> {
        let event = event.clone();
        let deadlines = deadlines.to_vec();
        self.grouped(move |tx| {
            Box::pin(async move {
        let n = query("UPDATE orders SET grade = $1, version = $2, updated_at = $3 WHERE id = $4 AND version = $5")
            .bind(grade)
            .bind(version + 1)
            .bind(event.at)
            .bind(order_id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        if n == 0 {
            return Err(StoreError::Conflict("orders.version".into()));
        }
        insert_event(&mut *tx, order_id, version + 1, &event).await?;
        apply_deadlines(&mut *tx, order_id, &deadlines).await?;
        Ok(())
            })
        })
        .await
    }

    /// Lists orders, newest first.
    pub async fn list_orders(&self, f: &OrderFilter) -> Result<Vec<OrderRow>> {
        let mut q = format!("SELECT {ORDER_COLS} FROM orders o WHERE 1 = 1");
        let mut n = 0;
        let mut p = || {
            n += 1;
            format!("${n}")
        };
        if f.company_id.is_some() {
            q += &format!(" AND company_id = {}", p());
        }
        if f.status.is_some() {
            q += &format!(" AND status = {}", p());
        }
        if f.category.is_some() {
            q += &format!(" AND category = {}", p());
        }
        if f.unit_id.is_some() {
            q += &format!(" AND unit_id = {}", p());
        }
        if f.assignee_id.is_some() {
            q += &format!(" AND assignee_id = {}", p());
        }
        if f.matter_id.is_some() {
            q += &format!(" AND matter_id = {}", p());
        }
        if f.before_id.is_some() {
            q += &format!(" AND id < {}", p());
        }
        if f.q.is_some() {
            let a = p();
            let like = |col: &str| format!("{col} LIKE {a} ESCAPE '\\'");
            let public = format!("{} OR {}", like("number"), like("description"));
            let phone = like("customer_phone");
            let others = [
                "customer_name",
                "customer_address",
                "customer_community",
                "account_no",
            ]
            .map(like)
            .join(" OR ");
            // The customer's columns only where the searcher may see them (SPEC §7): a match
            // there would tell what the answer hides.
            q += &match f.personal {
                PersonalMatch::None => format!(" AND ({public})"),
                PersonalMatch::NotAnonymous => {
                    format!(" AND ({public} OR (anonymous = 0 AND ({phone} OR {others})))")
                }
                PersonalMatch::NoPhone => format!(" AND ({public} OR {others})"),
                PersonalMatch::All => format!(" AND ({public} OR {phone} OR {others})"),
            };
        }
        if f.overdue {
            // The missed deadlines once (few), not a probe per order: a correlated probe made
            // SQLite walk every missed deadline of the database for each order.
            q += " AND o.id IN (SELECT d.order_id FROM deadlines d WHERE d.active = 1 AND d.state = 'missed')";
        }
        q += &format!(" ORDER BY id DESC LIMIT {}", p());
        let mut query = sqlx::query(&q);
        if let Some(v) = f.company_id {
            query = query.bind(v);
        }
        if let Some(v) = &f.status {
            query = query.bind(v.clone());
        }
        if let Some(v) = &f.category {
            query = query.bind(v.clone());
        }
        if let Some(v) = f.unit_id {
            query = query.bind(v);
        }
        if let Some(v) = f.assignee_id {
            query = query.bind(v);
        }
        if let Some(v) = f.matter_id {
            query = query.bind(v);
        }
        if let Some(v) = f.before_id {
            query = query.bind(v);
        }
        if let Some(v) = &f.q {
            query = query.bind(crate::like_pattern(v, true));
        }
        query = query.bind(f.limit);
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(order_from).collect()
    }

    /// The stored answer of an earlier request with this idempotency key.
    pub async fn idempotent_response(
        &self,
        user_id: i64,
        key: &str,
    ) -> Result<Option<(i64, String)>> {
        Ok(self
            .idempotent_answer(user_id, key)
            .await?
            .map(|a| (a.status, a.body)))
    }

    /// The stored answer of an earlier request with this idempotency key, with the
    /// fingerprint of that request.
    pub async fn idempotent_answer(
        &self,
        user_id: i64,
        key: &str,
    ) -> Result<Option<IdempotentAnswer>> {
        let row = sqlx::query(
            "SELECT status, body, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(IdempotentAnswer {
                status: r.try_get("status")?,
                body: r.try_get("body")?,
                request_hash: r.try_get("request_hash")?,
            })
        })
        .transpose()
    }

    /// Stores the answer of a request under its idempotency key (first writer wins).
    pub async fn save_idempotent_response(
        &self,
        user_id: i64,
        key: &str,
        status: i64,
        body: &str,
        at: i64,
        request_hash: Option<&str>,
    ) -> Result<()> {
        let _w = self.write_guard().await;
        sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, status, body, created_at, request_hash) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(user_id)
        .bind(key)
        .bind(status)
        .bind(body)
        .bind(at)
        .bind(request_hash)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Logs the views of personal data that one answer carried: `(order, what)` each.
    pub async fn log_personal_views(
        &self,
        user_id: i64,
        views: Vec<(Option<i64>, String)>,
        at: i64,
    ) -> Result<()> {
        // A unit of the group commit: the views of many readers share one commit.
        self.grouped(move |c| {
            Box::pin(async move {
                for (order_id, what) in &views {
                    query(
                        "INSERT INTO personal_data_views (user_id, order_id, what, at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(user_id)
                    .bind(*order_id)
                    .bind(what.clone())
                    .bind(at)
                    .execute(&mut *c)
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// The logged personal-data views of a user, oldest first: `(order, what)`.
    pub async fn personal_views_by(&self, user_id: i64) -> Result<Vec<(Option<i64>, String)>> {
        let rows = sqlx::query(
            "SELECT order_id, what FROM personal_data_views WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("order_id")?, r.try_get("what")?)))
            .collect()
    }

    /// Number of logged personal-data views of an order.
    pub async fn personal_views(&self, order_id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM personal_data_views WHERE order_id = $1")
                .bind(order_id)
                .fetch_one(self.pool())
                .await?,
        )
    }
}
