//! Findings in the protocol's terms: positions in UTF-16 code units, diagnostics,
//! code actions, hovers.

use crate::diagnostic::{Applicability, Severity};
use crate::engine::Finding;
use crate::source::TextRange;
use lsp_types as lsp;
use std::collections::HashMap;

/// Line starts of a text, for byte offsets ↔ protocol positions.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines { starts }
    }

    /// The protocol position of a byte offset (clamped to the text, and back to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize) -> lsp::Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let character: usize = text[self.starts[line]..offset]
            .chars()
            .map(char::len_utf16)
            .sum();
        lsp::Position::new(line as u32, character as u32)
    }

    /// The byte offset of a protocol position; past the end of a line is its end.
    pub fn offset(&self, text: &str, p: lsp::Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(p.line as usize + 1)
            .map_or(text.len(), |&e| e - 1);
        let mut units = 0usize;
        for (i, c) in text[start..end].char_indices() {
            if units >= p.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    pub fn range(&self, text: &str, r: TextRange) -> lsp::Range {
        lsp::Range::new(self.position(text, r.start), self.position(text, r.end))
    }
}

/// A finding as a diagnostic: its range, the rule as code with a link to its page,
/// the message with its notes and help, the secondary labels as related information.
pub fn diagnostic(f: &Finding, text: &str, lines: &Lines, uri: &lsp::Url) -> lsp::Diagnostic {
    let d = &f.diagnostic;
    let mut message = d.message.clone();
    for n in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(n);
    }
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .map(|l| lsp::DiagnosticRelatedInformation {
            location: lsp::Location::new(uri.clone(), lines.range(text, l.range)),
            message: l.message.clone(),
        })
        .collect();
    lsp::Diagnostic {
        range: lines.range(text, d.range),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Hint => lsp::DiagnosticSeverity::HINT,
        }),
        code: Some(lsp::NumberOrString::String(d.rule.to_string())),
        code_description: lsp::Url::parse(&crate::docs::rule_url(d.rule))
            .ok()
            .map(|href| lsp::CodeDescription { href }),
        source: Some("asynclint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

fn edit(uri: &lsp::Url, edits: Vec<lsp::TextEdit>) -> lsp::WorkspaceEdit {
    lsp::WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..Default::default()
    }
}

/// The actions for a finding: its fix, if it has one (a fix that may change what the
/// code means says so and is not preferred), and a suppression comment.
pub fn actions(f: &Finding, text: &str, lines: &Lines, uri: &lsp::Url) -> Vec<lsp::CodeAction> {
    let d = &f.diagnostic;
    let diag = diagnostic(f, text, lines, uri);
    let mut out = Vec::new();
    if let Some(fix) = d.fix.as_ref().filter(|fix| !fix.edits.is_empty()) {
        let edits = fix
            .edits
            .iter()
            .map(|e| lsp::TextEdit {
                range: lines.range(text, e.range),
                new_text: e.replacement.clone(),
            })
            .collect();
        let safe = fix.applicability == Applicability::MachineApplicable;
        let title = if safe {
            format!("Apply the fix for `{}`", d.rule)
        } else {
            format!(
                "Apply the fix for `{}` (may be incorrect: review the change)",
                d.rule
            )
        };
        out.push(lsp::CodeAction {
            title,
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diag.clone()]),
            edit: Some(edit(uri, edits)),
            is_preferred: Some(safe),
            ..Default::default()
        });
    }
    // `// asynclint: allow(rule)` on a line of its own above the finding's line.
    let line_start = text[..d.range.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let at = lines.position(text, line_start);
    out.push(lsp::CodeAction {
        title: format!("Suppress `{}` on this line", d.rule),
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diag]),
        edit: Some(edit(
            uri,
            vec![lsp::TextEdit {
                range: lsp::Range::new(at, at),
                new_text: format!("{indent}// asynclint: allow({})\n", d.rule),
            }],
        )),
        is_preferred: Some(false),
        ..Default::default()
    });
    out
}

/// The rule's page, under the finding's message.
pub fn hover(f: &Finding, text: &str, lines: &Lines) -> lsp::Hover {
    let d = &f.diagnostic;
    let page = crate::rules::find(d.rule).map_or("", |r| r.meta().doc);
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: format!("**asynclint `{}`**: {}\n\n---\n\n{page}", d.rule, d.message),
        }),
        range: Some(lines.range(text, d.range)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTF-16 columns: characters outside the basic plane count twice; positions
    /// and offsets convert both ways, and out-of-range positions clamp.
    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\n€😀x\r\nend";
        let lines = Lines::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(lines.position(text, x), lsp::Position::new(1, 3));
        assert_eq!(lines.offset(text, lsp::Position::new(1, 3)), x);
        assert_eq!(lines.position(text, text.len()), lsp::Position::new(2, 3));
        assert_eq!(lines.offset(text, lsp::Position::new(0, 99)), 2);
        assert_eq!(lines.offset(text, lsp::Position::new(9, 0)), text.len());
        // Inside the emoji's bytes: back to its start.
        let emoji = text.find('😀').unwrap();
        assert_eq!(lines.position(text, emoji + 2), lsp::Position::new(1, 1));
    }
}
