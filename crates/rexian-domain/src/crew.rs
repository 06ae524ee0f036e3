//! The crew on its way (`001`: 客户问询抢修人员何时到现场时，不允许回答“我们已经派了”… 告知预计
//! 达到时间) and visit appointments (上门预约, `000:一.4` 上门服务应实行预约制度, `四.2(5)` 与客户
//! 约定时间，准时到达, `四.5(1)` 约定下次维修时间).
//!
//! A field worker's states on an order: assigned (by the unit), set off (with the expected
//! arrival the worker gives), on site (the order's arrive step), done. The state is what the
//! order's events say ([`fold`]); [`next`] decides whether a reported state may follow the
//! present one. An appointment makes the arrive limit count to the time the customer chose and
//! is its own limit ([`appointment_ops`]). Pure: times are parameters.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::model::DeadlineKind;
use crate::workflow::{amber, DeadlineOp, Env};

/// Where the crew of an order is.
#[derive(schemars::JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrewState {
    /// A field worker is assigned; not on the way yet.
    Assigned,
    /// On the way, with an expected arrival.
    SetOff,
    /// On site (the order's arrive step).
    OnSite,
    /// The visit's work is done (the unit's reply follows).
    Done,
}

impl CrewState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CrewState::Assigned => "assigned",
            CrewState::SetOff => "set_off",
            CrewState::OnSite => "on_site",
            CrewState::Done => "done",
        }
    }

    /// A state a worker reports (`set_off`, `on_site`, `done`); `assigned` comes from the
    /// assignment, not from the worker.
    pub fn reported(s: &str) -> Option<CrewState> {
        match s {
            "set_off" => Some(CrewState::SetOff),
            "on_site" => Some(CrewState::OnSite),
            "done" => Some(CrewState::Done),
            _ => None,
        }
    }
}

/// What an order's event says about its crew, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrewEvent {
    /// A field worker was assigned (or the order moved to another worker).
    Assigned {
        /// The worker.
        worker: i64,
    },
    /// The worker set off (again: a revised arrival).
    SetOff {
        /// Who.
        worker: Option<i64>,
        /// When they set off.
        at: DateTime<Utc>,
        /// Expected arrival.
        eta: DateTime<Utc>,
    },
    /// On site (the arrive step).
    OnSite {
        /// Who.
        worker: Option<i64>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The visit's work is done.
    Done {
        /// Who.
        worker: Option<i64>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The order went (again) to a unit or back to the centre: a new dispatch, a new crew.
    Reset,
}

/// The crew as its events leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crew {
    /// State.
    pub state: CrewState,
    /// Expected arrival (while set off; kept once on site, to compare).
    pub eta: Option<DateTime<Utc>>,
    /// When the state was reached (none for a bare assignment).
    pub at: Option<DateTime<Utc>>,
    /// The worker.
    pub worker: Option<i64>,
}

/// The crew after `events` (oldest first); `assignee` is the order's worker now. `None` when
/// no worker is assigned and none reported anything since the last dispatch.
pub fn fold(events: impl IntoIterator<Item = CrewEvent>, assignee: Option<i64>) -> Option<Crew> {
    let assigned = |w: Option<i64>| {
        w.map(|w| Crew {
            state: CrewState::Assigned,
            eta: None,
            at: None,
            worker: Some(w),
        })
    };
    let mut crew: Option<Crew> = None;
    for e in events {
        crew = match e {
            CrewEvent::Reset => None,
            CrewEvent::Assigned { worker } => assigned(Some(worker)),
            CrewEvent::SetOff { worker, at, eta } => Some(Crew {
                state: CrewState::SetOff,
                eta: Some(eta),
                at: Some(at),
                worker: worker.or(crew.and_then(|c| c.worker)),
            }),
            CrewEvent::OnSite { worker, at } => Some(Crew {
                state: CrewState::OnSite,
                eta: crew.and_then(|c| c.eta),
                at: Some(at),
                worker: worker.or(crew.and_then(|c| c.worker)),
            }),
            CrewEvent::Done { worker, at } => Some(Crew {
                state: CrewState::Done,
                eta: None,
                at: Some(at),
                worker: worker.or(crew.and_then(|c| c.worker)),
            }),
        };
    }
    crew.or_else(|| assigned(assignee))
}

/// Why a reported state cannot follow the present one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrewRefusal {
    /// The state does not follow the present one (the order is set off → on site → done).
    #[error("the crew cannot go from {from} to {to}")]
    Order {
        /// Present state (`none` when no worker is assigned).
        from: &'static str,
        /// State asked.
        to: &'static str,
    },
    /// The time given is before the crew's present state was reached, or in the future.
    #[error("{0}")]
    At(&'static str),
    /// Setting off needs an expected arrival no earlier than the set-off.
    #[error("{0}")]
    Eta(&'static str),
}

/// How far in the future a reported time may lie (the phone's clock runs a little ahead).
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// Whether the crew may report `to` at `at` (with `eta` when setting off), from `crew` as it
/// is, at `now`. A worker sets off from assigned, or again while on the way (a revised arrival,
/// `001` 告知预计达到时间), or after a visit done (the next visit); is on site only after
/// setting off; is done only on site.
pub fn next(
    crew: Option<&Crew>,
    to: CrewState,
    at: DateTime<Utc>,
    eta: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), CrewRefusal> {
    let from = crew.map(|c| c.state);
    let allowed = match to {
        CrewState::SetOff => matches!(
            from,
            Some(CrewState::Assigned | CrewState::SetOff | CrewState::Done)
        ),
        CrewState::OnSite => from == Some(CrewState::SetOff),
        CrewState::Done => from == Some(CrewState::OnSite),
        CrewState::Assigned => false,
    };
    if !allowed {
        return Err(CrewRefusal::Order {
            from: from.map_or("none", CrewState::as_str),
            to: to.as_str(),
        });
    }
    if at > now + CLOCK_SKEW {
        return Err(CrewRefusal::At("at must not be in the future"));
    }
    if crew.and_then(|c| c.at).is_some_and(|prev| at < prev) {
        return Err(CrewRefusal::At(
            "at must not be before the crew's present state was reached",
        ));
    }
    if to == CrewState::SetOff {
        match eta {
            None => return Err(CrewRefusal::Eta("eta is required to set off")),
            Some(e) if e < at => {
                return Err(CrewRefusal::Eta("eta must not be before setting off"))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The limits a reported state meets: setting off meets the crew's preparation (`000:四.2(5)`
/// 维修人员在10分钟内完成准备工作); being on site is the arrive step, which meets its own.
pub fn meets(to: CrewState) -> Vec<DeadlineKind> {
    match to {
        CrewState::SetOff => vec![DeadlineKind::Prepare],
        _ => Vec::new(),
    }
}

/// Why an appointment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the visit must be booked for a time after now")]
pub struct PastAppointment;

/// The limits a visit booked for `at` sets (`000:一.4`, `四.2(5)`): the arrive limit counts to
/// the appointment (superseding the running one, which stays on record), and the appointment
/// is its own limit, missed when the crew is not on site by then. A next booking supersedes
/// both again (`四.5(1)`).
pub fn appointment_ops(
    env: &Env<'_>,
    unit: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Vec<DeadlineOp>, PastAppointment> {
    if at <= env.now {
        return Err(PastAppointment);
    }
    let start = |kind| DeadlineOp::Start {
        kind,
        unit,
        started_at: env.now,
        due_at: at,
        amber_at: amber(env, env.now, at),
        provisional: false,
    };
    Ok(vec![
        start(DeadlineKind::Arrive),
        start(DeadlineKind::Appointment),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::BusinessCalendar;
    use crate::policy::{china_offset, Policy};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_crew_goes_set_off_on_site_done_and_a_dispatch_starts_afresh_001() {
        let now = t("2026-03-02T02:00:00Z");
        let assigned = fold(Vec::new(), Some(7)).unwrap();
        assert_eq!(assigned.state, CrewState::Assigned);
        assert_eq!(fold(Vec::new(), None), None);
        let on_way = fold(
            [CrewEvent::SetOff {
                worker: Some(7),
                at: t("2026-03-02T01:50:00Z"),
                eta: t("2026-03-02T02:40:00Z"),
            }],
            Some(7),
        )
        .unwrap();
        assert_eq!(on_way.eta, Some(t("2026-03-02T02:40:00Z")));
        // Only in order: on site after setting off, done after on site.
        let refused = |c: Option<&Crew>, to| next(c, to, now, None, now).is_err();
        assert!(refused(Some(&assigned), CrewState::OnSite));
        assert!(refused(Some(&assigned), CrewState::Done));
        assert!(refused(None, CrewState::SetOff));
        assert!(next(Some(&on_way), CrewState::OnSite, now, None, now).is_ok());
        assert_eq!(
            next(Some(&assigned), CrewState::SetOff, now, None, now),
            Err(CrewRefusal::Eta("eta is required to set off"))
        );
        // A time before the present state, or ahead of the clock, is refused.
        assert!(matches!(
            next(
                Some(&on_way),
                CrewState::OnSite,
                t("2026-03-02T01:40:00Z"),
                None,
                now
            ),
            Err(CrewRefusal::At(_))
        ));
        assert!(matches!(
            next(
                Some(&on_way),
                CrewState::OnSite,
                now + Duration::minutes(30),
                None,
                now
            ),
            Err(CrewRefusal::At(_))
        ));
        let reset = fold(
            [
                CrewEvent::OnSite {
                    worker: Some(7),
                    at: now,
                },
                CrewEvent::Reset,
            ],
            None,
        );
        assert_eq!(reset, None);
    }

    #[test]
    fn an_appointment_moves_the_arrive_limit_and_is_its_own_000_s1_4() {
        let policy = Policy::preset("heat").unwrap();
        let calendar = BusinessCalendar::embedded();
        let env = Env {
            policy: &policy,
            calendar: &calendar,
            offset: china_offset(),
            now: t("2026-03-02T01:00:00Z"),
        };
        let ops = appointment_ops(&env, Some(3), t("2026-03-03T02:00:00Z")).unwrap();
        let kinds: Vec<_> = ops
            .iter()
            .filter_map(|op| match op {
                DeadlineOp::Start { kind, due_at, .. } => Some((*kind, *due_at)),
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (DeadlineKind::Arrive, t("2026-03-03T02:00:00Z")),
                (DeadlineKind::Appointment, t("2026-03-03T02:00:00Z"))
            ]
        );
        assert_eq!(
            appointment_ops(&env, Some(3), env.now),
            Err(PastAppointment)
        );
    }
}
