//! The knowledge base (知识库) under `/api/v1/kb`: articles with categories, versions (every
//! edit a new version), the review workflow draft → review → published (→ retired) with a
//! reviewer other than the author, and every change as an event. Agents read what is
//! published; supervisors and admins write and review. The one-time-notification checklists
//! of the company's policy are listed beside the articles.

use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rexian_domain::kb::{parse_tags, transition, KbAction, KbCategory, KbRefusal, KbState};
use rexian_domain::model::Role;
use rexian_store::kb::{ArticleRow, NewVersion, VersionChange, VersionRow};
use serde::Deserialize;
use serde_json::{json, Value};

use super::orders::{company_policy, rfc3339};
use super::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::extract::parse_json;
use crate::AppState;

/// Whether the user writes and reviews articles (supervisors and admins).
pub(crate) fn is_writer(me: &CurrentUser) -> bool {
    me.has(Role::Supervisor) || me.has(Role::Admin)
}

/// Whether the user may read the article at all (its company or a shared one).
fn visible(me: &CurrentUser, a: &ArticleRow) -> bool {
    me.company_id.is_none() || a.company_id.is_none() || a.company_id == me.company_id
}

/// Whether the user may change the article: a writer of its company; shared articles only
/// by a writer of no company.
fn writable(me: &CurrentUser, a: &ArticleRow) -> bool {
    is_writer(me) && (me.company_id.is_none() || a.company_id == me.company_id)
}

/// Tags as JSON: a list, or one text separated by commas or 、.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Tags {
    /// `["停电", "抢修"]`.
    List(Vec<String>),
    /// `"停电,抢修"`.
    Text(String),
}

/// Body of a new article or a new version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleBody {
    company_id: Option<Id>,
    category: String,
    title: String,
    body: String,
    tags: Option<Tags>,
}

/// Checks the content of a version, naming the field at fault.
pub(crate) fn content(
    category: &str,
    title: &str,
    body: &str,
    tags: Option<Tags>,
) -> AppResult<NewVersion> {
    let cat = KbCategory::from_str(category.trim()).map_err(|_| {
        AppError::invalid(
            "category",
            "category must be phrasebook, faq, procedure, regulation or notice",
        )
    })?;
    // The limits count the text as sent, as the OpenAPI maxLength does.
    if title.chars().count() > 200 || title.trim().is_empty() {
        return Err(AppError::invalid("title", "title must be 1–200 characters"));
    }
    if body.chars().count() > 20_000 || body.trim().is_empty() {
        return Err(AppError::invalid("body", "body must be 1–20000 characters"));
    }
    let tags = match tags {
        None => Vec::new(),
        Some(Tags::Text(s)) => parse_tags(&s),
        Some(Tags::List(l)) => parse_tags(&l.join(",")),
    };
    if tags.len() > 20 || tags.iter().any(|t| t.chars().count() > 30) {
        return Err(AppError::invalid(
            "tags",
            "at most 20 tags of at most 30 characters",
        ));
    }
    Ok(NewVersion {
        category: cat.as_str().to_owned(),
        title: title.trim().to_owned(),
        body: body.trim().to_owned(),
        tags: tags.join(","),
    })
}

fn version_json(v: &VersionRow, full: bool) -> Value {
    let mut j = json!({"version": v.version, "state": v.state, "category": v.category,
        "title": v.title, "author_id": v.author_id.map(|x| x.to_string()),
        "reviewer_id": v.reviewer_id.map(|x| x.to_string()),
        "created_at": rfc3339(v.created_at), "state_at": rfc3339(v.state_at)});
    if full {
        j["body"] = json!(v.body);
        j["tags"] = json!(v
            .tags
            .split(',')
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>());
    }
    j
}

/// The article as the caller may see it: writers see every version and event; readers only
/// the published text. `NotFound` when the caller may not see it.
pub(crate) async fn article_json(app: &AppState, me: &CurrentUser, id: i64) -> AppResult<Value> {
    let a = app.store.article(id).await?;
    if !visible(me, &a) {
        return Err(AppError::NotFound);
    }
    let versions = app.store.article_versions(id).await?;
    let published = versions.iter().rev().find(|v| v.state == "published");
    let writer = writable(me, &a) || (is_writer(me) && visible(me, &a));
    let shown = if writer { versions.last() } else { published };
    let Some(shown) = shown else {
        return Err(AppError::NotFound);
    };
    let mut j = version_json(shown, true);
    j["id"] = json!(a.id.to_string());
    j["company_id"] = json!(a.company_id.map(|x| x.to_string()));
    j["published_version"] = json!(published.map(|v| v.version));
    j["editable"] = json!(writable(me, &a));
    if writer {
        j["versions"] = json!(versions
            .iter()
            .map(|v| version_json(v, false))
            .collect::<Vec<_>>());
        let events = app.store.article_events(id).await?;
        j["events"] = json!(events
            .iter()
            .map(|e| json!({"version": e.version, "type": e.kind,
                "actor_id": e.actor_id.map(|x| x.to_string()), "at": rfc3339(e.at), "comment": e.comment}))
            .collect::<Vec<_>>());
    }
    Ok(j)
}

/// Query of the article list.
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    category: Option<String>,
    state: Option<String>,
    limit: Option<String>,
}

/// Lists articles: readers the published ones, writers the latest version of each (filter
/// by `state`).
pub(crate) async fn list_json(app: &AppState, me: &CurrentUser, p: &ListQuery) -> AppResult<Value> {
    let category = match p.category.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => Some(
            KbCategory::from_str(c)
                .map_err(|_| AppError::invalid("category", "unknown category"))?
                .as_str(),
        ),
        None => None,
    };
    let state = match p.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            KbState::from_str(s)
                .map_err(|_| {
                    AppError::invalid("state", "state must be draft, review, published or retired")
                })?
                .as_str(),
        ),
        None => None,
    };
    let limit = match p.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1–500"))?,
        None => 200,
    };
    let writer = is_writer(me);
    let rows = app
        .store
        .list_articles(
            me.company_id,
            !writer || state == Some("published"),
            category,
            limit,
        )
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .filter(|(_, v)| state.is_none_or(|s| v.state == s))
        .map(|(a, v)| {
            let mut j = version_json(v, false);
            j["id"] = json!(a.id.to_string());
            j["company_id"] = json!(a.company_id.map(|x| x.to_string()));
            j["tags"] = json!(v
                .tags
                .split(',')
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>());
            j
        })
        .collect();
    Ok(json!({ "items": items }))
}

/// `GET /api/v1/kb/articles`.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(p): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(list_json(&app, &me, &p).await?))
}

/// Creates an article (version 1, draft); returns its id.
pub(crate) async fn create_article(
    app: &AppState,
    me: &CurrentUser,
    b: ArticleBody,
) -> AppResult<i64> {
    if !is_writer(me) {
        return Err(AppError::Forbidden);
    }
    let company = match (me.company_id, b.company_id) {
        (Some(mine), Some(Id(c))) if c != mine => return Err(AppError::Forbidden),
        (Some(mine), _) => Some(mine),
        (None, Some(Id(c))) => Some(
            app.store
                .company(c)
                .await
                .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?
                .id,
        ),
        (None, None) => None,
    };
    let v = content(&b.category, &b.title, &b.body, b.tags)?;
    Ok(app
        .store
        .create_article(company, None, &v, "draft", Some(me.id), ms(app.clock.now()))
        .await?)
}

/// `POST /api/v1/kb/articles` → 201 the article (draft).
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(k) = &key {
        if k.is_empty() || k.len() > 200 {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1–200 characters",
            ));
        }
        if let Some(a) = app.store.idempotent_answer(me.id, k).await? {
            return super::orders::replay(a, &super::orders::request_hash(&body));
        }
    }
    let b: ArticleBody = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let id = create_article(&app, &me, b).await?;
    let v = article_json(&app, &me, id).await?;
    if let Some(k) = &key {
        app.store
            .save_idempotent_response(
                me.id,
                k,
                201,
                &v.to_string(),
                ms(app.clock.now()),
                Some(&super::orders::request_hash(&body)),
            )
            .await?;
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `GET /api/v1/kb/articles/{id}`.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    Ok(Json(article_json(&app, &me, id).await?))
}

/// Body of a new version (the company stays the article's).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    category: String,
    title: String,
    body: String,
    tags: Option<Tags>,
}

/// Adds a new draft version to an article the user may change; returns its number.
pub(crate) async fn edit_article(
    app: &AppState,
    me: &CurrentUser,
    id: i64,
    category: &str,
    title: &str,
    body: &str,
    tags: Option<Tags>,
) -> AppResult<i64> {
    let a = app.store.article(id).await?;
    if !visible(me, &a) {
        return Err(AppError::NotFound);
    }
    if !writable(me, &a) {
        return Err(AppError::Forbidden);
    }
    let v = content(category, title, body, tags)?;
    Ok(app
        .store
        .add_version(id, &v, me.id, ms(app.clock.now()))
        .await?)
}

/// `PUT /api/v1/kb/articles/{id}`: a new draft version.
pub async fn update(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    let b: VersionBody = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    edit_article(&app, &me, id, &b.category, &b.title, &b.body, b.tags).await?;
    Ok(Json(article_json(&app, &me, id).await?))
}

/// Body of a workflow step.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    reason: Option<String>,
}

/// Takes a workflow step on the article's current version: submit and approve/reject act
/// on the latest version, retire on the published one.
pub(crate) async fn act(
    app: &AppState,
    me: &CurrentUser,
    id: i64,
    action: &str,
    reason: Option<String>,
) -> AppResult<()> {
    let action = KbAction::from_str(action).map_err(|_| AppError::NotFound)?;
    let a = app.store.article(id).await?;
    if !visible(me, &a) {
        return Err(AppError::NotFound);
    }
    if !writable(me, &a) {
        return Err(AppError::Forbidden);
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::invalid(
            "reason",
            "reason is longer than 500 characters",
        ));
    }
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if action.needs_reason() && reason.is_none() {
        return Err(AppError::invalid("reason", "a reason is required"));
    }
    let versions = app.store.article_versions(id).await?;
    let v = match action {
        KbAction::Retire => versions.iter().rev().find(|v| v.state == "published"),
        _ => versions.last(),
    }
    .ok_or_else(|| AppError::InvalidTransition("the article has no published version".into()))?;
    let state = KbState::from_str(&v.state)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored state: {e}")))?;
    let next = transition(state, action, v.author_id, me.id).map_err(|e| match e {
        KbRefusal::OwnVersion => AppError::Conflict {
            field: Some("reviewer".into()),
            message: e.to_string(),
        },
        KbRefusal::WrongState { .. } => AppError::InvalidTransition(e.to_string()),
    })?;
    app.store
        .change_version(&VersionChange {
            article_id: id,
            version: v.version,
            from: state.as_str().to_owned(),
            to: next.as_str().to_owned(),
            event: action.event().to_owned(),
            actor_id: me.id,
            comment: reason,
            at: ms(app.clock.now()),
        })
        .await?;
    Ok(())
}

/// `POST /api/v1/kb/articles/{id}/{action}` (`submit`, `approve`, `reject`, `retire`).
pub async fn step(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    let b: ActionBody = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    act(&app, &me, id, &action, b.reason).await?;
    Ok(Json(article_json(&app, &me, id).await?))
}

/// `GET /api/v1/kb/articles/{id}/versions/{version}`: one version (writers; readers only
/// the published one).
pub async fn version(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, version)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    let n = parse_id("version", &version)?;
    let a = app.store.article(id).await?;
    if !visible(&me, &a) {
        return Err(AppError::NotFound);
    }
    let v = app
        .store
        .article_versions(id)
        .await?
        .into_iter()
        .find(|v| v.version == n && (is_writer(&me) || v.state == "published"))
        .ok_or(AppError::NotFound)?;
    let mut j = version_json(&v, true);
    j["id"] = json!(id.to_string());
    Ok(Json(j))
}

/// Query of the suggestions.
#[derive(Debug, Deserialize)]
pub struct SuggestQuery {
    q: Option<String>,
    limit: Option<String>,
}

/// Published articles for the caller's words (synonyms included), best first.
pub(crate) async fn suggestions(
    app: &AppState,
    me: &CurrentUser,
    q: &str,
    limit: usize,
) -> AppResult<Vec<Value>> {
    let q: String = q.trim().chars().take(200).collect();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    super::search::run(app, me, &q, &["article"], limit, true).await
}

/// `GET /api/v1/kb/suggest?q=&limit=`: articles for what the caller said.
pub async fn suggest(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(p): Query<SuggestQuery>,
) -> AppResult<Json<Value>> {
    let q =
        p.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::invalid("q", "q is required"))?;
    if q.chars().count() > 200 {
        return Err(AppError::invalid("q", "q is longer than 200 characters"));
    }
    let limit = match p.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=20).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1–20"))?,
        None => 5,
    };
    // A long description: its last 100 characters are what the caller said last.
    let tail: String = {
        let chars: Vec<char> = q.chars().collect();
        chars[chars.len().saturating_sub(100)..].iter().collect()
    };
    let items = suggestions(&app, &me, &tail, limit).await?;
    Ok(Json(json!({ "items": items })))
}

/// Query naming a company (admins of no company).
#[derive(Debug, Deserialize)]
pub struct CompanyQuery {
    company_id: Option<String>,
}

/// The one-time-notification checklists of a company's policy, by subtype.
pub(crate) async fn checklists_json(
    app: &AppState,
    me: &CurrentUser,
    company_id: Option<&str>,
) -> AppResult<Value> {
    let cid = match (me.company_id, company_id.filter(|c| !c.is_empty())) {
        (Some(c), _) => c,
        (None, Some(c)) => parse_id("company_id", c)?,
        (None, None) => return Err(AppError::invalid("company_id", "choose a company")),
    };
    let company = app
        .store
        .company(cid)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    let policy = company_policy(&company)?;
    let items: Vec<Value> = policy
        .checklist
        .iter()
        .map(|(subtype, c)| {
            json!({"subtype": subtype, "title": c.title, "materials": c.materials,
                "procedure": c.procedure, "time_limit": c.time_limit, "fees": c.fees, "basis": c.basis,
                "print_url": format!("/intake/checklist/print?company_id={}&subtype={subtype}", company.id)})
        })
        .collect();
    Ok(json!({"company_id": company.id.to_string(), "items": items}))
}

/// `GET /api/v1/kb/checklists?company_id=`.
pub async fn checklists(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(p): Query<CompanyQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        checklists_json(&app, &me, p.company_id.as_deref()).await?,
    ))
}
