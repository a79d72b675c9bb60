//! `cargo asynclint`, through the built binary: one report per file in a package
//! with a build script (which is never run), the current package by default,
//! `-p`/`--workspace`, paths relative to the current directory, and targets outside
//! their package refused.

mod common;

use assert_cmd::Command;
use common::{write, BLOCKING};
use serde_json::Value;
use std::path::Path;

fn cargo_asynclint(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::cargo_bin("cargo-asynclint")
        .unwrap()
        .arg("asynclint")
        .args(args)
        .args(["--format", "json"])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn paths(v: &Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap().to_string())
        .collect()
}

const FIXABLE: &str = "use tokio::fs as _tokio_fs;\n\
                       pub async fn load(path: &str) -> std::io::Result<String> {\n\
                       \x20   let text = std::fs::read_to_string(path)?;\n\
                       \x20   Ok(text)\n\
                       }\n";

#[test]
fn a_package_with_a_build_script_is_checked_once_and_the_script_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(
        p,
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\nbuild = \"build.rs\"\n\n\
         [dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n",
    );
    write(
        p,
        "build.rs",
        "fn main() {\n    std::fs::write(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/MARKER\"), \"ran\").unwrap();\n}\n",
    );
    write(p, "src/lib.rs", FIXABLE);
    let (code, v, err) = cargo_asynclint(p, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(v["files_checked"], 2, "lib.rs and build.rs");
    assert_eq!(paths(&v), ["src/lib.rs"]);
    let (code, v, err) = cargo_asynclint(p, &["--fix"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("fixed 1 finding in 1 file"), "{err}");
    assert!(paths(&v).is_empty());
    assert!(!p.join("MARKER").exists(), "the build script ran");
}

fn workspace(p: &Path) {
    write(
        p,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"core\"]\nresolver = \"2\"\n",
    );
    // A server: its examples' async code shares a runtime with other tasks.
    write(
        p,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         [dependencies]\naxum = \"0.8\"\n",
    );
    write(p, "app/src/main.rs", "fn main() {}\n");
    write(p, "app/examples/demo.rs", BLOCKING);
    write(
        p,
        "core/Cargo.toml",
        "[package]\nname = \"core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(p, "core/src/lib.rs", BLOCKING);
}

#[test]
fn packages_are_chosen_like_cargo_and_paths_are_relative() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    workspace(p);
    let app = p.join("app");
    // From a member: that member only, paths relative to it.
    let (_, v, _) = cargo_asynclint(&app, &[]);
    assert_eq!(paths(&v), ["examples/demo.rs"]);
    assert_eq!(v["files_checked"], 2);
    let (_, v, _) = cargo_asynclint(&app, &["-p", "core"]);
    assert_eq!(paths(&v), ["../core/src/lib.rs"]);
    let (_, v, _) = cargo_asynclint(&app, &["--workspace"]);
    assert_eq!(paths(&v), ["../core/src/lib.rs", "examples/demo.rs"]);
    let (_, v, _) = cargo_asynclint(&app, &["--package=app", "-pcore"]);
    assert_eq!(paths(&v).len(), 2);
    // From the virtual root: every member.
    let (_, v, _) = cargo_asynclint(p, &[]);
    assert_eq!(paths(&v), ["app/examples/demo.rs", "core/src/lib.rs"]);
    let (_, v, _) = cargo_asynclint(p, &["--manifest-path", "core/Cargo.toml"]);
    assert_eq!(paths(&v), ["core/src/lib.rs"]);
    let (code, _, err) = cargo_asynclint(p, &["-p", "nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("package `nope` is not a member of the workspace (members: app, core)"),
        "{err}"
    );
}

#[test]
fn a_target_outside_its_package_is_refused_and_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "outside/lib.rs", FIXABLE);
    write(
        p,
        "pkg/Cargo.toml",
        "[package]\nname = \"pkg\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [lib]\npath = \"../outside/lib.rs\"\n\n[[bin]]\nname = \"tool\"\npath = \"src/main.rs\"\n\n\
         [dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n",
    );
    write(p, "pkg/src/main.rs", FIXABLE);
    let pkg = p.join("pkg");
    let (code, v, err) = cargo_asynclint(&pkg, &["--fix"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("target `pkg` has its source at") && err.contains("outside the package"),
        "{err}"
    );
    assert_eq!(
        v["files_checked"], 1,
        "the package's own bin is still checked"
    );
    assert_eq!(
        std::fs::read_to_string(p.join("outside/lib.rs")).unwrap(),
        FIXABLE,
        "a file outside the package was rewritten"
    );
    assert_ne!(
        std::fs::read_to_string(pkg.join("src/main.rs")).unwrap(),
        FIXABLE
    );
}
