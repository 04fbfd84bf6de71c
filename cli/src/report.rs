//! The outputs a scan shares with `pqhkex report` (the `--require` gate, `--junit`,
//! `--html`), and `pqhkex report` itself: saved scans (`scan --json` or `--jsonl`) back
//! as the table, JSON, JUnit, HTML or CBOM without rescanning, and `report merge`, which
//! combines the outputs of shards into one report and one CBOM.
//!
//! # The gate's exit code
//!
//! With `--require LEVEL` the exit code is the gate's, not the scan's:
//!
//! * 0 when every target meets every level given;
//! * 10 when a target that was reached does not meet a level, or its evidence does not
//!   decide (an undetermined target fails the gate: nothing passes without evidence);
//! * otherwise, when the only targets short of a level are targets not reached at all
//!   (unreachable, timeout, not TLS or SSH), the code of the first of them (3, 4, 5), so
//!   that a CI job can tell "the network failed" from "the policy failed".
//!
//! So 10 takes precedence over an unreachable target's code; stderr names every
//! failing target, level and reason either way, one line each.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pqhkex_inventory::gate::{check, Outcome, Requirement};
use pqhkex_inventory::{cbom, junit, merge, Failure, ScanReport, Status, TargetResult};

use crate::scan::{Sink, Summary};
use crate::term::message;

/// The exit code of a scan or report whose `--require` gate failed.
pub const POLICY_NOT_MET: u8 = 10;

/// The gate and the report files, shared by `scan` and `report`.
#[derive(clap::Args, Debug, Default)]
pub struct Outputs {
    /// Fail unless every target meets LEVEL: pq (accepts a post-quantum group), hybrid
    /// (accepts a hybrid group), pq-preferred (picks post-quantum when the client offers
    /// both), pq-auth (post-quantum or composite authentication). Repeatable or
    /// comma-separated. A target short of a level, or undetermined, exits 10 and is named
    /// on stderr; targets not reached at all exit with their own code (3, 4, 5) when
    /// nothing else failed.
    #[arg(long = "require", value_name = "LEVEL", value_delimiter = ',')]
    pub require: Vec<Requirement>,
    /// Write JUnit XML: one test case per target and --require level (or, without
    /// --require, per target: an error for each target with one).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write one self-contained HTML page of the results.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl Outputs {
    /// Whether an output needs every result at the end (the gate does not: it checks
    /// each as it passes).
    pub fn needs_all(&self) -> bool {
        self.junit.is_some() || self.html.is_some()
    }

    /// Writes the JUnit and HTML files of `report`.
    pub fn write_files(&self, report: &ScanReport) -> Result<(), Failure> {
        if let Some(path) = &self.junit {
            write_file(path, &junit::render(report, &self.require))?;
        }
        if let Some(path) = &self.html {
            write_file(path, &pqhkex_inventory::html::render(report))?;
        }
        Ok(())
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))
}

/// The `--require` gate, fed one result at a time.
#[derive(Default)]
pub struct Gate {
    levels: Vec<Requirement>,
    /// One stderr line per failing target and level.
    lines: Vec<String>,
    /// A reached target failed a level.
    policy_failed: bool,
    /// The exit code of the first target short of a level that was not reached.
    not_reached: Option<u8>,
}

impl Gate {
    /// A gate for `levels` (none: the gate is off).
    pub fn new(levels: &[Requirement]) -> Gate {
        Gate {
            levels: levels.to_vec(),
            ..Gate::default()
        }
    }

    /// Checks one result against every level.
    pub fn add(&mut self, r: &TargetResult) {
        for &level in &self.levels {
            let outcome = check(r, level);
            let Some(reason) = outcome.reason() else {
                continue;
            };
            let what = match outcome {
                Outcome::NotMet { .. } => "not met",
                _ => "undetermined",
            };
            self.lines.push(format!(
                "pqhkex: require {level}: {} {what}: {}",
                message(&r.target),
                message(reason)
            ));
            if r.status == Status::Error {
                if self.not_reached.is_none() {
                    self.not_reached = Some(r.error.as_ref().map_or(1, |e| e.exit_code));
                }
            } else {
                self.policy_failed = true;
            }
        }
    }

    /// Prints the failing lines to stderr and returns the gate's exit code, or `None`
    /// when the gate is off (the scan's own code applies).
    pub fn finish(self) -> Option<u8> {
        if self.levels.is_empty() {
            return None;
        }
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        for line in &self.lines {
            let _ = writeln!(err, "{line}");
        }
        Some(if self.policy_failed {
            POLICY_NOT_MET
        } else {
            self.not_reached.unwrap_or(0)
        })
    }
}

/// Writes a CycloneDX CBOM of `report`.
pub fn write_cbom(path: &Path, report: &ScanReport) -> Result<(), Failure> {
    let bom = cbom::build(&report.targets, &report.timestamp);
    let text =
        serde_json::to_string_pretty(&bom).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
    write_file(path, &(text + "\n"))
}

/// `pqhkex report`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: Option<ReportCommand>,
    /// Saved scans: `scan --json` documents or `scan --jsonl` files (told apart by
    /// their content). One file keeps its order; several are merged as by
    /// `report merge` (one result per target, sorted by target).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print the JSON document (as `scan --json`) instead of the table.
    #[arg(long)]
    json: bool,
    /// Write a CycloneDX 1.6 CBOM of the results.
    #[arg(long, value_name = "FILE")]
    cbom: Option<PathBuf>,
    #[command(flatten)]
    outputs: Outputs,
}

#[derive(clap::Subcommand, Debug)]
enum ReportCommand {
    /// Combine saved scans (e.g. the shards of `scan --shard I/N`) into one `scan --json`
    /// document: one result per target (a target with different results in two inputs,
    /// timings aside, is an error naming it), sorted by target string.
    Merge(MergeArgs),
}

#[derive(clap::Args, Debug)]
struct MergeArgs {
    /// Saved scans: `scan --json` documents or `scan --jsonl` files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Where to write the merged document.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: PathBuf,
    /// Also write one CycloneDX 1.6 CBOM of the merged targets.
    #[arg(long, value_name = "FILE")]
    cbom: Option<PathBuf>,
}

/// The results of `files`: one file as it is, several merged.
fn load_all(files: &[PathBuf]) -> Result<Vec<TargetResult>, Failure> {
    if let [one] = files {
        return merge::load(one);
    }
    let inputs = files
        .iter()
        .map(|p| Ok((p.display().to_string(), merge::load(p)?)))
        .collect::<Result<Vec<_>, Failure>>()?;
    merge::merge(inputs)
}

/// `pqhkex report`.
pub fn run(args: ReportArgs) -> Result<ExitCode, Failure> {
    if let Some(ReportCommand::Merge(m)) = args.command {
        let report = ScanReport::new(load_all(&m.files)?);
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        write_file(&m.output, &(text + "\n"))?;
        if let Some(path) = &m.cbom {
            write_cbom(path, &report)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = ScanReport::new(load_all(&args.files)?);
    let mut summary = Summary::default();
    let mut gate = Gate::new(&args.outputs.require);
    let mut sink = if args.json {
        Sink::Json { first: true }
    } else {
        Sink::Table
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    sink.start(&mut out, &ScanReport::new(Vec::new()))?;
    for r in &report.targets {
        summary.add(r);
        gate.add(r);
        sink.target(&mut out, r)?;
    }
    sink.finish(&mut out, &summary);
    let _ = out.flush();
    if let Some(path) = &args.cbom {
        write_cbom(path, &report)?;
    }
    args.outputs.write_files(&report)?;
    let code = gate.finish().or(summary.exit).unwrap_or(0);
    Ok(ExitCode::from(code))
}
