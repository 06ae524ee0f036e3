//! Policy presets and validation.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rexian_domain::policy::{
    Anchor, AreaClass, DeadlinePlan, Limit, OrderFacts, Policy, SeasonPhase, PRESETS,
};
use rexian_domain::{Category, DeadlineKind as K, Grade, Utility};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn facts(cat: Category, subtype: Option<&str>) -> OrderFacts {
    OrderFacts {
        category: cat,
        subtype: subtype.map(str::to_string),
        grade: None,
        accepted_at: at(2026, 3, 2, 2),
        season_start: None,
    }
}

fn plan(p: &Policy, f: &OrderFacts, kind: K) -> Option<(Limit, Anchor)> {
    p.deadlines(f)
        .into_iter()
        .find(|d| d.kind == kind)
        .map(|d| (d.limit, d.from))
}

#[test]
fn every_preset_loads_and_knows_base_subtypes() {
    for (name, text) in PRESETS {
        let p = Policy::from_toml(name, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.utility.as_str(), name);
        assert_eq!(p.amber_share, 0.8);
        assert_eq!(p.callback.min_gap_minutes, 120);
        assert_eq!(p.callback.max_attempts, 3);
        for s in ["leak", "not_warm", "outage", "meter", "other"] {
            assert!(p.knows_subtype(Category::Repair, s), "{name} repair {s}");
        }
        for s in [
            "install",
            "alteration",
            "safety_check",
            "temperature",
            "leak_detection",
            "water_quality",
            "reminder",
            "emergency_water",
            "other",
        ] {
            assert!(p.knows_subtype(Category::Service, s), "{name} service {s}");
        }
    }
    assert!(Policy::preset("nope").is_none());
    assert_eq!(
        Policy::preset_for(Utility::Water).unwrap().utility,
        Utility::Water
    );
}

#[test]
fn gas_repair_finish_3_workdays_002_s14_4() {
    let p = Policy::preset("gas").unwrap();
    let d = p.deadlines(&facts(Category::Repair, Some("leak")));
    assert_eq!(
        d,
        vec![
            DeadlinePlan {
                kind: K::Dispatch,
                limit: Limit::Minutes(5),
                from: Anchor::Accepted
            },
            DeadlinePlan {
                kind: K::Contact,
                limit: Limit::Hours(2),
                from: Anchor::Dispatched
            },
            DeadlinePlan {
                kind: K::Finish,
                limit: Limit::Workdays(3),
                from: Anchor::Dispatched
            },
            DeadlinePlan {
                kind: K::Callback,
                limit: Limit::Workdays(1),
                from: Anchor::Replied
            },
        ]
    );
}

#[test]
fn gas_consult_20_min_and_1_workday_002_s14_2() {
    let p = Policy::preset("gas").unwrap();
    let f = facts(Category::Consult, None);
    assert_eq!(
        plan(&p, &f, K::Dispatch),
        Some((Limit::Minutes(20), Anchor::Accepted))
    );
    assert_eq!(
        plan(&p, &f, K::Finish),
        Some((Limit::Workdays(1), Anchor::Dispatched))
    );
    // The centre's answer 1 workday after the unit's reply: consults take no callback survey,
    // so it is the close limit counted from the reply (a callback limit would never start).
    assert_eq!(plan(&p, &f, K::Callback), None);
    assert_eq!(
        plan(&p, &f, K::Close),
        Some((Limit::Workdays(1), Anchor::Replied))
    );
}

#[test]
fn gas_service_7_workdays_refusal_2_workdays_002_s14_5() {
    let p = Policy::preset("gas").unwrap();
    let f = facts(Category::Service, Some("install"));
    assert_eq!(
        plan(&p, &f, K::Contact),
        Some((Limit::Workdays(1), Anchor::Dispatched))
    );
    assert_eq!(
        plan(&p, &f, K::Finish),
        Some((Limit::Workdays(7), Anchor::Dispatched))
    );
    let m = p.milestones(&f);
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].name.as_str(), m[0].limit),
        ("refusal_reply", Limit::Workdays(2))
    );
}

#[test]
fn gas_complaint_finish_by_grade_002_s14_6() {
    let p = Policy::preset("gas").unwrap();
    let mut f = facts(Category::Complaint, None);
    for (g, h) in [(3, 3), (2, 24), (1, 48)] {
        f.grade = Some(Grade::new(g).unwrap());
        assert_eq!(
            plan(&p, &f, K::Finish),
            Some((Limit::Hours(h), Anchor::Dispatched)),
            "grade {g}"
        );
        assert_eq!(
            plan(&p, &f, K::Dispatch),
            Some((Limit::Minutes(5), Anchor::Accepted))
        );
    }
    assert_eq!(p.milestones(&f)[0].limit, Limit::Workdays(2));
}

#[test]
fn gas_report_opinion_suggestion_5_workdays_002_s14_7() {
    let p = Policy::preset("gas").unwrap();
    for c in [Category::Report, Category::Opinion, Category::Suggestion] {
        assert_eq!(
            plan(&p, &facts(c, None), K::Finish),
            Some((Limit::Workdays(5), Anchor::Dispatched))
        );
    }
    let praise = p.deadlines(&facts(Category::Praise, None));
    assert_eq!(praise.len(), 1);
    assert_eq!(praise[0].limit, Limit::Minutes(20));
}

#[test]
fn heat_leak_on_site_30_min_000_s4_5_4() {
    let p = Policy::preset("heat").unwrap();
    let f = facts(Category::Repair, Some("leak"));
    assert_eq!(
        plan(&p, &f, K::Arrive),
        Some((Limit::Minutes(30), Anchor::Dispatched))
    );
    // Base repair rule still applies for the other kinds.
    assert_eq!(
        plan(&p, &f, K::Finish),
        Some((Limit::Hours(24), Anchor::Accepted))
    );
    assert_eq!(
        plan(&p, &f, K::Callback),
        Some((Limit::Hours(48), Anchor::Replied))
    );
    assert_eq!(
        plan(&p, &f, K::Close),
        Some((Limit::MonthEnd, Anchor::Accepted))
    );
    assert_eq!(p.milestones(&f)[0].limit, Limit::Minutes(10));
}

#[test]
fn heat_not_warm_by_season_phase_000_s4_5_4() {
    let p = Policy::preset("heat").unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
    let mut f = facts(Category::Repair, Some("not_warm"));
    f.season_start = Some(start);
    // 2026-10-25 local: 21 days before start → off season: no arrive limit.
    f.accepted_at = at(2026, 10, 25, 2);
    assert_eq!(
        p.season_phase(f.accepted_at, f.season_start),
        SeasonPhase::Off
    );
    assert_eq!(plan(&p, &f, K::Arrive), None);
    // 2026-10-31 local (16:00 UTC Oct 30 = 00:00 local Oct 31): exactly 15 days before.
    f.accepted_at = Utc.with_ymd_and_hms(2026, 10, 30, 16, 0, 0).unwrap();
    assert_eq!(
        p.season_phase(f.accepted_at, f.season_start),
        SeasonPhase::Pre
    );
    assert_eq!(
        plan(&p, &f, K::Arrive),
        Some((Limit::Hours(12), Anchor::Dispatched))
    );
    f.accepted_at = at(2026, 11, 20, 2);
    assert_eq!(
        p.season_phase(f.accepted_at, f.season_start),
        SeasonPhase::Early
    );
    assert_eq!(
        plan(&p, &f, K::Arrive),
        Some((Limit::Hours(12), Anchor::Dispatched))
    );
    assert_eq!(
        plan(&p, &f, K::Finish),
        Some((Limit::Hours(24), Anchor::Accepted))
    );
    f.accepted_at = at(2026, 11, 30, 2);
    assert_eq!(
        p.season_phase(f.accepted_at, f.season_start),
        SeasonPhase::Late
    );
    assert_eq!(
        plan(&p, &f, K::Arrive),
        Some((Limit::Hours(4), Anchor::Dispatched))
    );
    assert_eq!(
        plan(&p, &f, K::Finish),
        Some((Limit::Hours(24), Anchor::Dispatched))
    );
}

#[test]
fn heat_complaints_same_day_2_days_5_workdays_000_s8_5() {
    let p = Policy::preset("heat").unwrap();
    let fin = |s: Option<&str>| {
        plan(&p, &facts(Category::Complaint, s), K::Finish)
            .unwrap()
            .0
    };
    assert_eq!(fin(Some("temperature")), Limit::SameDay);
    assert_eq!(fin(Some("repair")), Limit::SameDay);
    assert_eq!(fin(Some("general")), Limit::Hours(48));
    assert_eq!(fin(Some("media")), Limit::Workdays(2));
    assert_eq!(fin(Some("other")), Limit::Workdays(5));
    assert_eq!(fin(None), Limit::Workdays(5));
    let cb = plan(&p, &facts(Category::Complaint, None), K::Callback).unwrap();
    assert_eq!(cb, (Limit::Hours(48), Anchor::Replied));
}

#[test]
fn heat_temperature_visit_24h_arranged_30_min_000_s5_1() {
    let p = Policy::preset("heat").unwrap();
    let f = facts(Category::Service, Some("temperature"));
    assert_eq!(
        plan(&p, &f, K::Arrive),
        Some((Limit::Hours(24), Anchor::Accepted))
    );
    let m = p.milestones(&f);
    assert_eq!(m[0].name, "arrange");
    assert_eq!(
        (m[0].limit, m[0].from),
        (Limit::Minutes(30), Anchor::Accepted)
    );
}

#[test]
fn heat_survey_rates_000_s3_2_s9_4() {
    let p = Policy::preset("heat").unwrap();
    assert_eq!(p.survey.complaint_recheck_share, Some(0.2));
    assert_eq!(
        (p.survey.sample_per_mille_min, p.survey.sample_per_mille_max),
        (Some(1), Some(5))
    );
    assert_eq!(p.survey.outreach_report_days, Some(7));
    assert_eq!(p.settings.timeliness_target, Some(1.0));
}

#[test]
fn water_repair_cycle_24h_from_report_003_s4_3() {
    let p = Policy::preset("water").unwrap();
    let f = facts(Category::Repair, Some("meter"));
    assert_eq!(
        plan(&p, &f, K::Dispatch),
        Some((Limit::Minutes(10), Anchor::Accepted))
    );
    assert_eq!(
        plan(&p, &f, K::Arrive),
        Some((Limit::Minutes(30), Anchor::Dispatched))
    );
    assert_eq!(
        plan(&p, &f, K::Finish),
        Some((Limit::Hours(24), Anchor::Accepted))
    );
}

#[test]
fn power_complaint_5_days_and_deductions_001() {
    let p = Policy::preset("power").unwrap();
    let f = facts(Category::Complaint, None);
    assert_eq!(
        plan(&p, &f, K::Finish),
        Some((Limit::Hours(120), Anchor::Accepted))
    );
    let yuan = |c: &str| p.assessment_rule(c).and_then(|a| a.amount_yuan);
    assert_eq!(yuan("outage_notice_late"), Some(20));
    assert_eq!(yuan("handover_late"), Some(20));
    assert_eq!(yuan("unanswered_3_rings"), Some(20));
    assert_eq!(yuan("order_left_pending"), Some(20));
    assert_eq!(yuan("archived_without_callback"), Some(20));
    assert_eq!(yuan("attitude_complaint"), Some(100));
    assert_eq!(yuan("intranet_breach"), Some(200));
    assert_eq!(p.assessment.len(), 8);
}

const MINI: &str = "utility = \"gas\"\n[subtypes]\nrepair = [\"leak\"]\n";

fn bad(extra: &str) -> rexian_domain::PolicyError {
    Policy::from_toml("t.toml", &format!("{MINI}{extra}")).unwrap_err()
}

#[test]
fn errors_carry_line_and_reason() {
    let e = bad("[[rule]]\ncategory = \"repairs\"\n");
    assert_eq!(e.line, Some(5), "{e}");
    assert!(e.reason.contains("repairs"), "{e}");
    let e = Policy::from_toml("t", "utility = \"gas\"\namber_share = 1.5\n").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.reason.contains("amber_share"), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\nsubtype = \"pipe\"\n");
    assert_eq!(e.line, Some(6));
    assert!(e.reason.contains("unknown subtype \"pipe\""), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\nfinish = { days = 3 }\n");
    assert_eq!(e.line, Some(6));
    assert!(e.reason.contains("unknown key"), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\nfinish = { hours = 3, workdays = 1 }\n");
    assert!(e.reason.contains("one of"), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\nfinish = { hours = 0 }\n");
    assert!(e.reason.contains("positive"), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\nclose = \"eventually\"\n");
    assert!(e.reason.contains("unknown limit"), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\nfinish = { hours = 2, from = \"arrival\" }\n");
    assert!(e.reason.contains("from"), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\ngrade = 1\n");
    assert!(e.reason.contains("only complaint"), "{e}");
    let e = bad("[[rule]]\ncategory = \"complaint\"\ngrade = 4\n");
    assert!(e.reason.contains("grade"), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\nseason = \"late\"\n");
    assert!(e.reason.contains("heating_season"), "{e}");
    let e = bad("[[rule]]\ncategory = \"repair\"\n[[rule]]\ncategory = \"repair\"\n");
    assert_eq!(e.line, Some(6));
    assert!(e.reason.contains("twice"), "{e}");
    let e = bad("[callback]\nwindow_start = \"21:00\"\nwindow_end = \"08:00\"\n");
    assert!(e.reason.contains("before"), "{e}");
    let e = Policy::from_toml("t", "colour = 1\nutility = \"gas\"\n").unwrap_err();
    assert!(e.reason.contains("colour"), "{e}");
    let e = bad("[[rule]\n");
    assert_eq!(e.line, Some(4));
    assert!(e.to_string().starts_with("t.toml:4: "), "{e}");
}

#[test]
fn company_overrides_merge_over_preset() {
    let base = Policy::preset("gas").unwrap();
    let p = base
        .with_overrides(
            "amber_share = 0.7\n[subtypes]\nrepair = [\"leak\", \"meter\", \"pipe\", \"not_warm\", \"outage\", \"other\"]\n\
             [[rule]]\ncategory = \"repair\"\nfinish = { workdays = 2 }\n\
             [[rule]]\ncategory = \"repair\"\nsubtype = \"pipe\"\ncontact = { minutes = 30 }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.amber_share, 0.7);
    assert_eq!(p.name, "gas");
    let f = facts(Category::Repair, Some("pipe"));
    assert_eq!(plan(&p, &f, K::Finish).unwrap().0, Limit::Workdays(2));
    assert_eq!(plan(&p, &f, K::Contact).unwrap().0, Limit::Minutes(30));
    // Untouched fields of the overridden rule stay.
    assert_eq!(plan(&p, &f, K::Dispatch).unwrap().0, Limit::Minutes(5));
    assert_eq!(
        plan(&base, &facts(Category::Repair, None), K::Finish)
            .unwrap()
            .0,
        Limit::Workdays(3)
    );
    // Overrides are validated.
    let e = base.with_overrides("amber_share = 2.0\n").unwrap_err();
    assert!(e.reason.contains("amber_share"), "{e}");
    let e = base.with_overrides("amber_share = \n").unwrap_err();
    assert_eq!(e.line, Some(1));
    // Round trip through to_toml.
    let again = Policy::from_toml("gas", &p.to_toml()).unwrap();
    assert_eq!(again.rules, p.rules);
}

#[test]
fn gas_grading_thresholds_from_policy_002_s14_6() {
    let g = Policy::preset("gas").unwrap().grading_rules();
    assert_eq!(
        (g.same_customer, g.complainants, g.window_days, g.collective),
        (5, 5, 30, 5)
    );
    let p = Policy::preset("gas")
        .unwrap()
        .with_overrides("[settings]\ncomplaint_grade2_complainants = 3\n")
        .unwrap();
    assert_eq!(p.grading_rules().complainants, 3);
    assert_eq!(p.grading_rules().same_customer, 5);
}

#[test]
fn limits_beyond_ten_years_are_refused_at_parse_time() {
    let rule = |limit: &str| format!("[[rule]]\ncategory = \"repair\"\ndispatch = {limit}\n");
    let e = bad(&rule("{ hours = 3000000000 }"));
    assert_eq!(e.line, Some(6), "{e}");
    assert!(e.reason.contains("dispatch.hours"), "{e}");
    assert!(e.reason.contains("10 years"), "{e}");
    for (limit, key) in [
        ("{ hours = 87601 }", "dispatch.hours"),
        ("{ minutes = 5256001 }", "dispatch.minutes"),
        ("{ workdays = 2501 }", "dispatch.workdays"),
        ("{ hours = 9223372036854775807 }", "dispatch.hours"),
    ] {
        let e = bad(&rule(limit));
        assert!(e.reason.contains(key), "{limit}: {e}");
    }
    let e =
        bad("[[rule]]\ncategory = \"repair\"\n[rule.milestones]\nprepare = { hours = 100000 }\n");
    assert!(e.reason.contains("prepare.hours"), "{e}");
    for limit in [
        "{ hours = 87600 }",
        "{ minutes = 5256000 }",
        "{ workdays = 2500 }",
    ] {
        Policy::from_toml("t", &format!("{MINI}{}", rule(limit)))
            .unwrap_or_else(|e| panic!("{limit}: {e}"));
    }
}

#[test]
fn an_override_beyond_ten_years_names_its_key_and_line() {
    let base = Policy::preset("gas").unwrap();
    let e = base
        .with_overrides("[[rule]]\ncategory = \"repair\"\ndispatch = { hours = 3000000000 }\n")
        .unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.reason.contains("dispatch.hours"), "{e}");
    assert!(e.to_string().starts_with("gas:3: "), "{e}");
}

#[test]
fn every_other_number_of_a_policy_is_bounded() {
    for (extra, key) in [
        (
            "[callback]\nmin_gap_minutes = 4000000000\n",
            "callback.min_gap_minutes",
        ),
        (
            "[callback]\nmax_attempts = 100000\n",
            "callback.max_attempts",
        ),
        (
            "[survey]\nsample_per_mille_min = 5000\n",
            "survey.sample_per_mille_min",
        ),
        (
            "[survey]\nsample_per_mille_max = 5000\n",
            "survey.sample_per_mille_max",
        ),
        (
            "[survey]\noutreach_report_days = 4000000000\n",
            "survey.outreach_report_days",
        ),
        (
            "[survey]\ncomplaint_callback_share = 1e308\n",
            "survey.complaint_callback_share",
        ),
        (
            "[survey]\ncomplaint_recheck_share = nan\n",
            "survey.complaint_recheck_share",
        ),
        ("amber_share = nan\n", "amber_share"),
        (
            "[heating_season]\npre_days = 4000000000\nsettle_days = 15\n",
            "heating_season.pre_days",
        ),
        (
            "[heating_season]\npre_days = 15\nsettle_days = 400\n",
            "heating_season.settle_days",
        ),
        (
            "[settings]\ncomplaint_grade2_window_days = 4000000000\n",
            "settings.complaint_grade2_window_days",
        ),
        (
            "[settings]\ncomplaint_grade1_same_customer = 0\n",
            "settings.complaint_grade1_same_customer",
        ),
        (
            "[settings]\ncomplaint_grade2_complainants = \"many\"\n",
            "settings.complaint_grade2_complainants",
        ),
        (
            "[[assessment]]\ncode = \"x\"\ndescription = \"x\"\namount_yuan = 4000000000\n",
            "amount_yuan",
        ),
        (
            "[[assessment]]\ncode = \"x\"\ndescription = \"x\"\npoints = 4000000000\n",
            "points",
        ),
    ] {
        // amber_share must come before the tables of MINI.
        let text = if extra.starts_with('[') {
            format!("{MINI}{extra}")
        } else {
            format!("{extra}{MINI}")
        };
        let e = Policy::from_toml("t", &text).unwrap_err();
        assert!(e.reason.contains(key), "{extra}: {e}");
        assert!(e.line.is_some(), "{extra}: {e}");
    }
    // The presets stay within the bounds.
    for (name, _) in PRESETS {
        Policy::preset(name).unwrap_or_else(|| panic!("{name}"));
    }
}

#[test]
fn deadline_maths_never_panics_on_extreme_data() {
    use rexian_domain::calendar::BusinessCalendar;
    use rexian_domain::deadline::{due_at, latest_due};
    use rexian_domain::policy::{china_offset, SeasonRules};
    let cal = BusinessCalendar::embedded();
    let latest = latest_due();
    for start in [
        at(2026, 3, 2, 2),
        latest,
        DateTime::<Utc>::MAX_UTC,
        DateTime::<Utc>::MIN_UTC,
    ] {
        for limit in [
            Limit::Hours(u32::MAX),
            Limit::Minutes(u32::MAX),
            Limit::Workdays(1_000_000),
            Limit::SameDay,
            Limit::MonthEnd,
        ] {
            let d = due_at(start, &limit, &cal, china_offset());
            assert!(d.due_at <= latest, "{start} {limit}: {}", d.due_at);
        }
    }
    assert_eq!(
        due_at(
            at(2026, 3, 2, 2),
            &Limit::Hours(u32::MAX),
            &cal,
            china_offset()
        )
        .due_at,
        latest
    );
    let s = SeasonRules {
        pre_days: u32::MAX,
        settle_days: u32::MAX,
    };
    let start = NaiveDate::from_ymd_opt(2026, 11, 15);
    assert_eq!(s.phase(NaiveDate::MIN, start), SeasonPhase::Pre);
    let far = NaiveDate::from_ymd_opt(200_000, 1, 1).unwrap();
    assert_eq!(s.phase(far, start), SeasonPhase::Early);
    assert_eq!(
        s.phase(NaiveDate::MIN, NaiveDate::from_ymd_opt(-262_000, 1, 1)),
        SeasonPhase::Pre
    );
}

#[test]
fn outreach_report_due_never_panics() {
    use rexian_domain::survey::outreach_report_due;
    let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    assert_eq!(
        outreach_report_due(d, 7),
        NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()
    );
    assert_eq!(outreach_report_due(NaiveDate::MAX, 7), NaiveDate::MAX);
}

// ---- issue 15: electricity and water preset limits ----

#[test]
fn power_repair_arrival_is_chosen_by_the_area_class() {
    let urban = Policy::preset("power").unwrap();
    assert_eq!(urban.area, AreaClass::Urban);
    let f = facts(Category::Repair, Some("outage"));
    assert_eq!(
        plan(&urban, &f, K::Arrive),
        Some((Limit::Minutes(45), Anchor::Dispatched))
    );
    let rural = urban.with_overrides("area = \"rural\"\n").unwrap();
    assert_eq!(rural.area, AreaClass::Rural);
    assert_eq!(
        plan(&rural, &f, K::Arrive),
        Some((Limit::Minutes(90), Anchor::Dispatched))
    );
    let remote = urban.with_overrides("area = \"remote\"\n").unwrap();
    assert_eq!(
        plan(&remote, &f, K::Arrive),
        Some((Limit::Hours(2), Anchor::Dispatched))
    );
    // An area rule only counts for its class: one arrive limit per order.
    assert_eq!(
        remote
            .deadlines(&f)
            .iter()
            .filter(|d| d.kind == K::Arrive)
            .count(),
        1
    );
    for a in AreaClass::ALL {
        assert_eq!(AreaClass::parse(a.as_str()), Some(a));
    }
    assert_eq!(AreaClass::parse("suburb"), None);
    let e = urban.with_overrides("area = \"suburb\"\n").unwrap_err();
    assert!(
        e.reason.contains("suburb") || e.reason.contains("area"),
        "{e}"
    );
}

#[test]
fn power_95598_subtype_limits() {
    let p = Policy::preset("power").unwrap();
    let svc = |s: &str, k: K| plan(&p, &facts(Category::Service, Some(s)), k);
    assert_eq!(
        svc("reconnect", K::Arrive),
        Some((Limit::Hours(24), Anchor::Dispatched))
    );
    assert_eq!(
        svc("reconnect", K::Finish),
        Some((Limit::Workdays(1), Anchor::Arrived))
    );
    assert_eq!(
        svc("appliance_damage", K::Arrive),
        Some((Limit::Hours(24), Anchor::Dispatched))
    );
    assert_eq!(
        svc("appliance_damage", K::Finish),
        Some((Limit::Workdays(5), Anchor::Dispatched))
    );
    assert_eq!(
        svc("meter_fault", K::Finish),
        Some((Limit::Workdays(4), Anchor::Dispatched))
    );
    assert_eq!(
        svc("meter_reading", K::Finish),
        Some((Limit::Workdays(6), Anchor::Dispatched))
    );
    for other in ["install", "alteration", "other"] {
        assert_eq!(
            svc(other, K::Finish),
            Some((Limit::Workdays(5), Anchor::Dispatched)),
            "{other}"
        );
        assert_eq!(svc(other, K::Arrive), None, "{other}");
    }
    // 001's complaint and callback limits are kept.
    let c = facts(Category::Complaint, None);
    assert_eq!(
        plan(&p, &c, K::Finish),
        Some((Limit::Hours(120), Anchor::Accepted))
    );
    assert_eq!(
        plan(&p, &c, K::Callback),
        Some((Limit::Workdays(1), Anchor::Replied))
    );
}

#[test]
fn limits_may_count_from_arrival() {
    let base = "title = \"t\"\nutility = \"power\"\n";
    let p = Policy::from_toml(
        "t",
        &format!(
            "{base}[[rule]]\ncategory = \"repair\"\nfinish = {{ hours = 2, from = \"arrived\" }}\n"
        ),
    )
    .unwrap();
    assert_eq!(
        plan(&p, &facts(Category::Repair, None), K::Finish),
        Some((Limit::Hours(2), Anchor::Arrived))
    );
    let e = Policy::from_toml(
        "t",
        &format!(
            "{base}[[rule]]\ncategory = \"repair\"\nfinish = {{ hours = 2, from = \"seen\" }}\n"
        ),
    )
    .unwrap_err();
    assert!(e.reason.contains("arrived"), "{e}");
    let e = Policy::from_toml(
        "t",
        &format!("{base}[[rule]]\ncategory = \"repair\"\narea = \"rural\"\narrive = {{ minutes = 90 }}\n[[rule]]\ncategory = \"repair\"\narea = \"rural\"\narrive = {{ minutes = 60 }}\n"),
    )
    .unwrap_err();
    assert!(e.reason.contains("twice"), "{e}");
}

#[test]
fn water_service_complaint_and_consult_limits() {
    let p = Policy::preset("water").unwrap();
    let s = facts(Category::Service, Some("water_quality"));
    assert_eq!(
        plan(&p, &s, K::Dispatch),
        Some((Limit::Minutes(20), Anchor::Accepted))
    );
    assert_eq!(
        plan(&p, &s, K::Finish),
        Some((Limit::Workdays(7), Anchor::Dispatched))
    );
    let c = facts(Category::Complaint, None);
    assert_eq!(
        plan(&p, &c, K::Dispatch),
        Some((Limit::Minutes(5), Anchor::Accepted))
    );
    assert_eq!(
        plan(&p, &c, K::Finish),
        Some((Limit::Workdays(2), Anchor::Dispatched))
    );
    assert_eq!(
        plan(&p, &c, K::Callback),
        Some((Limit::Workdays(1), Anchor::Replied))
    );
    let q = facts(Category::Consult, None);
    assert_eq!(
        plan(&p, &q, K::Dispatch),
        Some((Limit::Minutes(20), Anchor::Accepted))
    );
    assert_eq!(
        plan(&p, &q, K::Finish),
        Some((Limit::Workdays(1), Anchor::Dispatched))
    );
    // The repair limits of 003:4.3 are unchanged.
    let r = facts(Category::Repair, Some("leak"));
    assert_eq!(
        plan(&p, &r, K::Arrive),
        Some((Limit::Minutes(30), Anchor::Dispatched))
    );
}

#[test]
fn water_extended_services_are_free_003() {
    let p = Policy::preset("water").unwrap();
    for item in ["water_quality", "leak_detection"] {
        let c = &p.checklist[item];
        assert!(c.fees.starts_with("免费"), "{item}: {}", c.fees);
        assert!(!c.fees.contains("收取"), "{item}: {}", c.fees);
    }
}

#[test]
fn named_limits_are_deadlines_of_their_own_kind_000_s4_2_5_s5_1_s8_5_4_002_s14_5_6() {
    let heat = Policy::preset("heat").unwrap();
    let gas = Policy::preset("gas").unwrap();
    let mut media = facts(Category::Complaint, Some("media"));
    media.grade = None;
    for (p, f, kind, want) in [
        (
            &heat,
            facts(Category::Repair, Some("leak")),
            K::Prepare,
            (Limit::Minutes(10), Anchor::Dispatched),
        ),
        (
            &heat,
            facts(Category::Service, Some("temperature")),
            K::Arrange,
            (Limit::Minutes(30), Anchor::Accepted),
        ),
        (
            &heat,
            media,
            K::MediaReply,
            (Limit::Workdays(2), Anchor::Accepted),
        ),
        (
            &gas,
            facts(Category::Service, Some("install")),
            K::RefusalReply,
            (Limit::Workdays(2), Anchor::Dispatched),
        ),
        (
            &gas,
            facts(Category::Complaint, None),
            K::Investigate,
            (Limit::Workdays(2), Anchor::Dispatched),
        ),
    ] {
        // One code path plans every deadline, the named ones among them.
        assert_eq!(plan(p, &f, kind), Some(want), "{kind}");
        assert!(kind.is_named());
        assert_eq!(kind.as_str().parse::<K>().unwrap(), kind);
    }
}

#[test]
fn an_unknown_named_limit_is_refused_with_its_line() {
    let e = bad("[[rule]]\ncategory = \"repair\"\nmilestones = { get_ready = { minutes = 10 } }\n");
    assert_eq!(e.line, Some(6), "{e}");
    assert!(e.reason.contains("milestones.get_ready"), "{e}");
    assert!(e.reason.contains("prepare"), "{e}");
    // A step kind is not a named limit either.
    let e = bad("[[rule]]\ncategory = \"repair\"\nmilestones = { finish = { hours = 1 } }\n");
    assert!(e.reason.contains("milestones.finish"), "{e}");
}

#[test]
fn a_callback_limit_of_a_category_without_callback_is_refused_002_s14_9() {
    for cat in ["consult", "suggestion", "query", "praise"] {
        let e = bad(&format!(
            "[[rule]]\ncategory = \"{cat}\"\ncallback = {{ workdays = 1 }}\n"
        ));
        assert_eq!(e.line, Some(6), "{e}");
        assert!(e.reason.contains("take no callback"), "{cat}: {e}");
    }
    let e = Policy::preset("gas")
        .unwrap()
        .with_overrides("[[rule]]\ncategory = \"consult\"\ncallback = { workdays = 2 }\n")
        .unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
}

#[test]
fn a_setting_nothing_reads_is_refused_with_its_line() {
    let e = bad("[settings]\ncomplaint_grade2_collective = 5\nanswer_within_rings = 3\n");
    assert_eq!(e.line, Some(6), "{e}");
    assert!(e.reason.contains("settings.answer_within_rings"), "{e}");
    assert!(e.reason.contains("nothing in the product reads"), "{e}");
    assert!(e.to_string().starts_with("t.toml:6: "), "{e}");
    // The same through an override: the line is the override's own.
    let e = Policy::preset("heat")
        .unwrap()
        .with_overrides("title = \"x\"\n[settings]\nrepair_prepare_minutes = 10\n")
        .unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.reason.contains("settings.repair_prepare_minutes"), "{e}");
    // KPI targets are shares.
    let e = bad("[settings]\ntimeliness_target = 1.5\n");
    assert!(e.reason.contains("settings.timeliness_target"), "{e}");
    let p = Policy::from_toml(
        "t",
        &format!("{MINI}[settings]\nsatisfaction_target = 0.95\n"),
    )
    .unwrap();
    assert_eq!(p.kpi_targets().satisfaction_rate, Some(0.95));
    assert_eq!(p.kpi_targets().timely_rate, None);
}

#[test]
fn no_preset_keeps_a_setting_nothing_reads() {
    for (name, text) in PRESETS {
        let t: toml::Table = text.parse().unwrap();
        if let Some(toml::Value::Table(s)) = t.get("settings") {
            for k in s.keys() {
                assert!(rexian_domain::policy::known_setting(k), "{name}: {k}");
            }
        }
    }
    assert_eq!(
        Policy::preset("heat").unwrap().kpi_targets().timely_rate,
        Some(1.0)
    );
}

#[test]
fn a_stored_override_with_a_now_unread_key_still_loads() {
    let gas = Policy::preset("gas").unwrap();
    let stored =
        "[settings]\nlocal_stricter_limits_win = true\ncomplaint_grade2_complainants = 3\n\
                  [[rule]]\ncategory = \"consult\"\ncallback = { workdays = 1 }\n\
                  milestones = { reply_soon = { hours = 1 } }\n";
    assert!(gas.with_overrides(stored).is_err());
    let (p, dropped) = gas.with_stored_overrides(stored).unwrap();
    assert_eq!(p.grading_rules().complainants, 3);
    assert_eq!(
        dropped,
        [
            "settings.local_stricter_limits_win",
            "rule[0].callback",
            "rule[0].milestones.reply_soon"
        ]
    );
    // Nothing to drop: the same as with_overrides.
    let (q, none) = gas
        .with_stored_overrides("[settings]\ncomplaint_grade2_complainants = 3\n")
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(q.grading_rules().complainants, 3);
}

#[test]
fn power_shifts_run_24_hours_from_0800_001() {
    let p = Policy::preset("power").unwrap();
    let eight = chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap();
    assert_eq!(p.shifts.starts, vec![eight]);
    // Presets without [shifts]: a shift is the local day.
    assert_eq!(
        Policy::preset("heat").unwrap().shifts.starts,
        vec![chrono::NaiveTime::MIN]
    );
}

#[test]
fn power_left_pending_is_consult_and_query_60_minutes_20_yuan_001() {
    let p = Policy::preset("power").unwrap();
    let l = p.shifts.left_pending.clone().unwrap();
    assert_eq!(l.categories, vec![Category::Consult, Category::Query]);
    assert_eq!(l.minutes, 60);
    assert_eq!(p.shifts.names, vec!["全天".to_string()]);
    let rules = p.assessment_on("order_left_pending");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].code, "order_left_pending");
    assert_eq!(rules[0].amount_yuan, Some(20));
    assert_eq!(Policy::preset("heat").unwrap().shifts.left_pending, None);
}

#[test]
fn bad_left_pending_and_names_are_refused() {
    for (bad, what) in [
        (
            "left_pending = { categories = [], minutes = 60 }",
            "left_pending.categories",
        ),
        (
            "left_pending = { categories = [\"consult\"], minutes = 0 }",
            "left_pending.minutes",
        ),
        (
            "left_pending = { categories = [\"nope\"], minutes = 60 }",
            "nope",
        ),
        ("names = [\"早班\", \"中班\"]", "shifts.names"),
    ] {
        let text = format!("utility = \"power\"\n\n[shifts]\nstarts = [\"08:00\"]\n{bad}\n");
        let e = Policy::from_toml("t", &text).unwrap_err();
        assert!(e.reason.contains(what), "{bad}: {e:?}");
    }
}

#[test]
fn bad_shift_starts_are_refused_with_their_line() {
    for bad in ["[]", "[\"25:00\"]", "[\"08:00\", \"08:00\"]"] {
        let text = format!("utility = \"power\"\n\n[shifts]\nstarts = {bad}\n");
        let e = Policy::from_toml("t", &text).unwrap_err();
        assert!(e.reason.contains("shifts.starts"), "{bad}: {e:?}");
        assert_eq!(e.line, Some(3), "{bad}: {e:?}");
    }
}

#[test]
fn every_preset_groups_10_calls_in_60_minutes_spec_6() {
    for name in ["heat", "power", "gas", "water"] {
        let m = Policy::preset(name).unwrap().mass_incident.unwrap();
        assert_eq!((m.orders, m.minutes), (10, 60), "{name}");
    }
    let text = "utility = \"gas\"\n\n[mass_incident]\norders = 1\nminutes = 60\n";
    let e = Policy::from_toml("t", text).unwrap_err();
    assert!(e.reason.contains("mass_incident.orders"), "{e:?}");
}

#[test]
fn a_handover_is_late_past_five_minutes_001() {
    let p = Policy::preset("power").unwrap();
    assert_eq!(p.shifts.handover_early_minutes, Some(20));
    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    let start = at("2026-03-03 08:00");
    assert!(!p.shifts.handover_late(start, at("2026-03-03 08:05")));
    assert!(p.shifts.handover_late(start, at("2026-03-03 08:06")));
    // No delay rule: never late.
    let heat = Policy::preset("heat").unwrap();
    assert!(!heat.shifts.handover_late(start, at("2026-03-03 12:00")));
}
