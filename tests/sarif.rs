//! `--format sarif` passes Microsoft's SARIF validator with zero errors and zero
//! warnings. The validator (npm package `@microsoft/sarif-multitool`) is taken from
//! `SARIF_MULTITOOL` if set, else installed once under `target/sarif-multitool`.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

fn validator() -> PathBuf {
    if let Some(p) = std::env::var_os("SARIF_MULTITOOL") {
        return PathBuf::from(p);
    }
    let prefix = common::root().join("target/sarif-multitool");
    let tool = prefix.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if !tool.exists() {
        let status = std::process::Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&prefix)
            .arg("@microsoft/sarif-multitool@5")
            .status()
            .expect("npm is needed to install the SARIF validator");
        assert!(
            status.success(),
            "installing @microsoft/sarif-multitool failed"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // npm may skip the package's install script that marks the binary executable.
        let mut perm = std::fs::metadata(&tool).unwrap().permissions();
        perm.set_mode(perm.mode() | 0o755);
        std::fs::set_permissions(&tool, perm).unwrap();
    }
    tool
}

#[test]
fn sarif_output_passes_the_validator_with_no_errors_or_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("asynclint.sarif");
    // The fixtures have findings with fixes, secondary labels and errors-free parses;
    // a broken file adds a tool notification.
    let broken = dir.path().join("broken.rs");
    std::fs::write(&broken, "fn main( {\n").unwrap();
    // A crate whose tokio has `fs`: its fix is machine-applicable, so SARIF carries it.
    let krate = dir.path().join("krate");
    common::write(
        &krate,
        "Cargo.toml",
        "[package]\nname = \"krate\"\nversion = \"0.1.0\"\n\n\
         [dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n",
    );
    common::write(&krate, "src/lib.rs", common::BLOCKING);
    let out = Command::cargo_bin("asynclint")
        .unwrap()
        .args(["check", "fixtures", "--format", "sarif"])
        .arg(&broken)
        .arg(&krate)
        .current_dir(common::root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(&log, &out.stdout).unwrap();

    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "asynclint");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let default_on = asynclint::rules::RULES
        .iter()
        .filter(|r| r.meta().default_enabled())
        .count();
    assert_eq!(rules.len(), default_on);
    for r in rules {
        let id = r["id"].as_str().unwrap();
        assert_eq!(
            r["helpUri"],
            format!("https://asynclint.github.io/asynclint/rules/{id}.html")
        );
        // The whole `What it flags` section, not its first paragraph: it ends with the
        // section's last word.
        let page = std::fs::read_to_string(common::root().join(format!("rules/{id}.md"))).unwrap();
        let section = page.split("## What it flags").nth(1).unwrap();
        let section = section.split("\n## ").next().unwrap();
        let last_word = |t: &str| t.split_whitespace().last().unwrap().replace(['`', '*'], "");
        let full = r["fullDescription"]["text"].as_str().unwrap();
        assert_eq!(last_word(full), last_word(section), "{id}: {full}");
        assert!(full.len() > 100, "{id}: {full}");
    }
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 50);
    assert!(results.iter().any(|r| r["fixes"].is_array()));
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);

    let report = dir.path().join("validation.sarif");
    let status = std::process::Command::new(validator())
        .arg("validate")
        .arg(&log)
        .arg("--output")
        .arg(&report)
        .args(["--level", "Error;Warning", "--rule-kind", "Sarif;Gh"])
        .status()
        .unwrap();
    assert!(status.success(), "the validator failed to run");
    let validation: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let problems: Vec<String> = validation["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] != "note" && r["level"] != "none")
        .map(|r| format!("{} {} {}", r["level"], r["ruleId"], r["message"]))
        .collect();
    assert!(
        problems.is_empty(),
        "validator findings:\n{}",
        problems.join("\n")
    );
}
