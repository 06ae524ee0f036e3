//! Realistic intake: what callers of the four utilities ask, in the categories' usual mix, from
//! many communities and addresses.

use serde_json::{json, Value};

/// A small, fast, reproducible random generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The utilities, in the order the bench creates their companies.
pub const UTILITIES: &[(&str, &str)] = &[
    ("heat", "压测热力有限公司"),
    ("power", "压测供电公司"),
    ("gas", "压测燃气有限公司"),
    ("water", "压测供水集团"),
];

/// Category mix of a utility hotline (per mille): repairs dominate, then consultations and
/// queries; complaints are few but costly (matter matching).
const MIX: &[(&str, u32)] = &[
    ("repair", 420),
    ("consult", 200),
    ("query", 120),
    ("service", 100),
    ("complaint", 60),
    ("report", 20),
    ("opinion", 20),
    ("suggestion", 30),
    ("praise", 30),
];

/// A demand: subtype and what the caller says.
type Demand = (Option<&'static str>, &'static str);

/// Demands per utility and category.
fn demands(utility: &str, category: &str) -> &'static [Demand] {
    match (utility, category) {
        ("heat", "repair") => &[
            (
                Some("not_warm"),
                "卧室暖气不热，室温只有14度，老人孩子受不了",
            ),
            (Some("not_warm"), "整个单元暖气都不热，回水管冰凉"),
            (Some("leak"), "厨房暖气片接口漏水，地面已积水"),
            (Some("leak"), "楼道供热管道跑水，冒热气"),
            (Some("other"), "暖气阀门拧不动，无法调节"),
        ],
        ("heat", "service") => &[
            (Some("temperature"), "申请入户测温，怀疑室温不达标"),
            (Some("alteration"), "申请暖气改造，移动暖气片位置"),
        ],
        ("power", "repair") => &[
            (Some("outage"), "家中突然停电，邻居家也没电"),
            (Some("outage"), "小区整栋楼停电，电梯困人"),
            (Some("meter"), "电表显示异常，读数跳变"),
            (Some("other"), "楼道路灯线路冒火花"),
        ],
        ("power", "service") => &[
            (Some("install"), "申请新装居民用电"),
            (Some("safety_check"), "申请上门检查家中线路"),
        ],
        ("gas", "repair") => &[
            (Some("leak"), "厨房有燃气味，怀疑表后阀门漏气"),
            (Some("meter"), "燃气表不走字"),
            (Some("other"), "燃气灶打不着火，已换电池"),
        ],
        ("gas", "service") => &[
            (Some("safety_check"), "申请上门安全检查"),
            (Some("install"), "新房申请开通燃气"),
        ],
        ("water", "repair") => &[
            (Some("leak"), "楼道水管爆裂，大量漏水"),
            (Some("outage"), "整栋楼停水，无通知"),
            (Some("meter"), "水表玻璃破裂，表盘看不清"),
        ],
        ("water", "service") => &[
            (Some("water_quality"), "申请水质化验，水发黄"),
            (Some("leak_detection"), "申请检漏，水费异常偏高"),
        ],
        (_, "consult") => &[
            (None, "咨询今年收费标准和缴费截止日期"),
            (None, "咨询过户需要带哪些材料"),
            (None, "咨询营业厅地址和办公时间"),
        ],
        (_, "query") => &[(None, "查询本户缴费记录"), (None, "查询上月用量明细")],
        (_, "complaint") => &[
            (None, "维修人员上门不准时，等了一上午"),
            (None, "多次反映问题一直没有解决，要求给个说法"),
            (None, "工作人员态度差，电话里直接挂断"),
        ],
        (_, "report") => &[(None, "举报有人私自改动管线")],
        (_, "opinion") => &[(None, "对计划停用通知时间太短有意见")],
        (_, "suggestion") => &[(None, "建议增加线上缴费渠道")],
        _ => &[(None, "表扬维修师傅服务热情，处理及时")],
    }
}

/// Common surnames of callers.
pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
];
/// Neighbourhoods of the generated communities.
pub const PLACES: &[&str] = &[
    "和平里",
    "安贞",
    "望京",
    "回龙观",
    "天通苑",
    "方庄",
    "双井",
    "团结湖",
    "甜水园",
    "劲松",
    "潘家园",
    "亚运村",
    "北苑",
    "马甸",
    "六铺炕",
    "德胜门",
    "白纸坊",
    "永定门",
    "右安门",
    "卢沟桥",
    "苹果园",
    "八角",
    "五棵松",
    "万寿路",
    "紫竹院",
    "花园路",
    "小关",
    "和平街",
    "左家庄",
    "酒仙桥",
];
/// Endings of community names.
pub const SUFFIXES: &[&str] = &["小区", "西里", "北里", "家园", "花园", "新村"];
const CHANNELS: &[(&str, u32)] = &[
    ("phone", 700),
    ("wechat", 120),
    ("app", 60),
    ("web", 40),
    ("gov12345", 60),
    ("walk_in", 20),
];

fn weighted<'a>(rng: &mut Rng, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = (rng.next_u64() % u64::from(total)) as u32;
    for (name, w) in items {
        if x < *w {
            return name;
        }
        x -= w;
    }
    items[0].0
}

/// A caller: name, phone, address, community.
fn customer(rng: &mut Rng) -> Value {
    let community = format!("{}{}", rng.pick(PLACES), rng.pick(SUFFIXES));
    let phone = format!(
        "1{}{:09}",
        rng.pick(&["3", "5", "8"]),
        rng.next_u64() % 1_000_000_000
    );
    json!({
        "name": format!("{}{}", rng.pick(SURNAMES), rng.pick(&["先生", "女士"])),
        "phone": phone,
        "address": format!("{community}{}号楼{}单元{}室", 1 + rng.below(30), 1 + rng.below(6), 101 + rng.below(24) * 100 + rng.below(4)),
        "community": community,
    })
}

/// A new order for company `company_id` of `utility` in the usual mix.
pub fn order(rng: &mut Rng, company_id: &str, utility: &str) -> Value {
    let category = weighted(rng, MIX);
    of_category(rng, company_id, utility, category)
}

/// A new order of `category` (one of the mix's) for company `company_id` of `utility`.
pub fn of_category(rng: &mut Rng, company_id: &str, utility: &str, category: &str) -> Value {
    let (subtype, text) = *rng.pick(demands(utility, category));
    let mut body = json!({
        "company_id": company_id, "category": category, "channel": weighted(rng, CHANNELS),
        "description": text, "customer": customer(rng),
    });
    if let Some(s) = subtype {
        body["subtype"] = json!(s);
    }
    // Most queries and consultations are answered on the call.
    if matches!(category, "query" | "consult") && rng.below(3) != 0 {
        body["resolved_at_once"] = json!({"answer": "已按政策当场答复，用户表示清楚"});
    }
    body
}

/// A repair order that needs the whole lifecycle.
pub fn repair(rng: &mut Rng, company_id: &str, utility: &str) -> Value {
    let (subtype, text) = *rng.pick(demands(utility, "repair"));
    json!({
        "company_id": company_id, "category": "repair", "subtype": subtype,
        "channel": weighted(rng, CHANNELS), "description": text, "customer": customer(rng),
        "callback": "required",
    })
}

/// A list filter of the kind a console asks for; `unit_id` is one of the company's teams.
pub fn list_query(rng: &mut Rng, unit_id: &str) -> String {
    match rng.below(5) {
        0 => "/api/v1/orders?status=new&limit=50".into(),
        1 => "/api/v1/orders?category=repair&limit=50".into(),
        2 => format!("/api/v1/orders?unit_id={unit_id}&limit=50"),
        3 => "/api/v1/orders?status=dispatched&category=repair&limit=50".into(),
        _ => "/api/v1/orders?category=complaint&limit=20".into(),
    }
}

/// The mix's name of `category` (a static name to count latencies under).
pub fn category_name(category: &str) -> &'static str {
    MIX.iter()
        .map(|(c, _)| *c)
        .find(|c| *c == category)
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_utility_has_demands_in_every_category_of_the_mix() {
        let mut rng = Rng::new(7);
        for (u, _) in UTILITIES {
            for (c, _) in MIX {
                assert!(!demands(u, c).is_empty(), "{u} {c}");
            }
            for _ in 0..200 {
                let o = order(&mut rng, "1", u);
                assert!(o["description"].as_str().is_some_and(|d| !d.is_empty()));
                assert!(o["customer"]["phone"]
                    .as_str()
                    .is_some_and(|p| p.len() == 11));
                if o["category"] == "repair" || o["category"] == "service" {
                    assert!(o["subtype"].is_string());
                }
            }
        }
    }

    #[test]
    fn the_mix_is_mostly_repairs() {
        let mut rng = Rng::new(1);
        let n = 10_000;
        let repairs = (0..n)
            .filter(|_| order(&mut rng, "1", "heat")["category"] == "repair")
            .count();
        assert!((3_800..4_600).contains(&repairs), "{repairs}");
    }
}
