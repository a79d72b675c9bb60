//! `asynclint server`: a language server over stdin and stdout.
//!
//! It holds every file of the workspace folders analysed (pass one, from the editor's
//! buffer for open files, from disk — through the content cache — for the others),
//! and after each change decides the crate-wide findings again (pass two) and
//! publishes the diagnostics of every open file whose findings changed: an edit of one
//! file can add or remove a finding in another. Edits are analysed once typing pauses
//! (`debounceMs`), opening and saving at once. Code actions apply a finding's fix (a
//! fix that may change the code's meaning says so) or suppress it; hovering a finding
//! shows its rule's page. Settings: `select`, `extendSelect`, `ignore` (rule and group
//! names), `debounceMs`, `cache`; each file gets its nearest configuration.

mod convert;
pub mod transport;
mod workspace;

pub use workspace::{config_set, Settings};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use lsp_server::{Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use transport::Output;
use workspace::{Publish, Workspace};

const SERVER_NOT_INITIALIZED: i32 = -32002;
const INVALID_REQUEST: i32 = -32600;
const METHOD_NOT_FOUND: i32 = -32601;
const INVALID_PARAMS: i32 = -32602;

/// Serves on stdin and stdout until the client says `exit` (or the input ends);
/// returns the process exit code (0 after a `shutdown` request, else 1).
pub fn run() -> i32 {
    let (messages, out) = transport::stdio();
    Server::new(out).serve(messages)
}

struct Server {
    out: Output,
    workspace: Option<Workspace>,
    shut_down: bool,
    /// Buffers changed since they were last analysed: version and text.
    pending: BTreeMap<PathBuf, (i32, String)>,
    deadline: Option<Instant>,
    watch_files: bool,
}

impl Server {
    fn new(out: Output) -> Server {
        Server {
            out,
            workspace: None,
            shut_down: false,
            pending: BTreeMap::new(),
            deadline: None,
            watch_files: false,
        }
    }

    fn serve(mut self, messages: Receiver<Message>) -> i32 {
        loop {
            let next = match self.deadline {
                Some(d) => messages.recv_timeout(d.saturating_duration_since(Instant::now())),
                None => messages.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match next {
                Ok(m) => {
                    if let Some(code) = self.handle(m) {
                        return code;
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.flush(),
                Err(RecvTimeoutError::Disconnected) => return i32::from(!self.shut_down),
            }
        }
    }

    fn send(&self, m: impl Into<Message>) {
        let _ = self.out.send(&m.into());
    }

    fn reply(&self, id: RequestId, result: Result<Value, (i32, String)>) {
        let response = match result {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code, message),
        };
        self.send(response);
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.send(Notification::new(method.to_string(), params));
    }

    fn show(&self, kind: lsp::MessageType, message: String) {
        self.notify(
            "window/showMessage",
            lsp::ShowMessageParams { typ: kind, message },
        );
    }

    fn publish(&self, publishes: Vec<Publish>) {
        for p in publishes {
            self.notify(
                "textDocument/publishDiagnostics",
                lsp::PublishDiagnosticsParams {
                    uri: p.uri,
                    diagnostics: p.diagnostics,
                    version: p.version,
                },
            );
        }
    }

    /// Handles one message; `Some(code)` ends the server.
    fn handle(&mut self, m: Message) -> Option<i32> {
        match m {
            Message::Request(r) => self.request(r),
            Message::Notification(n) => return self.notification(n),
            Message::Response(_) => {}
        }
        None
    }

    fn request(&mut self, r: Request) {
        let id = r.id.clone();
        if self.workspace.is_none() && r.method != "initialize" {
            return self.reply(id, Err((SERVER_NOT_INITIALIZED, "initialize first".into())));
        }
        if self.shut_down {
            return self.reply(
                id,
                Err((INVALID_REQUEST, "the server is shutting down".into())),
            );
        }
        let result = match r.method.as_str() {
            "initialize" if self.workspace.is_some() => {
                Err((INVALID_REQUEST, "already initialized".into()))
            }
            "initialize" => params(r.params).map(|p| self.initialize(p)),
            "shutdown" => {
                self.shut_down = true;
                Ok(Value::Null)
            }
            "textDocument/codeAction" => params(r.params).map(|p| self.code_action(p)),
            "textDocument/hover" => params(r.params).map(|p| self.hover(p)),
            other => Err((METHOD_NOT_FOUND, format!("unknown request `{other}`"))),
        };
        self.reply(id, result);
    }

    fn notification(&mut self, n: Notification) -> Option<i32> {
        if n.method == "exit" {
            return Some(i32::from(!self.shut_down));
        }
        // Before `initialize`, notifications other than `exit` are dropped.
        self.workspace.as_ref()?;
        // A notification with parameters that cannot be read is dropped: there is
        // nothing to answer.
        match n.method.as_str() {
            "initialized" => self.initialized(),
            "textDocument/didOpen" => {
                if let Ok(p) = params::<lsp::DidOpenTextDocumentParams>(n.params) {
                    self.did_open(p);
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = params::<lsp::DidChangeTextDocumentParams>(n.params) {
                    self.did_change(p);
                }
            }
            "textDocument/didSave" => self.flush(),
            "textDocument/didClose" => {
                if let Ok(p) = params::<lsp::DidCloseTextDocumentParams>(n.params) {
                    self.did_close(p);
                }
            }
            "workspace/didChangeConfiguration" => {
                if let Ok(p) = params::<lsp::DidChangeConfigurationParams>(n.params) {
                    self.did_change_configuration(p);
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Ok(p) = params::<lsp::DidChangeWatchedFilesParams>(n.params) {
                    self.did_change_watched_files(p);
                }
            }
            "workspace/didChangeWorkspaceFolders" => {
                if let Ok(p) = params::<lsp::DidChangeWorkspaceFoldersParams>(n.params) {
                    self.did_change_folders(p);
                }
            }
            _ => {}
        }
        None
    }

    fn initialize(&mut self, p: lsp::InitializeParams) -> Value {
        let mut roots: Vec<PathBuf> = p
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| f.uri.to_file_path().ok())
            .collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            roots.extend(p.root_uri.and_then(|u| u.to_file_path().ok()));
        }
        let (settings, errors) = Settings::from_value(p.initialization_options.as_ref());
        let mut workspace = Workspace::new(roots, settings);
        workspace.messages.extend(errors);
        self.workspace = Some(workspace);
        self.watch_files = p
            .capabilities
            .workspace
            .and_then(|w| w.did_change_watched_files)
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        let capabilities = lsp::ServerCapabilities {
            position_encoding: Some(lsp::PositionEncodingKind::UTF16),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::FULL),
                    save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                    ..Default::default()
                },
            )),
            workspace: Some(lsp::WorkspaceServerCapabilities {
                workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(lsp::OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..Default::default()
        };
        json!({
            "capabilities": capabilities,
            "serverInfo": { "name": "asynclint", "version": env!("CARGO_PKG_VERSION") },
        })
    }

    fn initialized(&mut self) {
        if self.watch_files {
            let watchers: Vec<lsp::FileSystemWatcher> =
                ["**/*.rs", "**/asynclint.toml", "**/Cargo.toml"]
                    .into_iter()
                    .map(|g| lsp::FileSystemWatcher {
                        glob_pattern: lsp::GlobPattern::String(g.into()),
                        kind: None,
                    })
                    .collect();
            let registration = lsp::Registration {
                id: "asynclint-watch".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(
                    lsp::DidChangeWatchedFilesRegistrationOptions { watchers },
                )
                .ok(),
            };
            self.send(Request::new(
                RequestId::from("asynclint-watch".to_string()),
                "client/registerCapability".into(),
                lsp::RegistrationParams {
                    registrations: vec![registration],
                },
            ));
        }
        self.with_workspace(|w| {
            w.scan();
            w.decide(&[])
        });
    }

    /// Runs `f` on the workspace, publishes what it returns and shows any problem
    /// it met.
    fn with_workspace(&mut self, f: impl FnOnce(&mut Workspace) -> Vec<Publish>) {
        let Some(w) = self.workspace.as_mut() else {
            return;
        };
        let publishes = f(w);
        let problems = std::mem::take(&mut w.messages);
        self.publish(publishes);
        for p in problems {
            self.show(lsp::MessageType::ERROR, p);
        }
    }

    fn did_open(&mut self, p: lsp::DidOpenTextDocumentParams) {
        let Ok(path) = p.text_document.uri.to_file_path() else {
            return;
        };
        self.pending.remove(&path);
        let (uri, version, text) = (
            p.text_document.uri,
            p.text_document.version,
            p.text_document.text,
        );
        self.with_workspace(|w| {
            w.open(&path, uri, version, &text);
            w.decide(&[path])
        });
    }

    fn did_change(&mut self, p: lsp::DidChangeTextDocumentParams) {
        let Ok(path) = p.text_document.uri.to_file_path() else {
            return;
        };
        let Some(w) = &self.workspace else {
            return;
        };
        if !w.is_open(&path) {
            return;
        }
        let mut text = match self.pending.remove(&path) {
            Some((_, t)) => t,
            None => w
                .decided(&path)
                .map(|d| d.text.to_string())
                .unwrap_or_default(),
        };
        for change in p.content_changes {
            match change.range {
                // The whole text, as the server asks for.
                None => text = change.text,
                Some(range) => {
                    let lines = convert::Lines::new(&text);
                    let start = lines.offset(&text, range.start);
                    let end = lines.offset(&text, range.end).max(start);
                    text.replace_range(start..end, &change.text);
                }
            }
        }
        self.pending.insert(path, (p.text_document.version, text));
        let debounce = Duration::from_millis(w.settings().debounce_ms);
        self.deadline = Some(Instant::now() + debounce);
    }

    /// Analyses the buffers changed since the last analysis and publishes what
    /// changed.
    fn flush(&mut self) {
        self.deadline = None;
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return;
        }
        self.with_workspace(|w| {
            let changed: Vec<PathBuf> = pending.keys().cloned().collect();
            for (path, (version, text)) in pending {
                w.change(&path, version, &text);
            }
            w.decide(&changed)
        });
    }

    fn did_close(&mut self, p: lsp::DidCloseTextDocumentParams) {
        let Ok(path) = p.text_document.uri.to_file_path() else {
            return;
        };
        self.pending.remove(&path);
        self.with_workspace(|w| {
            let mut out: Vec<Publish> = w.close(&path).into_iter().collect();
            out.extend(w.decide(&[]));
            out
        });
    }

    fn did_change_configuration(&mut self, p: lsp::DidChangeConfigurationParams) {
        if p.settings.is_null() {
            return;
        }
        self.flush();
        let (settings, errors) = Settings::from_value(Some(&p.settings));
        self.with_workspace(|w| {
            w.messages.extend(errors);
            if *w.settings() != settings {
                w.apply_settings(settings);
                w.reload();
            }
            w.decide(&[])
        });
    }

    fn did_change_watched_files(&mut self, p: lsp::DidChangeWatchedFilesParams) {
        self.flush();
        let paths: Vec<PathBuf> = p
            .changes
            .iter()
            .filter_map(|c| c.uri.to_file_path().ok())
            .collect();
        let configuration = paths.iter().any(|p| {
            p.file_name()
                .is_some_and(|n| n == "asynclint.toml" || n == "Cargo.toml")
        });
        self.with_workspace(|w| {
            if configuration {
                w.reload();
            } else {
                for path in &paths {
                    w.reread(path);
                }
            }
            w.decide(&[])
        });
    }

    fn did_change_folders(&mut self, p: lsp::DidChangeWorkspaceFoldersParams) {
        self.flush();
        let removed: BTreeSet<PathBuf> = p
            .event
            .removed
            .iter()
            .filter_map(|f| f.uri.to_file_path().ok())
            .collect();
        let added: Vec<PathBuf> = p
            .event
            .added
            .iter()
            .filter_map(|f| f.uri.to_file_path().ok())
            .collect();
        self.with_workspace(|w| {
            let mut roots: Vec<PathBuf> = w
                .roots()
                .iter()
                .filter(|r| !removed.contains(*r))
                .cloned()
                .collect();
            roots.extend(added);
            w.set_roots(roots);
            w.scan();
            w.decide(&[])
        });
    }

    /// The findings of the document at `uri` as last decided, with their text,
    /// after analysing any edit not yet analysed.
    fn findings_at(&mut self, uri: &lsp::Url) -> Option<(Arc<str>, Vec<crate::engine::Finding>)> {
        if !self.pending.is_empty() {
            self.flush();
        }
        let path = uri.to_file_path().ok()?;
        let d = self.workspace.as_ref()?.decided(&path)?;
        Some((d.text.clone(), d.findings.clone()))
    }

    fn code_action(&mut self, p: lsp::CodeActionParams) -> Value {
        let uri = p.text_document.uri;
        let Some((text, findings)) = self.findings_at(&uri) else {
            return json!([]);
        };
        let lines = convert::Lines::new(&text);
        let (from, to) = (
            lines.offset(&text, p.range.start),
            lines.offset(&text, p.range.end),
        );
        let actions: Vec<lsp::CodeAction> = findings
            .iter()
            .filter(|f| {
                let r = f.diagnostic.range;
                r.start <= to && from <= r.end
            })
            .flat_map(|f| convert::actions(f, &text, &lines, &uri))
            .collect();
        serde_json::to_value(actions).unwrap_or(Value::Null)
    }

    fn hover(&mut self, p: lsp::HoverParams) -> Value {
        let at = p.text_document_position_params;
        let Some((text, findings)) = self.findings_at(&at.text_document.uri) else {
            return Value::Null;
        };
        let lines = convert::Lines::new(&text);
        let offset = lines.offset(&text, at.position);
        findings
            .iter()
            .find(|f| f.diagnostic.range.start <= offset && offset <= f.diagnostic.range.end)
            .map(|f| serde_json::to_value(convert::hover(f, &text, &lines)).unwrap_or_default())
            .unwrap_or(Value::Null)
    }
}

fn params<P: DeserializeOwned>(v: Value) -> Result<P, (i32, String)> {
    serde_json::from_value(v).map_err(|e| (INVALID_PARAMS, format!("invalid params: {e}")))
}
