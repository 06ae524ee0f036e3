//! `serve --demo`: demo companies for the four utilities, their units and one user per role.

use anyhow::Context;
use rexian_server::AppState;
use rexian_store::org::{NewCompany, NewUser};

/// The password of every demo login.
pub const PASSWORD: &str = "demo-pass-2026";

/// A demo unit: name, kind, index of its parent among the company's units.
type UnitSeed = (&'static str, &'static str, Option<usize>);

/// (utility, company name, prefix, units)
const COMPANIES: &[(&str, &str, &str, &[UnitSeed])] = &[
    (
        "heat",
        "北辰热力有限公司",
        "GR",
        &[
            ("客户服务中心", "centre", None),
            ("城东供热分公司", "division", None),
            ("和平里换热站", "station", Some(1)),
            ("城东维修队", "repair_team", Some(1)),
            ("稽查队", "inspection_team", None),
        ],
    ),
    (
        "power",
        "东湖供电公司",
        "GD",
        &[
            ("95598客户服务中心", "centre", None),
            ("城区供电所", "supply_office", None),
            ("抢修一班", "repair_team", Some(1)),
        ],
    ),
    (
        "gas",
        "西山燃气有限公司",
        "RQ",
        &[
            ("客服中心", "centre", None),
            ("城北事业部", "division", None),
            ("城北维修站", "repair_team", Some(1)),
        ],
    ),
    (
        "water",
        "南江供水集团",
        "GS",
        &[
            ("供水热线", "centre", None),
            ("管网维修部", "division", None),
            ("第一维修班", "repair_team", Some(1)),
        ],
    ),
];

/// (login suffix, name, role, needs a field unit)
const STAFF: &[(&str, &str, &str, bool)] = &[
    ("agent", "王晓梅", "agent", false),
    ("dispatcher", "李建国", "dispatcher", false),
    ("handler", "张伟", "unit_handler", true),
    ("field", "刘强", "field_worker", true),
    ("callback", "陈静", "callback_agent", false),
    ("supervisor", "赵敏", "supervisor", false),
    ("assessor", "孙丽", "assessor", false),
    ("admin", "周涛", "admin", false),
];

/// Seeds the demo organisation once (skipped when companies exist); returns the logins.
pub async fn seed(app: &AppState) -> anyhow::Result<Vec<(String, String)>> {
    let store = &app.store;
    let now = app.clock.now().timestamp_millis();
    let fresh = store.companies().await?.is_empty();
    let hash = rexian_server::auth::hash_password(PASSWORD.to_owned()).await?;
    let mut logins = Vec::new();
    for (utility, name, prefix, units) in COMPANIES {
        let company_id = if fresh {
            let c = NewCompany {
                name: (*name).into(),
                utility: (*utility).into(),
                policy: (*utility).into(),
                number_prefix: (*prefix).into(),
            };
            Some(
                store
                    .create_company(&c, None, now)
                    .await
                    .context("creating demo company")?,
            )
        } else {
            None
        };
        let mut ids: Vec<i64> = Vec::new();
        if let Some(cid) = company_id {
            for (uname, kind, parent) in units.iter() {
                let parent_id = parent.map(|p| ids[p]);
                ids.push(
                    store
                        .create_unit(cid, parent_id, uname, kind, None, now)
                        .await?,
                );
            }
        }
        for (suffix, person, role, in_field_unit) in STAFF {
            let login = format!("{utility}-{suffix}");
            logins.push((login.clone(), format!("{name} · {role}")));
            let Some(cid) = company_id else { continue };
            // Field staff belong to the repair team (last unit); others to the centre (first).
            let unit_id = if *in_field_unit {
                ids.last().copied()
            } else {
                ids.first().copied()
            };
            let u = NewUser {
                login,
                name: (*person).into(),
                password_hash: hash.clone(),
                roles: vec![(*role).into()],
                company_id: Some(cid),
                unit_id,
                staff_no: Some(format!("{}{:03}", prefix, logins.len())),
            };
            store.create_user(&u, None, now).await?;
        }
    }
    Ok(logins)
}
