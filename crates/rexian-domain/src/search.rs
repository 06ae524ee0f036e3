//! Search vocabulary: the words hotline callers use for the same problem (SPEC §8 quality
//! set: 暖气不热/不热/温度低, 停电/断电/没电 …). A query containing one of them also looks
//! for the others.

/// Groups of words that mean the same problem, most specific first within a group.
pub const SYNONYMS: &[&[&str]] = &[
    &[
        "暖气不热",
        "暖气不暖",
        "温度低",
        "室温低",
        "不热",
        "不暖和",
        "冰凉",
    ],
    &["停电", "断电", "没电", "没有电", "跳闸"],
    &["停水", "断水", "没水", "没有水"],
    &["停气", "断气", "没气", "打不着火"],
    &["漏水", "跑水", "渗水", "滴水", "跑冒滴漏"],
    &["漏气", "燃气泄漏", "煤气味", "燃气味"],
    &["水质", "水发黄", "水浑浊", "水有异味"],
    &["电表", "表计", "计量表"],
    &["燃气表", "气表"],
    &["态度差", "态度恶劣", "态度不好", "服务态度"],
    &["缴费", "交费", "付费"],
];

/// The query and its alternatives: each synonym group word found in `q` replaced by the other
/// words of its group (the original first, no duplicates, at most 12).
pub fn expand(q: &str) -> Vec<String> {
    let mut out = vec![q.to_owned()];
    for group in SYNONYMS {
        if let Some(word) = group.iter().find(|w| q.contains(**w)) {
            for alt in group.iter().filter(|w| *w != word) {
                let e = q.replacen(word, alt, 1);
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
    }
    out.truncate(12);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_within_a_group() {
        let e = expand("停电");
        assert_eq!(e[0], "停电");
        assert!(e.contains(&"断电".to_owned()) && e.contains(&"没电".to_owned()));
        assert_eq!(expand("查询账单"), vec!["查询账单".to_owned()]);
        assert!(expand("暖气不热").contains(&"温度低".to_owned()));
    }
}
