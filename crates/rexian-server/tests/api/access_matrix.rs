//! Walks the whole role × route matrix of the access table: a role outside a route's rule gets
//! 403, a role inside it never does; every routed path has a rule.

use axum::http::StatusCode;
use rexian_domain::model::Role;
use rexian_server::access::{Access, RULES};
use rexian_testkit::TestApp;

fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{file}", "app.css")
        .replace("{eid}", "1")
}

#[tokio::test]
async fn role_route_matrix() {
    let app = TestApp::new().await;
    let c = app.company("矩阵测试", "heat").await;
    let unit = app.unit(&c, None, "站", "station").await;
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let login = format!("m-{}", role.as_str().replace('_', "-"));
        // The admin is the group's (a company admin's reach is walked in `tenancy`).
        let unit = (*role != Role::Admin).then_some(unit.as_str());
        let (_, t) = app.user(&login, &[role.as_str()], unit, None).await;
        tokens.push((*role, t));
    }
    let mut checked = 0;
    for (method, path, access) in RULES {
        let uri = concrete(path);
        // Without credentials: public routes pass, others are refused.
        let (s, _, _) = app.raw(method, &uri, None, None, "", &[]).await;
        match access {
            Access::Public => assert_ne!(s, StatusCode::FORBIDDEN, "{method} {path} is public"),
            _ => assert!(
                s == StatusCode::UNAUTHORIZED || s == StatusCode::SEE_OTHER,
                "{method} {path} anonymous -> {s}"
            ),
        }
        for (role, token) in &tokens {
            let allowed = match access {
                Access::Public | Access::AnyUser => true,
                Access::Roles(rs) => rs.contains(role),
            };
            // Logout routes revoke the token they are called with: use a fresh one there.
            let fresh;
            let token = if uri == "/logout" || uri == "/api/v1/session" && *method == "DELETE" {
                let login = format!("m-{}", role.as_str().replace('_', "-"));
                fresh = app.login(&login, rexian_testkit::PASSWORD).await;
                &fresh
            } else {
                token
            };
            let (s, _, _) = app.raw(method, &uri, Some(token), None, "", &[]).await;
            if allowed {
                assert!(
                    s != StatusCode::FORBIDDEN && s != StatusCode::UNAUTHORIZED,
                    "{role:?} {method} {path} -> {s}"
                );
            } else {
                assert_eq!(s, StatusCode::FORBIDDEN, "{role:?} {method} {path}");
            }
            checked += 1;
        }
    }
    assert!(checked >= RULES.len() * Role::ALL.len());
}

/// Every path the routers register has a rule in the access table (a route without one is
/// refused to everybody, so it would be dead).
#[test]
fn every_routed_path_has_an_access_rule() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = vec![std::path::PathBuf::from(src)];
    let mut missing = Vec::new();
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if p.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, _) in text.match_indices(".route(") {
            let rest = text[i + 7..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let path = &rest[..rest.find('"').unwrap()];
            seen += 1;
            if !RULES.iter().any(|(_, p, _)| *p == path) {
                missing.push(path.to_owned());
            }
        }
    }
    assert!(seen > 40, "found {seen} routes");
    assert!(
        missing.is_empty(),
        "routes without an access rule: {missing:?}"
    );
}
