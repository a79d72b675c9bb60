//! Suppression comments, read from the source text (syn keeps no comments):
//! `// asynclint: allow(rule-a, rule-b) reason` for one line, `//! asynclint: allow(..)`
//! for the whole file.

const MARKER: &str = "asynclint: allow(";

#[derive(Debug, Default, Clone)]
pub struct Suppressions {
    /// (line the suppression applies to, rule names)
    lines: Vec<(usize, Vec<String>)>,
    file: Vec<String>,
}

impl Suppressions {
    pub fn parse(text: &str) -> Self {
        let mut s = Suppressions::default();
        if !text.contains(MARKER) {
            return s;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(at) = line.find(MARKER) else {
                continue;
            };
            let Some(comment) = line[..at].rfind("//") else {
                continue;
            };
            if !line[comment + 2..at]
                .trim()
                .trim_start_matches(['!', '/'])
                .trim()
                .is_empty()
            {
                continue;
            }
            let rest = &line[at + MARKER.len()..];
            let Some(close) = rest.find(')') else {
                continue;
            };
            let rules: Vec<String> = rest[..close]
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            let before = line[..comment].trim();
            if before.is_empty() && line[comment..].starts_with("//!") {
                s.file.extend(rules);
            } else if !before.is_empty() {
                s.lines.push((i + 1, rules));
            } else {
                // A comment on its own line: the next line that is neither a comment
                // nor blank.
                let target = lines
                    .iter()
                    .enumerate()
                    .skip(i + 1)
                    .find(|(_, l)| {
                        let t = l.trim_start();
                        !t.is_empty() && !t.starts_with("//")
                    })
                    .map(|(j, _)| j + 1);
                if let Some(t) = target {
                    s.lines.push((t, rules));
                }
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.file.is_empty()
    }

    /// Whether a diagnostic of `rule` starting on `line` is suppressed.
    pub fn suppresses(&self, rule: &str, line: usize) -> bool {
        self.file.iter().any(|r| r == rule)
            || self
                .lines
                .iter()
                .any(|(l, rules)| *l == line && rules.iter().any(|r| r == rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_own_line_and_file_level_forms() {
        let text = "//! asynclint: allow(rule-f)\n\
                    fn a() {\n\
                    \x20   x(); // asynclint: allow(rule-a, rule-b) intended\n\
                    \x20   // asynclint: allow(rule-c) because\n\
                    \x20   // more words\n\
                    \n\
                    \x20   y();\n\
                    \x20   let s = \"asynclint: allow(rule-d)\";\n\
                    }\n";
        let s = Suppressions::parse(text);
        assert!(s.suppresses("rule-a", 3) && s.suppresses("rule-b", 3));
        assert!(!s.suppresses("rule-a", 4));
        assert!(s.suppresses("rule-c", 7));
        assert!(s.suppresses("rule-f", 100));
        assert!(!s.suppresses("rule-d", 8), "not a comment");
    }
}
