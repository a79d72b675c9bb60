//! The facts of each fn, propagated over the resolved call graph to a fixpoint.

use super::facts::{Alone, Await, FnDef, FutureShape, MainThread};
use crate::semantic::callee::Target;
use std::collections::VecDeque;

/// How a fact reaches a fn: its own operation, or a call of another fn that has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    Op(String),
    Call(u32),
}

/// What calling a fn gives, when it returns a future.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FutureKind {
    #[default]
    NotFuture,
    Lazy,
    Eager,
    Unknown,
}

/// Everything the model knows of one fn.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// It blocks the thread while it runs (a sync fn), with the first step of the
    /// shortest chain to the blocking operation.
    pub blocks: Option<Via>,
    /// It drives a future to completion on the caller's thread (`block_on`),
    /// directly or through sync callees: the first step of the shortest chain.
    pub drives: Option<Via>,
    pub future: FutureKind,
    /// Bit `i`: it spawns (or detaches) the future it is given as parameter `i`.
    pub spawns: u64,
    pub guard: bool,
    /// Its awaits wait only for in-process locks, permits and channels.
    pub in_process_only: bool,
    /// It awaits a change to what is on disk, itself or through an awaited callee.
    pub writes_disk: bool,
    /// It awaits a write (SQL, write-named call), itself or through an awaited crate
    /// fn, as part of its own run.
    pub awaits_write: bool,
    pub mutates_shared: bool,
    pub cancel_unsafe: Option<Via>,
    pub uses_tokio: bool,
    /// Fields of `self` it locks, directly or through its own methods, and `static`s
    /// (`::NAME`) it locks, directly or through the fns it calls as part of its run.
    pub locks: Vec<String>,
    /// It runs only where no tokio runtime is entered: a sync fn, called in the crate,
    /// and only from threads of its own, runtime-free entry points, or sync fns that
    /// run only there.
    pub outside_runtime: bool,
    /// It runs alone on its runtime: an async fn of the crate (not exported, not a
    /// trait's method) that every caller in the crate awaits where it runs alone (see
    /// [`Alone`]): an async `main` before it spawns, a `block_on` before anything is
    /// spawned, or such a fn's own body before it spawns.
    pub runs_alone: bool,
    /// It runs on the thread of a multi-thread async `main`, beside the workers its
    /// tasks run on: an async fn of the crate (not exported, not a trait's method)
    /// that every caller in the crate awaits in its own body, where the caller is
    /// such a `main` or runs there itself (see [`MainThread`]).
    pub main_thread: bool,
    /// It runs in a spawned task, beside the code that spawned it: called in the future
    /// handed to a spawn, or awaited by an async fn that does.
    pub in_task: bool,
    /// It runs once in the life of the program: a fn of the crate (not exported, not
    /// a trait's method, not test code) that every caller calls at most once per run
    /// of its own (not in an open-ended loop, nor in a closure that may be called
    /// again, nor in a task it spawns, which runs beside everything else), where the
    /// caller is the program's `main` or runs once itself.
    pub runs_once: bool,
    /// Bit `i`: it locks the lock it is given as parameter `i`, directly or through
    /// the fns it passes it to.
    pub locks_params: u64,
}

/// Computes every fn's summary; `resolved[f][s]` is the fn site `s` of fn `f` calls.
/// `dispatched[f]` are the calls that may reach `f`, an impl of a trait the crate
/// declares, by dynamic dispatch.
pub(super) fn summaries(
    fns: &[FnDef],
    resolved: &[Vec<Option<u32>>],
    dispatched: &[Vec<(u32, u32)>],
) -> Vec<Summary> {
    let n = fns.len();
    let mut out: Vec<Summary> = fns
        .iter()
        .map(|f| Summary {
            blocks: if f.is_async {
                None
            } else {
                f.local.blocks.clone().map(Via::Op)
            },
            drives: if f.is_async {
                None
            } else {
                f.local.drives.clone().map(Via::Op)
            },
            spawns: f
                .local
                .spawns_params
                .iter()
                .filter(|&&p| p < 64)
                .fold(0u64, |m, &p| m | (1 << p)),
            guard: f.local.returns_guard,
            mutates_shared: f.has_self && f.local.mutates_shared,
            writes_disk: f.local.writes_disk,
            awaits_write: f.local.awaits_write,
            cancel_unsafe: f.local.cancel_unsafe.clone().map(Via::Op),
            uses_tokio: f.local.uses_tokio,
            locks: f.local.locks.clone(),
            locks_params: f
                .local
                .locks_params
                .iter()
                .filter(|&&p| p < 64)
                .fold(0u64, |m, &p| m | (1 << p)),
            ..Summary::default()
        })
        .collect();
    // Who calls whom: `callers[f]` = (caller, site) pairs.
    let mut callers: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
    for (g, sites) in resolved.iter().enumerate() {
        for (s, target) in sites.iter().enumerate() {
            if let Some(f) = target {
                callers[*f as usize].push((g as u32, s as u32));
            }
        }
    }

    // Blocking, and driving a future (a `block_on` one or more calls away): breadth
    // first from the fns that do it themselves, up through sync callers whose call
    // runs when they run: each gets the shortest chain.
    // `stops(out, g, f)`: the fact does not pass from `f` to its caller `g`.
    type Stops = fn(&[Summary], &FnDef, u32) -> bool;
    let up_sync_calls =
        |out: &mut Vec<Summary>, fact: fn(&mut Summary) -> &mut Option<Via>, stops: Stops| {
            let mut queue: VecDeque<u32> = (0..n as u32)
                .filter(|&i| fact(&mut out[i as usize]).is_some())
                .collect();
            while let Some(f) = queue.pop_front() {
                for &(g, s) in &callers[f as usize] {
                    let (gd, site) = (&fns[g as usize], &fns[g as usize].sites[s as usize]);
                    if gd.is_async || !site.sync || fact(&mut out[g as usize]).is_some() {
                        continue;
                    }
                    if stops(out, gd, f) {
                        continue;
                    }
                    *fact(&mut out[g as usize]) = Some(Via::Call(f));
                    queue.push_back(g);
                }
            }
        };
    // A fn that names `/proc` or `/sys` files reads the kernel's tables through its
    // file-reading helpers (`read_u64(&root.join("memory.max"))`): no disk wait.
    up_sync_calls(
        &mut out,
        |s| &mut s.blocks,
        |out, g, f| g.local.names_kernel_files && ends_in_file_read(out, f),
    );
    up_sync_calls(&mut out, |s| &mut s.drives, |_, _, _| false);

    // Facts that flow up every edge of some kind, to a fixpoint.
    let flows_up = |out: &mut Vec<Summary>,
                    edge: &dyn Fn(&FnDef, u32) -> bool,
                    has: &dyn Fn(&Summary) -> bool,
                    set: &dyn Fn(&mut Summary, u32)| {
        let mut queue: VecDeque<u32> = (0..n as u32).filter(|&i| has(&out[i as usize])).collect();
        while let Some(f) = queue.pop_front() {
            for &(g, s) in &callers[f as usize] {
                if !edge(&fns[g as usize], s) || has(&out[g as usize]) {
                    continue;
                }
                set(&mut out[g as usize], f);
                queue.push_back(g);
            }
        }
    };
    flows_up(&mut out, &|_, _| true, &|s| s.uses_tokio, &|s, _| {
        s.uses_tokio = true
    });
    flows_up(
        &mut out,
        &|g, s| g.sites[s as usize].tail,
        &|s| s.guard,
        &|s, _| s.guard = true,
    );
    flows_up(
        &mut out,
        &|g, s| g.has_self && matches!(g.sites[s as usize].callee.target, Target::SelfMethod(_)),
        &|s| s.mutates_shared,
        &|s, _| s.mutates_shared = true,
    );
    flows_up(
        &mut out,
        &|g, s| g.sites[s as usize].awaited && (g.is_async || g.future != FutureShape::NotFuture),
        &|s| s.cancel_unsafe.is_some(),
        &|s, f| s.cancel_unsafe = Some(Via::Call(f)),
    );
    flows_up(
        &mut out,
        // Awaited as part of the fn's own run, not in a task it spawns.
        &|g, s| g.local.awaits.contains(&Await::Site(s)),
        &|s| s.writes_disk,
        &|s, _| s.writes_disk = true,
    );
    flows_up(
        &mut out,
        &|g, s| g.local.awaits.contains(&Await::Site(s)),
        &|s| s.awaits_write,
        &|s, _| s.awaits_write = true,
    );

    // Spawned parameters and locked fields: sets that grow along their edges.
    let mut changed = true;
    let mut rounds = 0;
    while changed && rounds <= n {
        changed = false;
        rounds += 1;
        for g in 0..n {
            for (s, target) in resolved[g].iter().enumerate() {
                let Some(f) = target else { continue };
                let f = *f as usize;
                let site = &fns[g].sites[s];
                let mut add = 0u64;
                for &(arg, param) in &site.passes {
                    if arg < 64 && param < 64 && out[f].spawns & (1 << arg) != 0 {
                        add |= 1 << param;
                    }
                }
                if add & !out[g].spawns != 0 {
                    out[g].spawns |= add;
                    changed = true;
                }
                let mut locked = 0u64;
                for &(arg, param) in &site.passes {
                    if arg < 64 && param < 64 && out[f].locks_params & (1 << arg) != 0 {
                        locked |= 1 << param;
                    }
                }
                if locked & !out[g].locks_params != 0 {
                    out[g].locks_params |= locked;
                    changed = true;
                }
                // Fields of `self` flow up through `self.method(..)` calls; `static`s
                // (`::NAME`) through every call made as part of the caller's own run.
                let on_self = matches!(site.callee.target, Target::SelfMethod(_));
                let own_run = site.sync || fns[g].local.awaits.contains(&Await::Site(s as u32));
                if f != g && (on_self || own_run) {
                    let new: Vec<String> = out[f]
                        .locks
                        .iter()
                        .filter(|l| {
                            (if l.starts_with("::") {
                                own_run
                            } else {
                                on_self
                            }) && !out[g].locks.contains(l)
                        })
                        .cloned()
                        .collect();
                    if !new.is_empty() {
                        out[g].locks.extend(new);
                        changed = true;
                    }
                }
            }
        }
    }

    // Where production code runs is decided by production callers: a test that
    // calls a start-up fn on its own runtime says nothing about how `main` runs it.
    let production = |calls: &mut dyn Iterator<Item = &(u32, u32)>| -> Vec<(u32, u32)> {
        calls
            .copied()
            .filter(|&(g, _)| !fns[g as usize].in_test)
            .collect()
    };
    let prod_callers: Vec<Vec<(u32, u32)>> =
        callers.iter().map(|c| production(&mut c.iter())).collect();

    // Outside any runtime, and alone on its runtime: least fixpoints, so a cycle of
    // calls stays unknown.
    let outside = called_where(
        &callers,
        Callers::All,
        |f| {
            let d = &fns[f];
            !d.is_async
                && d.future == FutureShape::NotFuture
                && !d.local.enters_runtime
                && !d.exported
        },
        |set, g, s| {
            let site = &fns[g].sites[s];
            site.outside_runtime || (site.sync && !fns[g].is_async && set[g])
        },
    );
    let alone = called_where(
        &prod_callers,
        Callers::All,
        |f| {
            let d = &fns[f];
            d.is_async && !d.exported && !d.in_test && d.trait_name.is_none()
        },
        |set, g, s| match fns[g].sites[s].alone {
            Alone::Always => true,
            Alone::IfCaller => set[g],
            Alone::IfRuntime(maker) => resolved[g]
                .get(maker as usize)
                .copied()
                .flatten()
                .is_some_and(|m| fns[m as usize].local.returns_runtime),
            Alone::No => false,
        },
    );
    let main_thread = called_where(
        &prod_callers,
        Callers::All,
        |f| {
            let d = &fns[f];
            d.is_async && !d.exported && !d.in_test && d.trait_name.is_none()
        },
        |set, g, s| match fns[g].sites[s].main_thread {
            MainThread::Always => true,
            MainThread::IfCaller => set[g],
            MainThread::No => false,
        },
    );
    let in_task = called_where(
        &callers,
        Callers::Any,
        |_| true,
        |set, g, s| {
            let site = &fns[g].sites[s];
            site.in_task || (site.awaited && set[g])
        },
    );
    // An impl of a trait the crate declares runs once when every call that may
    // dispatch to it does.
    let once_callers: Vec<Vec<(u32, u32)>> = callers
        .iter()
        .zip(dispatched)
        .map(|(direct, by_trait)| production(&mut direct.iter().chain(by_trait)))
        .collect();
    let once = called_where(
        &once_callers,
        Callers::All,
        |f| {
            let d = &fns[f];
            // What an unpublished library exports only its workspace calls, and
            // the run sees those calls.
            (!d.exported || d.local.workspace_only)
                && !d.in_test
                && (d.trait_name.is_none() || !dispatched[f].is_empty())
        },
        |set, g, s| {
            let site = &fns[g].sites[s];
            site.once && !site.in_task && (fns[g].local.once_root || set[g])
        },
    );
    for (((((summary, outside), alone), main_thread), in_task), once) in out
        .iter_mut()
        .zip(outside)
        .zip(alone)
        .zip(main_thread)
        .zip(in_task)
        .zip(once)
    {
        summary.outside_runtime = outside;
        summary.runs_alone = alone;
        summary.main_thread = main_thread;
        summary.in_task = in_task;
        summary.runs_once = once;
    }

    // Futures: a fn that returns what another returns is what that one is.
    for (g, s) in out.iter_mut().enumerate() {
        s.future = future_kind(fns, resolved, g, 0);
    }

    // In-process only: the greatest set of async fns whose awaits are in-process
    // operations or calls of fns of the set.
    let mut inside: Vec<bool> = fns
        .iter()
        .map(|f| {
            (f.is_async || f.future != FutureShape::NotFuture)
                && f.local.awaits.iter().all(|a| *a != Await::Other)
        })
        .collect();
    loop {
        let mut removed = false;
        for g in 0..n {
            if !inside[g] {
                continue;
            }
            let out_of_set = fns[g].local.awaits.iter().any(|a| match a {
                // An unresolved lock or channel op waits in the process.
                Await::Site(s) => match resolved[g][*s as usize] {
                    Some(f) => !inside[f as usize],
                    None => !fns[g].sites[*s as usize].in_process,
                },
                _ => false,
            });
            if out_of_set {
                inside[g] = false;
                removed = true;
            }
        }
        if !removed {
            break;
        }
    }
    for (s, inside) in out.iter_mut().zip(inside) {
        s.in_process_only = inside;
    }
    out
}

fn future_kind(fns: &[FnDef], resolved: &[Vec<Option<u32>>], g: usize, depth: usize) -> FutureKind {
    match fns[g].future {
        FutureShape::NotFuture => FutureKind::NotFuture,
        FutureShape::Lazy => FutureKind::Lazy,
        FutureShape::Eager => FutureKind::Eager,
        FutureShape::Unknown => FutureKind::Unknown,
        FutureShape::Delegates if depth < 16 => {
            let tail = fns[g].sites.iter().position(|s| s.tail);
            match tail.and_then(|s| resolved[g][s]) {
                Some(f) => match future_kind(fns, resolved, f as usize, depth + 1) {
                    FutureKind::NotFuture => FutureKind::Unknown,
                    k => k,
                },
                None => FutureKind::Unknown,
            }
        }
        FutureShape::Delegates => FutureKind::Unknown,
    }
}

/// Which callers a fact needs: every one (and at least one), or any one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Callers {
    All,
    Any,
}

/// The fns among `candidate` whose callers (every one, or any one) call them through
/// a site that `via` accepts (given the set so far, the caller and the site): a least
/// fixpoint, so a cycle of calls stays out.
fn called_where(
    callers: &[Vec<(u32, u32)>],
    which: Callers,
    candidate: impl Fn(usize) -> bool,
    via: impl Fn(&[bool], usize, usize) -> bool,
) -> Vec<bool> {
    let n = callers.len();
    let mut set = vec![false; n];
    let mut changed = true;
    let mut rounds = 0;
    while changed && rounds <= n {
        changed = false;
        rounds += 1;
        for f in 0..n {
            if set[f] || callers[f].is_empty() || !candidate(f) {
                continue;
            }
            let mut sites = callers[f].iter();
            let through = |&(g, s): &(u32, u32)| via(&set, g as usize, s as usize);
            let holds = match which {
                Callers::All => sites.all(through),
                Callers::Any => sites.any(through),
            };
            if holds {
                set[f] = true;
                changed = true;
            }
        }
    }
    set
}

/// Whether the blocking chain from `f` ends in reading a file (`std::fs::read_to_string`,
/// `File::open`, `read_dir`, `metadata`).
fn ends_in_file_read(out: &[Summary], mut f: u32) -> bool {
    // Each step of a chain is found breadth first, so it ends; the bound is a guard.
    for _ in 0..out.len() {
        match &out[f as usize].blocks {
            Some(Via::Call(g)) => f = *g,
            Some(Via::Op(op)) => return crate::semantic::blocking::reads_files(op),
            None => return false,
        }
    }
    false
}
