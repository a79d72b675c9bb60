//! Values many parts of an analysis share (the `Scope` of every call a fn makes, the
//! file name of every fn), written once per cache entry: inside [`encode`] and
//! [`decode`] a shared value is its number in a table stored before the analysis.
//! Elsewhere (any other serializer) it is written in full.

use crate::semantic::callee::Scope;
use rustc_hash::FxHashMap as HashMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::sync::Arc;

#[derive(Default)]
struct Writing {
    scopes: Vec<Arc<Scope>>,
    scope_ids: HashMap<Arc<Scope>, u32>,
    texts: Vec<Arc<str>>,
    text_ids: HashMap<Arc<str>, u32>,
}

#[derive(Default)]
struct Reading {
    scopes: Vec<Arc<Scope>>,
    texts: Vec<Arc<str>>,
}

enum Mode {
    Writing(Writing),
    Reading(Reading),
}

thread_local! {
    static MODE: RefCell<Option<Mode>> = const { RefCell::new(None) };
}

/// The tables, as stored.
#[derive(Serialize, Deserialize)]
struct Tables {
    scopes: Vec<Scope>,
    texts: Vec<String>,
}

/// Ends a mode when dropped, also when (de)serialization fails midway.
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        MODE.with(|m| m.borrow_mut().take());
    }
}

/// `value` in postcard, with its shared values in a table before it.
pub fn encode<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    MODE.with(|m| *m.borrow_mut() = Some(Mode::Writing(Writing::default())));
    let _reset = Reset;
    let body = postcard::to_stdvec(value).ok()?;
    let Some(Mode::Writing(w)) = MODE.with(|m| m.borrow_mut().take()) else {
        return None;
    };
    let tables = Tables {
        scopes: w.scopes.iter().map(|s| (**s).clone()).collect(),
        texts: w.texts.iter().map(|t| t.to_string()).collect(),
    };
    let mut out = postcard::to_stdvec(&tables).ok()?;
    out.extend_from_slice(&body);
    Some(out)
}

/// What [`encode`] wrote, or `None` if the bytes are not such a value.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let (tables, body) = postcard::take_from_bytes::<Tables>(bytes).ok()?;
    let reading = Reading {
        scopes: tables.scopes.into_iter().map(Arc::new).collect(),
        texts: tables.texts.into_iter().map(Arc::from).collect(),
    };
    MODE.with(|m| *m.borrow_mut() = Some(Mode::Reading(reading)));
    let _reset = Reset;
    let (value, rest) = postcard::take_from_bytes::<T>(body).ok()?;
    rest.is_empty().then_some(value)
}

/// Serde functions for an `Arc<Scope>` field.
pub mod scope {
    use super::*;

    pub fn serialize<S: serde::Serializer>(v: &Arc<Scope>, s: S) -> Result<S::Ok, S::Error> {
        let id = MODE.with(|m| match &mut *m.borrow_mut() {
            Some(Mode::Writing(w)) => Some(*w.scope_ids.entry(v.clone()).or_insert_with(|| {
                w.scopes.push(v.clone());
                (w.scopes.len() - 1) as u32
            })),
            _ => None,
        });
        match id {
            Some(id) => s.serialize_u32(id),
            None => v.serialize(s),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Arc<Scope>, D::Error> {
        if !MODE.with(|m| matches!(&*m.borrow(), Some(Mode::Reading(_)))) {
            return Scope::deserialize(d).map(Arc::new);
        }
        let id = u32::deserialize(d)? as usize;
        MODE.with(|m| match &*m.borrow() {
            Some(Mode::Reading(r)) => r.scopes.get(id).cloned(),
            _ => None,
        })
        .ok_or_else(|| serde::de::Error::custom("unknown scope"))
    }
}

/// Serde functions for an `Arc<str>` field whose text repeats (a file name).
pub mod text {
    use super::*;

    pub fn serialize<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        let id = MODE.with(|m| match &mut *m.borrow_mut() {
            Some(Mode::Writing(w)) => Some(*w.text_ids.entry(v.clone()).or_insert_with(|| {
                w.texts.push(v.clone());
                (w.texts.len() - 1) as u32
            })),
            _ => None,
        });
        match id {
            Some(id) => s.serialize_u32(id),
            None => s.serialize_str(v),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        if !MODE.with(|m| matches!(&*m.borrow(), Some(Mode::Reading(_)))) {
            return String::deserialize(d).map(Arc::from);
        }
        let id = u32::deserialize(d)? as usize;
        MODE.with(|m| match &*m.borrow() {
            Some(Mode::Reading(r)) => r.texts.get(id).cloned(),
            _ => None,
        })
        .ok_or_else(|| serde::de::Error::custom("unknown text"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shared values come back equal and shared; outside encode/decode they are
    /// written in full; bytes that are not an encoding are refused.
    #[test]
    fn shared_values_round_trip() {
        let text = "mod m { pub fn a() { b(); c(); } pub fn b() {} }\nimpl S { fn d(&self) { self.e(); } }\n";
        let a = crate::engine::analyze_source("src/x.rs", text, crate::rules::RULES).unwrap();
        let bytes = encode(&a).unwrap();
        let back: crate::engine::Analysis = decode(&bytes).unwrap();
        assert_eq!(back.canonical(), a.canonical());
        assert!(back.defs.len() >= 3);
        let scope = &back.defs.iter().find(|d| d.name == "a").unwrap().scope;
        assert!(Arc::ptr_eq(
            scope,
            &back.defs.iter().find(|d| d.name == "b").unwrap().scope
        ));
        assert!(Arc::ptr_eq(&back.defs[0].file, &back.defs[1].file));
        let json = serde_json::to_string(&a.defs[0]).unwrap();
        assert!(json.contains("\"file\":\"src/x.rs\""), "{json}");
        let plain: crate::model::FnDef = serde_json::from_str(&json).unwrap();
        assert_eq!(format!("{plain:?}"), format!("{:?}", a.defs[0]));
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode::<crate::engine::Analysis>(&bytes[..cut]).is_none());
        }
        assert!(MODE.with(|m| m.borrow().is_none()));
    }
}
