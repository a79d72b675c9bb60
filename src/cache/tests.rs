use super::*;
use crate::config::ExtraCall;
use crate::semantic::Runtime;

fn analysis(text: &str) -> Result<Analysis, FileError> {
    crate::engine::analyze_source("src/a.rs", text, crate::rules::RULES)
}

/// Every part of what an analysis depends on changes the key; the text changes the
/// full key only (the file's entry is replaced, not added to).
#[test]
fn every_input_of_an_analysis_is_in_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let rules = crate::rules::RULES;
    let blocking = RuleOptions {
        extra_calls: vec![ExtraCall {
            path: "db::query".into(),
            replacement: None,
        }],
        read_like: None,
        ..RuleOptions::default()
    };
    let default = RuleOptions::default();
    let with_default = [&default];
    let with_blocking = [&blocking];
    let module = ["net".to_string()];
    let extra = ["db::query".to_string()];
    let base = FileSettings::default();
    let key = |path: &str, text: &str, rules: &[&dyn Rule], s: &FileSettings| {
        cache.key(path, text, rules, s)
    };
    let k = key("src/a.rs", "fn a() {}", rules, &base);
    assert_eq!(k, key("src/a.rs", "fn a() {}", rules, &base));
    let text = key("src/a.rs", "fn b() {}", rules, &base);
    assert_eq!(text.slot, k.slot);
    assert_ne!(text.full, k.full);
    let settings = [
        FileSettings {
            options: &with_default,
            ..base
        },
        FileSettings {
            options: &with_blocking,
            ..base
        },
        FileSettings {
            runtime: Runtime::Tokio,
            ..base
        },
        FileSettings {
            check_all_tests: true,
            ..base
        },
        FileSettings { krate: 7, ..base },
        FileSettings {
            module: &module,
            ..base
        },
        FileSettings {
            lib_name: Some("net"),
            ..base
        },
        FileSettings {
            package_is_app: true,
            ..base
        },
        FileSettings {
            extra_blocking: &extra,
            ..base
        },
    ];
    let mut slots = vec![k.slot];
    for s in &settings {
        slots.push(key("src/a.rs", "fn a() {}", rules, s).slot);
    }
    slots.push(key("src/b.rs", "fn a() {}", rules, &base).slot);
    slots.push(key("src/a.rs", "fn a() {}", &rules[1..], &base).slot);
    let mut unique = slots.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), slots.len(), "{slots:x?}");
    // The memo of the run's options does not keep an old answer.
    assert_eq!(
        key("src/a.rs", "fn a() {}", rules, &settings[1]).slot,
        slots[2]
    );
    assert_eq!(
        key("src/a.rs", "fn a() {}", rules, &settings[0]).slot,
        slots[1]
    );
}

/// An analysis comes back equal, errors too; an entry naming a rule this build does
/// not have is refused (and so analysed again).
#[test]
fn entries_round_trip_and_unknown_rules_are_misses() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let text =
        "async fn f() { tokio::spawn(async { std::thread::sleep(d) }); g(); }\nasync fn g() {}\n";
    let a = analysis(text).unwrap();
    assert!(!a.diagnostics.is_empty() && !a.deferred.is_empty());
    let key = cache.key("src/a.rs", text, &[], &FileSettings::default());
    cache.store(&key, &Ok(a));
    let back = cache.load(&key).unwrap().unwrap();
    assert_eq!(back.canonical(), analysis(text).unwrap().canonical());

    let broken = analysis("fn f( {").err().unwrap();
    let other = cache.key("src/b.rs", "fn f( {", &[], &FileSettings::default());
    cache.store(&other, &Err(broken.clone()));
    assert!(cache.load(&other).unwrap().err() == Some(broken));

    let mut renamed = analysis(text).unwrap();
    renamed.diagnostics[0].rule = "a-rule-since-removed";
    cache.store(&key, &Ok(renamed));
    assert!(cache.load(&key).is_none());
    assert_eq!(
        cache.stats(),
        Stats {
            hits: 2,
            misses: 1,
            stored: 3,
            rejected: 1
        }
    );
}

/// Every fixture and every source of this crate: what an entry holds reads back as
/// the analysis that was stored, field for field.
#[test]
fn analyses_of_real_sources_round_trip() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut files, mut defs, mut deferred) = (0, 0, 0);
    for dir in ["fixtures", "src", "tests"] {
        for entry in walkdir::WalkDir::new(root.join(dir)) {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let Ok(a) = crate::engine::analyze_source("x.rs", &text, crate::rules::RULES) else {
                continue;
            };
            let bytes = shared::encode(&a).unwrap();
            let back: Analysis = shared::decode(&bytes).unwrap();
            assert_eq!(
                back.canonical(),
                a.canonical(),
                "{}",
                entry.path().display()
            );
            assert_eq!(back.krate, a.krate);
            files += 1;
            defs += a.defs.len();
            deferred += a.deferred.len();
        }
    }
    assert!(
        files > 100 && defs > 1000 && deferred > 100,
        "{files} {defs} {deferred}"
    );
}
