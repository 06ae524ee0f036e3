//! Property tests of the order state machine (`lifecycle::next`, SPEC §2): any status, any
//! step, any context: an answer, never a panic; and along any walk of steps from a new order,
//! the order's invariants hold.

use proptest::prelude::*;
use rexian_domain::lifecycle::{next, with_unit, Ctx, Step, StepKind};
use rexian_domain::model::Status;

fn status() -> impl Strategy<Value = Status> {
    proptest::sample::select(Status::ALL.to_vec())
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..4).prop_map(|unit| Step::Dispatch { unit }),
        Just(Step::Accept),
        Just(Step::Return),
        Just(Step::Arrive),
        Just(Step::Reply),
        any::<bool>().prop_map(|approved| Step::Review { approved }),
        (any::<bool>(), any::<bool>()).prop_map(|(reached, contradicts)| Step::Callback {
            reached,
            contradicts
        }),
        Just(Step::Close),
        Just(Step::Cancel),
        Just(Step::Reopen),
        Just(Step::Suspend),
        Just(Step::Resume),
        (1i64..4).prop_map(|unit| Step::Transfer { unit }),
        Just(Step::ExtensionAsk),
        Just(Step::ExtensionApprove),
        Just(Step::ExtensionReject),
        Just(Step::Merge),
    ]
}

fn ctx() -> impl Strategy<Value = Ctx> {
    (
        any::<bool>(),
        proptest::option::of(1i64..4),
        any::<bool>(),
        proptest::option::of(status()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(needs_callback, unit, arrived, suspended_from, callback_complete, pending)| Ctx {
                needs_callback,
                unit,
                arrived,
                suspended_from,
                callback_complete,
                extension_pending: pending,
            },
        )
}

/// What the order's events would say after a step, as far as `Ctx` goes.
fn after(ctx: &mut Ctx, before: Status, step: &Step, now: Status) {
    match *step {
        Step::Dispatch { unit } | Step::Transfer { unit } => {
            ctx.unit = Some(unit);
            ctx.arrived = false;
        }
        Step::Arrive => ctx.arrived = true,
        Step::Return => ctx.arrived = false,
        Step::Suspend => ctx.suspended_from = Some(before),
        Step::ExtensionAsk => ctx.extension_pending = true,
        Step::ExtensionApprove | Step::ExtensionReject => ctx.extension_pending = false,
        Step::Callback { reached, .. } if now == Status::Callback => {
            ctx.callback_complete = ctx.callback_complete || reached
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any status, step and context: an answer; a refusal names the status and the step.
    #[test]
    fn every_step_is_answered_and_a_refusal_names_it(s in status(), st in step(), c in ctx()) {
        match next(s, &st, &c) {
            Ok(_) => {}
            Err(e) => {
                prop_assert_eq!(e.from, s);
                prop_assert_eq!(e.step, st.kind());
                prop_assert!(!e.reason.is_empty());
            }
        }
    }

    /// A cancelled order stays cancelled; a closed one only reopens.
    #[test]
    fn cancelled_is_final_and_closed_only_reopens(st in step(), c in ctx()) {
        prop_assert!(next(Status::Cancelled, &st, &c).is_err());
        let closed = next(Status::Closed, &st, &c);
        prop_assert_eq!(closed.is_ok(), st.kind() == StepKind::Reopen);
    }

    /// Only a close closes, only a cancel or merge cancels, only a suspend suspends.
    #[test]
    fn each_end_has_one_door(s in status(), st in step(), c in ctx()) {
        if let Ok(to) = next(s, &st, &c) {
            if to == Status::Closed {
                prop_assert_eq!(st.kind(), StepKind::Close);
            }
            if to == Status::Cancelled {
                prop_assert!(matches!(st.kind(), StepKind::Cancel | StepKind::Merge));
            }
            if to == Status::Suspended {
                prop_assert_eq!(st.kind(), StepKind::Suspend);
            }
            if to == Status::Closed && s == Status::Callback {
                prop_assert!(c.callback_complete, "closed without a complete callback");
            }
        }
    }

    /// Along any walk from a new order: the unit holds it only after a dispatch (so it always
    /// has one then), a refused step changes nothing, and an extension decision needs a request.
    #[test]
    fn walks_from_a_new_order_keep_the_invariants(
        steps in proptest::collection::vec(step(), 0..40),
        needs_callback in any::<bool>(),
    ) {
        let mut s = Status::New;
        let mut c = Ctx { needs_callback, ..Ctx::default() };
        for st in &steps {
            match next(s, st, &c) {
                Ok(to) => {
                    if matches!(st.kind(), StepKind::ExtensionApprove | StepKind::ExtensionReject) {
                        prop_assert!(c.extension_pending);
                    }
                    after(&mut c, s, st, to);
                    s = to;
                    if with_unit(s) {
                        prop_assert!(c.unit.is_some(), "{:?} without a unit after {:?}", s, st);
                    }
                }
                Err(e) => prop_assert_eq!(e.from, s),
            }
        }
    }
}
