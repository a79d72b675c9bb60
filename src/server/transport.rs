//! The base protocol over stdin and stdout: `Content-Length` framed JSON-RPC. A frame
//! that cannot be read — bad headers, a body that is not JSON, JSON that is not a
//! message — is answered with a JSON-RPC error (`id: null` when no id can be read) and
//! the server reads on; only the end of the input ends the connection.

use crossbeam_channel::{Receiver, Sender};
use lsp_server::Message;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

/// JSON-RPC's codes for input that is not a message.
pub const PARSE_ERROR: i32 = -32700;
pub const INVALID_REQUEST: i32 = -32600;
/// The largest body read (a file's text is in it).
const MAX_BODY: usize = 256 << 20;

/// Where messages go out: one writer at a time, each message whole.
#[derive(Clone)]
pub struct Output(Arc<Mutex<Box<dyn Write + Send>>>);

impl Output {
    pub fn new(w: Box<dyn Write + Send>) -> Output {
        Output(Arc::new(Mutex::new(w)))
    }

    pub fn send(&self, m: &Message) -> std::io::Result<()> {
        let mut w = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.write(&mut *w)
    }

    /// A raw JSON-RPC error response (whose id may be `null`, which `Message` cannot
    /// hold).
    pub fn send_error(&self, id: Value, code: i32, message: &str) -> std::io::Result<()> {
        let body = json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": { "code": code, "message": message },
        })
        .to_string();
        let mut w = self.0.lock().unwrap_or_else(|e| e.into_inner());
        write!(w, "Content-Length: {}\r\n\r\n{body}", body.len())?;
        w.flush()
    }
}

/// Reads frames from `input` until it ends, passing each message to `to` and
/// answering each unreadable one on `out`.
pub fn read_loop(mut input: impl BufRead, to: Sender<Message>, out: Output) {
    loop {
        match read_frame(&mut input) {
            Frame::End => return,
            Frame::Bad(why) => {
                let _ = out.send_error(Value::Null, PARSE_ERROR, &why);
            }
            Frame::Body(body) => match parse(&body) {
                Ok(m) => {
                    if to.send(m).is_err() {
                        return;
                    }
                }
                Err((id, code, why)) => {
                    let _ = out.send_error(id, code, &why);
                }
            },
        }
    }
}

/// Starts the reader on stdin and returns the messages it reads; the writer is
/// stdout.
pub fn stdio() -> (Receiver<Message>, Output) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let out = Output::new(Box::new(std::io::stdout()));
    let reader_out = out.clone();
    std::thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || read_loop(std::io::stdin().lock(), tx, reader_out))
        .expect("a thread for the reader");
    (rx, out)
}

enum Frame {
    End,
    Bad(String),
    Body(Vec<u8>),
}

fn read_frame(input: &mut impl BufRead) -> Frame {
    let mut length: Option<usize> = None;
    let mut bad: Option<String> = None;
    let mut any_header = false;
    loop {
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return Frame::End,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !any_header {
                // Blank lines between frames are skipped.
                continue;
            }
            break;
        }
        any_header = true;
        match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) if n <= MAX_BODY => length = Some(n),
                    _ => bad = Some(format!("bad Content-Length: {:?}", value.trim())),
                }
            }
            Some(_) => {}
            None => bad = Some(format!("malformed header: {line:?}")),
        }
    }
    let Some(n) = length else {
        return Frame::Bad(bad.unwrap_or_else(|| "no Content-Length header".into()));
    };
    let mut body = vec![0; n];
    if input.read_exact(&mut body).is_err() {
        return Frame::End;
    }
    match bad {
        Some(why) => Frame::Bad(why),
        None => Frame::Body(body),
    }
}

/// A message, or the error to answer with: the id (if one can be read), the code,
/// the reason.
fn parse(body: &[u8]) -> Result<Message, (Value, i32, String)> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| (Value::Null, PARSE_ERROR, format!("not JSON: {e}")))?;
    let id = match value.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => Value::Null,
    };
    serde_json::from_value::<Message>(value)
        .map_err(|e| (id, INVALID_REQUEST, format!("not a JSON-RPC message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<String> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let written = Arc::new(Mutex::new(Vec::<u8>::new()));
        struct W(Arc<Mutex<Vec<u8>>>);
        impl Write for W {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        read_loop(
            input.as_bytes(),
            tx,
            Output::new(Box::new(W(written.clone()))),
        );
        let mut out: Vec<String> = rx
            .try_iter()
            .map(|m| serde_json::to_string(&m).unwrap())
            .collect();
        let errors = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        let mut rest = errors.as_str();
        while let Some(after) = rest.strip_prefix("Content-Length: ") {
            let (n, body) = after.split_once("\r\n\r\n").unwrap();
            let n: usize = n.parse().unwrap();
            out.push(body[..n].to_string());
            rest = &body[n..];
        }
        assert!(rest.is_empty(), "{rest}");
        out
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// Good frames pass; each bad one gets its error and the next frame is read.
    #[test]
    fn bad_frames_are_answered_and_reading_goes_on() {
        let ok = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = [
            frame("{not json"),
            frame(ok),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
            "X-Nonsense\r\n\r\n".to_string(),
            "Content-Length: many\r\n\r\n".to_string(),
            frame(r#"[1, 2]"#),
            "\r\n".to_string(),
            frame(ok),
            "Content-Length: 1000\r\n\r\n{\"truncated".to_string(),
        ]
        .concat();
        let out = frames(&input);
        assert_eq!(out.len(), 7, "{out:#?}");
        assert_eq!(out.iter().filter(|o| o.contains("initialized")).count(), 2);
        let errors: Vec<Value> = out
            .iter()
            .filter(|o| o.contains("error"))
            .map(|o| serde_json::from_str(o).unwrap())
            .collect();
        let codes: Vec<(Value, i64)> = errors
            .iter()
            .map(|e| (e["id"].clone(), e["error"]["code"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            codes,
            [
                (Value::Null, -32700),
                (json!(7), -32600),
                (Value::Null, -32700),
                (Value::Null, -32700),
                (Value::Null, -32600),
            ]
        );
    }
}
