//! The search quality set (issue 8): Chinese queries, the documents each must find (synonyms
//! such as 暖气不热/不热/温度低, 停电/断电/没电), with recall and precision reported.

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
    let (mut tp, mut fp, mut fnn) = (0usize, 0usize, 0usize);
    let mut report = Vec::new();
    for (q, want) in QUERIES {
        let (s, v) = app
            .get(
                &format!("/api/v1/search?kind=order&limit=50&q={}", enc(q)),
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
            report.push(format!("{q}: want {want:?} got {got:?}"));
        }
    }
    let recall = tp as f64 / (tp + fnn) as f64;
    let precision = tp as f64 / (tp + fp) as f64;
    println!(
        "search quality over {} queries: recall {recall:.3}, precision {precision:.3}",
        QUERIES.len()
    );
    for r in &report {
        println!("  {r}");
    }
    assert!(QUERIES.len() >= 30);
    assert!(recall >= 0.95, "recall {recall:.3}: {report:?}");
    assert!(precision >= 0.85, "precision {precision:.3}: {report:?}");
}
