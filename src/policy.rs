//! Which findings are worth showing, decided once for every rule: one finding per
//! site. Groups and the test-code stance are data on each rule (`RuleMeta`); the walk
//! applies the test-code stance, the selection applies the groups.

use crate::diagnostic::Diagnostic;

/// Pairs of rules that can fire on the same expression: the first says more (what
/// is wrong with this task), the second only what the first implies (it is
/// detached). Where both fire, the first is reported and mentions the second.
const MORE_SPECIFIC: &[(&str, &str, &str)] = &[
    (
        "ignored-cancellation",
        "detached-task",
        "the task is also detached: nothing waits for it at shutdown (`detached-task`)",
    ),
    (
        "block-on-in-async",
        "blocking-in-async",
        "it also blocks the executor thread while it waits (`blocking-in-async`)",
    ),
    (
        "fail-fast-cancels-writes",
        "unbounded-join-all",
        "the join also starts every write at once, with no limit (`unbounded-join-all`)",
    ),
];

/// Keeps one finding per site: where a more specific rule and a more general one
/// start at the same place, the general one goes, and the specific one says so in a
/// note.
pub fn one_finding_per_site(diagnostics: &mut Vec<Diagnostic>) {
    if diagnostics.len() < 2 {
        return;
    }
    let mut drop = vec![false; diagnostics.len()];
    for (specific, general, note) in MORE_SPECIFIC {
        for i in 0..diagnostics.len() {
            if diagnostics[i].rule != *general || drop[i] {
                continue;
            }
            let at = diagnostics[i].range.start;
            let winner = diagnostics
                .iter()
                .position(|d| d.rule == *specific && d.range.start == at);
            if let Some(w) = winner {
                drop[i] = true;
                diagnostics[w].notes.push((*note).to_string());
            }
        }
    }
    let mut keep = drop.iter().map(|d| !d);
    diagnostics.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::source::TextRange;

    #[test]
    fn the_more_specific_finding_stays_and_names_the_other() {
        let d = |rule, start| {
            Diagnostic::new(
                rule,
                Severity::Warning,
                TextRange::new(start, start + 1),
                "m",
            )
        };
        let mut all = vec![
            d("detached-task", 10),
            d("ignored-cancellation", 10),
            d("detached-task", 20),
        ];
        one_finding_per_site(&mut all);
        let rules: Vec<_> = all.iter().map(|d| (d.rule, d.range.start)).collect();
        assert_eq!(rules, [("ignored-cancellation", 10), ("detached-task", 20)]);
        assert_eq!(all[0].notes.len(), 1);
    }
}
