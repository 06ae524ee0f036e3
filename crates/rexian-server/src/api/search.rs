//! `GET /api/v1/search`: orders, customers and contacts by Chinese words, phone (whole or
//! prefix), order number and address fragments, best first, only what the caller may see.
//!
//! This is the database's substring search (multi-character Chinese matches as typed); the
//! tokenised, ranked full-text index with synonyms is issue 8's tantivy + jieba.

use axum::extract::{Query, State};
use axum::{Extension, Json};
use rexian_store::orders::OrderFilter;
use serde::Deserialize;
use serde_json::{json, Value};

use super::orders::{findable, rfc3339, scope_filter, unit_staff};
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// Query of the search call.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    kind: Option<String>,
    limit: Option<String>,
}

/// How well `field` answers `q`: 3 exact, 2 prefix, 1 contained, 0 not at all.
fn score(field: Option<&str>, q: &str) -> u8 {
    match field {
        Some(f) if f == q => 3,
        Some(f) if f.starts_with(q) => 2,
        Some(f) if f.contains(q) => 1,
        _ => 0,
    }
}

fn snippet(text: &str, q: &str) -> String {
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

/// Searches what the caller may see; results carry `kind, id, title, snippet`, best first.
pub async fn search(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(p): Query<SearchQuery>,
) -> AppResult<Json<Value>> {
    let q =
        p.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::invalid("q", "q is required"))?
            .to_owned();
    if q.chars().count() > 100 {
        return Err(AppError::invalid("q", "q is longer than 100 characters"));
    }
    let kind = p.kind.as_deref().filter(|s| !s.is_empty());
    if let Some(k) = kind {
        if !["order", "customer", "contact", "article"].contains(&k) {
            return Err(AppError::invalid(
                "kind",
                "kind must be order, customer, contact or article",
            ));
        }
    }
    let limit = match p.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1–100"))?,
        None => 20,
    };
    let want = |k: &str| kind.is_none_or(|x| x == k);
    let mut hits: Vec<(u8, i64, Value)> = Vec::new();
    if want("order") {
        // The query and the words callers use for the same problem (停电/断电/没电 …); a
        // synonym's hit ranks below a hit of the words as typed.
        let mut seen = std::collections::HashSet::new();
        for (n, alt) in rexian_domain::search::expand(&q).into_iter().enumerate() {
            let mut f = OrderFilter {
                q: Some(alt.clone()),
                limit: 200,
                ..Default::default()
            };
            if !scope_filter(&me, &mut f) {
                break;
            }
            for o in app
                .store
                .list_orders(&f)
                .await?
                .iter()
                .filter(|o| findable(&me, o, Some(&alt)))
            {
                if !seen.insert(o.id) {
                    continue;
                }
                let hidden = o.anonymous && unit_staff(&me);
                let fields: Vec<Option<&str>> = if hidden {
                    vec![
                        Some(&o.number),
                        Some(&o.description),
                        o.customer_community.as_deref(),
                    ]
                } else {
                    vec![
                        Some(&o.number),
                        o.customer_phone.as_deref(),
                        o.account_no.as_deref(),
                        Some(&o.description),
                        o.customer_address.as_deref(),
                        o.customer_community.as_deref(),
                    ]
                };
                let s = fields.iter().map(|f| score(*f, &alt)).max().unwrap_or(0);
                if s == 0 {
                    continue;
                }
                let s = if n == 0 { s + 1 } else { s };
                hits.push((s, o.created_at, json!({"kind": "order", "id": o.id.to_string(),
                    "title": format!("{} {}", o.number, o.category), "snippet": snippet(&o.description, &alt)})));
            }
        }
    }
    // The register and the contact ledger belong to the centre, not to units.
    if !unit_staff(&me) {
        if want("customer") {
            for c in app.store.find_customers(me.company_id, &q, 50).await? {
                let s = [
                    Some(c.account_no.as_str()),
                    c.phone.as_deref(),
                    Some(c.name.as_str()),
                    c.community.as_deref(),
                ]
                .iter()
                .map(|f| score(*f, &q))
                .max()
                .unwrap_or(0)
                .max(1);
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
                hits.push((
                    s,
                    0,
                    json!({"kind": "customer", "id": c.id.to_string(),
                    "title": format!("{} {}", c.name, c.account_no), "snippet": addr}),
                ));
            }
        }
        if want("contact") {
            for c in app.store.search_contacts(me.company_id, &q, 50).await? {
                let s = [
                    c.caller_phone.as_deref(),
                    c.caller_name.as_deref(),
                    Some(c.summary.as_str()),
                ]
                .iter()
                .map(|f| score(*f, &q))
                .max()
                .unwrap_or(0)
                .max(1);
                hits.push((s, c.at, json!({"kind": "contact", "id": c.id.to_string(),
                    "title": format!("{} {}", c.caller_phone.as_deref().unwrap_or(""), rfc3339(c.at)),
                    "snippet": snippet(&c.summary, &q)})));
            }
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    hits.truncate(limit);
    if !hits.is_empty() {
        app.store
            .log_personal_view(me.id, None, "search", ms(app.clock.now()))
            .await?;
    }
    Ok(Json(
        json!({"items": hits.into_iter().map(|h| h.2).collect::<Vec<_>>()}),
    ))
}
