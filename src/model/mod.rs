//! The crate-wide model: what each fn of the checked crates does.
//!
//! Pass one records, for every fn and method, a [`FnDef`]: its place (crate, module,
//! `impl` type), what its signature says, what its own body shows (a blocking call
//! made while it runs, a spawn of a future parameter, a guard returned, ...), and the
//! calls it makes, each naming its callee as the syntax does. Once every file is read,
//! [`Model::build`] resolves each call to the one fn of the same crate it names (an
//! ambiguous name resolves to nothing, never to a guess) and propagates the facts over
//! the call graph to a fixpoint. Rules ask the model through deferred queries
//! ([`crate::semantic::index::ModelQuery`]); none re-derives what it knows.

mod facts;
pub mod messages;
mod propagate;
pub mod record;
mod resolve;

pub use facts::{Await, FnDef, FutureShape, Local, Site};
pub use propagate::{FutureKind, Summary, Via};

use crate::diagnostic::Diagnostic;
use crate::semantic::callee::{Callee, Target};
use crate::semantic::clients::ClientKind;
use crate::semantic::index::{CrateIndex, Deferred, IndexQuery, ModelQuery};
use record::{ClientPlace, ClientSite};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// What pass one gathers for the model, merged across files in any order.
#[derive(Default, Debug)]
pub struct ModelBuilder {
    fns: Vec<FnDef>,
    /// Structs that hold a synchronous guard: `(crate, name)`.
    guard_structs: HashSet<(u32, String)>,
    /// Each crate's library name.
    libs: HashMap<u32, String>,
    /// The library names each crate links (its dependencies checked in the run).
    links: HashMap<u32, Vec<String>>,
    /// Network clients built, and used for awaited calls where they were not built:
    /// `(crate, site)`.
    clients: Vec<(u32, ClientSite)>,
    client_uses: Vec<(u32, ClientSite)>,
    /// Each file's structs and enums as channel messages, with its crate.
    messages: Vec<(u32, messages::FileMessages)>,
    /// Each crate's structs with named fields, and what each field holds.
    struct_fields: Vec<(u32, record::StructFields)>,
    /// Each crate's type aliases that name a type.
    aliases: Vec<(u32, (String, String))>,
    /// Field names some code of the crate may grow a collection under: `(crate,
    /// field)`.
    grown: HashSet<(u32, String)>,
}

impl ModelBuilder {
    pub fn add_messages(&mut self, krate: u32, m: messages::FileMessages) {
        if !m.is_empty() {
            self.messages.push((krate, m));
        }
    }

    pub fn add_clients(&mut self, krate: u32, built: Vec<ClientSite>, used: Vec<ClientSite>) {
        self.clients.extend(built.into_iter().map(|c| (krate, c)));
        self.client_uses
            .extend(used.into_iter().map(|c| (krate, c)));
    }

    pub fn add_fns(&mut self, fns: impl IntoIterator<Item = FnDef>) {
        self.fns.extend(fns);
    }

    pub fn add_struct_fields(
        &mut self,
        krate: u32,
        structs: impl IntoIterator<Item = record::StructFields>,
    ) {
        self.struct_fields
            .extend(structs.into_iter().map(|s| (krate, s)));
    }

    pub fn add_aliases(&mut self, krate: u32, aliases: impl IntoIterator<Item = (String, String)>) {
        self.aliases.extend(aliases.into_iter().map(|a| (krate, a)));
    }

    pub fn add_grown_fields(&mut self, krate: u32, fields: impl IntoIterator<Item = String>) {
        self.grown.extend(fields.into_iter().map(|f| (krate, f)));
    }

    pub fn add_guard_struct(&mut self, krate: u32, name: String) {
        self.guard_structs.insert((krate, name));
    }

    pub fn set_lib(&mut self, krate: u32, name: String) {
        self.libs.insert(krate, name);
    }

    pub fn set_links(&mut self, krate: u32, linked: Vec<String>) {
        self.links.insert(krate, linked);
    }

    pub fn merge(&mut self, other: ModelBuilder) {
        self.fns.extend(other.fns);
        self.guard_structs.extend(other.guard_structs);
        self.libs.extend(other.libs);
        self.links.extend(other.links);
        self.clients.extend(other.clients);
        self.client_uses.extend(other.client_uses);
        self.messages.extend(other.messages);
        self.struct_fields.extend(other.struct_fields);
        self.aliases.extend(other.aliases);
        self.grown.extend(other.grown);
    }
}

/// How dropping a type blocks: its own `impl Drop` (`through` empty), or a field it
/// owns whose type's drop blocks (`through` = `["RequestCtx.audit"]`).
struct DropVia {
    /// The `drop` fn that blocks.
    drop_fn: u32,
    through: Vec<String>,
}

/// The types of each crate whose drop blocks: an `impl Drop` whose `drop` blocks, and
/// then, to a fixpoint, every struct that owns a field of such a type (its drop glue
/// drops the field).
fn blocking_drops(
    fns: &[FnDef],
    summaries: &[Summary],
    tables: &resolve::Tables,
) -> HashMap<(u32, String), DropVia> {
    let mut found: HashMap<(u32, String), DropVia> = fns
        .iter()
        .enumerate()
        .filter(|(i, f)| {
            f.trait_name.as_deref() == Some("Drop")
                && f.name == "drop"
                && summaries[*i].blocks.is_some()
        })
        .filter_map(|(i, f)| {
            let via = DropVia {
                drop_fn: i as u32,
                through: Vec::new(),
            };
            Some(((f.scope.krate, f.scope.self_ty.clone()?), via))
        })
        .collect();
    if found.is_empty() {
        return found;
    }
    // Each struct with the fields it owns: (field, owned type).
    type Owned<'t> = Vec<(&'t String, &'t String)>;
    let mut structs: Vec<(&(u32, String), Owned)> = tables
        .structs()
        .map(|(key, fields)| {
            let mut owned: Vec<(&String, &String)> = fields
                .values()
                .filter_map(|f| Some((&f.name, f.owns.as_ref()?)))
                .collect();
            owned.sort();
            (key, owned)
        })
        .filter(|(_, owned)| !owned.is_empty())
        .collect();
    structs.sort_by(|a, b| a.0.cmp(b.0));
    // Each round adds the structs one field away from a known type; a chain of
    // structs is at most as long as there are structs.
    loop {
        let mut added = Vec::new();
        for (key, owned) in &structs {
            if found.contains_key(*key) {
                continue;
            }
            let hit = owned
                .iter()
                .find_map(|(field, ty)| Some((field, found.get(&(key.0, (*ty).clone()))?)));
            if let Some((field, via)) = hit {
                let mut through = vec![format!("{}.{field}", key.1)];
                through.extend(via.through.iter().cloned());
                let via = DropVia {
                    drop_fn: via.drop_fn,
                    through,
                };
                added.push(((*key).clone(), via));
            }
        }
        if added.is_empty() {
            return found;
        }
        found.extend(added);
    }
}

/// The resolved, propagated model.
pub struct Model {
    fns: Vec<FnDef>,
    summaries: Vec<Summary>,
    tables: resolve::Tables,
    /// Types whose drop blocks: `(crate, T)` → how (see [`DropVia`]).
    blocking_drops: HashMap<(u32, String), DropVia>,
    clients: Vec<(u32, ClientSite)>,
    /// Sorted by file and line.
    client_uses: Vec<(u32, ClientSite)>,
    /// Message types every value of which carries a reply sender: `(crate, name)`.
    requests: HashSet<(u32, String)>,
    /// Structs and enums of plain data: `(crate, name)`.
    plain: HashSet<(u32, String)>,
    /// Field names some code of the crate may grow a collection under.
    grown: HashSet<(u32, String)>,
}

impl Model {
    pub fn build(builder: ModelBuilder) -> Model {
        let ModelBuilder {
            fns,
            guard_structs,
            libs,
            links,
            clients,
            mut client_uses,
            messages,
            struct_fields,
            aliases,
            grown,
        } = builder;
        let requests = messages::requests(&messages);
        let plain = messages::plain(&messages);
        drop(messages);
        client_uses.sort_by(|a, b| (&a.1.file, a.1.line).cmp(&(&b.1.file, b.1.line)));
        // Files finish in any order: sort, so that every answer (and the chain a
        // message names) is the same from run to run.
        // A fn is large: sort their positions, then move each fn once.
        let mut order: Vec<u32> = (0..fns.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&fns[a as usize], &fns[b as usize]);
            let file = if std::sync::Arc::ptr_eq(&a.file, &b.file) {
                std::cmp::Ordering::Equal
            } else {
                a.file.cmp(&b.file)
            };
            file.then_with(|| (a.line, &a.name, a.params).cmp(&(b.line, &b.name, b.params)))
        });
        let mut slots: Vec<Option<FnDef>> = fns.into_iter().map(Some).collect();
        let mut fns: Vec<FnDef> = order
            .iter()
            .filter_map(|&i| slots[i as usize].take())
            .collect();
        for f in &mut fns {
            if let Some(t) = &f.returns_type {
                if guard_structs.contains(&(f.scope.krate, t.clone())) {
                    f.local.returns_guard = true;
                }
            }
        }
        let tables = resolve::Tables::new(&fns, libs, links, struct_fields, aliases);
        let resolved: Vec<Vec<Option<u32>>> = fns
            .iter()
            .map(|f| {
                f.sites
                    .iter()
                    .map(|s| tables.resolve(&fns, &s.callee))
                    .collect()
            })
            .collect();
        let dispatched = resolve::dispatched_callers(&fns, &tables, &resolved);
        let summaries = propagate::summaries(&fns, &resolved, &dispatched);
        let blocking_drops = blocking_drops(&fns, &summaries, &tables);
        Model {
            fns,
            summaries,
            tables,
            blocking_drops,
            clients,
            client_uses,
            requests,
            plain,
            grown,
        }
    }

    /// A model of nothing: every question about a callee is answered "unknown".
    pub fn empty() -> Model {
        Model::build(ModelBuilder::default())
    }

    pub fn len(&self) -> usize {
        self.fns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fns.is_empty()
    }

    /// The fn a call names, if exactly one fn of its crate answers to it.
    pub fn resolve(&self, c: &Callee) -> Option<usize> {
        self.tables.resolve(&self.fns, c).map(|i| i as usize)
    }

    pub fn def(&self, i: usize) -> &FnDef {
        &self.fns[i]
    }

    pub fn summary(&self, i: usize) -> &Summary {
        &self.summaries[i]
    }

    /// The fns whose name is at this file and line.
    fn defined_at<'m>(&'m self, file: &'m str, line: u32) -> impl Iterator<Item = usize> + 'm {
        self.fns
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.line == line && &*f.file == file)
            .map(|(i, _)| i)
    }

    fn summary_of(&self, c: &Callee) -> Option<&Summary> {
        self.resolve(c).map(|i| &self.summaries[i])
    }

    /// Whether the model answers yes.
    pub fn holds(&self, q: &ModelQuery) -> bool {
        match q {
            ModelQuery::Blocks(c) => self.summary_of(c).is_some_and(|s| s.blocks.is_some()),
            ModelQuery::DropBlocks { krate, ty } => {
                self.blocking_drops.contains_key(&(*krate, ty.clone()))
            }
            ModelQuery::ConsumesSelf(c) => self
                .resolve(c)
                .is_some_and(|i| self.fns[i].local.consumes_self),
            ModelQuery::Eager(c) => self
                .summary_of(c)
                .is_some_and(|s| s.future == FutureKind::Eager),
            ModelQuery::SpawnsArg { callee, arg } => self
                .summary_of(callee)
                .is_some_and(|s| *arg < 64 && s.spawns & (1 << arg) != 0),
            ModelQuery::StartsTaskFor { callee, arg } => {
                let Some(i) = self.resolve(callee) else {
                    return false;
                };
                let spawns = *arg < 64 && self.summaries[i].spawns & (1 << arg) != 0;
                spawns
                    || u8::try_from(*arg).is_ok_and(|a| self.fns[i].local.runs_params.contains(&a))
            }
            ModelQuery::ReturnsGuard(c) => self.summary_of(c).is_some_and(|s| s.guard),
            ModelQuery::InProcessOnly(c) => self.summary_of(c).is_some_and(|s| s.in_process_only),
            ModelQuery::MutatesShared(c) => self.summary_of(c).is_some_and(|s| s.mutates_shared),
            ModelQuery::WritesDisk(c) => self.summary_of(c).is_some_and(|s| s.writes_disk),
            ModelQuery::AwaitsWrite(c) => self.summary_of(c).is_some_and(|s| s.awaits_write),
            ModelQuery::CancelUnsafe(c) => self
                .summary_of(c)
                .is_some_and(|s| s.cancel_unsafe.is_some()),
            ModelQuery::UsesTokio(c) => self.summary_of(c).is_some_and(|s| s.uses_tokio),
            ModelQuery::Locks { callee, field } => self
                .summary_of(callee)
                .is_some_and(|s| s.locks.iter().any(|l| l == field)),
            ModelQuery::LocksArg { callee, arg } => self
                .summary_of(callee)
                .is_some_and(|s| *arg < 64 && s.locks_params & (1 << arg) != 0),
            // What a call returns is in the signature: a method every candidate of
            // which (the trait's declaration and its impls) returns a `Result` does.
            ModelQuery::ReturnsResult(c) => {
                let candidates = self.tables.method_candidates(&self.fns, c);
                !candidates.is_empty()
                    && candidates
                        .iter()
                        .all(|&i| self.fns[i as usize].returns_result)
            }
            ModelQuery::Resolves(c) => self.resolve(c).is_some(),
            ModelQuery::ReturnsValue { callee, ty } => self
                .resolve(callee)
                .is_some_and(|i| self.fns[i].returns_value.as_deref() == Some(ty.as_str())),
            ModelQuery::FieldIs { callee, ty } => match &callee.target {
                Target::FieldMethod { base, fields, .. } => {
                    self.tables
                        .field_path(&self.fns, callee, base, fields)
                        .as_deref()
                        == Some(ty.as_str())
                }
                _ => false,
            },
            ModelQuery::FieldOfType {
                krate,
                ty,
                field_ty,
            } => self.tables.field_of_type(*krate, ty, field_ty).is_some(),
            ModelQuery::FieldGrown { krate, field } => {
                self.grown.contains(&(*krate, field.clone()))
            }
            ModelQuery::AsyncNamesake(c) => self.tables.async_namesake(&self.fns, c),
            ModelQuery::ResolvesToSync(c) => self
                .resolve(c)
                // The impls of a trait's method have its signature.
                .or_else(|| Some(self.tables.trait_method(&self.fns, c)? as usize))
                .is_some_and(|i| {
                    let f = &self.fns[i];
                    !f.is_async && f.future == FutureShape::NotFuture
                }),
            ModelQuery::CarriesReply { krate, lib, ty } => {
                let krate = match lib {
                    Some(lib) => self.tables.crate_of_lib(lib),
                    None => Some(*krate),
                };
                krate.is_some_and(|k| self.requests.contains(&(k, ty.clone())))
            }
            ModelQuery::PlainData { krate, ty } => self.plain.contains(&(*krate, ty.clone())),
            ModelQuery::ReturnsResultHandle(c) => self
                .resolve(c)
                .is_some_and(|i| self.fns[i].returns_result_handle),
            ModelQuery::DrivesFuture(c) => self.summary_of(c).is_some_and(|s| s.drives.is_some()),
            ModelQuery::BuilderWithoutDeadline(c) => self.resolve(c).is_some_and(|i| {
                self.fns[i].returns_type.as_deref() == Some("ClientBuilder")
                    && !self.fns[i].local.sets_timeout
            }),
            ModelQuery::ReturnsFixed(c) => self.resolve(c).is_some_and(|i| {
                let local = &self.fns[i].local;
                local.returns_fixed || local.returns_capped || local.returns_handles
            }),
            ModelQuery::RunsForever(c) => self
                .resolve(c)
                .is_some_and(|i| self.fns[i].local.runs_forever),
            ModelQuery::Worker(c) => self.resolve(c).is_some_and(|i| {
                let local = &self.fns[i].local;
                local.worker || local.runs_forever
            }),
            ModelQuery::OutsideRuntime { file, line } => {
                let mut at = self.defined_at(file, *line).peekable();
                at.peek().is_some() && at.all(|i| self.summaries[i].outside_runtime)
            }
            // Tasks that share one thread: the program's entry runs them all there.
            ModelQuery::InTask { file, line } => self.defined_at(file, *line).any(|i| {
                let krate = self.fns[i].scope.krate;
                self.summaries[i].in_task
                    && self
                        .fns
                        .iter()
                        .any(|f| f.scope.krate == krate && f.local.single_thread_entry)
            }),
            ModelQuery::RunsOnce { file, line } => {
                let mut at = self.defined_at(file, *line).peekable();
                at.peek().is_some()
                    && at.all(|i| self.fns[i].local.once_root || self.summaries[i].runs_once)
            }
            ModelQuery::BlocksOneOff(c) => self
                .resolve(c)
                .and_then(|i| self.chain_end(i, |s| s.blocks.as_ref()))
                .is_some_and(|end| self.fns[end].local.blocks_one_off),
            ModelQuery::RunsAlone {
                file,
                line,
                after_spawn,
            } => {
                let mut at = self.defined_at(file, *line).peekable();
                at.peek().is_some()
                    && at.all(|i| {
                        let s = &self.summaries[i];
                        s.main_thread || (s.runs_alone && !after_spawn)
                    })
            }
            // A client built without a deadline is the crate's client when the crate
            // uses a client it did not build on the spot, and builds none with one.
            ModelQuery::ClientUsedWithoutDeadline {
                krate,
                kind,
                file,
                line,
            } => {
                if !self.uses_of_built(*krate, *kind, file, *line).is_empty() {
                    return true;
                }
                let used = self
                    .client_uses
                    .iter()
                    .any(|(k, u)| k == krate && u.kind == *kind);
                let bounded = self
                    .clients
                    .iter()
                    .any(|(k, c)| k == krate && c.kind == *kind && c.deadline);
                used && !bounded
            }
        }
    }

    /// The awaited calls with no deadline of their own made with the client built
    /// (with no deadline) at `file:line`: those through the field it is kept in.
    fn uses_of_built(
        &self,
        krate: u32,
        kind: ClientKind,
        file: &str,
        line: u32,
    ) -> Vec<&ClientSite> {
        let built = self.clients.iter().find(|(k, c)| {
            *k == krate && c.kind == kind && !c.deadline && c.line == line && &*c.file == file
        });
        let Some(place) = built.and_then(|(_, c)| c.place.as_ref()) else {
            return Vec::new();
        };
        let field = match place {
            ClientPlace::Field { .. } => Some(place.clone()),
            ClientPlace::Arg { callee, arg } => self.resolve(callee).and_then(|i| {
                let stored = self.fns[i].local.stores_params.iter();
                stored
                    .filter(|(a, _, _)| a == arg)
                    .map(|(_, ty, field)| ClientPlace::Field {
                        ty: ty.clone(),
                        field: field.clone(),
                    })
                    .next()
            }),
        };
        let Some(field) = field else {
            return Vec::new();
        };
        self.client_uses
            .iter()
            .filter(|(k, u)| *k == krate && u.kind == kind && u.place.as_ref() == Some(&field))
            .map(|(_, u)| u)
            .collect()
    }

    /// The chain of calls behind a yes, callee first: `["load_config", "read_file",
    /// "std::fs::read_to_string"]`. Empty for questions without one.
    pub fn chain(&self, q: &ModelQuery) -> Vec<String> {
        type Pick = fn(&Summary) -> Option<&Via>;
        let (start, pick): (Option<usize>, Pick) = match q {
            ModelQuery::Blocks(c) => (self.resolve(c), |s| s.blocks.as_ref()),
            ModelQuery::DrivesFuture(c) => (self.resolve(c), |s| s.drives.as_ref()),
            ModelQuery::DropBlocks { krate, ty } => {
                let Some(via) = self.blocking_drops.get(&(*krate, ty.clone())) else {
                    return Vec::new();
                };
                let mut out = via.through.clone();
                out.extend(self.chain_from(via.drop_fn as usize, |s| s.blocks.as_ref()));
                return out;
            }
            ModelQuery::CancelUnsafe(c) => (self.resolve(c), |s| s.cancel_unsafe.as_ref()),
            ModelQuery::FieldOfType {
                krate,
                ty,
                field_ty,
            } => {
                return (self.tables.field_of_type(*krate, ty, field_ty))
                    .map(|f| vec![f.to_string()])
                    .unwrap_or_default();
            }
            // The callers that decide it, as places.
            ModelQuery::OutsideRuntime { file, line } => {
                let mut callers: Vec<String> = Vec::new();
                let defined: Vec<usize> = self.defined_at(file, *line).collect();
                for (g, f) in self.fns.iter().enumerate() {
                    for s in &f.sites {
                        let here = self
                            .resolve(&s.callee)
                            .is_some_and(|t| defined.contains(&t));
                        let name = format!("`{}` ({}:{})", f.display_name(), f.file, f.line);
                        if here && !callers.contains(&name) && g < self.fns.len() {
                            callers.push(name);
                        }
                    }
                }
                callers.truncate(3);
                return callers;
            }
            ModelQuery::ClientUsedWithoutDeadline {
                krate,
                kind,
                file,
                line,
            } => {
                let own = self.uses_of_built(*krate, *kind, file, *line);
                let sites: Vec<String> = if own.is_empty() {
                    self.client_uses
                        .iter()
                        .filter(|(k, u)| k == krate && u.kind == *kind)
                        .map(|(_, u)| format!("{}:{}", u.file, u.line))
                        .collect()
                } else {
                    own.iter()
                        .map(|u| format!("{}:{}", u.file, u.line))
                        .collect()
                };
                let mut shown: Vec<String> = sites.iter().take(3).cloned().collect();
                if sites.len() > 3 {
                    shown.push(format!("{} more", sites.len() - 3));
                }
                return shown;
            }
            _ => return Vec::new(),
        };
        match start {
            Some(i) => self.chain_from(i, pick),
            None => Vec::new(),
        }
    }

    /// The chain from fn `i`, following `pick` to the operation it ends in.
    fn chain_from(&self, i: usize, pick: fn(&Summary) -> Option<&Via>) -> Vec<String> {
        let mut out: Vec<String> = self
            .chain_fns(i, pick)
            .map(|f| self.fns[f].display_name())
            .collect();
        let op = self
            .chain_end(i, pick)
            .and_then(|end| match pick(&self.summaries[end]) {
                Some(Via::Op(op)) => Some(op.clone()),
                _ => None,
            });
        out.extend(op);
        out
    }

    /// The fns along the chain `pick` follows from `i`, `i` first (at most 65).
    fn chain_fns(
        &self,
        i: usize,
        pick: fn(&Summary) -> Option<&Via>,
    ) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(i), move |&f| match pick(&self.summaries[f]) {
            Some(Via::Call(next)) => Some(*next as usize),
            _ => None,
        })
        .take(65)
    }

    /// The fn at the end of the chain `pick` follows from `i`: the one that does the
    /// operation itself, if the chain reaches it.
    fn chain_end(&self, i: usize, pick: fn(&Summary) -> Option<&Via>) -> Option<usize> {
        self.chain_fns(i, pick)
            .last()
            .filter(|&f| matches!(pick(&self.summaries[f]), Some(Via::Op(_))))
    }

    /// Decides a deferred diagnostic: `Some` (completed with the chain the answer
    /// follows) if the index and the model say it holds.
    pub fn decide(&self, d: &Deferred, index: &CrateIndex) -> Option<Diagnostic> {
        if !d.holds_with(index, &|q| self.holds(q)) {
            return None;
        }
        let mut diagnostic = d.diagnostic.clone();
        if let Some(explain) = &d.explain {
            let chain = first_model_query(&d.query)
                .map(|q| self.chain(q))
                .unwrap_or_default();
            if explain.places {
                if !chain.is_empty() {
                    let listed = chain.join(", ");
                    diagnostic
                        .notes
                        .push(explain.note.replace("{chain}", &listed));
                }
            } else {
                if let Some(op) = chain.last() {
                    diagnostic.message = diagnostic.message.replace("{op}", op);
                    if let Some(help) = &mut diagnostic.help {
                        *help = help.replace("{op}", op);
                    }
                }
                if chain.len() > 1 {
                    diagnostic
                        .notes
                        .push(explain.note.replace("{chain}", &chain_text(&chain)));
                }
            }
        }
        Some(diagnostic)
    }
}

fn first_model_query(q: &IndexQuery) -> Option<&ModelQuery> {
    match q {
        IndexQuery::Model(m) => Some(m),
        IndexQuery::All(qs) | IndexQuery::Any(qs) => qs.iter().find_map(first_model_query),
        _ => None,
    }
}

/// How a chain reads in a note: `load_config` → `read_file` → `std::fs::read`.
pub fn chain_text(chain: &[String]) -> String {
    chain
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model of one source text, checked as a crate of its own.
    pub(crate) fn model_of(files: &[(&str, &str)]) -> Model {
        let mut builder = ModelBuilder::default();
        for (path, text) in files {
            let a = crate::engine::analyze_source(path, text, &[]).expect("parses");
            a.add_to_model(&mut builder);
        }
        Model::build(builder)
    }

    fn callee(
        krate: u32,
        module: &[&str],
        target: crate::semantic::callee::Target,
        args: usize,
    ) -> Callee {
        Callee {
            scope: std::sync::Arc::new(crate::semantic::callee::Scope {
                krate,
                module: module.iter().map(|s| s.to_string()).collect(),
                self_ty: None,
            }),
            target,
            args,
            awaited: false,
        }
    }

    fn path(p: &str, args: usize) -> Callee {
        use crate::semantic::callee::Target;
        callee(
            0,
            &[],
            Target::Path(p.split("::").map(str::to_string).collect()),
            args,
        )
    }

    fn chain_of(m: &Model, p: &str, args: usize) -> Vec<String> {
        m.chain(&ModelQuery::Blocks(path(p, args)))
    }

    /// A client built without a deadline is followed into the field it is kept in:
    /// handed straight to a constructor that stores it, or bound first. A client built
    /// with a deadline elsewhere in the crate does not cover it; uses with deadlines of
    /// their own do not count.
    #[test]
    fn a_client_is_followed_into_its_field() {
        let m = model_of(&[
            (
                "main.rs",
                "async fn main() {\n\
                 let bounded = reqwest::Client::builder().timeout(d).build().unwrap();\n\
                 let a = Api::new(bounded);\n\
                 let d = Downloader::new(reqwest::Client::new());\n\
                 let plain = reqwest::Client::new();\n\
                 let p = Probe::new(plain);\n\
                 }\n",
            ),
            (
                "lib.rs",
                "struct Api { http: reqwest::Client }\n\
                 impl Api { fn new(http: reqwest::Client) -> Self { Self { http } }\n\
                 async fn get(&self) { self.http.get(u).send().await; } }\n\
                 struct Downloader { http: reqwest::Client }\n\
                 impl Downloader { fn new(client: reqwest::Client) -> Self { Downloader { http: client } }\n\
                 async fn get(&self) { self.http.get(u).send().await; } }\n\
                 struct Probe { http: reqwest::Client }\n\
                 impl Probe { fn new(http: reqwest::Client) -> Self { Self { http } }\n\
                 async fn get(&self) { self.http.get(u).timeout(d).send().await; } }\n",
            ),
        ]);
        let used = |line: u32| {
            m.holds(&ModelQuery::ClientUsedWithoutDeadline {
                krate: 0,
                kind: ClientKind::Http,
                file: "main.rs".to_string(),
                line,
            })
        };
        assert!(used(4), "handed straight to a constructor");
        assert!(!used(5), "its one use has a deadline of its own");
        assert!(!used(2), "built with a deadline");
    }

    /// Plain data is numbers, text, paths, times and std collections of them, in any
    /// file of the crate; a field of a type of the crate's own, a generic or a token is
    /// not.
    #[test]
    fn plain_data_types() {
        let m = model_of(&[
            (
                "a.rs",
                "pub struct Job { id: u64, input: std::path::PathBuf, tags: Vec<(String, bool)> }\n\
                 pub enum Size { Small, Exact(u32, u32), Named { name: &'static str } }\n",
            ),
            (
                "b.rs",
                "pub struct Worker { token: CancellationToken }\n\
                 pub struct Wrapper { job: Job }\n\
                 pub struct Generic<T> { inner: T }\n\
                 pub enum Msg { Stop(oneshot::Sender<()>), Tick }\n",
            ),
        ]);
        let plain = |ty: &str| {
            m.holds(&ModelQuery::PlainData {
                krate: 0,
                ty: ty.to_string(),
            })
        };
        assert!(plain("Job") && plain("Size"));
        for ty in ["Worker", "Wrapper", "Generic", "Msg", "Unknown"] {
            assert!(!plain(ty), "{ty}");
        }
    }

    /// Driving a future (`block_on`) is its own fact: a helper that sleeps before it
    /// calls `block_on` blocks through the sleep and drives through the `block_on`.
    #[test]
    fn driving_a_future_propagates_apart_from_blocking() {
        let m = model_of(&[(
            "a.rs",
            "use tokio::runtime::Handle;\n\
             fn wait() { std::thread::sleep(d); Handle::current().block_on(poll()); }\n\
             fn outer() { wait() }\n\
             fn only_sleeps() { std::thread::sleep(d); }\n\
             async fn poll() {}\n",
        )]);
        let drives = |p: &str| m.holds(&ModelQuery::DrivesFuture(path(p, 0)));
        assert!(drives("wait") && drives("outer"));
        assert!(!drives("only_sleeps") && !drives("poll"));
        // An awaited call names a fn that returns a future, never a sync fn.
        let awaited = |p: &str| Callee {
            awaited: true,
            ..path(p, 0)
        };
        assert!(m.resolve(&path("only_sleeps", 0)).is_some());
        assert!(m.resolve(&awaited("only_sleeps")).is_none());
        assert!(m.resolve(&awaited("poll")).is_some());
        assert_eq!(
            chain_of(&m, "outer", 0),
            ["outer", "wait", "std::thread::sleep"]
        );
        assert_eq!(
            m.chain(&ModelQuery::DrivesFuture(path("outer", 0))),
            ["outer", "wait", "Runtime::block_on"]
        );
    }

    /// Chains take the shortest way to the blocking call; cycles end; a diamond is
    /// reached once; async fns do not pass blocking on; a name two fns share is
    /// never resolved.
    #[test]
    fn blocking_propagates_over_sync_calls_to_a_fixpoint() {
        let m = model_of(&[(
            "a.rs",
            "fn leaf() { std::thread::sleep(d); }\n\
             fn mid() { leaf() }\n\
             fn top() { mid(); }\n\
             fn short() { leaf(); mid(); }\n\
             fn left() { bottom() }\n\
             fn right() { bottom() }\n\
             fn diamond() { left(); right(); }\n\
             fn bottom() { std::fs::read(p); }\n\
             fn ping(n: u32) { if n > 0 { pong(n - 1) } }\n\
             fn pong(n: u32) { ping(n) }\n\
             fn spin(n: u32) { spin(n); leaf(); }\n\
             async fn wrapper() { leaf(); }\n\
             fn over_async() { wrapper(); }\n\
             fn in_thread() { std::thread::spawn(|| leaf()); }\n\
             fn in_block() -> impl Future<Output = ()> { async { leaf() } }\n\
             mod a { pub fn dup() { std::thread::sleep(d); } }\n\
             mod b { pub fn dup() {} }\n\
             fn calls_dup() { dup() }\n",
        )]);
        assert_eq!(
            chain_of(&m, "top", 0),
            ["top", "mid", "leaf", "std::thread::sleep"]
        );
        assert_eq!(
            chain_of(&m, "short", 0),
            ["short", "leaf", "std::thread::sleep"]
        );
        assert_eq!(
            chain_of(&m, "diamond", 0),
            ["diamond", "left", "bottom", "std::fs::read"]
        );
        assert_eq!(
            chain_of(&m, "spin", 1),
            ["spin", "leaf", "std::thread::sleep"]
        );
        for quiet in [
            "ping",
            "pong",
            "over_async",
            "in_thread",
            "in_block",
            "calls_dup",
        ] {
            let args = usize::from(quiet == "ping" || quiet == "pong");
            assert!(
                !m.holds(&ModelQuery::Blocks(path(quiet, args))),
                "{quiet} should not block"
            );
        }
        assert!(m.holds(&ModelQuery::Blocks(path("a::dup", 0))));
        assert!(!m.holds(&ModelQuery::Blocks(path("b::dup", 0))));
        assert!(!m.holds(&ModelQuery::Blocks(path("dup", 0))));
        assert!(m.holds(&ModelQuery::Resolves(path("mid", 0))));
        assert!(!m.holds(&ModelQuery::Resolves(path("mid", 1))));
    }

    /// Spawn wrappers, lazy and eager futures, guards, in-process waits, shared
    /// writes, tokio use and locked fields, each through a call of another fn.
    #[test]
    fn every_fact_propagates_through_calls() {
        use crate::semantic::callee::Target;
        let m = model_of(&[(
            "a.rs",
            "fn spawn_task<F: Future>(fut: F) { tokio::spawn(fut); }\n\
             fn spawn_named<F: Future>(name: &str, fut: F) { spawn_task(async move { fut.await }); }\n\
             fn not_a_wrapper<F: Future>(fut: F) -> F { fut }\n\
             async fn lazy() {}\n\
             impl Svc {\n\
               fn lazy_too(&self) -> impl Future<Output = ()> { let me = self.clone(); async move { me.go().await } }\n\
               fn eager(&self, m: Msg) -> impl Future<Output = Reply> { self.tx.send(m); async move { rx.await } }\n\
               fn delegates(&self) -> impl Future<Output = Reply> { self.eager(m) }\n\
             }\n\
             struct S { state: std::sync::Mutex<u8>, n: AtomicU64 }\n\
             impl S {\n\
               fn guard(&self) -> std::sync::MutexGuard<'_, u8> { self.state.lock().unwrap() }\n\
               fn guard_too(&self) -> std::sync::MutexGuard<'_, u8> { self.guard() }\n\
               fn bump(&self) { self.n.fetch_add(1, Relaxed); }\n\
               fn bump_twice(&self) { self.bump(); self.bump(); }\n\
               fn read(&self) -> u64 { self.n.load(Relaxed) }\n\
               fn locks(&self) { let g = self.state.lock().unwrap(); }\n\
               fn locks_through(&self) { self.locks() }\n\
             }\n\
             impl Cache {\n\
               async fn get(&self) -> u8 { *self.cache.lock().await }\n\
               async fn get_both(&self) -> u8 { self.get().await + self.get().await }\n\
               async fn fetch(&self) -> u8 { self.client.get(u).send().await }\n\
             }\n\
             async fn io() { tokio::net::TcpStream::connect(a).await; }\n\
             fn uses_io() -> impl Future<Output = ()> { io() }\n\
             async fn fsync(d: &Path) { tokio::fs::File::open(d).await.unwrap().sync_all().await; }\n\
             async fn install(d: &Path) { tokio::fs::rename(a, b).await; fsync(d).await; }\n\
             async fn stat(d: &Path) { tokio::fs::metadata(d).await; }\n\
             async fn pause() { tokio::task::yield_now().await; }\n\
             async fn pause_zero() { tokio::time::sleep(Duration::ZERO).await; }\n\
             async fn pause_some() { tokio::time::sleep(Duration::from_millis(1)).await; }\n\
             async fn spawns_fsync(d: PathBuf) { tokio::spawn(async move { fsync(&d).await }); }\n\
             fn pool(n: u32) -> Vec<u32> { (1..=n).map(|i| i * 2).collect() }\n\
             fn work(v: Vec<u32>) -> Vec<u32> { v.into_iter().map(|i| i * 2).collect() }\n",
        )]);
        let spawns = |p: &str, arity: usize, arg: usize| {
            m.holds(&ModelQuery::SpawnsArg {
                callee: path(p, arity),
                arg,
            })
        };
        assert!(spawns("spawn_task", 1, 0));
        assert!(spawns("spawn_named", 2, 1));
        assert!(!spawns("spawn_named", 2, 0));
        assert!(!spawns("not_a_wrapper", 1, 0));
        let method = |name: &str, args: usize| callee(0, &[], Target::Method(name.into()), args);
        let typed = |name: &str, args: usize| {
            callee(0, &[], Target::TypedMethod("S".into(), name.into()), args)
        };
        let svc = |name: &str, args: usize| {
            callee(0, &[], Target::TypedMethod("Svc".into(), name.into()), args)
        };
        assert!(!m.holds(&ModelQuery::Eager(path("lazy", 0))));
        assert!(!m.holds(&ModelQuery::Eager(svc("lazy_too", 0))));
        assert!(m.holds(&ModelQuery::Eager(svc("eager", 1))));
        assert!(m.holds(&ModelQuery::Eager(svc("delegates", 0))));
        assert!(m.holds(&ModelQuery::ReturnsGuard(typed("guard", 0))));
        assert!(m.holds(&ModelQuery::ReturnsGuard(typed("guard_too", 0))));
        assert!(!m.holds(&ModelQuery::ReturnsGuard(typed("bump", 0))));
        assert!(m.holds(&ModelQuery::MutatesShared(typed("bump_twice", 0))));
        assert!(!m.holds(&ModelQuery::MutatesShared(typed("read", 0))));
        let locks = |name: &str| ModelQuery::Locks {
            callee: typed(name, 0),
            field: "state".into(),
        };
        assert!(m.holds(&locks("locks_through")));
        assert!(!m.holds(&locks("bump")));
        let cache =
            |name: &str| callee(0, &[], Target::TypedMethod("Cache".into(), name.into()), 0);
        assert!(m.holds(&ModelQuery::InProcessOnly(cache("get_both"))));
        assert!(!m.holds(&ModelQuery::InProcessOnly(cache("fetch"))));
        assert!(!m.holds(&ModelQuery::InProcessOnly(method("fetch", 0))));
        assert!(m.holds(&ModelQuery::InProcessOnly(path("pause", 0))));
        assert!(m.holds(&ModelQuery::InProcessOnly(path("pause_zero", 0))));
        assert!(!m.holds(&ModelQuery::InProcessOnly(path("pause_some", 0))));
        assert!(m.holds(&ModelQuery::WritesDisk(path("fsync", 1))));
        assert!(m.holds(&ModelQuery::WritesDisk(path("install", 1))));
        assert!(!m.holds(&ModelQuery::WritesDisk(path("stat", 1))));
        assert!(!m.holds(&ModelQuery::WritesDisk(path("spawns_fsync", 1))));
        assert!(m.holds(&ModelQuery::ReturnsFixed(path("pool", 1))));
        assert!(!m.holds(&ModelQuery::ReturnsFixed(path("work", 1))));
        assert!(m.holds(&ModelQuery::UsesTokio(path("uses_io", 0))));
        assert!(!m.holds(&ModelQuery::UsesTokio(path("lazy", 0))));
    }

    /// A sync fn runs outside any runtime when every caller in the crate does: a
    /// thread it starts, a sync `main` without a runtime, or such a fn; one caller
    /// inside a runtime (async code, `spawn_blocking`, a `main` that builds one) or an
    /// export to other crates is enough to leave it unknown.
    #[test]
    fn fns_called_only_where_no_runtime_runs() {
        let m = model_of(&[(
            "src/main.rs",
            "fn main() { via_main(); both(); chained(); std::thread::spawn(|| via_thread()); }\n\
             fn via_main() {}\n\
             fn via_thread() {}\n\
             fn chained() { deeper(); }\n\
             fn deeper() {}\n\
             fn both() {}\n\
             async fn serve() { both(); tokio::task::spawn_blocking(|| blocking_pool()); }\n\
             fn blocking_pool() {}\n\
             fn uncalled() {}\n\
             fn with_rt() { let rt = tokio::runtime::Runtime::new().unwrap(); inside_rt(); }\n\
             fn inside_rt() {}\n\
             fn caller_of_rt() { with_rt(); }\n",
        )]);
        let at = |line: u32| ModelQuery::OutsideRuntime {
            file: "src/main.rs".into(),
            line,
        };
        for (line, outside) in [
            (1, false),
            (2, true),
            (3, true),
            (4, true),
            (5, true),
            (6, false),
            (8, false),
            (9, false),
            (10, false),
            (11, false),
        ] {
            assert_eq!(m.holds(&at(line)), outside, "line {line}");
        }
        assert_eq!(m.chain(&at(2)), vec!["`main` (src/main.rs:1)".to_string()]);
        let lib = model_of(&[(
            "src/lib.rs",
            "pub fn run() { std::thread::spawn(|| open()); }\npub fn open() {}\n",
        )]);
        assert!(!lib.holds(&ModelQuery::OutsideRuntime {
            file: "src/lib.rs".into(),
            line: 2
        }));
    }

    #[test]
    fn fns_that_lock_the_lock_they_are_given() {
        let m = model_of(&[(
            "a.rs",
            "fn bump(m: &std::sync::Mutex<u8>) { *m.lock().unwrap() += 1; }\n\
             fn bump_via(n: u8, m: &std::sync::Mutex<u8>) { bump(m) }\n\
             fn read_only(m: &std::sync::Mutex<u8>) -> bool { m.is_poisoned() }\n\
             fn in_a_thread(m: Arc<std::sync::Mutex<u8>>) { std::thread::spawn(move || { *m.lock().unwrap() += 1; }); }\n\
             fn in_place(ms: &[std::sync::Mutex<u8>], m: &std::sync::Mutex<u8>) { ms.iter().for_each(|_| { m.lock().unwrap(); }) }\n",
        )]);
        let locks_arg = |p: &str, arity: usize, arg: usize| {
            m.holds(&ModelQuery::LocksArg {
                callee: path(p, arity),
                arg,
            })
        };
        assert!(locks_arg("bump", 1, 0));
        assert!(locks_arg("bump_via", 2, 1));
        assert!(!locks_arg("bump_via", 2, 0));
        assert!(!locks_arg("read_only", 1, 0));
        assert!(!locks_arg("in_a_thread", 1, 0));
        assert!(locks_arg("in_place", 2, 1));
    }
}
