//! The anonymity oracle (issue 14 finding 2, SPEC §7): unit staff cannot recover an anonymous
//! complainant's phone, account, name or address by probing the order list or the search with
//! prefixes, `LIKE` wildcards or case variants; the centre still finds the order by them.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

const PHONE: &str = "13900001111";
const ACCOUNT: &str = "AB-77001";

struct World {
    app: TestApp,
    anon_id: String,
    /// The anonymous order's number and description (what unit staff may search by).
    anon_public: String,
    company: String,
    centre: String,
    agent: String,
    supervisor: String,
    handler: String,
    handler_id: i64,
    worker: String,
}

/// A gas company whose repair team holds an anonymous complaint (assigned to the team's field
/// worker, no on-site consent) and an ordinary repair of another customer.
async fn world() -> World {
    let app = TestApp::new().await;
    let company = app.company("西山燃气", "gas").await;
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let team = app.unit(&company, None, "城北维修站", "repair_team").await;
    let (_, agent) = app
        .user("agent", &["agent", "dispatcher"], Some(&centre), None)
        .await;
    let (_, supervisor) = app
        .user("supervisor", &["supervisor"], Some(&centre), None)
        .await;
    let (handler_id, handler) = app
        .user("handler", &["unit_handler"], Some(&team), None)
        .await;
    let (worker_id, worker) = app
        .user("worker", &["field_worker"], Some(&team), None)
        .await;
    let mut ids = Vec::new();
    for (anonymous, category, customer) in [
        (
            true,
            "complaint",
            json!({"name": "王先生", "phone": PHONE, "address": "城北路8号", "community": "城北小区",
                "account_no": ACCOUNT}),
        ),
        (
            false,
            "repair",
            json!({"name": "李女士", "phone": "13822223333", "address": "城南路9号", "account_no": "CD-88002"}),
        ),
    ] {
        let (s, o) = app.post("/api/v1/orders", &agent, json!({"company_id": company, "category": category,
            "channel": "phone", "anonymous": anonymous, "description": "维修人员上门不及时", "customer": customer})).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let id = o["id"].as_str().unwrap().to_owned();
        for (tok, step, body) in [
            (&agent, "dispatch", json!({"unit_id": team})),
            (&handler, "accept", json!({})),
            (&handler, "assign", json!({"user_id": worker_id})),
        ] {
            let (s, v) = app
                .post(&format!("/api/v1/orders/{id}/{step}"), tok, body)
                .await;
            assert_eq!(s, StatusCode::OK, "{step}: {v}");
        }
        ids.push(id);
    }
    let (_, o) = app
        .get(&format!("/api/v1/orders/{}", ids[0]), &handler)
        .await;
    assert_eq!(o["customer"]["hidden"], true, "{o}");
    let anon_public = format!(
        "{} {}",
        o["number"].as_str().unwrap(),
        o["description"].as_str().unwrap()
    );
    World {
        app,
        anon_id: ids[0].clone(),
        anon_public,
        company,
        centre,
        agent,
        supervisor,
        handler,
        handler_id: handler_id.parse().unwrap(),
        worker,
    }
}

fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl World {
    /// The ids the order list answers for `q`.
    async fn list(&self, tok: &str, q: &str) -> Vec<String> {
        let (s, v) = self
            .app
            .get(&format!("/api/v1/orders?limit=500&q={}", enc(q)), tok)
            .await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
        ids(&v)
    }

    /// The order ids the search answers for `q`.
    async fn search(&self, tok: &str, q: &str) -> Vec<String> {
        let (s, v) = self
            .app
            .get(&format!("/api/v1/search?kind=order&q={}", enc(q)), tok)
            .await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
        ids(&v)
    }
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

/// What an attacker tries: prefixes and parts of the phone, wildcards, the account in any case,
/// the name and the address.
fn probes() -> Vec<String> {
    let mut p: Vec<String> = vec![
        "%",
        "_",
        "%%",
        "%1%",
        "1_9",
        "139%",
        "1%1",
        "139_____111",
        "\\",
        "\\%",
        ACCOUNT,
        "ab-77001",
        "Ab-77001",
        "77001",
        "AB",
        "ab",
        "王先生",
        "王",
        "城北路8号",
        "8号",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    for n in 1..=PHONE.len() {
        p.push(PHONE[..n].to_owned());
        p.push(PHONE[PHONE.len() - n..].to_owned());
    }
    p
}

#[tokio::test]
async fn unit_staff_cannot_probe_an_anonymous_complainant_issue14_2() {
    let w = world().await;
    for (who, tok) in [("handler", &w.handler), ("worker", &w.worker)] {
        // They hold the order: it is in their list, with the complainant hidden.
        let all = w.list(tok, "").await;
        assert!(all.contains(&w.anon_id), "{who}: {all:?}");
        for q in probes() {
            // Found only by what they see anyway: its number or description.
            if w.anon_public.to_lowercase().contains(&q.to_lowercase()) {
                continue;
            }
            let found = w.list(tok, &q).await;
            assert!(
                !found.contains(&w.anon_id),
                "{who} finds the anonymous complaint by {q:?}"
            );
            let found = w.search(tok, &q).await;
            assert!(
                !found.contains(&w.anon_id),
                "{who} finds the anonymous complaint by {q:?} in the search"
            );
        }
        // What each next digit of the phone would be: every guess answers the same.
        let mut counts = Vec::new();
        for d in 0..10 {
            let guess = format!("{}{d}", &PHONE[..7]);
            counts.push((
                w.list(tok, &guess).await.len(),
                w.search(tok, &guess).await.len(),
            ));
        }
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{who}: answers depend on the digit: {counts:?}"
        );
    }
    // The probes are logged as searches in personal data (the handler may find the customers
    // who are not anonymous).
    let log = w
        .app
        .state
        .store
        .personal_views_by(w.handler_id)
        .await
        .unwrap();
    assert!(
        log.iter().any(|(_, what)| what == "order_search"),
        "{log:?}"
    );
    // The centre still finds the complaint by the phone, a part of it, the account and the name;
    // wildcards are taken literally.
    for tok in [&w.agent, &w.supervisor] {
        for q in [PHONE, "0000111", ACCOUNT, "王先生", "城北路8号"] {
            assert!(w.list(tok, q).await.contains(&w.anon_id), "{q}");
        }
        assert!(w.search(tok, PHONE).await.contains(&w.anon_id));
        for q in ["%", "_", "1_9", "139%", "1%1"] {
            assert!(w.list(tok, q).await.is_empty(), "{q} is literal");
        }
    }
}

#[tokio::test]
async fn customer_register_lookup_takes_wildcards_literally_issue14_2() {
    let w = world().await;
    let company: i64 = w.company.parse().unwrap();
    let rows = vec![rexian_store::customers::Customer {
        company_id: company,
        account_no: "AC-1".into(),
        name: "赵先生".into(),
        phone: Some("13712345678".into()),
        community: Some("城北小区".into()),
        residential: true,
        ..Default::default()
    }];
    w.app
        .state
        .store
        .import_customers(&rows, 0, |_| {})
        .await
        .unwrap();
    let find = |q: &'static str| {
        let w = &w;
        async move {
            let (s, v) = w
                .app
                .get(&format!("/api/v1/customers?q={}", enc(q)), &w.agent)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(find("1371").await, 1);
    assert_eq!(find("赵先生").await, 1);
    for q in ["%", "_", "137_", "%5678", "1%"] {
        assert_eq!(find(q).await, 0, "{q} is literal");
    }
}

#[tokio::test]
async fn masked_phones_cannot_be_probed_for_their_hidden_digits_issue14_2() {
    let w = world().await;
    let (_, assessor) = w
        .app
        .user("assessor", &["assessor"], Some(&w.centre), None)
        .await;
    // The assessor sees the ordinary repair's phone as 138****3333; the middle digits stay
    // hidden from every search, while name and account still find it.
    let (_, all) = w.app.get("/api/v1/orders", &assessor).await;
    let repair = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["anonymous"] == false)
        .unwrap()
        .clone();
    assert_eq!(repair["customer"]["phone"], "138****3333", "{repair}");
    let id = repair["id"].as_str().unwrap().to_owned();
    for q in ["1382222", "13822223333", "2222", "8222"] {
        assert!(!w.list(&assessor, q).await.contains(&id), "{q}");
        assert!(
            !w.search(&assessor, q).await.contains(&id),
            "{q} in the search"
        );
        assert!(
            w.list(&w.agent, q).await.contains(&id),
            "the agent finds {q}"
        );
    }
    assert!(w.search(&w.agent, "13822223333").await.contains(&id));
    for q in ["李女士", "CD-88002"] {
        assert!(w.list(&assessor, q).await.contains(&id), "{q}");
    }
    assert!(w.search(&assessor, "CD-88002").await.contains(&id));
}
