//! Admin screens: companies, units, users and A/B partners.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use rexian_domain::model::{Role, Utility};

use super::{error_page, render, PageUser};
use crate::api::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Msgs};
use crate::tenancy::{admin_scope, AdminScope};
use crate::AppState;
use rexian_app::org::{self, NewCompanyInput, NewUnitInput, NewUserInput, UnitView};

/// Admin routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/companies") }))
        .route("/admin/companies", get(companies).post(create_company))
        .route("/admin/units", get(units).post(create_unit))
        .route("/admin/units/{id}/area", post(set_unit_area))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}/disabled", post(set_disabled))
        .route("/admin/users/{id}/partner", post(set_partner))
}

type Fields = Vec<(String, String)>;

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn opt_id(f: &Fields, k: &str) -> AppResult<Option<i64>> {
    match field(f, k) {
        "" => Ok(None),
        s => parse_id(k, s).map(Some),
    }
}

/// Runs a form action and redirects back, or shows the error.
fn finish(t: Msgs, u: &CurrentUser, r: AppResult<()>, back: &str) -> Response {
    match r {
        Ok(()) => Redirect::to(back).into_response(),
        Err(e) => error_page(t, u, e),
    }
}

struct CompanyRow {
    id: i64,
    name: String,
    utility_label: String,
    policy: String,
    prefix: String,
    season: String,
}

#[derive(Template)]
#[template(path = "companies.html")]
struct CompaniesPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    companies: Vec<CompanyRow>,
    utilities: Vec<(String, String)>,
    /// Whether the viewer may create companies (a group administrator).
    group: bool,
}

async fn companies(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let cs = match org::companies(&app).await {
        Ok(c) => c,
        Err(e) => return error_page(t, &u, e),
    };
    let group = admin_scope(&u) == Some(AdminScope::Group);
    let companies = cs
        .into_iter()
        .filter(|c| u.company_id.is_none_or(|own| own == c.id))
        .map(|c| CompanyRow {
            id: c.id,
            utility_label: t.get(&format!("utility.{}", c.utility)),
            name: c.name,
            policy: c.policy,
            prefix: c.number_prefix,
            season: match c.season {
                Some(org::Season {
                    start,
                    end: Some(end),
                }) => format!("{start} – {end}"),
                _ => String::new(),
            },
        })
        .collect();
    let utilities = [Utility::Heat, Utility::Power, Utility::Gas, Utility::Water]
        .iter()
        .map(|x| {
            (
                x.as_str().to_owned(),
                t.get(&format!("utility.{}", x.as_str())),
            )
        })
        .collect();
    let csrf = u.csrf.clone().unwrap_or_default();
    render(&CompaniesPage {
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        csrf,
        companies,
        utilities,
        group,
    })
}

async fn create_company(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let body = NewCompanyInput {
        name: field(&f, "name").to_owned(),
        utility: field(&f, "utility").to_owned(),
        policy: None,
        number_prefix: Some(field(&f, "number_prefix").to_owned()),
    };
    let r = org::create_company(&app, &u, body).await.map(|_| ());
    finish(t, &u, r, "/admin/companies")
}

struct UnitRow {
    id: i64,
    company: String,
    name: String,
    kind: String,
    /// Area class, empty when the company policy's.
    area: String,
    depth: f32,
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    units: Vec<UnitRow>,
    companies: Vec<(i64, String)>,
}

async fn units(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let (cs, us) = match (
        org::companies(&app).await,
        org::units(&app, u.company_id).await,
    ) {
        (Ok(c), Ok(u)) => (c, u),
        (Err(e), _) | (_, Err(e)) => return error_page(t, &u, e),
    };
    let cs: Vec<_> = cs
        .into_iter()
        .filter(|c| u.company_id.is_none_or(|own| own == c.id))
        .collect();
    let names: HashMap<i64, String> = cs.iter().map(|c| (c.id, c.name.clone())).collect();
    // Depth-first order so the tree reads top-down.
    let mut rows = Vec::new();
    fn walk(
        parent: Option<i64>,
        company: i64,
        depth: f32,
        all: &[UnitView],
        names: &HashMap<i64, String>,
        out: &mut Vec<UnitRow>,
    ) {
        for x in all
            .iter()
            .filter(|x| x.parent_id == parent && x.company_id == company)
        {
            out.push(UnitRow {
                id: x.id,
                company: names.get(&x.company_id).cloned().unwrap_or_default(),
                name: x.name.clone(),
                kind: x.kind.clone(),
                area: x.area.clone().unwrap_or_default(),
                depth,
            });
            walk(Some(x.id), company, depth + 1.0, all, names, out);
        }
    }
    for c in &cs {
        walk(None, c.id, 0.0, &us, &names, &mut rows);
    }
    let companies = cs.into_iter().map(|c| (c.id, c.name)).collect();
    let csrf = u.csrf.clone().unwrap_or_default();
    render(&UnitsPage {
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        csrf,
        units: rows,
        companies,
    })
}

async fn create_unit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let r = async {
        let company_id = opt_id(&f, "company_id")?
            .ok_or_else(|| AppError::invalid("company_id", "choose a company"))?;
        let body = NewUnitInput {
            company_id: Id(company_id),
            parent_id: opt_id(&f, "parent_id")?.map(Id),
            name: field(&f, "name").to_owned(),
            kind: field(&f, "kind").to_owned(),
            area: Some(field(&f, "area").to_owned()),
        };
        org::create_unit(&app, &u, body).await.map(|_| ())
    }
    .await;
    finish(t, &u, r, "/admin/units")
}

async fn set_unit_area(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let r = async {
        let id = parse_id("id", &id)?;
        org::change_unit_area(&app, &u, id, Some(field(&f, "area")))
            .await
            .map(|_| ())
    }
    .await;
    finish(t, &u, r, "/admin/units")
}

struct UserRow {
    id: i64,
    login: String,
    name: String,
    staff_no: String,
    roles: String,
    unit: String,
    partner: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    users: Vec<UserRow>,
    partners: Vec<(i64, String)>,
    unit_options: Vec<(i64, String)>,
    role_options: Vec<(String, String)>,
}

async fn users(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let (all, units) = match (
        org::users(&app, &u, u.company_id).await,
        org::units(&app, u.company_id).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(t, &u, e),
    };
    let unit_names: HashMap<i64, String> = units.iter().map(|x| (x.id, x.name.clone())).collect();
    let logins: HashMap<i64, String> = all
        .iter()
        .map(|x| (x.id, format!("{} ({})", x.name, x.login)))
        .collect();
    let rows = all
        .iter()
        .map(|x| UserRow {
            id: x.id,
            login: x.login.clone(),
            name: x.name.clone(),
            staff_no: x.staff_no.clone().unwrap_or_default(),
            roles: x
                .roles
                .iter()
                .map(|r| t.get(&format!("role.{}", r.as_str())))
                .collect::<Vec<_>>()
                .join("、"),
            unit: x
                .unit_id
                .and_then(|id| unit_names.get(&id).cloned())
                .unwrap_or_default(),
            partner: x
                .partner_id
                .and_then(|id| logins.get(&id).cloned())
                .unwrap_or_default(),
            disabled: x.disabled,
        })
        .collect();
    let partners = all
        .iter()
        .map(|x| (x.id, format!("{} ({})", x.name, x.login)))
        .collect();
    let unit_options = units.iter().map(|x| (x.id, x.name.clone())).collect();
    let role_options = Role::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_owned(),
                t.get(&format!("role.{}", r.as_str())),
            )
        })
        .collect();
    let csrf = u.csrf.clone().unwrap_or_default();
    render(&UsersPage {
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        csrf,
        users: rows,
        partners,
        unit_options,
        role_options,
    })
}

async fn create_user(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let r = async {
        let input = NewUserInput {
            login: field(&f, "login").to_owned(),
            name: field(&f, "name").to_owned(),
            password: field(&f, "password").to_owned(),
            roles: f
                .iter()
                .filter(|(k, _)| k == "roles")
                .map(|(_, v)| v.clone())
                .collect(),
            unit_id: opt_id(&f, "unit_id")?.map(Id),
            company_id: None,
            staff_no: Some(field(&f, "staff_no").to_owned()),
        };
        org::create_user(&app, &u, input).await.map(|_| ())
    }
    .await;
    finish(t, &u, r, "/admin/users")
}

async fn set_disabled(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let r = async {
        let id = parse_id("id", &id)?;
        org::disable_user(&app, &u, id, field(&f, "disabled") == "true")
            .await
            .map(|_| ())
    }
    .await;
    finish(t, &u, r, "/admin/users")
}

async fn set_partner(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = Msgs {
        lang: Lang::from_headers(&headers),
    };
    let r = async {
        let id = parse_id("id", &id)?;
        org::assign_partner(&app, &u, id, opt_id(&f, "partner_id")?)
            .await
            .map(|_| ())
    }
    .await;
    finish(t, &u, r, "/admin/users")
}
