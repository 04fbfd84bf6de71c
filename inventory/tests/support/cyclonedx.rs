//! Strict CycloneDX 1.6 validation of a CBOM with the validator CI uses
//! (cyclonedx-python-lib's `JsonStrictValidator`, in the venv `.ci/steps/55-cbom-validate.sh`
//! installs under the target directory), when that venv is there.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The venv's Python: `PQHKEX_CBOM_PYTHON`, else `<target dir>/ci-cbom-venv/bin/python`.
fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PQHKEX_CBOM_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    let p = target.join("ci-cbom-venv/bin/python");
    p.exists().then_some(p)
}

const CHECK: &str = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(sys.stdin.read())
if error is not None:
    sys.exit(f"not valid CycloneDX 1.6: {error!r}")
"#;

/// Validates `bom` strictly against CycloneDX 1.6. Returns `false` (after saying so)
/// when the validator is not installed; panics when the document is invalid.
pub fn validate(bom: &serde_json::Value) -> bool {
    let Some(python) = python() else {
        eprintln!(
            "CycloneDX validator not installed (run .ci/steps/55-cbom-validate.sh once, or \
             set PQHKEX_CBOM_PYTHON): CBOM schema check skipped"
        );
        return false;
    };
    let mut child = Command::new(&python)
        .args(["-c", CHECK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(bom.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        serde_json::to_string_pretty(bom).unwrap()
    );
    true
}
