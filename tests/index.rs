//! The engine's two-pass shape: a diagnostic that depends on the crate-wide index of
//! async fns is decided only after every file has been read.

use asynclint::diagnostic::{Diagnostic, Severity};
use asynclint::engine::{self, Options};
use asynclint::rules::{Rule, RuleMeta};
use asynclint::semantic::chain::call_path;
use asynclint::semantic::index::{FnKey, IndexQuery};
use asynclint::semantic::Cx;
use std::fs;

use syn::{Expr, Stmt};

/// Flags `f(..);` statements whose callee the index knows to be async.
struct CallsAsyncAsStatement;

static META: RuleMeta = RuleMeta {
    name: "test-calls-async",
    severity: Severity::Warning,
    group: asynclint::rules::Group::Correctness,
    tests: asynclint::rules::TestCode::Report,
    summary: "test rule",
    doc: "",
};

impl Rule for CallsAsyncAsStatement {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_stmt(&self, cx: &mut Cx, stmt: &Stmt) {
        let Stmt::Expr(e @ Expr::Call(call), Some(_)) = stmt else {
            return;
        };
        let Some(name) = call_path(e).and_then(|p| p.get_ident()) else {
            return;
        };
        let key = FnKey {
            name: name.to_string(),
            arity: call.args.len(),
            is_method: false,
        };
        let d = Diagnostic::new(META.name, META.severity, cx.range(e), "unawaited");
        cx.report_if(IndexQuery::IsAsync(key), d);
    }
}

#[test]
fn deferred_diagnostics_are_decided_by_the_whole_crate() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(
        p.join("a.rs"),
        "pub async fn save(x: u8) {}\n\
         pub fn load(x: u8) {}\n\
         pub fn both(x: u8) {}\n\
         pub fn boxed(x: u8) -> BoxFuture<'static, ()> { todo!() }\n",
    )
    .unwrap();
    fs::write(p.join("b.rs"), "mod m { pub async fn both(x: u8) {} }\n").unwrap();
    fs::write(
        p.join("c.rs"),
        "fn caller() {\n    save(1);\n    load(1);\n    both(1);\n    save(1, 2);\n    boxed(3);\n    unknown(1);\n}\n",
    )
    .unwrap();
    let rule = CallsAsyncAsStatement;
    for threads in [1, 2] {
        let options = Options {
            rules: vec![&rule],
            threads,
            ..Options::new(Vec::new())
        };
        let report = engine::run(&[p.to_path_buf()], &options);
        let lines: Vec<usize> = report.findings.iter().map(|f| f.start.line).collect();
        // `save(1)` and `boxed(3)`; not the sync `load`, the ambiguous `both`, a call
        // with another arity, or a name the crate does not define.
        assert_eq!(lines, vec![2, 6], "threads = {threads}");
        assert_eq!(report.files_checked, 3);
    }
}

#[test]
fn runtime_entry_points_and_required_trait_methods_are_indexed_as_declared() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(
        p.join("a.rs"),
        "#[tokio::main]\nasync fn serve() {}\n\
         pub trait Hook { fn fire(x: u8); }\n\
         mod m { pub async fn fire(x: u8) {} pub async fn go() {} }\n",
    )
    .unwrap();
    fs::write(
        p.join("c.rs"),
        "fn caller() {\n    serve();\n    fire(1);\n    go();\n}\n",
    )
    .unwrap();
    let rule = CallsAsyncAsStatement;
    let options = Options {
        rules: vec![&rule],
        threads: 1,
        ..Options::new(Vec::new())
    };
    let report = engine::run(&[p.to_path_buf()], &options);
    let lines: Vec<usize> = report.findings.iter().map(|f| f.start.line).collect();
    // `#[tokio::main]` makes `serve` sync; the required `Hook::fire` makes `fire`
    // ambiguous; only `go` is async.
    assert_eq!(lines, vec![4]);
}
