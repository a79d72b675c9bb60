//! `asynclint server` spoken to over stdio, as an editor does: the real binary, the
//! base protocol's framing, JSON-RPC requests and notifications.

mod common;

use common::write;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Messages read while waiting for another.
    stash: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(root: &Path, options: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_asynclint"))
            .arg("server")
            .current_dir(root)
            .env("ASYNCLINT_CACHE_DIR", root.join("cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                r.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        let mut c = Client {
            child,
            stdin,
            messages: rx,
            stash: Vec::new(),
            next_id: 0,
        };
        let uri = uri(root);
        let init = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "capabilities": {},
                "workspaceFolders": [{ "uri": uri, "name": "project" }],
                "initializationOptions": options,
            }),
        );
        let caps = &init["result"]["capabilities"];
        assert_eq!(caps["textDocumentSync"]["change"], 1, "{init}");
        assert_eq!(caps["hoverProvider"], true);
        c.notify("initialized", json!({}));
        c
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, v: &Value) {
        let body = v.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response (the whole object).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(|m| m.get("method").is_none() && m["id"] == id)
    }

    /// The next message that `want` accepts (earlier ones are kept for later waits).
    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.stash.iter().position(&want) {
            return self.stash.remove(i);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            match self
                .messages
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(m) if want(&m) => return m,
                Ok(m) => self.stash.push(m),
                Err(RecvTimeoutError::Timeout) => panic!("no such message; got {:#?}", self.stash),
                Err(RecvTimeoutError::Disconnected) => panic!("the server stopped"),
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }

    /// The diagnostics published for version `version` of `uri`.
    fn diagnostics_v(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }

    /// Whether diagnostics for `uri` arrive within `wait`.
    fn published_within(&mut self, uri: &str, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let is_it = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if self.stash.iter().any(is_it) {
            return true;
        }
        while let Ok(m) = self
            .messages
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            let hit = is_it(&m);
            self.stash.push(m);
            if hit {
                return true;
            }
        }
        false
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "rust", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// `shutdown`, `exit`: the process ends with 0.
    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        assert!(r.get("error").is_none());
        self.notify("exit", Value::Null);
        assert_eq!(self.exit_code(), 0);
    }

    fn exit_code(mut self) -> i32 {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

const A: &str = "use std::time::Duration;\n\
\n\
pub async fn tick() {\n\
\x20   std::thread::sleep(Duration::from_millis(5));\n\
\x20   tokio::task::yield_now().await;\n\
}\n\
\n\
pub fn read_config() -> String {\n\
\x20   std::fs::read_to_string(\"app.toml\").unwrap_or_default()\n\
}\n";

const B: &str = "pub async fn start() -> String {\n\
\x20   crate::a::read_config()\n\
}\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n",
    );
    write(d, "src/lib.rs", "pub mod a;\npub mod b;\n");
    write(d, "src/a.rs", A);
    write(d, "src/b.rs", B);
    dir
}

/// Applies a code action's edits (ASCII text: columns are bytes).
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + p["character"].as_u64().unwrap() as usize
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, t);
    }
    out
}

/// The flow of an editing session: a finding on open, gone when the buffer is fixed
/// in memory, a finding of another file that depends on the first, its change with
/// the first file's unsaved edits, a code action applied, a hover, a clean shutdown.
#[test]
fn open_edit_cross_file_code_action_hover_shutdown() {
    let dir = project();
    let (a, b) = (
        uri(&dir.path().join("src/a.rs")),
        uri(&dir.path().join("src/b.rs")),
    );
    let mut c = Client::start(dir.path(), json!({ "debounceMs": 10, "cache": false }));

    c.open(&a, A);
    let diags = c.diagnostics(&a);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d["code"], "blocking-in-async");
    assert_eq!(d["source"], "asynclint");
    assert_eq!(d["severity"], 2);
    assert_eq!(
        d["range"],
        json!({ "start": { "line": 3, "character": 4 }, "end": { "line": 3, "character": 48 } })
    );
    assert!(d["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .contains("blocking-in-async"));

    // Fixed in the buffer, not on disk.
    let fixed = A.replace(
        "std::thread::sleep(Duration::from_millis(5));",
        "tokio::time::sleep(Duration::from_millis(5)).await;",
    );
    c.change(&a, 2, &fixed);
    assert_eq!(c.diagnostics_v(&a, 2), Vec::<Value>::new());

    // b's finding is decided by what a's `read_config` does.
    c.open(&b, B);
    let diags = c.diagnostics(&b);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "blocking-in-async");
    assert!(diags[0]["message"]
        .as_str()
        .unwrap()
        .contains("`read_config`"));
    let no_io = fixed.replace(
        "std::fs::read_to_string(\"app.toml\").unwrap_or_default()",
        "String::new()",
    );
    c.change(&a, 3, &no_io);
    assert_eq!(c.diagnostics(&b), Vec::<Value>::new());
    c.change(&a, 4, A);
    assert_eq!(c.diagnostics_v(&a, 4).len(), 1);
    assert_eq!(c.diagnostics(&b).len(), 1);

    // The fix, as a code action on the finding's range.
    let r = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": a },
            "range": { "start": { "line": 3, "character": 10 }, "end": { "line": 3, "character": 10 } },
            "context": { "diagnostics": [] },
        }),
    );
    let actions = r["result"].as_array().unwrap();
    let fix = actions
        .iter()
        .find(|x| x["title"] == "Apply the fix for `blocking-in-async`")
        .unwrap_or_else(|| panic!("{actions:#?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "blocking-in-async");
    let edits = fix["edit"]["changes"][&a].as_array().unwrap();
    let applied = apply(A, edits);
    assert!(
        applied.contains("tokio::time::sleep(Duration::from_millis(5)).await;"),
        "{applied}"
    );
    assert!(actions
        .iter()
        .any(|x| x["title"] == "Suppress `blocking-in-async` on this line"));
    c.change(&a, 5, &applied);
    assert_eq!(c.diagnostics_v(&a, 5), Vec::<Value>::new());

    // Hover on b's finding: the rule's page.
    let r = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": b }, "position": { "line": 1, "character": 12 } }),
    );
    let hover = r["result"]["contents"]["value"].as_str().unwrap();
    assert!(hover.contains("# blocking-in-async"), "{hover}");
    assert!(hover.contains("**asynclint `blocking-in-async`**"));
    let r = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": b }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(r["result"], Value::Null);

    // Closing clears the file's diagnostics.
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": b } }),
    );
    assert_eq!(c.diagnostics(&b), Vec::<Value>::new());
    c.shutdown();
}

/// Input that is not a message, requests with unknown methods or bad parameters,
/// a request before `initialize`: each is answered with an error, and the server
/// keeps serving.
#[test]
fn malformed_messages_get_errors_and_the_server_goes_on() {
    let dir = project();
    let mut child = Command::new(env!("CARGO_BIN_EXE_asynclint"))
        .arg("server")
        .env("ASYNCLINT_CACHE_DIR", dir.path().join("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Before initialize.
    let early = r#"{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{}}"#;
    let mut stdin = child.stdin.take().unwrap();
    write!(stdin, "Content-Length: {}\r\n\r\n{early}", early.len()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"code\":-32002"), "{text}");
    assert_eq!(out.status.code(), Some(1), "input ended without shutdown");

    let a = uri(&dir.path().join("src/a.rs"));
    let mut c = Client::start(dir.path(), json!({ "debounceMs": 10 }));
    let errors = |c: &mut Client| c.wait(|m| m.get("error").is_some() && m["id"].is_null());
    c.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    assert_eq!(errors(&mut c)["error"]["code"], -32700);
    c.send_raw(b"Content-Length: 3\r\n\r\n[1]");
    assert_eq!(errors(&mut c)["error"]["code"], -32600);
    c.send_raw(b"Content-Length: nine\r\n\r\n");
    assert_eq!(errors(&mut c)["error"]["code"], -32700);
    c.send_raw(b"Some garbage line\r\n\r\n");
    assert_eq!(errors(&mut c)["error"]["code"], -32700);
    let mut noise = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..2000 {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        noise.push((x >> 16) as u8);
    }
    let body = String::from_utf8_lossy(&noise).replace(['\r', '\n'], " ");
    c.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    assert_eq!(errors(&mut c)["error"]["code"], -32700);

    let r = c.request("textDocument/rename", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let r = c.request("textDocument/hover", json!(5));
    assert_eq!(r["error"]["code"], -32602);
    let r = c.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(r["error"]["code"], -32600);
    // Notifications with bad parameters are dropped.
    c.notify("textDocument/didOpen", json!({ "textDocument": 1 }));
    c.notify("textDocument/didChange", json!(null));
    c.notify("workspace/didChangeConfiguration", json!({ "settings": 7 }));
    let e = c.wait(|m| m["method"] == "window/showMessage");
    assert!(e["params"]["message"]
        .as_str()
        .unwrap()
        .contains("must be an object"));

    // Still serving.
    c.open(&a, A);
    assert_eq!(c.diagnostics(&a).len(), 1);
    let r = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": a }, "position": { "line": 3, "character": 10 } }),
    );
    assert!(r["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("blocking-in-async"));
    // `exit` without `shutdown`: exit code 1.
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code(), 1);
}

/// Rule selection from the settings, changed at run time; each file's nearest
/// configuration; a fix that may be incorrect is marked so.
#[test]
fn settings_nearest_config_and_maybe_incorrect_fixes() {
    let dir = project();
    let d = dir.path();
    write(
        d,
        "sub/asynclint.toml",
        "[rules.blocking-in-async]\nenabled = false\n",
    );
    write(d, "sub/src/lib.rs", A);
    let cancel = "use tokio_util::sync::CancellationToken;\n\
                  pub async fn sync_all(ctx: &CancellationToken) {\n\
                  \x20   upload(CancellationToken::new()).await;\n\
                  }\n\
                  async fn upload(t: CancellationToken) { t.cancelled().await }\n";
    write(d, "src/c.rs", cancel);
    let (a, sub, c_uri) = (
        uri(&d.join("src/a.rs")),
        uri(&d.join("sub/src/lib.rs")),
        uri(&d.join("src/c.rs")),
    );
    let mut c = Client::start(d, json!({ "ignore": ["latency"], "debounceMs": 10 }));
    c.open(&a, A);
    assert_eq!(c.diagnostics(&a), Vec::<Value>::new());
    c.open(&sub, A);
    assert_eq!(c.diagnostics(&sub), Vec::<Value>::new());

    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "asynclint": { "ignore": ["blockng-in-async"] } } }),
    );
    let m = c.wait(|m| m["method"] == "window/showMessage");
    assert!(m["params"]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `blocking-in-async`"));
    let diags = c.diagnostics(&a);
    assert!(
        diags.iter().any(|d| d["code"] == "blocking-in-async"),
        "{diags:#?}"
    );
    // The file under `sub/` keeps its own configuration's choice.
    assert!(!c.published_within(&sub, Duration::from_millis(300)));

    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "asynclint": {} } }),
    );
    c.open(&c_uri, cancel);
    let diags = c.diagnostics(&c_uri);
    let fresh = diags
        .iter()
        .find(|d| d["code"] == "ignored-cancellation" && d["range"]["start"]["line"] == 2)
        .unwrap_or_else(|| panic!("{diags:#?}"));
    let r = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": c_uri }, "range": fresh["range"], "context": { "diagnostics": [fresh] } }),
    );
    let actions = r["result"].as_array().unwrap();
    let fix = actions
        .iter()
        .find(|x| x["title"].as_str().unwrap().starts_with("Apply the fix"))
        .unwrap_or_else(|| panic!("{actions:#?}"));
    assert!(fix["title"].as_str().unwrap().contains("may be incorrect"));
    assert_eq!(fix["isPreferred"], false);
    let edited = apply(cancel, fix["edit"]["changes"][&c_uri].as_array().unwrap());
    assert!(edited.contains("upload(ctx.child_token())"), "{edited}");
    c.shutdown();
}

/// A closed file changed on disk (a watched-file event) re-decides the open files
/// that depend on it; rapid edits are analysed once typing pauses, and the last
/// version is the one published.
#[test]
fn watched_files_and_debounced_edits() {
    let dir = project();
    let (a, b) = (
        uri(&dir.path().join("src/a.rs")),
        uri(&dir.path().join("src/b.rs")),
    );
    let mut c = Client::start(dir.path(), json!({ "debounceMs": 300 }));
    c.open(&b, B);
    assert_eq!(c.diagnostics(&b).len(), 1);
    write(
        dir.path(),
        "src/a.rs",
        &A.replace(
            "std::fs::read_to_string(\"app.toml\").unwrap_or_default()",
            "String::new()",
        ),
    );
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": a, "type": 2 }] }),
    );
    assert_eq!(c.diagnostics(&b), Vec::<Value>::new());

    c.open(&a, A);
    assert_eq!(c.diagnostics(&a).len(), 1);
    for v in 2..12 {
        let text = format!("{A}\n// edit {v}\n");
        c.change(&a, v, &text);
    }
    let clean = A.replace("std::thread::sleep", "tokio::time::sleep");
    c.change(&a, 12, &clean);
    let m = c.wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == a);
    assert_eq!(
        m["params"]["version"], 12,
        "only the last version is analysed"
    );
    c.shutdown();
}

/// The content cache serves the workspace's files from disk; the output is the
/// same as without it.
#[test]
fn the_workspace_scan_uses_the_content_cache() {
    let dir = project();
    let b = uri(&dir.path().join("src/b.rs"));
    for _ in 0..2 {
        let mut c = Client::start(dir.path(), json!({}));
        c.open(&b, B);
        assert_eq!(c.diagnostics(&b).len(), 1);
        c.shutdown();
    }
    let entries = std::fs::read_dir(dir.path().join("cache/v1"))
        .unwrap()
        .count();
    assert_eq!(entries, 3, "a.rs, lib.rs and b.rs");
}

/// The VS Code extension's settings are the server's: each `asynclint.*` setting it
/// declares (but the binary's path) is read by the server without complaint, with
/// the same default.
#[test]
fn the_vscode_extension_declares_the_server_settings() {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("editors/vscode/package.json")).unwrap(),
    )
    .unwrap();
    let declared = manifest["contributes"]["configuration"]["properties"]
        .as_object()
        .unwrap();
    let mut defaults = serde_json::Map::new();
    for (key, spec) in declared {
        let name = key.strip_prefix("asynclint.").unwrap();
        if name != "path" {
            defaults.insert(name.to_string(), spec["default"].clone());
        }
    }
    assert_eq!(defaults.len(), 5, "{defaults:?}");
    let (settings, errors) =
        asynclint::server::Settings::from_value(Some(&json!({ "asynclint": defaults })));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(settings, asynclint::server::Settings::default());
    let (_, errors) = asynclint::server::Settings::from_value(Some(&json!({ "selekt": ["all"] })));
    assert_eq!(errors, ["unknown asynclint setting `selekt`"]);
}

/// A workspace folder added after start is read from disk: a file opened in it gets
/// the finding that depends on its sibling; removed, its files no longer count.
#[test]
fn workspace_folders_can_be_added_and_removed() {
    let first = project();
    let second = project();
    let b2 = uri(&second.path().join("src/b.rs"));
    let mut c = Client::start(first.path(), json!({ "debounceMs": 10 }));
    let folder = json!({ "uri": uri(second.path()), "name": "second" });
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": { "added": [folder], "removed": [] } }),
    );
    c.open(&b2, B);
    assert_eq!(
        c.diagnostics(&b2).len(),
        1,
        "a.rs of the second folder was read"
    );
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": { "added": [], "removed": [folder] } }),
    );
    assert_eq!(
        c.diagnostics(&b2),
        Vec::<Value>::new(),
        "without its folder, `read_config` is unknown"
    );
    c.shutdown();
}
