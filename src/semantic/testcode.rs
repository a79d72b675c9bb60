//! Test code: test fns, `#[cfg(test)]` modules and items, and files that only tests
//! compile. Rules about latency or task hygiene may leave it alone: tests run one
//! request at a time on purpose, and their runtime is dropped when they return.

use syn::Attribute;

/// `#[test]`, `#[tokio::test]`, `#[actix_rt::test]`, `#[test_log::test]`, `#[rstest]`,
/// `#[test_case(..)]`, or `#[cfg(test)]` / `#[cfg(all(test, ..))]`.
pub fn is_test_item(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let Some(last) = a.path().segments.last() else {
            return false;
        };
        let name = last.ident.to_string();
        if name == "cfg" {
            return match &a.meta {
                syn::Meta::List(l) => names_test(l.tokens.clone()),
                _ => false,
            };
        }
        name == "test" || name == "rstest" || name.starts_with("test_")
    })
}

/// Whether a `cfg(..)` predicate mentions `test` outside a `not(..)`.
fn names_test(tokens: proc_macro2::TokenStream) -> bool {
    let mut prev_not = false;
    for tt in tokens {
        match tt {
            proc_macro2::TokenTree::Ident(i) => {
                if i == "test" {
                    return true;
                }
                prev_not = i == "not";
            }
            proc_macro2::TokenTree::Group(g) => {
                if !prev_not && names_test(g.stream()) {
                    return true;
                }
                prev_not = false;
            }
            _ => prev_not = false,
        }
    }
    false
}

/// Whether a file is test code by where it lives or what it is called: a module
/// named `tests`, `test`, `*_tests`, `*_test` (`transport_tests.rs`, declared under
/// `#[cfg(test)]`), a directory named `test_*`/`test-*` (`test_utils/`,
/// `test_helpers/`) or `*-tests`/`*_tests` (an end-to-end test crate), or a `tests/`,
/// `test/` or `benches/` directory that is not itself inside a crate's `src/`
/// (`/home/me/tests/app/src/main.rs` is not test code).
pub fn is_test_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let Some((file, dirs)) = parts.split_last() else {
        return false;
    };
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    let test_named =
        |n: &str| n.ends_with("_tests") || n.ends_with("-tests") || n.ends_with("_test");
    if matches!(stem, "tests" | "test" | "testing") || test_named(stem) || stem.starts_with("test_")
    {
        return true;
    }
    let mut after_src = false;
    for dir in dirs.iter().rev() {
        if test_named(dir) || dir.starts_with("test_") || dir.starts_with("test-") {
            return true;
        }
        if matches!(*dir, "tests" | "test" | "benches") && !after_src {
            return true;
        }
        after_src |= *dir == "src";
    }
    false
}

/// Whether the code at `at` runs alone on its runtime, as far as the text shows: in
/// test code, in an async `main` (`#[tokio::main]`, `#[actix_web::main]`, ..), or in
/// a program with no server and no library, and no task was spawned before it in its
/// fn; or on the thread of a multi-thread async `main` ([`on_main_thread`]). Blocking
/// such code stalls no other task.
pub fn runs_alone(cx: &super::Cx, at: usize) -> bool {
    if on_main_thread(cx, at) || driven_alone(cx, at) {
        return true;
    }
    let entry = cx
        .enclosing_fn_text
        .is_some_and(|(head, _)| main_attribute(cx.file.slice(head)).is_some());
    // A spawned task runs beside the code that spawned it (a server written on a
    // plain `TcpListener` spawns one per connection): inside one, nothing runs alone.
    let sequential = (entry || cx.file.package_is_app) && !inside_spawned_task(cx, at);
    (cx.test_policy_applies() || sequential) && !blocks_spawned_task(cx, at)
}

/// Whether `at` is in the own body of an async `main` whose runtime runs its tasks
/// on worker threads ([`MainRuntime::MultiThread`]): `#[tokio::main]` runs `main`'s
/// body on the thread that started the program, beside the workers, so blocking it
/// stalls none of the tasks it spawned, before or after the spawn. Not in test code,
/// not in a block or closure it hands on (a future given to `join!` runs beside the
/// others), and not once the body has set up tasks to run on its own thread
/// (`spawn_local`, a `LocalSet`).
pub fn on_main_thread(cx: &super::Cx, at: usize) -> bool {
    let Some((head, body)) = cx.enclosing_fn_text else {
        return false;
    };
    if cx.in_test_code()
        || !in_own_body(cx)
        || main_attribute(cx.file.slice(head)) != Some(MainRuntime::MultiThread)
    {
        return false;
    }
    let text = cx.file.slice(body);
    !runs_local_tasks(&text[..at.saturating_sub(body.start).min(text.len())])
}

/// Whether `at` is in the own body of an `async` block that a sync fn drives with
/// `rt.block_on(async { .. })` on a runtime it built before, in its text: on a
/// multi-thread one (`Builder::new_multi_thread()`, `Runtime::new()`) the block runs
/// on the calling thread, beside the workers its tasks run on; on a current-thread one
/// it runs alone until it spawns. Not in test code, and not once the block has set up
/// tasks to run on its thread (`spawn_local`, a `LocalSet`).
fn driven_alone(cx: &super::Cx, at: usize) -> bool {
    use super::scope::Frame;
    let frames = cx.context.frames();
    let own_block = frames
        .iter()
        .rev()
        .filter(|f| **f != Frame::InlineClosure)
        .take(2)
        .eq([Frame::AsyncBlock, Frame::SyncFn].iter());
    if cx.in_test_code() || !own_block {
        return false;
    }
    let Some((_, body)) = cx.enclosing_fn_text else {
        return false;
    };
    let text = cx.file.slice(body);
    let at = at.saturating_sub(body.start).min(text.len());
    // The last `block_on(async` that opens before `at`.
    let Some(call) = text[..at].rfind("block_on(") else {
        return false;
    };
    let open = call + "block_on".len();
    if !text[open + 1..at].trim_start().starts_with("async") {
        return false;
    }
    // Still inside that call's parentheses at `at`.
    let mut depth = 0i32;
    for b in text[open..at].bytes() {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    let before = &text[..call];
    let block = &text[open..at];
    if runs_local_tasks(block) || before.contains(".spawn(") {
        return false;
    }
    match last_runtime_before(before, before.len()) {
        Some(Flavour::MultiThread) => true,
        Some(Flavour::CurrentThread) => !task_spawned_before(block, block.len()),
        None => false,
    }
}

/// Whether code sets up tasks that run on its own thread: `spawn_local`, a
/// `LocalSet`.
pub(crate) fn runs_local_tasks(text: &str) -> bool {
    text.contains("spawn_local") || text.contains("LocalSet")
}

/// Whether the code being checked is in the own body of an async fn (not in a block,
/// closure or task it hands on; closures run in place count as the body).
fn in_own_body(cx: &super::Cx) -> bool {
    use super::scope::Frame;
    cx.context
        .frames()
        .iter()
        .rev()
        .find(|f| **f != Frame::InlineClosure)
        == Some(&Frame::AsyncFn)
}

/// The fn (file and line of its name) whose own body holds `at`, when [`runs_alone`]
/// says so only because the package is a command-line program: an async helper of
/// such a program still runs beside others when it is called in spawned tasks, which
/// the model knows ([`ModelQuery::InTask`](super::index::ModelQuery::InTask)).
pub fn alone_as_app_unless_in_task(cx: &super::Cx, at: usize) -> Option<(String, u32)> {
    let entry = cx
        .enclosing_fn_text
        .is_some_and(|(head, _)| main_attribute(cx.file.slice(head)).is_some());
    if entry || cx.test_policy_applies() || !cx.file.package_is_app {
        return None;
    }
    if cx.in_test_code() || !in_own_body(cx) {
        return None;
    }
    let (_, body) = cx.enclosing_fn_text?;
    let text = cx.file.slice(body);
    if serving_task_spawned_before(text, at.saturating_sub(body.start).min(text.len())) {
        return None;
    }
    Some((cx.file.path.to_string(), cx.enclosing_fn_line?))
}

/// The fn the code at `at` runs alone with, when the text cannot tell but the model
/// may: outside test code, in the own body of an async fn (not in a block, closure or
/// task it hands on). The fn's file and the line of its name, and whether a task that
/// may serve someone was spawned before `at` in that body (then only the thread of a
/// multi-thread `main` keeps it harmless), for
/// [`ModelQuery::RunsAlone`](super::index::ModelQuery::RunsAlone).
pub fn alone_if_fn_is(cx: &super::Cx, at: usize) -> Option<(String, u32, bool)> {
    if cx.in_test_code() || !in_own_body(cx) {
        return None;
    }
    let (_, body) = cx.enclosing_fn_text?;
    let text = cx.file.slice(body);
    let before = at.saturating_sub(body.start).min(text.len());
    if runs_local_tasks(&text[..before]) {
        return None;
    }
    let after_spawn = serving_task_spawned_before(text, before);
    Some((cx.file.path.to_string(), cx.enclosing_fn_line?, after_spawn))
}

/// The fn the code at `at` runs once with, when the model may know that fn runs once
/// in the life of the program: outside test code, in the own body of a fn (async or
/// sync), and not in a loop of it that may run any number of times. The fn's file and
/// the line of its name, for [`ModelQuery::RunsOnce`](super::index::ModelQuery::RunsOnce).
pub fn once_if_fn_is(cx: &super::Cx) -> Option<(String, u32)> {
    use super::scope::Frame;
    let frames = cx.context.frames();
    let own = frames.iter().rev().find(|f| **f != Frame::InlineClosure);
    if cx.in_test_code() || !matches!(own, Some(Frame::AsyncFn | Frame::SyncFn)) {
        return None;
    }
    let depth = frames.iter().rposition(|f| *f != Frame::InlineClosure)? + 1;
    if cx.context.repeats_from(depth) {
        return None;
    }
    Some((cx.file.path.to_string(), cx.enclosing_fn_line?))
}

/// A query that holds when the code being checked is a server's or library's setup
/// or teardown: in the own body of an async fn that runs once in the life of the
/// program ([`once_if_fn_is`]), in a package that is not a command-line program (whose
/// code that runs once is its whole work). Calls made one after another there make
/// starting or stopping slower, once; they fail nothing under load.
pub fn setup_once(cx: &super::Cx) -> Option<super::index::IndexQuery> {
    if cx.file.package_is_app {
        return None;
    }
    runs_once(cx)
}

/// A query that holds when the code being checked runs once in the life of the
/// program ([`once_if_fn_is`], then the model's [`RunsOnce`](super::index::ModelQuery::RunsOnce)).
pub fn runs_once(cx: &super::Cx) -> Option<super::index::IndexQuery> {
    let (file, line) = once_if_fn_is(cx)?;
    Some(super::index::IndexQuery::Model(
        super::index::ModelQuery::RunsOnce { file, line },
    ))
}

/// Whether `at` is inside the future given to a task spawn (`tokio::spawn(async
/// move { .. })`) in its fn.
fn inside_spawned_task(cx: &super::Cx, at: usize) -> bool {
    let Some((_, body)) = cx.enclosing_fn_text else {
        return false;
    };
    let text = cx.file.slice(body);
    let at = at.saturating_sub(body.start).min(text.len());
    task_spawns(text, at).any(|(open, end)| open < at && end.is_none_or(|e| at < e))
}

/// Whether a wait at `at` in a test blocks a task the test needs: the test spawned a
/// task before this point (on its own runtime) and now parks the thread that task
/// must run on, so the test waits for nothing, or hangs. A test on a multi-thread
/// runtime has other threads for its tasks.
pub fn blocks_spawned_task(cx: &super::Cx, at: usize) -> bool {
    let Some((head, body)) = cx.enclosing_fn_text else {
        return false;
    };
    let text = cx.file.slice(body);
    let at = at.saturating_sub(body.start).min(text.len());
    let single_thread = match last_runtime_before(text, at) {
        Some(flavour) => flavour == Flavour::CurrentThread,
        // The test attribute's runtime: `#[tokio::test]` is single-threaded unless it
        // says `flavor = "multi_thread"`.
        None => !cx.file.slice(head).contains("multi_thread"),
    };
    single_thread && task_spawned_before(text, at)
}

/// Whether the code at `at..end` is a sleep that parks a multi-thread async `main`
/// for good once it has handed its work to tasks: `loop { std::thread::sleep(d); }`
/// and nothing else in the loop. `#[tokio::main]` (and `#[async_std::main]`) run
/// `main`'s body beside the runtime's workers, where the spawned tasks run, so the
/// parked thread stalls none of them; `flavor = "current_thread"` and
/// `#[actix_web::main]` run them on that very thread.
pub fn parks_multi_thread_main(cx: &super::Cx, at: usize, end: usize) -> bool {
    let Some((head, _)) = cx.enclosing_fn_text else {
        return false;
    };
    if main_attribute(cx.file.slice(head)) != Some(MainRuntime::MultiThread) {
        return false;
    }
    let text = cx.file.text;
    let before = text[..at].trim_end();
    let after = text[end.min(text.len())..].trim_start();
    before
        .strip_suffix('{')
        .is_some_and(|b| b.trim_end().ends_with("loop"))
        && after
            .strip_prefix(';')
            .is_some_and(|a| a.trim_start().starts_with('}'))
}

/// What runs an async `main` whose attribute starts a runtime for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MainRuntime {
    /// `#[tokio::main]` (unless `flavor = "current_thread"`), `#[async_std::main]`:
    /// `main`'s body runs beside the workers that run its tasks.
    MultiThread,
    /// Any other (`#[actix_web::main]`, a current-thread tokio, a bare `#[main]`): the
    /// tasks may run on `main`'s own thread.
    Other,
}

/// The runtime attribute of an entry point, from the text of its head (attributes and
/// signature): `#[tokio::main]`, `#[tokio::main(worker_threads = 4)]`,
/// `#[actix_web::main]`, `#[main]`. One reading for every check that asks.
pub fn main_attribute(head: &str) -> Option<MainRuntime> {
    let at = head.match_indices("main").find_map(|(i, _)| {
        let path = head[..i].rsplit("#[").next()?;
        let after = head[i + 4..].trim_start();
        let attribute = head[..i].contains("#[")
            && (path.is_empty() || path.ends_with("::"))
            && (after.starts_with(']') || after.starts_with('('));
        attribute.then_some(path)
    })?;
    let multi = (at.ends_with("tokio::") || at.ends_with("async_std::"))
        && !head.contains("current_thread");
    Some(if multi {
        MainRuntime::MultiThread
    } else {
        MainRuntime::Other
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    CurrentThread,
    MultiThread,
}

/// Words that build a runtime in a test body, by flavour: a test that builds its own
/// runs on the last one built before the wait. `Runtime::new()` and a helper named
/// `threaded()` build a multi-thread runtime, where a spawned task runs on another
/// worker while this one waits.
const RUNTIME_WORDS: &[(&str, Flavour)] = &[
    ("current_thread", Flavour::CurrentThread),
    ("multi_thread", Flavour::MultiThread),
    ("Runtime::new()", Flavour::MultiThread),
    ("threaded()", Flavour::MultiThread),
];

/// The flavour of the runtime built last before `at` in a test body's text.
pub(crate) fn last_runtime_before(text: &str, at: usize) -> Option<Flavour> {
    let before = &text[..at];
    RUNTIME_WORDS
        .iter()
        .filter_map(|(w, f)| before.rfind(w).map(|i| (i, *f)))
        .max_by_key(|(i, _)| *i)
        .map(|(_, f)| f)
}

/// Whether `text` spawns a task (not an OS thread) whose spawn call ends before `at`:
/// a wait inside the spawned future itself is that task's own business.
pub(crate) fn task_spawned_before(text: &str, at: usize) -> bool {
    task_spawns(text, at).any(|(_, end)| end.is_some_and(|e| e < at))
}

/// Whether `text` spawns, before `at`, a task that could be serving someone: any task
/// but a periodic one written out in place, a `loop` paced by a sleep or an interval
/// that neither accepts, receives nor reads (`loop { sleep(d).await; collector.collect(); }`).
/// Such a sampler only runs late when the thread is held a moment at startup.
pub(crate) fn serving_task_spawned_before(text: &str, at: usize) -> bool {
    task_spawns(text, at).any(|(open, end)| {
        end.is_some_and(|e| e < at) && !end.is_some_and(|e| periodic(&text[open..=e]))
    })
}

/// Whether a spawned future's text is a periodic loop that serves no one.
fn periodic(task: &str) -> bool {
    let paced = task.contains("sleep(") || task.contains(".tick()");
    let looped = task.contains("loop {") || task.contains("while ");
    let serves = [
        "accept", "serve", "recv", "incoming", "listen", "read", ".next()", "select!",
    ]
    .iter()
    .any(|w| task.contains(w));
    paced && looped && !serves
}

/// The task spawn calls (not OS threads) that start before `at` in `text`: the
/// positions of their `(` and of its matching `)`, if any.
fn task_spawns(text: &str, at: usize) -> impl Iterator<Item = (usize, Option<usize>)> + '_ {
    let bytes = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || loop {
        let i = text[from..at.min(text.len())].find("spawn")?;
        let start = from + i;
        from = start + 5;
        // `spawn(`, `spawn_local(`: the call's opening parenthesis.
        let rest = &text[start..];
        let open = match (
            rest.strip_prefix("spawn("),
            rest.strip_prefix("spawn_local("),
        ) {
            (Some(_), _) => start + 5,
            (_, Some(_)) => start + 11,
            _ => continue,
        };
        if text[..start].ends_with("thread::") || text[..start].ends_with("Builder::") {
            continue;
        }
        // A closure runs on a thread (`thread::Builder::new().name(..).spawn(move ||
        // ..)`, a pool's `spawn(|| ..)`): a task is spawned from a future.
        let arg = text[open + 1..].trim_start();
        if arg.starts_with('|')
            || arg
                .strip_prefix("move")
                .is_some_and(|a| a.trim_start().starts_with('|'))
        {
            continue;
        }
        let mut depth = 0usize;
        let mut end = None;
        for (j, &b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        return Some((open, end));
    })
}

#[cfg(test)]
mod spawned_tests {
    use super::task_spawned_before;

    #[test]
    fn only_tasks_spawned_before_the_wait_count() {
        let t = "let h = tokio::spawn(async { x().await }); std::thread::sleep(d);";
        assert!(task_spawned_before(
            t,
            t.find("std::thread::sleep").unwrap()
        ));
        let t = "let h = std::thread::spawn(|| x()); h.join();";
        assert!(!task_spawned_before(t, t.find("h.join").unwrap()));
        let t = "rt.spawn(async move { barrier.recv().ok(); });";
        assert!(!task_spawned_before(t, t.find("barrier.recv").unwrap()));
        let t = "let t = task::spawn_local(f()); rx.recv();";
        assert!(task_spawned_before(t, t.find("rx.recv").unwrap()));
        let t = "let h = thread::Builder::new().name(n).spawn(move || serve()).unwrap(); h.join();";
        assert!(!task_spawned_before(t, t.find("h.join").unwrap()));
        let t = "pool.spawn(|| work()); rx.recv();";
        assert!(!task_spawned_before(t, t.find("rx.recv").unwrap()));
    }

    #[test]
    fn a_periodic_sampler_serves_no_one() {
        use super::serving_task_spawned_before as serving;
        let t =
            "let c = tokio::spawn(async move { loop { sleep(d).await; c.collect(); } }); load();";
        assert!(!serving(t, t.find("load()").unwrap()));
        let t = "tokio::spawn(async move { loop { tick.tick().await; conn.read(&mut b).await; } }); load();";
        assert!(serving(t, t.find("load()").unwrap()));
        let t = "tokio::spawn(metrics_loop(c)); load();";
        assert!(serving(t, t.find("load()").unwrap()));
        let t = "tokio::spawn(async move { sleep(d).await; c.collect(); }); load();";
        assert!(serving(t, t.find("load()").unwrap()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(src: &str) -> Vec<Attribute> {
        let f: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
        f.attrs
    }

    #[test]
    fn main_attributes_and_their_runtimes() {
        use MainRuntime::*;
        let m = |head: &str| main_attribute(head);
        assert_eq!(m("#[tokio::main]\nasync fn main()"), Some(MultiThread));
        assert_eq!(
            m("#[tokio::main(worker_threads = 4)]\nasync fn main()"),
            Some(MultiThread)
        );
        assert_eq!(m("#[async_std::main]\nasync fn main()"), Some(MultiThread));
        let single = "#[tokio::main(flavor = \"current_thread\")]\nasync fn main()";
        assert_eq!(m(single), Some(Other));
        assert_eq!(m("#[actix_web::main]\nasync fn main()"), Some(Other));
        assert_eq!(m("#[main]\nasync fn main()"), Some(Other));
        assert_eq!(
            m("/// The main loop.\n#[tokio::main]\nasync fn main()"),
            Some(MultiThread)
        );
        assert_eq!(m("/// The main loop.\n#[inline]\nasync fn main()"), None);
        assert_eq!(m("async fn main()"), None);
        assert_eq!(m("#[tokio::test]\nasync fn main_works()"), None);
    }

    #[test]
    fn test_items_and_paths() {
        assert!(is_test_item(&attrs("#[tokio::test]")));
        assert!(is_test_item(&attrs("#[test]")));
        assert!(is_test_item(&attrs("#[cfg(all(test, feature = \"x\"))]")));
        assert!(!is_test_item(&attrs("#[cfg(not(test))]")));
        assert!(!is_test_item(&attrs("#[tokio::main] #[inline]")));
        assert!(is_test_path("crates/api/tests/documents/get.rs"));
        assert!(is_test_path("src/site/tests.rs"));
        assert!(is_test_path("src/sinks/loki/integration_tests.rs"));
        assert!(!is_test_path("src/latest.rs"));
        assert!(!is_test_path("fixtures/rule/bad.rs"));
        assert!(is_test_path("src/test_utils.rs") && is_test_path("src/testing.rs"));
        assert!(!is_test_path("src/contest.rs"));
    }
}
