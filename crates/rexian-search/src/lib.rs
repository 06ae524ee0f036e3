//! Full-text search for Rexian: a tantivy index with Chinese tokenizers (jieba words and
//! character grams) over orders, customers, contacts, published knowledge articles and outage notices.
//!
//! The index is derived data. It is fed from the store's `search_outbox`, written in the same
//! transaction as each change; every node keeps its own index directory and its own cursor
//! (stored in the index's commit payload, so index and cursor move together).

pub mod tokens;

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, Instant};

use rexian_store::search::OutboxRow;
use rexian_store::Store;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use tokio::sync::Mutex;

/// Kinds of records, by their number in the `kind_n` fast field.
const KINDS: [&str; 5] = ["order", "customer", "contact", "article", "outage"];

/// Version of the schema and tokenizers; an index of another version is rebuilt.
const SCHEMA_VERSION: &str = "rexian-search-7";
/// The windows (days back from [`Scope::recent_from`]) searches rank one after another.
const TIER_DAYS: [i64; 4] = [7, 31, 92, 366];
/// Outbox rows read per batch.
const BATCH: i64 = 1000;
/// A long catch-up (a new node, a back-fill) commits after this many rows, so a restart
/// resumes there and the writer's memory stays bounded.
const COMMIT_EVERY: usize = 50_000;
/// How long an outbox id skipped by the cursor (its transaction had not committed) is looked
/// for again.
const GAP_TTL: Duration = Duration::from_secs(120);

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index itself.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// Reading what to index.
    #[error("reading records to index: {0}")]
    Store(#[from] rexian_store::StoreError),
    /// Files of the index directory.
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
}

/// Result of an index call.
pub type Result<T> = std::result::Result<T, SearchError>;

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    company: Field,
    unit: Field,
    assignee: Field,
    anon: Field,
    at: Field,
    kind_n: Field,
    words: Field,
    grams: Field,
    pwords: Field,
    pgrams: Field,
    ident: Field,
    ident_prefix: Field,
    pident: Field,
    pident_prefix: Field,
    phone: Field,
    phone_prefix: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tok: &str, pos: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tok)
                .set_index_option(if pos {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let num = || NumericOptions::default().set_indexed();
    let f = Fields {
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_i64_field("id", NumericOptions::default().set_stored().set_fast()),
        company: b.add_i64_field("company", num()),
        unit: b.add_i64_field("unit", num()),
        assignee: b.add_i64_field("assignee", num()),
        anon: b.add_i64_field("anon", num()),
        at: b.add_i64_field("at", NumericOptions::default().set_stored().set_fast()),
        kind_n: b.add_i64_field("kind_n", NumericOptions::default().set_fast()),
        words: b.add_text_field("words", text("rx_jieba", false)),
        grams: b.add_text_field("grams", text("rx_gram", true)),
        pwords: b.add_text_field("pwords", text("rx_jieba", false)),
        pgrams: b.add_text_field("pgrams", text("rx_gram", true)),
        ident: b.add_text_field("ident", STRING),
        ident_prefix: b.add_text_field("ident_prefix", STRING),
        pident: b.add_text_field("pident", STRING),
        pident_prefix: b.add_text_field("pident_prefix", STRING),
        phone: b.add_text_field("phone", STRING),
        phone_prefix: b.add_text_field("phone_prefix", STRING),
    };
    (b.build(), f)
}

/// Normal form of an identifier (phone, account, order number): lower case, no spaces or
/// dashes.
pub fn ident_norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a searching user may see; the server builds it from the user's scope.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only this company's records (and shared articles); `None`: every company.
    pub company: Option<i64>,
    /// Only orders of this unit (unit staff).
    pub unit: Option<i64>,
    /// Only orders assigned to this field worker.
    pub assignee: Option<i64>,
    /// Unit staff: anonymous complainants are not found by name, phone or address, and the
    /// register and contact ledger are not searched.
    pub unit_staff: bool,
    /// Orders are not found by their customer's phone (roles that see it masked).
    pub phones_masked: bool,
    /// The time (unix ms) searches rank back from: orders and contacts of the last week come
    /// first (with every article and customer), best first among them, then those of the last
    /// month, quarter and year, then older ones, as far as the limit needs. At millions of
    /// orders a common word matches hundreds of thousands of them: ranking a recent window
    /// keeps a search fast, and recent orders are what a hotline looks for. `None`: every
    /// record ranked together.
    pub recent_from: Option<i64>,
}

/// A hit: kind, record id, score, and the record's time (newer first on equal scores).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// `order`, `customer`, `contact` or `article`.
    pub kind: String,
    /// Record id.
    pub id: i64,
    /// Relevance.
    pub score: f32,
    /// Record time, unix ms.
    pub at: i64,
}

impl Feed {
    /// The cursor a restart may resume from: below every id still missing, which is read
    /// again then (re-applying a row only replaces its documents).
    fn durable_cursor(&self) -> i64 {
        self.gaps
            .iter()
            .map(|g| g.0 - 1)
            .fold(self.cursor, i64::min)
    }

    /// Commits what was written, with the durable cursor as the commit's payload.
    fn commit(&mut self) -> Result<()> {
        let cursor = self.durable_cursor();
        let mut commit = self.writer.prepare_commit()?;
        commit.set_payload(&payload(cursor));
        commit.commit()?;
        Ok(())
    }
}

struct Feed {
    writer: IndexWriter,
    cursor: i64,
    gaps: Vec<(i64, Instant)>,
}

/// A node's search index with its outbox cursor.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    f: Fields,
    feed: Mutex<Feed>,
}

fn payload(cursor: i64) -> String {
    format!("{SCHEMA_VERSION} cursor={cursor}")
}

fn cursor_of(payload: Option<&str>) -> Option<i64> {
    payload?
        .strip_prefix(SCHEMA_VERSION)?
        .trim()
        .strip_prefix("cursor=")?
        .parse()
        .ok()
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (cursor 0: the whole outbox is read) when missing
    /// or of another schema version. Fails when another process holds the directory.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, f) = schema();
        let existing = Index::open_in_dir(dir).ok().and_then(|i| {
            let c = cursor_of(i.load_metas().ok()?.payload.as_deref())?;
            (i.schema() == schema).then_some((i, c))
        });
        let (index, cursor) = match existing {
            Some(x) => x,
            None => {
                for e in std::fs::read_dir(dir)? {
                    let p = e?.path();
                    if p.is_dir() {
                        std::fs::remove_dir_all(&p)?;
                    } else {
                        std::fs::remove_file(&p)?;
                    }
                }
                (Index::create_in_dir(dir, schema)?, 0)
            }
        };
        Self::with_index(index, f, cursor)
    }

    /// An index in memory (tests and tools).
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, f) = schema();
        Self::with_index(Index::create_in_ram(schema), f, 0)
    }

    fn with_index(index: Index, f: Fields, cursor: i64) -> Result<SearchIndex> {
        index
            .tokenizers()
            .register("rx_gram", tokens::GramTokenizer);
        index
            .tokenizers()
            .register("rx_jieba", tokens::JiebaTokenizer);
        tokens::warm_up();
        let writer = index.writer_with_num_threads(1, 32_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            f,
            feed: Mutex::new(Feed {
                writer,
                cursor,
                gaps: Vec::new(),
            }),
        })
    }

    /// The outbox id up to which this index is current.
    pub async fn cursor(&self) -> i64 {
        self.feed.lock().await.cursor
    }

    /// Reads the outbox from the cursor to its end into the index and commits; returns how
    /// many outbox rows were applied. Searches call it first, so results are never older than
    /// the last committed change.
    pub async fn catch_up(&self, store: &Store) -> Result<usize> {
        let target = store.outbox_max().await?;
        let mut feed = self.feed.lock().await;
        if feed.cursor >= target && feed.gaps.is_empty() {
            return Ok(0);
        }
        let (mut applied, mut uncommitted) = (0, 0);
        // Ids skipped earlier: committed since, or still missing (rolled back, or in flight).
        let now = Instant::now();
        feed.gaps.retain(|(_, t)| now.duration_since(*t) < GAP_TTL);
        if !feed.gaps.is_empty() {
            let ids: Vec<i64> = feed.gaps.iter().map(|g| g.0).collect();
            let found = store.outbox_rows(&ids).await?;
            feed.gaps.retain(|g| !found.iter().any(|r| r.id == g.0));
            applied += self.apply(store, &feed.writer, &found).await?;
        }
        loop {
            let rows = store.outbox_after(feed.cursor, BATCH).await?;
            let Some(last) = rows.last().map(|r| r.id) else {
                break;
            };
            let mut expect = feed.cursor + 1;
            for r in &rows {
                while expect < r.id {
                    feed.gaps.push((expect, now));
                    expect += 1;
                }
                expect = r.id + 1;
            }
            let n = self.apply(store, &feed.writer, &rows).await?;
            applied += n;
            uncommitted += n;
            feed.cursor = last;
            if (rows.len() as i64) < BATCH {
                break;
            }
            if uncommitted >= COMMIT_EVERY {
                feed.commit()?;
                uncommitted = 0;
            }
        }
        if applied > 0 {
            feed.commit()?;
            self.reader.reload()?;
        }
        Ok(applied)
    }

    /// Re-reads the records of these outbox rows and replaces their documents.
    async fn apply(&self, store: &Store, w: &IndexWriter, rows: &[OutboxRow]) -> Result<usize> {
        let mut by_kind: HashMap<&str, BTreeSet<i64>> = HashMap::new();
        for r in rows {
            by_kind
                .entry(r.kind.as_str())
                .or_default()
                .insert(r.entity_id);
        }
        for (kind, ids) in by_kind {
            let ids: Vec<i64> = ids.into_iter().collect();
            for chunk in ids.chunks(500) {
                self.index_records(store, w, kind, chunk).await?;
            }
        }
        Ok(rows.len())
    }

    /// Replaces the documents of records `ids` of `kind` with their current state.
    async fn index_records(
        &self,
        store: &Store,
        w: &IndexWriter,
        kind: &str,
        ids: &[i64],
    ) -> Result<()> {
        let f = self.f;
        for id in ids {
            w.delete_term(Term::from_field_text(f.key, &format!("{kind}:{id}")));
        }
        let mut docs = Vec::new();
        match kind {
            "order" => {
                for o in store.orders_by_ids(ids).await? {
                    docs.push(self.order_doc(&o));
                }
            }
            "customer" => {
                for c in store.customers_by_ids(ids).await? {
                    let mut d = doc!(f.key => format!("customer:{}", c.id), f.kind => "customer", f.kind_n => 1i64,
                        f.id => c.id, f.company => c.company_id, f.unit => 0i64, f.assignee => 0i64,
                        f.anon => 0i64, f.at => 0i64);
                    let text = [
                        Some(c.name.as_str()),
                        c.district.as_deref(),
                        c.community.as_deref(),
                        c.building.as_deref(),
                        c.unit_no.as_deref(),
                        c.room.as_deref(),
                        c.station.as_deref(),
                    ];
                    add_text(&mut d, f.words, f.grams, &text);
                    add_ident(&mut d, f.ident, f.ident_prefix, Some(&c.account_no));
                    add_ident(&mut d, f.ident, f.ident_prefix, c.phone.as_deref());
                    docs.push(d);
                }
            }
            "contact" => {
                for c in store.contacts_by_ids(ids).await? {
                    let mut d = doc!(f.key => format!("contact:{}", c.id), f.kind => "contact", f.kind_n => 2i64,
                        f.id => c.id, f.company => c.company_id, f.unit => 0i64, f.assignee => 0i64,
                        f.anon => 0i64, f.at => c.at);
                    add_text(
                        &mut d,
                        f.words,
                        f.grams,
                        &[c.caller_name.as_deref(), Some(c.summary.as_str())],
                    );
                    add_ident(&mut d, f.ident, f.ident_prefix, c.caller_phone.as_deref());
                    docs.push(d);
                }
            }
            "article" => {
                for a in store.article_docs(ids).await? {
                    let Some(v) = a.published else { continue };
                    let mut d = doc!(f.key => format!("article:{}", a.id), f.kind => "article", f.kind_n => 3i64,
                        f.id => a.id, f.company => a.company_id.unwrap_or(0), f.unit => 0i64,
                        f.assignee => 0i64, f.anon => 0i64, f.at => v.state_at);
                    // The title counts twice: it names the situation.
                    let tags = v.tags.replace(',', " ");
                    add_text(
                        &mut d,
                        f.words,
                        f.grams,
                        &[Some(&v.title), Some(&v.title), Some(&v.body), Some(&tags)],
                    );
                    docs.push(d);
                }
            }
            "outage" => {
                for o in store.outages_by_ids(ids).await? {
                    let mut d = doc!(f.key => format!("outage:{}", o.id), f.kind => "outage", f.kind_n => 4i64,
                        f.id => o.id, f.company => o.company_id, f.unit => 0i64, f.assignee => 0i64,
                        f.anon => 0i64, f.at => o.received_at);
                    let area: rexian_domain::outage::Area =
                        serde_json::from_str(&o.area).unwrap_or_default();
                    let places = [
                        area.communities,
                        area.streets,
                        area.buildings,
                        area.stations,
                    ]
                    .concat()
                    .join(" ");
                    add_text(&mut d, f.words, f.grams, &[Some(&o.cause), Some(&places)]);
                    docs.push(d);
                }
            }
            other => tracing::warn!(outbox.kind = other, "unknown kind in the search outbox"),
        }
        for d in docs {
            w.add_document(d)?;
        }
        Ok(())
    }

    /// The document of an order.
    fn order_doc(&self, o: &rexian_store::orders::OrderRow) -> TantivyDocument {
        let f = self.f;
        let mut d = doc!(f.key => format!("order:{}", o.id), f.kind => "order", f.kind_n => 0i64,
            f.id => o.id, f.company => o.company_id, f.unit => o.unit_id.unwrap_or(0),
            f.assignee => o.assignee_id.unwrap_or(0), f.anon => i64::from(o.anonymous),
            f.at => o.created_at);
        let public = [
            Some(o.description.as_str()),
            o.customer_community.as_deref(),
        ];
        add_text(&mut d, f.words, f.grams, &public);
        let personal = [o.customer_name.as_deref(), o.customer_address.as_deref()];
        add_text(&mut d, f.pwords, f.pgrams, &personal);
        add_ident(&mut d, f.ident, f.ident_prefix, Some(&o.number));
        add_ident(&mut d, f.phone, f.phone_prefix, o.customer_phone.as_deref());
        add_ident(&mut d, f.pident, f.pident_prefix, o.account_no.as_deref());
        d
    }

    /// Adds orders to the index without the outbox (the search benchmark's synthetic data);
    /// call [`SearchIndex::commit`] after.
    pub async fn add_orders(&self, rows: &[rexian_store::orders::OrderRow]) -> Result<()> {
        let feed = self.feed.lock().await;
        for o in rows {
            feed.writer.add_document(self.order_doc(o))?;
        }
        Ok(())
    }

    /// Commits what was added and makes it searchable (cursor unchanged).
    pub async fn commit(&self) -> Result<()> {
        self.feed.lock().await.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Empties the index and indexes every record of the database again, telling `progress`
    /// (done, total) as it goes; the cursor becomes the outbox's end at the start.
    pub async fn rebuild(&self, store: &Store, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
        let mut feed = self.feed.lock().await;
        let target = store.outbox_max().await?;
        let total = store.searchable_count().await?.max(0) as u64;
        feed.writer.delete_all_documents()?;
        let mut done = 0u64;
        progress(0, total);
        for kind in KINDS {
            let mut after = 0;
            loop {
                let ids = store.record_ids(kind, after, 500).await?;
                let Some(last) = ids.last().copied() else {
                    break;
                };
                self.index_records(store, &feed.writer, kind, &ids).await?;
                done += ids.len() as u64;
                progress(done.min(total), total);
                after = last;
            }
        }
        feed.cursor = target;
        feed.gaps.clear();
        feed.commit()?;
        self.reader.reload()?;
        Ok(done)
    }

    /// Searches `q` (words, phone/account/order number whole or a prefix, address
    /// fragments; the synonyms of the domain vocabulary too) among `kinds` within `scope`;
    /// best first, at most `limit`.
    pub fn search(&self, q: &str, kinds: &[&str], scope: &Scope, limit: usize) -> Result<Vec<Hit>> {
        let text = self.text_query(q, scope);
        self.run(text, kinds, scope, limit)
    }

    /// Documents for free text (what a caller says): any of its words (jieba words of two or
    /// more characters and the vocabulary's problem words, each with its synonyms) may
    /// match; documents matching more of them rank first.
    pub fn suggest(
        &self,
        text: &str,
        kinds: &[&str],
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let mut keys: Vec<String> = Vec::new();
        for group in rexian_domain::search::SYNONYMS {
            for w in group.iter().filter(|w| text.contains(**w)) {
                if !keys.iter().any(|k| k == w) {
                    keys.push((*w).to_owned());
                }
            }
        }
        for w in tokens::words(text) {
            if w.text.chars().count() >= 2
                && w.text.chars().all(char::is_alphanumeric)
                && !keys.contains(&w.text)
            {
                keys.push(w.text);
            }
        }
        keys.truncate(30);
        let any: Vec<(Occur, Box<dyn Query>)> = keys
            .iter()
            .filter_map(|k| self.text_query(k, scope))
            .map(|q| (Occur::Should, q))
            .collect();
        let text = (!any.is_empty()).then(|| Box::new(BooleanQuery::new(any)) as Box<dyn Query>);
        self.run(text, kinds, scope, limit)
    }

    fn run(
        &self,
        text: Option<Box<dyn Query>>,
        kinds: &[&str],
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let f = self.f;
        let Some(text) = text else {
            return Ok(Vec::new());
        };
        let mut visible: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for k in kinds {
            let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, term_str(f.kind, k))];
            match *k {
                "order" => {
                    if let Some(u) = scope.unit {
                        must.push((Occur::Must, term_i64(f.unit, u)));
                    }
                    if let Some(a) = scope.assignee {
                        must.push((Occur::Must, term_i64(f.assignee, a)));
                    }
                }
                "customer" | "contact" | "outage" if scope.unit_staff => continue,
                _ => {}
            }
            visible.push((Occur::Should, Box::new(BooleanQuery::new(must))));
        }
        if visible.is_empty() {
            return Ok(Vec::new());
        }
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, text),
            (Occur::Must, Box::new(BooleanQuery::new(visible))),
        ];
        if let Some(c) = scope.company {
            let company = BooleanQuery::new(vec![
                (Occur::Should, term_i64(f.company, c)),
                (Occur::Should, term_i64(f.company, 0)),
            ]);
            all.push((Occur::Must, Box::new(company)));
        }
        let limit = limit.max(1);
        let Some(now) = scope.recent_from else {
            return self.top(BooleanQuery::new(all), limit);
        };
        let long_lived = || vec![term_str(f.kind, "article"), term_str(f.kind, "customer")];
        let mut hits: Vec<Hit> = Vec::new();
        let mut upper: Option<i64> = None;
        for days in TIER_DAYS.iter().map(|d| Some(*d)).chain([None]) {
            let lower = days.map(|d| now - d * 86_400_000);
            let range: Box<dyn Query> = Box::new(RangeQuery::new(
                lower.map_or(Bound::Unbounded, |l| {
                    Bound::Included(Term::from_field_i64(f.at, l))
                }),
                upper.map_or(Bound::Unbounded, |u| {
                    Bound::Excluded(Term::from_field_i64(f.at, u))
                }),
            ));
            // The first window holds the long-lived records too; later ones leave them out.
            let tier: Vec<(Occur, Box<dyn Query>)> = if upper.is_none() {
                let mut any = vec![(Occur::Should, range)];
                any.extend(long_lived().into_iter().map(|q| (Occur::Should, q)));
                vec![(
                    Occur::Must,
                    Box::new(BooleanQuery::new(any)) as Box<dyn Query>,
                )]
            } else {
                let mut t = vec![(Occur::Must, range)];
                t.extend(long_lived().into_iter().map(|q| (Occur::MustNot, q)));
                t
            };
            let mut q: Vec<(Occur, Box<dyn Query>)> =
                all.iter().map(|(o, q)| (*o, q.box_clone())).collect();
            q.extend(tier);
            hits.extend(self.top(BooleanQuery::new(q), limit - hits.len())?);
            if hits.len() >= limit {
                break;
            }
            upper = lower;
        }
        Ok(hits)
    }

    /// The best `limit` documents of `query`, best first (newer first on equal scores).
    fn top(&self, query: BooleanQuery, limit: usize) -> Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        // Kind, id and time from the fast fields: no stored document is read.
        let mut columns = HashMap::new();
        for (score, addr) in top {
            let cols = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let ff = searcher.segment_reader(addr.segment_ord).fast_fields();
                    v.insert((ff.i64("kind_n")?, ff.i64("id")?, ff.i64("at")?))
                }
            };
            let kind = KINDS
                .get(cols.0.first(addr.doc_id).unwrap_or(-1).max(0) as usize)
                .copied()
                .unwrap_or("")
                .to_owned();
            let id = cols.1.first(addr.doc_id).unwrap_or(0);
            let at = cols.2.first(addr.doc_id).unwrap_or(0);
            // A contact repeats its order's words: the order ranks first.
            let score = if kind == "contact" {
                score * 0.8
            } else {
                score
            };
            hits.push(Hit {
                kind,
                id,
                score,
                at,
            });
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.at.cmp(&a.at)));
        Ok(hits)
    }

    /// The text part of a query: the query as typed (boosted) or any of its synonym
    /// alternatives; within one, every whitespace-separated term must match.
    fn text_query(&self, q: &str, scope: &Scope) -> Option<Box<dyn Query>> {
        let mut alts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (n, alt) in rexian_domain::search::expand(q).iter().enumerate() {
            let mut terms: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for t in alt.split_whitespace() {
                match self.term_query(t, scope) {
                    Some(tq) => terms.push((Occur::Must, tq)),
                    None => {
                        terms.clear();
                        break;
                    }
                }
            }
            if terms.is_empty() {
                continue;
            }
            let b: Box<dyn Query> = Box::new(BooleanQuery::new(terms));
            let boost = if n == 0 { 2.0 } else { 1.0 };
            alts.push((Occur::Should, Box::new(BoostQuery::new(b, boost))));
        }
        (!alts.is_empty()).then(|| Box::new(BooleanQuery::new(alts)) as Box<dyn Query>)
    }

    /// One term: a substring (grams), its jieba words, or an identifier whole or a prefix;
    /// personal fields only where the searcher may find them.
    fn term_query(&self, t: &str, scope: &Scope) -> Option<Box<dyn Query>> {
        let f = self.f;
        let mut public: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut personal: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(g) = gram_phrase(f.grams, t) {
            public.push((Occur::Should, g));
        }
        if let Some(g) = gram_phrase(f.pgrams, t) {
            personal.push((Occur::Should, g));
        }
        if let Some(ws) = tokens::query_words(t) {
            let all = |field: Field| -> Box<dyn Query> {
                Box::new(BoostQuery::new(
                    Box::new(BooleanQuery::new(
                        ws.iter()
                            .map(|w| (Occur::Must, term_str(field, w)))
                            .collect(),
                    )),
                    0.5,
                ))
            };
            public.push((Occur::Should, all(f.words)));
            personal.push((Occur::Should, all(f.pwords)));
        }
        let id = ident_norm(t);
        if id.chars().count() >= 3 && id.chars().all(|c| c.is_ascii_alphanumeric()) {
            public.push((Occur::Should, boosted(term_str(f.ident, &id), 8.0)));
            public.push((Occur::Should, boosted(term_str(f.ident_prefix, &id), 4.0)));
            personal.push((Occur::Should, boosted(term_str(f.pident, &id), 8.0)));
            personal.push((Occur::Should, boosted(term_str(f.pident_prefix, &id), 4.0)));
            if !scope.phones_masked {
                personal.push((Occur::Should, boosted(term_str(f.phone, &id), 8.0)));
                personal.push((Occur::Should, boosted(term_str(f.phone_prefix, &id), 4.0)));
            }
        }
        if public.is_empty() && personal.is_empty() {
            return None;
        }
        if !personal.is_empty() {
            let p: Box<dyn Query> = Box::new(BooleanQuery::new(personal));
            let p: Box<dyn Query> = if scope.unit_staff {
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, p),
                    (Occur::Must, term_i64(f.anon, 0)),
                ]))
            } else {
                p
            };
            public.push((Occur::Should, p));
        }
        Some(Box::new(BooleanQuery::new(public)))
    }

    /// Number of documents in the index (as last committed).
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tantivy index (for tools).
    pub fn index(&self) -> &Index {
        &self.index
    }
}

fn boosted(q: Box<dyn Query>, b: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, b))
}

fn term_str(f: Field, s: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(f, s),
        IndexRecordOption::WithFreqs,
    ))
}

fn term_i64(f: Field, v: i64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_i64(f, v),
        IndexRecordOption::Basic,
    ))
}

/// The grams of a query term as a phrase (a substring match).
fn gram_phrase(field: Field, t: &str) -> Option<Box<dyn Query>> {
    let toks = tokens::grams(t, true);
    match toks.len() {
        0 => None,
        1 => Some(term_str(field, &toks[0].text)),
        // Every character pair, without positions: a phrase query reads the positions of every
        // candidate, which at millions of orders cost hundreds of milliseconds for a place name
        // of common characters; pairs apart in one record are rare enough.
        _ => {
            let mut seen = BTreeSet::new();
            Some(Box::new(BooleanQuery::new(
                toks.iter()
                    .filter(|x| seen.insert(x.text.as_str()))
                    .map(|x| (Occur::Must, term_str(field, &x.text)))
                    .collect(),
            )))
        }
    }
}

fn add_text(d: &mut TantivyDocument, words: Field, grams: Field, parts: &[Option<&str>]) {
    for p in parts.iter().flatten().filter(|p| !p.is_empty()) {
        d.add_text(words, p);
        d.add_text(grams, p);
    }
}

/// An identifier whole (exact) and its prefixes of three or more characters.
fn add_ident(d: &mut TantivyDocument, exact: Field, prefix: Field, v: Option<&str>) {
    let Some(v) = v.map(ident_norm).filter(|v| !v.is_empty()) else {
        return;
    };
    d.add_text(exact, &v);
    let chars: Vec<(usize, char)> = v.char_indices().collect();
    for (i, _) in chars.iter().skip(3) {
        d.add_text(prefix, &v[..*i]);
    }
    d.add_text(prefix, &v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips() {
        assert_eq!(cursor_of(Some(&payload(42))), Some(42));
        assert_eq!(cursor_of(Some("rexian-search-0 cursor=5")), None);
        assert_eq!(ident_norm("0531-8888 8888"), "053188888888");
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;

    #[test]
    fn finds_an_order_by_words_and_grams() {
        let s = SearchIndex::in_memory().unwrap();
        let f = s.f;
        let mut d = doc!(f.key => "order:1", f.kind => "order", f.kind_n => 0i64, f.id => 1i64, f.company => 5i64,
            f.unit => 0i64, f.assignee => 0i64, f.anon => 0i64, f.at => 1i64);
        add_text(&mut d, f.words, f.grams, &[Some("小区断电两个小时了")]);
        add_ident(&mut d, f.ident, f.ident_prefix, Some("GAS20260302001"));
        {
            let mut feed = s.feed.blocking_lock();
            feed.writer.add_document(d).unwrap();
            feed.writer.commit().unwrap();
        }
        s.reader.reload().unwrap();
        let scope = Scope {
            company: Some(5),
            ..Default::default()
        };
        for q in ["断电", "停电", "小区", "电", "gas2026", "GAS20260302001"] {
            let h = s.search(q, &["order"], &scope, 10).unwrap();
            assert_eq!(h.len(), 1, "{q}");
            assert_eq!(h[0].kind, "order");
        }
        assert!(s.search("漏水", &["order"], &scope, 10).unwrap().is_empty());
    }
    #[test]
    fn recent_orders_rank_first_and_older_ones_fill_the_limit() {
        let s = SearchIndex::in_memory().unwrap();
        let f = s.f;
        {
            let mut feed = s.feed.blocking_lock();
            // Order 1 is old and matches best; order 2 is recent.
            for (id, at, text) in [
                (1i64, 1_000i64, "断电，又断电，还是断电"),
                (2, 9_000, "家里断电"),
            ] {
                let mut d = doc!(f.key => format!("order:{id}"), f.kind => "order", f.kind_n => 0i64,
                    f.id => id, f.company => 5i64, f.unit => 0i64, f.assignee => 0i64, f.anon => 0i64, f.at => at);
                add_text(&mut d, f.words, f.grams, &[Some(text)]);
                feed.writer.add_document(d).unwrap();
            }
            feed.writer.commit().unwrap();
        }
        s.reader.reload().unwrap();
        let ids = |scope: &Scope, limit| -> Vec<i64> {
            s.search("断电", &["order"], scope, limit)
                .unwrap()
                .iter()
                .map(|h| h.id)
                .collect()
        };
        let all = Scope {
            company: Some(5),
            ..Default::default()
        };
        assert_eq!(ids(&all, 10), vec![1, 2], "best first");
        let recent = Scope {
            recent_from: Some(5_000 + 7 * 86_400_000),
            ..all
        };
        assert_eq!(ids(&recent, 10), vec![2, 1], "recent first, older fill up");
        assert_eq!(ids(&recent, 1), vec![2]);
    }
}
#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn finds_by_dashed_number_and_prefix() {
        let s = SearchIndex::in_memory().unwrap();
        let f = s.f;
        let mut d = doc!(f.key => "order:1", f.kind => "order", f.kind_n => 0i64, f.id => 1i64, f.company => 5i64,
            f.unit => 0i64, f.assignee => 0i64, f.anon => 0i64, f.at => 1i64);
        add_ident(&mut d, f.ident, f.ident_prefix, Some("RQ20260302-0001"));
        {
            let mut feed = s.feed.blocking_lock();
            feed.writer.add_document(d).unwrap();
            feed.writer.commit().unwrap();
        }
        s.reader.reload().unwrap();
        for q in ["RQ20260302-0001", "rq2026"] {
            let h = s.search(q, &["order"], &Scope::default(), 10).unwrap();
            assert_eq!(h.len(), 1, "{q}");
        }
    }
}
