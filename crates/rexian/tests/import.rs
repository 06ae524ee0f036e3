//! `rexian import customers` from CSV and Excel: all rows or none, with a report of rejects.

use std::process::Command;

use rexian_store::org::NewCompany;
use rexian_store::Store;

async fn company(dir: &std::path::Path) -> (Store, i64) {
    let store = Store::connect(&Store::sqlite_url(dir)).await.unwrap();
    store.migrate().await.unwrap();
    let c = NewCompany {
        name: "北辰热力".into(),
        utility: "heat".into(),
        policy: "heat".into(),
        number_prefix: "GR".into(),
    };
    let id = store.create_company(&c, None, 0).await.unwrap();
    (store, id)
}

fn import(dir: &std::path::Path, file: &std::path::Path, company: i64) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rexian"))
        .args(["import", "customers"])
        .arg(file)
        .args(["--company", &company.to_string(), "--data-dir"])
        .arg(dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn csv_import_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, c) = company(dir.path()).await;
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "户号,姓名,电话,小区,居民\nA1,王伟,13800001111,和平里,是\nA2,,12,和平里,是\n",
    )
    .unwrap();
    let (ok, text) = import(dir.path(), &bad, c);
    assert!(!ok);
    assert!(
        text.contains("row 3: name: missing") && text.contains("row 3: phone"),
        "{text}"
    );
    assert_eq!(
        store.households(c).await.unwrap().len(),
        0,
        "nothing half-imported"
    );
    let good = dir.path().join("good.csv");
    let mut csv = String::from("\u{feff}户号,姓名,电话,区,小区,楼,单元,室,换热站,居民\n");
    for i in 0..1200 {
        csv += &format!(
            "H{i:05},住户{i},1380000{i:04},东城区,小区{},{}号楼,1,{}室,和平里站,{}\n",
            i % 7,
            i % 20,
            100 + i % 9,
            if i % 10 == 0 { "否" } else { "是" }
        );
    }
    std::fs::write(&good, csv).unwrap();
    let (ok, text) = import(dir.path(), &good, c);
    assert!(ok, "{text}");
    assert!(text.contains("imported 1200 customers"), "{text}");
    let hh = store.households(c).await.unwrap();
    assert_eq!(hh.len(), 1200);
    assert_eq!(hh.iter().filter(|h| !h.2).count(), 120);
    // A second run of the same file: every row is already there.
    let (ok, text) = import(dir.path(), &good, c);
    assert!(!ok && text.contains("already in the register"), "{text}");
}

#[tokio::test]
async fn xlsx_import() {
    let dir = tempfile::tempdir().unwrap();
    let (store, c) = company(dir.path()).await;
    let f = dir.path().join("customers.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (col, h) in ["户号", "姓名", "电话", "小区", "居民"].iter().enumerate() {
        ws.write_string(0, col as u16, *h).unwrap();
    }
    for r in 1..=30u32 {
        ws.write_string(r, 0, format!("X{r}")).unwrap();
        ws.write_string(r, 1, format!("住户{r}")).unwrap();
        ws.write_number(r, 2, 13900000000.0 + f64::from(r)).unwrap();
        ws.write_string(r, 3, "幸福里").unwrap();
        ws.write_string(r, 4, "是").unwrap();
    }
    wb.save(&f).unwrap();
    let (ok, text) = import(dir.path(), &f, c);
    assert!(ok, "{text}");
    let found = store
        .find_customers(Some(c), "13900000007", 5)
        .await
        .unwrap();
    assert_eq!(
        found.len(),
        1,
        "numbers from Excel cells read as phone text"
    );
    assert_eq!(found[0].name, "住户7");
}
