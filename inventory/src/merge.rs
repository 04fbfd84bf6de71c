//! Saved scans read back and combined: what `pqhkex report` and `pqhkex report merge`
//! run on, with no rescanning.
//!
//! [`load`] reads either form `pqhkex scan` writes: the `--json` document (one JSON
//! object with `targets`, [`ScanReport`]) or `--jsonl` (one [`TargetResult`] per line).
//! [`merge`] combines the results of several files, e.g. the shards of one scan run as
//! separate processes (`scan --shard I/N`):
//!
//! * a target (by its `target` string, as given) found in several inputs is kept once
//!   when the results are the same apart from timings (every `elapsed_ms`), and is an
//!   error naming the target and both inputs otherwise: two different answers for one
//!   endpoint are not for the merge to choose between;
//! * the merged targets are sorted by target string (byte order), so that the merge of
//!   the same shards is the same document whatever order the files come in.
//!
//! ```no_run
//! use pqhkex_inventory::{cbom, merge, ScanReport};
//!
//! let shards = ["shard-0.jsonl", "shard-1.jsonl"]
//!     .iter()
//!     .map(|p| Ok((p.to_string(), merge::load(std::path::Path::new(p))?)))
//!     .collect::<Result<Vec<_>, pqhkex_inventory::Failure>>()?;
//! let report = ScanReport::new(merge::merge(shards)?);
//! let bom = cbom::build(&report.targets, &report.timestamp);
//! # Ok::<(), pqhkex_inventory::Failure>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::{Failure, ScanReport, TargetResult};

/// Which form a saved scan is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `scan --json`: one document with `targets`.
    Document,
    /// `scan --jsonl`: one target result per line.
    Lines,
}

/// Tells the two forms apart: a file whose first non-empty line is a complete JSON
/// object without `targets` is JSON Lines; anything else is read as one document.
///
/// ```
/// use pqhkex_inventory::merge::{detect, Format};
///
/// assert_eq!(detect("{\n  \"schema_version\": \"3\",\n  \"targets\": []\n}\n"), Format::Document);
/// assert_eq!(detect("{\"target\":\"a:1\"}\n{\"target\":\"b:1\"}\n"), Format::Lines);
/// ```
pub fn detect(text: &str) -> Format {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    match first.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(o))) if !o.contains_key("targets") => Format::Lines,
        _ => Format::Document,
    }
}

/// Parses a saved scan's text; `name` labels errors (`FILE:LINE: ...`).
///
/// ```
/// let one = r#"{"target":"a:1","address":null,"status":"error","error":{"kind":"unreachable","message":"refused","exit_code":3},"classification":"unreachable","quantum_safe_by_default":false,"tls12_only":false,"default_offer":null,"accepted":{"hybrid":[],"post_quantum":[],"classical":[]},"groups":[],"certificate":null}"#;
/// let targets = pqhkex_inventory::merge::parse("scan.jsonl", &format!("{one}\n\n{one}\n"))?;
/// assert_eq!(targets.len(), 2);
/// assert!(pqhkex_inventory::merge::parse("x.jsonl", "{\"target\": 1}\n").is_err());
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn parse(name: &str, text: &str) -> Result<Vec<TargetResult>, Failure> {
    match detect(text) {
        Format::Document => serde_json::from_str::<ScanReport>(text)
            .map(|r| r.targets)
            .map_err(|e| {
                Failure::Other(format!(
                    "{name}: not a pqhkex scan document (`scan --json`) nor JSON Lines (`scan --jsonl`): {e}"
                ))
            }),
        Format::Lines => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str::<TargetResult>(l).map_err(|e| {
                    Failure::Other(format!(
                        "{name}:{}: not a pqhkex target result (`scan --jsonl`): {e}",
                        i + 1
                    ))
                })
            })
            .collect(),
    }
}

/// Reads a saved scan (`scan --json` or `scan --jsonl`), see [`parse`].
///
/// ```no_run
/// let targets = pqhkex_inventory::merge::load(std::path::Path::new("scan.json"))?;
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
pub fn load(path: &Path) -> Result<Vec<TargetResult>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Other(format!("cannot read {}: {e}", path.display())))?;
    parse(&path.display().to_string(), &text)
}

/// A result as JSON without its timings, for comparing two scans of one target.
fn without_timings(r: &TargetResult) -> Result<Value, Failure> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(o) => {
                o.remove("elapsed_ms");
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(r).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
    strip(&mut v);
    Ok(v)
}

/// Combines the results of several inputs, each `(name, results)`: one result per
/// target string, sorted by it; a target with different results (timings aside) in two
/// places is an error naming it and both inputs.
///
/// ```
/// use pqhkex_inventory::{merge::merge, Failure, TargetResult};
///
/// let down = |t: &str, why: &str| TargetResult::unreachable(t, None, &Failure::Unreachable(why.into()));
/// let merged = merge(vec![
///     ("a.json".to_string(), vec![down("b:1", "refused"), down("a:1", "refused")]),
///     ("b.json".to_string(), vec![down("a:1", "refused")]),
/// ])?;
/// assert_eq!(merged.iter().map(|r| r.target.as_str()).collect::<Vec<_>>(), ["a:1", "b:1"]);
///
/// let e = merge(vec![
///     ("a.json".to_string(), vec![down("a:1", "refused")]),
///     ("b.json".to_string(), vec![down("a:1", "no route")]),
/// ]).unwrap_err();
/// assert!(e.message().contains("a:1") && e.message().contains("b.json"));
/// # Ok::<(), Failure>(())
/// ```
pub fn merge(
    inputs: impl IntoIterator<Item = (String, Vec<TargetResult>)>,
) -> Result<Vec<TargetResult>, Failure> {
    let mut seen: BTreeMap<String, (TargetResult, String)> = BTreeMap::new();
    for (name, results) in inputs {
        for r in results {
            match seen.get(&r.target) {
                Some((kept, from)) => {
                    if without_timings(kept)? != without_timings(&r)? {
                        return Err(Failure::Other(format!(
                            "target {} has different results in {from} and {name}: \
                             merge combines shards of one scan, it does not choose between two scans",
                            r.target
                        )));
                    }
                }
                None => {
                    seen.insert(r.target.clone(), (r, name.clone()));
                }
            }
        }
    }
    Ok(seen.into_values().map(|(r, _)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Class, Posture, Status};

    fn reached(target: &str, class: Class, elapsed: u64) -> TargetResult {
        TargetResult {
            status: Status::Ok,
            error: None,
            classification: class,
            pq_posture: Some(Posture::PqCapable),
            elapsed_ms: Some(elapsed),
            ..TargetResult::unreachable(target, None, &Failure::Other(String::new()))
        }
    }

    #[test]
    fn both_forms_round_trip() {
        let targets = vec![
            reached("b:443", Class::PqAndClassical, 3),
            reached("a:443", Class::ClassicalOnly, 4),
        ];
        let doc = serde_json::to_string_pretty(&ScanReport::new(targets.clone())).unwrap();
        assert_eq!(detect(&doc), Format::Document);
        assert_eq!(parse("d.json", &doc).unwrap(), targets);
        let lines: String = targets
            .iter()
            .map(|t| serde_json::to_string(t).unwrap() + "\n")
            .collect();
        assert_eq!(detect(&lines), Format::Lines);
        assert_eq!(parse("d.jsonl", &lines).unwrap(), targets);
        // A compact document on one line is still a document.
        let compact = serde_json::to_string(&ScanReport::new(targets.clone())).unwrap();
        assert_eq!(parse("c.json", &compact).unwrap(), targets);
    }

    #[test]
    fn errors_name_file_and_line() {
        let good = serde_json::to_string(&reached("a:1", Class::PqOnly, 1)).unwrap();
        let e = parse("s.jsonl", &format!("{good}\n{{\"target\": 5}}\n")).unwrap_err();
        assert!(e.message().starts_with("s.jsonl:2: "), "{e}");
        let e = parse("s.json", "{\n  \"targets\": [\n").unwrap_err();
        assert!(e.message().starts_with("s.json: "), "{e}");
        let e = parse("s.json", "").unwrap_err();
        assert!(e.message().starts_with("s.json: "), "{e}");
    }

    #[test]
    fn merge_dedups_sorts_and_refuses_conflicts() {
        let shard1 = vec![
            reached("c:1", Class::PqOnly, 10),
            reached("a:1", Class::PqOnly, 10),
        ];
        let shard2 = vec![
            reached("b:1", Class::ClassicalOnly, 10),
            // The same target in two inputs, only the timing differs: one result.
            reached("a:1", Class::PqOnly, 99),
        ];
        let merged = merge(vec![
            ("1".into(), shard1.clone()),
            ("2".into(), shard2.clone()),
        ])
        .unwrap();
        let names: Vec<_> = merged.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(names, ["a:1", "b:1", "c:1"]);
        assert_eq!(
            merged[0].elapsed_ms,
            Some(10),
            "the first input's result is kept"
        );
        // The order of the inputs does not change the targets.
        let swapped = merge(vec![("2".into(), shard2), ("1".into(), shard1.clone())]).unwrap();
        assert_eq!(
            swapped.iter().map(|r| &r.target).collect::<Vec<_>>(),
            merged.iter().map(|r| &r.target).collect::<Vec<_>>()
        );
        let conflict = vec![reached("c:1", Class::ClassicalOnly, 10)];
        let e = merge(vec![
            ("one.json".into(), shard1),
            ("two.json".into(), conflict),
        ])
        .unwrap_err();
        assert!(
            e.message().contains("target c:1") && e.message().contains("one.json and two.json"),
            "{e}"
        );
    }
}
