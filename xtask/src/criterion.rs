//! The benchmark section: criterion's estimates (`<dir>/**/new/estimates.json`), side by side
//! with the `iso7816` crate's where both were measured.

use std::collections::BTreeMap;
use std::path::Path;

/// Mean time per iteration in ns, by (group, function, case).
type Means = BTreeMap<(String, String, String), f64>;

fn collect(dir: &Path, out: &mut Means) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            let bench = path.join("benchmark.json");
            let est = path.join("estimates.json");
            if bench.exists() && est.exists() {
                let b: serde_json::Value = read(&bench)?;
                let e: serde_json::Value = read(&est)?;
                let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
                let mean = e["mean"]["point_estimate"]
                    .as_f64()
                    .ok_or_else(|| format!("{}: no mean", est.display()))?;
                out.insert(
                    (s(&b["group_id"]), s(&b["function_id"]), s(&b["value_str"])),
                    mean,
                );
            }
        } else {
            collect(&path, out)?;
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn ns(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.2} µs", v / 1e3)
    } else {
        format!("{v:.1} ns")
    }
}

/// The section, from criterion's output directory.
pub fn section(dir: &Path) -> Result<String, String> {
    let mut m = Means::new();
    collect(dir, &mut m)?;
    if m.is_empty() {
        return Err("no criterion estimates found (run `cargo bench` first)".into());
    }
    let mut s = String::from(
        "## Benchmarks\n\n\
         Criterion means from `cargo bench --bench apdu --bench sim` on the machine that \
         generated this file (they vary with the machine; the tables above do not).\n\n\
         ### APDU codec, side by side with the `iso7816` crate in the same run\n\n\
         | operation | case | mynacard | iso7816 | mynacard / iso7816 |\n|---|---|---|---|---|\n",
    );
    // Pair mynacard/<case> with iso7816/<case> in each group.
    for ((group, function, case), ours) in &m {
        if function != "mynacard" {
            continue;
        }
        if let Some(theirs) = m.get(&(group.clone(), "iso7816".to_owned(), case.clone())) {
            s.push_str(&format!(
                "| {group} | {case} | {} | {} | {:.2} |\n",
                ns(*ours),
                ns(*theirs),
                ours / theirs
            ));
        }
    }
    // Benchmarks without a counterpart in the other crate.
    let mut solo = Vec::new();
    for ((group, function, case), v) in &m {
        let twin = if function == "mynacard" {
            "iso7816"
        } else if function == "iso7816" {
            "mynacard"
        } else {
            ""
        };
        if !twin.is_empty() && m.contains_key(&(group.clone(), twin.to_owned(), case.clone())) {
            continue;
        }
        let name = [group.as_str(), function.as_str(), case.as_str()]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" / ");
        solo.push(format!("| {name} | {} | {:.0} |\n", ns(*v), 1e9 / v));
    }
    if !solo.is_empty() {
        s.push_str(
            "\n### Alone: the virtual card in-process, whole scenarios, other parsers\n\n\
             | benchmark | time per iteration | per second |\n|---|---|---|\n",
        );
        for line in solo {
            s.push_str(&line);
        }
    }
    Ok(s)
}
