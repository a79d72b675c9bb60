//! The guards of a body whose lock is known, and where a lock is taken again while one
//! of its guards is alive.

use super::places::{
    deferred_closures, is_plain_lock, is_try, lock_place, place_root, rebound_between,
};
use super::{Acquisition, LockKind};
use crate::semantic::{Cx, FileInfo};
use crate::source::TextRange;
use syn::Block;

/// A guard whose lock is known: its acquisition, its place, and the closure that runs
/// later (or on another thread) it sits in, if any.
pub struct HeldLock<'a> {
    pub acq: &'a Acquisition,
    pub place: String,
    unit: Option<TextRange>,
}

/// The guards of a body on non-reentrant locks (`Mutex`, `RwLock`) at known places.
pub struct HeldLocks<'a> {
    pub held: Vec<HeldLock<'a>>,
    units: Vec<TextRange>,
}

impl<'a> HeldLocks<'a> {
    /// The guards among `acqs` (found in `body`) whose lock is known: not a crate
    /// helper's guard, not a reentrant lock, not a name that now holds the guard.
    pub fn of(cx: &Cx, body: &Block, acqs: &'a [Acquisition]) -> HeldLocks<'a> {
        let mut locks = HeldLocks {
            held: Vec::new(),
            units: deferred_closures(cx, body),
        };
        for acq in acqs {
            let Some(place) = lock_place(&acq.receiver) else {
                continue;
            };
            // `let m = m.lock().unwrap();`: the name now holds the guard.
            let shadows = acq.binding.as_deref() == Some(place_root(&place));
            if shadows || acq.helper.is_some() || !is_plain_lock(cx, body, acq, &place) {
                continue;
            }
            let unit = locks.unit_of(acq.range);
            locks.held.push(HeldLock { acq, place, unit });
        }
        locks
    }

    /// The innermost closure that runs later around `r`.
    fn unit_of(&self, r: TextRange) -> Option<TextRange> {
        self.units
            .iter()
            .filter(|u| u.encloses(r))
            .min_by_key(|u| u.end - u.start)
            .copied()
    }

    /// Pairs `(first, second)` of indexes into `held`: `second` locks a place while
    /// `first`, a guard of the same lock taken before, is alive in the same closure.
    /// Not a `try_lock`; not a place bound again in between; two reads only when the
    /// file takes a write lock on that place (a writer that can queue between them).
    pub fn relocks(&self, cx: &Cx, body: &Block) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (j, second) in self.held.iter().enumerate() {
            if is_try(cx.file, second.acq) {
                continue;
            }
            let at = acquired_at(second.acq);
            let first = self.held.iter().position(|first| {
                // `match m.try_lock() { Ok(g) => .., Err(_) => m.lock() }`: the other
                // arms hold no guard.
                let try_scrutinee = first.acq.binding.is_none() && is_try(cx.file, first.acq);
                !try_scrutinee
                    && first.acq.range != second.acq.range
                    && first.place == second.place
                    && first.unit == second.unit
                    && first.acq.asynchronous == second.acq.asynchronous
                    && same_family(first.acq.kind, second.acq.kind)
                    && acquired_at(first.acq) <= at
                    && first.acq.held_from <= at
                    && at < first.acq.held_until
                    && !rebound(cx.file, body, &first.place, first.acq.range.start, at)
            });
            let Some(i) = first else { continue };
            let reads = [self.held[i].acq.kind, second.acq.kind] == [LockKind::RwLockRead; 2];
            if !reads || written_in_file(cx.file, &second.place) {
                out.push((i, j));
            }
        }
        out
    }

    /// The guards alive when a call in `range` runs (after its arguments), in the same
    /// closure; read guards only on a place the file also write-locks.
    pub fn alive_at(&self, cx: &Cx, range: TextRange) -> Vec<&HeldLock<'a>> {
        let unit = self.unit_of(range);
        let at = range.end;
        self.held
            .iter()
            .filter(|h| {
                let read_only = h.acq.kind == LockKind::RwLockRead;
                h.unit == unit
                    && h.acq.held_from <= at
                    && at < h.acq.held_until
                    && (!read_only || written_in_file(cx.file, &h.place))
            })
            .collect()
    }
}

/// Whether the file takes a write lock on a place named like `place` (its last
/// segment): two reads deadlock only when a writer queues between them.
fn written_in_file(file: &FileInfo, place: &str) -> bool {
    let name = place.rsplit(['.', ':']).next().unwrap_or(place);
    let writes = [
        "write()",
        "write_owned()",
        "try_write()",
        "upgradable_read()",
    ];
    writes
        .iter()
        .any(|w| file.text.contains(&format!("{name}.{w}")))
}

/// When a guard's lock is taken: the end of its lock call, or for the place of an
/// assignment, after the value.
fn acquired_at(acq: &Acquisition) -> usize {
    match acq.binding {
        Some(_) => acq.range.end,
        None => acq.held_from.max(acq.range.end),
    }
}

fn same_family(a: LockKind, b: LockKind) -> bool {
    let rw = |k| matches!(k, LockKind::RwLockRead | LockKind::RwLockWrite);
    (a == LockKind::Mutex && b == LockKind::Mutex) || (rw(a) && rw(b))
}

fn rebound(file: &FileInfo, body: &Block, place: &str, from: usize, to: usize) -> bool {
    let root = place_root(place);
    root != "self" && rebound_between(file, body, root, from, to)
}

/// `state` for the place `self.state`.
pub fn self_field(place: &str) -> Option<&str> {
    place.strip_prefix("self.").filter(|f| !f.contains('.'))
}
