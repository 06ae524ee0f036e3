//! Timers of Rexian: sweeps that act on what fell due, safe with several nodes.
//!
//! Each sweep takes the cutoff time as a parameter and claims due rows in bounded batches; a
//! conditional update and a unique key on the supervision notice make every timer effect happen
//! exactly once, however many `rexian serve` processes share the database.

use std::sync::OnceLock;

use chrono::TimeZone;
use chrono::{DateTime, Utc};
use rexian_domain::away;
use rexian_domain::calendar::BusinessCalendar;
use rexian_domain::model::Status;
use rexian_store::orders::OrderRow;
use rexian_store::outages::OutageRow;
use rexian_store::reports::Entry;
use rexian_store::timers::{Fired, Sweep};
use rexian_store::{Store, StoreError};

/// The business calendar of the workday reminders (the embedded China mainland calendar, as the
/// server's deadlines use).
fn calendar() -> &'static BusinessCalendar {
    static CAL: OnceLock<BusinessCalendar> = OnceLock::new();
    CAL.get_or_init(BusinessCalendar::embedded)
}

/// Runs every sweep for what is due at `now`, in batches of `batch`; returns how many effects
/// this node applied.
///
/// Supervision is bounded (`000:八.5(5)`): a deadline climbs at most the depth of its chain,
/// each level once however far the clock jumped, then gets at most one reminder a workday.
pub async fn run_due(store: &Store, now: DateTime<Utc>, batch: i64) -> anyhow::Result<u64> {
    let now = now.timestamp_millis();
    let cal = calendar();
    let mut applied = 0;
    // Missed before escalation, so a long jump of the clock climbs level by level.
    for kind in [Sweep::Amber, Sweep::Missed, Sweep::Escalate] {
        loop {
            let ids = store.due_deadlines(kind, now, batch).await?;
            if ids.is_empty() {
                break;
            }
            let mut progressed = 0;
            // Rows this run changed or found changed (an escalation sweep also clears rows
            // that stopped qualifying): the loop goes on only while something moves.
            let mut touched = 0;
            for id in &ids {
                // A miss is assessed in the sweep's own transaction, by the company's rules.
                let rules = match kind {
                    Sweep::Missed => Some(MissRules::of(store, *id).await?),
                    _ => None,
                };
                let assess = |f: &Fired| {
                    rules
                        .as_ref()
                        .map(|r| r.entries(f, now))
                        .unwrap_or_default()
                };
                match store.fire_deadline(kind, *id, now, cal, &assess).await {
                    Ok(None) => touched += 1,
                    Ok(Some(f)) => {
                        touched += 1;
                        progressed += 1;
                        tracing::info!(order.id = f.order_id, deadline.kind = %f.kind, level = f.level, reminders = f.reminders, sweep = ?kind, "timer fired");
                    }
                    // A user step changed the order at the same moment: the next sweep retries.
                    Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            applied += progressed;
            // Escalation may need several levels for one deadline (at most the chain's depth,
            // then the next reminder is a workday away): loop while it moves.
            let more = match kind {
                Sweep::Escalate => touched > 0,
                _ => progressed > 0 && (ids.len() as i64) == batch,
            };
            if !more {
                break;
            }
        }
    }
    applied += late_outages(store, now, batch).await?;
    applied += away_periods(store, now, batch).await?;
    applied += left_pending(store, now, batch).await?;
    Ok(applied)
}

/// Notes each order a shift could have handled and left pending (`001` 考核6), the policy's
/// `[shifts] left_pending`): still new at the end of a shift, of a listed category, received at
/// least the policy's minutes before that end. Once per order, with the company's
/// `order_left_pending` entries for the user holding it (assignee, else first responder).
async fn left_pending(store: &Store, now: i64, batch: i64) -> anyhow::Result<u64> {
    let mut applied = 0;
    for company in store.companies().await? {
        let Ok(policy) = company.policy() else {
            continue;
        };
        let Some(rule) = policy.shifts.left_pending.clone() else {
            continue;
        };
        let offset = company.offset();
        let local = chrono::DateTime::from_timestamp_millis(now)
            .unwrap_or_default()
            .with_timezone(&offset)
            .naive_local();
        let Some(cutoff) = rexian_domain::shift::left_pending_cutoff(&policy.shifts, local) else {
            continue;
        };
        let Some(cutoff) = offset
            .from_local_datetime(&cutoff)
            .single()
            .map(|t| t.timestamp_millis())
        else {
            continue;
        };
        // The shift's end, whose month the entry belongs to.
        let ended = cutoff + i64::from(rule.minutes) * 60_000;
        let month = chrono::DateTime::from_timestamp_millis(ended)
            .unwrap_or_default()
            .with_timezone(&offset)
            .format("%Y-%m")
            .to_string();
        let rules = policy.assessment_on("order_left_pending");
        let assess = |o: &OrderRow| {
            let holder = o.assignee_id.unwrap_or(o.first_responder_id);
            rules
                .iter()
                .map(|rule| Entry {
                    company_id: o.company_id,
                    month: month.clone(),
                    subject_kind: "user".into(),
                    subject_id: holder,
                    rule_code: Some(rule.code.clone()),
                    points: -f64::from(rule.points.unwrap_or(0)),
                    yuan: -f64::from(rule.amount_yuan.unwrap_or(0)),
                    order_id: Some(o.id),
                    source_key: Some(format!("left_pending:{}:{}", o.id, rule.code)),
                    reason: format!("{} ({})", rule.description, o.number),
                    created_at: now,
                    ..Default::default()
                })
                .collect()
        };
        let categories: Vec<String> = rule
            .categories
            .iter()
            .map(|c| c.as_str().to_string())
            .collect();
        loop {
            let ids = store
                .left_pending_orders(company.id, &categories, cutoff, batch)
                .await?;
            let mut progressed = 0;
            for id in &ids {
                if let Some(o) = store.note_left_pending(*id, cutoff, now, &assess).await? {
                    progressed += 1;
                    tracing::info!(order.id = o.id, "order left pending at the shift's end");
                }
            }
            applied += progressed;
            if progressed == 0 || (ids.len() as i64) < batch {
                break;
            }
        }
    }
    Ok(applied)
}

/// Moves the work of away periods (`004` 第十九、二十条): at `from` A's open orders go to B
/// (or to nobody), at `until` what is still open and untouched comes back to A. Starts before
/// ends, so a period both begun and over within one jump of the clock moves and comes back.
async fn away_periods(store: &Store, now: i64, batch: i64) -> anyhow::Result<u64> {
    let open: Vec<String> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str().to_owned())
        .collect();
    let mut applied = 0;
    loop {
        let ids = store.due_away_starts(now, batch).await?;
        let mut progressed = 0;
        for id in &ids {
            match store.start_away(*id, now, &open).await {
                Ok(true) => {
                    progressed += 1;
                    tracing::info!(away.id = id, "away period began: work moved to the cover");
                }
                Ok(false) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        applied += progressed;
        if progressed == 0 || (ids.len() as i64) < batch {
            break;
        }
    }
    loop {
        let ids = store.due_away_ends(now, batch).await?;
        let mut progressed = 0;
        for id in &ids {
            let end = store.end_away(*id, now, None, "until", &open, away::returns);
            match end.await {
                Ok(n) => {
                    progressed += 1;
                    tracing::info!(
                        away.id = id,
                        returned = n,
                        "away period over: work came back"
                    );
                }
                // Ended early meanwhile, or an order changed at the same moment: retried.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        applied += progressed;
        if progressed == 0 || (ids.len() as i64) < batch {
            return Ok(applied);
        }
    }
}

/// Notes each outage notice still a draft at the end of the shift that received it (`001`:
/// published in the same shift): once, with the company's `outage_notice_late` entries for the
/// user who received it, in the note's own transaction.
async fn late_outages(store: &Store, now: i64, batch: i64) -> anyhow::Result<u64> {
    let mut applied = 0;
    loop {
        let ids = store.late_outages(now, batch).await?;
        let mut progressed = 0;
        for id in &ids {
            let company = store.company(store.outage(*id).await?.company_id).await?;
            let policy = company
                .policy()
                .map_err(|e| anyhow::anyhow!("policy of company {}: {e}", company.id))?;
            let offset = company.offset();
            let assess = |o: &OutageRow| {
                let month = chrono::DateTime::from_timestamp_millis(o.publish_due_at)
                    .unwrap_or_default()
                    .with_timezone(&offset)
                    .format("%Y-%m")
                    .to_string();
                policy
                    .assessment_on("outage_notice_late")
                    .into_iter()
                    .map(|rule| Entry {
                        company_id: o.company_id,
                        month: month.clone(),
                        subject_kind: "user".into(),
                        subject_id: o.created_by,
                        rule_code: Some(rule.code.clone()),
                        points: -f64::from(rule.points.unwrap_or(0)),
                        yuan: -f64::from(rule.amount_yuan.unwrap_or(0)),
                        source_key: Some(format!("outage:{}:{}", o.id, rule.code)),
                        reason: format!("{} (停电通知 {})", rule.description, o.id),
                        created_at: now,
                        ..Default::default()
                    })
                    .collect()
            };
            if let Some(o) = store.note_outage_late(*id, now, &assess).await? {
                progressed += 1;
                tracing::info!(outage.id = o.id, "outage notice published late");
            }
        }
        applied += progressed;
        if progressed == 0 || (ids.len() as i64) < batch {
            return Ok(applied);
        }
    }
}

/// What the assessment of a missed limit needs, read before the sweep claims it: the order's
/// number and first responder, the company's zone and its rules on `deadline_missed:<kind>`.
struct MissRules {
    company_id: i64,
    number: String,
    first_responder: i64,
    offset: chrono::FixedOffset,
    policy: rexian_domain::Policy,
}

impl MissRules {
    async fn of(store: &Store, deadline_id: i64) -> anyhow::Result<MissRules> {
        let order = store
            .order(store.order_of_deadline(deadline_id).await?)
            .await?;
        let company = store.company(order.company_id).await?;
        let policy = company
            .policy()
            .map_err(|e| anyhow::anyhow!("policy of company {}: {e}", company.id))?;
        Ok(MissRules {
            company_id: company.id,
            number: order.number,
            first_responder: order.first_responder_id,
            offset: company.offset(),
            policy,
        })
    }

    /// The entries of the company's rules that fire on the missed limit `f`: for the unit whose
    /// clock it was, else the order's first responder. The entry's source key makes it once per
    /// deadline, however many nodes run the sweep.
    fn entries(&self, f: &Fired, now: i64) -> Vec<Entry> {
        let month = chrono::DateTime::from_timestamp_millis(f.due_at)
            .unwrap_or_default()
            .with_timezone(&self.offset)
            .format("%Y-%m")
            .to_string();
        let (subject_kind, subject_id) = match f.unit_id {
            Some(u) => ("unit", u),
            None => ("user", self.first_responder),
        };
        self.policy
            .assessment_on(&format!("deadline_missed:{}", f.kind))
            .into_iter()
            .map(|rule| Entry {
                company_id: self.company_id,
                month: month.clone(),
                subject_kind: subject_kind.into(),
                subject_id,
                rule_code: Some(rule.code.clone()),
                points: -f64::from(rule.points.unwrap_or(0)),
                yuan: -f64::from(rule.amount_yuan.unwrap_or(0)),
                order_id: Some(f.order_id),
                source_key: Some(format!("deadline:{}:{}", f.deadline_id, rule.code)),
                reason: format!("{} ({} {})", rule.description, self.number, f.kind),
                created_at: now,
                ..Default::default()
            })
            .collect()
    }
}
