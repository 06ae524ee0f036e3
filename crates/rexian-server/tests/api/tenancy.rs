//! Group and company administrators (issue 14, finding 1): a company administrator administers
//! their own company only; companies, the shared calendar, the test clock and group-level users
//! are the group administrator's. Walks role × company × route over every organisation route,
//! through the API and the admin screens.

use axum::http::StatusCode;
use rexian_testkit::{TestApp, PASSWORD};
use serde_json::{json, Value};

const FORM: &str = "application/x-www-form-urlencoded";

/// Two companies, each with an admin, a supervisor and an agent; a group-level supervisor.
struct Group {
    app: TestApp,
    /// Company ids: A (gas), B (heat).
    a: String,
    b: String,
    unit_a: String,
    unit_b: String,
    /// Tokens.
    admin_a: String,
    sup_a: String,
    group_sup: String,
    /// User ids.
    admin_a_id: String,
    admin_b_id: String,
    agent_a_id: String,
    agent_b_id: String,
    group_admin_id: String,
}

async fn group() -> Group {
    let app = TestApp::new().await;
    let a = app.company("西山燃气", "gas").await;
    let b = app.company("北辰热力", "heat").await;
    let unit_a = app.unit(&a, None, "城北维修站", "repair_team").await;
    let unit_b = app.unit(&b, None, "和平里换热站", "station").await;
    let (admin_a_id, admin_a) = app.user("gas-admin", &["admin"], None, Some(&a)).await;
    let (admin_b_id, _) = app.user("heat-admin", &["admin"], None, Some(&b)).await;
    let (_, sup_a) = app.user("gas-sup", &["supervisor"], None, Some(&a)).await;
    let (_, group_sup) = app.user("group-sup", &["supervisor"], None, None).await;
    let (agent_a_id, _) = app.user("gas-agent", &["agent"], None, Some(&a)).await;
    let (agent_b_id, _) = app.user("heat-agent", &["agent"], None, Some(&b)).await;
    let (_, me) = app.get("/api/v1/me", &app.admin).await;
    let group_admin_id = me["id"].as_str().unwrap().to_owned();
    Group {
        app,
        a,
        b,
        unit_a,
        unit_b,
        admin_a,
        sup_a,
        group_sup,
        admin_a_id,
        admin_b_id,
        agent_a_id,
        agent_b_id,
        group_admin_id,
    }
}

impl Group {
    async fn form(&self, path: &str, token: &str, form: &str) -> StatusCode {
        let (s, _, _) = self
            .app
            .raw("POST", path, Some(token), Some(form.to_owned()), FORM, &[])
            .await;
        s
    }

    async fn page(&self, path: &str, token: &str) -> String {
        let (s, _, body) = self.app.raw("GET", path, Some(token), None, "", &[]).await;
        let html = String::from_utf8(body).unwrap();
        assert_eq!(s, StatusCode::OK, "{path}: {html}");
        html
    }

    fn logins(v: &Value) -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["login"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Every write an organisation route offers, aimed at company `target` (or its users), as a
/// company administrator of A and as the group administrator: A's own things pass, B's and the
/// group's are refused, and nothing changed.
#[tokio::test]
async fn company_admin_is_confined_to_their_company() {
    let g = group().await;
    let app = &g.app;
    let gas = &g.admin_a;

    // Companies and the test clock are the group's.
    let (s, _) = app
        .post(
            "/api/v1/companies",
            gas,
            json!({"name": "东湖供电", "utility": "power"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let s = g
        .form(
            "/admin/companies",
            gas,
            "name=x&utility=power&number_prefix=",
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, cs) = app.get("/api/v1/companies", &app.admin).await;
    assert_eq!(cs["items"].as_array().unwrap().len(), 2, "no company made");
    let (s, _) = app
        .post("/api/v1/admin/clock/advance", gas, json!({"seconds": 60}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The holiday calendar every company shares: a company admin may not install one.
    let cal = "calendar=%5B2026%5D%0Aholidays+%3D+%5B%5D%0Aworkdays+%3D+%5B%5D&action=install";
    assert_eq!(
        g.form("/admin/calendar", gas, cal).await,
        StatusCode::FORBIDDEN
    );
    let html = g.page("/admin/calendar", gas).await;
    assert!(
        !html.contains("cal-install"),
        "no install form for a company admin"
    );

    // Units, season and policy: own company passes, the other is refused.
    for (company, want) in [(&g.a, StatusCode::CREATED), (&g.b, StatusCode::FORBIDDEN)] {
        let (s, v) = app
            .post(
                "/api/v1/units",
                gas,
                json!({"company_id": company, "name": "新站", "kind": "station"}),
            )
            .await;
        assert_eq!(s, want, "unit in {company}: {v}");
        let form = format!("company_id={company}&name=x&kind=station");
        let page_want = if want == StatusCode::CREATED {
            StatusCode::SEE_OTHER
        } else {
            want
        };
        assert_eq!(g.form("/admin/units", gas, &form).await, page_want);
        let (s, v) = app
            .put(
                &format!("/api/v1/companies/{company}/season"),
                gas,
                json!({"start": "2026-11-15", "end": "2027-03-15"}),
            )
            .await;
        let ok = if want == StatusCode::CREATED {
            StatusCode::OK
        } else {
            want
        };
        assert_eq!(s, ok, "season of {company}: {v}");
        let (s, v) = app
            .put(
                &format!("/api/v1/companies/{company}/policy"),
                gas,
                json!({"override": "amber_share = 0.7\n"}),
            )
            .await;
        assert_eq!(s, ok, "policy of {company}: {v}");
        let form = "override=&action=save";
        let s = g
            .form(&format!("/admin/policies/{company}"), gas, form)
            .await;
        assert_eq!(s, ok, "policy page of {company}");
    }
    let (_, b) = app
        .get(&format!("/api/v1/companies/{}", g.b), &app.admin)
        .await;
    assert!(b["season"].is_null(), "B's season untouched: {b}");
    let (_, p) = app
        .get(&format!("/api/v1/companies/{}/policy", g.b), &app.admin)
        .await;
    assert!(p["override"].is_null(), "B's policy untouched: {p}");

    // Users of another company and group-level users: no reset, no disabling, no partner.
    for (target, want) in [
        (&g.agent_a_id, StatusCode::OK),
        (&g.group_admin_id, StatusCode::FORBIDDEN),
        (&g.admin_b_id, StatusCode::FORBIDDEN),
        (&g.agent_b_id, StatusCode::FORBIDDEN),
    ] {
        let (s, _) = app
            .put(
                &format!("/api/v1/users/{target}/password"),
                gas,
                json!({"password": "taken-over-1"}),
            )
            .await;
        let pw_want = if want == StatusCode::OK {
            StatusCode::NO_CONTENT
        } else {
            want
        };
        assert_eq!(s, pw_want, "password of {target}");
        let (s, _) = app
            .put(
                &format!("/api/v1/users/{target}/disabled"),
                gas,
                json!({"disabled": false}),
            )
            .await;
        assert_eq!(s, want, "disabling {target}");
        let (s, _) = app
            .put(
                &format!("/api/v1/users/{target}/partner"),
                gas,
                json!({"partner_id": null}),
            )
            .await;
        assert_eq!(s, want, "partner of {target}");
        let page_want = if want == StatusCode::OK {
            StatusCode::SEE_OTHER
        } else {
            want
        };
        let s = g
            .form(
                &format!("/admin/users/{target}/disabled"),
                gas,
                "disabled=true",
            )
            .await;
        if target != &g.agent_a_id {
            assert_eq!(s, page_want, "disabling {target} on the page");
        }
        let s = g
            .form(
                &format!("/admin/users/{target}/partner"),
                gas,
                "partner_id=",
            )
            .await;
        assert_eq!(s, page_want, "partner of {target} on the page");
    }
    // The group admin and the other company's admin still sign in with their passwords.
    app.login("admin", PASSWORD).await;
    app.login("heat-admin", PASSWORD).await;

    // New users: of A only. No company named means A (never a group-level user).
    let body = json!({"login": "sneaky", "name": "x", "password": "longenough1",
        "roles": ["admin"]});
    let (s, v) = app.post("/api/v1/users", gas, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, u) = app
        .get(
            &format!("/api/v1/users/{}", v["id"].as_str().unwrap()),
            &app.admin,
        )
        .await;
    assert_eq!(
        u["company_id"],
        g.a.as_str(),
        "an admin of A, not of the group"
    );
    let body = json!({"login": "sneaky2", "name": "x", "password": "longenough1",
        "roles": ["admin"], "company_id": g.b});
    let (s, v) = app.post("/api/v1/users", gas, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "company_id");
    let body = json!({"login": "sneaky3", "name": "x", "password": "longenough1",
        "roles": ["unit_handler"], "unit_id": g.unit_b});
    let (s, v) = app.post("/api/v1/users", gas, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "company_id");
    let form = format!(
        "login=sneaky4&name=x&password=longenough1&roles=unit_handler&unit_id={}",
        g.unit_b
    );
    assert_eq!(
        g.form("/admin/users", gas, &form).await,
        StatusCode::BAD_REQUEST
    );
    let form = format!(
        "login=fine&name=x&password=longenough1&roles=unit_handler&unit_id={}",
        g.unit_a
    );
    assert_eq!(
        g.form("/admin/users", gas, &form).await,
        StatusCode::SEE_OTHER
    );

    // The group administrator still does all of it.
    let (s, _) = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"company_id": g.b, "name": "集团建站", "kind": "station"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .put(
            &format!("/api/v1/users/{}/disabled", g.admin_b_id),
            &app.admin,
            json!({"disabled": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = g.page("/admin/calendar", &app.admin).await;
    assert!(html.contains("cal-install"));
}

/// Staff lists (finding 7): staff of a company list their own company's staff only; a
/// group-level supervisor lists everyone.
#[tokio::test]
async fn staff_lists_are_scoped_to_the_callers_company() {
    let g = group().await;
    let app = &g.app;
    for token in [&g.admin_a, &g.sup_a] {
        let (s, v) = app.get("/api/v1/users", token).await;
        assert_eq!(s, StatusCode::OK);
        let logins = Group::logins(&v);
        assert!(logins.contains(&"gas-agent".to_owned()), "{logins:?}");
        for other in ["admin", "heat-admin", "heat-agent", "group-sup"] {
            assert!(!logins.contains(&other.to_owned()), "{other} in {logins:?}");
        }
        let (s, _) = app
            .get(&format!("/api/v1/users?company_id={}", g.b), token)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app
            .get(&format!("/api/v1/users/{}", g.agent_b_id), token)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = app
            .get(&format!("/api/v1/users/{}", g.agent_a_id), token)
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (_, v) = app.get("/api/v1/users", &g.group_sup).await;
    let logins = Group::logins(&v);
    assert!(logins.contains(&"heat-agent".to_owned()) && logins.contains(&"gas-agent".to_owned()));

    // The admin screens show the own company only.
    let html = g.page("/admin/users", &g.admin_a).await;
    assert!(html.contains("gas-agent") && !html.contains("heat-agent"));
    let html = g.page("/admin/units", &g.admin_a).await;
    assert!(html.contains("城北维修站") && !html.contains("和平里换热站"));
    let html = g.page("/admin/companies", &g.admin_a).await;
    assert!(html.contains("西山燃气") && !html.contains("北辰热力"));
    assert!(
        !html.contains("action=\"/admin/companies\""),
        "no company form"
    );
    let html = g.page("/admin/policies", &g.admin_a).await;
    assert!(html.contains("西山燃气") && !html.contains("北辰热力"));
    let html = g.page("/admin/users", &app.admin).await;
    assert!(html.contains("gas-agent") && html.contains("heat-agent"));
    let _ = (&g.unit_a, &g.admin_a_id);
}
