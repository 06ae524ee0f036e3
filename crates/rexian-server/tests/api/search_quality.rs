//! The search quality set (issue 8): Chinese queries, the documents each must find (synonyms
//! such as 暖气不热/不热/温度低, 停电/断电/没电), orders and knowledge articles, with recall
//! and precision reported. Runs on both databases through the tantivy index.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::json;

const DOCS: &[&str] = &[
    "卧室暖气不热，室温只有十四度",
    "家里暖气片冰凉",
    "客厅温度低，暖气不暖和",
    "整栋楼突然停电",
    "家里没电了，邻居也没电",
    "小区断电两个小时了",
    "电闸跳闸后无法合上",
    "厨房水管漏水",
    "楼道跑水严重",
    "卫生间渗水到楼下",
    "闻到很重的煤气味",
    "燃气泄漏报警器响了",
    "燃气表不走字",
    "水发黄有异味",
    "自来水浑浊",
    "维修人员态度恶劣",
    "客服态度不好",
    "咨询缴费方式",
    "询问交费时间",
    "停水通知在哪里看",
    "突然没水了",
    "灶具打不着火",
    "电表数字跳得很快",
    "申请安装新燃气表",
    "建议小区增加宣传栏",
    "表扬维修师傅",
    "暖气管道漏水",
    "路灯不亮",
    "垃圾清运不及时",
    "热水器不热",
];

const QUERIES: &[(&str, &[usize])] = &[
    ("暖气不热", &[0, 1, 2]),
    ("不热", &[0, 1, 2, 29]),
    ("温度低", &[0, 1, 2]),
    ("停电", &[3, 4, 5, 6]),
    ("断电", &[3, 4, 5, 6]),
    ("没电", &[3, 4, 5, 6]),
    ("漏水", &[7, 8, 9, 26]),
    ("跑水", &[7, 8, 9, 26]),
    ("渗水", &[7, 8, 9, 26]),
    ("漏气", &[10, 11]),
    ("煤气味", &[10, 11]),
    ("燃气泄漏", &[10, 11]),
    ("燃气表", &[12, 23]),
    ("水质", &[13, 14]),
    ("水发黄", &[13, 14]),
    ("态度恶劣", &[15, 16]),
    ("态度不好", &[15, 16]),
    ("缴费", &[17, 18]),
    ("交费", &[17, 18]),
    ("停水", &[19, 20]),
    ("没水", &[19, 20]),
    ("打不着火", &[21]),
    ("电表", &[22]),
    ("暖气", &[0, 1, 2, 26]),
    ("态度", &[15, 16]),
    ("宣传", &[24]),
    ("表扬", &[25]),
    ("维修", &[15, 25]),
    ("楼道", &[8]),
    ("邻居", &[4]),
    ("跳闸", &[3, 4, 5, 6]),
];

/// Published knowledge articles: title, body.
const ARTICLES: &[(&str, &str)] = &[
    (
        "停电时如何答复用户",
        "先查询停电公告，告知用户停电原因和预计恢复送电时间。",
    ),
    (
        "暖气不热怎么办",
        "请用户确认阀门打开、暖气片放气；仍不热的受理报修。",
    ),
    ("缴费方式", "营业厅、银行代收、网上营业厅均可缴费。"),
    (
        "闻到燃气味的应急处置",
        "关闭燃气总阀，开窗通风，不要开关电器。",
    ),
    ("接听客户电话首问语", "“您好！请问有什么可以帮您？”"),
    (
        "客户声音太小听不清楚",
        "“对不起！我听不清您的声音，请您大声一点，好吗？”",
    ),
];

/// Article queries and the articles each must find.
const ARTICLE_QUERIES: &[(&str, &[usize])] = &[
    ("没电", &[0]),
    ("断电", &[0]),
    ("温度低", &[1]),
    ("暖气", &[1]),
    ("交费", &[2]),
    ("漏气", &[3]),
    ("煤气味", &[3]),
    ("首问语", &[4]),
    ("听不清", &[5]),
    ("您好", &[4]),
];

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn chinese_quality_set_recall_and_precision() {
    let app = TestApp::new().await;
    let c = app.company("综合测试", "gas").await;
    let centre = app.unit(&c, None, "中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let mut ids = Vec::new();
    for d in DOCS {
        let (s, o) = app
            .post(
                "/api/v1/orders",
                &agent,
                json!({"company_id": c, "category": "consult", "channel": "phone",
            "description": d}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        ids.push(o["id"].as_str().unwrap().to_owned());
    }
    let (_, sup) = app.user("sup", &["supervisor"], Some(&centre), None).await;
    let mut articles = Vec::new();
    for (title, body) in ARTICLES {
        let (s, a) = app
            .post(
                "/api/v1/kb/articles",
                &app.admin,
                json!({"company_id": c, "category": "faq", "title": title, "body": body}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let id = a["id"].as_str().unwrap().to_owned();
        app.post(
            &format!("/api/v1/kb/articles/{id}/submit"),
            &app.admin,
            json!({}),
        )
        .await;
        let (s, v) = app
            .post(
                &format!("/api/v1/kb/articles/{id}/approve"),
                &sup,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        articles.push(id);
    }
    let (mut tp, mut fp, mut fnn) = (0usize, 0usize, 0usize);
    let mut report = Vec::new();
    let sets = QUERIES.iter().map(|(q, w)| ("order", *q, *w, &ids)).chain(
        ARTICLE_QUERIES
            .iter()
            .map(|(q, w)| ("article", *q, *w, &articles)),
    );
    let started = std::time::Instant::now();
    let mut count = 0;
    for (kind, q, want, ids) in sets {
        count += 1;
        let (s, v) = app
            .get(
                &format!("/api/v1/search?kind={kind}&limit=50&q={}", enc(q)),
                &agent,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let got: BTreeSet<usize> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| ids.iter().position(|i| h["id"] == i.as_str()))
            .collect();
        let want: BTreeSet<usize> = want.iter().copied().collect();
        let hit = got.intersection(&want).count();
        tp += hit;
        fp += got.len() - hit;
        fnn += want.len() - hit;
        if hit < want.len() || got.len() > hit {
            report.push(format!("{kind} {q}: want {want:?} got {got:?}"));
        }
    }
    let recall = tp as f64 / (tp + fnn) as f64;
    let precision = tp as f64 / (tp + fp) as f64;
    println!(
        "search quality over {count} queries ({} orders, {} articles, {}): recall {recall:.3}, precision {precision:.3}, {:.1} ms a query",
        QUERIES.len(),
        ARTICLE_QUERIES.len(),
        rexian_testkit::backend(),
        started.elapsed().as_secs_f64() * 1000.0 / count as f64
    );
    for r in &report {
        println!("  {r}");
    }
    assert!(count >= 40);
    assert!(recall >= 0.95, "recall {recall:.3}: {report:?}");
    assert!(precision >= 0.85, "precision {precision:.3}: {report:?}");
}
