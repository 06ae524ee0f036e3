//! Monthly satisfaction surveys (`000:三.2`): a random sample of 1–5 ‰ of the households,
//! mostly residential, spread evenly over communities (or stations), reproducible from a seed.

use std::collections::BTreeMap;

/// One household of the customer register, as sampling needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// Customer id.
    pub id: i64,
    /// The stratum the sample is spread over: community or station.
    pub stratum: String,
    /// Residential (not a business or institution).
    pub residential: bool,
}

/// How to draw a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSpec {
    /// Sample size per thousand households (1–5 for `000:三.2`).
    pub per_mille: f64,
    /// Share of the sample taken from residential households (e.g. 0.9).
    pub residential_share: f64,
    /// Seed: the same register, spec and seed give the same sample.
    pub seed: u64,
}

/// A reproducible pseudo-random sequence (SplitMix64); pure, no IO.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A sequence from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Allocates `n` draws over strata in proportion to their sizes (largest remainder), so every
/// stratum's share of the sample differs from its share of the population by less than one draw.
pub fn allocate(sizes: &[usize], n: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    if total == 0 || n == 0 {
        return vec![0; sizes.len()];
    }
    let n = n.min(total);
    let exact: Vec<f64> = sizes
        .iter()
        .map(|s| *s as f64 * n as f64 / total as f64)
        .collect();
    let mut alloc: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut rest = n - alloc.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    // Largest remainder first; ties by index so the result is deterministic.
    order.sort_by(|a, b| {
        let ra = exact[*a] - exact[*a].floor();
        let rb = exact[*b] - exact[*b].floor();
        rb.partial_cmp(&ra)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(b))
    });
    for i in order {
        if rest == 0 {
            break;
        }
        if alloc[i] < sizes[i] {
            alloc[i] += 1;
            rest -= 1;
        }
    }
    alloc
}

/// Draws the survey sample: ids of the chosen households, sorted.
pub fn draw_sample(households: &[Household], spec: &SampleSpec) -> Vec<i64> {
    if households.is_empty() || spec.per_mille <= 0.0 {
        return Vec::new();
    }
    let n = ((households.len() as f64 * spec.per_mille / 1000.0).round() as usize).max(1);
    let residential: Vec<&Household> = households.iter().filter(|h| h.residential).collect();
    let others: Vec<&Household> = households.iter().filter(|h| !h.residential).collect();
    let share = spec.residential_share.clamp(0.0, 1.0);
    let mut n_res = ((n as f64 * share).round() as usize).min(residential.len());
    let n_other = (n - n_res).min(others.len());
    n_res = (n - n_other).min(residential.len());
    let mut rng = SplitMix64::new(spec.seed);
    let mut out = stratified(&residential, n_res, &mut rng);
    out.extend(stratified(&others, n_other, &mut rng));
    out.sort_unstable();
    out
}

fn stratified(pool: &[&Household], n: usize, rng: &mut SplitMix64) -> Vec<i64> {
    let mut strata: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for h in pool {
        strata.entry(h.stratum.as_str()).or_default().push(h.id);
    }
    let sizes: Vec<usize> = strata.values().map(Vec::len).collect();
    let alloc = allocate(&sizes, n);
    let mut out = Vec::with_capacity(n);
    for (ids, k) in strata.into_values().zip(alloc) {
        let mut ids = ids;
        ids.sort_unstable();
        // Partial Fisher–Yates: the first k positions become the draw.
        for i in 0..k {
            let j = i + rng.below(ids.len() - i);
            ids.swap(i, j);
        }
        out.extend_from_slice(&ids[..k]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register() -> Vec<Household> {
        // 12 communities of uneven size, 10 % non-residential.
        let mut v = Vec::new();
        let mut id = 0;
        for (c, size) in [
            4000, 2500, 800, 12000, 600, 3000, 9000, 150, 7000, 2200, 5100, 1650,
        ]
        .iter()
        .enumerate()
        {
            for k in 0..*size {
                id += 1;
                v.push(Household {
                    id,
                    stratum: format!("小区{c:02}"),
                    residential: k % 10 != 0,
                });
            }
        }
        v
    }

    #[test]
    fn sample_is_1_to_5_per_mille_mostly_residential_and_even_000_s3_2() {
        let hh = register();
        let spec = SampleSpec {
            per_mille: 3.0,
            residential_share: 0.9,
            seed: 20261201,
        };
        let s = draw_sample(&hh, &spec);
        assert_eq!(s.len(), 144, "3 ‰ of 48,000");
        let by_id: std::collections::HashMap<i64, &Household> =
            hh.iter().map(|h| (h.id, h)).collect();
        let res = s.iter().filter(|id| by_id[id].residential).count();
        assert_eq!(res, 130, "90 % residential");
        // Evenness: each community's residential draws differ from its proportional share by < 1.
        let res_total = hh.iter().filter(|h| h.residential).count() as f64;
        let mut strata: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for h in hh.iter().filter(|h| h.residential) {
            strata.entry(&h.stratum).or_default().0 += 1;
        }
        for id in s.iter().filter(|id| by_id[id].residential) {
            strata.entry(&by_id[id].stratum).or_default().1 += 1;
        }
        for (name, (size, drawn)) in strata {
            let expected = size as f64 * 130.0 / res_total;
            assert!(
                (drawn as f64 - expected).abs() < 1.0,
                "{name}: drew {drawn}, proportional share {expected:.2}"
            );
        }
    }

    #[test]
    fn same_seed_same_sample_other_seed_other_sample() {
        let hh = register();
        let a = draw_sample(
            &hh,
            &SampleSpec {
                per_mille: 2.0,
                residential_share: 0.9,
                seed: 7,
            },
        );
        let b = draw_sample(
            &hh,
            &SampleSpec {
                per_mille: 2.0,
                residential_share: 0.9,
                seed: 7,
            },
        );
        let c = draw_sample(
            &hh,
            &SampleSpec {
                per_mille: 2.0,
                residential_share: 0.9,
                seed: 8,
            },
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut dedup = a.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), a.len(), "no household twice");
    }

    #[test]
    fn allocation_is_proportional_within_one() {
        let sizes = [7, 0, 13, 1, 99];
        let a = allocate(&sizes, 12);
        assert_eq!(a.iter().sum::<usize>(), 12);
        assert_eq!(a[1], 0);
        for (s, k) in sizes.iter().zip(&a) {
            assert!((*k as f64 - *s as f64 * 12.0 / 120.0).abs() < 1.0);
        }
        assert_eq!(
            allocate(&[3, 2], 10),
            vec![3, 2],
            "never more than a stratum holds"
        );
    }
}

/// Whether the next closed complaint is re-checked so that at least `share` of all are
/// (`000:九.4`: not below 20 %): picked while the picks fall short of `share` × closed.
pub fn pick_at_least(share: f64, closed_before: u64, picked_before: u64) -> bool {
    let share = share.clamp(0.0, 1.0);
    (picked_before as f64) < ((closed_before + 1) as f64 * share).ceil()
}

/// Whether an order is picked for a random re-check with probability `share`, reproducibly
/// from the order id and a seed (`001`: random callbacks on repairs).
pub fn pick_random(share: f64, order_id: i64, seed: u64) -> bool {
    let mut r = SplitMix64::new(seed ^ (order_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    (r.next_u64() % 10_000) < (share.clamp(0.0, 1.0) * 10_000.0) as u64
}

/// The day an outreach event's report is due: `days` after it ends (`000:三.7`: 7); the last
/// representable day when that is later.
pub fn outreach_report_due(ends_on: chrono::NaiveDate, days: u32) -> chrono::NaiveDate {
    ends_on
        .checked_add_days(chrono::Days::new(u64::from(days)))
        .unwrap_or(chrono::NaiveDate::MAX)
}

#[cfg(test)]
mod recheck_tests {
    use super::*;

    #[test]
    fn at_least_a_fifth_of_complaints_rechecked_000_s9_4() {
        let mut picked = 0u64;
        for closed in 0..1000u64 {
            if pick_at_least(0.2, closed, picked) {
                picked += 1;
            }
            assert!(
                picked as f64 >= 0.2 * (closed + 1) as f64,
                "after {} closed, {picked} picked",
                closed + 1
            );
        }
        assert_eq!(picked, 200);
    }

    #[test]
    fn random_pick_rate_is_near_its_share() {
        let n = (1..=10_000).filter(|id| pick_random(0.3, *id, 99)).count();
        assert!((2_800..=3_200).contains(&n), "{n}");
        assert_eq!(pick_random(0.3, 17, 99), pick_random(0.3, 17, 99));
    }

    #[test]
    fn outreach_report_due_7_days_after_the_event_000_s3_7() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            outreach_report_due(d, 7),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
        );
    }
}
