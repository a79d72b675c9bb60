//! Getting a file to the walker safely: the text as the lexer should see it, token
//! streams too deep or too flat for the parser, and the item-by-item path for very
//! large files.

use super::*;

/// Parses and walks a file: whole (every top-level item's syntax tree alive during the
/// walk), or, when `by_item`, one top-level item at a time (see [`walk_item_by_item`]).
/// When `skip_consts`, a plain `const` ([`skip_plain_static`]) is stepped over
/// unparsed: the walk takes nothing from it but its name. (A `static`'s initializer is
/// walked: the model records the calls it makes.)
pub(super) fn walk_file(
    path: &str,
    text: &str,
    tokens: proc_macro2::TokenStream,
    skipped: Vec<String>,
    rules: &[&dyn Rule],
    settings: &FileSettings,
    by_item: bool,
) -> syn::Result<Analysis> {
    use syn::parse::{ParseStream, Parser};
    let skip_consts = !settings.full_parse;
    let walk = |input: ParseStream| {
        let inner_attrs = input.call(syn::Attribute::parse_inner)?;
        let file = File {
            path,
            text,
            rules,
            settings,
            skip_consts,
            skipped: &skipped,
        };
        if by_item {
            walk_item_by_item(input, &inner_attrs, &file)
        } else {
            walk_whole(input, &inner_attrs, &file)
        }
    };
    walk.parse2(tokens)
}

/// What [`walk_file`] walks with.
struct File<'a> {
    path: &'a str,
    text: &'a str,
    rules: &'a [&'a dyn Rule],
    settings: &'a FileSettings<'a>,
    skip_consts: bool,
    /// Top-level items blanked out of the text before it was lexed, by name.
    skipped: &'a [String],
}

/// The walker of a file whose file-wide facts are gathered.
fn walker_of<'a>(info: &'a FileInfo<'a>, file: &File<'a>) -> Walker<'a> {
    Walker::with_settings(info, file.rules, file.settings)
}

/// Walks a file one top-level item at a time, so that only one item's syntax tree is
/// alive at once: a first pass over the items gathers the file-wide facts (imports,
/// struct fields, `static mut`s), a second parses each item again, walks it and drops
/// it. Findings are those of the whole-file walk.
fn walk_item_by_item(
    input: syn::parse::ParseStream,
    inner_attrs: &[syn::Attribute],
    file: &File,
) -> syn::Result<Analysis> {
    let mut facts = ItemFacts::new(file.text);
    for name in file.skipped {
        facts.add_defined(name.clone());
    }
    let mut structs = Vec::new();
    let gather = |facts: &mut ItemFacts, structs: &mut Vec<syn::Item>, skip: bool| {
        let first = input.fork();
        while !first.is_empty() {
            match next_item(&first, skip.then_some(Plain::StaticOrConst))? {
                Next::Skipped(name) => facts.add_defined(name),
                Next::Item(item) => {
                    facts.add(&item);
                    module_structs(&item, structs);
                }
            }
        }
        Ok::<(), syn::Error>(())
    };
    if let Err(e) = gather(&mut facts, &mut structs, true) {
        // A skipped item may hold an earlier error: the first one is reported.
        gather(&mut ItemFacts::new(file.text), &mut Vec::new(), false)?;
        return Err(e);
    }
    let mut info =
        FileInfo::from_facts(file.path, file.text, facts, &structs, file.settings.runtime);
    place(&mut info, file.settings);
    let mut walker = walker_of(&info, file);
    crate::semantic::macros::with_cache(|| walker.walk_attributes(inner_attrs));
    while !input.is_empty() {
        if let Next::Item(item) = next_item(input, file.skip_consts.then_some(Plain::Const))? {
            // The macro-body cache is keyed by address: it must not outlive the item.
            crate::semantic::macros::with_cache(|| walker.walk_item(&item));
        }
    }
    Ok(analysis_of(walker, &info))
}

/// Walks a file whole: every top-level item's syntax tree is alive during the walk.
fn walk_whole(
    input: syn::parse::ParseStream,
    inner_attrs: &[syn::Attribute],
    file: &File,
) -> syn::Result<Analysis> {
    let mut facts = ItemFacts::new(file.text);
    for name in file.skipped {
        facts.add_defined(name.clone());
    }
    let mut items = Vec::new();
    while !input.is_empty() {
        match next_item(input, file.skip_consts.then_some(Plain::Const))? {
            Next::Skipped(name) => facts.add_defined(name),
            Next::Item(item) => {
                facts.add(&item);
                items.push(item);
            }
        }
    }
    let mut info = FileInfo::from_facts(file.path, file.text, facts, &items, file.settings.runtime);
    place(&mut info, file.settings);
    let mut walker = walker_of(&info, file);
    // Macro bodies are parsed once for the walk and every rule's sub-walk.
    crate::semantic::macros::with_cache(|| {
        walker.walk_attributes(inner_attrs);
        for item in &items {
            walker.walk_item(item);
        }
    });
    drop(items);
    Ok(analysis_of(walker, &info))
}

/// A top-level item, parsed, or the name of a plain one stepped over unparsed.
// Returned and matched at once, never stored: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Next {
    Item(syn::Item),
    Skipped(String),
}

/// The next top-level item of `input`: stepped over if it is a plain item of the kind
/// `skip` allows (see [`skip_plain_static`]), else parsed.
fn next_item(input: syn::parse::ParseStream, skip: Option<Plain>) -> syn::Result<Next> {
    if let Some(plain) = skip {
        if let Ok(name) = input.step(|c| skip_plain_static(*c, plain)) {
            return Ok(Next::Skipped(name));
        }
    }
    input.parse().map(Next::Item)
}

/// Steps over a `static` or `const` item (`pub static TABLE: [u16; 3] = [1, 2, 3];`)
/// whose tokens name neither `async` nor `static` (lifetimes aside) and returns its
/// name: all the facts pass takes from such an item. Large generated files are mostly
/// such tables; scanning their tokens costs a fraction of parsing them. Any other item
/// is an error, and the caller parses it.
pub(super) fn skip_plain_static(
    cursor: syn::buffer::Cursor,
    kinds: Plain,
) -> syn::Result<(String, syn::buffer::Cursor)> {
    use proc_macro2::Delimiter;
    let no = |c: syn::buffer::Cursor| Err(syn::Error::new(c.span(), "not a plain static"));
    /// Whether the tokens up to the end of `c` (or the first top-level `;`, when
    /// `stop_at_semi`) name `async` or `static`; the cursor after that `;`.
    fn plain(
        mut c: syn::buffer::Cursor,
        stop_at_semi: bool,
        kinds: Plain,
    ) -> Option<syn::buffer::Cursor> {
        loop {
            if c.eof() {
                return (!stop_at_semi).then_some(c);
            }
            if let Some((_, next)) = c.lifetime() {
                // `'static` names no static item.
                c = next;
            } else if let Some((p, next)) = c.punct() {
                if stop_at_semi && p.as_char() == ';' {
                    return Some(next);
                }
                c = next;
            } else if let Some((ident, next)) = c.ident() {
                if ident == "async" || ident == "static" {
                    return None;
                }
                c = next;
            } else if let Some((inside, delimiter, _, next)) = c.any_group() {
                if kinds == Plain::Const
                    && delimiter == Delimiter::Parenthesis
                    && names_a_value(inside)
                {
                    return None;
                }
                plain(inside, false, kinds)?;
                c = next;
            } else if let Some((_, next)) = c.token_tree() {
                c = next;
            } else {
                return None;
            }
        }
    }
    /// Whether parenthesised tokens may pass a fn by name (`Handler::new(serve)`),
    /// which the walk records: an argument that is one lowercase name (`true` and
    /// `false` aside), or such an argument in parentheses.
    fn names_a_value(mut c: syn::buffer::Cursor) -> bool {
        use proc_macro2::TokenTree;
        // The argument so far: its only token, while it has one.
        let mut arg: (usize, Option<TokenTree>) = (0, None);
        let lone_value = |arg: &(usize, Option<TokenTree>)| match arg {
            (1, Some(TokenTree::Ident(i))) => {
                let name = i.to_string();
                name.starts_with(|c: char| c.is_ascii_lowercase())
                    && !matches!(name.as_str(), "true" | "false")
            }
            (1, Some(TokenTree::Group(g))) => g.delimiter() == Delimiter::Parenthesis,
            _ => false,
        };
        while let Some((tt, next)) = c.token_tree() {
            if matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',') {
                if lone_value(&arg) {
                    return true;
                }
                arg = (0, None);
            } else {
                arg = (arg.0 + 1, Some(tt));
            }
            c = next;
        }
        lone_value(&arg)
    }
    let mut c = cursor;
    // Outer attributes.
    while let Some((p, next)) = c.punct() {
        let Some((inside, _, after)) = next
            .group(Delimiter::Bracket)
            .filter(|_| p.as_char() == '#')
        else {
            return no(cursor);
        };
        if plain(inside, false, kinds).is_none() {
            return no(cursor);
        }
        c = after;
    }
    // Visibility.
    if let Some((_, next)) = c.ident().filter(|(i, _)| i == "pub") {
        c = match next.group(Delimiter::Parenthesis) {
            Some((_, _, after)) => after,
            None => next,
        };
    }
    let Some((_, next)) = c
        .ident()
        .filter(|(i, _)| i == "const" || (kinds == Plain::StaticOrConst && i == "static"))
    else {
        return no(cursor);
    };
    let Some((name, next)) = next.ident() else {
        return no(cursor);
    };
    let Some((_, next)) = next.punct().filter(|(p, _)| p.as_char() == ':') else {
        return no(cursor);
    };
    match plain(next, true, kinds) {
        Some(after) => Ok((name.to_string(), after)),
        None => no(cursor),
    }
}

/// The items [`skip_plain_static`] steps over.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Plain {
    /// `static` and `const` items: all the file-wide facts need is their names.
    StaticOrConst,
    /// `const` items only, for the walk. It records a `static`'s initializer, and a
    /// fn passed by name in a const's value (`Handler::new(serve)`); the calls a
    /// const makes run when the crate is compiled, and are not counted.
    Const,
}

/// The text as the lexer should see it: a byte-order mark and a `#!` line become
/// spaces, so that lines and character columns stay those of the file.
pub(super) fn lexable(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        out = Cow::Owned(format!(" {rest}"));
    }
    let body = out.trim_start_matches(' ');
    let offset = out.len() - body.len();
    if body.starts_with("#!") && !body[2..].trim_start().starts_with('[') {
        let end = body.find('\n').unwrap_or(body.len());
        let blank: String = body[..end].chars().map(|_| ' ').collect();
        out = Cow::Owned(format!("{}{}{}", &out[..offset], blank, &body[end..]));
    }
    out
}

pub(super) fn lex_message(e: &proc_macro2::LexError) -> String {
    let m = e.to_string();
    if m.is_empty() || m == "cannot parse string into token stream" {
        "unbalanced delimiters or an invalid token".into()
    } else {
        m
    }
}

pub(super) fn lc_position(lc: proc_macro2::LineColumn) -> Position {
    Position {
        line: lc.line.max(1),
        column: lc.column + 1,
    }
}

/// How [`might_be_too_complex`] treats a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Identifier characters, digits, non-ASCII bytes: one more token-ish byte.
    Other,
    Space,
    Punct,
    Open,
    Close,
    /// `,` and `;` end a flat run.
    Separator,
    Slash,
    Quote,
}

const CLASSES: [Class; 256] = {
    let mut t = [Class::Other; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = match c {
            b'(' | b'[' | b'{' => Class::Open,
            b')' | b']' | b'}' => Class::Close,
            b',' | b';' => Class::Separator,
            b'/' => Class::Slash,
            b'"' => Class::Quote,
            c if c.is_ascii_whitespace() => Class::Space,
            c if c.is_ascii_punctuation() => Class::Punct,
            _ => Class::Other,
        };
        i += 1;
    }
    t
};

/// A cheap scan of the bytes, skipping strings and comments, that finds every file
/// [`too_complex`] could reject (it may also send others to the exact check).
pub(super) fn might_be_too_complex(text: &str) -> bool {
    let b = text.as_bytes();
    let (mut i, mut depth, mut max_depth) = (0usize, 0isize, 0isize);
    let (mut puncts, mut flat) = (0usize, 0usize);
    while i < b.len() {
        match CLASSES[b[i] as usize] {
            Class::Other => {
                puncts = 0;
                flat += 1;
                if flat > MAX_FLAT_RUN {
                    return true;
                }
            }
            Class::Space => {}
            Class::Punct => {
                puncts += 1;
                flat += 1;
                if puncts > MAX_PUNCT_RUN || flat > MAX_FLAT_RUN {
                    return true;
                }
            }
            Class::Open => {
                depth += 1;
                max_depth = max_depth.max(depth);
                puncts = 0;
                flat = 0;
                if max_depth as usize >= MAX_NESTING - 8 {
                    return true;
                }
            }
            Class::Close => {
                depth -= 1;
                puncts = 0;
                flat = 0;
            }
            Class::Separator => {
                puncts = 0;
                flat = 0;
            }
            Class::Slash if b.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                continue;
            }
            Class::Slash if b.get(i + 1) == Some(&b'*') => {
                let mut nest = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 2;
                        if nest == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            Class::Slash => {
                puncts += 1;
                flat += 1;
                if puncts > MAX_PUNCT_RUN || flat > MAX_FLAT_RUN {
                    return true;
                }
            }
            Class::Quote => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                flat += 1;
                puncts = 0;
                if flat > MAX_FLAT_RUN {
                    return true;
                }
            }
        }
        i += 1;
    }
    false
}

/// Input that would take the parser too deep: groups nested past [`MAX_NESTING`],
/// or runs of operators long enough to nest expressions tens of thousands deep.
pub(super) fn too_complex(
    tokens: &proc_macro2::TokenStream,
) -> Option<(proc_macro2::Span, String)> {
    if let Some(span) = too_deep(tokens, MAX_NESTING) {
        return Some((
            span,
            format!("brackets nested deeper than {MAX_NESTING} levels"),
        ));
    }
    let mut stack = vec![tokens.clone().into_iter()];
    let (mut puncts, mut flat) = (0usize, 0usize);
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(proc_macro2::TokenTree::Group(g)) => {
                puncts = 0;
                flat = 0;
                stack.push(g.stream().into_iter());
            }
            Some(proc_macro2::TokenTree::Punct(p)) => {
                if matches!(p.as_char(), ',' | ';') {
                    puncts = 0;
                    flat = 0;
                    continue;
                }
                puncts += 1;
                flat += 1;
                if puncts > MAX_PUNCT_RUN || flat > MAX_FLAT_RUN {
                    return Some((
                        p.span(),
                        "an expression nested too deeply to analyse".into(),
                    ));
                }
            }
            Some(t) => {
                puncts = 0;
                flat += 1;
                if flat > MAX_FLAT_RUN {
                    return Some((t.span(), "an expression too long to analyse".into()));
                }
            }
            None => {
                stack.pop();
                flat = 0;
                puncts = 0;
            }
        }
    }
    None
}
