//! The workspace's structure, checked from its sources:
//!
//! - the library's floors: no module of `src/` (submodules included: `sim/`, `pcsc/`, `cert/`,
//!   `error/`, `reset/`, ...) names a module on a higher floor, through `use crate::…` (single
//!   or grouped, nested, over several lines), a `crate::…` path anywhere in the code, or a
//!   `super::…` path; the floors are read from the `layers` block of `docs/ARCHITECTURE.md`;
//! - at most nine floors;
//! - no import cycle between the top-level modules of the library or of any crate's `src/`;
//! - the crates' dependency order: each member's `[dependencies]` name only members on a lower
//!   line of the `crates` block of `docs/ARCHITECTURE.md`;
//! - one wire: no front end (`crates/*/src`) or teaching example constructs a
//!   `mynacard::apdu::Command` or sends raw APDU bytes; every command APDU is built in `src/`.
//!
//! Each checker is a plain function over source text, and the tests at the end feed each one a
//! planted violation, so that a checker that reads nothing cannot pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------
// Reading Rust source: comments and literals out, then tokens.

/// A token of Rust source, as far as paths are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An identifier or keyword (`crate`, `super`, `use`, names).
    Ident(String),
    /// `::`
    Path,
    /// Any other punctuation character.
    Punct(char),
    /// A string literal's contents (byte strings and raw strings included).
    Str(String),
    /// A number or character literal.
    Lit(String),
}

/// The tokens of `src`, with comments dropped.
fn tokens(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == '"'
            || ((ch == 'b' || ch == 'r' || ch == 'c') && raw_or_byte_string_at(&c, i).is_some())
        {
            let (text, end) = string_at(&c, i);
            out.push(Tok::Str(text));
            i = end;
        } else if ch == '\'' {
            // A character literal ('a', '\n', '\''), or a lifetime ('a).
            if c.get(i + 1) == Some(&'\\') {
                let mut j = i + 3;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                out.push(Tok::Lit(c[i..=j.min(c.len() - 1)].iter().collect()));
                i = j + 1;
            } else if c.get(i + 2) == Some(&'\'') {
                out.push(Tok::Lit(c[i..i + 3].iter().collect()));
                i += 3;
            } else {
                i += 1; // a lifetime: its name follows as an identifier
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let s = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(c[s..i].iter().collect()));
        } else if ch.is_ascii_digit() {
            let s = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Lit(c[s..i].iter().collect()));
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Tok::Path);
            i += 2;
        } else {
            out.push(Tok::Punct(ch));
            i += 1;
        }
    }
    out
}

/// Where a `b"…"`, `r"…"`, `r#"…"#`, `br"…"` or `c"…"` literal starts at `i`: the number of
/// `#` of a raw string (`Some(0)` for a plain one).
fn raw_or_byte_string_at(c: &[char], i: usize) -> Option<usize> {
    // Not the tail of an identifier (`attr"`, which is not Rust anyway).
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if matches!(c.get(j), Some('b') | Some('c')) {
        j += 1;
    }
    let raw = c.get(j) == Some(&'r');
    if raw {
        j += 1;
    }
    let mut hashes = 0;
    while raw && c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (j > i && c.get(j) == Some(&'"')).then_some(hashes)
}

/// The contents of the string literal starting at `i`, and the index just after it.
fn string_at(c: &[char], i: usize) -> (String, usize) {
    let hashes = if c[i] == '"' {
        None
    } else {
        let h = raw_or_byte_string_at(c, i).unwrap();
        let raw = c[i..].iter().take_while(|&&x| x != '"').any(|&x| x == 'r');
        raw.then_some(h)
    };
    let mut j = i;
    while c[j] != '"' {
        j += 1;
    }
    j += 1;
    let start = j;
    loop {
        if j >= c.len() {
            return (c[start..].iter().collect(), c.len());
        }
        match hashes {
            None if c[j] == '\\' => j += 2,
            None if c[j] == '"' => return (c[start..j].iter().collect(), j + 1),
            Some(h) if c[j] == '"' && (1..=h).all(|k| c.get(j + k) == Some(&'#')) => {
                return (c[start..j].iter().collect(), j + 1 + h)
            }
            _ => j += 1,
        }
    }
}

fn ident(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

/// Whether an attribute's tokens (between `#[` and `]`) make its item test-only:
/// `cfg(test)`, `cfg(all(test, …))`, not `cfg(not(test))`.
fn is_test_cfg(attr: &[Tok]) -> bool {
    ident(attr.first()) == Some("cfg")
        && attr.iter().any(|t| ident(Some(t)) == Some("test"))
        && !attr.iter().any(|t| ident(Some(t)) == Some("not"))
}

/// When `t[i]` starts a test-only attribute (`#[cfg(test)]`), the index just after the item it
/// makes test-only (its further attributes and the item itself skipped).
fn test_item_end(t: &[Tok], i: usize) -> Option<usize> {
    if t.get(i) != Some(&Tok::Punct('#')) || t.get(i + 1) != Some(&Tok::Punct('[')) {
        return None;
    }
    let close = close_of(t, i + 1);
    if !is_test_cfg(&t[(i + 2).min(close)..close.saturating_sub(1)]) {
        return None;
    }
    let mut j = close;
    while t.get(j) == Some(&Tok::Punct('#')) {
        j = close_of(t, j + 1);
    }
    Some(item_end(t, j))
}

/// The index just after the bracket that closes the one at `t[i]`.
fn close_of(t: &[Tok], i: usize) -> usize {
    let mut depth = 0usize;
    for (j, tok) in t.iter().enumerate().skip(i) {
        match tok {
            Tok::Punct('{') | Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct('}') | Tok::Punct(')') | Tok::Punct(']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
    }
    t.len()
}

/// The index just after the item starting at `i` (a `use …;`, or an item whose body is the first
/// `{…}` block or that ends at the first `;`).
fn item_end(t: &[Tok], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < t.len() {
        match &t[i] {
            Tok::Punct('{') | Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct('}') | Tok::Punct(')') | Tok::Punct(']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 && t[i] == Tok::Punct('}') {
                    return i + 1;
                }
            }
            Tok::Punct(';') if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

// ---------------------------------------------------------------------------------------------
// Paths named in a module.

/// A path a module names, made absolute from the crate root (`crate::a::b` and
/// `super::b` in module `a::c` both give `["a", "b"]`), with the name it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    path: Vec<String>,
    /// The last segment, or its `as` alias; empty for a glob.
    name: String,
}

/// Parses a path (tree) after its `prefix`, from `t[i]` (just after a `::`). Returns the index
/// after it.
fn path_tree(t: &[Tok], mut i: usize, prefix: Vec<String>, out: &mut Vec<Named>) -> usize {
    let mut path = prefix;
    loop {
        match t.get(i) {
            Some(Tok::Ident(s)) => {
                if s == "self" && !path.is_empty() {
                    // `a::{self, …}`: the prefix itself.
                } else if s == "super" {
                    path.pop();
                } else {
                    path.push(s.clone());
                }
                i += 1;
                if t.get(i) == Some(&Tok::Path) {
                    i += 1;
                    continue;
                }
                let mut name = path.last().cloned().unwrap_or_default();
                if ident(t.get(i)) == Some("as") {
                    if let Some(alias) = ident(t.get(i + 1)) {
                        name = alias.to_string();
                    }
                    i += 2;
                }
                out.push(Named { path, name });
                return i;
            }
            Some(Tok::Punct('*')) => {
                out.push(Named {
                    path,
                    name: String::new(),
                });
                return i + 1;
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                loop {
                    match t.get(i) {
                        None => return i,
                        Some(Tok::Punct('}')) => return i + 1,
                        Some(Tok::Punct(',')) => i += 1,
                        Some(_) => {
                            let before = i;
                            i = path_tree(t, i, path.clone(), out);
                            if i == before {
                                i += 1;
                            }
                        }
                    }
                }
            }
            _ => {
                if !path.is_empty() {
                    out.push(Named {
                        name: path.last().cloned().unwrap_or_default(),
                        path,
                    });
                }
                return i;
            }
        }
    }
}

/// Every path that the source of module `module` (its path from the crate root; `[]` for the
/// root) names through `crate::` or `super::`: in `use` declarations (single, grouped, nested,
/// over any number of lines) and anywhere in the code. Comments, string literals and test-only
/// items (`#[cfg(test)]`) are not read. Inline `mod name { … }` blocks are followed, so that
/// `super::` inside them resolves right.
fn named_paths(src: &str, module: &[String]) -> Vec<Named> {
    let t = tokens(src);
    let mut out = Vec::new();
    // Inline modules: (module path, the brace depth at which its block closes).
    let mut stack: Vec<(Vec<String>, usize)> = vec![(module.to_vec(), 0)];
    let mut depth = 0usize;
    let mut i = 0;
    while i < t.len() {
        let here = stack.last().unwrap().0.clone();
        match &t[i] {
            Tok::Punct('#') if t.get(i + 1) == Some(&Tok::Punct('[')) => {
                i = test_item_end(&t, i).unwrap_or_else(|| close_of(&t, i + 1));
                continue;
            }
            Tok::Ident(k) if k == "mod" => {
                if let (Some(name), Some(Tok::Punct('{'))) = (ident(t.get(i + 1)), t.get(i + 2)) {
                    depth += 1;
                    let mut p = here.clone();
                    p.push(name.to_string());
                    stack.push((p, depth));
                    i += 3;
                    continue;
                }
            }
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if stack.len() > 1 && stack.last().unwrap().1 == depth {
                    stack.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Ident(k) if (k == "crate" || k == "super") && t.get(i + 1) == Some(&Tok::Path) => {
                // `$crate::` in a macro is the crate too; `pub(in crate::x)` is read as a path.
                let mut base = if k == "crate" {
                    Vec::new()
                } else {
                    here.clone()
                };
                if k == "super" {
                    base.pop();
                }
                i = path_tree(&t, i + 2, base, &mut out);
                continue;
            }
            Tok::Ident(k) if k == "self" && t.get(i + 1) == Some(&Tok::Path) => {
                i = path_tree(&t, i + 2, here, &mut out);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether a source file is test-only as a whole: a `tests.rs` module (declared
/// `#[cfg(test)] mod tests;` by its parent).
fn is_test_file(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == "tests.rs")
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A source file of a crate: where it is, its module path, its text.
struct Source {
    label: String,
    module: Vec<String>,
    text: String,
}

/// Every non-test module file under `src` (a crate's `src/`), with its module path. The crate
/// roots (`lib.rs`, `main.rs`) have the path `[]`; a `bin/` target is a crate of its own and
/// is not read.
fn sources(src: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    rs_files(src, &mut files);
    let mut out = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        if is_test_file(&f) || rel.starts_with("bin") {
            continue;
        }
        let mut module: Vec<String> = rel
            .components()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .collect();
        if matches!(
            module.last().map(String::as_str),
            Some("mod") | Some("lib") | Some("main")
        ) {
            module.pop();
        }
        out.push(Source {
            label: f.strip_prefix(root()).unwrap_or(&f).display().to_string(),
            module,
            text: fs::read_to_string(&f).unwrap(),
        });
    }
    out
}

/// The names a crate root re-exports (`pub use card::{Card, LastTry}` gives `Card -> card`),
/// so that `crate::Card` counts as an import of `card`. Only paths into the crate's own
/// top-level `modules` count (`use mynacard_kiosk::flow` in a binary is another crate).
fn root_reexports(root_text: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let t = tokens(root_text);
    let mut i = 0;
    while i < t.len() {
        if ident(t.get(i)) == Some("use") {
            let mut named = Vec::new();
            let start = if ident(t.get(i + 1)) == Some("crate") && t.get(i + 2) == Some(&Tok::Path)
            {
                i + 3
            } else {
                i + 1
            };
            i = path_tree(&t, start, Vec::new(), &mut named);
            for n in named {
                if n.path.len() > 1
                    && !n.name.is_empty()
                    && modules.contains(&n.path[0])
                    && !modules.contains(&n.name)
                {
                    out.insert(n.name, n.path[0].clone());
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The top-level modules of a crate.
fn top_modules(files: &[Source]) -> BTreeSet<String> {
    files
        .iter()
        .filter_map(|f| f.module.first().cloned())
        .collect()
}

/// The top-level module a resolved path lands in (`None` for the crate root itself).
fn top_of(path: &[String], reexports: &BTreeMap<String, String>) -> Option<String> {
    let first = path.first()?;
    Some(
        reexports
            .get(first)
            .cloned()
            .unwrap_or_else(|| first.clone()),
    )
}

/// The top-level module graph of a crate: module -> the top-level modules it names, with, for
/// each edge, one file and path that makes it.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn graph(files: &[Source], reexports: &BTreeMap<String, String>) -> Graph {
    let mut g: Graph = BTreeMap::new();
    for f in files {
        let Some(top) = f.module.first() else {
            continue;
        };
        let e = g.entry(top.clone()).or_default();
        for n in named_paths(&f.text, &f.module) {
            if let Some(to) = top_of(&n.path, reexports) {
                if &to != top {
                    e.entry(to)
                        .or_insert_with(|| format!("{}: crate::{}", f.label, n.path.join("::")));
                }
            }
        }
    }
    g
}

// ---------------------------------------------------------------------------------------------
// The checkers.

/// Floors from a fenced block of the architecture document: each line one floor (bottom first),
/// the names on it separated by spaces.
fn floors(doc: &str, block: &str) -> Vec<Vec<String>> {
    let fence = format!("```{block}\n");
    let body = doc
        .split(fence.as_str())
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("a ```{block} block in docs/ARCHITECTURE.md"));
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// name -> floor number, failing on a name listed twice.
fn floor_of(floors: &[Vec<String>]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (i, line) in floors.iter().enumerate() {
        for m in line {
            assert!(out.insert(m.clone(), i).is_none(), "{m} is listed twice");
        }
    }
    out
}

/// Every import, in `files`, of a top-level module on a higher floor (or on none).
fn upward_imports(
    files: &[Source],
    reexports: &BTreeMap<String, String>,
    floor: &BTreeMap<String, usize>,
) -> Vec<String> {
    let mut bad = Vec::new();
    for f in files {
        let Some(top) = f.module.first() else {
            continue;
        };
        let Some(&lm) = floor.get(top) else {
            bad.push(format!("{}: module {top} is on no floor", f.label));
            continue;
        };
        for n in named_paths(&f.text, &f.module) {
            let Some(to) = top_of(&n.path, reexports) else {
                continue;
            };
            if &to == top {
                continue;
            }
            match floor.get(&to) {
                Some(&lt) if lt <= lm => {}
                Some(&lt) => bad.push(format!(
                    "{}: {top} (floor {}) names {to} (floor {}): crate::{}",
                    f.label,
                    lm + 1,
                    lt + 1,
                    n.path.join("::")
                )),
                None => bad.push(format!(
                    "{}: {top} names {to}, which is on no floor: crate::{}",
                    f.label,
                    n.path.join("::")
                )),
            }
        }
    }
    bad
}

/// Every import cycle of a graph: its strongly connected components of more than one node,
/// each written `a -> b -> … -> a` with the file and path of each edge.
fn cycles(g: &Graph) -> Vec<String> {
    // Tarjan's algorithm.
    struct St<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        on: BTreeSet<&'a str>,
        stack: Vec<&'a str>,
        next: usize,
        out: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(s: &mut St<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        let g = s.g;
        for w in g.get(v).into_iter().flat_map(|e| e.keys()) {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on.remove(w);
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                s.out.push(comp);
            }
        }
    }
    let mut s = St {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on: BTreeSet::new(),
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    // Write each component as one cycle through it, starting from its first node.
    s.out
        .iter()
        .map(|comp| {
            let set: BTreeSet<&str> = comp.iter().copied().collect();
            let start = *set.iter().next().unwrap();
            // Breadth-first back to `start` inside the component.
            let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut closing = None;
            while let Some(v) = queue.pop_front() {
                for w in g[v].keys().map(String::as_str).filter(|w| set.contains(w)) {
                    if w == start {
                        closing = Some(v);
                        queue.clear();
                        break;
                    }
                    if !prev.contains_key(w) {
                        prev.insert(w, v);
                        queue.push_back(w);
                    }
                }
            }
            let mut path = vec![start];
            let mut v = closing.unwrap();
            while v != start {
                path.push(v);
                v = prev[v];
            }
            path[1..].reverse();
            path.push(start);
            path.windows(2)
                .map(|w| format!("{} -> {} ({})", w[0], w[1], g[w[0]][w[1]]))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect()
}

/// The workspace members that a manifest's `[dependencies]` (plain and target-specific) name.
fn member_dependencies(manifest: &str, members: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let section = line.trim_matches(|c| c == '[' || c == ']');
            in_deps = section == "dependencies"
                || (section.starts_with("target.") && section.ends_with(".dependencies"));
            continue;
        }
        if !in_deps || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        // `alias = { package = "real-name", … }` depends on `real-name`.
        let name = value
            .split("package")
            .nth(1)
            .and_then(|r| r.split('"').nth(1))
            .unwrap_or(key.trim());
        if members.contains(name) {
            out.insert(name.to_string());
        }
    }
    out
}

/// Every dependency of a crate on a crate that is not on a lower floor.
fn dependencies_against_order(
    deps: &BTreeMap<String, BTreeSet<String>>,
    floor: &BTreeMap<String, usize>,
) -> Vec<String> {
    let mut bad = Vec::new();
    for (c, ds) in deps {
        let Some(&fc) = floor.get(c) else {
            bad.push(format!("crate {c} is on no line of the crates block"));
            continue;
        };
        for d in ds {
            match floor.get(d) {
                Some(&fd) if fd < fc => {}
                Some(&fd) => bad.push(format!(
                    "{c} (line {}) depends on {d} (line {}), which is not below it",
                    fc + 1,
                    fd + 1
                )),
                None => bad.push(format!("{c} depends on {d}, which is on no line")),
            }
        }
    }
    bad
}

/// The instructions of the card's command set; a byte string that starts with a class byte and
/// one of these, and parses as a command APDU, is a command.
const INSTRUCTIONS: [u8; 14] = [
    0xA4, 0xB0, 0xB1, 0x20, 0x24, 0x2C, 0x2A, 0x84, 0x82, 0x88, 0xCA, 0xC0, 0x22, 0x86,
];

fn looks_like_a_command(bytes: &[u8]) -> bool {
    bytes.len() >= 4
        && matches!(bytes[0], 0x00 | 0x80 | 0x0C | 0x8C)
        && INSTRUCTIONS.contains(&bytes[1])
        && mynacard::apdu::CommandView::parse(bytes).is_ok()
}

/// The bytes of an array literal `[0x00, 0xA4, …]` starting at `t[i]` (all elements integer
/// literals), if it is one.
fn byte_array_at(t: &[Tok], i: usize) -> Option<Vec<u8>> {
    if t.get(i) != Some(&Tok::Punct('[')) {
        return None;
    }
    let mut out = Vec::new();
    let mut j = i + 1;
    loop {
        match t.get(j)? {
            Tok::Lit(n) => {
                let n = n.trim_end_matches("u8").replace('_', "");
                let v = match n.strip_prefix("0x") {
                    Some(h) => u8::from_str_radix(h, 16).ok()?,
                    None => n.parse().ok()?,
                };
                out.push(v);
            }
            Tok::Punct(',') => {}
            Tok::Punct(']') => return Some(out),
            _ => return None,
        }
        j += 1;
    }
}

/// Where a front-end source constructs a `mynacard::apdu::Command` or sends raw APDU bytes:
/// a path through `apdu::Command` (an import, a builder call), `Command::…` in a file that
/// imports all of `apdu`, a `transmit(` whose argument is a byte literal, and any byte-array
/// or hex-string literal that is a command APDU of the card's command set.
fn wire_violations(label: &str, src: &str) -> Vec<String> {
    wire_check(label, src, false)
}

/// The tokens of `src` without its test-only items (`#[cfg(test)]`): a unit test in a front
/// end may play the card's counterpart, as the test suites do.
fn tokens_without_tests(src: &str) -> Vec<Tok> {
    let t = tokens(src);
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        if let Some(end) = test_item_end(&t, i) {
            i = end;
            continue;
        }
        out.push(t[i].clone());
        i += 1;
    }
    out
}

/// [`wire_violations`]; with `may_name_type`, naming the `Command` type is allowed (an
/// implementation of a library trait whose methods take and return one, such as
/// `ResetAuthority::wrap`), while building or parsing one (`Command::…`) is still reported.
fn wire_check(label: &str, src: &str, may_name_type: bool) -> Vec<String> {
    let t = tokens_without_tests(src);
    let mut bad = Vec::new();
    let glob_apdu = may_name_type
        || (0..t.len()).any(|i| {
            ident(t.get(i)) == Some("apdu")
                && t.get(i + 1) == Some(&Tok::Path)
                && t.get(i + 2) == Some(&Tok::Punct('*'))
        });
    let mut i = 0;
    while i < t.len() {
        match &t[i] {
            Tok::Ident(s) if s == "apdu" && t.get(i + 1) == Some(&Tok::Path) => {
                let mut named = Vec::new();
                let next = path_tree(&t, i + 2, vec!["apdu".into()], &mut named);
                for n in named {
                    let type_only = may_name_type && n.path.len() == 2;
                    if n.path.get(1).map(String::as_str) == Some("Command") && !type_only {
                        bad.push(format!("{label}: names apdu::{}", n.path[1..].join("::")));
                    }
                }
                i = next;
                continue;
            }
            Tok::Ident(s)
                if glob_apdu
                    && s == "Command"
                    && t.get(i + 1) == Some(&Tok::Path)
                    && i.checked_sub(1).and_then(|p| t.get(p)) != Some(&Tok::Path) =>
            {
                bad.push(format!(
                    "{label}: Command::{} with all of apdu imported",
                    ident(t.get(i + 2)).unwrap_or("")
                ));
            }
            Tok::Ident(s) if s == "transmit" && t.get(i + 1) == Some(&Tok::Punct('(')) => {
                let mut j = i + 2;
                while matches!(t.get(j), Some(Tok::Punct('&'))) {
                    j += 1;
                }
                let literal = matches!(t.get(j), Some(Tok::Punct('[')) | Some(Tok::Str(_)))
                    || (matches!(ident(t.get(j)), Some("vec") | Some("hex"))
                        && matches!(t.get(j + 1), Some(Tok::Punct('!')) | Some(Tok::Path)));
                if literal {
                    bad.push(format!("{label}: transmit(…) of a literal"));
                }
            }
            Tok::Punct('[') => {
                if let Some(b) = byte_array_at(&t, i) {
                    if looks_like_a_command(&b) {
                        bad.push(format!(
                            "{label}: a command APDU as bytes: {}",
                            hex::encode_upper(&b)
                        ));
                    }
                }
            }
            Tok::Str(s) => {
                let h: String = s.chars().filter(|c| !c.is_whitespace()).collect();
                if h.len() >= 8 {
                    if let Ok(b) = hex::decode(&h) {
                        if looks_like_a_command(&b) {
                            bad.push(format!("{label}: a command APDU as hex: {h}"));
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    bad
}

// ---------------------------------------------------------------------------------------------
// The workspace.

fn doc() -> String {
    fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md")
}

fn library() -> (Vec<Source>, BTreeMap<String, String>) {
    let files = sources(&root().join("src"));
    let lib = fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let reexports = root_reexports(&lib, &top_modules(&files));
    (files, reexports)
}

/// The workspace members: package name -> directory.
fn members() -> BTreeMap<String, PathBuf> {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let list = manifest
        .split("members = [")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .expect("[workspace] members");
    let mut out = BTreeMap::new();
    for m in list.split(',') {
        let m = m.trim().trim_matches('"');
        if m.is_empty() {
            continue;
        }
        let dir = root().join(m);
        let text = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let name = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = "))
            .expect("a package name")
            .trim_matches('"')
            .to_string();
        out.insert(name, dir);
    }
    out
}

#[test]
fn every_library_module_is_on_a_floor() {
    let floor = floor_of(&floors(&doc(), "layers"));
    let (files, _) = library();
    let tops: BTreeSet<&String> = files.iter().filter_map(|f| f.module.first()).collect();
    for m in &tops {
        assert!(
            floor.contains_key(*m),
            "module {m} is not in docs/ARCHITECTURE.md's layers"
        );
    }
    for m in floor.keys() {
        assert!(
            tops.contains(m),
            "docs/ARCHITECTURE.md's layers list {m}, which is no module of src/"
        );
    }
}

#[test]
fn no_library_module_names_one_on_a_higher_floor() {
    let floor = floor_of(&floors(&doc(), "layers"));
    let (files, reexports) = library();
    let bad = upward_imports(&files, &reexports, &floor);
    assert!(
        bad.is_empty(),
        "imports against the floors of docs/ARCHITECTURE.md:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_library_has_at_most_nine_floors() {
    let n = floors(&doc(), "layers").len();
    assert!(n <= 9, "{n} floors in docs/ARCHITECTURE.md's layers");
}

#[test]
fn the_library_has_no_import_cycle() {
    let (files, reexports) = library();
    let g = graph(&files, &reexports);
    // The reader sees the real tree: edges through a plain `use`, a grouped one, a submodule's
    // imports (error/mod.rs, sim/*.rs) and a root re-export (`crate::Error`).
    for (from, to) in [
        ("card", "session"),
        ("error", "applets"),
        ("error", "crypto"),
        ("sim", "apdu"),
        ("sign", "error"),
    ] {
        assert!(
            g.get(from).is_some_and(|e| e.contains_key(to)),
            "{from} -> {to} not seen: {:?}",
            g.get(from)
        );
    }
    let c = cycles(&g);
    assert!(c.is_empty(), "import cycles in src/:\n{}", c.join("\n"));
}

/// Each crate's `src/`: its top-level modules never import each other in a cycle.
#[test]
fn no_crate_has_an_import_cycle() {
    let mut bad = Vec::new();
    for (name, dir) in members() {
        if dir == root() {
            continue; // the library: the_library_has_no_import_cycle
        }
        let src = dir.join("src");
        let files = sources(&src);
        let mut reexports = BTreeMap::new();
        for r in ["lib.rs", "main.rs"] {
            if let Ok(text) = fs::read_to_string(src.join(r)) {
                reexports.extend(root_reexports(&text, &top_modules(&files)));
            }
        }
        for c in cycles(&graph(&files, &reexports)) {
            bad.push(format!("{name}: {c}"));
        }
    }
    assert!(bad.is_empty(), "import cycles:\n{}", bad.join("\n"));
}

#[test]
fn every_crate_is_on_a_line_and_none_depends_against_the_documented_order() {
    let members = members();
    let names: BTreeSet<String> = members.keys().cloned().collect();
    let floor = floor_of(&floors(&doc(), "crates"));
    let mut deps = BTreeMap::new();
    for (name, dir) in &members {
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        deps.insert(name.clone(), member_dependencies(&manifest, &names));
    }
    for n in floor.keys() {
        assert!(
            names.contains(n),
            "docs/ARCHITECTURE.md's crates block lists {n}, which is no workspace member"
        );
    }
    let bad = dependencies_against_order(&deps, &floor);
    assert!(
        bad.is_empty(),
        "crate dependencies against docs/ARCHITECTURE.md:\n{}",
        bad.join("\n")
    );
}

/// The one file outside `src/` that builds command APDUs on purpose: xtask's naive client, the
/// baseline the exchange report (docs/PERFORMANCE.md) compares the library's sequences with. It
/// is a measuring instrument, not a front end: it shows what the library saves.
const WIRE_EXEMPT: [&str; 1] = ["xtask/src/report/naive.rs"];

/// Files that implement a library trait taking and returning a `Command` (the C ABI's
/// `ResetAuthority`, whose vendor callbacks' bytes the library parses and checks): they may
/// name the type, never build or parse one themselves.
const NAMES_THE_COMMAND_TYPE: [&str; 1] = ["crates/ffi/src/authority.rs"];

/// One wire: every command APDU is built in the library. No other crate's `src/` (the front
/// ends, the virtual card server, xtask) and no teaching example builds a `Command` or sends raw
/// bytes, [`WIRE_EXEMPT`] aside. The test suites are not read: they play the card's counterpart
/// and check the bytes on the wire.
#[test]
fn no_front_end_builds_or_sends_raw_apdus() {
    let mut bad = Vec::new();
    let mut files = Vec::new();
    for dir in members().into_values() {
        if dir != root() {
            rs_files(&dir.join("src"), &mut files);
        }
    }
    rs_files(&root().join("examples"), &mut files);
    let mut exempt_seen = 0;
    for f in files {
        let label = f.strip_prefix(root()).unwrap().display().to_string();
        if WIRE_EXEMPT.contains(&label.as_str()) {
            exempt_seen += 1;
            continue;
        }
        let type_only = NAMES_THE_COMMAND_TYPE.contains(&label.as_str());
        bad.extend(wire_check(
            &label,
            &fs::read_to_string(&f).unwrap(),
            type_only,
        ));
    }
    assert_eq!(exempt_seen, WIRE_EXEMPT.len(), "an exempt file moved");
    assert!(
        bad.is_empty(),
        "command APDUs built outside src/:\n{}",
        bad.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The checkers on planted violations: each must be seen.

fn src(label: &str, module: &[&str], text: &str) -> Source {
    Source {
        label: label.into(),
        module: module.iter().map(|s| s.to_string()).collect(),
        text: text.into(),
    }
}

fn sample_floors() -> BTreeMap<String, usize> {
    floor_of(&floors(
        "```layers\napdu tlv\nerror\nsession\ncert sim\n```\n",
        "layers",
    ))
}

fn sample_reexports() -> BTreeMap<String, String> {
    let modules = ["apdu", "tlv", "error", "session", "cert", "sim"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    root_reexports(
        "pub use error::{Error, Result};\npub use session::Session as S;\nuse other::cert;\n",
        &modules,
    )
}

#[test]
fn the_reader_sees_grouped_nested_multiline_and_path_imports() {
    let text = "use crate::apdu::{ins, Command};\n\
                use crate::{\n    Error,\n    tlv::{self, header},\n    sim::{state::{A, B as C}},\n};\n\
                // crate::cert in a comment\n\
                const S: &str = \"crate::cert in a string\";\n\
                fn f() { let x = crate::session::Session::new(); }\n\
                #[cfg(test)]\nmod tests {\n use crate::cert;\n}\n\
                #[cfg(test)]\nuse crate::cert::Other;\n";
    let got: BTreeSet<Vec<String>> = named_paths(text, &["card".into()])
        .into_iter()
        .map(|n| n.path)
        .collect();
    let want: BTreeSet<Vec<String>> = [
        &["apdu", "ins"][..],
        &["apdu", "Command"],
        &["Error"],
        &["tlv"],
        &["tlv", "header"],
        &["sim", "state", "A"],
        &["sim", "state", "B"],
        &["session", "Session", "new"],
    ]
    .iter()
    .map(|p| p.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(got, want);
}

#[test]
fn super_paths_resolve_from_the_module_they_are_in() {
    let paths = |text: &str, m: &[&str]| -> Vec<Vec<String>> {
        let m: Vec<String> = m.iter().map(|s| s.to_string()).collect();
        named_paths(text, &m).into_iter().map(|n| n.path).collect()
    };
    // In `sim::dispatch`, `super::` is `sim`; in `error` (error/mod.rs), the crate root.
    assert_eq!(
        paths("use super::state::Card;", &["sim", "dispatch"]),
        vec![vec!["sim", "state", "Card"]]
    );
    assert_eq!(
        paths("use super::cert::Jpki;", &["error"]),
        vec![vec!["cert", "Jpki"]]
    );
    assert_eq!(
        paths("fn f() { super::super::cert::x() }", &["sim", "dispatch"]),
        vec![vec!["cert", "x"]]
    );
    // Inside an inline module, `super::` is the file's module.
    assert_eq!(
        paths(
            "mod inner { use super::Thing; }\nuse super::Other;",
            &["sim"]
        ),
        vec![vec!["sim", "Thing"], vec!["Other"]]
    );
}

#[test]
fn an_upward_import_is_reported_single_line_multiline_and_through_super() {
    let floor = sample_floors();
    let re = sample_reexports();
    // Clean: downward and sideways.
    let ok = [src(
        "src/session.rs",
        &["session"],
        "use crate::{apdu::Command, tlv, Error};",
    )];
    assert_eq!(upward_imports(&ok, &re, &floor), Vec::<String>::new());

    for (label, module, text) in [
        ("single", &["error"][..], "use crate::cert::Jpki;"),
        (
            "multi",
            &["error"],
            "use crate::{\n    apdu::Command,\n    session::{\n        Session,\n    },\n};",
        ),
        ("path", &["apdu"], "fn f() -> usize { crate::sim::N }"),
        (
            "super",
            &["error", "advice"],
            "use super::super::cert::Jpki;",
        ),
        ("reexport", &["apdu"], "use crate::S;"),
    ] {
        let bad = upward_imports(&[src(label, module, text)], &re, &floor);
        assert_eq!(bad.len(), 1, "{label}: {bad:?}");
        assert!(bad[0].starts_with(label), "{bad:?}");
    }
    // A module on no floor.
    let bad = upward_imports(&[src("x", &["nowhere"], "")], &re, &floor);
    assert_eq!(bad.len(), 1, "{bad:?}");
}

#[test]
fn a_cycle_is_reported_with_its_edges() {
    let re = BTreeMap::new();
    let files = [
        src("a.rs", &["console"], "use crate::flow::Kiosk;"),
        src("b.rs", &["flow"], "use crate::text::T;"),
        src("c.rs", &["text"], "fn f() { super::console::drive() }"),
        src("d.rs", &["other"], "use crate::flow::Kiosk;"),
    ];
    let c = cycles(&graph(&files, &re));
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(
        c[0].starts_with("console -> flow (a.rs: crate::flow::Kiosk); flow -> text"),
        "{c:?}"
    );
    assert!(c[0].ends_with("text -> console (c.rs: crate::console::drive)"));
    // Without the closing edge there is none.
    let c = cycles(&graph(&files[..2], &re));
    assert!(c.is_empty(), "{c:?}");
}

#[test]
fn a_crate_dependency_against_the_documented_order_is_reported() {
    let names: BTreeSet<String> = ["mynacard", "mynacard-kiosk", "mynacard-ffi"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let floor = floor_of(&floors(
        "```crates\nmynacard\nmynacard-kiosk\nmynacard-ffi\n```",
        "crates",
    ));
    let manifest = |deps: &str| {
        format!("[package]\nname = \"x\"\n\n[dependencies]\n{deps}\n[dev-dependencies]\nmynacard-ffi = {{ path = \"../ffi\" }}\n")
    };
    let mut deps = BTreeMap::new();
    deps.insert(
        "mynacard-ffi".to_string(),
        member_dependencies(
            &manifest("mynacard = { path = \"../..\" }\nmynacard-kiosk = { path = \"../kiosk\" }"),
            &names,
        ),
    );
    deps.insert(
        "mynacard-kiosk".to_string(),
        member_dependencies(&manifest("mynacard = \"0.1\""), &names),
    );
    // Dev-dependencies do not count.
    assert_eq!(deps["mynacard-kiosk"].len(), 1, "{deps:?}");
    assert!(dependencies_against_order(&deps, &floor).is_empty());

    // The kiosk depending on the C ABI (above it), also through a target section and a rename.
    for planted in [
        "ffi = { package = \"mynacard-ffi\", path = \"../ffi\" }",
        "[target.'cfg(unix)'.dependencies]\nmynacard-ffi = { path = \"../ffi\" }",
    ] {
        deps.insert(
            "mynacard-kiosk".to_string(),
            member_dependencies(&manifest(planted), &names),
        );
        let bad = dependencies_against_order(&deps, &floor);
        assert_eq!(bad.len(), 1, "{planted}: {bad:?}");
        assert!(bad[0].starts_with("mynacard-kiosk (line 2) depends on mynacard-ffi (line 3)"));
    }
}

#[test]
fn the_wire_check_sees_built_commands_and_raw_bytes() {
    // What a front end may do: call the library.
    let clean = "use mynacard::apdu::{Response, StatusWord};\n\
                 use clap::Command;\n\
                 fn f(t: &mut T, c: &[u8]) { t.transmit(c); let x = Command::new(\"myna\"); }\n\
                 const SW: [u8; 2] = [0x90, 0x00];\n";
    assert_eq!(wire_violations("ok", clean), Vec::<String>::new());

    // A trait implementation may name the type; building one is still seen.
    let named = "use mynacard::apdu::Command;\nfn wrap(&mut self, c: Command) -> Command { c }\n";
    assert_eq!(wire_check("impl", named, true), Vec::<String>::new());
    assert!(!wire_check(
        "impl",
        "use mynacard::apdu::Command;\nfn f() { Command::parse(b); }",
        true
    )
    .is_empty());
    assert!(!wire_check(
        "impl",
        "fn f() { mynacard::apdu::Command::new(0, 0xA4, 4, 0); }",
        true
    )
    .is_empty());
    // Test-only items are not read; the same bytes outside them are.
    let in_test = "#[cfg(test)]\nmod tests { fn f(t: &mut T) { t.transmit(&[0x00, 0x84, 0x00, 0x00, 0x08]); } }\n";
    assert_eq!(wire_violations("unit test", in_test), Vec::<String>::new());
    assert!(!wire_violations("unit test", &in_test.replace("#[cfg(test)]", "")).is_empty());

    for planted in [
        "use mynacard::apdu::Command;",
        "use mynacard::apdu::{Response, Command};",
        "use mynacard::{\n    apdu::{\n        Command,\n    },\n};",
        "fn f() { let c = mynacard::apdu::Command::new(0x80, 0x2A, 0, 0x9E); }",
        "use mynacard::apdu::*;\nfn f() { let c = Command::parse(b); }",
        "fn f(t: &mut T) { t.transmit(&[0x00, 0xB0, 0x8A, 0x00, 0x00]); }",
        "fn f(t: &mut T) { let sel = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A]; t.transmit(&sel); }",
        "fn f(t: &mut T) { t.transmit(&hex::decode(APDU).unwrap()); }",
        "const VERIFY: &str = \"0020008004 31323334\";",
    ] {
        let bad = wire_violations("planted", planted);
        assert!(!bad.is_empty(), "not seen: {planted}");
    }
}
