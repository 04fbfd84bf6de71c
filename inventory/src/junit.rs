//! JUnit XML of a scan, for CI dashboards (`pqhkex scan --junit FILE`,
//! `pqhkex report --junit FILE`).
//!
//! The document is the de-facto JUnit format that CI systems read (Jenkins, GitLab,
//! GitHub test reporters, `junitparser`): a `<testsuites>` root holding
//!
//! * with requirements ([`crate::gate`]): one `<testsuite>` per requirement, named after
//!   it, and in it one `<testcase>` per target (`classname` the requirement, `name` the
//!   target). A target that meets the requirement is a passing test case; one that does
//!   not gets `<failure type="not-met">`; one whose evidence does not decide (a target
//!   not reached, probes without evidence) gets `<failure type="undetermined">`. It is
//!   deliberately a *failure*, not `<skipped>` (which dashboards show as neutral): an
//!   undetermined target fails the gate on the command line, and must not look green.
//! * without requirements: one `<testsuite name="scanned">` with one `<testcase>` per
//!   target (`classname` `scanned`), `<error type="KIND">` for a target with an error
//!   (the same targets that make `pqhkex scan` exit non-zero: not reached, TLS 1.2
//!   only, undetermined, ...).
//!
//! The failure's `message` attribute is one line (target, requirement and why); the
//! element's text adds the classification and posture. Text from the peer (a target
//! name, an error message) is escaped: `& < > " '` as entities, and characters XML 1.0
//! does not allow at all (control characters other than tab, line feed and carriage
//! return; U+FFFE, U+FFFF) as the visible text `\u{XXXX}`, so the document always
//! parses.
//!
//! ```
//! use pqhkex_inventory::gate::Requirement;
//! use pqhkex_inventory::{junit, Failure, ScanReport, TargetResult};
//!
//! let down = TargetResult::unreachable("db<1>:443", None, &Failure::Unreachable("refused".into()));
//! let xml = junit::render(&ScanReport::new(vec![down]), &[Requirement::Pq]);
//! assert!(xml.contains(r#"<testcase classname="pq" name="db&lt;1&gt;:443""#));
//! assert!(xml.contains(r#"<failure type="undetermined""#));
//! ```

use std::fmt::Write as _;

use crate::gate::{check, Outcome, Requirement};
use crate::{ScanReport, TargetResult};

/// `s` as XML 1.0 text that is safe in an attribute value too: markup characters as
/// entities, line breaks and tabs as character references, and characters XML cannot
/// carry at all (C0 controls, U+FFFE, U+FFFF) written out as `\u{..}`: the escaping of
/// the JUnit files' attributes, for other XML too (`pqhkex bench`'s SVG charts, whose
/// labels hold what a server said).
///
/// ```
/// assert_eq!(
///     pqhkex_inventory::junit::xml_escape("a<b & \"c\"\x1b"),
///     "a&lt;b &amp; &quot;c&quot;\\u{001b}"
/// );
/// ```
pub fn xml_escape(s: &str) -> String {
    escape(s, true)
}

/// Escapes text for XML 1.0 content or a double-quoted attribute value.
fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Kept as characters, not normalized to spaces, in an attribute (XML 1.0 §3.3.3).
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            // Not a Char of XML 1.0 (§2.2): not even as a character reference.
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Seconds, as JUnit's `time` attribute.
fn seconds(r: &TargetResult) -> String {
    format!("{:.3}", r.elapsed_ms.unwrap_or(0) as f64 / 1000.0)
}

/// One test case: (target, kind, message, detail), kind `None` when it passed.
struct Case<'a> {
    result: &'a TargetResult,
    /// `failure` or `error`, with its `type`.
    problem: Option<(&'static str, String, String)>,
}

fn suite(out: &mut String, name: &str, timestamp: &str, cases: &[Case<'_>]) {
    let count = |e: &str| {
        cases
            .iter()
            .filter(|c| c.problem.as_ref().is_some_and(|p| p.0 == e))
            .count()
    };
    let time: f64 = cases
        .iter()
        .map(|c| c.result.elapsed_ms.unwrap_or(0) as f64 / 1000.0)
        .sum();
    let _ = writeln!(
        out,
        r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="0" timestamp="{}" time="{time:.3}">"#,
        escape(name, true),
        cases.len(),
        count("failure"),
        count("error"),
        escape(timestamp, true),
    );
    for c in cases {
        let r = c.result;
        let head = format!(
            r#"    <testcase classname="{}" name="{}" time="{}""#,
            escape(name, true),
            escape(&r.target, true),
            seconds(r)
        );
        match &c.problem {
            None => {
                let _ = writeln!(out, "{head}/>");
            }
            Some((element, kind, message)) => {
                let detail = format!(
                    "{message}\nclassification: {}\npost-quantum posture: {}\n",
                    r.classification,
                    r.pq_posture.map_or("not reported", |p| p.as_str()),
                );
                let _ = writeln!(
                    out,
                    "{head}>\n      <{element} type=\"{}\" message=\"{}\">{}</{element}>\n    </testcase>",
                    escape(kind, true),
                    escape(message, true),
                    escape(&detail, false),
                );
            }
        }
    }
    out.push_str("  </testsuite>\n");
}

/// The JUnit XML document of `report`: one suite per requirement, one test case per
/// target and requirement; with no requirements, one suite `scanned`, one test case per
/// target. See the module documentation for the mapping.
///
/// ```
/// use pqhkex_inventory::{junit, ScanReport};
///
/// let xml = junit::render(&ScanReport::new(Vec::new()), &[]);
/// assert!(xml.starts_with("<?xml"));
/// assert!(xml.contains(r#"<testsuite name="scanned" tests="0""#));
/// ```
pub fn render(report: &ScanReport, requirements: &[Requirement]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut body = String::new();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    if requirements.is_empty() {
        let cases: Vec<Case<'_>> = report
            .targets
            .iter()
            .map(|r| Case {
                result: r,
                problem: r.error.as_ref().map(|e| {
                    let kind = serde_json::to_value(e.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_else(|| format!("{:?}", e.kind));
                    ("error", kind, format!("{}: {}", r.target, e.message))
                }),
            })
            .collect();
        tests += cases.len();
        errors += cases.iter().filter(|c| c.problem.is_some()).count();
        suite(&mut body, "scanned", &report.timestamp, &cases);
    }
    for &req in requirements {
        let cases: Vec<Case<'_>> = report
            .targets
            .iter()
            .map(|r| {
                let outcome = check(r, req);
                Case {
                    result: r,
                    problem: match &outcome {
                        Outcome::Met => None,
                        Outcome::NotMet { reason } | Outcome::Undetermined { reason } => Some((
                            "failure",
                            outcome.as_str().to_string(),
                            format!("{} does not meet {req}: {reason}", r.target),
                        )),
                    },
                }
            })
            .collect();
        tests += cases.len();
        failures += cases.iter().filter(|c| c.problem.is_some()).count();
        suite(&mut body, req.as_str(), &report.timestamp, &cases);
    }
    let _ = writeln!(
        out,
        r#"<testsuites name="pqhkex scan" tests="{tests}" failures="{failures}" errors="{errors}" skipped="0">"#
    );
    out.push_str(&body);
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Class, Failure, Posture, Status};

    fn reached(target: &str, class: Class, posture: Posture) -> TargetResult {
        TargetResult {
            status: Status::Ok,
            error: None,
            classification: class,
            pq_posture: Some(posture),
            elapsed_ms: Some(1234),
            ..TargetResult::unreachable(target, None, &Failure::Other(String::new()))
        }
    }

    fn report() -> ScanReport {
        ScanReport::new(vec![
            reached("good:443", Class::PqOnly, Posture::PqPreferred),
            reached(
                "old\u{7}\"&<x>:443",
                Class::ClassicalOnly,
                Posture::ClassicalOnly,
            ),
            TargetResult::unreachable(
                "down:1",
                None,
                &Failure::Unreachable("refused\r\nreally\u{1b}[31m".into()),
            ),
        ])
    }

    /// Parsed by a real XML parser: the structure, the counts and the escaped text.
    #[test]
    fn parses_with_requirements() {
        let xml = render(&report(), &[Requirement::Pq, Requirement::PqPreferred]);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("tests"), Some("6"));
        assert_eq!(root.attribute("failures"), Some("4"));
        let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        assert_eq!(suites.len(), 2);
        for (s, name) in suites.iter().zip(["pq", "pq-preferred"]) {
            assert_eq!(s.attribute("name"), Some(name));
            assert_eq!(s.attribute("tests"), Some("3"));
            assert_eq!(s.attribute("failures"), Some("2"));
            let cases: Vec<_> = s.children().filter(|n| n.is_element()).collect();
            let names: Vec<_> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
            assert_eq!(names, ["good:443", "old\\u{0007}\"&<x>:443", "down:1"]);
            assert!(cases.iter().all(|c| c.attribute("classname") == Some(name)));
            assert_eq!(cases[0].children().filter(|n| n.is_element()).count(), 0);
            assert_eq!(cases[0].attribute("time"), Some("1.234"));
            let failure = |i: usize| {
                cases[i]
                    .children()
                    .find(|n| n.has_tag_name("failure"))
                    .unwrap()
            };
            assert_eq!(failure(1).attribute("type"), Some("not-met"));
            let down = failure(2);
            assert_eq!(down.attribute("type"), Some("undetermined"));
            let message = down.attribute("message").unwrap();
            assert!(
                message.contains("refused\r\nreally\\u{001b}[31m"),
                "{message:?}"
            );
            assert!(down.text().unwrap().contains("classification: unreachable"));
        }
    }

    #[test]
    fn parses_without_requirements() {
        let xml = render(&report(), &[]);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("name"), Some("scanned"));
        assert_eq!(
            (suite.attribute("tests"), suite.attribute("errors")),
            (Some("3"), Some("1"))
        );
        let error = doc.descendants().find(|n| n.has_tag_name("error")).unwrap();
        assert_eq!(error.attribute("type"), Some("unreachable"));
        assert_eq!(error.parent().unwrap().attribute("name"), Some("down:1"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a&b<c>\"'", true), "a&amp;b&lt;c&gt;&quot;&apos;");
        assert_eq!(
            escape("x\ny\u{0}\u{ffff}", true),
            "x&#10;y\\u{0000}\\u{ffff}"
        );
        assert_eq!(escape("x\ny\tz", false), "x\ny\tz");
    }
}
