//! The knowledge base (知识库): articles with categories, versions (every edit a new version),
//! the review workflow draft → review → published (→ retired) with a reviewer other than the
//! author, every change an event. Agents read what is published; supervisors and admins write
//! and review. The one-time-notification checklists of the company's policy sit beside them.

use std::str::FromStr;

use rexian_domain::kb::{parse_tags, transition, KbAction, KbCategory, KbRefusal, KbState};
use rexian_domain::model::Role;
use rexian_store::kb::{ArticleRow, NewVersion, VersionChange, VersionRow};
use serde::{Deserialize, Serialize};

use crate::ser::{self, Id};
use crate::tenancy::{chosen_company, company_for, company_policy};
use crate::{Actor, App, AppError, AppResult};

/// Whether the user writes and reviews articles (supervisors and admins).
pub fn is_writer(me: &Actor) -> bool {
    me.has(Role::Supervisor) || me.has(Role::Admin)
}

/// Whether the user may read the article at all (its company or a shared one).
fn visible(me: &Actor, a: &ArticleRow) -> bool {
    me.company_id.is_none() || a.company_id.is_none() || a.company_id == me.company_id
}

/// Whether the user may change the article: a writer of its company; shared articles only
/// by a writer of no company.
fn writable(me: &Actor, a: &ArticleRow) -> bool {
    is_writer(me) && (me.company_id.is_none() || a.company_id == me.company_id)
}

/// Tags: a list, or one text separated by commas or 、.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Tags {
    /// `["停电", "抢修"]`.
    List(Vec<String>),
    /// `"停电,抢修"`.
    Text(String),
}

/// The content of a version as given.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    /// Category (phrasebook, faq, procedure, regulation, notice).
    #[schemars(extend("enum" = ["phrasebook", "faq", "procedure", "regulation", "notice"]))]
    pub category: String,
    /// Title, 1–200 characters.
    pub title: String,
    /// Text, 1–20000 characters.
    pub body: String,
    /// Tags.
    pub tags: Option<Tags>,
}

/// A new article: its company (group-level writers may leave it out: shared) and content.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// Company; none: the writer's, or shared for a writer of no company.
    #[serde(default)]
    pub company_id: Option<Id>,
    /// The content.
    #[serde(flatten)]
    pub content: VersionInput,
}

/// Checks the content of a version, naming the field at fault.
fn content(v: VersionInput) -> AppResult<NewVersion> {
    let cat = KbCategory::from_str(v.category.trim()).map_err(|_| {
        AppError::invalid(
            "category",
            "category must be phrasebook, faq, procedure, regulation or notice",
        )
    })?;
    // The limits count the text as sent, as the OpenAPI maxLength does.
    if v.title.chars().count() > 200 || v.title.trim().is_empty() {
        return Err(AppError::invalid("title", "title must be 1–200 characters"));
    }
    if v.body.chars().count() > 20_000 || v.body.trim().is_empty() {
        return Err(AppError::invalid("body", "body must be 1–20000 characters"));
    }
    let tags = match v.tags {
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
        title: v.title.trim().to_owned(),
        body: v.body.trim().to_owned(),
        tags: tags.join(","),
    })
}

/// A version as lists and histories show it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct VersionLine {
    /// Number, from 1.
    pub version: i64,
    /// draft, review, published, retired.
    pub state: String,
    /// Category.
    #[schemars(extend("enum" = ["phrasebook", "faq", "procedure", "regulation", "notice"]))]
    pub category: String,
    /// Title.
    pub title: String,
    /// Author.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub author_id: Option<i64>,
    /// Reviewer.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub reviewer_id: Option<i64>,
    /// Written.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub created_at: i64,
    /// Its state since.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub state_at: i64,
}

/// A version with its text.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Version {
    /// The version.
    #[serde(flatten)]
    pub line: VersionLine,
    /// Text.
    pub body: String,
    /// Tags.
    pub tags: Vec<String>,
}

fn tags_of(v: &VersionRow) -> Vec<String> {
    v.tags
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn line_of(v: &VersionRow) -> VersionLine {
    VersionLine {
        version: v.version,
        state: v.state.clone(),
        category: v.category.clone(),
        title: v.title.clone(),
        author_id: v.author_id,
        reviewer_id: v.reviewer_id,
        created_at: v.created_at,
        state_at: v.state_at,
    }
}

fn version_of(v: &VersionRow) -> Version {
    Version {
        line: line_of(v),
        body: v.body.clone(),
        tags: tags_of(v),
    }
}

/// An event of an article.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct ArticleEvent {
    /// The version it concerns.
    pub version: i64,
    /// created, edited, submitted, approved, rejected, retired.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub actor_id: Option<i64>,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// Reason given.
    pub comment: Option<String>,
}

/// An article as the caller may see it: writers see the latest version with every version and
/// event; readers the published text only.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Article {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company; none: shared by every company.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub company_id: Option<i64>,
    /// The version shown.
    #[serde(flatten)]
    pub shown: Version,
    /// The version readers see.
    pub published_version: Option<i64>,
    /// Whether the caller may change it.
    pub editable: bool,
    /// Every version (writers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionLine>>,
    /// Every event (writers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<ArticleEvent>>,
}

/// The article `id` as `me` may see it; `NotFound` when `me` may not.
pub async fn article(app: &App, me: &Actor, id: i64) -> AppResult<Article> {
    let a = app.store.article(id).await?;
    if !visible(me, &a) {
        return Err(AppError::NotFound);
    }
    let versions = app.store.article_versions(id).await?;
    let published = versions.iter().rev().find(|v| v.state == "published");
    let writer = is_writer(me);
    let shown = if writer { versions.last() } else { published };
    let Some(shown) = shown else {
        return Err(AppError::NotFound);
    };
    let events = if writer {
        Some(
            app.store
                .article_events(id)
                .await?
                .into_iter()
                .map(|e| ArticleEvent {
                    version: e.version,
                    kind: e.kind,
                    actor_id: e.actor_id,
                    at: e.at,
                    comment: e.comment,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Article {
        id: a.id,
        company_id: a.company_id,
        shown: version_of(shown),
        published_version: published.map(|v| v.version),
        editable: writable(me, &a),
        versions: writer.then(|| versions.iter().map(line_of).collect()),
        events,
    })
}

/// Filters of the article list, as given.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
pub struct ListFilter {
    /// Category.
    #[schemars(extend("enum" = ["", "phrasebook", "faq", "procedure", "regulation", "notice"]))]
    pub category: Option<String>,
    /// State (writers).
    #[schemars(extend("enum" = ["", "draft", "review", "published", "retired"]))]
    pub state: Option<String>,
    /// At most this many, 1–500 (200).
    pub limit: Option<String>,
}

/// An article in the list: its latest version (readers: the published one).
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct ArticleLine {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub company_id: Option<i64>,
    /// The version.
    #[serde(flatten)]
    pub line: VersionLine,
    /// Tags.
    pub tags: Vec<String>,
}

/// Lists articles: readers the published ones, writers the latest version of each (filter
/// by `state`).
pub async fn list(app: &App, me: &Actor, f: &ListFilter) -> AppResult<Vec<ArticleLine>> {
    let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let category = match given(&f.category) {
        Some(c) => Some(
            KbCategory::from_str(&c)
                .map_err(|_| AppError::invalid("category", "unknown category"))?
                .as_str(),
        ),
        None => None,
    };
    let state = match given(&f.state) {
        Some(s) => Some(
            KbState::from_str(&s)
                .map_err(|_| {
                    AppError::invalid("state", "state must be draft, review, published or retired")
                })?
                .as_str(),
        ),
        None => None,
    };
    let limit = match given(&f.limit) {
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
    Ok(rows
        .iter()
        .filter(|(_, v)| state.is_none_or(|s| v.state == s))
        .map(|(a, v)| ArticleLine {
            id: a.id,
            company_id: a.company_id,
            line: line_of(v),
            tags: tags_of(v),
        })
        .collect())
}

/// Creates an article (version 1, draft); returns its id.
pub async fn create(app: &App, me: &Actor, input: ArticleInput) -> AppResult<i64> {
    if !is_writer(me) {
        return Err(AppError::Forbidden);
    }
    let company = match (me.company_id, input.company_id) {
        (None, None) => None,
        (_, requested) => Some(
            chosen_company(app, me, "company_id", requested.map(|i| i.0))
                .await?
                .id,
        ),
    };
    let v = content(input.content)?;
    Ok(app
        .store
        .create_article(company, None, &v, "draft", Some(me.id), app.now_ms())
        .await?)
}

/// Adds a new draft version to an article the user may change; returns its number.
pub async fn edit(app: &App, me: &Actor, id: i64, input: VersionInput) -> AppResult<i64> {
    let a = app.store.article(id).await?;
    if !visible(me, &a) {
        return Err(AppError::NotFound);
    }
    if !writable(me, &a) {
        return Err(AppError::Forbidden);
    }
    let v = content(input)?;
    Ok(app.store.add_version(id, &v, me.id, app.now_ms()).await?)
}

/// A workflow step as given.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// The reason (required to reject).
    pub reason: Option<String>,
}

/// Takes a workflow step on the article's current version: submit and approve/reject act
/// on the latest version, retire on the published one.
pub async fn act(
    app: &App,
    me: &Actor,
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
            at: app.now_ms(),
        })
        .await?;
    Ok(())
}

/// One version of an article with its text.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct ArticleVersion {
    /// The article.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// The version.
    #[serde(flatten)]
    pub version: Version,
}

/// Version `n` of an article: writers any, readers only a published one.
pub async fn version(app: &App, me: &Actor, id: i64, n: i64) -> AppResult<ArticleVersion> {
    let a = app.store.article(id).await?;
    if !visible(me, &a) {
        return Err(AppError::NotFound);
    }
    let v = app
        .store
        .article_versions(id)
        .await?
        .into_iter()
        .find(|v| v.version == n && (is_writer(me) || v.state == "published"))
        .ok_or(AppError::NotFound)?;
    Ok(ArticleVersion {
        id,
        version: version_of(&v),
    })
}

/// A one-time-notification checklist (一次性告知, `004:第三章 第九条`).
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Checklist {
    /// The service item (subtype).
    pub subtype: String,
    /// Title.
    pub title: String,
    /// Materials the customer brings.
    pub materials: Vec<String>,
    /// Procedure.
    pub procedure: Vec<String>,
    /// Promised time limit.
    pub time_limit: String,
    /// Fees.
    pub fees: String,
    /// Their basis.
    pub basis: String,
    /// The printable form.
    pub print_url: String,
}

/// The checklists of a company.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Checklists {
    /// The company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// By subtype.
    pub items: Vec<Checklist>,
}

/// The one-time-notification checklists of a company's policy, by subtype.
pub async fn checklists(app: &App, me: &Actor, company: Option<i64>) -> AppResult<Checklists> {
    let company = match company {
        Some(c) => company_for(app, me, "company_id", c).await?,
        None => chosen_company(app, me, "company_id", None).await?,
    };
    let policy = company_policy(&company)?;
    let items = policy
        .checklist
        .iter()
        .map(|(subtype, c)| Checklist {
            subtype: subtype.clone(),
            title: c.title.clone(),
            materials: c.materials.clone(),
            procedure: c.procedure.clone(),
            time_limit: c.time_limit.clone(),
            fees: c.fees.clone(),
            basis: c.basis.clone(),
            print_url: format!(
                "/intake/checklist/print?company_id={}&subtype={subtype}",
                company.id
            ),
        })
        .collect();
    Ok(Checklists {
        company_id: company.id,
        items,
    })
}

/// The checklist of one service item of a company, for the intake's panel and its printable
/// form.
#[derive(Debug, Clone)]
pub struct SubtypeChecklist {
    /// The company.
    pub company_id: i64,
    /// Its name.
    pub company: String,
    /// The checklist of its policy.
    pub checklist: rexian_domain::policy::Checklist,
}

/// The checklist of `subtype` in the policy of company `company` (none when it has none).
pub async fn subtype_checklist(
    app: &App,
    me: &Actor,
    company: i64,
    subtype: &str,
) -> AppResult<Option<SubtypeChecklist>> {
    if subtype.len() > 64 {
        return Err(AppError::invalid("subtype", "subtype is too long"));
    }
    let company = company_for(app, me, "company_id", company).await?;
    Ok(company_policy(&company)?
        .checklist
        .get(subtype)
        .cloned()
        .map(|checklist| SubtypeChecklist {
            company_id: company.id,
            company: company.name,
            checklist,
        }))
}

/// Published articles for what a caller said (synonyms included), best first: its last 100
/// characters, which matter most.
pub async fn suggestions(
    app: &App,
    me: &Actor,
    said: &str,
    limit: usize,
) -> AppResult<Vec<crate::search::Hit>> {
    let chars: Vec<char> = said.trim().chars().collect();
    let tail: String = chars[chars.len().saturating_sub(100)..].iter().collect();
    if tail.is_empty() {
        return Ok(Vec::new());
    }
    crate::search::run(app, me, &tail, &["article"], limit, true).await
}
