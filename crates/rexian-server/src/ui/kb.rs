//! The knowledge base and search screens: `/kb` (articles by category, the checklists),
//! `/kb/{id}` (an article; writers edit, submit, review and retire, and see every version and
//! event), `/search` (everything the user may see, as they type) and the intake suggestions.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use rexian_domain::kb::KbCategory;
use serde::Deserialize;

use super::common::{field, local_time, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::Msgs;
use crate::AppState;
use rexian_app::kb::{self, ArticleInput, ListFilter, Tags, VersionInput};
use rexian_app::search::{self, Hit};

/// Knowledge base and search routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kb", get(index))
        .route("/kb/new", get(new_page).post(new_submit))
        .route("/kb/checklists", get(checklists))
        .route("/kb/{id}", get(article))
        .route("/kb/{id}/edit", post(edit))
        .route("/kb/{id}/{action}", post(action))
        .route("/search", get(search_page))
        .route("/search/results", get(search_results))
        .route("/intake/suggest", get(suggest))
}

fn offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

fn when(at_ms: i64) -> String {
    local_time(at_ms, offset())
}

/// A line of the article list.
pub struct Row {
    id: String,
    title: String,
    category: String,
    state: String,
    state_code: String,
    tags: String,
}

fn tags_of(tags: &[String]) -> String {
    tags.join("、")
}

fn categories(t: &Msgs) -> Vec<(String, String)> {
    KbCategory::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_owned(),
                t.get(&format!("kbcat.{}", c.as_str())),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "kb.html")]
struct IndexPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    writer: bool,
    category: String,
    categories: Vec<(String, String)>,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct IndexQuery {
    category: Option<String>,
}

async fn index(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<IndexQuery>,
) -> Response {
    let t = msgs(&headers);
    let category = q.category.unwrap_or_default();
    let filter = ListFilter {
        category: Some(category.clone()),
        ..ListFilter::default()
    };
    let list = match kb::list(&app, &u, &filter).await {
        Ok(v) => v,
        Err(e) => return error_page(t, &u, e),
    };
    let rows = list
        .iter()
        .map(|v| Row {
            id: v.id.to_string(),
            title: v.line.title.clone(),
            category: t.get(&format!("kbcat.{}", v.line.category)),
            state: t.get(&format!("kbstate.{}", v.line.state)),
            state_code: v.line.state.clone(),
            tags: tags_of(&v.tags),
        })
        .collect();
    render(&IndexPage {
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        writer: kb::is_writer(&u),
        category,
        categories: categories(&t),
        rows,
    })
}

/// A version in the history table.
pub struct VersionLine {
    version: String,
    state: String,
    title: String,
    author: String,
    at: String,
}

/// An event in the history table.
pub struct EventLine {
    version: String,
    kind: String,
    actor: String,
    at: String,
    comment: String,
}

#[derive(Template)]
#[template(path = "kb_article.html")]
struct ArticlePage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    id: String,
    title: String,
    body: String,
    tags: String,
    category: String,
    category_code: String,
    state: String,
    state_code: String,
    version: String,
    editable: bool,
    categories: Vec<(String, String)>,
    versions: Vec<VersionLine>,
    events: Vec<EventLine>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ArticleQuery {
    done: Option<String>,
}

async fn show_article(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    id: i64,
    flash: Option<String>,
    error: Option<String>,
) -> Response {
    let v = match kb::article(app, u, id).await {
        Ok(v) => v,
        Err(e) => return error_page(t, u, e),
    };
    let mut names = std::collections::HashMap::new();
    if let Ok(users) = app.store.users(None).await {
        for x in users {
            names.insert(x.id, x.name);
        }
    }
    let name = |x: Option<i64>| {
        x.map(|id| names.get(&id).cloned().unwrap_or_else(|| id.to_string()))
            .unwrap_or_default()
    };
    let versions = v
        .versions
        .iter()
        .flatten()
        .map(|x| VersionLine {
            version: x.version.to_string(),
            state: t.get(&format!("kbstate.{}", x.state)),
            title: x.title.clone(),
            author: name(x.author_id),
            at: when(x.created_at),
        })
        .collect();
    let events = v
        .events
        .iter()
        .flatten()
        .map(|x| EventLine {
            version: x.version.to_string(),
            kind: t.get(&format!("kbevent.{}", x.kind)),
            actor: name(x.actor_id),
            at: when(x.at),
            comment: x.comment.clone().unwrap_or_default(),
        })
        .collect();
    let shown = &v.shown.line;
    render(&ArticlePage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        id: v.id.to_string(),
        title: shown.title.clone(),
        body: v.shown.body.clone(),
        tags: tags_of(&v.shown.tags),
        category: t.get(&format!("kbcat.{}", shown.category)),
        category_code: shown.category.clone(),
        state: t.get(&format!("kbstate.{}", shown.state)),
        state_code: shown.state.clone(),
        version: shown.version.to_string(),
        editable: v.editable,
        categories: categories(&t),
        versions,
        events,
        error,
    })
}

async fn article(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Query(q): Query<ArticleQuery>,
) -> Response {
    let t = msgs(&headers);
    let id = match parse_id("id", &id) {
        Ok(id) => id,
        Err(e) => return error_page(t, &u, e),
    };
    let flash = q
        .done
        .filter(|d| d.len() <= 20 && d.chars().all(|c| c.is_ascii_lowercase()))
        .map(|d| t.get(&format!("kbdone.{d}")));
    show_article(&app, t, &u, id, flash, None).await
}

/// The content of a version as the form gives it.
fn version_input(f: &Fields) -> VersionInput {
    VersionInput {
        category: field(f, "category").to_owned(),
        title: field(f, "title").to_owned(),
        body: field(f, "body").to_owned(),
        tags: Some(Tags::Text(field(f, "tags").to_owned())),
    }
}

/// A form error shown on the page; internal errors as the error page.
fn form_error(t: &Msgs, e: &AppError) -> String {
    match e.field() {
        Some(f) => format!("{}: {e}", t.get(&format!("kbfield.{f}"))),
        None => e.to_string(),
    }
}

async fn edit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let id = match parse_id("id", &id) {
        Ok(id) => id,
        Err(e) => return error_page(t, &u, e),
    };
    match kb::edit(&app, &u, id, version_input(&f)).await {
        Ok(_) => Redirect::to(&format!("/kb/{id}?done=edited")).into_response(),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Forbidden)) => {
            error_page(t, &u, e)
        }
        Err(e) => {
            let msg = form_error(&t, &e);
            show_article(&app, t, &u, id, None, Some(msg)).await
        }
    }
}

async fn action(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let id = match parse_id("id", &id) {
        Ok(id) => id,
        Err(e) => return error_page(t, &u, e),
    };
    let reason = Some(field(&f, "reason").to_owned());
    match kb::act(&app, &u, id, &action, reason).await {
        Ok(()) => Redirect::to(&format!("/kb/{id}?done={action}")).into_response(),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Forbidden)) => {
            error_page(t, &u, e)
        }
        Err(e) => {
            let msg = form_error(&t, &e);
            show_article(&app, t, &u, id, None, Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "kb_new.html")]
struct NewPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    categories: Vec<(String, String)>,
    companies: Vec<(String, String)>,
    category: String,
    title: String,
    body: String,
    tags: String,
    error: Option<String>,
}

async fn new_form(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    f: &Fields,
    error: Option<String>,
) -> Response {
    let companies = match u.company_id {
        Some(_) => Vec::new(),
        None => match app.store.companies().await {
            Ok(cs) => cs.into_iter().map(|c| (c.id.to_string(), c.name)).collect(),
            Err(e) => return error_page(t, u, e.into()),
        },
    };
    render(&NewPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        categories: categories(&t),
        companies,
        category: field(f, "category").to_owned(),
        title: field(f, "title").to_owned(),
        body: field(f, "body").to_owned(),
        tags: field(f, "tags").to_owned(),
        error,
    })
}

async fn new_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
) -> Response {
    new_form(&app, msgs(&headers), &u, &Vec::new(), None).await
}

async fn new_submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let created = async {
        let company_id = match field(&f, "company_id") {
            "" => None,
            c => Some(rexian_app::ser::Id(parse_id("company_id", c)?)),
        };
        let input = ArticleInput {
            company_id,
            content: version_input(&f),
        };
        kb::create(&app, &u, input).await
    }
    .await;
    match created {
        Ok(id) => Redirect::to(&format!("/kb/{id}?done=created")).into_response(),
        Err(e @ (AppError::Internal(_) | AppError::Forbidden)) => error_page(t, &u, e),
        Err(e) => {
            let msg = form_error(&t, &e);
            new_form(&app, t, &u, &f, Some(msg)).await
        }
    }
}

/// A checklist as the list shows it.
pub struct ChecklistLine {
    subtype: String,
    title: String,
    time_limit: String,
    fees: String,
    materials: Vec<String>,
    print_url: String,
}

#[derive(Template)]
#[template(path = "kb_checklists.html")]
struct ChecklistsPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    companies: Vec<(String, String)>,
    company_id: String,
    items: Vec<ChecklistLine>,
}

#[derive(Deserialize)]
struct CompanyQuery {
    company_id: Option<String>,
}

async fn checklists(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<CompanyQuery>,
) -> Response {
    let t = msgs(&headers);
    let companies: Vec<(String, String)> = match u.company_id {
        Some(_) => Vec::new(),
        None => match app.store.companies().await {
            Ok(cs) => cs.into_iter().map(|c| (c.id.to_string(), c.name)).collect(),
            Err(e) => return error_page(t, &u, e.into()),
        },
    };
    let chosen = q
        .company_id
        .filter(|c| !c.is_empty())
        .or_else(|| companies.first().map(|c| c.0.clone()));
    let chosen = match chosen.map(|c| parse_id("company_id", &c)).transpose() {
        Ok(c) => c,
        Err(e) => return error_page(t, &u, e),
    };
    let v = match kb::checklists(&app, &u, chosen).await {
        Ok(v) => Some(v),
        Err(AppError::InvalidInput { .. }) if u.company_id.is_none() && companies.is_empty() => {
            None
        }
        Err(e) => return error_page(t, &u, e),
    };
    let items = v
        .iter()
        .flat_map(|v| &v.items)
        .map(|c| ChecklistLine {
            subtype: {
                let key = format!("subtype.{}", c.subtype);
                let label = t.get(&key);
                if label == key {
                    c.subtype.clone()
                } else {
                    label
                }
            },
            title: c.title.clone(),
            time_limit: c.time_limit.clone(),
            fees: c.fees.clone(),
            materials: c.materials.clone(),
            print_url: c.print_url.clone(),
        })
        .collect();
    render(&ChecklistsPage {
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        companies,
        company_id: v.map(|v| v.company_id.to_string()).unwrap_or_default(),
        items,
    })
}

/// A search result as the page shows it.
pub struct ResultLine {
    kind: String,
    kind_label: String,
    href: String,
    title: String,
    snippet: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    q: String,
    kind: String,
    results: Results,
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct Results {
    t: Msgs,
    asked: bool,
    error: Option<String>,
    items: Vec<ResultLine>,
}

#[derive(Deserialize)]
struct SearchForm {
    q: Option<String>,
    kind: Option<String>,
}

fn line(t: &Msgs, v: &Hit) -> ResultLine {
    let href = match v.kind {
        "order" => format!("/orders/{}", v.id),
        "article" => format!("/kb/{}", v.id),
        "outage" => "/outages".to_owned(),
        _ => String::new(),
    };
    ResultLine {
        kind_label: t.get(&format!("search.kind_{}", v.kind)),
        kind: v.kind.to_owned(),
        href,
        title: v.title.clone(),
        snippet: v.snippet.clone(),
    }
}

async fn results(app: &AppState, t: Msgs, u: &CurrentUser, f: &SearchForm) -> Results {
    let q = f.q.as_deref().map(str::trim).unwrap_or("");
    if q.is_empty() {
        return Results {
            t,
            asked: false,
            error: None,
            items: Vec::new(),
        };
    }
    let out = async {
        let p = search::Query::parse(Some(q), f.kind.as_deref(), Some("50"))?;
        search::run(app, u, &p.q, &p.kinds, p.limit, false).await
    }
    .await;
    match out {
        Ok(items) => Results {
            t,
            asked: true,
            error: None,
            items: items.iter().map(|v| line(&t, v)).collect(),
        },
        Err(e) => Results {
            t,
            asked: true,
            error: Some(match &e {
                AppError::Internal(err) => {
                    tracing::error!(error = ?err, "search failed");
                    t.get("error.title")
                }
                other => other.to_string(),
            }),
            items: Vec::new(),
        },
    }
}

async fn search_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(f): Query<SearchForm>,
) -> Response {
    let t = msgs(&headers);
    let r = results(&app, t, &u, &f).await;
    render(&SearchPage {
        t,
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        q: f.q.clone().unwrap_or_default(),
        kind: f.kind.clone().unwrap_or_default(),
        results: r,
    })
}

async fn search_results(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(f): Query<SearchForm>,
) -> Response {
    let t = msgs(&headers);
    render(&results(&app, t, &u, &f).await)
}

#[derive(Template)]
#[template(path = "intake_suggest.html")]
struct Suggestions {
    t: Msgs,
    items: Vec<ResultLine>,
}

#[derive(Deserialize)]
struct SuggestForm {
    description: Option<String>,
}

/// `GET /intake/suggest?description=`: published articles for the caller's words.
async fn suggest(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(f): Query<SuggestForm>,
) -> Response {
    let t = msgs(&headers);
    let words = f.description.unwrap_or_default();
    match kb::suggestions(&app, &u, &words, 5).await {
        Ok(items) => render(&Suggestions {
            t,
            items: items.iter().map(|v| line(&t, v)).collect(),
        }),
        Err(e) => error_page(t, &u, e),
    }
}
