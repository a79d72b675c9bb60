//! Macro bodies as code: syn leaves `select!`, `join!`, `vec!`, `format!` and friends
//! as token streams, so the shared layer parses the ones whose arguments are
//! expressions. A body that does not parse is skipped silently.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use rustc_hash::FxHashMap as HashMap;
use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::rc::Rc;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Pat, Token};

/// What a macro's body holds, as far as the analysis is concerned.
pub enum MacroBody {
    /// `tokio::select!` / `futures::select!`: branches of `pat = future => handler`.
    Select(Vec<SelectBranch>),
    /// A list of expressions: `join!(a, b)`, `vec![..]`, `println!("{}", x)`.
    Exprs(Vec<Expr>),
    /// Not a macro whose body is analysed.
    Opaque,
}

impl MacroBody {
    /// The expressions the macro runs as code, in source order: a list's elements, or
    /// each `select!` branch's future and handler (guards and patterns are left to the
    /// visitors that need them).
    pub fn code(&self) -> impl Iterator<Item = &Expr> {
        let (list, branches): (&[Expr], &[SelectBranch]) = match self {
            MacroBody::Exprs(exprs) => (exprs, &[]),
            MacroBody::Select(branches) => (&[], branches),
            MacroBody::Opaque => (&[], &[]),
        };
        list.iter().chain(
            branches
                .iter()
                .flat_map(|b| b.future.iter().chain(std::iter::once(&b.handler))),
        )
    }
}

pub struct SelectBranch {
    /// The pattern the output is matched against; `None` for `else =>` and friends.
    pub pat: Option<Pat>,
    /// `None` for `else =>`, `complete =>` and `default =>`.
    pub future: Option<Expr>,
    pub guard: Option<Expr>,
    pub handler: Expr,
}

/// Macros whose comma-separated arguments are (mostly) expressions.
const EXPR_MACROS: &[&str] = &[
    "join",
    "try_join",
    "pin",
    "vec",
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    // `matches!(expr, pattern)`: the pattern parses as an expression or is dropped.
    "matches",
    "assert_matches",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "dbg",
    "todo",
    "unimplemented",
    "unreachable",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "anyhow",
    "bail",
    "ensure",
];

pub fn is_select(name: &str) -> bool {
    matches!(name, "select" | "select_biased")
}

/// Whether a macro invocation is a `select!` (`tokio::select!`, `futures::select!`).
pub fn is_select_macro(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| is_select(&s.ident.to_string()))
}

/// A per-body result: its type, the body's address, the value.
type BodyResult = (TypeId, usize, Rc<dyn Any>);

thread_local! {
    /// The result of each per-body analysis asked for last ([`per_body`]), by its type
    /// and the body's address. Cleared with each file's caches.
    static PER_BODY: RefCell<Vec<BodyResult>> = const { RefCell::new(Vec::new()) };
}

/// `analyse()` of `body`, computed once when several rules ask for it in a row (the
/// fan-outs of a fn, the guards of a body) within one file's analysis: the last result
/// of each kind is kept.
pub fn per_body<T: 'static>(body: &syn::Block, analyse: impl FnOnce() -> T) -> Rc<T> {
    if !cache_active() {
        return Rc::new(analyse());
    }
    let (kind, key) = (TypeId::of::<T>(), body as *const syn::Block as usize);
    let hit = PER_BODY.with(|m| {
        m.borrow()
            .iter()
            .find(|(k, at, _)| *k == kind && *at == key)
            .map(|(_, _, v)| v.clone())
    });
    if let Some(hit) = hit.and_then(|v| v.downcast::<T>().ok()) {
        return hit;
    }
    let result = Rc::new(analyse());
    PER_BODY.with(|m| {
        let mut m = m.borrow_mut();
        m.retain(|(k, _, _)| *k != kind);
        m.push((kind, key, result.clone() as Rc<dyn Any>));
    });
    result
}

thread_local! {
    /// Bodies already parsed while one file is analysed, by the macro's address in its
    /// syntax tree: the walk and the rules' sub-walks share one parse of each body.
    static CACHE: RefCell<Option<HashMap<usize, Rc<MacroBody>>>> = const { RefCell::new(None) };
}

/// Runs `f` with macro bodies parsed once each; the cache lives exactly as long as
/// `f`, during which the syntax trees it is keyed by must stay alive and unmoved.
pub fn with_cache<R>(f: impl FnOnce() -> R) -> R {
    CACHE.with(|c| *c.borrow_mut() = Some(HashMap::default()));
    PER_BODY.with(|m| m.borrow_mut().clear());
    let result = f();
    CACHE.with(|c| *c.borrow_mut() = None);
    PER_BODY.with(|m| m.borrow_mut().clear());
    result
}

/// Whether a per-file cache scope ([`with_cache`]) is active on this thread.
pub fn cache_active() -> bool {
    CACHE.with(|c| c.borrow().is_some())
}

/// The body of `mac` as code (parsed once per file inside [`with_cache`]).
pub fn parse_body(mac: &syn::Macro) -> Rc<MacroBody> {
    let key = mac as *const syn::Macro as usize;
    let cached = CACHE.with(|c| c.borrow().as_ref().map(|m| m.get(&key).cloned()));
    match cached {
        Some(Some(body)) => body,
        Some(None) => {
            let body = Rc::new(parse_body_uncached(mac));
            CACHE.with(|c| {
                if let Some(m) = c.borrow_mut().as_mut() {
                    m.insert(key, body.clone());
                }
            });
            body
        }
        None => Rc::new(parse_body_uncached(mac)),
    }
}

fn parse_body_uncached(mac: &syn::Macro) -> MacroBody {
    let Some(last) = mac.path.segments.last() else {
        return MacroBody::Opaque;
    };
    let name = last.ident.to_string();
    if is_select(&name) {
        return match parse_select.parse2(mac.tokens.clone()) {
            Ok(branches) => MacroBody::Select(branches),
            Err(_) => MacroBody::Opaque,
        };
    }
    if EXPR_MACROS.contains(&name.as_str()) {
        return MacroBody::Exprs(parse_expr_list(mac.tokens.clone()));
    }
    MacroBody::Opaque
}

/// Splits a token stream at top-level commas (and `;`, for `vec![x; n]`) and parses
/// each piece as an expression, keeping the pieces that parse.
fn parse_expr_list(tokens: TokenStream) -> Vec<Expr> {
    let mut out = Vec::new();
    let mut piece: Vec<TokenTree> = Vec::new();
    let mut flush = |piece: &mut Vec<TokenTree>| {
        let parsed = match &piece[..] {
            [] => return,
            [single] => match single_token_expr(single) {
                Some(e) => e,
                None => syn::parse2::<Expr>(piece.drain(..).collect()).ok(),
            },
            _ if cannot_be_expr(piece) => None,
            _ => syn::parse2::<Expr>(piece.drain(..).collect()).ok(),
        };
        piece.clear();
        if let Some(e) = parsed {
            // String literals stay: a format string reads the names it captures.
            let plain_lit = matches!(&e, Expr::Lit(l) if !matches!(l.lit, syn::Lit::Str(_)));
            if !plain_lit {
                out.push(e);
            }
        }
    };
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' || p.as_char() == ';' => {
                flush(&mut piece);
            }
            _ => piece.push(tt),
        }
    }
    flush(&mut piece);
    out
}

/// Pieces the parser would reject, told from their first tokens (a parse that fails
/// costs more than one that succeeds): tracing's `target: ".."` and `parent: x`, and
/// its `?x` / `%x` / `name = ?x` sigils (neither `?` nor `%` starts an operand, and an
/// `=` ends none).
fn cannot_be_expr(piece: &[TokenTree]) -> bool {
    use proc_macro2::Spacing;
    let lone = |t: &TokenTree, c: char| matches!(t, TokenTree::Punct(p) if p.as_char() == c && p.spacing() == Spacing::Alone);
    if let [TokenTree::Ident(_), colon, ..] = piece {
        if lone(colon, ':') {
            return true;
        }
    }
    piece.iter().enumerate().any(|(i, t)| {
        matches!(t, TokenTree::Punct(p) if matches!(p.as_char(), '?' | '%'))
            && (i == 0 || lone(&piece[i - 1], '='))
    })
}

/// Words that are not plain paths as an expression (`true`, `return`, `_`, ...) or
/// that name a path root (`self`, `crate`): left to the parser.
const NOT_A_PLAIN_NAME: &[&str] = &[
    "Self", "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "safe", "self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// A one-token macro argument as the expression the parser would make of it, without
/// a parser: a name (`x`) is a path, a literal a literal. `None` for any other token,
/// which goes to the parser; `Some(None)` for a token that is no expression.
fn single_token_expr(token: &TokenTree) -> Option<Option<Expr>> {
    match token {
        TokenTree::Ident(ident) => {
            let name = ident.to_string();
            if NOT_A_PLAIN_NAME.contains(&name.as_str()) || name.starts_with("r#") {
                return None;
            }
            Some(Some(Expr::Path(syn::ExprPath {
                attrs: Vec::new(),
                qself: None,
                path: syn::Path::from(ident.clone()),
            })))
        }
        TokenTree::Literal(lit) => Some(Some(Expr::Lit(syn::ExprLit {
            attrs: Vec::new(),
            lit: syn::Lit::new(lit.clone()),
        }))),
        _ => None,
    }
}

fn parse_select(input: ParseStream) -> syn::Result<Vec<SelectBranch>> {
    let mut branches = Vec::new();
    if input.peek(syn::Ident) && input.peek2(Token![;]) {
        // `biased;`
        input.parse::<syn::Ident>()?;
        input.parse::<Token![;]>()?;
    }
    while !input.is_empty() {
        let mut pat = None;
        let future = if input.peek(Token![else])
            || ((input.peek(syn::Ident) && input.peek2(Token![=>])) && !input.peek2(Token![=]))
        {
            // `else => ..`, `complete => ..`, `default => ..`
            if input.peek(Token![else]) {
                input.parse::<Token![else]>()?;
            } else {
                input.parse::<syn::Ident>()?;
            }
            None
        } else {
            pat = Some(Pat::parse_multi_with_leading_vert(input)?);
            input.parse::<Token![=]>()?;
            Some(
                input
                    .call(Expr::parse_without_eager_brace)
                    .or_else(|_| input.parse())?,
            )
        };
        let guard = if input.peek(Token![,]) && input.peek2(Token![if]) {
            input.parse::<Token![,]>()?;
            input.parse::<Token![if]>()?;
            Some(input.parse::<Expr>()?)
        } else {
            None
        };
        input.parse::<Token![=>]>()?;
        let handler = if input.peek(syn::token::Brace) {
            let block: syn::ExprBlock = input.parse()?;
            Expr::Block(block)
        } else {
            input.parse::<Expr>()?
        };
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        branches.push(SelectBranch {
            pat,
            future,
            guard,
            handler,
        });
    }
    Ok(branches)
}

/// Whether a token stream contains a group nested deeper than `limit` — such input
/// would overflow the parser's stack. Returns the first token past the limit.
pub fn too_deep(tokens: &TokenStream, limit: usize) -> Option<proc_macro2::Span> {
    let mut stack: Vec<proc_macro2::token_stream::IntoIter> = vec![tokens.clone().into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(TokenTree::Group(g)) => {
                if stack.len() >= limit {
                    return Some(g.span_open());
                }
                if g.delimiter() != Delimiter::None || !g.stream().is_empty() {
                    stack.push(g.stream().into_iter());
                }
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rules asking in a row about one body share one analysis per kind, inside a
    /// file's cache scope only.
    #[test]
    fn per_body_results_are_shared_within_a_file() {
        let a: syn::Block = syn::parse_str("{ a(); }").unwrap();
        let b: syn::Block = syn::parse_str("{ b(); }").unwrap();
        let runs = std::cell::Cell::new(0);
        let count = || {
            runs.set(runs.get() + 1);
            runs.get()
        };
        assert_eq!((*per_body(&a, count), *per_body(&a, count)), (1, 2));
        with_cache(|| {
            assert_eq!(*per_body(&a, count), 3);
            assert_eq!(*per_body(&a, count), 3);
            assert_eq!(*per_body(&a, || "other kind"), "other kind");
            assert_eq!(*per_body(&a, count), 3);
            assert_eq!(*per_body(&b, count), 4);
            assert_eq!(*per_body(&a, count), 5);
        });
        assert_eq!(*per_body(&a, count), 6);
    }

    /// The parser-free reading of one-token arguments gives what the parser gives:
    /// checked on every token of the fixtures and of this crate's sources, and on
    /// every keyword.
    #[test]
    fn single_tokens_read_as_the_parser_reads_them() {
        use quote::ToTokens;
        let kind = |e: &Expr| match e {
            Expr::Path(_) => "path",
            Expr::Lit(_) => "lit",
            _ => "other",
        };
        let mut texts: Vec<String> = NOT_A_PLAIN_NAME.iter().map(|k| k.to_string()).collect();
        texts.extend(
            [
                "r#type", "r#x", "'a'", "b'a'", "1u8", "-1", "1e3", "br\"x\"", "c\"x\"",
            ]
            .map(String::from),
        );
        let root = env!("CARGO_MANIFEST_DIR");
        for dir in ["fixtures", "src"] {
            for entry in walkdir::WalkDir::new(std::path::Path::new(root).join(dir)) {
                let entry = entry.unwrap();
                if entry.path().extension().is_some_and(|e| e == "rs") {
                    texts.push(std::fs::read_to_string(entry.path()).unwrap());
                }
            }
        }
        fn tokens(stream: TokenStream, out: &mut Vec<TokenTree>) {
            for tt in stream {
                if let TokenTree::Group(g) = &tt {
                    tokens(g.stream(), out);
                }
                out.push(tt);
            }
        }
        let (mut fast, mut total) = (0, 0);
        for text in &texts {
            let mut all = Vec::new();
            tokens(text.parse().unwrap(), &mut all);
            for token in &all {
                total += 1;
                let Some(quick) = single_token_expr(token) else {
                    continue;
                };
                fast += 1;
                let parsed = syn::parse2::<Expr>(token.clone().into()).ok();
                let show = |e: &Option<Expr>| {
                    e.as_ref().map(|e| {
                        let first = e.to_token_stream().into_iter().next().unwrap();
                        (
                            kind(e),
                            e.to_token_stream().to_string(),
                            format!("{:?}", first.span()),
                        )
                    })
                };
                assert_eq!(show(&quick), show(&parsed), "{token}");
            }
        }
        assert!(fast > 10_000 && total > fast, "{fast} of {total}");
    }

    fn body(src: &str) -> MacroBody {
        let mac: syn::Macro = syn::parse_str(src).unwrap();
        parse_body_uncached(&mac)
    }

    #[test]
    fn select_branches_are_parsed() {
        let MacroBody::Select(b) = body(
            "tokio::select! { biased; Some(x) = rx.recv() => { handle(x).await } \
             _ = token.cancelled(), if armed => return, else => break }",
        ) else {
            panic!("select not parsed")
        };
        assert_eq!(b.len(), 3);
        assert!(b[0].future.is_some() && b[1].guard.is_some() && b[2].future.is_none());
    }

    #[test]
    fn pieces_told_unparsable_do_not_parse() {
        let cases = [
            ("target: \"x\"", true),
            ("parent: ::tracing::Span::current()", true),
            ("?id", true),
            ("%name", true),
            ("name = ?id", true),
            ("name = %self.x", true),
            ("a % b", false),
            ("x?", false),
            ("a = b?", false),
            ("a == b", false),
            ("'a: loop { break 'a; }", false),
            ("x % (y % z)", false),
            ("cond && f()?", false),
        ];
        for (src, told) in cases {
            let tokens: Vec<TokenTree> = src.parse::<TokenStream>().unwrap().into_iter().collect();
            assert_eq!(cannot_be_expr(&tokens), told, "{src}");
            if told {
                let stream: TokenStream = tokens.into_iter().collect();
                assert!(syn::parse2::<Expr>(stream).is_err(), "{src} parses");
            }
        }
    }

    #[test]
    fn expression_lists_skip_what_does_not_parse() {
        let MacroBody::Exprs(e) =
            body("tracing::info!(target: \"x\", ?id, \"loaded {}\", load(id))")
        else {
            panic!()
        };
        // The format string and `load(id)`.
        assert_eq!(e.len(), 2);
        let MacroBody::Exprs(e) = body("vec![std::fs::read(p); 3]") else {
            panic!()
        };
        assert_eq!(e.len(), 1);
        assert!(matches!(body("my_macro!(a, b)"), MacroBody::Opaque));
    }
}
