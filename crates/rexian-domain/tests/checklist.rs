//! One-time-notification checklists (一次性告知, 004:第三章) in policy data.

use rexian_domain::policy::Policy;

#[test]
fn every_preset_has_checklists_of_known_subtypes() {
    for name in ["heat", "power", "gas", "water"] {
        let p = Policy::preset(name).expect("preset");
        assert!(!p.checklist.is_empty(), "{name} has no checklist");
        for (subtype, c) in &p.checklist {
            assert!(p.subtypes.values().any(|l| l.contains(subtype)));
            assert!(!c.materials.is_empty() && !c.procedure.is_empty());
            assert!(!c.time_limit.is_empty() && !c.fees.is_empty() && !c.basis.is_empty());
        }
    }
}

const BASE: &str = r#"utility = "gas"
[subtypes]
service = ["install"]
"#;

#[test]
fn a_checklist_of_an_unknown_subtype_or_with_a_gap_is_refused_with_its_line() {
    let text = format!(
        "{BASE}[checklist.nosuch]\ntitle = \"x\"\nmaterials = [\"a\"]\nprocedure = [\"b\"]\ntime_limit = \"t\"\nfees = \"f\"\nbasis = \"b\"\n"
    );
    let e = Policy::from_toml("t", &text).unwrap_err();
    assert_eq!(e.line, Some(4), "{e:?}");
    assert!(e.reason.contains("nosuch"), "{e:?}");
    let text = format!(
        "{BASE}[checklist.install]\ntitle = \"x\"\nmaterials = []\nprocedure = [\"b\"]\ntime_limit = \"t\"\nfees = \"f\"\nbasis = \"b\"\n"
    );
    let e = Policy::from_toml("t", &text).unwrap_err();
    assert!(e.reason.contains("checklist.install.materials"), "{e:?}");
    let text = format!("{BASE}[checklist.install]\ntitle = \"x\"\nmaterials = [\"a\"]\n");
    assert!(Policy::from_toml("t", &text).is_err(), "missing fields");
}

#[test]
fn an_override_can_change_a_checklist() {
    let p = Policy::preset("heat").unwrap();
    let o = p
        .with_overrides("[checklist.temperature]\ntime_limit = \"受理后 12 小时内上门\"\n")
        .expect("override");
    assert_eq!(
        o.checklist["temperature"].time_limit,
        "受理后 12 小时内上门"
    );
    assert_eq!(
        o.checklist["temperature"].materials,
        p.checklist["temperature"].materials
    );
}
