//! What each step of an order does beyond its status: which time limits start, are met, stop
//! or move (SPEC §3 "When each limit starts"). Pure: the caller passes the policy, the calendar,
//! the company's offset and `now`; the result is a list of deadline operations to persist.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

use crate::calendar::BusinessCalendar;
use crate::callback::{self, Attempt, CallbackRules};
use crate::deadline;
use crate::lifecycle::{self, Ctx, InvalidTransition, Step};
use crate::model::{Category, DeadlineKind, Grade, Status};
use crate::policy::{Anchor, OrderFacts, Policy};

/// Deadline kinds that belong to the unit holding the order: stopped by a return, met by the
/// unit's reply. The named limits are the unit's work too: preparing the repair, arranging the
/// temperature visit, answering a refusal, investigating a complaint, answering the media,
/// finding the cause of a temperature below the standard.
pub const UNIT_KINDS: [DeadlineKind; 10] = [
    DeadlineKind::Contact,
    DeadlineKind::Arrive,
    DeadlineKind::Finish,
    DeadlineKind::Prepare,
    DeadlineKind::Arrange,
    DeadlineKind::RefusalReply,
    DeadlineKind::Investigate,
    DeadlineKind::MediaReply,
    DeadlineKind::Appointment,
    DeadlineKind::CauseCheck,
];

/// What the unit's first step on the order (taking it, 接单, or arriving) meets besides the
/// arrival: contact with the customer, the crew's preparation (`000:四.2(5)`; setting off, in
/// [`crate::crew`], meets it too), the arranged temperature visit (`000:五.1`: arranged once
/// the unit has the order and the customer), and the refusal reply (`002:§14(5)`: an order the
/// unit takes is not refused).
pub const TAKEN_KINDS: [DeadlineKind; 4] = [
    DeadlineKind::Contact,
    DeadlineKind::Prepare,
    DeadlineKind::Arrange,
    DeadlineKind::RefusalReply,
];

/// Everything a step needs besides the policy: the order as its events left it.
#[derive(Debug, Clone)]
pub struct OrderState {
    /// Current status.
    pub status: Status,
    /// Category.
    pub category: Category,
    /// Subtype.
    pub subtype: Option<String>,
    /// Complaint grade.
    pub grade: Option<Grade>,
    /// Unit last dispatched to.
    pub unit: Option<i64>,
    /// Customer declined a callback.
    pub callback_declined: bool,
    /// Accepted at.
    pub accepted_at: DateTime<Utc>,
    /// A worker arrived in the current dispatch.
    pub arrived: bool,
    /// Status before a suspension.
    pub suspended_from: Option<Status>,
    /// An extension request awaits a decision.
    pub extension_pending: bool,
    /// Callback attempts so far (of the current round).
    pub attempts: Vec<Attempt>,
    /// The company's heating season start, if set.
    pub season_start: Option<NaiveDate>,
}

impl OrderState {
    /// Whether the order takes a callback.
    pub fn needs_callback(&self) -> bool {
        self.category.needs_callback() && !self.callback_declined
    }

    fn facts(&self) -> OrderFacts {
        OrderFacts {
            category: self.category,
            subtype: self.subtype.clone(),
            grade: self.grade,
            accepted_at: self.accepted_at,
            season_start: self.season_start,
        }
    }
}

/// The fixed inputs of a computation.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// The company's policy.
    pub policy: &'a Policy,
    /// The business calendar.
    pub calendar: &'a BusinessCalendar,
    /// The company's offset from UTC.
    pub offset: FixedOffset,
    /// Now.
    pub now: DateTime<Utc>,
}

/// One change to an order's deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadlineOp {
    /// Start a limit (supersedes an active one of the same kind).
    Start {
        /// Kind.
        kind: DeadlineKind,
        /// Unit whose clock it is.
        unit: Option<i64>,
        /// Start.
        started_at: DateTime<Utc>,
        /// Due.
        due_at: DateTime<Utc>,
        /// Turns amber.
        amber_at: DateTime<Utc>,
        /// Computed over a year without calendar data.
        provisional: bool,
    },
    /// The step satisfies the active limit of this kind.
    Meet(DeadlineKind),
    /// Stop the active limits of these kinds (kept for reports).
    Stop(Vec<DeadlineKind>),
    /// Stop the active limits of these kinds that belong to the unit (started by a dispatch);
    /// limits counted from acceptance run on (a return to the centre).
    StopUnit(Vec<DeadlineKind>),
    /// The running, not yet missed limits of these kinds now belong to `unit` (none: the
    /// centre): the limits counted from acceptance follow the order to the unit that holds it,
    /// whose chain supervises them and on whom a miss is assessed.
    Assign {
        /// Kinds.
        kinds: Vec<DeadlineKind>,
        /// The unit that holds the order now.
        unit: Option<i64>,
    },
    /// Restart the limits of these kinds that the suspension stopped where they were, their due
    /// and amber times later by the time the order was suspended.
    Resume {
        /// Kinds.
        kinds: Vec<DeadlineKind>,
        /// How long the order was suspended.
        paused: Duration,
    },
    /// Move the due time of a limit (approved extension); the original stays on record.
    Move {
        /// Kind.
        kind: DeadlineKind,
        /// New due time.
        due_at: DateTime<Utc>,
        /// New amber time.
        amber_at: DateTime<Utc>,
    },
}

/// The result of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Status after the step.
    pub status: Status,
    /// Unit after the step.
    pub unit: Option<i64>,
    /// Deadline changes.
    pub ops: Vec<DeadlineOp>,
}

/// When a limit from `start` to `due` turns amber (the policy's share of its span).
pub fn amber(env: &Env<'_>, start: DateTime<Utc>, due: DateTime<Utc>) -> DateTime<Utc> {
    let share = env.policy.amber_share.clamp(0.0, 1.0);
    let span = (due - start).num_milliseconds().max(0) as f64;
    start + Duration::milliseconds((span * share) as i64)
}

/// Starts every limit of the policy anchored at `anchor`, from `start`.
fn start_limits(
    state: &OrderState,
    env: &Env<'_>,
    anchor: Anchor,
    start: DateTime<Utc>,
    unit: Option<i64>,
) -> Vec<DeadlineOp> {
    env.policy
        .deadlines(&state.facts())
        .into_iter()
        .filter(|p| p.from == anchor)
        .filter(|p| p.kind != DeadlineKind::Callback || state.needs_callback())
        .map(|p| {
            let d = deadline::due_at(start, &p.limit, env.calendar, env.offset);
            DeadlineOp::Start {
                kind: p.kind,
                unit: if matches!(anchor, Anchor::Dispatched | Anchor::Arrived) {
                    unit
                } else {
                    None
                },
                started_at: start,
                due_at: d.due_at,
                amber_at: amber(env, start, d.due_at),
                provisional: d.provisional,
            }
        })
        .collect()
}

/// The unit's kinds (contact, arrive, finish) whose limit this order counts from acceptance
/// (heating's 24 h result `000:二.5(4)`, water's 24 h cycle `003:4.3`).
fn accepted_unit_kinds(state: &OrderState, env: &Env<'_>) -> Vec<DeadlineKind> {
    env.policy
        .deadlines(&state.facts())
        .into_iter()
        .filter(|p| p.from == Anchor::Accepted && UNIT_KINDS.contains(&p.kind))
        .map(|p| p.kind)
        .collect()
}

/// The unit's kinds that a dispatch starts: a transfer or return stops these; the limits
/// counted from acceptance run on.
fn dispatched_kinds(state: &OrderState, env: &Env<'_>) -> Vec<DeadlineKind> {
    let accepted = accepted_unit_kinds(state, env);
    UNIT_KINDS
        .into_iter()
        .filter(|k| !accepted.contains(k))
        .collect()
}

/// Hands the limits counted from acceptance to the unit that holds the order now (`None`: back
/// to the centre).
fn assign_accepted(state: &OrderState, env: &Env<'_>, unit: Option<i64>) -> Option<DeadlineOp> {
    let kinds = accepted_unit_kinds(state, env);
    (!kinds.is_empty()).then_some(DeadlineOp::Assign { kinds, unit })
}

/// The limits that start when an order is accepted (created). An order answered at once
/// starts none.
pub fn on_create(state: &OrderState, env: &Env<'_>) -> Vec<DeadlineOp> {
    if state.status == Status::Closed {
        return Vec::new();
    }
    start_limits(state, env, Anchor::Accepted, state.accepted_at, None)
}

/// A limit of an order still counting (active, not met), as an extension sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    /// Kind.
    pub kind: DeadlineKind,
    /// Due (after earlier extensions).
    pub due_at: DateTime<Utc>,
    /// Turns amber.
    pub amber_at: DateTime<Utc>,
    /// Already missed.
    pub missed: bool,
}

/// The order in which the limits of an order follow one another: a later one cannot usefully
/// fall due before an earlier one (the unit contacts, arrives, finishes; then callback, close).
const CHAIN: [DeadlineKind; 6] = [
    DeadlineKind::Dispatch,
    DeadlineKind::Contact,
    DeadlineKind::Arrive,
    DeadlineKind::Finish,
    DeadlineKind::Callback,
    DeadlineKind::Close,
];

/// The limit an extension is for when the unit names none: the overdue one (the earliest due),
/// else the amber one (the earliest due), else the finish limit; `None` when none of these runs.
pub fn extension_default(running: &[Running], now: DateTime<Utc>) -> Option<DeadlineKind> {
    let earliest = |f: &dyn Fn(&Running) -> bool| {
        running
            .iter()
            .filter(|r| f(r))
            .min_by_key(|r| r.due_at)
            .map(|r| r.kind)
    };
    earliest(&|r| r.missed)
        .or_else(|| earliest(&|r| r.amber_at <= now))
        .or_else(|| earliest(&|r| r.kind == DeadlineKind::Finish))
}

/// An approved extension: the limit it is for, the time asked, and the order's running limits.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// The limit the extension is for.
    pub kind: DeadlineKind,
    /// The due time asked.
    pub until: DateTime<Utc>,
    /// The order's running limits.
    pub running: &'a [Running],
}

/// The moves of an approved extension: the limit it is for goes to `until`, never earlier than
/// it is; a later limit of [`CHAIN`] that would then fall due before it depends on it and moves
/// by the same amount (at least to the new due time). Nothing else moves.
pub fn extend(env: &Env<'_>, grant: &Grant<'_>) -> Vec<DeadlineOp> {
    let Some(target) = grant.running.iter().find(|r| r.kind == grant.kind) else {
        return Vec::new();
    };
    if grant.until <= target.due_at {
        return Vec::new();
    }
    let shift = grant.until - target.due_at;
    let mut ops = vec![DeadlineOp::Move {
        kind: target.kind,
        due_at: grant.until,
        amber_at: amber(env, env.now, grant.until),
    }];
    let Some(pos) = CHAIN.iter().position(|k| *k == target.kind) else {
        return ops;
    };
    let mut floor = grant.until;
    for kind in &CHAIN[pos + 1..] {
        let Some(r) = grant.running.iter().find(|r| r.kind == *kind) else {
            continue;
        };
        if r.due_at >= floor {
            continue;
        }
        let due = (r.due_at + shift).max(floor);
        ops.push(DeadlineOp::Move {
            kind: r.kind,
            due_at: due,
            amber_at: amber(env, env.now, due),
        });
        floor = due;
    }
    ops
}

/// Applies `step` to `state`: the new status and the deadline changes, or why not.
/// `grant` is the pending extension with the order's running limits, when approving it.
pub fn apply(
    state: &OrderState,
    step: &Step,
    env: &Env<'_>,
    grant: Option<&Grant<'_>>,
) -> Result<Outcome, InvalidTransition> {
    let rules: CallbackRules = env.policy.callback;
    let ctx = Ctx {
        needs_callback: state.needs_callback(),
        unit: state.unit,
        arrived: state.arrived,
        suspended_from: state.suspended_from,
        callback_complete: state.attempts.iter().any(|a| a.reached)
            || callback::unreachable_close_allowed_with(&state.attempts, &rules),
        extension_pending: state.extension_pending,
    };
    let status = lifecycle::next(state.status, step, &ctx)?;
    let now = env.now;
    let mut unit = state.unit;
    let mut ops = Vec::new();
    match *step {
        Step::Dispatch { unit: u } => {
            unit = Some(u);
            ops.push(DeadlineOp::Meet(DeadlineKind::Dispatch));
            ops.extend(assign_accepted(state, env, unit));
            ops.extend(start_limits(state, env, Anchor::Dispatched, now, unit));
        }
        Step::Transfer { unit: u } => {
            unit = Some(u);
            ops.push(DeadlineOp::StopUnit(dispatched_kinds(state, env)));
            ops.extend(assign_accepted(state, env, unit));
            ops.extend(start_limits(state, env, Anchor::Dispatched, now, unit));
        }
        Step::Accept => ops.extend(TAKEN_KINDS.iter().map(|k| DeadlineOp::Meet(*k))),
        Step::Arrive => {
            ops.extend(TAKEN_KINDS.iter().map(|k| DeadlineOp::Meet(*k)));
            ops.push(DeadlineOp::Meet(DeadlineKind::Arrive));
            ops.push(DeadlineOp::Meet(DeadlineKind::Appointment));
            if !state.arrived {
                ops.extend(start_limits(state, env, Anchor::Arrived, now, unit));
            }
        }
        Step::Return => {
            ops.push(DeadlineOp::StopUnit(dispatched_kinds(state, env)));
            ops.extend(assign_accepted(state, env, None));
        }
        Step::Reply => {
            ops.extend(UNIT_KINDS.iter().map(|k| DeadlineOp::Meet(*k)));
            ops.extend(start_limits(state, env, Anchor::Replied, now, unit));
        }
        Step::Callback {
            reached,
            contradicts,
        } => {
            if contradicts {
                // Back to the same unit: its clocks start afresh.
                ops.extend(start_limits(state, env, Anchor::Dispatched, now, unit));
            } else if reached {
                ops.push(DeadlineOp::Meet(DeadlineKind::Callback));
            }
        }
        Step::Close => {
            ops.push(DeadlineOp::Meet(DeadlineKind::Callback));
            ops.push(DeadlineOp::Meet(DeadlineKind::Close));
        }
        Step::Cancel | Step::Merge => ops.push(DeadlineOp::Stop(DeadlineKind::ALL.to_vec())),
        Step::Reopen => {
            if unit.is_some() {
                ops.extend(start_limits(state, env, Anchor::Dispatched, now, unit));
            }
        }
        Step::Suspend => ops.push(DeadlineOp::Stop(UNIT_KINDS.to_vec())),
        Step::Resume => ops.extend(start_limits(state, env, Anchor::Dispatched, now, unit)),
        Step::ExtensionApprove => {
            if let Some(g) = grant {
                ops.extend(extend(env, g));
            }
        }
        Step::Review { .. } | Step::ExtensionAsk | Step::ExtensionReject => {}
    }
    Ok(Outcome { status, unit, ops })
}

/// The limits to restart when a complaint's grade changes while a unit holds it: the unit's
/// limits that depend on the grade (gas: finish 3 h / 24 h / 48 h, `002:§14(6)`), counted from
/// the dispatch. `state.grade` is the new grade.
pub fn on_regrade(
    state: &OrderState,
    env: &Env<'_>,
    dispatched_at: DateTime<Utc>,
) -> Vec<DeadlineOp> {
    if !lifecycle::with_unit(state.status) {
        return Vec::new();
    }
    start_limits(state, env, Anchor::Dispatched, dispatched_at, state.unit)
        .into_iter()
        .filter(|op| {
            matches!(
                op,
                DeadlineOp::Start {
                    kind: DeadlineKind::Finish,
                    ..
                }
            )
        })
        .collect()
}

/// What a resume does besides restarting the unit's limits afresh ([`apply`]): the unit's
/// limits counted from acceptance (heating's 24 h result, water's 24 h cycle), stopped by the
/// suspension, run on where they were, later by the time suspended (`suspended_at` to now).
pub fn on_resume(
    state: &OrderState,
    env: &Env<'_>,
    suspended_at: DateTime<Utc>,
) -> Vec<DeadlineOp> {
    let kinds = accepted_unit_kinds(state, env);
    if kinds.is_empty() {
        return Vec::new();
    }
    vec![DeadlineOp::Resume {
        kinds,
        paused: (env.now - suspended_at).max(Duration::zero()),
    }]
}

/// Who a supervision level reaches (`000:八.5(5)`, the chain of
/// [`crate::deadline::supervision_depth`]): `chain` lists the deadline's unit and its ancestors,
/// nearest first, and is empty for a deadline without a unit. Returns the rung (`handler`,
/// `head`, `unit` for an ancestor, `company`; without a unit `agent`, `supervisor`, `company`)
/// and the unit notified (none for the centre and the company). Past the top, the top.
pub fn supervision_target(chain: &[i64], level: u32) -> Option<(&'static str, Option<i64>)> {
    let level = level as usize;
    match (chain.first(), level) {
        (_, 0) => None,
        (None, 1) => Some(("agent", None)),
        (None, 2) => Some(("supervisor", None)),
        (None, _) => Some(("company", None)),
        (Some(u), 1) => Some(("handler", Some(*u))),
        (Some(u), 2) => Some(("head", Some(*u))),
        (Some(_), k) => match chain.get(k - 2) {
            Some(a) => Some(("unit", Some(*a))),
            None => Some(("company", None)),
        },
    }
}

/// The order number: company prefix, local date and the day's sequence (`GR20261123-0042`).
pub fn order_number(prefix: &str, local_date: NaiveDate, seq: i64) -> String {
    format!("{prefix}{}-{seq:04}", local_date.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::china_offset;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn running(kind: DeadlineKind, due: &str, missed: bool) -> Running {
        Running {
            kind,
            due_at: t(due),
            amber_at: t(due),
            missed,
        }
    }

    fn moves(ops: &[DeadlineOp]) -> Vec<(DeadlineKind, DateTime<Utc>)> {
        ops.iter()
            .map(|op| match op {
                DeadlineOp::Move { kind, due_at, .. } => (*kind, *due_at),
                other => panic!("not a move: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn an_extension_moves_only_its_limit_never_earlier_and_drags_what_follows() {
        let policy = Policy::preset("water").unwrap();
        let calendar = BusinessCalendar::embedded();
        let env = Env {
            policy: &policy,
            calendar: &calendar,
            offset: china_offset(),
            now: t("2026-03-02T01:40:00Z"),
        };
        let limits = [
            running(DeadlineKind::Arrive, "2026-03-02T01:30:00Z", true),
            running(DeadlineKind::Finish, "2026-03-03T01:00:00Z", false),
        ];
        let grant = |until: &str| Grant {
            kind: DeadlineKind::Arrive,
            until: t(until),
            running: &limits,
        };
        assert_eq!(
            moves(&extend(&env, &grant("2026-03-02T06:00:00Z"))),
            [(DeadlineKind::Arrive, t("2026-03-02T06:00:00Z"))],
            "finish is still later: it stays"
        );
        assert!(
            extend(&env, &grant("2026-03-02T01:00:00Z")).is_empty(),
            "never earlier"
        );
        assert_eq!(
            moves(&extend(&env, &grant("2026-03-03T05:00:00Z"))),
            [
                (DeadlineKind::Arrive, t("2026-03-03T05:00:00Z")),
                (DeadlineKind::Finish, t("2026-03-04T04:30:00Z")),
            ],
            "finish would fall due before the arrival: it moves by as much"
        );
        assert_eq!(
            extension_default(&limits, env.now),
            Some(DeadlineKind::Arrive)
        );
        let calm = [running(DeadlineKind::Finish, "2026-03-03T01:00:00Z", false)];
        assert_eq!(
            extension_default(&calm, t("2026-03-02T01:00:00Z")),
            Some(DeadlineKind::Finish)
        );
        assert_eq!(extension_default(&[], env.now), None);
    }
    fn state(category: Category, subtype: Option<&str>, status: Status) -> OrderState {
        OrderState {
            status,
            category,
            subtype: subtype.map(str::to_owned),
            grade: None,
            unit: Some(7),
            callback_declined: false,
            accepted_at: t("2026-03-02T01:00:00Z"),
            arrived: false,
            suspended_from: None,
            extension_pending: false,
            attempts: Vec::new(),
            season_start: None,
        }
    }

    fn started(ops: &[DeadlineOp]) -> Vec<(DeadlineKind, DateTime<Utc>, Option<i64>)> {
        ops.iter()
            .filter_map(|op| match op {
                DeadlineOp::Start {
                    kind, due_at, unit, ..
                } => Some((*kind, *due_at, *unit)),
                _ => None,
            })
            .collect()
    }

    fn met(ops: &[DeadlineOp]) -> Vec<DeadlineKind> {
        ops.iter()
            .filter_map(|op| match op {
                DeadlineOp::Meet(k) => Some(*k),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn named_limits_start_at_their_anchor_and_are_met_by_their_step_000_s4_2_5_002_s14_5_6() {
        let heat = Policy::preset("heat").unwrap();
        let gas = Policy::preset("gas").unwrap();
        let calendar = BusinessCalendar::embedded();
        let env = |policy| Env {
            policy,
            calendar: &calendar,
            offset: china_offset(),
            now: t("2026-03-02T01:00:00Z"),
        };
        // Heating repair: preparation 10 min from the dispatch, met when the crew takes it.
        let s = state(Category::Repair, Some("leak"), Status::New);
        let out = apply(&s, &Step::Dispatch { unit: 7 }, &env(&heat), None).unwrap();
        assert!(started(&out.ops).contains(&(
            DeadlineKind::Prepare,
            t("2026-03-02T01:10:00Z"),
            Some(7)
        )));
        let s = state(Category::Repair, Some("leak"), Status::Dispatched);
        let taken = met(&apply(&s, &Step::Accept, &env(&heat), None).unwrap().ops);
        assert!(taken.contains(&DeadlineKind::Prepare), "{taken:?}");
        // Temperature visit: arranged within 30 min of acceptance (no unit yet).
        let s = state(Category::Service, Some("temperature"), Status::New);
        assert!(started(&on_create(&s, &env(&heat))).contains(&(
            DeadlineKind::Arrange,
            t("2026-03-02T01:30:00Z"),
            None
        )));
        // Gas service: a refusal answered in 2 workdays; taking the order meets it.
        let s = state(Category::Service, Some("install"), Status::New);
        let out = apply(&s, &Step::Dispatch { unit: 7 }, &env(&gas), None).unwrap();
        assert!(started(&out.ops).contains(&(
            DeadlineKind::RefusalReply,
            t("2026-03-04T01:00:00Z"),
            Some(7)
        )));
        // Gas complaint: investigation met by the reply, not by taking the order; a return
        // stops it with the unit's other limits.
        let s = state(Category::Complaint, None, Status::Dispatched);
        let taken = met(&apply(&s, &Step::Accept, &env(&gas), None).unwrap().ops);
        assert!(taken.contains(&DeadlineKind::Contact), "{taken:?}");
        assert!(!taken.contains(&DeadlineKind::Investigate), "{taken:?}");
        assert!(!taken.contains(&DeadlineKind::MediaReply), "{taken:?}");
        let s = state(Category::Complaint, None, Status::Accepted);
        let replied = met(&apply(&s, &Step::Reply, &env(&gas), None).unwrap().ops);
        assert!(replied.contains(&DeadlineKind::Investigate), "{replied:?}");
        assert!(replied.contains(&DeadlineKind::MediaReply), "{replied:?}");
        let back = apply(&s, &Step::Return, &env(&gas), None).unwrap().ops;
        assert!(
            matches!(&back[..], [DeadlineOp::StopUnit(k)] if k.contains(&DeadlineKind::Investigate))
        );
    }
}
