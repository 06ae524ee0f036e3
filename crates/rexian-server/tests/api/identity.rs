//! Identity before account data (`002:§14(1)`): the account number and the order history are
//! shown only to the agent who verified the caller, for 30 minutes; the ID number (身份证号) is
//! in the register, checked, and shown only masked.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

const ID: &str = "11010519491231002X";
const ID_MASKED: &str = "110***********002X";
const ACCOUNT: &str = "HX-0001";
const PHONE: &str = "13800001111";

struct World {
    app: TestApp,
    company: String,
    agent: String,
    other: String,
    customer: String,
    order: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let company = app.company("北辰热力", "heat").await;
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, other) = app.user("agent2", &["agent"], Some(&centre), None).await;
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &agent,
            json!({"company_id": company, "account_no": ACCOUNT, "name": "王伟", "phone": PHONE,
                "community": "和平里", "id_number": "11010519491231002x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let customer = v["id"].as_str().unwrap().to_owned();
    let (s, v) = app
        .post(
            "/api/v1/orders",
            &agent,
            json!({"company_id": company, "category": "repair", "subtype": "not_warm", "channel": "phone",
                "description": "暖气不热", "customer": {"name": "王伟", "phone": PHONE}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let order = v["id"].as_str().unwrap().to_owned();
    World {
        app,
        company,
        agent,
        other,
        customer,
        order,
    }
}

/// What `token` sees of the customer: search item, detail, intake lookup page, global search.
async fn views(w: &World, token: &str) -> (Value, Value, String, Value) {
    let (s, found) = w
        .app
        .get(&format!("/api/v1/customers?q={PHONE}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let (s, detail) = w
        .app
        .get(&format!("/api/v1/customers/{}", w.customer), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{detail}");
    let (s, _, body) = w
        .app
        .raw(
            "GET",
            &format!("/intake/lookup?phone={PHONE}"),
            Some(token),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, search) = w
        .app
        .get(&format!("/api/v1/search?q={PHONE}&kind=customer"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{search}");
    (
        found["items"][0].clone(),
        detail,
        String::from_utf8(body).unwrap(),
        search,
    )
}

fn assert_hidden(
    w: &World,
    who: &str,
    (item, detail, page, search): &(Value, Value, String, Value),
) {
    assert_eq!(item["verified"], false, "{who}: {item}");
    assert_eq!(item["account_no"], "HX***01", "{who}: {item}");
    assert_eq!(detail["verified"], false, "{who}: {detail}");
    assert_eq!(detail["account_no"], "HX***01", "{who}: {detail}");
    assert!(
        detail["orders"].is_null(),
        "{who}: history withheld: {detail}"
    );
    assert!(
        !page.contains(ACCOUNT),
        "{who}: lookup shows the account: {page}"
    );
    assert!(
        !page.contains(&format!("/orders/{}\"", w.order)),
        "{who}: lookup shows the history: {page}"
    );
    assert!(page.contains("lookup-withheld"), "{who}: {page}");
    assert!(!search.to_string().contains(ACCOUNT), "{who}: {search}");
}

#[tokio::test]
async fn account_data_only_after_verification_by_that_agent_002_s14_1() {
    let w = world().await;
    // Before verification: masked account, no history, anywhere.
    let before = views(&w, &w.agent).await;
    assert_hidden(&w, "unverified", &before);
    // A failed check changes nothing.
    let verify = format!("/api/v1/customers/{}/verify", w.customer);
    let (s, v) = w
        .app
        .post(
            &verify,
            &w.agent,
            json!({"name": "王伟", "id_number": "110105194912311233"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], false);
    assert_eq!(v["mismatched"], json!(["id_number"]));
    assert_hidden(&w, "failed check", &views(&w, &w.agent).await);
    // Name and ID number verify the caller for this agent.
    let (s, v) = w
        .app
        .post(
            &verify,
            &w.agent,
            json!({"name": "王伟", "id_number": "11010519491231002x"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["matched"], json!(["name", "id_number"]));
    let (item, detail, page, search) = views(&w, &w.agent).await;
    assert_eq!(item["verified"], true, "{item}");
    assert_eq!(item["account_no"], ACCOUNT);
    assert_eq!(detail["verified"], true);
    assert_eq!(detail["account_no"], ACCOUNT);
    let orders = detail["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{detail}");
    assert_eq!(orders[0]["id"], w.order.as_str());
    assert!(page.contains(ACCOUNT), "{page}");
    assert!(page.contains(&format!("/orders/{}\"", w.order)), "{page}");
    assert!(!page.contains("lookup-withheld"), "{page}");
    assert!(search.to_string().contains(ACCOUNT), "{search}");
    // Not to another agent.
    assert_hidden(&w, "other agent", &views(&w, &w.other).await);
    // A verification lasts the call (30 minutes), then the caller is verified again.
    w.app.advance(31 * 60).await;
    assert_hidden(&w, "expired", &views(&w, &w.agent).await);
}

#[tokio::test]
async fn id_number_is_masked_everywhere_and_a_bad_one_refused_002_s14_1() {
    let w = world().await;
    let verify = format!("/api/v1/customers/{}/verify", w.customer);
    for (who, token) in [("before", &w.agent), ("other", &w.other)] {
        let (item, detail, page, search) = views(&w, token).await;
        assert_eq!(item["id_number"], ID_MASKED, "{who}");
        assert_eq!(detail["id_number"], ID_MASKED, "{who}");
        assert!(page.contains(ID_MASKED), "{who}: {page}");
        for text in [
            item.to_string(),
            detail.to_string(),
            page,
            search.to_string(),
        ] {
            assert!(
                !text.contains(ID) && !text.contains("19491231"),
                "{who}: {text}"
            );
        }
    }
    let (_, v) = w
        .app
        .post(&verify, &w.agent, json!({"name": "王伟", "phone": PHONE}))
        .await;
    assert_eq!(v["verified"], true, "{v}");
    let (item, detail, page, search) = views(&w, &w.agent).await;
    assert_eq!(item["id_number"], ID_MASKED);
    assert_eq!(detail["id_number"], ID_MASKED);
    for text in [
        item.to_string(),
        detail.to_string(),
        page,
        search.to_string(),
    ] {
        assert!(
            !text.contains(ID) && !text.contains("19491231"),
            "verified: {text}"
        );
    }
    // A bad ID number is refused, naming the field; nothing is added.
    for bad in [
        "110105194912310021",
        "1101051949123100",
        "11010519491231002Y",
        "ABC",
    ] {
        let (s, v) = w
            .app
            .post(
                "/api/v1/customers",
                &w.agent,
                json!({"company_id": w.company, "account_no": format!("N-{bad}"), "name": "新户",
                    "id_number": bad}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert_eq!(v["error"]["field"], "id_number", "{bad}: {v}");
        let (_, found) = w
            .app
            .get(&format!("/api/v1/customers?q=N-{bad}"), &w.agent)
            .await;
        assert_eq!(found["items"].as_array().unwrap().len(), 0, "{bad}");
    }
}

#[tokio::test]
async fn intake_lookup_verifies_the_caller_for_this_agent_002_s14_1() {
    let w = world().await;
    let form = |body: String| {
        let w = &w;
        async move {
            let (s, _, page) = w
                .app
                .raw(
                    "POST",
                    "/intake/verify",
                    Some(&w.agent),
                    Some(body),
                    "application/x-www-form-urlencoded",
                    &[],
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            String::from_utf8(page).unwrap()
        }
    };
    let name = "%E7%8E%8B%E4%BC%9F";
    let c = &w.customer;
    // The unverified panel offers the check; a wrong ID number fails and shows nothing more.
    let (_, _, page) = w
        .app
        .raw(
            "GET",
            &format!("/intake/lookup?phone={PHONE}"),
            Some(&w.agent),
            None,
            "",
            &[],
        )
        .await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("action=\"/intake/verify\""), "{page}");
    let failed = form(format!(
        "customer_id={c}&key={PHONE}&name={name}&id_number=110105194912311233"
    ))
    .await;
    assert!(failed.contains("id=\"verify-notice\""), "{failed}");
    assert!(!failed.contains(ACCOUNT), "{failed}");
    assert!(failed.contains("lookup-withheld"), "{failed}");
    // Name and phone verify: the panel now shows the account and the caller's orders.
    let ok = form(format!(
        "customer_id={c}&key={PHONE}&name={name}&phone={PHONE}"
    ))
    .await;
    assert!(ok.contains("id=\"verify-notice\""), "{ok}");
    assert!(ok.contains(ACCOUNT), "{ok}");
    assert!(ok.contains(&format!("/orders/{}\"", w.order)), "{ok}");
    assert!(ok.contains(ID_MASKED) && !ok.contains(ID), "{ok}");
    // Recorded for this agent only.
    let (_, detail) = w.app.get(&format!("/api/v1/customers/{c}"), &w.other).await;
    assert_eq!(detail["verified"], false, "{detail}");
    let (_, detail) = w.app.get(&format!("/api/v1/customers/{c}"), &w.agent).await;
    assert_eq!(detail["verified"], true, "{detail}");
}
