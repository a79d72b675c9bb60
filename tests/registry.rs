//! The registry is one list: every rule has a page and bad/good fixtures, every page
//! and fixture folder belongs to a rule, and each page's examples behave as it says.

mod common;

use asynclint::rules::RULES;
use common::{code_blocks_under, root};
use std::collections::BTreeSet;

const SECTIONS: &[&str] = &[
    "## What it flags",
    "## Why it is a bug",
    "## Why it hides",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## Known limits",
];

fn names_in(dir: &str, strip_ext: Option<&str>) -> BTreeSet<String> {
    std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter_map(|n| match strip_ext {
            Some(ext) => n.strip_suffix(ext).map(str::to_string),
            None => Some(n),
        })
        .collect()
}

#[test]
fn rules_pages_and_fixture_folders_correspond() {
    let registered: BTreeSet<String> = RULES.iter().map(|r| r.meta().name.to_string()).collect();
    assert_eq!(registered.len(), RULES.len(), "duplicate rule names");
    assert_eq!(
        names_in("rules", Some(".md")),
        registered,
        "rules/*.md vs registry"
    );
    assert_eq!(
        names_in("fixtures", None),
        registered,
        "fixtures/* vs registry"
    );
    for name in &registered {
        for f in ["bad.rs", "good.rs"] {
            assert!(
                root().join("fixtures").join(name).join(f).is_file(),
                "fixtures/{name}/{f} is missing"
            );
        }
        let module = root()
            .join("src/rules")
            .join(format!("{}.rs", name.replace('-', "_")));
        assert!(module.is_file(), "{} is missing", module.display());
    }
}

#[test]
fn every_page_has_the_standard_sections_and_is_the_embedded_doc() {
    for rule in RULES {
        let m = rule.meta();
        let path = root().join("rules").join(format!("{}.md", m.name));
        let page = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            page,
            m.doc,
            "{} is not what `explain` prints",
            path.display()
        );
        assert!(
            page.starts_with(&format!("# {}\n", m.name)),
            "{}: title",
            m.name
        );
        let mut at = 0;
        for s in SECTIONS {
            let found = page[at..]
                .find(&format!("{s}\n"))
                .unwrap_or_else(|| panic!("{}: section `{s}` missing or out of order", m.name));
            at += found;
        }
        assert!(
            page.contains(&format!("**Severity:** {}", m.severity.as_str())),
            "{}: page states another severity",
            m.name
        );
        assert!(
            page.contains(&format!("**Group:** {}\n", m.group.name())),
            "{}: page states another group",
            m.name
        );
        let default = if m.default_enabled() { "on" } else { "off" };
        assert!(
            page.contains(&format!("**Default:** {default}\n")),
            "{}: page states another default",
            m.name
        );
    }
}

/// Runs the whole pipeline (suppressions included) over one code block.
fn rules_fired(rule: &str, code: &str) -> Vec<&'static str> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.rs");
    std::fs::write(&file, code).unwrap();
    let report = common::check_as_user_of(rule, &[file]);
    assert!(
        report.errors.is_empty(),
        "example does not parse: {:?}\n{code}",
        report.errors
    );
    report.findings.iter().map(|f| f.diagnostic.rule).collect()
}

#[test]
fn page_examples_fire_exactly_their_rule() {
    for rule in RULES {
        let m = rule.meta();
        let bad = code_blocks_under(m.doc, "Example");
        let good = code_blocks_under(m.doc, "Use instead");
        assert!(
            !bad.is_empty() && !good.is_empty(),
            "{}: examples missing",
            m.name
        );
        for code in &bad {
            let fired: BTreeSet<&str> = rules_fired(m.name, code).into_iter().collect();
            assert_eq!(
                fired,
                BTreeSet::from([m.name]),
                "{}: bad example\n{code}",
                m.name
            );
        }
        for code in &good {
            let fired = rules_fired(m.name, code);
            assert!(
                fired.is_empty(),
                "{}: good example fires {fired:?}\n{code}",
                m.name
            );
        }
    }
}
