//! Packaging: the `rust-version` declared in `Cargo.toml` is exactly the highest one
//! among the packages in `Cargo.lock` (from `cargo metadata --locked`), so
//! `cargo install --locked` works on every toolchain the manifest admits.

mod common;

use serde_json::Value;

fn version(v: &str) -> (u64, u64, u64) {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap());
    (
        parts.next().unwrap(),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn rust_version_is_the_highest_the_locked_dependencies_declare() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(common::root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (needed, by) = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "asynclint")
        .filter_map(|p| {
            let rv = p["rust_version"].as_str()?;
            Some((version(rv), format!("{} {}", p["name"], p["version"])))
        })
        .max()
        .unwrap();
    let declared = version(env!("CARGO_PKG_RUST_VERSION"));
    assert_eq!(
        declared,
        needed,
        "Cargo.toml declares rust-version {}; the locked dependencies need {needed:?} ({by})",
        env!("CARGO_PKG_RUST_VERSION")
    );
}

#[test]
fn licenses_and_metadata_are_there() {
    let root = common::root();
    for f in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(std::fs::metadata(root.join(f)).unwrap().len() > 1000, "{f}");
    }
    assert_eq!(env!("CARGO_PKG_LICENSE"), "MIT OR Apache-2.0");
    assert_eq!(
        env!("CARGO_PKG_REPOSITORY"),
        "https://github.com/asynclint/asynclint"
    );
}
