//! `rexian search bench`: the latency of the full-text index over many synthetic orders
//! (Chinese descriptions from hotline phrases, phones, addresses, order numbers), measured
//! in-process on the index alone: the API adds one primary-key read of the hits.

use std::time::Instant;

use anyhow::Context;
use rexian_search::{Scope, SearchIndex};
use rexian_store::orders::OrderRow;

/// Phrases callers use, combined into descriptions.
const PHRASES: &[&str] = &[
    "卧室暖气不热",
    "暖气片冰凉",
    "客厅温度低",
    "整栋楼停电",
    "家里没电了",
    "小区断电两个小时",
    "电闸跳闸",
    "厨房水管漏水",
    "楼道跑水",
    "卫生间渗水到楼下",
    "闻到煤气味",
    "燃气表不走字",
    "水发黄有异味",
    "自来水浑浊",
    "维修人员态度恶劣",
    "咨询缴费方式",
    "突然没水了",
    "灶具打不着火",
    "电表数字跳得很快",
    "申请安装燃气表",
    "路灯不亮",
    "热水器不热",
    "阀门关不严",
    "管道有异响",
];
const COMMUNITIES: &[&str] = &[
    "幸福里",
    "和平里",
    "阳光花园",
    "锦绣家园",
    "翠湖小区",
    "东风新村",
    "滨河湾",
    "丽景苑",
];
/// Queries of the run: words, synonyms, a phone prefix, an order number, an address fragment.
const QUERIES: &[&str] = &[
    "暖气不热",
    "停电",
    "没电",
    "漏水",
    "煤气味",
    "缴费",
    "态度",
    "燃气表",
    "温度低",
    "跳闸",
    "1381234",
    "RX20260101-000777",
    "幸福里3号楼",
    "锦绣家园 漏水",
    "不热",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

/// The synthetic history ends here (2026-11-01, unix ms) and spans two years, like a seeded one.
const END_MS: i64 = 1_793_491_200_000;
const SPAN_MS: i64 = 2 * 365 * 86_400_000;

fn order(i: u64, n: u64, r: &mut Lcg) -> OrderRow {
    let community = COMMUNITIES[r.next(COMMUNITIES.len())];
    let description = format!(
        "{}，{}",
        PHRASES[r.next(PHRASES.len())],
        PHRASES[r.next(PHRASES.len())]
    );
    OrderRow {
        id: i as i64 + 1,
        company_id: 1 + (i % 4) as i64,
        number: format!("RX{}-{:06}", 20260101 + (i / 1_000_000) % 28, i % 1_000_000),
        category: "repair".into(),
        channel: "phone".into(),
        status: "new".into(),
        unit_id: Some(1 + (i % 40) as i64),
        customer_phone: Some(format!("138{:08}", r.next(100_000_000))),
        customer_address: Some(format!(
            "{community}{}号楼{}单元{}",
            1 + r.next(30),
            1 + r.next(6),
            101 + r.next(1800)
        )),
        customer_community: Some(community.to_owned()),
        description,
        created_at: END_MS - SPAN_MS + (i as f64 * SPAN_MS as f64 / n as f64) as i64,
        ..Default::default()
    }
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

/// Builds an index of `orders` synthetic orders over two years (in `keep`, reused when it
/// already holds them, or a temp dir), runs every query `rounds` times as a centre agent and
/// as a unit, recent orders first as the server ranks them (`recent`) or all together,
/// and prints the latency figures.
pub async fn run(
    orders: u64,
    rounds: usize,
    recent: bool,
    keep: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir().context("temp dir")?;
    let dir = keep.unwrap_or(tmp.path());
    let index = SearchIndex::open(dir).context("opening the index")?;
    let reused = index.len() == orders;
    if !reused && !index.is_empty() {
        anyhow::bail!(
            "{} holds an index of {} documents, not {orders}",
            dir.display(),
            index.len()
        );
    }
    let bar = indicatif::ProgressBar::new(orders);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} orders {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut r = Lcg(7);
    let mut i = if reused { orders } else { 0 };
    while i < orders {
        let n = (orders - i).min(10_000);
        let batch: Vec<OrderRow> = (i..i + n).map(|k| order(k, orders, &mut r)).collect();
        index.add_orders(&batch).await?;
        i += n;
        bar.set_position(i);
        if i % 500_000 == 0 {
            index.commit().await?;
        }
    }
    if !reused {
        index.commit().await?;
    }
    bar.finish();
    let build = started.elapsed().as_secs_f64();
    println!(
        "ranking: {}",
        if recent {
            "recent first (last week, month, quarter, year, then older), as the server"
        } else {
            "all orders together"
        }
    );
    let recent_from = recent.then_some(END_MS);
    let scopes = [
        (
            "centre",
            Scope {
                company: Some(1),
                recent_from,
                ..Default::default()
            },
        ),
        (
            "unit",
            Scope {
                company: Some(1),
                unit: Some(5),
                unit_staff: true,
                recent_from,
                ..Default::default()
            },
        ),
    ];
    let mut all = Vec::new();
    let mut per_query: Vec<(&str, Vec<f64>)> = QUERIES.iter().map(|q| (*q, Vec::new())).collect();
    for (name, scope) in &scopes {
        let mut ms = Vec::new();
        let mut hits = 0usize;
        for _ in 0..rounds {
            for (q, times) in per_query.iter_mut() {
                let t = Instant::now();
                hits += index.search(q, &["order"], scope, 80)?.len();
                let took = t.elapsed().as_secs_f64() * 1000.0;
                ms.push(took);
                times.push(took);
            }
        }
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "{name:<7} {} searches: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.1} hits a search",
            ms.len(),
            pct(0.5),
            pct(0.95),
            pct(0.99),
            ms[ms.len() - 1],
            hits as f64 / ms.len() as f64
        );
        all.extend(ms);
    }
    all.sort_by(f64::total_cmp);
    let p95 = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[((v.len() as f64 - 1.0) * 0.95).round() as usize]
    };
    let mut slowest: Vec<(&str, f64)> = per_query.iter_mut().map(|(q, v)| (*q, p95(v))).collect();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    let list: Vec<String> = slowest
        .iter()
        .take(5)
        .map(|(q, t)| format!("{q} {t:.1} ms"))
        .collect();
    println!("slowest queries (p95): {}", list.join(", "));
    let built = if reused {
        "reused".to_owned()
    } else {
        format!(
            "built in {build:.1} s ({:.0} orders/s)",
            orders as f64 / build
        )
    };
    println!(
        "index of {orders} orders: {built}, {:.0} MiB; overall p95 {:.2} ms",
        dir_size(dir) as f64 / 1_048_576.0,
        all[((all.len() as f64 - 1.0) * 0.95).round() as usize]
    );
    Ok(())
}
