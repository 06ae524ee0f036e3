//! The store's story on one database, through its own API only: a company and its people, two
//! orders numbered in their day, a step guarded by the order's version, a limit missed by the
//! timer sweep with its assessment entry in the same transaction, the close, and the lists that
//! read it all back. Runs on SQLite, and on PostgreSQL with `REXIAN_TEST_DB=postgres`.

use rexian_store::orders::{
    DeadlineChange, Idempotency, NewDeadline, NewEvent, NewOrder, OrderChange, OrderFilter,
    OrderRow,
};
use rexian_store::org::{NewCompany, NewUser};
use rexian_store::reports::Entry;
use rexian_store::testdb::TestDb;
use rexian_store::timers::Sweep;
use rexian_store::{Store, StoreError};
use serde_json::json;

const HOUR: i64 = 3_600_000;
/// 2026-03-02 09:00 in Beijing.
const T0: i64 = 1_772_413_200_000;

fn row(company_id: i64, agent: i64, description: &str) -> OrderRow {
    OrderRow {
        id: 0,
        company_id,
        number: String::new(),
        contact_id: None,
        category: "repair".into(),
        subtype: Some("暖气不热".into()),
        channel: "phone".into(),
        status: "accepted".into(),
        grade: None,
        matter_id: None,
        unit_id: None,
        first_responder_id: agent,
        customer_name: Some("王女士".into()),
        customer_phone: Some("13800000001".into()),
        customer_address: Some("幸福小区3号楼2单元".into()),
        customer_community: Some("幸福小区".into()),
        account_no: None,
        anonymous: false,
        description: description.into(),
        callback_pref: "normal".into(),
        complainants: 1,
        media_exposed: false,
        lawsuit: false,
        version: 0,
        created_at: T0,
        updated_at: T0,
        closed_at: None,
        assignee_id: None,
        callback_at: None,
        linked_order_id: None,
        onsite_consent: false,
        incident_id: None,
    }
}

fn limit(kind: &str, unit: Option<i64>, start: i64, hours: i64) -> DeadlineChange {
    DeadlineChange::Add(NewDeadline {
        kind: kind.into(),
        unit_id: unit,
        started_at: start,
        due_at: start + hours * HOUR,
        amber_at: start + hours * HOUR * 3 / 4,
        provisional: false,
        limit_ms: hours * HOUR,
    })
}

fn intake(company_id: i64, agent: i64, text: &str, key: Option<&str>) -> NewOrder {
    NewOrder {
        contact: None,
        row: row(company_id, agent, text),
        day: "2026-03-02".into(),
        number_of: Box::new(|seq| format!("RQ20260302-{seq:04}")),
        events: Box::new(move |_| {
            vec![NewEvent {
                kind: "created".into(),
                actor_id: Some(agent),
                at: T0,
                data: json!({"channel": "phone"}),
            }]
        }),
        deadlines: vec![limit("accept", None, T0, 1)],
        idempotency: key.map(|k| Idempotency {
            user_id: agent,
            key: k.into(),
            status: 201,
            request_hash: Some("h1".into()),
            render: Box::new(|f| json!({"number": f.order.number}).to_string()),
        }),
        matter: None,
        incident: None,
        outage: None,
    }
}

fn step(before: &OrderRow, status: &str, kind: &str, at: i64) -> OrderChange {
    let mut after = before.clone();
    after.status = status.into();
    after.updated_at = at;
    OrderChange {
        before_version: before.version,
        after,
        event: NewEvent {
            kind: kind.into(),
            actor_id: Some(before.first_responder_id),
            at,
            data: json!({}),
        },
        deadlines: vec![],
        callback: None,
        extension: None,
        recheck: None,
    }
}

async fn people(store: &Store) -> (i64, i64, i64) {
    let company = NewCompany {
        name: "热力公司".into(),
        utility: "heating".into(),
        policy: "heating".into(),
        number_prefix: "RQ".into(),
    };
    let c = store.create_company(&company, None, T0).await.unwrap();
    let unit = store
        .create_unit(c, None, "一分公司", "branch", Some("urban"), None, T0)
        .await
        .unwrap();
    let agent = NewUser {
        login: "agent1".into(),
        name: "坐席一".into(),
        password_hash: "x".into(),
        roles: vec!["agent".into()],
        company_id: Some(c),
        unit_id: None,
        staff_no: None,
    };
    let a = store.create_user(&agent, None, T0).await.unwrap();
    (c, unit, a)
}

#[tokio::test]
async fn an_order_from_intake_to_close() {
    let (store, _db, _url) = TestDb::fresh().await;
    let (company, unit, agent) = people(&store).await;
    assert_eq!(store.company(company).await.unwrap().number_prefix, "RQ");
    assert_eq!(
        store.unit(unit).await.unwrap().area.as_deref(),
        Some("urban")
    );
    assert_eq!(store.user(agent).await.unwrap().company_id, Some(company));

    // Two intakes of one day are numbered in order; the first keeps its answer under its key.
    let (first, stored) = store
        .create_order(intake(company, agent, "暖气不热", Some("key-1")))
        .await
        .unwrap();
    let (second, _) = store
        .create_order(intake(company, agent, "家里漏水", None))
        .await
        .unwrap();
    assert_eq!(first.order.number, "RQ20260302-0001");
    assert_eq!(second.order.number, "RQ20260302-0002");
    assert_eq!(stored.as_deref(), Some(r#"{"number":"RQ20260302-0001"}"#));
    let answer = store.idempotent_answer(agent, "key-1").await.unwrap();
    assert_eq!(
        answer.map(|a| (a.status, a.request_hash)),
        Some((201, Some("h1".into())))
    );
    // The same key again is refused, and no order is made for it.
    let again = store
        .create_order(intake(company, agent, "暖气不热", Some("key-1")))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(first.events.len(), 1);
    assert_eq!(first.deadlines[0].kind, "accept");

    // Dispatch: the accept limit is met, the unit's arrive limit starts.
    let mut dispatch = step(&first.order, "dispatched", "dispatched", T0 + HOUR / 4);
    dispatch.after.unit_id = Some(unit);
    dispatch.deadlines = vec![
        DeadlineChange::Meet {
            kind: "accept".into(),
            at: 0,
        },
        limit("arrive", Some(unit), T0 + HOUR / 4, 2),
    ];
    store.apply_change(&dispatch).await.unwrap();
    // A step decided on the order as it was before is refused: the version moved on.
    let stale = store
        .apply_change(&step(&first.order, "cancelled", "cancelled", T0 + HOUR / 2))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let now = store.order_full(first.order.id).await.unwrap();
    assert_eq!(now.order.status, "dispatched");
    assert_eq!(now.order.unit_id, Some(unit));
    assert_eq!(now.order.version, first.order.version + 1);

    // Past due, the sweep marks the arrive limit missed once, with its entry in the same write.
    let late = T0 + 3 * HOUR;
    // Due: the second order's accept limit and the first's arrive limit (its accept was met).
    let arrive = now
        .deadlines
        .iter()
        .find(|d| d.kind == "arrive")
        .unwrap()
        .id;
    let mut due = store.due_deadlines(Sweep::Missed, late, 100).await.unwrap();
    due.sort_unstable();
    assert_eq!(due, vec![second.deadlines[0].id, arrive]);
    let due = [arrive];
    let assess = |f: &rexian_store::timers::Fired| {
        vec![Entry {
            id: 0,
            company_id: company,
            month: "2026-03".into(),
            subject_kind: "unit".into(),
            subject_id: f.unit_id.unwrap_or_default(),
            rule_code: Some("arrive_late".into()),
            points: -1.0,
            yuan: -20.0,
            order_id: Some(f.order_id),
            source_key: Some(format!("missed:{}", f.deadline_id)),
            reason: "到场超时".into(),
            reversal_of: None,
            created_by: None,
            created_at: late,
        }]
    };
    let cal = rexian_domain::calendar::BusinessCalendar::embedded();
    let fired = store
        .fire_deadline(Sweep::Missed, due[0], late, &cal, &assess)
        .await
        .unwrap()
        .expect("fired");
    assert_eq!((fired.kind.as_str(), fired.level), ("arrive", 1));
    let twice = store
        .fire_deadline(Sweep::Missed, due[0], late, &cal, &assess)
        .await
        .unwrap();
    assert!(twice.is_none(), "a miss fires once");
    let entries = store.entries(company, "2026-03").await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].subject_id, entries[0].yuan), (unit, -20.0));

    // Close: the order is closed with its whole history kept in order.
    let before = store.order(first.order.id).await.unwrap();
    let mut close = step(&before, "closed", "closed", late + HOUR);
    close.after.closed_at = Some(late + HOUR);
    store.apply_change(&close).await.unwrap();
    let done = store.order_full(first.order.id).await.unwrap();
    assert_eq!(done.order.closed_at, Some(late + HOUR));
    let kinds: Vec<_> = done.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.starts_with(&["created", "dispatched"]) && kinds.ends_with(&["closed"]),
        "{kinds:?}"
    );
    assert!(done.events.windows(2).all(|w| w[0].seq < w[1].seq));

    // The list reads both back, newest first; the status filter narrows it.
    let all = store
        .list_orders(&OrderFilter {
            company_id: Some(company),
            limit: 10,
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![second.order.id, first.order.id]);
    let closed = store
        .list_orders(&OrderFilter {
            company_id: Some(company),
            status: Some("closed".into()),
            limit: 10,
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].id, first.order.id);
}
