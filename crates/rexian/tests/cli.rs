//! The command line: policy and calendar checks report problems with file, line and reason.

use std::process::Command;

fn rexian(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rexian"))
        .args(args)
        .output()
        .expect("run rexian");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn shipped_presets_pass_policy_check() {
    for p in ["heat", "power", "gas", "water"] {
        let path = format!("{}/../../policies/{p}.toml", env!("CARGO_MANIFEST_DIR"));
        let (ok, text) = rexian(&["policy", "check", &path]);
        assert!(ok, "{p}: {text}");
    }
}

#[test]
fn policy_check_takes_every_preset_at_once_and_names_each_bad_file() {
    let dir = format!("{}/../../policies", env!("CARGO_MANIFEST_DIR"));
    let all: Vec<String> = ["heat", "power", "gas", "water"]
        .iter()
        .map(|p| format!("{dir}/{p}.toml"))
        .collect();
    let mut args = vec!["policy", "check"];
    args.extend(all.iter().map(String::as_str));
    let (ok, text) = rexian(&args);
    assert!(ok, "{text}");
    assert_eq!(text.matches(": ok").count(), 4, "{text}");
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("power.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&all[1]).unwrap().replacen(
            "area = \"urban\"",
            "area = \"suburb\"",
            1,
        ),
    )
    .unwrap();
    let (ok, text) = rexian(&["policy", "check", &all[0], bad.to_str().unwrap()]);
    assert!(!ok, "{text}");
    assert!(text.contains("heat.toml: ok"), "{text}");
    assert!(text.contains("power.toml:"), "{text}");
    assert!(text.contains("suburb"), "{text}");
}

#[test]
fn bad_policy_names_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let gas = std::fs::read_to_string(format!(
        "{}/../../policies/gas.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let bad = gas.replacen(
        "dispatch = { minutes = 5 }",
        "dispatch = { minutes = \"five\" }",
        1,
    );
    let line = bad.lines().position(|l| l.contains("\"five\"")).unwrap() + 1;
    let f = dir.path().join("gas.toml");
    std::fs::write(&f, bad).unwrap();
    let (ok, text) = rexian(&["policy", "check", f.to_str().unwrap()]);
    assert!(!ok);
    assert!(text.contains(&format!("gas.toml:{line}:")), "{text}");
    assert!(text.contains("dispatch.minutes"), "{text}");
}

#[test]
fn policy_check_refuses_a_setting_nothing_reads_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let heat = std::fs::read_to_string(format!(
        "{}/../../policies/heat.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // The heating seed's 3 rings (000:二.1(1)): nothing reads it yet, so it may not be there.
    let bad = heat.replacen("[settings]\n", "[settings]\nanswer_within_rings = 3\n", 1);
    let line = bad
        .lines()
        .position(|l| l.starts_with("answer_within_rings"))
        .unwrap()
        + 1;
    let f = dir.path().join("heat.toml");
    std::fs::write(&f, bad).unwrap();
    let (ok, text) = rexian(&["policy", "check", f.to_str().unwrap()]);
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("heat.toml:{line}:")), "{text}");
    assert!(text.contains("settings.answer_within_rings"), "{text}");
    // As a company override too (--over), with the override's own line.
    let o = dir.path().join("override.toml");
    std::fs::write(&o, "title = \"x\"\n[settings]\nshift_hours = 24\n").unwrap();
    let (ok, text) = rexian(&["policy", "check", o.to_str().unwrap(), "--over", "power"]);
    assert!(!ok, "{text}");
    assert!(text.contains("override.toml:3:"), "{text}");
    assert!(text.contains("settings.shift_hours"), "{text}");
}

#[test]
fn calendar_load_installs_a_checked_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[year]]\nyear = 2027\nholidays = [\"2026-01-01\"]\nworkdays = []\n",
    )
    .unwrap();
    let (ok, text) = rexian(&[
        "calendar",
        "load",
        bad.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(!ok, "{text}");
    assert!(text.contains("2027"), "{text}");
    let good = format!(
        "{}/../../calendars/cn-mainland.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (ok, text) = rexian(&[
        "calendar",
        "load",
        &good,
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    assert!(data.join("calendar.toml").exists());
    let (ok, text) = rexian(&["calendar", "check", "--data-dir", data.to_str().unwrap()]);
    assert!(ok && text.contains("2026"), "{text}");
}

/// Issue 14: the first admin follows the same 8-character rule as every other password.
#[test]
fn a_short_first_admin_password_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rexian"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("REXIAN_ADMIN_PASSWORD", "short")
        .env_remove("DATABASE_URL")
        .env_remove("REXIAN_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run rexian");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("serve started with a 5-character admin password");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success());
    assert!(
        text.contains("REXIAN_ADMIN_PASSWORD") && text.contains("at least 8 characters"),
        "{text}"
    );
}

/// `rexian openapi` prints the document the server serves, generated from its types.
#[test]
fn openapi_prints_the_generated_document() {
    let (ok, text) = rexian(&["openapi"]);
    assert!(ok, "{text}");
    let d: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(d["openapi"], "3.1.0");
    assert!(d["paths"]["/api/v1/orders/{id}/dispatch"]["post"].is_object());
    assert!(d["components"]["schemas"]["OrderView"].is_object());
}
