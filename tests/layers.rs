//! The library's layers: no module imports one above it, and there is no import cycle. The
//! order is read from `docs/ARCHITECTURE.md` (the `layers` block), the one place it is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layer of each top-level module, read from the architecture document.
fn layers() -> BTreeMap<String, usize> {
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md"))
            .expect("docs/ARCHITECTURE.md");
    let block = doc
        .split("```layers\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```layers block in docs/ARCHITECTURE.md");
    let mut out = BTreeMap::new();
    for (i, line) in block.lines().enumerate() {
        for m in line.split_whitespace() {
            assert!(
                out.insert(m.to_string(), i).is_none(),
                "{m} is listed twice"
            );
        }
    }
    out
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a source text names through `crate::`, outside comments and outside
/// its `#[cfg(test)] mod tests` block.
fn imports(text: &str) -> BTreeSet<String> {
    let text = text.split("#[cfg(test)]\nmod tests {").next().unwrap();
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end].split(',').collect()
            } else {
                vec![rest]
            };
            for n in names {
                let n = n.trim();
                let end = n
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(n.len());
                let n = &n[..end];
                // The crate root re-exports these.
                let m = match n {
                    "Card" | "LastTry" => "card",
                    "Error" | "Result" | "Advice" => "error",
                    "Lang" => "lang",
                    _ => n,
                };
                if !m.is_empty() {
                    out.insert(m.to_string());
                }
            }
        }
    }
    out
}

/// module -> the modules it imports, for every module file of `src/`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = top.trim_end_matches(".rs").to_string();
        if module == "lib" || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let deps = imports(&fs::read_to_string(&f).unwrap());
        let e = g.entry(module.clone()).or_default();
        e.extend(deps.into_iter().filter(|d| *d != module));
    }
    g
}

#[test]
fn every_module_is_placed_in_a_layer() {
    let layers = layers();
    for m in graph().keys() {
        assert!(
            layers.contains_key(m),
            "module {m} is not in docs/ARCHITECTURE.md's layers"
        );
    }
}

#[test]
fn no_module_imports_one_above_it() {
    let layers = layers();
    let mut bad = Vec::new();
    for (m, deps) in graph() {
        let Some(&lm) = layers.get(&m) else { continue };
        for d in deps {
            match layers.get(&d) {
                Some(&ld) if ld <= lm => {}
                Some(&ld) => bad.push(format!("{m} (layer {lm}) imports {d} (layer {ld})")),
                None => bad.push(format!("{m} imports {d}, which is in no layer")),
            }
        }
    }
    assert!(
        bad.is_empty(),
        "imports against the layer order:\n{}",
        bad.join("\n")
    );
}

#[test]
fn there_is_no_import_cycle() {
    let g = graph();
    // Depth-first search; a grey node met again closes a cycle.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let i = path.iter().position(|p| p == m).unwrap();
                let mut c = path[i..].to_vec();
                c.push(m.to_string());
                return Some(c);
            }
            _ => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, g, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        if let Some(c) = visit(m, &g, &mut state, &mut Vec::new()) {
            panic!("import cycle: {}", c.join(" -> "));
        }
    }
}

#[test]
fn the_reader_sees_grouped_and_path_imports() {
    let deps = imports(
        "use crate::apdu::{ins, Command};\nuse crate::{Card, LastTry};\n// crate::sim in a comment\nlet x = crate::tlv::header(d);\n#[cfg(test)]\nmod tests {\n use crate::sim;\n}",
    );
    let want: BTreeSet<String> = ["apdu", "card", "tlv"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(deps, want);
}
