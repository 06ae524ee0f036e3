//! Search: orders, customers, contacts and knowledge articles by Chinese words, phone (whole or
//! prefix), order number and address fragments, best first, only what the caller may see.
//!
//! Answers come from this node's tantivy index (jieba words and character grams, synonyms of
//! the domain vocabulary), brought up to the end of the outbox first so they are never stale;
//! every hit is then checked against the database with the same scope rules as the order
//! lists, so the index can only narrow what the caller sees, never widen it.

use std::collections::HashMap;

use rexian_search::Scope;
use rexian_store::orders::{OrderFilter, PersonalMatch};
use serde::Serialize;

use crate::customers::verified_ids;
use crate::orders::{can_see, personal_match, scope_filter, unit_staff};
use crate::personal::shown;
use crate::ser::{self, rfc3339};
use crate::{Actor, App, AppError, AppResult};

/// The kinds a search covers.
pub const KINDS: [&str; 5] = ["order", "customer", "contact", "article", "outage"];

/// A search as asked, checked.
#[derive(Debug, Clone)]
pub struct Query {
    /// Text, 1–100 characters.
    pub q: String,
    /// Kinds asked for.
    pub kinds: Vec<&'static str>,
    /// Most results, 1–100.
    pub limit: usize,
}

impl Query {
    /// Checks `q`, `kind` and `limit` as given, naming the field at fault.
    pub fn parse(q: Option<&str>, kind: Option<&str>, limit: Option<&str>) -> AppResult<Query> {
        let q = q
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::invalid("q", "q is required"))?
            .to_owned();
        if q.chars().count() > 100 {
            return Err(AppError::invalid("q", "q is longer than 100 characters"));
        }
        let kinds = match kind.filter(|s| !s.is_empty()) {
            Some(k) => vec![*KINDS.iter().find(|x| **x == k).ok_or_else(|| {
                AppError::invalid(
                    "kind",
                    "kind must be order, customer, contact, article or outage",
                )
            })?],
            None => KINDS.to_vec(),
        };
        let limit = match limit.filter(|s| !s.is_empty()) {
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| AppError::invalid("limit", "limit must be 1–100"))?,
            None => 20,
        };
        Ok(Query { q, kinds, limit })
    }
}

/// One result.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Hit {
    /// order, customer, contact, article or outage.
    pub kind: &'static str,
    /// Its id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// What the list shows.
    pub title: String,
    /// Text around the match.
    pub snippet: String,
}

/// Up to 60 characters of `text` around the first of `q`'s alternatives it contains.
pub fn snippet(text: &str, q: &str) -> String {
    let alts = rexian_domain::search::expand(q);
    let q = alts
        .iter()
        .find(|a| text.contains(a.as_str()))
        .map(String::as_str)
        .unwrap_or(q);
    let chars: Vec<char> = text.chars().collect();
    let at = text.find(q).map(|b| text[..b].chars().count()).unwrap_or(0);
    let start = at.saturating_sub(20);
    let end = (at + q.chars().count() + 40).min(chars.len());
    let mut s: String = chars[start..end].iter().collect();
    if start > 0 {
        s.insert(0, '…');
    }
    if end < chars.len() {
        s.push('…');
    }
    s
}

/// Index hits of the caller's scope, each re-checked against the database, best first.
/// `any_word`: free text where any word may match (intake suggestions).
pub async fn run(
    app: &App,
    me: &Actor,
    q: &str,
    kinds: &[&str],
    limit: usize,
    any_word: bool,
) -> AppResult<Vec<Hit>> {
    app.index_catch_up().await?;
    let mut f = OrderFilter::default();
    let orders_visible = scope_filter(me, &mut f);
    let kinds: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| *k != "order" || orders_visible)
        .filter(|k| !unit_staff(me) || !matches!(*k, "customer" | "contact"))
        .filter(|k| *k != "outage" || crate::outages::may_handle(me))
        .collect();
    let scope = Scope {
        company: me.company_id,
        unit: f.unit_id,
        assignee: f.assignee_id,
        unit_staff: unit_staff(me),
        phones_masked: personal_match(me) == PersonalMatch::NoPhone,
        // Free-text suggestions rank everything together; a search ranks recent orders first.
        recent_from: (!any_word).then(|| app.now_ms()),
    };
    let hits = if any_word {
        app.search.suggest(q, &kinds, &scope, limit * 3 + 20)
    } else {
        app.search.search(q, &kinds, &scope, limit * 3 + 20)
    }
    .map_err(|e| AppError::Internal(e.into()))?;
    let ids = |k: &str| -> Vec<i64> { hits.iter().filter(|h| h.kind == k).map(|h| h.id).collect() };
    let mut found: HashMap<(&str, i64), Hit> = HashMap::new();
    for o in app.store.orders_by_ids(&ids("order")).await? {
        if can_see(me, &o) {
            found.insert(
                ("order", o.id),
                Hit {
                    kind: "order",
                    id: o.id,
                    title: format!("{} {}", o.number, o.category),
                    snippet: snippet(&o.description, q),
                },
            );
        }
    }
    if !unit_staff(me) {
        let mine = |c: i64| me.company_id.is_none_or(|x| x == c);
        let customers = app.store.customers_by_ids(&ids("customer")).await?;
        // The account number in full only to the agent who verified the caller (`002:§14(1)`).
        let verified = verified_ids(app, me, &customers).await?;
        for c in customers {
            if !mine(c.company_id) {
                continue;
            }
            let account = if verified.contains(&c.id) {
                c.account_no.clone()
            } else {
                rexian_domain::identity::mask_account(&c.account_no)
            };
            let addr = [
                c.district.as_deref(),
                c.community.as_deref(),
                c.building.as_deref(),
                c.unit_no.as_deref(),
                c.room.as_deref(),
            ]
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
            found.insert(
                ("customer", c.id),
                Hit {
                    kind: "customer",
                    id: c.id,
                    title: format!("{} {account}", c.name),
                    snippet: addr,
                },
            );
        }
        for c in app.store.contacts_by_ids(&ids("contact")).await? {
            if !mine(c.company_id) {
                continue;
            }
            found.insert(
                ("contact", c.id),
                Hit {
                    kind: "contact",
                    id: c.id,
                    title: format!(
                        "{} {}",
                        c.caller_phone.as_deref().unwrap_or(""),
                        rfc3339(c.at)
                    ),
                    snippet: snippet(&c.summary, q),
                },
            );
        }
    }
    for a in app.store.article_docs(&ids("article")).await? {
        let Some(v) = a.published else { continue };
        if a.company_id.is_some() && me.company_id.is_some() && a.company_id != me.company_id {
            continue;
        }
        found.insert(
            ("article", a.id),
            Hit {
                kind: "article",
                id: a.id,
                title: v.title,
                snippet: snippet(&v.body, q),
            },
        );
    }
    for o in app.store.outages_by_ids(&ids("outage")).await? {
        if me.company_id.is_some_and(|c| c != o.company_id) {
            continue;
        }
        let area: rexian_domain::outage::Area = serde_json::from_str(&o.area).unwrap_or_default();
        let places = [
            area.communities,
            area.streets,
            area.buildings,
            area.stations,
        ]
        .concat();
        found.insert(
            ("outage", o.id),
            Hit {
                kind: "outage",
                id: o.id,
                title: o.cause.clone(),
                snippet: places.join("、"),
            },
        );
    }
    let items: Vec<Hit> = hits
        .iter()
        .filter_map(|h| found.remove(&(h.kind.as_str(), h.id)))
        .take(limit)
        .collect();
    // Orders, customers and contacts are found by their customers' data: a view of it.
    if items
        .iter()
        .any(|v| !matches!(v.kind, "article" | "outage"))
    {
        shown("search", None);
    }
    Ok(items)
}
