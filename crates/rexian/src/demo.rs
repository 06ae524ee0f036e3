//! `serve --demo`: demo companies for the four utilities, their units and one user per role.

use anyhow::Context;
use rexian_app::intake::{self, AtOnce, CustomerFields, Intake, NewOrderInput};
use rexian_app::ser::Id;
use rexian_app::steps::{self, StepInput};
use rexian_server::auth::{parse_roles, CurrentUser};
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
                        .create_unit(cid, parent_id, uname, kind, None, None, now)
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
    if fresh {
        let n = seed_orders(app, 80).await?;
        tracing::info!(orders = n, "demo orders seeded");
        seed_shifts_and_halls(app).await?;
        seed_away(app, &hash, now).await?;
        seed_roster(app).await?;
    }
    logins.push((AWAY_B.into(), "北辰热力有限公司 · field_worker (B)".into()));
    seed_knowledge(app, now).await?;
    Ok(logins)
}

/// The login of the heat field worker's B partner (A/B roles).
const AWAY_B: &str = "heat-field2";

/// An away period in the demo (`004` AB角): the heat field worker `heat-field` (A) is at a
/// training for three days from now; `heat-field2` (B) handles A's open orders meanwhile.
async fn seed_away(app: &AppState, hash: &str, now: i64) -> anyhow::Result<()> {
    let a = app.store.user_by_login("heat-field").await?;
    let b = NewUser {
        login: AWAY_B.into(),
        name: "林峰".into(),
        password_hash: hash.to_owned(),
        roles: vec!["field_worker".into()],
        company_id: a.company_id,
        unit_id: a.unit_id,
        staff_no: Some("GR099".into()),
    };
    let b = app.store.create_user(&b, None, now).await?;
    app.store.set_partner(a.id, Some(b), None, now).await?;
    let supervisor = actor(app, "heat-supervisor").await?;
    let from = app.clock.now();
    let period = rexian_app::away::NewAway {
        from,
        until: from + chrono::Duration::days(3),
        reason: "training".into(),
        note: Some("市公司抢修技能培训".into()),
        force: false,
    };
    let v = rexian_app::away::create(app, &supervisor, a.id, period).await?;
    tracing::info!(
        away.id = v.id,
        moved = v.moves.len(),
        "demo away period seeded"
    );
    Ok(())
}

/// A demo demand: category, subtype, what the caller says.
type Demand = (&'static str, Option<&'static str>, &'static str);

/// Demo demands per utility.
const DEMANDS: &[(&str, &[Demand])] = &[
    (
        "heat",
        &[
            ("repair", Some("not_warm"), "卧室暖气不热，室温只有14度"),
            ("repair", Some("leak"), "厨房暖气片接口漏水，地面已积水"),
            ("complaint", None, "维修人员上门不准时，等了一上午"),
            (
                "service",
                Some("temperature"),
                "申请入户测温，怀疑室温不达标",
            ),
            ("consult", None, "咨询今年供暖费缴费标准和截止日期"),
            ("query", None, "查询本户供暖缴费记录"),
            ("suggestion", None, "建议在小区张贴停热检修通知"),
            ("praise", None, "表扬维修队师傅服务热情"),
        ],
    ),
    (
        "power",
        &[
            ("repair", Some("outage"), "家中突然停电，邻居家也没电"),
            ("repair", Some("meter"), "电表显示异常，读数跳变"),
            ("complaint", None, "抢修人员态度差，电话不接"),
            ("service", Some("install"), "申请新装居民用电"),
            ("consult", None, "咨询阶梯电价计算方式"),
            ("query", None, "查询上月电费明细"),
            ("report", None, "举报有人私拉电线窃电"),
            ("opinion", None, "对计划停电通知时间太短有意见"),
        ],
    ),
    (
        "gas",
        &[
            ("repair", Some("leak"), "厨房有燃气味，怀疑表后阀门漏气"),
            ("repair", Some("meter"), "燃气表不走字"),
            ("complaint", None, "安检人员未出示证件即要求入户"),
            ("service", Some("safety_check"), "申请上门安全检查"),
            ("service", Some("install"), "新房申请开通燃气"),
            ("consult", None, "咨询燃气壁挂炉改装手续"),
            ("query", None, "查询燃气费余额"),
            ("suggestion", None, "建议增加线上缴费渠道"),
        ],
    ),
    (
        "water",
        &[
            ("repair", Some("leak"), "楼道水管爆裂，大量漏水"),
            ("repair", Some("outage"), "整栋楼停水，无通知"),
            ("complaint", None, "水质发黄有异味，多次反映未解决"),
            ("service", Some("water_quality"), "申请水质化验"),
            ("service", Some("leak_detection"), "申请检漏，水费异常偏高"),
            ("consult", None, "咨询水表更换费用"),
            ("query", None, "查询本户用水量"),
            ("praise", None, "表扬抢修班连夜抢修"),
        ],
    ),
];

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const COMMUNITIES: &[&str] = &[
    "和平里小区",
    "城北花园",
    "东湖家园",
    "西山新村",
    "南江苑",
    "幸福里",
];

/// A staff member acting in the demo, by login.
async fn actor(app: &AppState, login: &str) -> anyhow::Result<CurrentUser> {
    let u = app.store.user_by_login(login).await?;
    Ok(CurrentUser {
        actor: rexian_app::Actor {
            id: u.id,
            roles: parse_roles(&u.roles),
            company_id: u.company_id,
            unit_id: u.unit_id,
        },
        login: u.login,
        name: u.name,
        token_id: 0,
        csrf: None,
        shift: None,
    })
}

/// Seeds `per_company` orders per demo company in varied states, through the same calls the API
/// uses (so every order has its events and deadlines).
async fn seed_orders(app: &AppState, per_company: usize) -> anyhow::Result<usize> {
    let mut n = 0;
    for (utility, demands) in DEMANDS {
        let agent = actor(app, &format!("{utility}-agent")).await?;
        let dispatcher = actor(app, &format!("{utility}-dispatcher")).await?;
        let handler = actor(app, &format!("{utility}-handler")).await?;
        let callback = actor(app, &format!("{utility}-callback")).await?;
        let field = actor(app, &format!("{utility}-field")).await?;
        let (Some(company), Some(team)) = (agent.company_id, handler.unit_id) else {
            continue;
        };
        for i in 0..per_company {
            let demand = demands[i % demands.len()];
            let category = demand.0;
            let input = demo_order(company, i, demand);
            let o = match intake::create(app, &agent, input, None)
                .await
                .map_err(|e| anyhow::anyhow!("demo order: {e}"))?
            {
                Intake::Created(o) => o,
                Intake::Replayed(_) => continue,
            };
            n += 1;
            if o.order.summary.status == "closed" {
                continue;
            }
            let id = o.order.summary.id;
            let staff = Staff {
                dispatcher: &dispatcher,
                handler: &handler,
                callback: &callback,
                team,
                field: field.id,
            };
            walk(app, &staff, id, i % 6, category).await?;
            // The crew of some accepted orders is on its way (001), expected in 40 minutes.
            if i % 6 == 3 {
                let b = steps::CrewInput {
                    state: "set_off".into(),
                    eta: Some(app.clock.now() + chrono::Duration::minutes(40)),
                    ..steps::CrewInput::default()
                };
                steps::crew(app, &field, id, b)
                    .await
                    .map_err(|e| anyhow::anyhow!("demo crew: {e}"))?;
            }
            if demand.1 == Some("temperature") && matches!(i % 6, 2 | 3) {
                seed_reading(app, &field, id).await;
            }
        }
    }
    Ok(n)
}

/// A first temperature reading (`000:五`) on a demo temperature order: valid, below the
/// standard, the customer refusing to sign. Outside the measuring window (a demo started at
/// night) there is none.
async fn seed_reading(app: &AppState, field: &CurrentUser, id: i64) {
    let b = rexian_app::measurements::MeasurementInput {
        stage: Some("first".into()),
        room_c: Some(16.4),
        outdoor_c: Some(-5.0),
        device: Some("TES-1310 #3".into()),
        doors_windows_closed_1h: Some(true),
        device_centre_1m: Some(true),
        customer_signed: Some(false),
        refusal_note: Some("用户认为读数偏低，拒绝签字，约定复测".into()),
        ..Default::default()
    };
    if let Err(e) = rexian_app::measurements::record(app, field, id, b).await {
        tracing::info!(order = id, error = %e, "demo reading not taken");
    }
}

/// The intake of the `i`-th demo order of `company`.
fn demo_order(company: i64, i: usize, (category, subtype, text): Demand) -> NewOrderInput {
    let community = COMMUNITIES[(i * 7) % COMMUNITIES.len()];
    let title = if i.is_multiple_of(2) {
        "先生"
    } else {
        "女士"
    };
    let answered = matches!(category, "query" | "consult") && !i.is_multiple_of(3);
    let channel = ["phone", "phone", "phone", "wechat", "walk_in", "gov12345"][i % 6];
    NewOrderInput {
        subtype: subtype.map(str::to_owned),
        customer: CustomerFields {
            name: Some(format!("{}{title}", SURNAMES[i % SURNAMES.len()])),
            phone: Some(format!("13{:09}", 100_000_000 + i * 7919 % 900_000_000)),
            address: Some(format!(
                "{community}{}号楼{}单元{}室",
                1 + i % 12,
                1 + i % 4,
                101 + (i % 6) * 100
            )),
            community: Some(community.into()),
            account_no: None,
        },
        resolved_at_once: answered.then(|| AtOnce {
            answer: "已按政策当场答复".into(),
            outage_id: None,
        }),
        ..NewOrderInput::new(company, category, channel, text)
    }
}

/// Who walks a demo order through its steps.
struct Staff<'a> {
    dispatcher: &'a CurrentUser,
    handler: &'a CurrentUser,
    callback: &'a CurrentUser,
    team: i64,
    field: i64,
}

/// Walks order `id` `depth` steps of the way: new, dispatched, assigned, accepted, replied,
/// closed.
async fn walk(
    app: &AppState,
    staff: &Staff<'_>,
    id: i64,
    depth: usize,
    category: &str,
) -> anyhow::Result<()> {
    let input = StepInput::default;
    let steps: [(&CurrentUser, &str, StepInput); 5] = [
        (
            staff.dispatcher,
            "dispatch",
            StepInput {
                unit_id: Some(Id(staff.team)),
                ..input()
            },
        ),
        (
            staff.handler,
            "assign",
            StepInput {
                user_id: Some(Id(staff.field)),
                ..input()
            },
        ),
        (staff.handler, "accept", input()),
        (
            staff.handler,
            "reply",
            StepInput {
                result: Some("已到现场处理完毕，用户确认".into()),
                ..input()
            },
        ),
        (
            staff.dispatcher,
            "review",
            StepInput {
                approved: Some(true),
                ..input()
            },
        ),
    ];
    for (who, step, b) in steps.into_iter().take(depth) {
        if step == "reply" {
            water_quality_test(app, who, id).await?;
        }
        steps::take(app, who, id, step, None, b)
            .await
            .map_err(|e| anyhow::anyhow!("demo {step}: {e}"))?;
    }
    if depth < 5 {
        return Ok(());
    }
    if !matches!(category, "query" | "consult" | "suggestion" | "praise") {
        let b = StepInput {
            reached: Some(true),
            satisfaction: Some("satisfied".into()),
            matches_reply: Some(true),
            ..input()
        };
        // Outside the callback window the order simply waits for its callback.
        if steps::take(app, staff.callback, id, "callbacks", None, b)
            .await
            .is_err()
        {
            return Ok(());
        }
    }
    let _ = steps::take(app, staff.callback, id, "close", None, input()).await;
    Ok(())
}

/// Answers agents look up during calls, seeded with the phrasebook (idempotent by key).
const FAQ: &[(&str, &str, &str, &str)] = &[
    (
        "demo.faq.not_warm",
        "暖气不热怎么办",
        "先请用户确认暖气阀门全部打开、暖气片已放气；仍不热的，受理“暖气不热”报修，供热期内4小时内上门，24小时内处理完毕并回复。室温争议可申请测温（08:00–21:00入户）。",
        "暖气不热,温度低,测温,放气",
    ),
    (
        "demo.faq.outage",
        "停电时如何答复用户",
        "先查询是否有计划停电或故障停电公告；有公告的，告知用户停电原因和预计恢复送电时间；没有公告的，受理故障报修并告知抢修人员到达时间。",
        "停电,断电,没电,跳闸,抢修",
    ),
    (
        "demo.faq.payment",
        "缴费方式",
        "可通过营业厅柜台、银行代收、网上营业厅和手机应用缴费；缴费后如未到账，请用户提供缴费凭证，受理查询。",
        "缴费,交费,账单",
    ),
    (
        "demo.faq.gas_smell",
        "闻到燃气味的应急处置",
        "请用户立即关闭燃气总阀，打开门窗通风，不要开关电器、不要使用明火，到室外安全地点拨打热线；按报警受理，立即电话通知抢修单位，工单随后补录。",
        "漏气,燃气泄漏,煤气味,报警",
    ),
];

/// Seeds the service phrasebook (服务用语) of the seeds and a few answers as published
/// knowledge articles shared by every company.
pub async fn seed_knowledge(app: &AppState, now: i64) -> anyhow::Result<()> {
    let phrases = rexian_domain::kb::PHRASEBOOK
        .iter()
        .map(|p| (p.key, "phrasebook", p.title, p.body, p.tags));
    let faq = FAQ.iter().map(|(k, t, b, g)| (*k, "faq", *t, *b, *g));
    for (key, category, title, body, tags) in phrases.chain(faq) {
        if app.store.article_by_slug(key).await?.is_some() {
            continue;
        }
        let v = rexian_store::kb::NewVersion {
            category: category.into(),
            title: title.into(),
            body: body.into(),
            tags: rexian_domain::kb::parse_tags(tags).join(","),
        };
        app.store
            .create_article(None, Some(key), &v, "published", None, now)
            .await
            .with_context(|| format!("seeding knowledge article {key}"))?;
    }
    Ok(())
}

/// Demo handovers, two duty-log days and hall items (issue 18, `001` and `004`): yesterday's log
/// and handover (accepted, written as of then), today's log, one handover accepted by the
/// dispatcher and one still open; a hall with its items, one of them overdue.
async fn seed_shifts_and_halls(app: &AppState) -> anyhow::Result<()> {
    use rexian_app::shifts::{self, Accept, NewEntry, NewHandover};
    use rexian_store::shifts::{Handover, HandoverItem, NewDutyEntry};
    let err = |e: rexian_app::AppError| anyhow::anyhow!("demo shifts: {e}");
    let now = app.now_ms();
    for (utility, ..) in COMPANIES {
        let agent = actor(app, &format!("{utility}-agent")).await?;
        let dispatcher = actor(app, &format!("{utility}-dispatcher")).await?;
        let Some(company) = agent.company_id else {
            continue;
        };
        let offset = app.store.company(company).await?.offset();
        let then = now - 86_400_000;
        let day = |ms: i64| {
            rexian_app::clock::from_ms(ms)
                .with_timezone(&offset)
                .date_naive()
        };
        let line = |at: i64, author: i64, kind: &str, text: &str| NewDutyEntry {
            company_id: company,
            day: day(at).to_string(),
            at,
            author_id: author,
            kind: kind.into(),
            text: text.into(),
        };
        let open = shifts::preview(app, &agent, company).await.map_err(err)?;
        app.store
            .add_duty_entry(&line(then, agent.id, "entry", "夜间巡视：门窗、抢修柜完好"))
            .await?;
        let h = Handover {
            id: 0,
            company_id: company,
            shift_start: then + 3_600_000,
            created_by: agent.id,
            created_at: then,
            note: Some("值班室卫生已打扫；对上级公司的答复已交代".into()),
            accepted_by: None,
            accepted_at: None,
            accept_note: None,
            items: open
                .iter()
                .take(3)
                .map(|i| HandoverItem {
                    kind: i.kind.clone(),
                    ref_id: i.id,
                    summary: i.summary.clone(),
                })
                .collect(),
        };
        let text = format!("交班: {} 项", h.items.len());
        let id = app
            .store
            .create_handover(&h, &line(then, agent.id, "handover", &text))
            .await?;
        let at = then + 600_000;
        let text = format!("接班: {} 项已确认", h.items.len());
        let accepted = line(at, dispatcher.id, "handover_accepted", &text);
        app.store
            .accept_handover(id, dispatcher.id, at, Some("已逐项确认"), &accepted, &[])
            .await?;
        // Today, through the use cases: a line, a handover taken over, one still open.
        let entry = NewEntry {
            company_id: Id(company),
            text: "10:20 城区线路恢复送电，已通知相关小区".into(),
        };
        shifts::log(app, &agent, entry).await.map_err(err)?;
        let new = |note: &str| NewHandover {
            company_id: Id(company),
            note: Some(note.into()),
        };
        let h = shifts::create(app, &agent, new("3号楼用户下午会再来电"))
            .await
            .map_err(err)?;
        let all = Accept {
            acknowledged: h
                .items
                .iter()
                .map(|i| format!("{}:{}", i.kind, i.id))
                .collect(),
            note: Some("已接".into()),
        };
        shifts::accept(app, &dispatcher, h.id, all)
            .await
            .map_err(err)?;
        shifts::create(app, &agent, new("待接班：停供通知待发布"))
            .await
            .map_err(err)?;
        seed_hall(app, utility, company, day(now)).await?;
    }
    Ok(())
}

/// A hall of `company` with the items `004` names: one overdue, one checked and found wanting.
async fn seed_hall(
    app: &AppState,
    utility: &str,
    company: i64,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    use rexian_app::halls::{self, NewCheck, NewItem};
    let err = |e: rexian_app::AppError| anyhow::anyhow!("demo halls: {e}");
    let supervisor = actor(app, &format!("{utility}-supervisor")).await?;
    let agent = actor(app, &format!("{utility}-agent")).await?;
    let hall = app
        .store
        .create_unit(
            company,
            None,
            "城区营业厅",
            "hall",
            None,
            None,
            app.now_ms(),
        )
        .await?;
    let items = [
        (
            "急救药箱药品有效期",
            30,
            Some(today + chrono::Days::new(20)),
        ),
        ("灭火器压力检测", 30, Some(today - chrono::Days::new(3))),
        ("便民雨伞（爱心伞）借还", 7, None),
        ("警示标识", 30, None),
    ];
    for (name, period_days, due) in items {
        let b = NewItem {
            unit_id: Id(hall),
            name: name.into(),
            period_days,
            due_on: due.map(|d| d.to_string()),
        };
        let item = halls::create(app, &supervisor, b).await.map_err(err)?;
        if name.starts_with("便民雨伞") {
            let c = NewCheck {
                ok: false,
                found: Some("借出3把未归还，已电话提醒".into()),
                next_due_on: None,
            };
            halls::check(app, &agent, item.item.id, c)
                .await
                .map_err(err)?;
        }
    }
    Ok(())
}

/// The demo power company's roster of this month (001 供电所24小时值班): the centre's four
/// shift staff take the 24-hour shift in turn, two on duty each day.
pub async fn seed_roster(app: &AppState) -> anyhow::Result<()> {
    use chrono::Datelike;
    let admin = actor(app, "power-admin").await?;
    let Some(company) = admin.company_id else {
        return Ok(());
    };
    let mut crew = Vec::new();
    for login in [
        "power-agent",
        "power-dispatcher",
        "power-callback",
        "power-supervisor",
    ] {
        crew.push(app.store.user_by_login(login).await?.id);
    }
    let offset = app.store.company(company).await?.offset();
    let today = app.clock.now().with_timezone(&offset).date_naive();
    let first = today.with_day(1).unwrap_or(today);
    let entries = first
        .iter_days()
        .take_while(|d| d.month() == first.month())
        .enumerate()
        .flat_map(|(i, d)| {
            [crew[i % crew.len()], crew[(i + 1) % crew.len()]].map(|u| {
                rexian_app::roster::EntryIn {
                    date: d.to_string(),
                    shift: rexian_app::roster::ShiftRef::Index(0),
                    user_id: Id(u),
                }
            })
        })
        .collect();
    let b = rexian_app::roster::PutRoster {
        company_id: Id(company),
        entries,
        dates: Vec::new(),
    };
    let ch = rexian_app::roster::put_from(app, &admin, b, "demo").await?;
    tracing::info!(entries = ch.added, "demo roster seeded");
    Ok(())
}

/// A water-quality order replies with its lab result (003:3): the demo samples and has the
/// result first; other orders are left alone.
async fn water_quality_test(app: &AppState, who: &CurrentUser, id: i64) -> anyhow::Result<()> {
    use rexian_app::water::{self, LabResultInput, SampleInput, ServiceInput};
    let o = app.store.order_full(id).await?.order;
    if o.category != "service" || o.subtype.as_deref() != Some("water_quality") {
        return Ok(());
    }
    let sample = SampleInput {
        at: None,
        point: Some("厨房水龙头".into()),
    };
    let result = LabResultInput {
        at: None,
        passed: Some(true),
        report_no: Some(format!("SZ-{id:06}")),
    };
    for input in [
        ServiceInput::Sample(sample),
        ServiceInput::LabResult(result),
    ] {
        water::take(app, who, id, input)
            .await
            .map_err(|e| anyhow::anyhow!("demo water-quality test: {e}"))?;
    }
    Ok(())
}
