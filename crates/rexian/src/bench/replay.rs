//! `replay`: the first day of Beijing's heating season (8,814 repair calls, 3,724 of them between
//! 07:00 and 09:00) at `--replay-speed` times real time, on a server of its own whose manual clock
//! the bench moves in small steps so that every timer runs. Each call becomes a repair order that
//! simulated staff take through its whole lifecycle, each step when its simulated time comes and
//! well inside the limits the order carries. At the end every order is read back and its missed
//! deadlines are counted.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::data::{self, Rng};
use super::http::{Conn, Target};
use super::scenarios::{self, Outcome, WorkerOut};
use super::stats::{self, merge_ops, ProcReading, Samples, Summary};

/// Repair calls of the real day.
pub const DAY_CALLS: u64 = 8_814;
/// Of which in the two peak hours.
pub const PEAK_CALLS: u64 = 3_724;
/// Sunday 15 November 2026, 00:00 in Beijing, the first day of the heating season: the replay's
/// server starts its manual clock here.
pub const DAY_START: &str = "2026-11-14T16:00:00Z";
const DAY: &str = "2026-11-15";
const SEASON_END: &str = "2027-03-15";
/// The peak window, local hours.
const PEAK: (i64, i64) = (7, 9);
const HOUR_MS: i64 = 3_600_000;
const MIN_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Beijing is UTC+8.
const OFFSET_MS: i64 = 8 * HOUR_MS;
/// Relative calls per hour outside the peak: quiet night, early rise, the day, the evening.
const HOUR_WEIGHTS: [f64; 24] = [
    0.8, 0.5, 0.3, 0.3, 0.3, 0.6, 2.5, 0.0, 0.0, 5.5, 5.0, 4.5, 3.5, 3.5, 3.5, 3.5, 3.5, 4.0, 4.5,
    5.0, 4.5, 3.5, 2.5, 1.5,
];
/// A lifecycle; index 0 is the intake.
const STEPS: [&str; 8] = super::LIFECYCLE;
/// Simulated staff act before this share of the time left to a limit (amber is at 80 %).
const CAP_SHARE: f64 = 0.6;
/// Shifts (三班): 00:00, 08:00, 16:00; everyone logs in again at each.
const SHIFT_MS: i64 = 8 * HOUR_MS;
/// Real time between clock moves.
const TICK: Duration = Duration::from_millis(50);
/// Heat stations, each with a handler; a community belongs to station `place % STATIONS`.
const STATIONS: usize = 12;
const AGENTS: usize = 8;
const DISPATCHERS: usize = 3;
const CALLBACK_AGENTS: usize = 4;
/// Callbacks only 08:00–21:00 (SPEC §4); the simulated agents keep a margin.
const CALLBACK_FROM_MS: i64 = 8 * HOUR_MS + 5 * MIN_MS;
const CALLBACK_UNTIL_MS: i64 = 20 * HOUR_MS + 45 * MIN_MS;
/// The replay gives up this long after the day's start (simulated).
const HARD_STOP_MS: i64 = 60 * HOUR_MS;

/// What the replay is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Calls in the day.
    pub calls: u64,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Seed of the call schedule.
    pub seed: u64,
    /// Connections (workers).
    pub connections: usize,
}

/// One call of the day.
#[derive(Debug, Clone)]
pub struct Call {
    /// Simulated milliseconds after 00:00 local.
    pub at: i64,
    /// Repair subtype.
    pub subtype: &'static str,
    /// Index of the station that serves the caller's community.
    pub station: usize,
    /// The order body without `company_id`.
    pub body: Value,
}

/// Calls inside the peak window for a day of `calls` calls (the real day's share).
pub fn peak_calls(calls: u64) -> u64 {
    (calls * PEAK_CALLS + DAY_CALLS / 2) / DAY_CALLS
}

fn unit_f64(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn between(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    lo + (rng.next_u64() % (hi - lo).max(1) as u64) as i64
}

/// The day's calls, sorted by time, from `seed`.
pub fn schedule(calls: u64, seed: u64) -> Vec<Call> {
    let mut rng = Rng::new(seed);
    let peak = peak_calls(calls);
    let mut times = Vec::with_capacity(calls as usize);
    let span = ((PEAK.1 - PEAK.0) * HOUR_MS) as f64;
    for _ in 0..peak {
        // Mostly even, with a bulge around 08:00 as households wake up to cold radiators.
        let u = if rng.below(10) < 3 {
            (unit_f64(&mut rng) + unit_f64(&mut rng)) / 2.0
        } else {
            unit_f64(&mut rng)
        };
        times.push(PEAK.0 * HOUR_MS + ((u * span) as i64).min(span as i64 - 1));
    }
    // The rest by hour, shares rounded by largest remainder.
    let rest = calls - peak;
    let total: f64 = HOUR_WEIGHTS.iter().sum();
    let exact: Vec<f64> = HOUR_WEIGHTS
        .iter()
        .map(|w| rest as f64 * w / total)
        .collect();
    let mut counts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = rest - counts.iter().sum::<u64>();
    let mut by_remainder: Vec<usize> = (0..24).filter(|h| HOUR_WEIGHTS[*h] > 0.0).collect();
    by_remainder.sort_by(|a, b| {
        (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor()))
    });
    for h in by_remainder.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[*h] += 1;
        left -= 1;
    }
    for (h, n) in counts.iter().enumerate() {
        for _ in 0..*n {
            times.push(h as i64 * HOUR_MS + between(&mut rng, 0, HOUR_MS));
        }
    }
    times.sort_unstable();
    times.into_iter().map(|at| call(&mut rng, at)).collect()
}

const ROOMS: &[&str] = &["卧室", "客厅", "厨房", "卫生间", "书房", "次卧"];
const NOT_WARM: &[&str] = &[
    "今天开始供暖了，家里暖气片还是凉的",
    "{room}暖气不热，室温只有{t}度，家里有老人孩子",
    "暖气片上热下凉，怀疑有空气，需要放气",
    "整个单元暖气都不热，回水管冰凉",
    "暖气只有进水管是热的，暖气片不热",
    "家里{room}暖气不热，其他房间正常",
    "新换的暖气片不热，阀门已经打开了",
    "顶楼暖气不热，室温{t}度",
];
const LEAKS: &[&str] = &[
    "{room}暖气片接口漏水，地面已积水",
    "暖气阀门滴水，用盆接着",
    "楼道供热管道跑水，冒热气",
    "{room}暖气片放气阀关不上，一直往外喷水",
    "楼上暖气漏水，渗到我家{room}顶棚",
    "地下室供热管道漏水，水漫到楼道了",
    "试水时{room}暖气片爆裂，正在往外喷水",
];
const OTHER: &[&str] = &[
    "暖气阀门拧不动，无法调节",
    "暖气管道有很响的敲击声和流水声",
    "暖气片固定架松动，暖气片往下坠",
    "户内供热阀门被锁，开不开",
    "暖气温控阀坏了，温度调不了",
];
const CHANNELS: &[(&str, usize)] = &[("phone", 80), ("wechat", 8), ("gov12345", 8), ("app", 4)];

fn call(rng: &mut Rng, at: i64) -> Call {
    let (subtype, texts) = match rng.below(100) {
        0..=54 => ("not_warm", NOT_WARM),
        55..=84 => ("leak", LEAKS),
        _ => ("other", OTHER),
    };
    let text = *rng.pick(texts);
    let room = *rng.pick(ROOMS);
    let description = text
        .replace("{room}", room)
        .replace("{t}", &(12 + rng.below(5)).to_string());
    let mut x = rng.below(100);
    let mut channel = CHANNELS[0].0;
    for (name, w) in CHANNELS {
        if x < *w {
            channel = name;
            break;
        }
        x -= w;
    }
    let place = rng.below(data::PLACES.len());
    let community = format!("{}{}", data::PLACES[place], rng.pick(data::SUFFIXES));
    let address = format!(
        "{community}{}号楼{}单元{}室",
        1 + rng.below(30),
        1 + rng.below(6),
        101 + rng.below(24) * 100 + rng.below(4)
    );
    let phone = format!(
        "1{}{:09}",
        rng.pick(&["3", "5", "8"]),
        rng.next_u64() % 1_000_000_000
    );
    let name = format!(
        "{}{}",
        rng.pick(data::SURNAMES),
        rng.pick(&["先生", "女士"])
    );
    Call {
        at,
        subtype,
        station: place % STATIONS,
        body: json!({
            "category": "repair", "subtype": subtype, "channel": channel,
            "description": description, "callback": "required",
            "customer": {"name": name, "phone": phone, "address": address, "community": community},
        }),
    }
}

/// Simulated time from one step to the next, ms: prompt but human.
fn delay(next: usize, subtype: &str, rng: &mut Rng) -> i64 {
    let (lo, hi) = match (STEPS[next], subtype) {
        ("dispatch", _) => (1, 5),
        ("accept", _) => (1, 4),
        ("arrive", "leak") => (8, 16),
        ("arrive", "not_warm") => (30, 180),
        ("arrive", _) => (30, 120),
        ("reply", _) => (20, 90),
        ("review", _) => (3, 20),
        ("callbacks", _) => (20, 180),
        _ => (1, 5),
    };
    between(rng, lo * MIN_MS, hi * MIN_MS)
}

/// Deadline kinds a step meets (the product's workflow).
fn meets(step: usize) -> &'static [&'static str] {
    match STEPS[step] {
        "dispatch" => &["dispatch"],
        "accept" => &["contact"],
        "arrive" => &["contact", "arrive"],
        "reply" => &["contact", "arrive", "finish"],
        "callbacks" => &["callback"],
        "close" => &["callback", "close"],
        _ => &[],
    }
}

fn parse_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The earliest pending deadline of `kinds` in an order's JSON.
fn earliest_due(order: &Value, kinds: &[&str]) -> Option<i64> {
    order["deadlines"]
        .as_array()?
        .iter()
        .filter(|d| d["state"] == "pending")
        .filter(|d| d["kind"].as_str().is_some_and(|k| kinds.contains(&k)))
        .filter_map(|d| d["due_at"].as_str().and_then(parse_ms))
        .min()
}

/// Moves a callback into the hours it is allowed (08:00–21:00 local), spread over the morning.
fn callback_time(at: i64, rng: &mut Rng) -> i64 {
    let local = at + OFFSET_MS;
    let day = local.div_euclid(DAY_MS) * DAY_MS;
    let tod = local.rem_euclid(DAY_MS);
    let spread = between(rng, 0, 90 * MIN_MS);
    if tod < CALLBACK_FROM_MS {
        day + CALLBACK_FROM_MS + spread - OFFSET_MS
    } else if tod > CALLBACK_UNTIL_MS {
        day + DAY_MS + CALLBACK_FROM_MS + spread - OFFSET_MS
    } else {
        at
    }
}

/// A member of staff and their current token.
struct User {
    login: String,
    password: String,
    token: tokio::sync::Mutex<String>,
}

/// The replay's heating company and its staff (indices into `users`).
struct Staff {
    admin: usize,
    company: String,
    run: String,
    users: Vec<User>,
    agents: Vec<usize>,
    dispatchers: Vec<usize>,
    callbacks: Vec<usize>,
    /// (unit id, its handler).
    stations: Vec<(String, usize)>,
}

impl Staff {
    async fn token(&self, user: usize) -> String {
        self.users[user].token.lock().await.clone()
    }

    fn add(&mut self, login: String, password: &str, token: String) -> usize {
        self.users.push(User {
            login,
            password: password.to_owned(),
            token: tokio::sync::Mutex::new(token),
        });
        self.users.len() - 1
    }
}

async fn setup(target: &Target, admin_password: &str) -> anyhow::Result<Staff> {
    let mut c = Conn::new(target);
    scenarios::wait_healthy(&mut c).await?;
    let admin = scenarios::login(&mut c, "admin", admin_password).await?;
    let run = format!(
        "{:x}",
        (chrono::Utc::now().timestamp_millis() as u64) ^ u64::from(std::process::id())
    );
    let body = json!({"name": format!("北京压测热力集团{run}"), "utility": "heat"});
    let r = c
        .call("POST", "/api/v1/companies", Some(&admin), Some(&body), None)
        .await;
    let company = scenarios::id_of(&scenarios::expect(r, "create company", &[201]).await?)?;
    let body = json!({"start": DAY, "end": SEASON_END});
    let r = c
        .call(
            "PUT",
            &format!("/api/v1/companies/{company}/season"),
            Some(&admin),
            Some(&body),
            None,
        )
        .await;
    scenarios::expect(r, "set season", &[200, 204]).await?;
    let centre =
        scenarios::create_unit(&mut c, &admin, &company, "客户服务中心".into(), "centre").await?;
    let mut staff = Staff {
        admin: 0,
        company: company.clone(),
        run: run.clone(),
        users: Vec::new(),
        agents: Vec::new(),
        dispatchers: Vec::new(),
        callbacks: Vec::new(),
        stations: Vec::new(),
    };
    staff.admin = staff.add("admin".into(), admin_password, admin.clone());
    let pw = scenarios::STAFF_PASSWORD;
    for (n, role) in [
        (AGENTS, "agent"),
        (DISPATCHERS, "dispatcher"),
        (CALLBACK_AGENTS, "callback_agent"),
    ] {
        for i in 0..n {
            let who = format!("r{run}-{role}{i}");
            let token = scenarios::create_user(&mut c, &admin, who.clone(), role, &centre).await?;
            let u = staff.add(who, pw, token);
            match role {
                "agent" => staff.agents.push(u),
                "dispatcher" => staff.dispatchers.push(u),
                _ => staff.callbacks.push(u),
            }
        }
    }
    for (i, place) in data::PLACES.iter().take(STATIONS).enumerate() {
        let name = format!("{place}换热站");
        let unit = scenarios::create_unit(&mut c, &admin, &company, name, "station").await?;
        let who = format!("r{run}-station{i}");
        let token =
            scenarios::create_user(&mut c, &admin, who.clone(), "unit_handler", &unit).await?;
        let u = staff.add(who, pw, token);
        staff.stations.push((unit, u));
    }
    Ok(staff)
}

/// One step of one lifecycle, due at simulated `at` (ms since the epoch).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Job {
    at: i64,
    seq: u64,
    call: usize,
    step: usize,
    order: Option<String>,
}

struct Shared {
    target: Target,
    staff: Staff,
    calls: Vec<Call>,
    seed: u64,
    speed: f64,
    /// 00:00 of the day, simulated ms since the epoch.
    start_ms: i64,
    /// Real start.
    t0: Instant,
    /// The server's clock as its last move answered.
    server_now: AtomicI64,
    heap: Mutex<BinaryHeap<Reverse<Job>>>,
    in_flight: AtomicU64,
    seq: AtomicU64,
    created: AtomicU64,
    closed: AtomicU64,
    failed: AtomicU64,
    relogins: AtomicU64,
    shift_logins: AtomicU64,
    clock_failed: AtomicBool,
}

impl Shared {
    /// Where the simulated clock should be now: the start plus `speed` times the real time.
    fn ideal_now(&self) -> i64 {
        self.start_ms + (self.t0.elapsed().as_secs_f64() * self.speed * 1000.0) as i64
    }

    /// One call as `user`; when the token has expired anyway (tokens live 12 h; see
    /// [`shift_change`]), logs in again and tries once more. Returns the answer and the last attempt's latency.
    async fn call(
        &self,
        c: &mut Conn,
        user: usize,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> anyhow::Result<(super::http::Resp, Duration)> {
        let token = self.staff.token(user).await;
        let t = Instant::now();
        let r = c.call(method, path, Some(&token), body, key).await?;
        if r.status != 401 {
            return Ok((r, t.elapsed()));
        }
        let u = &self.staff.users[user];
        let mut held = u.token.lock().await;
        let fresh = if *held == token {
            let fresh = scenarios::login(c, &u.login, &u.password).await?;
            *held = fresh.clone();
            self.relogins.fetch_add(1, Ordering::Relaxed);
            fresh
        } else {
            // Another worker logged in meanwhile.
            held.clone()
        };
        drop(held);
        let t = Instant::now();
        let r = c.call(method, path, Some(&fresh), body, key).await?;
        Ok((r, t.elapsed()))
    }

    fn push(&self, job: Job) {
        self.heap
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Reverse(job));
    }
}

/// What one worker hands back.
#[derive(Default)]
struct Worked {
    out: WorkerOut,
    /// (call, step, lag ms): simulated time between when a step was due and when it was sent.
    lags: Vec<(usize, usize, i64)>,
    /// (call, order id).
    orders: Vec<(usize, String)>,
    abandoned: u64,
    /// Steps retried after a 409 conflict.
    conflicts: u64,
}

async fn worker(
    sh: Arc<Shared>,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Job>>>,
) -> Worked {
    let mut w = Worked::default();
    let mut c = Conn::new(&sh.target);
    loop {
        let job = rx.lock().await.recv().await;
        let Some(job) = job else { break };
        if let Some(next) = step(&sh, &mut c, &mut w, job).await {
            sh.push(next);
        }
        // After the follow-up is queued, so that the scheduler never sees an idle moment.
        sh.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
    w
}

/// Sends one step; returns the lifecycle's next step.
async fn step(sh: &Shared, c: &mut Conn, w: &mut Worked, job: Job) -> Option<Job> {
    let call = &sh.calls[job.call];
    let s = &sh.staff;
    let op = STEPS[job.step];
    let mut rng = Rng::new(
        sh.seed ^ ((job.call as u64) << 4 | job.step as u64).wrapping_mul(0x2545_F491_4F6C_DD1D),
    );
    let (handler, dispatcher, callback) = (
        s.stations[call.station].1,
        s.dispatchers[job.call % s.dispatchers.len()],
        s.callbacks[job.call % s.callbacks.len()],
    );
    let key = format!("{}-r{}", s.run, job.call);
    let (path, token, body, key) = match (op, &job.order) {
        ("create", _) => {
            let mut b = call.body.clone();
            b["company_id"] = json!(s.company);
            let agent = s.agents[job.call % s.agents.len()];
            ("/api/v1/orders".to_owned(), agent, b, Some(key.as_str()))
        }
        (_, Some(id)) => {
            let (token, body) = match op {
                "dispatch" => (dispatcher, json!({"unit_id": s.stations[call.station].0})),
                "accept" | "arrive" => (handler, json!({})),
                "reply" => (
                    handler,
                    json!({"result": reply_text(call.subtype, &mut rng), "paid": false}),
                ),
                "review" => (dispatcher, json!({"approved": true})),
                "callbacks" => {
                    let satisfaction = match rng.below(100) {
                        0..=84 => "satisfied",
                        85..=96 => "basic",
                        _ => "unsatisfied",
                    };
                    (
                        callback,
                        json!({"reached": true, "satisfaction": satisfaction,
                        "matches_reply": true, "note": "用户确认已修好，暖气正常"}),
                    )
                }
                _ => (callback, json!({})),
            };
            (format!("/api/v1/orders/{id}/{op}"), token, body, None)
        }
        (_, None) => return None,
    };
    w.lags
        .push((job.call, job.step, (sh.ideal_now() - job.at).max(0)));
    let mut answer = sh.call(c, token, "POST", &path, Some(&body), key).await;
    // A timer that changed the order at the same moment: reload and retry, as the UI asks.
    for _ in 0..3 {
        match &answer {
            Ok((r, _)) if r.status == 409 && r.json()["error"]["code"] == "conflict" => {
                w.conflicts += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
                answer = sh.call(c, token, "POST", &path, Some(&body), key).await;
            }
            _ => break,
        }
    }
    let v = match answer {
        Ok((r, took)) if r.status == 200 || r.status == 201 => {
            w.out.ops.entry(op).or_default().ok(took);
            r.json()
        }
        Ok((r, _)) => {
            let msg = format!("call {}: HTTP {} {}", job.call, r.status, r.snippet());
            return give_up(sh, w, op, msg);
        }
        Err(e) => return give_up(sh, w, op, format!("call {}: {e:#}", job.call)),
    };
    let order = match &job.order {
        Some(id) => id.clone(),
        None => match scenarios::id_of(&v) {
            Ok(id) => {
                sh.created.fetch_add(1, Ordering::Relaxed);
                w.orders.push((job.call, id.clone()));
                id
            }
            Err(e) => return give_up(sh, w, op, e.to_string()),
        },
    };
    let next = job.step + 1;
    if next == STEPS.len() {
        w.out.done += 1;
        sh.closed.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    // When this step happened on the server's clock; the next one follows, inside its limits.
    let base = job.at.max(sh.server_now.load(Ordering::SeqCst));
    let mut at = base + delay(next, call.subtype, &mut rng);
    if let Some(due) = earliest_due(&v, meets(next)) {
        if due > base {
            at = at.min(base + ((due - base) as f64 * CAP_SHARE) as i64);
        }
    }
    if STEPS[next] == "callbacks" {
        at = callback_time(at, &mut rng);
    }
    Some(Job {
        at,
        seq: sh.seq.fetch_add(1, Ordering::Relaxed),
        call: job.call,
        step: next,
        order: Some(order),
    })
}

fn give_up(sh: &Shared, w: &mut Worked, op: &'static str, msg: String) -> Option<Job> {
    w.out.fail(op, msg);
    w.abandoned += 1;
    sh.failed.fetch_add(1, Ordering::Relaxed);
    None
}

fn reply_text(subtype: &str, rng: &mut Rng) -> String {
    match subtype {
        "not_warm" => format!(
            "已入户排气并清洗过滤网，暖气片恢复正常，测得室温{}度，用户确认",
            18 + rng.below(4)
        ),
        "leak" => "已关阀更换暖气片接口垫片，试压不漏，现场已清理，用户确认".to_owned(),
        _ => "已入户检修并更换阀门，调试正常，用户确认".to_owned(),
    }
}

/// Every member of staff logs in at the start of their shift (tokens live 12 h).
async fn shift_change(sh: Arc<Shared>) {
    let mut c = Conn::new(&sh.target);
    for u in &sh.staff.users {
        match scenarios::login(&mut c, &u.login, &u.password).await {
            Ok(t) => {
                *u.token.lock().await = t;
                sh.shift_logins.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => eprintln!("replay: shift change: {e:#}"),
        }
    }
}

/// Moves the server's clock to `start + speed × real time` every [`TICK`], so that every timer
/// falls due on time; returns each move's latency and the largest lag of the server's clock
/// behind the simulated time, ms.
async fn drive_clock(sh: Arc<Shared>, stop: Arc<AtomicBool>) -> (Samples, i64) {
    let mut c = Conn::new(&sh.target);
    let mut s = Samples::default();
    let mut max_lag = 0;
    let mut failures = 0;
    let mut next_shift = sh.start_ms + SHIFT_MS;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        if sh.server_now.load(Ordering::SeqCst) >= next_shift {
            next_shift += SHIFT_MS;
            tokio::spawn(shift_change(sh.clone()));
        }
        let secs = (sh.ideal_now() - sh.server_now.load(Ordering::SeqCst)) / 1000;
        if secs < 1 {
            continue;
        }
        let body = json!({"seconds": secs});
        let path = "/api/v1/admin/clock/advance";
        let r = sh
            .call(&mut c, sh.staff.admin, "POST", path, Some(&body), None)
            .await;
        let now = match &r {
            Ok((r, _)) if r.status == 200 => r.json()["now"].as_str().and_then(parse_ms),
            _ => None,
        };
        match (now, r) {
            (Some(now), Ok((_, took))) => {
                s.ok(took);
                failures = 0;
                sh.server_now.store(now, Ordering::SeqCst);
                max_lag = max_lag.max(sh.ideal_now() - now);
            }
            (_, r) => {
                s.errors += 1;
                failures += 1;
                if failures >= 50 {
                    let why = match r {
                        Ok((r, _)) => format!("HTTP {} {}", r.status, r.snippet()),
                        Err(e) => format!("{e:#}"),
                    };
                    eprintln!("replay: the server's clock cannot be moved: {why}");
                    sh.clock_failed.store(true, Ordering::SeqCst);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    (s, max_lag)
}

/// A deadline the server reports missed.
#[derive(Debug, Clone, Serialize)]
pub struct Missed {
    /// Order number.
    pub number: String,
    /// Deadline kind.
    pub kind: String,
    /// Due at (RFC 3339).
    pub due_at: String,
    /// Order status at the end.
    pub status: String,
    /// How late the bench sent the step that meets it (simulated seconds; None: never sent).
    pub step_lag_s: Option<f64>,
}

/// Simulated seconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Lag {
    /// Median.
    pub p50_s: f64,
    /// 99th percentile.
    pub p99_s: f64,
    /// Largest.
    pub max_s: f64,
}

fn lag_of(mut v: Vec<i64>) -> Lag {
    if v.is_empty() {
        return Lag::default();
    }
    v.sort_unstable();
    let q = |p: f64| {
        let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
        stats::round3(v[rank - 1] as f64 / 1000.0)
    };
    Lag {
        p50_s: q(0.5),
        p99_s: q(0.99),
        max_s: q(1.0),
    }
}

/// The replay's own figures, next to the usual per-operation ones.
#[derive(Debug, Serialize)]
pub struct Figures {
    /// The simulated day (local date).
    pub day: &'static str,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Seed of the call schedule.
    pub seed: u64,
    /// Calls in the schedule.
    pub calls_scheduled: u64,
    /// Of which in the peak window.
    pub peak_calls: u64,
    /// The peak window, local time.
    pub peak_window: &'static str,
    /// Orders the bench tried to create.
    pub calls_made: u64,
    /// Orders created.
    pub orders_created: u64,
    /// Lifecycle steps done after intake.
    pub steps_done: u64,
    /// Lifecycles that reached `close`.
    pub lifecycles_closed: u64,
    /// Lifecycles dropped after a failed call.
    pub lifecycles_abandoned: u64,
    /// Steps still waiting when the replay stopped (0 unless it hit its time limit).
    pub steps_unsent: u64,
    /// Failed HTTP calls (lifecycle and clock).
    pub http_errors: u64,
    /// Simulated hours from 00:00 to the last step.
    pub simulated_hours: f64,
    /// Real seconds the replay took.
    pub real_seconds: f64,
    /// Intake latency.
    pub intake: Summary,
    /// Latency of all lifecycle steps after intake.
    pub steps: Summary,
    /// How late calls were sent after their scheduled time.
    pub call_lag: Lag,
    /// How late lifecycle steps were sent after their scheduled time.
    pub step_lag: Lag,
    /// Largest lag of the server's clock behind the simulated time, seconds.
    pub clock_lag_max_s: f64,
    /// Clock moves (`POST /admin/clock/advance`, which runs every due timer).
    pub clock_moves: Summary,
    /// Deadlines read back from the orders at the end: kind → state → count.
    pub deadlines: BTreeMap<String, BTreeMap<String, u64>>,
    /// Deadlines the server reports missed.
    pub deadlines_missed: u64,
    /// Deadlines that turned amber (80 % of the time used) on the way.
    pub amber_events: u64,
    /// Supervision notices of the replay's company (`GET /api/v1/supervision`, at most 500).
    pub supervision_notices: u64,
    /// The first missed deadlines, with how late the bench sent the step.
    pub missed: Vec<Missed>,
    /// Orders that could not be read back.
    pub readback_errors: u64,
    /// The server's largest RSS sampled (about once a second) during the day, MiB, and when
    /// (local simulated time); the read-back is not included.
    pub server_rss_top_mib: f64,
    /// See `server_rss_top_mib`.
    pub server_rss_top_at: String,
    /// The largest heap (RssAnon) sampled during the day, MiB, and when.
    pub server_heap_top_mib: f64,
    /// See `server_heap_top_mib`.
    pub server_heap_top_at: String,
    /// The largest mapped-file part of the RSS (RSS - heap) sampled during the day, MiB, when,
    /// and the files that held most of it then (MiB).
    pub server_mapped_top_mib: f64,
    /// See `server_mapped_top_mib`.
    pub server_mapped_top_at: String,
    /// See `server_mapped_top_mib`.
    pub server_mapped_top_files: Vec<(String, f64)>,
    /// Staff logins at the shift changes (08:00, 16:00, 00:00).
    pub shift_logins: u64,
    /// Logins after a token had expired anyway (0 when the shift changes keep up).
    pub relogins: u64,
    /// Steps retried after `409 conflict` (a timer changed the order at the same moment).
    pub conflict_retries: u64,
}

/// The replay's result.
pub struct Ran {
    /// Per-operation figures.
    pub outcome: Outcome,
    /// The replay's own figures.
    pub figures: Figures,
    /// The server once the company is set up.
    pub after_setup: Option<ProcReading>,
    /// The server when the day starts and when the last lifecycle is done.
    pub server_before: Option<ProcReading>,
    /// See `server_before`.
    pub server_after: Option<ProcReading>,
    /// The bench itself at the same moments.
    pub me_before: Option<ProcReading>,
    /// See `me_before`.
    pub me_after: Option<ProcReading>,
}

/// Runs the replay against a server the bench started with its clock at [`DAY_START`].
pub async fn run(
    url: &str,
    admin_password: &str,
    pid: Option<u32>,
    set: Settings,
) -> anyhow::Result<Ran> {
    anyhow::ensure!(set.speed > 0.0, "--replay-speed must be positive");
    anyhow::ensure!(set.calls > 0, "--replay-calls must be at least 1");
    let target = Target::parse(url).await?;
    let t = Instant::now();
    let staff = setup(&target, admin_password).await?;
    let after_setup = pid.and_then(stats::read_proc);
    let calls = schedule(set.calls, set.seed);
    let peak = peak_calls(set.calls);
    println!(
        "replay: {DAY} (first day of the heating season), {} repair calls ({peak} in {:02}:00-{:02}:00), {} stations; {}x real time, {} connections (setup {:.1} s)",
        calls.len(),
        PEAK.0,
        PEAK.1,
        STATIONS,
        set.speed,
        set.connections,
        t.elapsed().as_secs_f64()
    );
    // The clock at 00:00 of the day (the server started there; setting it again is harmless).
    let mut c = Conn::new(&target);
    let r = c
        .call(
            "PUT",
            "/api/v1/admin/clock",
            Some(&staff.token(staff.admin).await),
            Some(&json!({"now": DAY_START})),
            None,
        )
        .await;
    let v = scenarios::expect(r, "set the clock", &[200]).await?;
    let start_ms = v["now"]
        .as_str()
        .and_then(parse_ms)
        .context("no `now` in the clock answer")?;
    let mut heap = BinaryHeap::with_capacity(calls.len());
    for (i, call) in calls.iter().enumerate() {
        heap.push(Reverse(Job {
            at: start_ms + call.at,
            seq: i as u64,
            call: i,
            step: 0,
            order: None,
        }));
    }
    let sh = Arc::new(Shared {
        target: target.clone(),
        staff,
        calls,
        seed: set.seed,
        speed: set.speed,
        start_ms,
        t0: Instant::now(),
        server_now: AtomicI64::new(start_ms),
        heap: Mutex::new(heap),
        in_flight: AtomicU64::new(0),
        seq: AtomicU64::new(set.calls),
        created: AtomicU64::new(0),
        closed: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        relogins: AtomicU64::new(0),
        shift_logins: AtomicU64::new(0),
        clock_failed: AtomicBool::new(false),
    });
    let server_before = pid.and_then(stats::read_proc);
    let me_before = stats::read_proc(std::process::id());
    let stop = Arc::new(AtomicBool::new(false));
    let clock = tokio::spawn(drive_clock(sh.clone(), stop.clone()));
    let (tx, rx) = mpsc::unbounded_channel();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let workers: Vec<_> = (0..set.connections.max(1))
        .map(|_| tokio::spawn(worker(sh.clone(), rx.clone())))
        .collect();
    // The schedule: hand every step to the workers once the server's clock reaches it.
    let mut next_report = start_ms + 2 * HOUR_MS;
    let mut last_at = start_ms;
    let mut unsent = 0;
    let mut polls = 0u64;
    let mut rss_top = (0.0, start_ms);
    let mut heap_top = (0.0, start_ms);
    let mut mapped_top = (0.0, start_ms, Vec::new());
    loop {
        let idle = sh.in_flight.load(Ordering::SeqCst) == 0;
        let now = sh.server_now.load(Ordering::SeqCst);
        {
            let mut heap = sh.heap.lock().unwrap_or_else(|p| p.into_inner());
            if idle && heap.is_empty() {
                break;
            }
            if sh.ideal_now() > start_ms + HARD_STOP_MS || sh.clock_failed.load(Ordering::SeqCst) {
                unsent = heap.len() as u64;
                break;
            }
            while heap.peek().is_some_and(|j| j.0.at <= now) {
                let Some(Reverse(job)) = heap.pop() else {
                    break;
                };
                last_at = last_at.max(job.at);
                sh.in_flight.fetch_add(1, Ordering::SeqCst);
                if tx.send(job).is_err() {
                    sh.in_flight.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
        // The server's memory about once a second: when it peaks says what drives it.
        polls += 1;
        let reading = polls
            .is_multiple_of(200)
            .then(|| pid.and_then(stats::read_proc))
            .flatten();
        if let Some(p) = reading {
            if p.rss_mib > rss_top.0 {
                rss_top = (p.rss_mib, now);
            }
            if p.anon_mib > heap_top.0 {
                heap_top = (p.anon_mib, now);
            }
            if p.rss_mib - p.anon_mib > mapped_top.0 + 1.0 {
                let files = pid.map(|p| top_mappings(p, 4)).unwrap_or_default();
                mapped_top = (p.rss_mib - p.anon_mib, now, files);
            }
        }
        if now >= next_report {
            println!(
                "  {} — {} orders created, {} closed, {} failed, {} steps waiting; server RSS {}",
                local_time(now),
                sh.created.load(Ordering::Relaxed),
                sh.closed.load(Ordering::Relaxed),
                sh.failed.load(Ordering::Relaxed),
                sh.heap.lock().map(|h| h.len()).unwrap_or(0)
                    + sh.in_flight.load(Ordering::Relaxed) as usize,
                pid.and_then(stats::read_proc)
                    .map_or(String::new(), |p| format!(
                        "{:.0} MiB (heap {:.0})",
                        p.rss_mib, p.anon_mib
                    ))
            );
            next_report += 2 * HOUR_MS;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = sh.t0.elapsed().as_secs_f64();
    let server_after = pid.and_then(stats::read_proc);
    let me_after = stats::read_proc(std::process::id());
    drop(tx);
    let mut out = Outcome::default();
    let mut lags = Vec::new();
    let mut orders = Vec::new();
    let mut abandoned = 0;
    let mut conflicts = 0;
    for w in workers {
        let w = w.await.context("a replay worker panicked")?;
        merge_ops(&mut out.ops, w.out.ops);
        if out.failures.len() < 5 {
            out.failures.extend(w.out.failures);
        }
        out.done += w.out.done;
        lags.extend(w.lags);
        orders.extend(w.orders);
        abandoned += w.abandoned;
        conflicts += w.conflicts;
    }
    stop.store(true, Ordering::Relaxed);
    let (moves, clock_lag) = clock.await.context("the clock driver panicked")?;
    anyhow::ensure!(
        !sh.clock_failed.load(Ordering::SeqCst),
        "the replay stopped: the server's clock could not be moved"
    );
    out.seconds = seconds;
    let end_now = sh.server_now.load(Ordering::SeqCst);
    println!(
        "  {} — the last lifecycle is done ({:.0} s real); reading the orders back",
        local_time(end_now),
        seconds
    );

    // Read every order back: its deadlines as the server keeps them.
    let t = Instant::now();
    let back = read_back(&sh, &orders, set.connections.clamp(1, 16)).await;
    let notices = supervision(&sh).await;
    let lag_by: HashMap<(usize, usize), i64> =
        lags.iter().map(|(c, s, l)| ((*c, *s), *l)).collect();
    let mut missed = back.missed;
    for m in &mut missed {
        let (call, kind) = (m.0, m.1.kind.as_str());
        // The first step that meets the kind.
        let step = (1..STEPS.len()).find(|s| meets(*s).contains(&kind));
        m.1.step_lag_s = step
            .and_then(|s| lag_by.get(&(call, s)))
            .map(|l| stats::round3(*l as f64 / 1000.0));
    }
    println!(
        "  read back {} orders in {:.1} s",
        orders.len(),
        t.elapsed().as_secs_f64()
    );
    let summary_of = |pred: &dyn Fn(&str) -> bool| {
        let mut s = Samples::default();
        for (k, v) in &out.ops {
            if pred(k) {
                s.merge(v.clone());
            }
        }
        s.summary(seconds)
    };
    let intake = summary_of(&|k| k == "create");
    let steps = summary_of(&|k| k != "create");
    let deadlines_missed = back
        .deadlines
        .values()
        .filter_map(|m| m.get("missed"))
        .sum();
    let call_lags = lags
        .iter()
        .filter(|(_, s, _)| *s == 0)
        .map(|x| x.2)
        .collect();
    let step_lags = lags
        .iter()
        .filter(|(_, s, _)| *s > 0)
        .map(|x| x.2)
        .collect();
    out.ops.insert("sweep", moves.clone());
    let figures = Figures {
        day: DAY,
        speed: set.speed,
        seed: set.seed,
        calls_scheduled: set.calls,
        peak_calls: peak,
        peak_window: "07:00-09:00",
        calls_made: intake.count + intake.errors,
        orders_created: orders.len() as u64,
        steps_done: steps.count,
        lifecycles_closed: out.done,
        lifecycles_abandoned: abandoned,
        steps_unsent: unsent,
        http_errors: intake.errors + steps.errors + moves.errors,
        simulated_hours: stats::round3((last_at - start_ms) as f64 / HOUR_MS as f64),
        real_seconds: stats::round3(seconds),
        intake,
        steps,
        call_lag: lag_of(call_lags),
        step_lag: lag_of(step_lags),
        clock_lag_max_s: stats::round3(clock_lag as f64 / 1000.0),
        clock_moves: moves.summary(seconds),
        deadlines: back.deadlines,
        deadlines_missed,
        amber_events: back.amber,
        supervision_notices: notices,
        missed: missed.into_iter().map(|m| m.1).collect(),
        readback_errors: back.errors,
        server_rss_top_mib: stats::round3(rss_top.0),
        server_rss_top_at: local_time(rss_top.1),
        server_heap_top_mib: stats::round3(heap_top.0),
        server_heap_top_at: local_time(heap_top.1),
        server_mapped_top_mib: stats::round3(mapped_top.0),
        server_mapped_top_at: local_time(mapped_top.1),
        server_mapped_top_files: mapped_top.2,
        shift_logins: sh.shift_logins.load(Ordering::Relaxed),
        relogins: sh.relogins.load(Ordering::Relaxed),
        conflict_retries: conflicts,
    };
    Ok(Ran {
        outcome: out,
        figures,
        after_setup,
        server_before,
        server_after,
        me_before,
        me_after,
    })
}

/// The mapped files that hold most of a process's resident memory, largest first (MiB); the
/// search index's segment files count as one.
fn top_mappings(pid: u32, n: usize) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by: HashMap<String, f64> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            // "start-end perms offset dev inode [path]"
            current = line
                .split_whitespace()
                .nth(5)
                .filter(|p| p.starts_with('/'))
                .map(|p| match p.find("/search-index/") {
                    Some(_) => "search-index/*".to_owned(),
                    None => p.rsplit('/').next().unwrap_or(p).to_owned(),
                });
        } else if let (Some(rest), Some(name)) = (line.strip_prefix("Rss:"), &current) {
            let kb = rest
                .split_whitespace()
                .next()
                .and_then(|x| x.parse::<f64>().ok())
                .unwrap_or(0.0);
            *by.entry(name.clone()).or_default() += kb / 1024.0;
        }
    }
    let mut v: Vec<(String, f64)> = by.into_iter().map(|(k, m)| (k, stats::round3(m))).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v.truncate(n);
    v
}

fn local_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + OFFSET_MS)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

struct Back {
    deadlines: BTreeMap<String, BTreeMap<String, u64>>,
    amber: u64,
    /// (call, missed deadline), the first few.
    missed: Vec<(usize, Missed)>,
    errors: u64,
}

async fn read_back(sh: &Arc<Shared>, orders: &[(usize, String)], conns: usize) -> Back {
    let chunk = orders.len().div_ceil(conns).max(1);
    let tasks: Vec<_> = orders
        .chunks(chunk)
        .map(|part| {
            let part = part.to_vec();
            let sh = sh.clone();
            tokio::spawn(async move {
                let mut b = Back {
                    deadlines: BTreeMap::new(),
                    amber: 0,
                    missed: Vec::new(),
                    errors: 0,
                };
                let mut c = Conn::new(&sh.target);
                for (call, id) in part {
                    let path = format!("/api/v1/orders/{id}");
                    let admin = sh.staff.admin;
                    let v = match sh.call(&mut c, admin, "GET", &path, None, None).await {
                        Ok((r, _)) if r.status == 200 => r.json(),
                        _ => {
                            b.errors += 1;
                            continue;
                        }
                    };
                    tally(&mut b, call, &v);
                }
                b
            })
        })
        .collect();
    let mut all = Back {
        deadlines: BTreeMap::new(),
        amber: 0,
        missed: Vec::new(),
        errors: 0,
    };
    for t in tasks {
        match t.await {
            Ok(b) => {
                for (k, m) in b.deadlines {
                    let e = all.deadlines.entry(k).or_default();
                    for (s, n) in m {
                        *e.entry(s).or_default() += n;
                    }
                }
                all.amber += b.amber;
                all.errors += b.errors;
                all.missed.extend(b.missed);
            }
            Err(_) => all.errors += 1,
        }
    }
    all.missed.sort_by(|a, b| a.1.due_at.cmp(&b.1.due_at));
    all.missed.truncate(20);
    all
}

/// Counts one order's deadlines and amber events.
fn tally(b: &mut Back, call: usize, v: &Value) {
    let empty = Vec::new();
    for d in v["deadlines"].as_array().unwrap_or(&empty) {
        let kind = d["kind"].as_str().unwrap_or("?").to_owned();
        let state = d["state"].as_str().unwrap_or("?").to_owned();
        if state == "missed" && b.missed.len() < 20 {
            b.missed.push((
                call,
                Missed {
                    number: v["number"].as_str().unwrap_or("?").to_owned(),
                    kind: kind.clone(),
                    due_at: d["due_at"].as_str().unwrap_or("?").to_owned(),
                    status: v["status"].as_str().unwrap_or("?").to_owned(),
                    step_lag_s: None,
                },
            ));
        }
        *b.deadlines
            .entry(kind)
            .or_default()
            .entry(state)
            .or_default() += 1;
    }
    b.amber += v["events"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|e| e["type"] == "deadline_amber")
        .count() as u64;
}

/// Supervision notices of the replay's company.
async fn supervision(sh: &Shared) -> u64 {
    let mut c = Conn::new(&sh.target);
    let path = format!("/api/v1/supervision?company_id={}", sh.staff.company);
    match sh
        .call(&mut c, sh.staff.admin, "GET", &path, None, None)
        .await
    {
        Ok((r, _)) if r.status == 200 => r.json()["items"].as_array().map_or(0, |a| a.len() as u64),
        _ => 0,
    }
}

/// Prints the replay's figures under the scenario's usual lines.
pub fn print(f: &Figures) {
    println!(
        "  replay {}: {} calls scheduled ({} in {}), {}x, {:.1} simulated h in {:.0} s real",
        f.day,
        f.calls_scheduled,
        f.peak_calls,
        f.peak_window,
        f.speed,
        f.simulated_hours,
        f.real_seconds
    );
    println!(
        "  calls made {}, orders created {}, steps done {}, lifecycles closed {} ({} abandoned, {} steps unsent), HTTP errors {}",
        f.calls_made,
        f.orders_created,
        f.steps_done,
        f.lifecycles_closed,
        f.lifecycles_abandoned,
        f.steps_unsent,
        f.http_errors
    );
    println!(
        "  intake latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; step latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        f.intake.p50_ms, f.intake.p99_ms, f.intake.max_ms, f.steps.p50_ms, f.steps.p99_ms, f.steps.max_ms
    );
    println!(
        "  behind schedule (simulated s): calls p50 {:.0}, p99 {:.0}, max {:.0}; steps p50 {:.0}, p99 {:.0}, max {:.0}; server clock max {:.0}",
        f.call_lag.p50_s,
        f.call_lag.p99_s,
        f.call_lag.max_s,
        f.step_lag.p50_s,
        f.step_lag.p99_s,
        f.step_lag.max_s,
        f.clock_lag_max_s
    );
    println!(
        "  clock moves: {} (p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} failed)",
        f.clock_moves.count,
        f.clock_moves.p50_ms,
        f.clock_moves.p99_ms,
        f.clock_moves.max_ms,
        f.clock_moves.errors
    );
    let kinds: Vec<String> = f
        .deadlines
        .iter()
        .map(|(k, m)| {
            let states: Vec<String> = m.iter().map(|(s, n)| format!("{n} {s}")).collect();
            format!("{k}: {}", states.join(", "))
        })
        .collect();
    println!("  deadlines read back: {}", kinds.join("; "));
    println!(
        "  amber on the way: {}; supervision notices: {}; orders not read back: {}; logins at shift changes {}, after expiry {}; steps retried after 409: {}",
        f.amber_events, f.supervision_notices, f.readback_errors, f.shift_logins, f.relogins, f.conflict_retries
    );
    println!(
        "  server memory sampled during the day: RSS highest {:.0} MiB at {}, heap highest {:.0} MiB at {}",
        f.server_rss_top_mib, f.server_rss_top_at, f.server_heap_top_mib, f.server_heap_top_at
    );
    let files: Vec<String> = f
        .server_mapped_top_files
        .iter()
        .map(|(name, mib)| format!("{name} {mib:.0} MiB"))
        .collect();
    println!(
        "  mapped files highest {:.0} MiB at {} ({})",
        f.server_mapped_top_mib,
        f.server_mapped_top_at,
        files.join(", ")
    );
    println!("  >>> MISSED DEADLINES: {} <<<", f.deadlines_missed);
    for m in &f.missed {
        println!(
            "    missed: {} {} due {} (status {}, step sent {} s late)",
            m.number,
            m.kind,
            m.due_at,
            m.status,
            m.step_lag_s
                .map_or_else(|| "never".to_owned(), |l| format!("{l:.0}"))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_day_has_its_peak() {
        let s = schedule(DAY_CALLS, 20_261_115);
        assert_eq!(s.len() as u64, DAY_CALLS);
        let peak = s
            .iter()
            .filter(|c| (PEAK.0 * HOUR_MS..PEAK.1 * HOUR_MS).contains(&c.at))
            .count() as u64;
        assert_eq!(peak, PEAK_CALLS);
        assert!(s.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(s.iter().all(|c| (0..DAY_MS).contains(&c.at)));
        // Daytime outside the peak is busier than the night.
        let hour = |h: i64| s.iter().filter(|c| c.at / HOUR_MS == h).count();
        assert!(hour(10) > 3 * hour(3), "{} {}", hour(10), hour(3));
        assert!(s.iter().all(|c| c.body["category"] == "repair"));
    }

    #[test]
    fn a_small_day_keeps_the_share_and_the_seed_repeats() {
        assert_eq!(peak_calls(300), 127);
        let a = schedule(300, 7);
        let b = schedule(300, 7);
        assert_eq!(a.len(), 300);
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.at == y.at && x.body == y.body));
        assert_eq!(peak_calls(1), 0);
        assert_eq!(schedule(1, 7).len(), 1);
    }

    #[test]
    fn callbacks_fall_in_the_allowed_hours() {
        let mut rng = Rng::new(1);
        let day = parse_ms(DAY_START).unwrap();
        for h in 0..48 {
            let at = callback_time(day + h * HOUR_MS + 17 * MIN_MS, &mut rng);
            let tod = (at + OFFSET_MS).rem_euclid(DAY_MS);
            assert!((CALLBACK_FROM_MS..=CALLBACK_UNTIL_MS).contains(&tod));
            assert!(at >= day + h * HOUR_MS + 17 * MIN_MS);
        }
    }

    #[test]
    fn steps_aim_inside_the_limits() {
        let order = json!({"deadlines": [
            {"kind": "arrive", "due_at": "2026-11-15T00:30:00Z", "state": "pending"},
            {"kind": "finish", "due_at": "2026-11-16T00:00:00Z", "state": "pending"},
            {"kind": "close", "due_at": "2026-11-30T15:59:59Z", "state": "met"},
        ]});
        assert_eq!(
            earliest_due(&order, meets(4)),
            parse_ms("2026-11-15T00:30:00Z")
        );
        assert_eq!(earliest_due(&order, meets(7)), None);
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let d = delay(3, "leak", &mut rng);
            assert!((8 * MIN_MS..16 * MIN_MS).contains(&d));
        }
    }
}
