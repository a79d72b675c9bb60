//! The built binary: exit codes, JSON shape, human output, `rules`, `explain`.

mod common;

use common::{asynclint, write, BLOCKING};
use predicates::prelude::*;
use serde_json::Value;

const CLEAN: &str = "pub async fn load(path: &str) -> std::io::Result<String> {\n\
                     \x20   tokio::fs::read_to_string(path).await\n\
                     }\n";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

/// Two packages checked side by side: the library `store`, and `name`, whose
/// manifest ends with `deps`.
fn store_and(store: &str, name: &str, deps: &str, src: &str) -> tempfile::TempDir {
    let manifest = |n: &str, extra: &str| {
        format!("[package]\nname = \"{n}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{extra}")
    };
    let (store_manifest, own_manifest) = (manifest("store", ""), manifest(name, deps));
    let (own_toml, own_lib) = (format!("{name}/Cargo.toml"), format!("{name}/src/lib.rs"));
    project(&[
        ("store/Cargo.toml", &store_manifest),
        ("store/src/lib.rs", store),
        (&own_toml, &own_manifest),
        (&own_lib, src),
    ])
}

/// `asynclint check <target> --format json` in `dir`: asserts the exit code and
/// returns the parsed report.
fn check_json(dir: &std::path::Path, target: &str, code: i32) -> Value {
    check_json_with(dir, target, &[], code)
}

/// `(rule, path, line)` of each diagnostic of a JSON report, sorted.
fn rule_path_line(report: &Value) -> Vec<(String, String, u64)> {
    let mut at: Vec<(String, String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    at.sort();
    at
}

/// [`check_json`] with more flags after the target.
fn check_json_with(dir: &std::path::Path, target: &str, flags: &[&str], code: i32) -> Value {
    let out = asynclint()
        .args(["check", target, "--format", "json"])
        .args(flags)
        .current_dir(dir)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn clean_code_exits_zero() {
    let dir = project(&[("src/lib.rs", CLEAN)]);
    asynclint()
        .args(["check", "src"])
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "0 warnings, 0 errors; 1 file checked",
        ));
}

#[test]
fn findings_exit_one_with_rustc_style_output() {
    let dir = project(&[("src/lib.rs", BLOCKING)]);
    asynclint()
        .args(["check", "src", "--color", "never"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "warning[blocking-in-async]: `fs::read_to_string`",
        ))
        .stdout(predicate::str::contains("┌─ src/lib.rs:4:16"))
        .stdout(predicate::str::contains(
            "help: use `tokio::fs::read_to_string(path).await`",
        ))
        .stdout(predicate::str::contains(
            "1 warning, 0 errors; 1 file checked",
        ));
}

#[test]
fn errors_win_over_findings_and_other_files_are_still_checked() {
    let dir = project(&[("src/lib.rs", BLOCKING), ("src/broken.rs", "fn main( {\n")]);
    let v = check_json(dir.path(), "src", 2);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(v["errors"][0]["path"], "src/broken.rs");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("1:"));
}

#[test]
fn json_has_the_contract_shape() {
    // The file uses tokio, so the drop-in replacement is offered as a fix.
    let text = BLOCKING.replace("use std::fs;", "use std::fs; use tokio::io::AsyncReadExt;");
    // Its manifest enables tokio's `fs`, so the fix is machine-applicable.
    let manifest = "[package]\nname = \"p\"\nversion = \"0.1.0\"\n\n\
                    [dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n";
    let dir = project(&[("src/lib.rs", &text), ("Cargo.toml", manifest)]);
    let v = check_json(dir.path(), "src/lib.rs", 1);
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["files_checked"], 1);
    assert_eq!(v["errors"], Value::Array(vec![]));
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"], "blocking-in-async");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["path"], "src/lib.rs");
    assert_eq!(
        (&d["line"], &d["column"], &d["end_line"], &d["end_column"]),
        (
            &Value::from(4),
            &Value::from(16),
            &Value::from(4),
            &Value::from(40)
        )
    );
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("waits for the disk"));
    assert!(d["help"]
        .as_str()
        .unwrap()
        .contains("tokio::fs::read_to_string(path).await"));
    let fix = &d["fix"];
    assert_eq!(fix["applicability"], "machine-applicable");
    let edits = fix["edits"].as_array().unwrap();
    assert_eq!(edits[0]["replacement"], "tokio::fs::read_to_string");
    assert_eq!(
        (&edits[0]["line"], &edits[0]["column"]),
        (&Value::from(4), &Value::from(16))
    );
    assert_eq!(edits[1]["replacement"], ".await");
    assert_eq!(
        (&edits[1]["column"], &edits[1]["end_column"]),
        (&Value::from(40), &Value::from(40))
    );
}

#[test]
fn a_missing_path_is_an_error() {
    asynclint()
        .args(["check", "no/such/dir", "--format", "json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("no/such/dir"))
        .stdout(predicate::str::contains("no such file or directory"));
}

#[test]
fn unknown_rules_are_errors() {
    asynclint()
        .args(["explain", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown rule or group `no-such-rule`",
        ));
    asynclint()
        .args(["check", ".", "--select", "blocking-in-sync"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown rule or group `blocking-in-sync`: did you mean `blocking-in-async`?",
        ));
    asynclint()
        .args(["check", ".", "--ignore", "latncy"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `latency`?"));
}

/// Groups select their rules; `pedantic` is off unless selected; `--ignore` of a
/// group wins over a selected rule of it.
#[test]
fn groups_select_and_ignore_their_rules() {
    let dir = project(&[(
        "a.rs",
        "async fn f(xs: Vec<u8>) {\n    std::thread::sleep(d);\n    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();\n    let consumer = tokio::spawn(consume(rx));\n    for x in xs {\n        tx.send(x).unwrap();\n    }\n    drop(tx);\n    consumer.await.unwrap();\n}\n",
    )]);
    let rules_of = |args: &[&str]| -> Vec<String> {
        let out = asynclint()
            .args(["check", "--format", "json"])
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut r: Vec<String> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{}:{}",
                    d["rule"].as_str().unwrap(),
                    d["group"].as_str().unwrap()
                )
            })
            .collect();
        r.sort();
        r
    };
    assert_eq!(
        rules_of(&[]),
        ["blocking-in-async:latency", "unbounded-channel:resources"]
    );
    assert_eq!(
        rules_of(&["--select", "latency"]),
        ["blocking-in-async:latency"]
    );
    assert_eq!(
        rules_of(&["--select", "all", "--ignore", "resources"]),
        ["blocking-in-async:latency"]
    );
    assert_eq!(
        rules_of(&[
            "--select",
            "unbounded-channel",
            "--extend-select",
            "latency"
        ]),
        ["blocking-in-async:latency", "unbounded-channel:resources"]
    );
    assert!(rules_of(&["--select", "pedantic"]).is_empty());
}

#[test]
fn bad_arguments_exit_two() {
    asynclint()
        .args(["check", "--format", "xml"])
        .assert()
        .code(2);
    asynclint().args(["frobnicate"]).assert().code(2);
}

#[test]
fn select_and_ignore_choose_the_rules() {
    let dir = project(&[("src/lib.rs", BLOCKING)]);
    asynclint()
        .args(["check", "src", "--ignore", "blocking-in-async"])
        .current_dir(dir.path())
        .assert()
        .code(0);
    asynclint()
        .args(["check", "src", "--select", "dropped-join-handle"])
        .current_dir(dir.path())
        .assert()
        .code(0);
    asynclint()
        .args(["check", "src", "--select", "all"])
        .current_dir(dir.path())
        .assert()
        .code(1);
}

#[test]
fn suppression_comments_silence_a_line() {
    let text = BLOCKING.replace(
        "let text = fs::read_to_string(path)?;",
        "let text = fs::read_to_string(path)?; // asynclint: allow(blocking-in-async) tiny file at startup",
    );
    let dir = project(&[("src/lib.rs", &text)]);
    asynclint()
        .args(["check", "src"])
        .current_dir(dir.path())
        .assert()
        .code(0);
}

#[test]
fn rules_lists_every_rule_and_explain_prints_its_page() {
    let listing = asynclint()
        .arg("rules")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let listing = String::from_utf8(listing).unwrap();
    for rule in asynclint::rules::RULES {
        let m = rule.meta();
        assert!(listing.contains(m.name), "{} missing from `rules`", m.name);
        asynclint()
            .args(["explain", m.name])
            .assert()
            .code(0)
            .stdout(predicate::str::starts_with(format!("# {}", m.name)))
            .stdout(predicate::str::contains("## Use instead"));
    }
}

#[test]
fn hidden_build_and_vendored_directories_are_skipped_but_named_files_are_checked() {
    let dir = project(&[
        ("src/lib.rs", CLEAN),
        (".git/hooks/x.rs", BLOCKING),
        ("target/debug/build/x.rs", BLOCKING),
        (
            "target/CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55",
        ),
        ("src/target/mod.rs", BLOCKING),
        ("vendor/fork/Cargo.toml", "[package]\nname = \"fork\"\n"),
        ("vendor/fork/src/lib.rs", BLOCKING),
        ("src/vendor/mod.rs", BLOCKING),
    ]);
    let v = check_json(dir.path(), ".", 1);
    assert_eq!(
        v["files_checked"], 3,
        "src/lib.rs and the src/target and src/vendor modules"
    );
    assert_eq!(v["diagnostics"][0]["path"], "./src/target/mod.rs");
    assert_eq!(v["diagnostics"][1]["path"], "./src/vendor/mod.rs");
    asynclint()
        .args(["check", ".git/hooks/x.rs"])
        .current_dir(dir.path())
        .assert()
        .code(1);
}

#[test]
fn output_is_deterministic_across_runs_and_thread_counts() {
    let run = |threads: &str| {
        asynclint()
            .args([
                "check",
                "fixtures",
                "src",
                "--format",
                "json",
                "--threads",
                threads,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert!(one.len() > 1000);
    assert_eq!(one, run("2"));
    assert_eq!(run("2"), run("2"));
}

/// Files of a megabyte or more are parsed and walked one item at a time. Their
/// findings, imports declared below the code, and parse errors are those of any file.
#[test]
fn large_files_are_checked_item_by_item_with_the_same_results() {
    let row = format!("    {}\n", "1234, ".repeat(18));
    let rows = 10_000;
    let table = format!(
        "static TABLE: [u16; {}] = [\n{}];\n",
        rows * 18,
        row.repeat(rows)
    );
    assert!(table.len() > 1024 * 1024);
    let table_lines = rows + 2;
    let code = "pub async fn load(path: &str) -> std::io::Result<String> {\n\
                \x20   let text = fs::read_to_string(path)?;\n\
                \x20   Ok(text)\n\
                }\n\
                use std::fs;\n";
    let dir = project(&[
        ("src/table.rs", &format!("{table}{code}")),
        ("src/broken.rs", &format!("{table}fn main( {{\n")),
    ]);
    let v = check_json(dir.path(), "src", 2);
    let diagnostics = v["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{v}");
    assert_eq!(diagnostics[0]["rule"], "blocking-in-async");
    assert_eq!(diagnostics[0]["path"], "src/table.rs");
    assert_eq!(diagnostics[0]["line"], table_lines + 2);
    assert_eq!(v["errors"][0]["path"], "src/broken.rs");
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{}:", table_lines + 1)),
        "{message}"
    );
}

/// In test code only what makes the test wrong is reported; `[tests] check = "all"`
/// reports everything there too.
#[test]
fn test_code_policy_and_its_switch() {
    let test_file = "#[tokio::test]\n\
                     async fn reads_back() {\n\
                     \x20   let dir = tempfile::tempdir().unwrap();\n\
                     \x20   std::fs::write(dir.path().join(\"a\"), b\"x\").unwrap();\n\
                     \x20   for id in ids() {\n\
                     \x20       client.fetch(id).await;\n\
                     \x20   }\n\
                     }\n";
    let dir = project(&[("tests/it.rs", test_file)]);
    let quiet = check_json(dir.path(), ".", 0);
    assert_eq!(quiet["diagnostics"].as_array().unwrap().len(), 0);
    write(dir.path(), "asynclint.toml", "[tests]\ncheck = \"all\"\n");
    let all = check_json(dir.path(), ".", 1);
    let rules: Vec<&str> = all["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"blocking-in-async"), "{rules:?}");
    assert!(rules.contains(&"await-in-loop"), "{rules:?}");
    write(
        dir.path(),
        "asynclint.toml",
        "[tests]\ncheck = \"everything\"\n",
    );
    asynclint()
        .args(["check", "."])
        .current_dir(dir.path())
        .assert()
        .code(2);
}

/// A command-line program (no library, no server) runs its async code as one task:
/// blocking there stalls no one, unless it spawned a task first or runs in one.
#[test]
fn blocking_in_a_program_of_its_own_counts_only_once_it_spawns() {
    let manifest = "[package]\nname = \"tool\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                    [dependencies]\nclap = \"4\"\ntokio = \"1\"\n";
    let sequential = "pub async fn run(path: &str) -> String {\n\
                      \x20   std::fs::read_to_string(path).unwrap()\n\
                      }\n";
    let dir = project(&[("Cargo.toml", manifest), ("src/main.rs", sequential)]);
    let quiet = check_json(dir.path(), ".", 0);
    assert_eq!(quiet["diagnostics"].as_array().unwrap().len(), 0);
    let spawning = "pub async fn run(path: &str) -> String {\n\
                    \x20   let progress = tokio::spawn(show_progress());\n\
                    \x20   let text = std::fs::read_to_string(path).unwrap();\n\
                    \x20   progress.abort();\n\
                    \x20   text\n\
                    }\n";
    write(dir.path(), "src/main.rs", spawning);
    let found = check_json(dir.path(), ".", 1);
    assert_eq!(found["diagnostics"][0]["rule"], "blocking-in-async");
    // A task the program spawns runs beside the rest (a server on a plain
    // `TcpListener`): blocking inside it stalls the accept loop and the other tasks.
    let server = "pub async fn serve(listener: tokio::net::TcpListener) {\n\
                  \x20   loop {\n\
                  \x20       let (socket, _) = listener.accept().await.unwrap();\n\
                  \x20       tokio::spawn(async move {\n\
                  \x20           std::thread::sleep(std::time::Duration::from_secs(1));\n\
                  \x20           drop(socket);\n\
                  \x20       });\n\
                  \x20   }\n\
                  }\n";
    write(dir.path(), "src/main.rs", server);
    let found = check_json(dir.path(), ".", 1);
    assert_eq!(found["diagnostics"][0]["rule"], "blocking-in-async");
    assert_eq!(found["diagnostics"][0]["line"], 5);
    // The same sequential code in a library: its callers may be servers.
    write(dir.path(), "src/main.rs", "fn main() {}\n");
    write(dir.path(), "src/lib.rs", sequential);
    let lib = check_json(dir.path(), ".", 1);
    assert_eq!(lib["diagnostics"][0]["rule"], "blocking-in-async");
}

/// A WebSocket crate is a client as often as a server: a program that only connects
/// with it is a command-line program still. Once its sources accept connections, its
/// handlers share the runtime, and blocking in them counts.
#[test]
fn a_websocket_client_program_is_no_server() {
    let manifest = "[package]\nname = \"relay\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                    [dependencies]\ntokio = \"1\"\ntokio-tungstenite = \"0.29\"\n";
    let client = "pub async fn run(path: &str, url: &str) -> String {\n\
                  \x20   let token = std::fs::read_to_string(path).unwrap();\n\
                  \x20   let _ws = tokio_tungstenite::connect_async(url).await;\n\
                  \x20   token\n\
                  }\n";
    let dir = project(&[("Cargo.toml", manifest), ("src/main.rs", client)]);
    let blocking =
        |code: i32| check_json_with(dir.path(), ".", &["--select", "blocking-in-async"], code);
    let quiet = blocking(0);
    assert_eq!(quiet["diagnostics"].as_array().unwrap().len(), 0, "{quiet}");
    let server = "pub async fn handle(path: &str, socket: tokio::net::TcpStream) -> String {\n\
                  \x20   let token = std::fs::read_to_string(path).unwrap();\n\
                  \x20   let _ws = tokio_tungstenite::accept_async(socket).await;\n\
                  \x20   token\n\
                  }\n";
    write(dir.path(), "src/main.rs", server);
    let found = blocking(1);
    assert_eq!(
        found["diagnostics"][0]["rule"], "blocking-in-async",
        "{found}"
    );
    assert_eq!(found["diagnostics"][0]["line"], 2);
}

/// Whether a call names an async fn is known by name and arity across every package
/// checked together; a call the package's own model resolves to a sync fn (a trait's
/// method called by path) is not taken for another package's `async fn` of the same
/// name and arity.
#[test]
fn a_sync_trait_method_is_not_another_packages_async_namesake() {
    let manifest = |name: &str, deps: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\ntokio = \"1\"\n{deps}")
    };
    let hasher = "pub trait Update {\n\
                  \x20   fn update(&mut self, data: &[u8]);\n\
                  }\n\
                  pub trait Feed {\n\
                  \x20   fn feed(&mut self, data: &[u8]);\n\
                  }\n\
                  impl<D: Update> Feed for D {\n\
                  \x20   fn feed(&mut self, data: &[u8]) {\n\
                  \x20       Update::update(self, data);\n\
                  \x20   }\n\
                  }\n\
                  pub async fn ready() {}\n";
    let store = "pub async fn update(id: u32, value: u32) -> u32 {\n\
                 \x20   id + value\n\
                 }\n\
                 pub async fn save() {\n\
                 \x20   update(1, 2);\n\
                 }\n";
    let dir = project(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"hasher\", \"store\"]\n",
        ),
        ("hasher/Cargo.toml", &manifest("hasher", "")),
        ("hasher/src/lib.rs", hasher),
        ("store/Cargo.toml", &manifest("store", "")),
        ("store/src/lib.rs", store),
    ]);
    let found = check_json(dir.path(), ".", 1);
    let diagnostics = found["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{found}");
    assert_eq!(diagnostics[0]["rule"], "unawaited-future");
    assert_eq!(diagnostics[0]["path"], "./store/src/lib.rs");
}

/// A library of a workspace that only its command-line programs depend on runs where
/// they run: as one task. Once a server of the workspace depends on it too, its
/// callers may be request handlers, and blocking in it counts again.
#[test]
fn blocking_in_a_library_only_a_program_of_the_workspace_uses() {
    let member = |name: &str, deps: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\n{deps}")
    };
    let tool = member(
        "tool",
        "scripts = { path = \"../scripts\" }\ntokio = \"1\"\n",
    );
    let scripts = member("scripts", "tokio = \"1\"\n");
    let sequential = "pub async fn run(path: &str) -> String {\n\
                      \x20   std::fs::read_to_string(path).unwrap()\n\
                      }\n";
    let dir = project(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        ("crates/tool/Cargo.toml", &tool),
        ("crates/tool/src/main.rs", "fn main() {}\n"),
        ("crates/scripts/Cargo.toml", &scripts),
        ("crates/scripts/src/lib.rs", sequential),
    ]);
    let quiet = check_json(dir.path(), ".", 0);
    assert_eq!(quiet["diagnostics"].as_array().unwrap().len(), 0);
    let server = member(
        "server",
        "scripts = { path = \"../scripts\" }\naxum = \"0.8\"\n",
    );
    write(dir.path(), "crates/server/Cargo.toml", &server);
    write(dir.path(), "crates/server/src/main.rs", "fn main() {}\n");
    let found = check_json(dir.path(), ".", 1);
    assert_eq!(found["diagnostics"][0]["rule"], "blocking-in-async");
    assert_eq!(
        found["diagnostics"][0]["path"],
        "./crates/scripts/src/lib.rs"
    );
}

/// A call into a library of the workspace is followed into it: a request handler that
/// calls the shared crate's sync helper blocks on the helper's file read, a task
/// handed to its spawn wrapper loses its `Err` with the handle, and its async fn called
/// without `.await` never runs. A package that does not depend on that library by path
/// (the same name from the registry) is not followed.
#[test]
fn calls_into_a_workspace_library_reach_its_fns() {
    let member = |name: &str, deps: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\n{deps}")
    };
    let common = "pub fn read_settings(path: &str) -> String {\n\
                  \x20   std::fs::read_to_string(path).unwrap_or_default()\n\
                  }\n\
                  pub fn spawn_named<F>(fut: F)\n\
                  where\n\
                  \x20   F: std::future::Future + Send + 'static,\n\
                  \x20   F::Output: Send + 'static,\n\
                  {\n\
                  \x20   tokio::spawn(fut);\n\
                  }\n\
                  pub async fn flush_all() -> Result<(), String> {\n\
                  \x20   Ok(())\n\
                  }\n";
    let handler = "use shared_util::read_settings;\n\
                   pub async fn settings(path: String) -> String {\n\
                   \x20   read_settings(&path)\n\
                   }\n\
                   async fn sync_orders() -> Result<(), String> {\n\
                   \x20   Err(\"down\".into())\n\
                   }\n\
                   pub fn start() {\n\
                   \x20   shared_util::spawn_named(sync_orders());\n\
                   }\n\
                   pub async fn flush() {\n\
                   \x20   shared_util::flush_all();\n\
                   }\n";
    let dir = project(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        (
            "crates/shared-util/Cargo.toml",
            &member("shared-util", "tokio = \"1\"\n"),
        ),
        ("crates/shared-util/src/lib.rs", common),
        (
            "crates/api/Cargo.toml",
            &member(
                "api",
                "shared-util = { path = \"../shared-util\" }\naxum = \"0.8\"\ntokio = \"1\"\n",
            ),
        ),
        ("crates/api/src/lib.rs", handler),
    ]);
    let found = check_json(dir.path(), ".", 1);
    let rules: Vec<(String, String)> = rule_path_line(&found)
        .into_iter()
        .map(|(rule, path, _)| (rule, path))
        .collect();
    assert_eq!(
        rules,
        [
            (
                "blocking-in-async".to_string(),
                "./crates/api/src/lib.rs".to_string()
            ),
            (
                "dropped-join-handle".to_string(),
                "./crates/api/src/lib.rs".to_string()
            ),
            (
                "unawaited-future".to_string(),
                "./crates/api/src/lib.rs".to_string()
            ),
        ],
        "{found}"
    );
    // The same library from the registry: its fns are not the workspace's.
    write(
        dir.path(),
        "crates/api/Cargo.toml",
        &member(
            "api",
            "shared-util = \"1\"\naxum = \"0.8\"\ntokio = \"1\"\n",
        ),
    );
    let quiet = check_json(dir.path(), ".", 0);
    assert_eq!(quiet["diagnostics"].as_array().unwrap().len(), 0, "{quiet}");
}

/// A server whose `main` awaits the configuration load before it spawns anything: the
/// load runs alone, even declared `pub` in a package with no library target (nothing
/// outside can call it). Once the package has a library, other crates may call it
/// where tasks run, and the blocking read is reported, unless the package is
/// unpublished and no other member depends on it.
#[test]
fn startup_awaited_by_main_runs_alone_unless_a_library_exports_it() {
    let manifest = "[package]\nname = \"srv\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                    [dependencies]\ntokio = \"1\"\naxum = \"0.8\"\n";
    let main = "mod config;\n\
                #[tokio::main]\n\
                async fn main() {\n\
                \x20   let text = config::load(\"app.toml\").await;\n\
                \x20   tokio::spawn(async move { drop(text) });\n\
                }\n";
    let config = "pub async fn load(path: &str) -> String {\n\
                  \x20   std::fs::read_to_string(path).unwrap()\n\
                  }\n";
    let dir = project(&[
        ("Cargo.toml", manifest),
        ("src/main.rs", main),
        ("src/config.rs", config),
    ]);
    let quiet = check_json(dir.path(), ".", 0);
    assert_eq!(quiet["diagnostics"].as_array().unwrap().len(), 0, "{quiet}");
    write(dir.path(), "src/lib.rs", "pub mod config;\n");
    let found = check_json(dir.path(), ".", 1);
    assert_eq!(found["diagnostics"][0]["rule"], "blocking-in-async");
    assert_eq!(found["diagnostics"][0]["path"], "./src/config.rs");
    // An unpublished library that no other package depends on is for the package's
    // own program: nothing outside calls it.
    let unpublished = manifest.replace(
        "edition = \"2021\"\n",
        "edition = \"2021\"\npublish = false\n",
    );
    write(dir.path(), "Cargo.toml", &unpublished);
    let quiet = check_json(dir.path(), ".", 0);
    assert_eq!(quiet["diagnostics"].as_array().unwrap().len(), 0, "{quiet}");
}

/// A server's start-up in an unpublished library of its workspace, called once by the
/// program's `main` after it spawned a task: the certificate read with std delays that
/// task once, and is not reported; the same read in the accept loop is.
#[test]
fn setup_an_unpublished_library_runs_once_is_not_reported() {
    let member = |name: &str, extra: &str, deps: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{extra}[dependencies]\n{deps}")
    };
    let core = "pub async fn start() -> std::io::Result<tokio::net::TcpListener> {\n\
                \x20   let _cert = std::fs::read(\"server.pem\")?;\n\
                \x20   tokio::net::TcpListener::bind(\"0.0.0.0:8443\").await\n\
                }\n";
    let main = "#[tokio::main(flavor = \"current_thread\")]\n\
                async fn main() -> std::io::Result<()> {\n\
                \x20   tokio::spawn(async { tokio::task::yield_now().await });\n\
                \x20   let listener = srv_core::start().await?;\n\
                \x20   loop {\n\
                \x20       let (sock, _) = listener.accept().await?;\n\
                \x20       let motd = std::fs::read(\"motd\")?;\n\
                \x20       drop((sock, motd));\n\
                \x20   }\n\
                }\n";
    let files = |publish: &str| {
        vec![
            (
                "Cargo.toml".to_string(),
                "[workspace]\nmembers = [\"crates/*\"]\n".to_string(),
            ),
            (
                "crates/srv-core/Cargo.toml".to_string(),
                member("srv-core", publish, "tokio = \"1\"\naxum = \"0.8\"\n"),
            ),
            ("crates/srv-core/src/lib.rs".to_string(), core.to_string()),
            (
                "crates/srv/Cargo.toml".to_string(),
                member(
                    "srv",
                    "",
                    "srv-core = { path = \"../srv-core\" }\naxum = \"0.8\"\ntokio = \"1\"\n",
                ),
            ),
            ("crates/srv/src/main.rs".to_string(), main.to_string()),
        ]
    };
    let found = |publish: &str| {
        let owned = files(publish);
        let borrowed: Vec<(&str, &str)> = owned
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let dir = project(&borrowed);
        let v = check_json(dir.path(), ".", 1);
        rule_path_line(&v)
    };
    assert_eq!(
        found("publish = false\n"),
        vec![(
            "blocking-in-async".to_string(),
            "./crates/srv/src/main.rs".to_string(),
            7
        )]
    );
    // Published, the library's `start` may be called by anyone, anywhere.
    assert_eq!(found("").len(), 2);
}

/// `missing-timeout`'s `extra-calls` names more calls that reach another machine.
#[test]
fn missing_timeout_extra_calls_are_checked() {
    let code = "pub async fn quote(sku: &str) -> u32 {\n\
                \x20   pricing::fetch(sku).await\n\
                }\n\
                pub async fn bounded(sku: &str) -> u32 {\n\
                \x20   tokio::time::timeout(D, pricing::fetch(sku)).await.unwrap()\n\
                }\n";
    let dir = project(&[("src/lib.rs", code)]);
    assert_eq!(
        check_json(dir.path(), ".", 0)["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    write(
        dir.path(),
        "asynclint.toml",
        "[rules.missing-timeout]\nextra-calls = [\"pricing::fetch\"]\n",
    );
    let v = check_json(dir.path(), ".", 1);
    let d = v["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{v}");
    assert_eq!(d[0]["rule"], "missing-timeout");
    assert_eq!(d[0]["line"], 2);
}

/// Spawn wrappers and async methods of other crates, named in the configuration.
#[test]
fn spawn_wrappers_and_async_methods_are_configurable() {
    let code = "use rt::spawn_task;\n\
                pub async fn start(bus: Bus) {\n\
                \x20   spawn_task(async move { sync().await?; Ok::<_, Error>(()) });\n\
                \x20   bus.publish(Event::Started);\n\
                }\n";
    let dir = project(&[("src/lib.rs", code)]);
    assert_eq!(
        check_json(dir.path(), ".", 0)["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    write(
        dir.path(),
        "asynclint.toml",
        "[rules.dropped-join-handle]\nspawn-wrappers = [\"rt::spawn_task\"]\n\
         [rules.unawaited-future]\nasync-methods = [\"Bus::publish\"]\n",
    );
    let v = check_json(dir.path(), ".", 1);
    let mut found: Vec<(i64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_i64().unwrap(),
                d["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (3, "dropped-join-handle".to_string()),
            (4, "unawaited-future".to_string())
        ]
    );
    write(
        dir.path(),
        "asynclint.toml",
        "[rules.missing-timeout]\nspawn-wrappers = [\"rt::spawn_task\"]\n",
    );
    asynclint()
        .args(["check", "."])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no option `spawn-wrappers`"));
}

/// A plain `const` is stepped over unparsed: an error in its value is the compiler's
/// to report, and the file's findings still are. `--full-parse` finds it (exit 2).
#[test]
fn full_parse_finds_an_error_in_a_const_the_default_steps_over() {
    let src = "const LIMITS: [u8; 2] = [1, 2 3];\n\
               pub async fn f() { std::thread::sleep(std::time::Duration::from_secs(1)); }\n";
    let dir = project(&[("src/lib.rs", src)]);
    let default = check_json(dir.path(), ".", 1);
    assert_eq!(default["errors"].as_array().unwrap().len(), 0, "{default}");
    assert_eq!(default["diagnostics"][0]["rule"], "blocking-in-async");
    let full = check_json_with(dir.path(), ".", &["--no-cache", "--full-parse"], 2);
    assert_eq!(full["errors"][0]["line"], 1, "{full}");
    assert_eq!(full["diagnostics"].as_array().unwrap().len(), 0, "{full}");
}

/// Doc comments are not lexed by default: findings after them keep their lines and
/// columns, and a misplaced one is the compiler's to report. `--full-parse` reads
/// them and finds it (exit 2).
#[test]
fn doc_comments_keep_positions_and_full_parse_reads_them() {
    let src = "//! Crate docs.\n/// Sleeps.\n///\n/// Long.\npub async fn f() {\n    \
               /** Block\n    doc */ std::thread::sleep(std::time::Duration::from_secs(1));\n    \
               /// Misplaced.\n}\n";
    let dir = project(&[("src/lib.rs", src)]);
    let default = check_json(dir.path(), ".", 1);
    assert_eq!(default["errors"].as_array().unwrap().len(), 0, "{default}");
    let found = &default["diagnostics"][0];
    assert_eq!(found["rule"], "blocking-in-async");
    assert_eq!(
        (found["line"].as_u64(), found["column"].as_u64()),
        (Some(7), Some(12))
    );
    let full = check_json_with(dir.path(), ".", &["--no-cache", "--full-parse"], 2);
    assert_eq!(full["errors"][0]["line"], 9, "{full}");
}

/// A library of the workspace that members need only for their tests (a
/// dev-dependency, or optional behind a feature no default enables) is test support:
/// its one-off blocking is not reported. Once a member always depends on it, it is.
#[test]
fn a_workspace_library_only_tests_use_is_test_code() {
    let member = |name: &str, rest: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{rest}")
    };
    let fakes = member("fakes", "[dependencies]\ntokio = \"1\"\n");
    let store = member(
        "store",
        "[features]\ntesting = [\"dep:fakes\"]\n\
         [dependencies]\naxum = \"0.8\"\nfakes = { path = \"../fakes\", optional = true }\n\
         [dev-dependencies]\nfakes = { path = \"../fakes\" }\n",
    );
    let seed = "pub async fn seed(dir: &std::path::Path) {\n\
                \x20   std::fs::write(dir.join(\"crate.json\"), \"{}\").unwrap();\n\
                }\n";
    let dir = project(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        ("crates/fakes/Cargo.toml", &fakes),
        ("crates/fakes/src/lib.rs", seed),
        ("crates/store/Cargo.toml", &store),
        ("crates/store/src/lib.rs", "pub fn open() {}\n"),
    ]);
    let quiet = check_json(dir.path(), ".", 0);
    assert_eq!(quiet["diagnostics"].as_array().unwrap().len(), 0, "{quiet}");
    let always = member(
        "store",
        "[dependencies]\naxum = \"0.8\"\nfakes = { path = \"../fakes\" }\n",
    );
    write(dir.path(), "crates/store/Cargo.toml", &always);
    let found = check_json(dir.path(), ".", 1);
    assert_eq!(
        found["diagnostics"][0]["rule"], "blocking-in-async",
        "{found}"
    );
    assert_eq!(found["diagnostics"][0]["path"], "./crates/fakes/src/lib.rs");
}

/// A package's binary and its integration tests call its library by the library's
/// name (`svc::audit::record`, or `audit::record` after `use svc::audit;`): an async
/// fn of that library, called and dropped there, never runs. Awaited, it is fine.
#[test]
fn futures_of_the_own_library_dropped_in_main_and_tests_are_found() {
    let manifest = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                    [dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";
    let audit = "pub async fn record(who: &str, what: &str) -> std::io::Result<()> {\n\
                 \x20   tokio::fs::write(who, what).await\n\
                 }\n";
    let main = "use svc::audit;\n\
                #[tokio::main]\n\
                async fn main() {\n\
                \x20   let _ = audit::record(\"cli\", \"start\");\n\
                \x20   svc::audit::record(\"cli\", \"stop\").await.unwrap();\n\
                }\n";
    let test = "use svc::audit;\n\
                #[tokio::test]\n\
                async fn login() {\n\
                \x20   let _ = audit::record(\"u1\", \"login\");\n\
                }\n";
    let dir = project(&[
        ("Cargo.toml", manifest),
        ("src/lib.rs", "pub mod audit;\n"),
        ("src/audit.rs", audit),
        ("src/main.rs", main),
        ("tests/login.rs", test),
    ]);
    let at = rule_path_line(&check_json(dir.path(), ".", 1));
    let expected = [
        ("unawaited-future", "./src/main.rs", 4),
        ("unawaited-future", "./tests/login.rs", 4),
    ]
    .map(|(r, p, l)| (r.to_string(), p.to_string(), l));
    assert_eq!(at, expected);
}

/// Before edition 2024, an `if let` scrutinee's guard lives through the `else` block:
/// locking the same mutex there deadlocks. The package's manifest says which edition.
#[test]
fn an_if_let_guard_lives_through_else_before_edition_2024() {
    let lib = "use std::collections::HashMap;\n\
               use std::sync::Mutex;\n\
               pub fn name(names: &Mutex<HashMap<u32, String>>, id: u32) -> String {\n\
               \x20   if let Some(n) = names.lock().unwrap().get(&id) {\n\
               \x20       n.clone()\n\
               \x20   } else {\n\
               \x20       names.lock().unwrap().insert(id, String::new());\n\
               \x20       String::new()\n\
               \x20   }\n\
               }\n";
    let rules_at = |edition: &str| {
        let manifest =
            format!("[package]\nname = \"names\"\nversion = \"0.1.0\"\nedition = \"{edition}\"\n");
        let dir = project(&[("Cargo.toml", &manifest), ("src/lib.rs", lib)]);
        let code = if edition == "2024" { 0 } else { 1 };
        rule_path_line(&check_json(dir.path(), ".", code))
            .into_iter()
            .map(|(rule, _, line)| (rule, line))
            .collect::<Vec<_>>()
    };
    assert_eq!(rules_at("2021"), [("lock-reentry".to_string(), 7)]);
    assert_eq!(rules_at("2024"), []);
}

/// A command-line program's async helper runs alone only when nothing runs beside it:
/// awaited in tasks spawned one per item on a current-thread runtime, its blocking
/// write stalls the other downloads; on a multi-thread runtime (or awaited by `main`
/// alone) it is left to the program.
#[test]
fn a_command_line_helper_awaited_in_tasks_on_one_thread_blocks_them() {
    let fetch = "pub async fn download(url: String) -> std::io::Result<()> {\n\
                 \x20   tokio::task::yield_now().await;\n\
                 \x20   std::fs::write(\"page.html\", url)\n\
                 }\n";
    let rules_at = |attribute: &str, spawned: bool| {
        let call = if spawned {
            "for url in urls {\n    handles.push(tokio::spawn(fetch::download(url)));\n}\n"
        } else {
            "for url in urls {\n    fetch::download(url).await.unwrap();\n}\n"
        };
        let main = format!(
            "mod fetch;\n{attribute}\nasync fn main() {{\n\
             let urls: Vec<String> = std::env::args().collect();\n\
             let mut handles = Vec::new();\n{call}\
             for h in handles {{ let _: Result<std::io::Result<()>, _> = h.await; }}\n}}\n"
        );
        let manifest = "[package]\nname = \"fetcher\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                        [dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";
        let dir = project(&[
            ("Cargo.toml", manifest),
            ("src/main.rs", &main),
            ("src/fetch.rs", fetch),
        ]);
        let report = check_json(dir.path(), ".", if spawned { 1 } else { 0 });
        rule_path_line(&report)
            .into_iter()
            .filter(|(rule, _, _)| rule == "blocking-in-async")
            .map(|(_, path, line)| (path, line))
            .collect::<Vec<_>>()
    };
    let single = "#[tokio::main(flavor = \"current_thread\")]";
    assert_eq!(rules_at(single, true), [("./src/fetch.rs".to_string(), 3)]);
    assert_eq!(rules_at(single, false), []);
    assert_eq!(rules_at("#[tokio::main]", true), []);
}

#[test]
fn another_packages_private_async_fn_is_no_namesake() {
    // Two packages checked in one run: `ui` calls a setter its framework provides,
    // `store` has a private `async fn` of the same name and arity. The call cannot
    // reach it, so it makes no future.
    let store = "pub struct Store { state: u8 }\n\
                 impl Store {\n\
                 \x20   async fn set_state(&mut self, v: u8) { self.state = v; }\n\
                 \x20   pub async fn apply(&mut self) { self.set_state(1).await; }\n\
                 }\n";
    let ui = |own: &str| {
        format!(
            "pub struct Widget;\n\
             impl Widget {{\n\
             \x20   pub fn update(&mut self) {{\n\
             \x20       self.set_state(1);\n\
             \x20   }}\n\
             {own}}}\n"
        )
    };
    let found = |own: &str| {
        let dir = store_and(store, "ui", "", &ui(own));
        let code = if own.is_empty() { 0 } else { 1 };
        rule_path_line(&check_json(dir.path(), ".", code))
    };
    assert_eq!(found(""), vec![]);
    // The package's own `async fn set_state` is what the call names.
    assert_eq!(
        found("    async fn set_state(&mut self, v: u8) { let _ = v; }\n"),
        vec![(
            "unawaited-future".to_string(),
            "./ui/src/lib.rs".to_string(),
            4
        )]
    );
}

#[test]
fn a_linked_librarys_async_trait_method_is_a_namesake_an_unlinked_ones_is_not() {
    // `app` calls `deliver` on a value of a type the text does not name. A library it
    // depends on declares `deliver` async in a trait: the call makes a future it drops.
    // The same library, checked in the run but not a dependency, names nothing.
    let store = "pub trait Sink {\n\
                 \x20   async fn deliver(&self, v: u8);\n\
                 }\n";
    let app = "pub async fn record(sink: &dyn std::any::Any) {\n\
               \x20   let s = lookup(sink);\n\
               \x20   s.deliver(1);\n\
               }\n\
               fn lookup<T>(t: T) -> T { t }\n";
    let found = |deps: &str| {
        let dir = store_and(store, "app", deps, app);
        let code = if deps.is_empty() { 0 } else { 1 };
        rule_path_line(&check_json(dir.path(), ".", code))
    };
    assert_eq!(found(""), vec![]);
    assert_eq!(
        found("[dependencies]\nstore = { path = \"../store\" }\n"),
        vec![(
            "unawaited-future".to_string(),
            "./app/src/lib.rs".to_string(),
            3
        )]
    );
}
