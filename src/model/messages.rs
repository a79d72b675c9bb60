//! Message types: the structs and enums of a crate as what travels through its
//! channels. A message that carries a reply sender (`oneshot::Sender`) is a request:
//! whoever sent it waits for the reply, so a queue of them never holds more than one
//! per waiting sender, bounded or not. A message of plain data (numbers, text, paths,
//! std collections of them) carries nothing a task could be told to stop through.

use crate::semantic::types::type_path;
use crate::semantic::FileInfo;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// Reply senders: a sender of a channel that carries one value, by full path.
const REPLY_SENDERS: &[&str] = &[
    "tokio::sync::oneshot::Sender",
    "futures::channel::oneshot::Sender",
    "futures_channel::oneshot::Sender",
    "oneshot::Sender",
    "async_oneshot::Sender",
];

/// What a field of a message may be, as far as reply senders go.
const REPLY: &str = "";

/// A struct or enum as the file defines it, while the file is walked: for each variant
/// (one for a struct), the fields that are, or may be, a reply sender: [`REPLY`] for one
/// whose declared type is (`oneshot::Sender<T>`), else the name of a path type the file
/// may define as an alias of one (`Callback`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Pending {
    name: String,
    variants: Vec<Vec<String>>,
}

/// The types of a file that bear on messages: each struct and enum by name, with
/// whether every value of it carries a reply sender (a `type` alias of one declared in
/// the same file counts); nothing for a file that defines no such type.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileMessages {
    pub types: Vec<(String, bool)>,
    /// The structs and enums whose fields are all plain data.
    pub plain: Vec<String>,
    #[serde(skip)]
    pending: Vec<Pending>,
    #[serde(skip)]
    reply_aliases: Vec<String>,
}

fn is_reply_sender(ty: &syn::Type, file: &FileInfo) -> bool {
    type_path(ty, &file.uses).is_some_and(|p| REPLY_SENDERS.contains(&p.as_str()))
}

/// Whether a path names a reply sender itself (`oneshot::Sender<Token>`): a channel
/// of them is a queue of requests whose message is nothing but the reply's sender.
pub fn is_reply_sender_path(path: &syn::Path, file: &FileInfo) -> bool {
    file.uses
        .resolve(path)
        .is_some_and(|p| REPLY_SENDERS.contains(&p.as_str()))
}

/// What a field's type says: [`REPLY`], the last segment of a plain path type, or
/// nothing (`Option<..>`: a reply that may be absent is none).
fn field_kind(ty: &syn::Type, file: &FileInfo) -> Option<String> {
    if is_reply_sender(ty, file) {
        return Some(REPLY.to_string());
    }
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            matches!(last.arguments, syn::PathArguments::None).then(|| last.ident.to_string())
        }
        _ => None,
    }
}

fn variant(fields: &syn::Fields, file: &FileInfo) -> Vec<String> {
    fields
        .iter()
        .filter_map(|f| field_kind(&f.ty, file))
        .collect()
}

impl FileMessages {
    pub fn record_struct(&mut self, s: &syn::ItemStruct, file: &FileInfo) {
        self.record(&s.ident, std::iter::once(&s.fields), file);
    }

    pub fn record_enum(&mut self, e: &syn::ItemEnum, file: &FileInfo) {
        self.record(&e.ident, e.variants.iter().map(|v| &v.fields), file);
    }

    /// A type with a variant that has no field that may be a reply sender is no
    /// request: only its name is kept, when the file defines a request too (a
    /// namesake elsewhere in the crate is then not taken for it).
    fn record<'f>(
        &mut self,
        name: &syn::Ident,
        variants: impl Iterator<Item = &'f syn::Fields>,
        file: &FileInfo,
    ) {
        let mut kept = Vec::new();
        let (mut plain, mut request) = (true, true);
        for fields in variants {
            plain &= fields.iter().all(|f| is_plain(&f.ty));
            let v = variant(fields, file);
            if v.is_empty() {
                kept.clear();
                request = false;
            }
            if request {
                kept.push(v);
            }
        }
        if plain {
            self.plain.push(name.to_string());
        }
        self.pending.push(Pending {
            name: name.to_string(),
            variants: kept,
        });
    }

    pub fn record_alias(&mut self, t: &syn::ItemType, file: &FileInfo) {
        if is_reply_sender(&t.ty, file) {
            self.reply_aliases.push(t.ident.to_string());
        }
    }

    /// Decides each type once the whole file is walked (an alias may follow the type).
    pub fn finish(&mut self) {
        let aliases = std::mem::take(&mut self.reply_aliases);
        for t in std::mem::take(&mut self.pending) {
            let replies = !t.variants.is_empty()
                && t.variants.iter().all(|fields| {
                    fields
                        .iter()
                        .any(|f| f == REPLY || aliases.iter().any(|a| a == f))
                });
            self.types.push((t.name, replies));
        }
        // A file with no request keeps nothing: most files, at no cost. (A namesake
        // of a request defined in such a file is then not seen.)
        if self.types.iter().all(|(_, replies)| !replies) {
            self.types = Vec::new();
        }
        self.types.shrink_to_fit();
        self.plain.shrink_to_fit();
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty() && self.plain.is_empty()
    }
}

/// Words a plain-data type is written with: numbers, text, paths, times, std
/// collections and the std paths to them.
const PLAIN_WORDS: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "bool",
    "char",
    "str",
    "String",
    "PathBuf",
    "Path",
    "OsString",
    "Vec",
    "VecDeque",
    "Option",
    "Box",
    "HashMap",
    "BTreeMap",
    "HashSet",
    "BTreeSet",
    "Duration",
    "Instant",
    "SystemTime",
    "Cow",
    "Uuid",
    "Url",
    "Bytes",
    "IpAddr",
    "SocketAddr",
    "std",
    "collections",
    "path",
    "time",
    "net",
    "borrow",
    "ffi",
    "static",
];

/// Whether a field's type is plain data: every name in it is a [`PLAIN_WORDS`] one
/// (a type of the crate's own is not, whatever it holds).
fn is_plain(ty: &syn::Type) -> bool {
    use syn::visit::Visit;
    struct Words(bool);
    impl<'ast> Visit<'ast> for Words {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.0 &= PLAIN_WORDS.iter().any(|w| i == w);
        }
        fn visit_lifetime(&mut self, _: &'ast syn::Lifetime) {}
        fn visit_expr(&mut self, _: &'ast syn::Expr) {}
    }
    let mut w = Words(true);
    w.visit_type(ty);
    w.0 && !matches!(ty, syn::Type::Macro(_) | syn::Type::Verbatim(_))
}

/// The plain-data types of each crate: `(crate, name)`.
pub fn plain(files: &[(u32, FileMessages)]) -> HashSet<(u32, String)> {
    files
        .iter()
        .flat_map(|(k, m)| m.plain.iter().map(move |n| (*k, n.clone())))
        .collect()
}

/// The message types of each crate whose every value carries a reply sender:
/// `(crate, name)`. A name the crate defines twice counts only if both do.
pub fn requests(files: &[(u32, FileMessages)]) -> HashSet<(u32, String)> {
    let mut verdicts: HashMap<(u32, &str), bool> = HashMap::default();
    for (k, m) in files {
        for (name, replies) in &m.types {
            verdicts
                .entry((*k, name.as_str()))
                .and_modify(|v| *v &= replies)
                .or_insert(*replies);
        }
    }
    verdicts
        .into_iter()
        .filter(|(_, v)| *v)
        .map(|((k, n), _)| (k, n.to_string()))
        .collect()
}
