//! Complaint grades (`002:§14(6)`) and matter (事项) matching.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Grade;

/// One valid complaint, as grading needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintFacts {
    /// Stable key of the complainant (customer id or verified phone).
    pub customer: String,
    /// When it was accepted.
    pub at: DateTime<Utc>,
    /// A lawsuit has been filed (已经引发法律诉讼).
    pub lawsuit: bool,
    /// Exposed, or may be exposed, by media, press or websites.
    pub media_exposed: bool,
    /// People behind it: 1 for one person, more for a collective complaint.
    pub people: u32,
}

/// The earlier valid complaints of the same matter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterFacts {
    /// Earlier complaints, any order.
    pub complaints: Vec<ComplaintFacts>,
}

/// Thresholds of `002:§14(6)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradingRules {
    /// Same customer, same matter, this many times or more → grade 1 (5).
    pub same_customer: u32,
    /// Distinct complainants within the window → grade 2 (5).
    pub complainants: u32,
    /// The "one month" window, days (30).
    pub window_days: u32,
    /// A collective complaint of this many people or more → grade 2 (5).
    pub collective: u32,
}

impl Default for GradingRules {
    fn default() -> Self {
        Self {
            same_customer: 5,
            complainants: 5,
            window_days: 30,
            collective: 5,
        }
    }
}

/// The grade of complaint `this` in its matter, under the rules of `002:§14(6)`.
pub fn grade(matter: &MatterFacts, this: &ComplaintFacts) -> Grade {
    grade_with(matter, this, &GradingRules::default())
}

/// [`grade`] with a company's thresholds. Lawsuit or media exposure anywhere in the
/// matter makes it grade 1; counts include `this`; the month window ends at `this.at`.
pub fn grade_with(matter: &MatterFacts, this: &ComplaintFacts, rules: &GradingRules) -> Grade {
    let all = || matter.complaints.iter().chain(std::iter::once(this));
    let from = window_start(this.at, rules);
    let in_window = || all().filter(|c| c.at >= from && c.at <= this.at);
    let distinct: BTreeSet<&str> = in_window().map(|c| c.customer.as_str()).collect();
    let counts = MatterCounts {
        grade: None,
        repeats: count(all().filter(|c| c.customer == this.customer).count()),
        complainants_in_window: count(distinct.len()),
        exposed: all().any(|c| c.lawsuit || c.media_exposed),
        people: in_window().map(|c| c.people).max().unwrap_or(1),
    };
    matter_grade(&counts, rules)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Where the month window of a complaint accepted at `at` begins.
pub fn window_start(at: DateTime<Utc>, rules: &GradingRules) -> DateTime<Utc> {
    at.checked_sub_signed(Duration::days(i64::from(rules.window_days)))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// What grading needs of a matter when a complaint joins it: counts the store keeps with the
/// matter, so that grading costs the same however large the matter is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterCounts {
    /// The matter's grade before this complaint (None: its first complaint).
    pub grade: Option<Grade>,
    /// Complaints of this complaint's complainant in the matter, this one included.
    pub repeats: u32,
    /// Distinct complainants whose latest complaint falls in the month window ending at this
    /// complaint, this one included. Counting may stop at `rules.complainants`.
    pub complainants_in_window: u32,
    /// A lawsuit is filed or media exposure is known (this complaint).
    pub exposed: bool,
    /// People behind this complaint (a collective complaint: more than 1).
    pub people: u32,
}

/// The grade of a matter after a complaint joined it (`002:§14(6)`); every open complaint of
/// the matter takes it. A matter's grade only becomes more severe: a matter that once met a
/// threshold stays graded by it.
pub fn matter_grade(c: &MatterCounts, rules: &GradingRules) -> Grade {
    let now = if c.exposed || c.repeats >= rules.same_customer {
        Grade::MAJOR
    } else if c.complainants_in_window >= rules.complainants || c.people >= rules.collective {
        Grade::GENERAL
    } else {
        Grade::MINOR
    };
    c.grade.map_or(now, |before| before.min(now))
}

/// What is known of a new complaint when looking for its matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterKey {
    /// Subtype of the order.
    pub subtype: Option<String>,
    /// Place: community/building or station key.
    pub place: Option<String>,
    /// The complaint text.
    pub text: String,
}

/// An existing matter that the new complaint could belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateMatter {
    /// Matter id.
    pub id: i64,
    /// Subtype of the matter.
    pub subtype: Option<String>,
    /// Place of the matter.
    pub place: Option<String>,
    /// Representative text (e.g. the first complaint).
    pub text: String,
    /// Latest complaint in the matter.
    pub last_at: DateTime<Utc>,
}

/// Days a matter stays open for matching.
pub const MATCH_WINDOW_DAYS: i64 = 30;
/// Least bigram Jaccard similarity for a text match.
pub const TEXT_SIMILARITY: f64 = 0.5;

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Character-bigram Jaccard similarity of two texts (letters and digits only).
pub fn similarity(a: &str, b: &str) -> f64 {
    fn grams(s: &str) -> BTreeSet<(char, char)> {
        let c: Vec<char> = norm(s).chars().collect();
        match c.len() {
            0 => BTreeSet::new(),
            1 => BTreeSet::from([(c[0], c[0])]),
            _ => c.windows(2).map(|w| (w[0], w[1])).collect(),
        }
    }
    let (x, y) = (grams(a), grams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let inter = x.intersection(&y).count() as f64;
    inter / x.union(&y).count() as f64
}

/// Proposes the matter a new complaint belongs to: among matters active within 30 days,
/// one with the same subtype and the same place (most recent first), else the one with
/// the most similar text (Jaccard ≥ 0.5). The agent confirms or overrides.
pub fn propose_match(
    new: &MatterKey,
    candidates: &[CandidateMatter],
    now: DateTime<Utc>,
) -> Option<i64> {
    let from = now - Duration::days(MATCH_WINDOW_DAYS);
    let live: Vec<&CandidateMatter> = candidates
        .iter()
        .filter(|c| c.last_at >= from && c.last_at <= now)
        .collect();
    let same_place = |c: &&&CandidateMatter| {
        let eq = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => norm(a) == norm(b) && !norm(a).is_empty(),
            _ => false,
        };
        eq(&c.subtype, &new.subtype) && eq(&c.place, &new.place)
    };
    if let Some(c) = live.iter().filter(same_place).max_by_key(|c| c.last_at) {
        return Some(c.id);
    }
    live.iter()
        .map(|c| (similarity(&c.text, &new.text), c))
        .filter(|(s, _)| *s >= TEXT_SIMILARITY)
        .max_by(|(s1, c1), (s2, c2)| s1.total_cmp(s2).then(c1.last_at.cmp(&c2.last_at)))
        .map(|(_, c)| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).unwrap() + Duration::days(i64::from(d))
    }
    fn c(who: &str, d: u32) -> ComplaintFacts {
        ComplaintFacts {
            customer: who.into(),
            at: day(d),
            lawsuit: false,
            media_exposed: false,
            people: 1,
        }
    }

    #[test]
    fn growing_matter_grade_3_then_2_then_1_002_s14_6() {
        let mut m = MatterFacts::default();
        for (i, who) in ["a", "b", "c"].iter().enumerate() {
            m.complaints.push(c(who, i as u32));
        }
        // Fourth distinct complainant: still grade 3.
        assert_eq!(grade(&m, &c("d", 5)), Grade::MINOR);
        m.complaints.push(c("d", 5));
        // Fifth distinct complainant within a month: grade 2.
        assert_eq!(grade(&m, &c("e", 10)), Grade::GENERAL);
        m.complaints.push(c("e", 10));
        // Customer "a" complains again and again: the fifth time makes it grade 1.
        for d in [11, 12, 13] {
            assert_eq!(grade(&m, &c("a", d)), Grade::GENERAL);
            m.complaints.push(c("a", d));
        }
        assert_eq!(grade(&m, &c("a", 14)), Grade::MAJOR);
    }

    #[test]
    fn matter_grade_from_counts_never_eases_002_s14_6() {
        let r = GradingRules::default();
        let mut k = MatterCounts {
            repeats: 1,
            complainants_in_window: 4,
            people: 1,
            ..MatterCounts::default()
        };
        assert_eq!(matter_grade(&k, &r), Grade::MINOR);
        k.complainants_in_window = 5;
        assert_eq!(matter_grade(&k, &r), Grade::GENERAL);
        k.repeats = 5;
        assert_eq!(matter_grade(&k, &r), Grade::MAJOR);
        // A later, quiet complaint keeps the matter's grade.
        let quiet = MatterCounts {
            grade: Some(Grade::GENERAL),
            repeats: 1,
            complainants_in_window: 1,
            people: 1,
            exposed: false,
        };
        assert_eq!(matter_grade(&quiet, &r), Grade::GENERAL);
        assert_eq!(
            matter_grade(
                &MatterCounts {
                    exposed: true,
                    ..quiet
                },
                &r
            ),
            Grade::MAJOR
        );
    }

    #[test]
    fn five_complainants_must_fall_within_one_month_002_s14_6() {
        let m = MatterFacts {
            complaints: vec![c("a", 0), c("b", 1), c("c", 2), c("d", 3)],
        };
        assert_eq!(grade(&m, &c("e", 30)), Grade::GENERAL);
        assert_eq!(
            grade(&m, &c("e", 31)),
            Grade::MINOR,
            "a's complaint is older than 30 days"
        );
    }

    #[test]
    fn lawsuit_or_media_is_grade_1_002_s14_6() {
        let m = MatterFacts::default();
        assert_eq!(
            grade(
                &m,
                &ComplaintFacts {
                    lawsuit: true,
                    ..c("a", 0)
                }
            ),
            Grade::MAJOR
        );
        assert_eq!(
            grade(
                &m,
                &ComplaintFacts {
                    media_exposed: true,
                    ..c("a", 0)
                }
            ),
            Grade::MAJOR
        );
        let m = MatterFacts {
            complaints: vec![ComplaintFacts {
                media_exposed: true,
                ..c("x", 0)
            }],
        };
        assert_eq!(
            grade(&m, &c("a", 1)),
            Grade::MAJOR,
            "exposure of the matter counts"
        );
        assert_eq!(grade(&MatterFacts::default(), &c("a", 0)), Grade::MINOR);
    }

    #[test]
    fn collective_complaint_of_5_is_grade_2_002_s14_6() {
        let m = MatterFacts::default();
        assert_eq!(
            grade(
                &m,
                &ComplaintFacts {
                    people: 5,
                    ..c("a", 0)
                }
            ),
            Grade::GENERAL
        );
        assert_eq!(
            grade(
                &m,
                &ComplaintFacts {
                    people: 4,
                    ..c("a", 0)
                }
            ),
            Grade::MINOR
        );
    }

    fn cand(id: i64, sub: &str, place: &str, text: &str, d: u32) -> CandidateMatter {
        CandidateMatter {
            id,
            subtype: Some(sub.into()),
            place: Some(place.into()),
            text: text.into(),
            last_at: day(d),
        }
    }

    #[test]
    fn propose_same_subtype_and_place_within_30_days() {
        let key = MatterKey {
            subtype: Some("not_warm".into()),
            place: Some("幸福小区3号楼".into()),
            text: "家里暖气不热".into(),
        };
        let cands = vec![
            cand(1, "not_warm", "幸福小区3号楼", "别的描述", 0),
            cand(2, "not_warm", "幸福小区 3号楼", "再一次", 20),
            cand(3, "leak", "幸福小区3号楼", "漏水", 25),
        ];
        assert_eq!(propose_match(&key, &cands, day(26)), Some(2));
        // 31 days after the last complaint: too old.
        assert_eq!(propose_match(&key, &cands[..1], day(31)), None);
    }

    #[test]
    fn propose_by_similar_text() {
        let key = MatterKey {
            subtype: None,
            place: None,
            text: "燃气表显示读数异常，费用突然增加".into(),
        };
        let cands = vec![
            cand(7, "meter", "A", "燃气表读数异常，费用突然增加很多", 1),
            cand(8, "leak", "B", "楼道里有燃气味道", 2),
        ];
        assert!(similarity(&cands[0].text, &key.text) >= 0.5);
        assert!(similarity(&cands[1].text, &key.text) < 0.5);
        assert_eq!(propose_match(&key, &cands, day(3)), Some(7));
        assert_eq!(propose_match(&key, &cands[1..], day(3)), None);
        assert_eq!(similarity("", "abc"), 0.0);
        assert_eq!(similarity("暖气不热", "暖气不热"), 1.0);
    }
}
