//! The work-order state machine (SPEC §2).
//!
//! Main path: new → dispatched → accepted → in_progress (arrive) → replied → reviewed →
//! callback → closed. Side paths: return, transfer, extension, suspend/resume, reopen,
//! cancel, merge. [`next`] is pure: everything it needs beyond the status is in [`Ctx`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Status;

/// One thing that happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Centre sends the order to a unit (from new or returned).
    Dispatch {
        /// The receiving unit's id.
        unit: i64,
    },
    /// Unit takes the order (接单).
    Accept,
    /// Unit returns the order to the centre with a reason (回退, `002:§15(3)`).
    Return,
    /// Field worker arrives on site.
    Arrive,
    /// Unit replies with its result (回复).
    Reply,
    /// Centre reviews the reply (审核); not approved goes back to the same unit.
    Review {
        /// Whether the reply was approved.
        approved: bool,
    },
    /// One callback attempt (回访).
    Callback {
        /// Whether the customer was reached.
        reached: bool,
        /// Whether the customer's account contradicts the unit's reply (only when reached).
        contradicts: bool,
    },
    /// Close (办结).
    Close,
    /// Cancel as duplicate or invalid, with a reason.
    Cancel,
    /// Reopen a finished order (repeat complaint, contradiction found later).
    Reopen,
    /// Suspend an unreasonable demand with company approval (`000:八.4`).
    Suspend,
    /// Resume a suspended order where it was.
    Resume,
    /// Centre moves the order to another unit.
    Transfer {
        /// The new unit's id.
        unit: i64,
    },
    /// Unit asks for more time (延期, `002:§15(2)2`, `003:4.3`).
    ExtensionAsk,
    /// Supervisor approves the pending extension.
    ExtensionApprove,
    /// Supervisor refuses the pending extension.
    ExtensionReject,
    /// This order is merged into another one and stops here.
    Merge,
}

/// The name of a [`Step`] without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// See [`Step::Dispatch`].
    Dispatch,
    /// See [`Step::Accept`].
    Accept,
    /// See [`Step::Return`].
    Return,
    /// See [`Step::Arrive`].
    Arrive,
    /// See [`Step::Reply`].
    Reply,
    /// See [`Step::Review`].
    Review,
    /// See [`Step::Callback`].
    Callback,
    /// See [`Step::Close`].
    Close,
    /// See [`Step::Cancel`].
    Cancel,
    /// See [`Step::Reopen`].
    Reopen,
    /// See [`Step::Suspend`].
    Suspend,
    /// See [`Step::Resume`].
    Resume,
    /// See [`Step::Transfer`].
    Transfer,
    /// See [`Step::ExtensionAsk`].
    ExtensionAsk,
    /// See [`Step::ExtensionApprove`].
    ExtensionApprove,
    /// See [`Step::ExtensionReject`].
    ExtensionReject,
    /// See [`Step::Merge`].
    Merge,
}

impl StepKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Dispatch => "dispatch",
            StepKind::Accept => "accept",
            StepKind::Return => "return",
            StepKind::Arrive => "arrive",
            StepKind::Reply => "reply",
            StepKind::Review => "review",
            StepKind::Callback => "callback",
            StepKind::Close => "close",
            StepKind::Cancel => "cancel",
            StepKind::Reopen => "reopen",
            StepKind::Suspend => "suspend",
            StepKind::Resume => "resume",
            StepKind::Transfer => "transfer",
            StepKind::ExtensionAsk => "extension_ask",
            StepKind::ExtensionApprove => "extension_approve",
            StepKind::ExtensionReject => "extension_reject",
            StepKind::Merge => "merge",
        }
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Step {
    /// The step's name.
    pub fn kind(&self) -> StepKind {
        match self {
            Step::Dispatch { .. } => StepKind::Dispatch,
            Step::Accept => StepKind::Accept,
            Step::Return => StepKind::Return,
            Step::Arrive => StepKind::Arrive,
            Step::Reply => StepKind::Reply,
            Step::Review { .. } => StepKind::Review,
            Step::Callback { .. } => StepKind::Callback,
            Step::Close => StepKind::Close,
            Step::Cancel => StepKind::Cancel,
            Step::Reopen => StepKind::Reopen,
            Step::Suspend => StepKind::Suspend,
            Step::Resume => StepKind::Resume,
            Step::Transfer { .. } => StepKind::Transfer,
            Step::ExtensionAsk => StepKind::ExtensionAsk,
            Step::ExtensionApprove => StepKind::ExtensionApprove,
            Step::ExtensionReject => StepKind::ExtensionReject,
            Step::Merge => StepKind::Merge,
        }
    }
}

/// Facts about the order, derived from its events, that some transitions need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// Whether a callback is due: category needs one and the customer did not decline.
    pub needs_callback: bool,
    /// The unit the order was last dispatched to.
    pub unit: Option<i64>,
    /// Whether a field worker has arrived in the current dispatch.
    pub arrived: bool,
    /// The status before suspension (for resume).
    pub suspended_from: Option<Status>,
    /// Whether the callback is finished: customer reached without contradiction, or
    /// unreachable per the callback rules (`callback::unreachable_close_allowed`).
    pub callback_complete: bool,
    /// Whether an extension request awaits a decision.
    pub extension_pending: bool,
}

impl Default for Ctx {
    fn default() -> Self {
        Self {
            needs_callback: true,
            unit: None,
            arrived: false,
            suspended_from: None,
            callback_complete: false,
            extension_pending: false,
        }
    }
}

/// A step that is not allowed in the current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {step} an order that is {from}: {reason}")]
pub struct InvalidTransition {
    /// Status the order was in.
    pub from: Status,
    /// Step that was refused.
    pub step: StepKind,
    /// Why.
    pub reason: &'static str,
}

/// Statuses in which the unit holds the order and its clocks run.
pub fn with_unit(s: Status) -> bool {
    matches!(
        s,
        Status::Dispatched | Status::Accepted | Status::InProgress
    )
}

/// The status after `step`, or why the step is refused.
pub fn next(status: Status, step: &Step, ctx: &Ctx) -> Result<Status, InvalidTransition> {
    use Status as S;
    let refuse = |reason| InvalidTransition {
        from: status,
        step: step.kind(),
        reason,
    };
    match (*step, status) {
        (Step::Dispatch { .. }, S::New | S::Returned) => Ok(S::Dispatched),
        (Step::Dispatch { .. }, _) => Err(refuse("only new or returned orders are dispatched")),

        (Step::Transfer { unit }, s) if with_unit(s) => {
            if ctx.unit == Some(unit) {
                Err(refuse("already with that unit"))
            } else {
                Ok(S::Dispatched)
            }
        }
        (Step::Transfer { .. }, _) => Err(refuse("only an order with a unit is transferred")),

        (Step::Accept, S::Dispatched) => Ok(S::Accepted),
        (Step::Accept, _) => Err(refuse("only a dispatched order is accepted")),

        (Step::Return, s) if with_unit(s) => Ok(S::Returned),
        (Step::Return, _) => Err(refuse("only an order with a unit is returned")),

        // A worker may arrive on a phone order before the formal accept (`000:四.1(2)`),
        // and come again on a later visit.
        (Step::Arrive, S::Dispatched | S::Accepted | S::InProgress) => Ok(S::InProgress),
        (Step::Arrive, _) => Err(refuse("no unit is handling the order")),

        (Step::Reply, S::Accepted | S::InProgress) => Ok(S::Replied),
        (Step::Reply, _) => Err(refuse("only an accepted order is replied")),

        (Step::Review { approved: true }, S::Replied) => Ok(S::Reviewed),
        (Step::Review { approved: false }, S::Replied) => Ok(if ctx.arrived {
            S::InProgress
        } else {
            S::Accepted
        }),
        (Step::Review { .. }, _) => Err(refuse("only a replied order is reviewed")),

        (
            Step::Callback {
                reached,
                contradicts,
            },
            S::Reviewed | S::Callback,
        ) => {
            if !ctx.needs_callback {
                Err(refuse("this order takes no callback"))
            } else if contradicts && !reached {
                Err(refuse("a contradiction needs the customer reached"))
            } else if contradicts {
                // `002:§14(9)`: reply contradicted by the customer goes back to the unit.
                match ctx.unit {
                    Some(_) => Ok(S::Dispatched),
                    None => Err(refuse("no unit to send the order back to")),
                }
            } else {
                Ok(S::Callback)
            }
        }
        (Step::Callback { .. }, _) => Err(refuse("callback comes after review")),

        // Answered at once (`002:§14`).
        (Step::Close, S::New) => Ok(S::Closed),
        (Step::Close, S::Reviewed) if !ctx.needs_callback => Ok(S::Closed),
        (Step::Close, S::Reviewed) => Err(refuse("callback still due")),
        (Step::Close, S::Callback) if ctx.callback_complete => Ok(S::Closed),
        (Step::Close, S::Callback) => Err(refuse("callback not complete")),
        (Step::Close, _) => Err(refuse("order not ready to close")),

        (Step::Cancel | Step::Merge, s) if s.is_open() => Ok(S::Cancelled),
        (Step::Cancel | Step::Merge, _) => Err(refuse("order is no longer open")),

        (Step::Reopen, S::Closed | S::Replied | S::Reviewed | S::Callback) => {
            Ok(if ctx.unit.is_some() {
                S::Dispatched
            } else {
                S::New
            })
        }
        (Step::Reopen, _) => Err(refuse("only a finished or replied order is reopened")),

        (Step::Suspend, s) if with_unit(s) => Ok(S::Suspended),
        (Step::Suspend, _) => Err(refuse("only an order with a unit is suspended")),

        (Step::Resume, S::Suspended) => match ctx.suspended_from {
            Some(s) if with_unit(s) => Ok(s),
            _ => Err(refuse("status before suspension unknown")),
        },
        (Step::Resume, _) => Err(refuse("order is not suspended")),

        (Step::ExtensionAsk, s) if with_unit(s) => {
            if ctx.extension_pending {
                Err(refuse("an extension request is already pending"))
            } else {
                Ok(s)
            }
        }
        (Step::ExtensionApprove | Step::ExtensionReject, s) if with_unit(s) => {
            if ctx.extension_pending {
                Ok(s)
            } else {
                Err(refuse("no extension request pending"))
            }
        }
        (Step::ExtensionAsk | Step::ExtensionApprove | Step::ExtensionReject, _) => {
            Err(refuse("extensions apply while the unit holds the order"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status as S;

    fn ctx() -> Ctx {
        Ctx {
            unit: Some(7),
            ..Ctx::default()
        }
    }

    #[test]
    fn allowed_transitions_table() {
        let c = ctx();
        let arrived = Ctx { arrived: true, ..c };
        let no_cb = Ctx {
            needs_callback: false,
            ..c
        };
        let cb_done = Ctx {
            callback_complete: true,
            ..c
        };
        let pending = Ctx {
            extension_pending: true,
            ..c
        };
        let no_unit = Ctx { unit: None, ..c };
        let cases: Vec<(S, Step, Ctx, S)> = vec![
            (S::New, Step::Dispatch { unit: 7 }, c, S::Dispatched),
            (S::Returned, Step::Dispatch { unit: 8 }, c, S::Dispatched),
            (S::Dispatched, Step::Accept, c, S::Accepted),
            (S::Accepted, Step::Arrive, c, S::InProgress),
            (S::Dispatched, Step::Arrive, c, S::InProgress),
            (S::InProgress, Step::Arrive, c, S::InProgress),
            (S::InProgress, Step::Reply, c, S::Replied),
            (S::Accepted, Step::Reply, c, S::Replied),
            (S::Replied, Step::Review { approved: true }, c, S::Reviewed),
            (S::Replied, Step::Review { approved: false }, c, S::Accepted),
            (
                S::Replied,
                Step::Review { approved: false },
                arrived,
                S::InProgress,
            ),
            (
                S::Reviewed,
                Step::Callback {
                    reached: true,
                    contradicts: false,
                },
                c,
                S::Callback,
            ),
            (
                S::Reviewed,
                Step::Callback {
                    reached: false,
                    contradicts: false,
                },
                c,
                S::Callback,
            ),
            (
                S::Callback,
                Step::Callback {
                    reached: false,
                    contradicts: false,
                },
                c,
                S::Callback,
            ),
            (
                S::Callback,
                Step::Callback {
                    reached: true,
                    contradicts: true,
                },
                c,
                S::Dispatched,
            ),
            (
                S::Reviewed,
                Step::Callback {
                    reached: true,
                    contradicts: true,
                },
                c,
                S::Dispatched,
            ),
            (S::Callback, Step::Close, cb_done, S::Closed),
            (S::Reviewed, Step::Close, no_cb, S::Closed),
            (S::New, Step::Close, c, S::Closed),
            (S::Dispatched, Step::Return, c, S::Returned),
            (S::Accepted, Step::Return, c, S::Returned),
            (S::InProgress, Step::Return, c, S::Returned),
            (S::Dispatched, Step::Transfer { unit: 8 }, c, S::Dispatched),
            (S::InProgress, Step::Transfer { unit: 8 }, c, S::Dispatched),
            (S::Closed, Step::Reopen, c, S::Dispatched),
            (S::Replied, Step::Reopen, c, S::Dispatched),
            (S::Reviewed, Step::Reopen, c, S::Dispatched),
            (S::Callback, Step::Reopen, c, S::Dispatched),
            (S::Closed, Step::Reopen, no_unit, S::New),
            (S::InProgress, Step::Suspend, c, S::Suspended),
            (S::Dispatched, Step::Suspend, c, S::Suspended),
            (
                S::Suspended,
                Step::Resume,
                Ctx {
                    suspended_from: Some(S::InProgress),
                    ..c
                },
                S::InProgress,
            ),
            (S::Accepted, Step::ExtensionAsk, c, S::Accepted),
            (
                S::InProgress,
                Step::ExtensionApprove,
                pending,
                S::InProgress,
            ),
            (S::Dispatched, Step::ExtensionReject, pending, S::Dispatched),
        ];
        for (from, step, cx, to) in cases {
            assert_eq!(
                next(from, &step, &cx),
                Ok(to),
                "{from} --{}-->",
                step.kind()
            );
        }
        // Cancel and merge from every open state.
        for s in S::ALL.iter().copied().filter(|s| s.is_open()) {
            assert_eq!(
                next(s, &Step::Cancel, &c),
                Ok(S::Cancelled),
                "cancel from {s}"
            );
            assert_eq!(
                next(s, &Step::Merge, &c),
                Ok(S::Cancelled),
                "merge from {s}"
            );
        }
    }

    #[test]
    fn refused_transitions_sample() {
        let c = ctx();
        let cases: Vec<(S, Step, Ctx, &str)> = vec![
            (
                S::Accepted,
                Step::Dispatch { unit: 7 },
                c,
                "new or returned",
            ),
            (S::New, Step::Accept, c, "dispatched"),
            (S::New, Step::Reply, c, "accepted"),
            (S::Dispatched, Step::Reply, c, "accepted"),
            (S::Accepted, Step::Review { approved: true }, c, "replied"),
            (
                S::Replied,
                Step::Callback {
                    reached: true,
                    contradicts: false,
                },
                c,
                "after review",
            ),
            (S::Reviewed, Step::Close, c, "callback still due"),
            (S::Callback, Step::Close, c, "not complete"),
            (S::Replied, Step::Close, c, "not ready"),
            (S::Closed, Step::Cancel, c, "no longer open"),
            (S::Cancelled, Step::Merge, c, "no longer open"),
            (S::Cancelled, Step::Reopen, c, "reopened"),
            (S::New, Step::Return, c, "with a unit"),
            (S::Replied, Step::Return, c, "with a unit"),
            (S::Returned, Step::Transfer { unit: 8 }, c, "with a unit"),
            (S::Dispatched, Step::Transfer { unit: 7 }, c, "already"),
            (S::New, Step::Suspend, c, "with a unit"),
            (S::Accepted, Step::Resume, c, "not suspended"),
            (S::Suspended, Step::Resume, c, "unknown"),
            (S::Replied, Step::ExtensionAsk, c, "unit holds"),
            (S::Accepted, Step::ExtensionApprove, c, "no extension"),
            (
                S::Accepted,
                Step::ExtensionAsk,
                Ctx {
                    extension_pending: true,
                    ..c
                },
                "already pending",
            ),
            (
                S::Reviewed,
                Step::Callback {
                    reached: false,
                    contradicts: true,
                },
                c,
                "reached",
            ),
            (
                S::Reviewed,
                Step::Callback {
                    reached: true,
                    contradicts: false,
                },
                Ctx {
                    needs_callback: false,
                    ..c
                },
                "no callback",
            ),
            (S::Suspended, Step::Arrive, c, "no unit"),
        ];
        for (from, step, cx, why) in cases {
            let e = next(from, &step, &cx).unwrap_err();
            assert_eq!(e.from, from);
            assert_eq!(e.step, step.kind());
            assert!(e.reason.contains(why), "{e}: expected {why:?}");
        }
    }

    #[test]
    fn full_path_with_callback_002_s14() {
        let c = ctx();
        let steps = [
            Step::Dispatch { unit: 7 },
            Step::Accept,
            Step::Arrive,
            Step::Reply,
            Step::Review { approved: true },
            Step::Callback {
                reached: true,
                contradicts: false,
            },
        ];
        let s = steps
            .iter()
            .try_fold(S::New, |s, st| next(s, st, &c))
            .unwrap();
        assert_eq!(s, S::Callback);
        let done = Ctx {
            callback_complete: true,
            ..c
        };
        assert_eq!(next(s, &Step::Close, &done), Ok(S::Closed));
    }

    #[test]
    fn step_serde_is_tagged_snake_case() {
        let j = serde_json::to_string(&Step::Review { approved: false }).unwrap();
        assert_eq!(j, r#"{"step":"review","approved":false}"#);
        let s: Step = serde_json::from_str(r#"{"step":"extension_ask"}"#).unwrap();
        assert_eq!(s, Step::ExtensionAsk);
    }
}
