//! The shared semantic layer: everything two rules need lives here, once.
//!
//! Rules see the code through [`Cx`]: the file, name resolution through `use`, the
//! async context, local bindings and their origins, and the sinks for diagnostics.

pub mod blocking;
pub mod body;
pub mod bounds;
pub mod callee;
pub mod calls;
pub mod chain;
pub mod channels;
pub mod clients;
pub mod decisions;
pub mod detach;
pub mod futures;
pub mod grace;
pub mod guards;
pub mod handles;
pub mod imports;
pub mod index;
pub mod iteration;
pub mod locals;
pub mod macros;
pub mod optional;
pub mod ownership;
pub mod provenance;
pub mod reactor;
pub mod runtime;
pub mod scope;
pub mod shared_state;
pub mod statics;
pub mod task_results;
pub mod tasks;
pub mod testcode;
pub mod text;
pub mod types;
pub mod uses;
pub mod waited;
pub mod writes;

use crate::diagnostic::Diagnostic;
use crate::source::{LineIndex, TextRange};
use imports::UseMap;
use index::{Deferred, IndexQuery};
use rustc_hash::FxHashSet as HashSet;
use scope::{Context, Origin, Scopes};
use syn::spanned::Spanned;
use syn::Expr;

/// The async runtime a file is written against, from what it imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Runtime {
    Tokio,
    AsyncStd,
    Smol,
    #[default]
    Unknown,
}

/// One parsed file and what is known about it as a whole.
pub struct FileInfo<'t> {
    pub path: &'t str,
    pub text: &'t str,
    pub lines: LineIndex,
    pub uses: UseMap,
    /// The runtime the file's own imports name, else the crate's (from Cargo.toml).
    pub runtime: Runtime,
    /// The runtime the crate depends on (from Cargo.toml), whatever the file imports.
    pub crate_runtime: Runtime,
    /// Whether the file itself names tokio (a fix may then write `tokio::` paths).
    pub mentions_tokio: bool,
    /// Whether the file has any async code (an async fn, block or closure).
    pub has_async: bool,
    /// Whether the whole file is test code (a crate's `tests/` or `benches/`, a test
    /// module file).
    pub is_test_file: bool,
    /// The declared types of the file's struct fields, by field name, as written.
    pub field_types: rustc_hash::FxHashMap<String, String>,
    /// Declared types of the struct fields the file defines.
    pub fields: types::FieldTypes,
    /// The names of the file's `static mut` items.
    pub static_muts: HashSet<String>,
    /// Whether a bare `.lock()` / `.read()` / `.write()` here is a synchronous lock: the
    /// file uses parking_lot (or spin), whose locks return guards directly.
    pub plain_locks_are_sync: bool,
    /// Whether `.borrow()` here may be a `RefCell` (or `watch`) borrow.
    pub uses_cells: bool,
    /// The file's database is SQLite, inside this process (it names SQLite and no
    /// networked database): its queries are local calls, not round-trips.
    pub embedded_db: bool,
    /// Whether the file names the `BorrowMut` trait, whose `borrow_mut` is no guard.
    pub uses_borrow_mut_trait: bool,
    /// Whether the file names a concurrent map type (`DashMap`, `DashSet`).
    pub mentions_concurrent_map: bool,
    /// The package the file belongs to, as the engine numbers packages.
    pub krate: u32,
    /// The file's module path in its package (`["net", "conn"]` for
    /// `src/net/conn.rs`).
    pub module: Vec<String>,
    /// The package's library name, under which its other targets import it.
    pub lib_name: Option<String>,
    /// The libraries its package depends on by path or from its workspace: calls into
    /// them may reach fns of the checked code.
    pub linked: Vec<String>,
    /// The package is a program of its own with no server: one sequential task
    /// unless it spawns.
    pub package_is_app: bool,
    /// An `if let` scrutinee's temporaries live through the `else` block too (the
    /// package is of an edition before 2024).
    pub if_let_through_else: bool,
    /// Nothing outside the package calls its fns: it has no library target, or its
    /// library is unpublished and no other member of its workspace depends on it.
    pub closed: bool,
    /// The package is not published: only its workspace's members call what its
    /// library exports.
    pub unpublished: bool,
    /// The tokio the crate's manifest enables (`None`: unknown), for fixes.
    pub tokio: Option<&'t crate::crate_facts::CrateTokio>,
}

/// The file-wide facts that come from its items, gathered one item at a time, so that
/// a large file can be parsed and dropped item by item.
pub struct ItemFacts {
    uses: UseMap,
    /// Whether the text names `async` at all: if not, no item need be looked into.
    may_have_async: bool,
    has_async: bool,
    /// Whether the text may declare a `static mut`.
    may_have_static_mut: bool,
    static_muts: HashSet<String>,
}

impl ItemFacts {
    pub fn new(text: &str) -> Self {
        ItemFacts {
            uses: UseMap::default(),
            may_have_async: text::mentions(text, "async"),
            has_async: false,
            may_have_static_mut: statics::may_declare_static_mut(text),
            static_muts: HashSet::default(),
        }
    }

    /// Adds a top-level item known only by its name: a `static` or `const` whose
    /// tokens name neither `async` nor `static`, which is all [`ItemFacts::add`]
    /// would take from it.
    pub fn add_defined(&mut self, name: String) {
        self.uses.add_defined(name);
    }

    /// Adds the facts of one top-level item.
    pub fn add(&mut self, item: &syn::Item) {
        self.uses.add_item(item);
        if self.may_have_async && !self.has_async {
            self.has_async = scope::item_has_async(item);
        }
        if self.may_have_static_mut {
            statics::add_static_mut_names(item, &mut self.static_muts);
        }
    }
}

/// Adds clones of the structs `item` declares outside fn bodies (itself, or those of
/// an inline module, at any depth) to `out`: what [`FileInfo::from_facts`] reads
/// field types from.
pub fn module_structs(item: &syn::Item, out: &mut Vec<syn::Item>) {
    match item {
        syn::Item::Struct(_) => out.push(item.clone()),
        syn::Item::Mod(m) => {
            for item in m.content.iter().flat_map(|(_, items)| items) {
                module_structs(item, out);
            }
        }
        _ => {}
    }
}

impl<'t> FileInfo<'t> {
    /// What names in calls mean in this file, with the locals in `scopes`.
    pub fn names<'a>(&'a self, scopes: &'a scope::Scopes) -> callee::Names<'a> {
        callee::Names {
            uses: &self.uses,
            scopes,
            fields: &self.fields,
            lib: self.lib_name.as_deref(),
            linked: &self.linked,
        }
    }

    pub fn new(path: &'t str, text: &'t str, file: &syn::File) -> Self {
        FileInfo::with_crate_runtime(path, text, file, Runtime::Unknown)
    }

    pub fn with_crate_runtime(
        path: &'t str,
        text: &'t str,
        file: &syn::File,
        crate_runtime: Runtime,
    ) -> Self {
        let mut facts = ItemFacts::new(text);
        for item in &file.items {
            facts.add(item);
        }
        FileInfo::from_facts(path, text, facts, &file.items, crate_runtime)
    }

    /// The facts of a file whose items were gathered one by one into `facts`;
    /// `structs` holds (at least) every struct declared outside fn bodies, in
    /// modules or not.
    pub fn from_facts(
        path: &'t str,
        text: &'t str,
        facts: ItemFacts,
        structs: &[syn::Item],
        crate_runtime: Runtime,
    ) -> Self {
        let uses = facts.uses.finish();
        let plain_locks_are_sync = uses.imports_crate("parking_lot")
            || uses.imports_crate("spin")
            || text::mentions(text, "parking_lot::");
        let mentions_tokio = uses.imports_crate("tokio") || text::mentions(text, "tokio::");
        let runtime = if mentions_tokio {
            Runtime::Tokio
        } else if uses.imports_crate("async_std") || text::mentions(text, "async_std::") {
            Runtime::AsyncStd
        } else if uses.imports_crate("smol") || text::mentions(text, "smol::") {
            Runtime::Smol
        } else {
            crate_runtime
        };
        let lines = LineIndex::new(text);
        FileInfo {
            path,
            text,
            lines,
            fields: types::FieldTypes::from_items(structs, &uses),
            uses,
            runtime,
            crate_runtime,
            mentions_tokio,
            has_async: facts.has_async,
            is_test_file: testcode::is_test_path(path),
            field_types: scope::field_types(structs),
            static_muts: facts.static_muts,
            plain_locks_are_sync,
            uses_cells: text::mentions(text, "RefCell") || text::mentions(text, "watch::"),
            embedded_db: calls::embedded_db(text),
            uses_borrow_mut_trait: text::mentions(text, "BorrowMut"),
            mentions_concurrent_map: text::mentions(text, "DashMap")
                || text::mentions(text, "DashSet"),
            krate: 0,
            module: Vec::new(),
            lib_name: None,
            linked: Vec::new(),
            package_is_app: false,
            if_let_through_else: false,
            closed: false,
            unpublished: false,
            tokio: None,
        }
    }

    pub fn range(&self, span: proc_macro2::Span) -> TextRange {
        self.lines.range_of(self.text, span)
    }

    /// Where `span` starts: [`FileInfo::range`]'s start, without finding its end.
    pub fn start_of(&self, span: proc_macro2::Span) -> usize {
        self.lines.offset_of(self.text, span.start())
    }

    /// Where `span` ends: [`FileInfo::range`]'s end, without finding its start.
    pub fn end_of(&self, span: proc_macro2::Span) -> usize {
        self.lines.offset_of(self.text, span.end())
    }

    /// Whether the text of `block` mentions any of `needles`, or the file imports
    /// a name containing one under another name: a pre-check before a sub-walk that
    /// can only find something where one of them is named.
    pub fn block_mentions(&self, block: &syn::Block, needles: &[&str]) -> bool {
        // Most rules ask of the same fn body in turn: its range is found once.
        struct BodyRange(TextRange);
        let range = macros::per_body(block, || {
            BodyRange(self.range(block.brace_token.span.join()))
        });
        let text = self.slice(range.0);
        needles
            .iter()
            .any(|n| text.contains(n) || self.uses.renames(n))
    }

    pub fn slice(&self, range: TextRange) -> &'t str {
        self.text.get(range.start..range.end).unwrap_or("")
    }

    /// Whether the file says in its first lines that it is generated (`@generated`,
    /// `DO NOT EDIT`): its code is fixed in the generator, not here.
    pub fn is_generated(&self) -> bool {
        self.text
            .lines()
            .take(5)
            .any(|l| l.contains("@generated") || l.contains("DO NOT EDIT"))
    }
}

/// Diagnostics and index-dependent diagnostics collected while walking one file.
#[derive(Default, Debug)]
pub struct Sink {
    pub diagnostics: Vec<Diagnostic>,
    pub deferred: Vec<Deferred>,
}

/// What a rule sees at a node.
pub struct Cx<'a> {
    pub file: &'a FileInfo<'a>,
    /// The configured options of the rule being called.
    pub options: &'a crate::config::RuleOptions,
    pub context: &'a Context,
    pub scopes: &'a Scopes,
    /// How many `select!` bodies enclose this node.
    pub select_depth: usize,
    /// Whether a deadline bounds this node: inside `timeout(d, ..)`, a `.timeout(d)`
    /// receiver, or a `select!` branch raced against a sleep or a cancellation.
    pub under_deadline: bool,
    /// Whether this is test code: a file under a `tests/` or `benches/` directory, a
    /// `#[cfg(test)]` module, impl or fn, or a fn with a test attribute
    /// (`#[test]`, `#[tokio::test]`, ...).
    pub in_test: bool,
    /// The innermost fn item or method around this node, as the crate index knows it.
    pub enclosing_fn: Option<&'a index::FnEntry>,
    /// `[tests] check = "all"`: rules report in test code what they report elsewhere.
    pub check_all_tests: bool,
    /// The innermost fn around this node: the range of its attributes and signature,
    /// and the range of its body.
    pub enclosing_fn_text: Option<(TextRange, TextRange)>,
    /// The line of the innermost fn's name, as the crate model knows the fn
    /// ([`index::ModelQuery::RunsAlone`]).
    pub enclosing_fn_line: Option<u32>,
    /// The trait of the `impl` or the trait definition around this node
    /// (`MigrationTrait` in `impl MigrationTrait for Migration`).
    pub trait_impl: Option<&'a str>,
    /// The crate, module and `impl` type of this node: what names in calls mean here.
    pub scope: &'a std::sync::Arc<callee::Scope>,
    pub(crate) sink: &'a mut Sink,
}

impl<'a> Cx<'a> {
    /// Whether this is test code: a test fn, a `#[cfg(test)]` module or item, or a
    /// file only tests compile (`tests/`, `*_tests.rs`, ...).
    pub fn in_test_code(&self) -> bool {
        self.context.in_test() || self.file.is_test_file
    }

    /// Whether the test-code policy applies here: test code, and the configuration
    /// does not ask for everything in tests.
    pub fn test_policy_applies(&self) -> bool {
        self.in_test && !self.check_all_tests
    }

    /// Whether this code runs on the async executor.
    pub fn in_async(&self) -> bool {
        self.context.in_async()
    }

    /// Whether this is a schema migration's code (`impl MigrationTrait for Migration`,
    /// sea-orm-migration): it runs once, at deploy time, one statement after another
    /// on the migration's connection, so latency advice does not apply.
    pub fn in_migration(&self) -> bool {
        self.trait_impl == Some("MigrationTrait")
    }

    /// Whether `.await` may be written right here.
    pub fn can_await(&self) -> bool {
        self.context.can_await()
    }

    /// Whether this code visibly runs alongside other code: async code (any task may
    /// run at the same time) or a closure handed to a thread or a pool.
    pub fn runs_concurrently(&self) -> bool {
        self.context.in_async() || self.context.runs_off_executor()
    }

    pub fn resolve(&self, path: &syn::Path) -> Option<String> {
        self.file.uses.resolve(path)
    }

    /// The resolved path of a plain call's callee.
    pub fn call_path(&self, expr: &Expr) -> Option<String> {
        chain::call_path(expr).and_then(|p| self.resolve(p))
    }

    /// The argument of a `drop(x)` call (`std::mem::drop`, also through the prelude).
    pub fn drop_call_arg<'e>(&self, expr: &'e Expr) -> Option<&'e Expr> {
        let Expr::Call(call) = chain::strip(expr) else {
            return None;
        };
        let path = self.call_path(expr)?;
        if path != "std::mem::drop" && path != "core::mem::drop" {
            return None;
        }
        match call.args.len() {
            1 => call.args.first().map(chain::strip),
            _ => None,
        }
    }

    pub fn binding(&self, name: &str) -> Option<&'a Origin> {
        self.scopes.lookup(name)
    }

    fn names(&self) -> callee::Names<'_> {
        self.file.names(self.scopes)
    }

    /// The callee of a call as the crate model knows it, for questions about what the
    /// fn it names does (`None` for calls into other crates and of closures).
    pub fn callee(&self, call: &Expr) -> Option<callee::Callee> {
        callee::callee_of(&self.names(), self.scope, call).map(|c| callee::Callee {
            awaited: self.is_awaited(call),
            ..c
        })
    }

    /// A field access as a chain the crate model can type (see
    /// [`callee::field_access`]).
    pub fn field_access(&self, e: &Expr) -> Option<callee::Callee> {
        callee::field_access(&self.names(), self.scope, e)
    }

    /// The library of another crate whose item a path names (see
    /// [`callee::library_of`]); `None` for this crate's own.
    pub fn library_of(&self, path: &syn::Path) -> Option<String> {
        callee::library_of(&self.names(), path)
    }

    /// A call as messages name it, arguments elided: `load_config(..)`, `.refresh(..)`.
    pub fn call_head(&self, call: &Expr) -> Option<String> {
        match call {
            Expr::Call(c) => Some(format!("{}(..)", self.text(&*c.func))),
            Expr::MethodCall(m) => Some(format!(".{}(..)", m.method)),
            _ => None,
        }
    }

    /// Whether `e` is the operand of an `.await` (`e.await`, `e .await`).
    pub fn is_awaited(&self, e: &Expr) -> bool {
        let end = self.range(e).end;
        self.file
            .text
            .get(end..)
            .is_some_and(|rest| rest.trim_start().starts_with(".await"))
    }

    /// The origin of the local a method receiver names, if it is one.
    pub fn receiver_origin(&self, receiver: &Expr) -> Option<&'a Origin> {
        chain::receiver_ident(receiver).and_then(|i| self.binding(&i.to_string()))
    }

    pub fn range(&self, node: &impl NodeRange) -> TextRange {
        node.text_range(self.file)
    }

    pub fn text(&self, node: &impl NodeRange) -> &'a str {
        self.file.slice(node.text_range(self.file))
    }

    /// The source text of a node on one line, if it has at most 60 characters: for
    /// messages and help. A chain split over lines (`keys\n    .into_iter()`) is
    /// joined back (`keys.into_iter()`); trailing `//` comments are left out.
    pub fn short_text(&self, node: &impl NodeRange) -> Option<String> {
        let mut out = String::new();
        for line in self.text(node).lines().map(|l| without_comment(l).trim()) {
            if !out.is_empty() && !line.starts_with(['.', ')', ']', '?']) {
                out.push(' ');
            }
            out.push_str(line);
        }
        (out.chars().count() <= 60).then_some(out)
    }

    /// The source text of a node on one line, for a help message; `..` when it is
    /// longer than `max` characters.
    pub fn snippet(&self, node: &impl NodeRange, max: usize) -> String {
        let one_line = self
            .text(node)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if one_line.chars().count() > max {
            "..".to_string()
        } else {
            one_line
        }
    }

    /// A node's text with the lines rustfmt broke it over joined back, for messages.
    pub fn text_one_line(&self, node: &impl NodeRange) -> String {
        self.text(node).lines().map(str::trim).collect()
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.sink.diagnostics.push(diagnostic);
    }

    /// Report `diagnostic` only if the crate-wide index answers `query` with yes.
    pub fn report_if(&mut self, query: IndexQuery, diagnostic: Diagnostic) {
        self.sink.deferred.push(Deferred {
            query,
            diagnostic,
            explain: None,
        });
    }

    /// Report `diagnostic` only if the crate-wide model answers `query` with yes;
    /// `explain` then completes it with the chain of calls the answer follows.
    pub fn report_if_explained(
        &mut self,
        query: IndexQuery,
        diagnostic: Diagnostic,
        explain: index::Explain,
    ) {
        self.sink.deferred.push(Deferred {
            query,
            diagnostic,
            explain: Some(explain),
        });
    }
}

/// A line without its trailing `// comment` (a `//` inside a string literal stays).
fn without_comment(line: &str) -> &str {
    let mut quotes = 0;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quotes += 1,
            '/' if quotes % 2 == 0 && line[i + 1..].starts_with('/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Byte ranges of syntax nodes, computed from their first and last tokens without
/// re-printing the node.
pub trait NodeRange {
    fn text_range(&self, file: &FileInfo) -> TextRange;
}

impl NodeRange for Expr {
    fn text_range(&self, file: &FileInfo) -> TextRange {
        TextRange::new(expr_start(self, file), expr_end(self, file))
    }
}

impl NodeRange for syn::Path {
    fn text_range(&self, file: &FileInfo) -> TextRange {
        let start = path_start(self, file);
        TextRange::new(start, path_end(self, file).unwrap_or(start))
    }
}

fn path_start(path: &syn::Path, file: &FileInfo) -> usize {
    match (&path.leading_colon, path.segments.first()) {
        (Some(c), _) => file.start_of(c.spans[0]),
        (None, Some(s)) => file.start_of(s.ident.span()),
        (None, None) => 0,
    }
}

/// `None` for a path with no segments.
fn path_end(path: &syn::Path, file: &FileInfo) -> Option<usize> {
    path.segments.last().map(|s| match &s.arguments {
        syn::PathArguments::None => file.end_of(s.ident.span()),
        _ => file.end_of(s.arguments.span()),
    })
}

impl NodeRange for TextRange {
    fn text_range(&self, _file: &FileInfo) -> TextRange {
        *self
    }
}

// The range of an expression from its first and last tokens, found without
// printing the expression to tokens (`Spanned::span` does that, which costs as
// much as the expression is long); rarer forms fall back to it.

fn expr_start(expr: &Expr, file: &FileInfo) -> usize {
    match expr {
        // Outer attributes (`#[cfg(..)] tokio::spawn(..)`) are not part of the range.
        Expr::Call(c) => expr_start(&c.func, file),
        Expr::MethodCall(m) => expr_start(&m.receiver, file),
        Expr::Await(a) => expr_start(&a.base, file),
        Expr::Try(t) => expr_start(&t.expr, file),
        Expr::Field(f) => expr_start(&f.base, file),
        Expr::Path(p) if p.qself.is_none() => path_start(&p.path, file),
        Expr::Lit(l) if l.attrs.is_empty() => file.start_of(l.lit.span()),
        Expr::Macro(m) if m.attrs.is_empty() => path_start(&m.mac.path, file),
        Expr::Reference(r) if r.attrs.is_empty() => file.start_of(r.and_token.span),
        Expr::Binary(b) if b.attrs.is_empty() => expr_start(&b.left, file),
        Expr::Index(i) if i.attrs.is_empty() => expr_start(&i.expr, file),
        Expr::Paren(p) if p.attrs.is_empty() => file.start_of(p.paren_token.span.open()),
        Expr::Tuple(t) if t.attrs.is_empty() => file.start_of(t.paren_token.span.open()),
        Expr::Array(a) if a.attrs.is_empty() => file.start_of(a.bracket_token.span.open()),
        Expr::Struct(s) if s.attrs.is_empty() && s.qself.is_none() => path_start(&s.path, file),
        Expr::Block(b) if b.attrs.is_empty() && b.label.is_none() => {
            file.start_of(b.block.brace_token.span.open())
        }
        Expr::If(i) if i.attrs.is_empty() => file.start_of(i.if_token.span),
        Expr::Match(m) if m.attrs.is_empty() => file.start_of(m.match_token.span),
        _ => file.start_of(expr.span()),
    }
}

fn expr_end(expr: &Expr, file: &FileInfo) -> usize {
    match expr {
        Expr::Call(c) => file.end_of(c.paren_token.span.close()),
        Expr::MethodCall(m) => file.end_of(m.paren_token.span.close()),
        Expr::Await(a) => file.end_of(a.await_token.span),
        Expr::Try(t) => file.end_of(t.question_token.spans[0]),
        Expr::Field(f) => file.end_of(f.member.span()),
        Expr::Path(p) if p.qself.is_none() => p.path.text_range(file).end,
        Expr::Lit(l) => file.end_of(l.lit.span()),
        Expr::Macro(m) => file.end_of(m.mac.delimiter.span().close()),
        Expr::Reference(r) => expr_end(&r.expr, file),
        Expr::Unary(u) => expr_end(&u.expr, file),
        Expr::Binary(b) => expr_end(&b.right, file),
        Expr::Index(i) => file.end_of(i.bracket_token.span.close()),
        Expr::Paren(p) => file.end_of(p.paren_token.span.close()),
        Expr::Tuple(t) => file.end_of(t.paren_token.span.close()),
        Expr::Array(a) => file.end_of(a.bracket_token.span.close()),
        Expr::Struct(s) => file.end_of(s.brace_token.span.close()),
        Expr::Block(b) => file.end_of(b.block.brace_token.span.close()),
        Expr::If(i) => match &i.else_branch {
            Some((_, e)) => expr_end(e, file),
            None => file.end_of(i.then_branch.brace_token.span.close()),
        },
        Expr::Match(m) => file.end_of(m.brace_token.span.close()),
        Expr::Async(a) => file.end_of(a.block.brace_token.span.close()),
        Expr::Closure(c) => expr_end(&c.body, file),
        _ => file.end_of(expr.span()),
    }
}

/// Walks `src` with one test rule that hands every expression to `on_expr` and
/// every fn to `on_fn`, each with its context: how the shared layer's unit tests see
/// what the walk knows at a node.
#[cfg(test)]
pub(crate) fn probe_walk(
    src: &str,
    on_expr: impl Fn(&mut Cx, &Expr) + Sync,
    on_fn: impl Fn(&mut Cx, &crate::rules::FnNode) + Sync,
) {
    use crate::rules::{FnNode, Rule, RuleMeta};
    static META: RuleMeta = RuleMeta {
        name: "probe",
        severity: crate::diagnostic::Severity::Hint,
        group: crate::rules::Group::Pedantic,
        tests: crate::rules::TestCode::Report,
        summary: "",
        doc: "",
    };
    struct Probe<E, F>(E, F);
    impl<E, F> Rule for Probe<E, F>
    where
        E: Fn(&mut Cx, &Expr) + Sync,
        F: Fn(&mut Cx, &FnNode) + Sync,
    {
        fn meta(&self) -> &'static RuleMeta {
            &META
        }
        fn check_expr(&self, cx: &mut Cx, e: &Expr) {
            (self.0)(cx, e)
        }
        fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
            (self.1)(cx, f)
        }
    }
    let file: syn::File = syn::parse_str(src).expect("test source parses");
    let info = FileInfo::new("t.rs", src, &file);
    let probe = Probe(on_expr, on_fn);
    let rules: [&dyn Rule; 1] = [&probe];
    crate::walk::Walker::new(&info, &rules).walk_file(&file);
}

/// The parts a [`Cx`] borrows, for unit tests of the shared layer that call an
/// analysis with a context outside a walk.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct TestCx {
    context: Context,
    scopes: Scopes,
    sink: Sink,
    options: crate::config::RuleOptions,
    scope: std::sync::Arc<callee::Scope>,
}

#[cfg(test)]
impl TestCx {
    pub(crate) fn cx<'a>(&'a mut self, file: &'a FileInfo<'a>) -> Cx<'a> {
        Cx {
            file,
            context: &self.context,
            scopes: &self.scopes,
            select_depth: 0,
            under_deadline: false,
            options: &self.options,
            in_test: false,
            enclosing_fn: None,
            check_all_tests: false,
            enclosing_fn_text: None,
            enclosing_fn_line: None,
            trait_impl: None,
            scope: &self.scope,
            sink: &mut self.sink,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::visit::Visit;

    /// The token-based ranges of expressions equal what printing them gives, on
    /// every expression of every fixture.
    #[test]
    fn expression_ranges_match_their_spans() {
        struct Check<'f, 't> {
            file: &'f FileInfo<'t>,
            checked: usize,
        }
        impl<'ast> Visit<'ast> for Check<'_, '_> {
            fn visit_expr(&mut self, e: &'ast Expr) {
                let printed = self.file.range(e.span());
                let ours = e.text_range(self.file);
                // Calls and paths leave outer attributes out on purpose.
                let has_attrs = attrs_of(e);
                if !has_attrs {
                    assert_eq!(
                        ours,
                        printed,
                        "{}: `{}`",
                        self.file.path,
                        self.file.slice(printed)
                    );
                    self.checked += 1;
                }
                syn::visit::visit_expr(self, e);
            }
        }
        fn attrs_of(e: &Expr) -> bool {
            let mut v = AttrFinder(false);
            v.visit_expr(e);
            v.0
        }
        struct AttrFinder(bool);
        impl<'ast> Visit<'ast> for AttrFinder {
            fn visit_attribute(&mut self, _: &'ast syn::Attribute) {
                self.0 = true;
            }
        }
        let mut checked = 0;
        for entry in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")) {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let ast = syn::parse_file(&text).unwrap();
            let path = entry.path().display().to_string();
            let file = FileInfo::new(&path, &text, &ast);
            let mut c = Check {
                file: &file,
                checked: 0,
            };
            c.visit_file(&ast);
            checked += c.checked;
        }
        assert!(checked > 5_000, "only {checked} expressions checked");
    }
}
