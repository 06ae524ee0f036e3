//! `rexian bench seed`: realistic history written straight through the store in large
//! transactions, so that reads, reports and timers can be measured at scale. A manifest
//! (`bench-seed.json` in the data dir) tells a later `rexian bench --data-dir` whom to log in as.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration as Span, FixedOffset, Utc};
use clap::Args;
use rexian_store::org::{NewCompany, NewUser};
use rexian_store::seed::{SeedCallback, SeedDeadline, SeedEvent, SeedOrder};
use rexian_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::data::{self, Rng};

/// The manifest's file name in the data dir.
pub const MANIFEST: &str = "bench-seed.json";

/// Password of the seeded staff (the bench's own).
pub const STAFF_PASSWORD: &str = "bench-pass-2026";

/// Flags of `rexian bench seed`.
#[derive(Debug, Args, Clone)]
pub struct SeedArgs {
    /// Orders to generate.
    #[arg(long)]
    pub orders: u64,
    /// Data dir: the SQLite database (unless DATABASE_URL is set) and the manifest.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// PostgreSQL (`postgres://…`) to seed instead of SQLite. Never printed.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Orders per transaction.
    #[arg(long, default_value_t = 5000)]
    pub batch: usize,
    /// Months of history, ending now.
    #[arg(long, default_value_t = 24)]
    pub months: u32,
    /// Repair teams per company.
    #[arg(long, default_value_t = 24)]
    pub teams: usize,
    /// Seed of the random generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Orders per thousand left open, whatever their age (default: the usual mix, where about
    /// half a percent of two years' orders are open). `1000` builds the backlog of a timer sweep
    /// over a million open orders.
    #[arg(long)]
    pub open_permille: Option<u64>,
}

/// One seeded company: ids and logins.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeededCompany {
    /// Company id.
    pub id: i64,
    /// heat, power, gas or water.
    pub utility: String,
    /// Agent's login.
    pub agent: String,
    /// Dispatcher's login.
    pub dispatcher: String,
    /// Callback agent's login.
    pub callback: String,
    /// Repair teams: (unit id, handler's login).
    pub teams: Vec<(i64, String)>,
}

/// What a seed run leaves for the bench.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// When the history ends (RFC 3339): the server's clock starts here.
    pub now: String,
    /// Months of history.
    pub months: u32,
    /// Admin login and password (a bench data dir, not a production one).
    pub admin_login: String,
    /// Admin password.
    pub admin_password: String,
    /// Staff password.
    pub staff_password: String,
    /// The companies; order `id` belongs to `companies[(id - first_order_id) % len]`.
    pub companies: Vec<SeededCompany>,
    /// First seeded order id.
    pub first_order_id: i64,
    /// Last seeded order id.
    pub last_order_id: i64,
}

impl Manifest {
    /// Reads the manifest of `dir`, if it has one.
    pub fn read(dir: &Path) -> anyhow::Result<Option<Manifest>> {
        let p = dir.join(MANIFEST);
        if !p.exists() {
            return Ok(None);
        }
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        let m = serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))?;
        Ok(Some(m))
    }

    /// The company index of a seeded order.
    pub fn company_of(&self, id: i64) -> usize {
        ((id - self.first_order_id).rem_euclid(self.companies.len() as i64)) as usize
    }
}

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Order-number prefixes by utility.
fn prefix(utility: &str) -> &'static str {
    match utility {
        "heat" => "RL",
        "power" => "GD",
        "gas" => "RQ",
        _ => "GS",
    }
}

/// Runs `rexian bench seed`.
pub async fn run(a: SeedArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.orders > 0, "--orders must be at least 1");
    anyhow::ensure!(a.batch > 0, "--batch must be at least 1");
    anyhow::ensure!(
        (1..=120).contains(&a.months),
        "--months must be between 1 and 120"
    );
    anyhow::ensure!(
        a.open_permille.is_none_or(|p| p <= 1000),
        "--open-permille must be between 0 and 1000"
    );
    anyhow::ensure!(
        (1..=500).contains(&a.teams),
        "--teams must be between 1 and 500"
    );
    std::fs::create_dir_all(&a.data_dir)
        .with_context(|| format!("creating {}", a.data_dir.display()))?;
    let url = match a.database_url.as_deref().filter(|u| !u.is_empty()) {
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => u.to_owned(),
        Some(_) => anyhow::bail!("DATABASE_URL must be a postgres:// URL"),
        None => Store::sqlite_url(&a.data_dir),
    };
    let store = Store::connect(&url).await.context("connecting")?;
    store.migrate().await.context("applying migrations")?;
    let now = Utc::now();
    let t0 = Instant::now();
    let (companies, admin_login, admin_password) = organisation(&store, &a, now).await?;
    let staff = staff_ids(&store, &companies).await?;
    let first_id = store.seed_next_order_id().await?;
    let manifest = Manifest {
        now: now.to_rfc3339(),
        months: a.months,
        admin_login,
        admin_password,
        staff_password: STAFF_PASSWORD.into(),
        companies,
        first_order_id: first_id,
        last_order_id: first_id + a.orders as i64 - 1,
    };
    println!(
        "seed: {} companies, {} teams each; {} orders over {} months in transactions of {}",
        manifest.companies.len(),
        a.teams,
        a.orders,
        a.months,
        a.batch
    );

    // Generate on a thread of its own while the store writes the previous batch.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<SeedOrder>>(2);
    let gen = Generator::new(&manifest, &a, now, staff);
    let total = a.orders;
    let batch = a.batch;
    let producer = std::thread::spawn(move || {
        let mut g = gen;
        let mut i = 0u64;
        while i < total {
            let n = (total - i).min(batch as u64);
            let orders: Vec<SeedOrder> = (i..i + n).map(|k| g.order(k)).collect();
            i += n;
            if tx.blocking_send(orders).is_err() {
                break;
            }
        }
        g.counters()
    });
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} orders {per_sec} {elapsed} (eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let t = Instant::now();
    let mut written = 0u64;
    let mut rows = 0u64;
    while let Some(orders) = rx.recv().await {
        rows += orders
            .iter()
            .map(|o| 1 + o.events.len() + o.deadlines.len() + o.callbacks.len())
            .sum::<usize>() as u64;
        store
            .seed_orders(&orders)
            .await
            .with_context(|| format!("writing orders {}..", orders[0].id))?;
        written += orders.len() as u64;
        bar.set_position(written);
    }
    drop(rx);
    let counters = producer
        .join()
        .map_err(|_| anyhow::anyhow!("the generator panicked"))?;
    store
        .seed_finish(&counters)
        .await
        .context("writing counters")?;
    bar.finish();
    let secs = t.elapsed().as_secs_f64();
    store.close().await;
    std::fs::write(
        a.data_dir.join(MANIFEST),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )
    .context("writing the manifest")?;
    println!(
        "seeded {written} orders ({rows} rows) in {secs:.1} s: {:.0} orders/s, {:.0} rows/s; {:.1} s in all",
        written as f64 / secs,
        rows as f64 / secs,
        t0.elapsed().as_secs_f64()
    );
    if url.starts_with("sqlite:") {
        let mut size = 0u64;
        for f in ["rexian.db", "rexian.db-wal"] {
            size += std::fs::metadata(a.data_dir.join(f))
                .map(|m| m.len())
                .unwrap_or(0);
        }
        println!(
            "database size: {:.1} MiB ({:.0} bytes per order)",
            size as f64 / 1048576.0,
            size as f64 / written as f64
        );
    }
    println!(
        "orders {}..={}; log in as {} with the password in {}",
        manifest.first_order_id,
        manifest.last_order_id,
        manifest.admin_login,
        a.data_dir.join(MANIFEST).display()
    );
    Ok(())
}

/// Creates the companies, units and staff (as the bench setup does over HTTP).
async fn organisation(
    store: &Store,
    a: &SeedArgs,
    now: DateTime<Utc>,
) -> anyhow::Result<(Vec<SeededCompany>, String, String)> {
    let ms = now.timestamp_millis();
    let run = format!("{:x}", (ms as u64) ^ u64::from(std::process::id()));
    let staff_hash = rexian_server::auth::hash_password(STAFF_PASSWORD.into()).await?;
    let admin_password = rexian_server::auth::random_secret()[..16].to_owned();
    let admin_login = format!("s{run}-admin");
    let user = |login: String, role: &str, company: Option<i64>, unit: Option<i64>| NewUser {
        login,
        name: "压测员".into(),
        password_hash: staff_hash.clone(),
        roles: vec![role.into()],
        company_id: company,
        unit_id: unit,
        staff_no: None,
    };
    let mut admin = user(admin_login.clone(), "admin", None, None);
    admin.name = "压测管理员".into();
    admin.password_hash = rexian_server::auth::hash_password(admin_password.clone()).await?;
    store.create_user(&admin, None, ms).await?;
    let mut companies = Vec::new();
    for (utility, name) in data::UTILITIES {
        let c = NewCompany {
            name: format!("{name}{run}"),
            utility: (*utility).into(),
            policy: (*utility).into(),
            number_prefix: prefix(utility).into(),
        };
        let id = store.create_company(&c, None, ms).await?;
        if *utility == "heat" {
            store
                .set_season(id, "2025-11-15", "2026-03-15", None, ms)
                .await?;
        }
        let centre = store
            .create_unit(id, None, "客户服务中心", "centre", None, None, ms)
            .await?;
        let login = |what: &str| format!("s{run}-{utility}-{what}");
        for (what, role) in [
            ("agent", "agent"),
            ("dispatcher", "dispatcher"),
            ("callback", "callback_agent"),
        ] {
            store
                .create_user(&user(login(what), role, Some(id), Some(centre)), None, ms)
                .await?;
        }
        let mut teams = Vec::new();
        for t in 0..a.teams {
            let place = data::PLACES[t % data::PLACES.len()];
            let unit = store
                .create_unit(
                    id,
                    Some(centre),
                    &format!("{place}第{}维修班", t / data::PLACES.len() + 1),
                    "repair_team",
                    None,
                    None,
                    ms,
                )
                .await?;
            let who = login(&format!("handler{t}"));
            store
                .create_user(
                    &user(who.clone(), "unit_handler", Some(id), Some(unit)),
                    None,
                    ms,
                )
                .await?;
            teams.push((unit, who));
        }
        companies.push(SeededCompany {
            id,
            utility: (*utility).into(),
            agent: login("agent"),
            dispatcher: login("dispatcher"),
            callback: login("callback"),
            teams,
        });
    }
    Ok((companies, admin_login, admin_password))
}

/// Staff ids of one company, for the orders' actors.
struct Staff {
    agent: i64,
    dispatcher: i64,
    callback: i64,
    handlers: Vec<i64>,
}

/// Makes orders `0..N` in time order.
struct Generator {
    rng: Rng,
    companies: Vec<SeededCompany>,
    staff: Vec<Staff>,
    first_id: i64,
    now: i64,
    start: i64,
    step: f64,
    offset: FixedOffset,
    seqs: HashMap<(usize, String), i64>,
    open_permille: Option<u64>,
}

impl Generator {
    fn new(m: &Manifest, a: &SeedArgs, now: DateTime<Utc>, staff: Vec<Staff>) -> Generator {
        let span = Span::days(i64::from(a.months) * 365 / 12).num_milliseconds();
        let now = now.timestamp_millis();
        Generator {
            rng: Rng::new(a.seed),
            companies: m.companies.clone(),
            staff,
            first_id: m.first_order_id,
            now,
            start: now - span,
            step: span as f64 / a.orders as f64,
            offset: FixedOffset::east_opt(8 * 3600).expect("valid offset"),
            seqs: HashMap::new(),
            open_permille: a.open_permille,
        }
    }

    /// The counters the numbers used: (company id, local day, last seq).
    fn counters(self) -> Vec<(i64, String, i64)> {
        self.seqs
            .into_iter()
            .map(|((ci, day), seq)| (self.companies[ci].id, day, seq))
            .collect()
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.rng.next_u64() % 1000 < per_mille
    }

    /// A duration in `[lo, hi)` ms.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.rng.next_u64() % (hi - lo).max(1) as u64) as i64
    }

    fn order(&mut self, k: u64) -> SeedOrder {
        let id = self.first_id + k as i64;
        let ci = (k % self.companies.len() as u64) as usize;
        let at = self.start
            + (k as f64 * self.step) as i64
            + (self.rng.next_u64() % (self.step.max(1.0) as u64)) as i64;
        let at = at.min(self.now - 60_000);
        let utility = self.companies[ci].utility.clone();
        let body = data::order(&mut self.rng, "", &utility);
        let s = |v: &Value| v.as_str().map(str::to_owned);
        let category = s(&body["category"]).unwrap_or_default();
        let day = DateTime::from_timestamp_millis(at)
            .unwrap_or_default()
            .with_timezone(&self.offset)
            .date_naive();
        let seq = self.seqs.entry((ci, day.to_string())).or_insert(0);
        *seq += 1;
        let number = format!("{}{}-{:04}", prefix(&utility), day.format("%Y%m%d"), seq);
        let team = self.rng.below(self.companies[ci].teams.len());
        let unit = self.companies[ci].teams[team].0;
        let staff = &self.staff[ci];
        let (agent, dispatcher, callback_agent) = (
            Some(staff.agent),
            Some(staff.dispatcher),
            Some(staff.callback),
        );
        let handler = staff.handlers.get(team).copied();
        let first_responder = staff.agent;
        let needs_callback = matches!(category.as_str(), "repair" | "complaint" | "service");
        let mut o = SeedOrder {
            id,
            company_id: self.companies[ci].id,
            number,
            category: category.clone(),
            subtype: s(&body["subtype"]),
            channel: s(&body["channel"]).unwrap_or_default(),
            status: "closed".into(),
            unit_id: None,
            first_responder_id: first_responder,
            customer_name: s(&body["customer"]["name"]),
            customer_phone: s(&body["customer"]["phone"]),
            customer_address: s(&body["customer"]["address"]),
            customer_community: s(&body["customer"]["community"]),
            description: s(&body["description"]).unwrap_or_default(),
            callback_pref: if needs_callback {
                "required"
            } else {
                "optional"
            }
            .into(),
            created_at: at,
            updated_at: at,
            closed_at: None,
            events: Vec::new(),
            deadlines: Vec::new(),
            callbacks: Vec::new(),
        };
        o.events.push(SeedEvent {
            kind: "created".into(),
            actor_id: agent,
            at,
            data: json!({"category": category, "subtype": o.subtype, "channel": o.channel,
                "matter_id": null, "grade": null, "linked_order_id": null, "callback_at": null,
                "contact_id": null})
            .to_string(),
        });
        // Answered on the call.
        if let Some(answer) = body.get("resolved_at_once") {
            let closed = (at + self.between(60_000, 600_000)).min(self.now);
            o.closed_at = Some(closed);
            o.updated_at = closed;
            o.events.push(SeedEvent {
                kind: "closed".into(),
                actor_id: agent,
                at: closed,
                data: json!({"answered_at_once": answer["answer"]}).to_string(),
            });
            return o;
        }
        // The plan of a handled order; what lies after `now` has not happened yet.
        let age = self.now - at;
        let open = match (self.open_permille, age) {
            (Some(p), _) => self.chance(p),
            (None, a) if a < DAY => self.chance(700),
            (None, a) if a < 7 * DAY => self.chance(150),
            (None, _) => self.chance(3),
        };
        if !open && self.chance(10) {
            o.status = "cancelled".into();
            o.closed_at = Some(at + self.between(HOUR, DAY));
            o.updated_at = o.closed_at.unwrap_or(at);
            o.events.push(SeedEvent {
                kind: "cancelled".into(),
                actor_id: dispatcher,
                at: o.updated_at,
                data: json!({"reason": "用户已自行解决，撤单"}).to_string(),
            });
            return o;
        }
        let finish_limit = match category.as_str() {
            "repair" => DAY,
            "service" => 3 * DAY,
            "complaint" => 5 * DAY,
            _ => 7 * DAY,
        };
        let dispatch_at = at + self.between(120_000, 40 * 60_000);
        let missed_finish = self.chance(60);
        let finish_took = if missed_finish {
            finish_limit + self.between(HOUR, finish_limit)
        } else {
            self.between(finish_limit / 10, finish_limit * 19 / 20)
        };
        let reply_at = dispatch_at + finish_took;
        let late = if self.chance(30) { 3 * DAY } else { DAY };
        let callback_at = reply_at + self.between(HOUR, late);
        let close_at = callback_at + self.between(60_000, 30 * 60_000);
        // An old open order is stuck in progress, past its limit.
        let old_open = open && age >= 7 * DAY;
        let now = if old_open {
            at + finish_limit + DAY
        } else {
            self.now
        };
        let mut limits = vec![("dispatch", at, 30 * 60_000, dispatch_at, None)];
        if category == "repair" {
            let arrive_took = if self.chance(40) {
                2 * HOUR + self.between(60_000, 2 * HOUR)
            } else {
                self.between(20 * 60_000, 2 * HOUR - 60_000)
            };
            let arrive_at = (dispatch_at + arrive_took).min(reply_at);
            limits.push(("arrive", dispatch_at, 2 * HOUR, arrive_at, Some(unit)));
        }
        limits.push(("finish", dispatch_at, finish_limit, reply_at, Some(unit)));
        if needs_callback {
            limits.push(("callback", reply_at, 2 * DAY, callback_at, None));
        }
        for (kind, started, limit, done, unit_id) in limits {
            if started > now {
                continue;
            }
            let due = started + limit;
            let met_at = (done <= now).then_some(done);
            let (state, level) = match met_at {
                Some(m) if m <= due => ("met", 0),
                Some(_) => ("missed", 1),
                None if due <= self.now => ("missed", (self.now - due) / limit + 1),
                None => ("pending", 0),
            };
            let amber = started + limit * 4 / 5;
            o.deadlines.push(SeedDeadline {
                kind: kind.into(),
                unit_id,
                started_at: started,
                due_at: due,
                amber_at: amber,
                state: state.into(),
                active: open,
                met_at,
                amber_noted: amber <= self.now,
                level,
                limit_ms: limit,
            });
        }
        let step = |o: &mut SeedOrder, kind: &str, who: Option<i64>, t: i64, data: Value| {
            if t <= now {
                o.events.push(SeedEvent {
                    kind: kind.into(),
                    actor_id: who,
                    at: t,
                    data: data.to_string(),
                });
                o.updated_at = t;
                true
            } else {
                false
            }
        };
        o.status = "new".into();
        if step(
            &mut o,
            "dispatched",
            dispatcher,
            dispatch_at,
            json!({"unit_id": unit.to_string()}),
        ) {
            o.unit_id = Some(unit);
            o.status = "in_progress".into();
        }
        if step(
            &mut o,
            "replied",
            handler,
            reply_at,
            json!({"result": "已到现场处理完毕，用户确认恢复正常"}),
        ) {
            o.status = if needs_callback {
                "callback"
            } else {
                "replied"
            }
            .into();
        }
        if needs_callback && callback_at <= now {
            let reached = self.chance(950);
            let satisfaction = reached.then(|| {
                match self.rng.below(100) {
                    0..=79 => "satisfied",
                    80..=93 => "basic",
                    _ => "unsatisfied",
                }
                .to_owned()
            });
            o.callbacks.push(SeedCallback {
                agent_id: callback_agent,
                at: callback_at,
                reached,
                satisfaction,
                matches_reply: reached.then_some(true),
                note: Some(
                    if reached {
                        "用户表示问题已解决"
                    } else {
                        "无人接听"
                    }
                    .into(),
                ),
            });
        }
        if !open && step(&mut o, "closed", callback_agent, close_at, json!({})) {
            o.status = "closed".into();
            o.closed_at = Some(close_at);
        }
        if open && o.status == "closed" {
            o.status = "callback".into();
        }
        o
    }
}

/// The staff ids of each company, by login.
async fn staff_ids(store: &Store, companies: &[SeededCompany]) -> anyhow::Result<Vec<Staff>> {
    let mut out = Vec::new();
    for c in companies {
        let mut handlers = Vec::new();
        for (_, h) in &c.teams {
            handlers.push(store.user_by_login(h).await?.id);
        }
        out.push(Staff {
            agent: store.user_by_login(&c.agent).await?.id,
            dispatcher: store.user_by_login(&c.dispatcher).await?.id,
            callback: store.user_by_login(&c.callback).await?.id,
            handlers,
        });
    }
    Ok(out)
}
