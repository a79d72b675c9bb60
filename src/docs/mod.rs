//! `asynclint docs --out DIR`: the rule book as a static site, generated from the
//! registry and the rule pages — an index by theme and by group with a search box, a
//! page per rule (with its analog in the reference texts and its exercises), and a page
//! per exercise.

pub mod url;

pub use url::rule_url;

use crate::learn::{self, Exercise};
use crate::rules::{Group, RuleMeta, RULES};
use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};
use std::path::Path;

/// The four questions async code must answer, and the rules that ask each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Await,
    Bound,
    Cancel,
    Share,
    /// The linter's own bookkeeping (suppressions).
    Linter,
}

impl Theme {
    pub const ALL: [Theme; 5] = [
        Theme::Await,
        Theme::Bound,
        Theme::Cancel,
        Theme::Share,
        Theme::Linter,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Theme::Await => "What you await",
            Theme::Bound => "What you bound",
            Theme::Cancel => "What you cancel",
            Theme::Share => "What you share",
            Theme::Linter => "About suppressions",
        }
    }

    pub fn blurb(self) -> &'static str {
        match self {
            Theme::Await => "Starting work is not finishing it: futures that never run, tasks nobody waits for, results nobody reads, waits that block the executor or add up one after another.",
            Theme::Bound => "Every fan-out needs a limit and every external call a deadline: unbounded joins, spawns and queues, calls that can wait forever.",
            Theme::Cancel => "Who stops this, and what is left when it stops: cancellation ignored, fail-fast that strands or tears work, timeouts that leave tasks running, loops that cannot end.",
            Theme::Share => "State shared between tasks: locks held across awaits or taken twice, decisions that go stale at an await, updates that are lost.",
            Theme::Linter => "Keeping suppressions honest.",
        }
    }

    /// The theme of a rule; `None` for a name this table does not know yet.
    pub fn of(rule: &str) -> Option<Theme> {
        Some(match rule {
            "unawaited-future"
            | "dropped-join-handle"
            | "detached-task"
            | "ignored-task-result"
            | "await-in-loop"
            | "sequential-awaits"
            | "blocking-in-async"
            | "block-on-in-async"
            | "executor-mismatch"
            | "async-without-await" => Theme::Await,
            "unbounded-join-all" | "unbounded-spawn" | "unbounded-channel" | "missing-timeout" => {
                Theme::Bound
            }
            "ignored-cancellation"
            | "fail-fast-detached-tasks"
            | "fail-fast-cancels-writes"
            | "timeout-leaves-task-running"
            | "select-cancel-unsafe"
            | "sender-keeps-receiver-open" => Theme::Cancel,
            "lock-across-await" | "lock-reentry" | "racy-check-then-act" | "non-atomic-update" => {
                Theme::Share
            }
            "unused-suppression" => Theme::Linter,
            _ => return None,
        })
    }
}

/// Minimal HTML escaping for text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown to HTML. Relative links to sibling pages (`other-rule.md`) become links to
/// their HTML pages.
pub fn markdown(text: &str) -> String {
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES).map(|event| match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest = match dest_url.strip_suffix(".md") {
                Some(stem) if !dest_url.contains("://") && !stem.contains('/') => {
                    CowStr::from(format!("{stem}.html"))
                }
                _ => dest_url,
            };
            Event::Start(Tag::Link {
                link_type,
                dest_url: dest,
                title,
                id,
            })
        }
        e => e,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

fn page(title: &str, root: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"{root}style.css\">\n</head>\n\
         <body>\n{body}\n</body>\n</html>\n",
        escape(title)
    )
}

fn badge(m: &RuleMeta) -> String {
    format!(
        "<span class=\"badge {sev}\">{sev}</span><span class=\"badge\">{group}</span>",
        sev = m.severity.as_str(),
        group = m.group.name()
    )
}

fn rule_item(m: &RuleMeta) -> String {
    let theme = Theme::of(m.name).map_or("", Theme::title);
    let search = format!("{} {} {} {}", m.name, m.group.name(), theme, m.summary).to_lowercase();
    format!(
        "<li class=\"rule\" data-name=\"{name}\" data-search=\"{search}\"><a href=\"{href}\"><code>{name}</code></a> {badge} {summary}</li>\n",
        name = m.name,
        search = escape(&search),
        href = url::rule_path(m.name),
        badge = badge(m),
        summary = escape(m.summary)
    )
}

fn index() -> String {
    let metas: Vec<&RuleMeta> = RULES.iter().map(|r| r.meta()).collect();
    let mut body = String::from(
        "<header>\n<h1>asynclint rule book</h1>\n<p>Each rule names an async bug that compiles \
         and passes the happy-path test: what it flags, why it hides, the structural fix, and \
         an exercise that proves the fix with a behaviour test.</p>\n</header>\n\
         <input id=\"search\" type=\"search\" placeholder=\"Search the rules: lock, timeout, spawn...\" \
         aria-label=\"Search the rules\" autofocus>\n<p id=\"count\"></p>\n<h2>By theme</h2>\n",
    );
    for theme in Theme::ALL {
        let rules: Vec<&&RuleMeta> = metas
            .iter()
            .filter(|m| Theme::of(m.name) == Some(theme))
            .collect();
        if rules.is_empty() {
            continue;
        }
        body.push_str(&format!(
            "<section class=\"list\" id=\"theme-{:?}\">\n<h3>{}</h3>\n<p>{}</p>\n<ul class=\"rules\">\n",
            theme,
            theme.title(),
            escape(theme.blurb())
        ));
        for m in rules {
            body.push_str(&rule_item(m));
        }
        body.push_str("</ul>\n</section>\n");
    }
    body.push_str("<h2>By group</h2>\n");
    for group in Group::ALL {
        let rules: Vec<&&RuleMeta> = metas.iter().filter(|m| m.group == group).collect();
        if rules.is_empty() {
            continue;
        }
        body.push_str(&format!(
            "<section class=\"list\" id=\"group-{name}\">\n<h3>{name} ({on})</h3>\n<p>{}</p>\n<ul class=\"rules\">\n",
            escape(group.summary()),
            name = group.name(),
            on = if group.default_enabled() { "on by default" } else { "off by default" },
        ));
        for m in rules {
            body.push_str(&rule_item(m));
        }
        body.push_str("</ul>\n</section>\n");
    }
    body.push_str(
        "<h2>Exercises</h2>\n<p>Fix the bug until a behaviour test and asynclint agree: \
         <code>asynclint learn start N</code>, then <code>asynclint learn check</code>.</p>\n<ol>\n",
    );
    for ex in learn::all() {
        body.push_str(&format!(
            "<li><a href=\"exercises/{}.html\">{}</a> — <code>{}</code></li>\n",
            ex.files.dir,
            escape(&ex.meta.title),
            ex.meta.rule
        ));
    }
    body.push_str("</ol>\n<script src=\"search.js\"></script>\n");
    page("asynclint rule book", "", &body)
}

/// What the reference texts call this bug in other languages, from the exercises.
fn seed_analog(name: &str, exercises: &[&Exercise]) -> String {
    let mut seeds: Vec<&str> = exercises
        .iter()
        .flat_map(|e| e.meta.seeds.iter().map(String::as_str))
        .collect();
    seeds.dedup();
    if seeds.is_empty() {
        return match name {
            "unused-suppression" => {
                "<p>None: this rule keeps asynclint's own suppressions honest.</p>\n".to_string()
            }
            _ => "<p>No direct analog: this bug is particular to Rust's futures, which stop \
                  wherever they are dropped.</p>\n"
                .to_string(),
        };
    }
    let mut out = String::from("<p>The same defect in JavaScript, Python or Go:</p>\n<ul>\n");
    for s in seeds {
        out.push_str(&format!("<li>{}</li>\n", escape(s)));
    }
    out.push_str("</ul>\n");
    out
}

fn rule_page(m: &RuleMeta) -> String {
    let exercises: Vec<&Exercise> = learn::for_rule(m.name).collect();
    let theme = Theme::of(m.name).map_or("", Theme::title);
    let mut body = format!(
        "<nav><a href=\"../index.html\">← All rules</a></nav>\n<p class=\"meta\">{} {}</p>\n{}",
        badge(m),
        escape(theme),
        markdown(m.doc)
    );
    body.push_str("<h2 id=\"seed-analog\">Seed analog</h2>\n");
    body.push_str(&seed_analog(m.name, &exercises));
    body.push_str("<h2 id=\"practice\">Practice</h2>\n");
    if exercises.is_empty() {
        body.push_str("<p>No exercise for this rule yet.</p>\n");
    } else {
        body.push_str("<ul>\n");
        for ex in &exercises {
            body.push_str(&format!(
                "<li><a href=\"../exercises/{}.html\">Exercise {}: {}</a> — <code>asynclint learn start {}</code></li>\n",
                ex.files.dir,
                ex.number,
                escape(&ex.meta.title),
                ex.number
            ));
        }
        body.push_str("</ul>\n");
    }
    body.push_str(&format!(
        "<p class=\"meta\">This page: <a href=\"{url}\">{url}</a></p>\n",
        url = rule_url(m.name)
    ));
    page(&format!("{} — asynclint", m.name), "../", &body)
}

fn exercise_page(ex: &Exercise) -> String {
    let rule = match crate::rules::find(&ex.meta.rule) {
        Some(_) => format!(
            "<a href=\"../{}\"><code>{}</code></a>",
            url::rule_path(&ex.meta.rule),
            ex.meta.rule
        ),
        None => format!("<code>{}</code> (planned)", ex.meta.rule),
    };
    let body = format!(
        "<nav><a href=\"../index.html\">← All rules</a></nav>\n<p class=\"meta\">Exercise {} · rule {rule}</p>\n{}\
         <h2>Predict first</h2>\n<p>{}</p>\n<h2>Start it</h2>\n<pre><code>asynclint learn start {} --dir my-exercises\n\
         asynclint learn check --dir my-exercises</code></pre>\n",
        ex.number,
        markdown(ex.files.readme),
        escape(&ex.meta.question),
        ex.number
    );
    page(
        &format!("{} — asynclint exercise", ex.meta.title),
        "../",
        &body,
    )
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes the site into `out`; returns how many pages it wrote.
pub fn write_site(out: &Path) -> Result<usize, String> {
    write(&out.join("index.html"), &index())?;
    write(&out.join("style.css"), include_str!("style.css"))?;
    write(&out.join("search.js"), include_str!("search.js"))?;
    let mut pages = 1;
    for rule in RULES {
        let m = rule.meta();
        write(&out.join(url::rule_path(m.name)), &rule_page(m))?;
        pages += 1;
    }
    for ex in learn::all() {
        write(
            &out.join("exercises").join(format!("{}.html", ex.files.dir)),
            &exercise_page(ex),
        )?;
        pages += 1;
    }
    Ok(pages)
}

/// `asynclint docs --out DIR`.
pub fn run(out: &Path) -> i32 {
    match write_site(out) {
        Ok(pages) => {
            eprintln!("wrote {pages} pages to {}", out.display());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
