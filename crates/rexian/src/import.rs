//! `rexian import customers FILE --company ID`: the customer register from CSV or Excel, with a
//! progress bar and a report of rejected rows. Nothing is half-imported: one bad row, no import.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::Context;
use rexian_domain::identity::parse_id_number;
use rexian_store::customers::Customer;
use rexian_store::Store;

/// A rejected row: its line (1 = header), the column and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Row number in the file (header is row 1).
    pub row: usize,
    /// Column (header name).
    pub column: String,
    /// Reason.
    pub reason: String,
}

/// Header names accepted for each field (Chinese first).
const COLUMNS: &[(&str, &[&str])] = &[
    ("account_no", &["户号", "账号", "account_no", "account"]),
    ("name", &["姓名", "户名", "name"]),
    ("phone", &["电话", "手机", "phone"]),
    ("district", &["区", "区县", "district"]),
    ("community", &["小区", "社区", "community"]),
    ("building", &["楼", "楼号", "building"]),
    ("unit", &["单元", "unit"]),
    ("room", &["室", "房号", "room"]),
    ("station", &["换热站", "台区", "线路", "station", "feeder"]),
    ("residential", &["居民", "居民用户", "residential"]),
    (
        "id_number",
        &["身份证号", "身份证", "身份证号码", "证件号码", "id_number"],
    ),
];

/// Reads the rows of a CSV or Excel (.xlsx/.xls/.ods) file as text cells, header first.
pub fn read_table(path: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if matches!(ext.as_str(), "xlsx" | "xls" | "xlsm" | "ods") {
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let range = wb
            .worksheet_range_at(0)
            .context("the workbook has no sheet")??;
        Ok(range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string().trim().to_owned()).collect())
            .collect())
    } else {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut out = Vec::new();
        for rec in rdr.records() {
            let rec = rec.with_context(|| format!("reading {}", path.display()))?;
            out.push(
                rec.iter()
                    .map(|c| c.trim().trim_start_matches('\u{feff}').to_owned())
                    .collect(),
            );
        }
        Ok(out)
    }
}

/// Turns table rows into customers of `company_id`, or every rejected row. `existing` are the
/// account numbers already in the register.
pub fn parse_customers(
    table: &[Vec<String>],
    company_id: i64,
    existing: &HashSet<String>,
) -> Result<Vec<Customer>, Vec<Rejected>> {
    let mut rejected = Vec::new();
    let Some(header) = table.first() else {
        return Err(vec![Rejected {
            row: 1,
            column: String::new(),
            reason: "the file is empty".into(),
        }]);
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}');
        if let Some((field, _)) = COLUMNS
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        {
            index.insert(field, i);
        }
    }
    for required in ["account_no", "name"] {
        if !index.contains_key(required) {
            rejected.push(Rejected {
                row: 1,
                column: required.into(),
                reason: format!("no {required} column (户号/姓名)"),
            });
        }
    }
    if !rejected.is_empty() {
        return Err(rejected);
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for (n, row) in table.iter().enumerate().skip(1) {
        let line = n + 1;
        if row.iter().all(|c| c.is_empty()) {
            continue;
        }
        let cell = |f: &str| {
            index
                .get(f)
                .and_then(|i| row.get(*i))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let mut bad = |column: &str, reason: &str| {
            rejected.push(Rejected {
                row: line,
                column: column.into(),
                reason: reason.into(),
            })
        };
        let account = cell("account_no");
        let name = cell("name");
        match &account {
            None => bad("account_no", "missing"),
            Some(a) if a.chars().count() > 40 => bad("account_no", "longer than 40 characters"),
            Some(a) if existing.contains(a) => bad("account_no", "already in the register"),
            Some(a) if !seen.insert(a.clone()) => bad("account_no", "appears twice in the file"),
            _ => {}
        }
        if name.is_none() {
            bad("name", "missing");
        }
        let phone = cell("phone").map(|p| p.replace([' ', '-'], ""));
        if let Some(p) = &phone {
            if p.len() < 5 || p.len() > 20 || !p.chars().all(|c| c.is_ascii_digit()) {
                bad("phone", "must be 5–20 digits");
            }
        }
        let residential = match cell("residential").as_deref() {
            None | Some("是" | "1" | "yes" | "true" | "Y" | "y" | "居民") => true,
            Some("否" | "0" | "no" | "false" | "N" | "n" | "非居民") => false,
            Some(_) => {
                bad("residential", "must be 是/否");
                true
            }
        };
        let id_number = match cell("id_number").map(|i| parse_id_number(&i)) {
            None => None,
            Some(Ok(i)) => Some(i),
            Some(Err(reason)) => {
                bad("id_number", reason);
                None
            }
        };
        if let (Some(account_no), Some(name)) = (account, name) {
            out.push(Customer {
                id: 0,
                company_id,
                account_no,
                name,
                phone,
                district: cell("district"),
                community: cell("community"),
                building: cell("building"),
                unit_no: cell("unit"),
                room: cell("room"),
                station: cell("station"),
                residential,
                id_number,
            });
        }
    }
    if rejected.is_empty() {
        Ok(out)
    } else {
        Err(rejected)
    }
}

/// Runs the import; prints the report. Fails (importing nothing) when any row is rejected.
pub async fn customers(
    store: &Store,
    company_id: i64,
    file: &Path,
    now: i64,
) -> anyhow::Result<usize> {
    store
        .company(company_id)
        .await
        .with_context(|| format!("no company {company_id}"))?;
    let table = read_table(file)?;
    let existing: HashSet<String> = store
        .account_numbers(company_id)
        .await?
        .into_iter()
        .collect();
    let rows = match parse_customers(&table, company_id, &existing) {
        Ok(rows) => rows,
        Err(rejected) => {
            eprintln!("{} row(s) rejected; nothing imported:", rejected.len());
            for r in rejected.iter().take(200) {
                eprintln!("  row {}: {}: {}", r.row, r.column, r.reason);
            }
            if rejected.len() > 200 {
                eprintln!("  … and {} more", rejected.len() - 200);
            }
            anyhow::bail!("{} row(s) rejected in {}", rejected.len(), file.display());
        }
    };
    let bar = indicatif::ProgressBar::new(rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} customers {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let n = store
        .import_customers(&rows, now, |done| bar.set_position(done as u64))
        .await?;
    bar.finish();
    println!("imported {n} customers into company {company_id}");
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn chinese_headers_and_rejections_name_row_and_column() {
        let table = t(&[
            &["户号", "姓名", "电话", "小区", "居民"],
            &["A001", "王伟", "13800001111", "和平里", "是"],
            &["A002", "", "138", "和平里", "也许"],
            &["A001", "李娜", "", "幸福里", "否"],
            &["B009", "赵敏", "", "幸福里", ""],
        ]);
        let existing: HashSet<String> = ["B009".to_owned()].into();
        let err = parse_customers(&table, 1, &existing).unwrap_err();
        let got: Vec<(usize, &str)> = err.iter().map(|r| (r.row, r.column.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "name"),
                (3, "phone"),
                (3, "residential"),
                (4, "account_no"),
                (5, "account_no")
            ]
        );
        let ok = parse_customers(&table[..2], 1, &HashSet::new()).unwrap();
        assert_eq!(ok[0].community.as_deref(), Some("和平里"));
        assert!(ok[0].residential);
    }

    #[test]
    fn optional_id_number_column_is_checked_002_s14_1() {
        let table = t(&[
            &["户号", "姓名", "身份证号"],
            &["A001", "王伟", "11010519491231002x"],
            &["A002", "李娜", ""],
        ]);
        let ok = parse_customers(&table, 1, &HashSet::new()).unwrap();
        assert_eq!(ok[0].id_number.as_deref(), Some("11010519491231002X"));
        assert_eq!(ok[1].id_number, None);
        let bad = t(&[
            &["户号", "姓名", "身份证号"],
            &["A001", "王伟", "110105194912310021"],
        ]);
        let err = parse_customers(&bad, 1, &HashSet::new()).unwrap_err();
        assert_eq!((err[0].row, err[0].column.as_str()), (2, "id_number"));
    }

    #[test]
    fn missing_required_column_is_reported() {
        let err = parse_customers(&t(&[&["电话"], &["138"]]), 1, &HashSet::new()).unwrap_err();
        assert_eq!(err.len(), 2);
        assert_eq!(err[0].row, 1);
    }
}
