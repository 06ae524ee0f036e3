//! The intake page (受理): the form creates the order through the intake use case, as the API
//! does; a second submit of the same form goes to the order it made; a refused field comes back
//! on the form, named.

use axum::http::StatusCode;
use rexian_testkit::Centre;
use serde_json::Value;

/// Posts the intake form; the status, where it redirects and the page.
async fn submit(c: &Centre, token: &str, form: &str) -> (StatusCode, String, String) {
    let (s, h, body) = c
        .app
        .raw(
            "POST",
            "/intake",
            Some(token),
            Some(form.to_owned()),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    let to = h
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (s, to, String::from_utf8(body).unwrap())
}

/// The order a redirect goes to.
async fn order_at(c: &Centre, to: &str) -> Value {
    let id = to.trim_start_matches("/orders/").split('?').next().unwrap();
    let (s, o) = c.app.get(&format!("/api/v1/orders/{id}"), &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    o
}

async fn orders(c: &Centre) -> usize {
    let (s, v) = c.app.get("/api/v1/orders", &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().len()
}

const REPAIR: &str = "category=repair&subtype=not_warm&channel=phone&description=no+heat\
    &phone=138-0000-1111&name=Wang&address=Building+3&community=Hepingli";

#[tokio::test]
async fn the_intake_form_creates_the_order_once_per_form() {
    let c = Centre::new("heat").await;
    let form = format!("_idem=form-1&{REPAIR}");
    let (s, to, page) = submit(&c, &c.agent, &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    assert!(to.ends_with("?done=created"), "{to}");
    let o = order_at(&c, &to).await;
    assert_eq!(o["status"], "new", "{o}");
    assert_eq!(o["category"], "repair", "{o}");
    assert_eq!(o["subtype"], "not_warm", "{o}");
    assert_eq!(o["customer"]["phone"], "13800001111", "{o}");
    assert_eq!(o["customer"]["community"], "Hepingli", "{o}");
    assert_eq!(o["events"][0]["type"], "created", "{o}");
    assert!(!o["deadlines"].as_array().unwrap().is_empty(), "{o}");
    // The same form again (double click, reload) goes to the order it made.
    let (s, again, _) = submit(&c, &c.agent, &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(again, format!("/orders/{}", o["id"].as_str().unwrap()));
    assert_eq!(orders(&c).await, 1);
    // Another form is another order.
    let (_, other, _) = submit(&c, &c.agent, &format!("_idem=form-2&{REPAIR}")).await;
    assert_ne!(order_at(&c, &other).await["id"], o["id"]);
    assert_eq!(orders(&c).await, 2);
}

#[tokio::test]
async fn the_intake_form_closes_an_answered_call_and_grades_a_complaint() {
    let c = Centre::new("heat").await;
    let form = "_idem=a1&category=query&channel=phone&description=fees&answer=told+the+fees\
        &callback_declined=on";
    let (s, to, page) = submit(&c, &c.agent, form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let o = order_at(&c, &to).await;
    assert_eq!(o["status"], "closed", "{o}");
    let kinds: Vec<&str> = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "closed"], "{o}");
    assert_eq!(o["events"][1]["data"]["answered_at_once"], "told the fees");
    // A complaint joins a matter and takes its grade.
    let form = "_idem=c1&category=complaint&channel=phone&description=late+visit&phone=13800002222";
    let (s, to, page) = submit(&c, &c.agent, form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let o = order_at(&c, &to).await;
    assert!(o["matter_id"].is_string(), "{o}");
    assert!(o["grade"].is_number(), "{o}");
    assert_eq!(o["events"][0]["data"]["matter_id"], o["matter_id"], "{o}");
}

#[tokio::test]
async fn the_intake_form_names_the_refused_field_and_keeps_the_draft() {
    let c = Centre::new("heat").await;
    let form = "_idem=r1&category=repair&subtype=no_such&channel=phone&description=kept+text";
    let (s, _, page) = submit(&c, &c.agent, form).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"intake-error\""), "{page}");
    assert!(page.contains("子类: the policy has no subtype"), "{page}");
    assert!(page.contains("kept text"), "{page}");
    let (s, _, page) = submit(&c, &c.agent, "_idem=r2&category=repair&channel=phone").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("诉求内容: description must not be empty"),
        "{page}"
    );
    assert_eq!(orders(&c).await, 0);
    // Corrected under the same key, the form goes through.
    let (s, to, _) = submit(&c, &c.agent, &format!("_idem=r1&{REPAIR}")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(to.ends_with("?done=created"), "{to}");
}

#[tokio::test]
async fn group_staff_choose_the_company_on_the_intake_form() {
    let c = Centre::new("heat").await;
    let (_, group) = c.app.user("group-agent", &["agent"], None, None).await;
    let (s, _, page) = submit(
        &c,
        &group,
        "_idem=g1&company_id=abc&category=query&channel=phone\
        &description=fees",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("公司: company_id must be an id"), "{page}");
    let form = format!("_idem=g2&company_id={}&{REPAIR}", c.company);
    let (s, to, page) = submit(&c, &group, &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(order_at(&c, &to).await["subtype"], "not_warm");
    // The subtype options of the chosen company.
    let (s, _, options) = c
        .app
        .raw(
            "GET",
            &format!("/intake/subtypes?category=repair&company_id={}", c.company),
            Some(&group),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8(options)
        .unwrap()
        .contains("value=\"not_warm\""));
}

#[tokio::test]
async fn the_intake_use_case_checks_the_role_and_answers_a_key_once() {
    use rexian_app::intake::{self, Intake, Key, NewOrderInput};
    use rexian_app::Actor;
    use rexian_domain::model::Role;
    let c = Centre::new("heat").await;
    let app = &c.app.state;
    let company: i64 = c.company.parse().unwrap();
    let actor = |roles: Vec<Role>| Actor {
        id: 1,
        roles,
        company_id: Some(company),
        unit_id: None,
    };
    let input = || NewOrderInput::new(company, "query", "phone", "fees");
    let key = || {
        Some(Key {
            key: "k-1".into(),
            request_hash: None,
        })
    };
    // Not a role that takes calls: refused before anything is written.
    let worker = actor(vec![Role::FieldWorker]);
    let e = intake::create(app, &worker, input(), key()).await;
    assert!(matches!(e, Err(rexian_app::AppError::Forbidden)), "{e:?}");
    let agent = actor(vec![Role::Agent]);
    let Ok(Intake::Created(o)) = intake::create(app, &agent, input(), key()).await else {
        panic!("not created");
    };
    // The same key again: the answer kept with the order, naming it.
    let again = intake::create(app, &agent, input(), key()).await;
    let Ok(Intake::Replayed(r)) = again else {
        panic!("not replayed: {again:?}");
    };
    assert_eq!(r.order_id, Some(o.order.summary.id));
    assert_eq!(r.answer.status, 201);
    let kept = intake::answered(app, &agent, "k-1").await.unwrap().unwrap();
    assert_eq!(kept.order_id, Some(o.order.summary.id));
    assert_eq!(orders(&c).await, 1);
}
