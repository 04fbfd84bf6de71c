//! A scan as one self-contained HTML page: what `pqhkex scan --html FILE` and
//! `pqhkex report --html FILE` write, for people rather than programs.
//!
//! [`render`] turns a [`ScanReport`] into one HTML5 document with
//! * a header: when the scan ran, the tool's version, how many targets;
//! * a summary chart of the endpoints by key-exchange posture ([`Posture`], plus
//!   "unreachable" and "not reported"), an inline SVG bar chart, and the counts by
//!   classification ([`Class`]);
//! * a target × group matrix: one row per target, one column per group any target was
//!   probed with, each cell saying in words (and in colour) what the server did;
//! * the certificate and authentication table: leaf key, the chain's signature
//!   algorithms, the authentication class, whether ML-DSA is used when asked;
//! * TLS 1.2 and older, RSA key transport first, when probed;
//! * SSH targets: key-exchange methods, host-key algorithms and the host key seen;
//! * each target's migration plan, most urgent step first.
//!
//! The page fetches nothing and runs no script: the styles are inline, the chart is
//! inline SVG, and a Content-Security-Policy `<meta>` forbids everything else
//! (`default-src 'none'`), so even a page rendered from a tampered JSON report cannot
//! load or run anything. Every string from the report — target names, certificate
//! subjects, error messages, reasons, all of which a scanned peer may choose — goes
//! through [`escape`]. Every row and section about a target carries
//! `data-target="…"` (the target as given, escaped), so tools and tests can find it.
//!
//! ```
//! use pqhkex_inventory::{html, Failure, ScanReport, TargetResult};
//!
//! let down = TargetResult::unreachable("db.internal:443", None, &Failure::Unreachable("refused".into()));
//! let page = html::render(&ScanReport::new(vec![down]));
//! assert!(page.contains(r#"data-target="db.internal:443""#));
//! assert!(!page.contains("<script"));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::auth::Authentication;
use crate::cert::CertificateEntry;
use crate::legacy::{KxKind, Legacy};
use crate::migration::{MigrationStep, Urgency};
use crate::ssh::SshReport;
use crate::{
    Answer, Class, GroupKind, Posture, Probe, ProbeResult, Protocol, ScanReport, Status,
    TargetResult,
};

/// The page's Content-Security-Policy: nothing may be fetched or run; only the inline
/// styles (and `data:` images, which the page does not use today) are allowed.
///
/// ```
/// assert!(pqhkex_inventory::html::CONTENT_SECURITY_POLICY.starts_with("default-src 'none'"));
/// ```
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Escapes `text` for HTML text and for double- or single-quoted attribute values:
/// `&`, `<`, `>`, `"` and `'` become character references; control characters (which
/// HTML does not allow in a document, except tab, line feed and carriage return) and
/// the bidirectional formatting characters (which can make a name read as another,
/// "Trojan Source", CVE-2021-42574) are shown as visible `\u{…}` text instead of
/// passed through.
///
/// ```
/// use pqhkex_inventory::html::escape;
///
/// assert_eq!(escape("<b title=\"x\">&'</b>"), "&lt;b title=&quot;x&quot;&gt;&amp;&#39;&lt;/b&gt;");
/// assert_eq!(escape("a\u{1b}[31mb"), "a\\u{1b}[31mb");
/// assert_eq!(escape("caf\u{e9}.example"), "caf\u{e9}.example");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            // C0, DEL and C1 controls: parse errors in HTML (WHATWG HTML §13.2.3.5,
            // "control-character-in-input-stream"); the bidi overrides and isolates.
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The JSON spelling of a kebab-case enum of the report (the one the schema names),
/// for the enums that have no `as_str`.
fn spelling<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "unknown".to_string(),
    }
}

/// The summary chart's buckets, in the order drawn.
const BUCKETS: [(&str, &str, &str); 6] = [
    (
        "pq-preferred",
        "PQ preferred",
        "picks a post-quantum group even when the client prefers classical",
    ),
    (
        "pq-capable",
        "PQ capable",
        "accepts post-quantum, but follows a client that prefers classical",
    ),
    (
        "classical-only",
        "Classical only",
        "no post-quantum key exchange is possible",
    ),
    (
        "undetermined",
        "Undetermined",
        "the evidence does not decide",
    ),
    ("unreachable", "Unreachable", "could not be scanned"),
    (
        "not-reported",
        "Not reported",
        "reached, but the report carries no posture (an older schema version)",
    ),
];

/// The chart bucket of a target: its posture, or `unreachable`, or `not-reported`.
fn bucket(r: &TargetResult) -> &'static str {
    if r.status == Status::Error || r.classification == Class::Unreachable {
        return "unreachable";
    }
    match r.pq_posture {
        Some(Posture::PqPreferred) => "pq-preferred",
        Some(Posture::PqCapable) => "pq-capable",
        Some(Posture::ClassicalOnly) => "classical-only",
        Some(Posture::Undetermined) => "undetermined",
        None => "not-reported",
    }
}

/// The tone (CSS class) of a classification.
fn class_tone(c: Class) -> &'static str {
    match c {
        Class::PqOnly | Class::PqAndClassical => "good",
        Class::ClassicalOnly | Class::Tls12Only | Class::LegacyTlsOnly => "bad",
        Class::NoCommonGroup | Class::Undetermined => "unknown",
        Class::Unreachable => "down",
    }
}

/// The tone (CSS class) of a chart bucket.
fn bucket_tone(b: &str) -> &'static str {
    match b {
        "pq-preferred" => "good",
        "pq-capable" => "fair",
        "classical-only" => "bad",
        "unreachable" => "down",
        _ => "unknown",
    }
}

/// What a probe result reads as in a matrix cell, and its tone.
fn result_label(r: ProbeResult) -> (&'static str, &'static str) {
    match r {
        ProbeResult::Accepted => ("accepted", "good"),
        ProbeResult::HelloRetryRequest => ("accepted (HRR)", "fair"),
        ProbeResult::Rejected => ("refused", "bad"),
        ProbeResult::Error => ("error", "warn"),
        ProbeResult::Undetermined => ("undetermined", "unknown"),
        ProbeResult::NotTested => ("not tested", "muted"),
        ProbeResult::NotApplicable => ("not applicable", "muted"),
    }
}

fn answer_tone(a: Answer, yes_is_good: bool) -> &'static str {
    match (a, yes_is_good) {
        (Answer::Yes, true) | (Answer::No, false) => "good",
        (Answer::Yes, false) | (Answer::No, true) => "bad",
        (Answer::Undetermined, _) => "unknown",
    }
}

fn urgency_tone(u: Urgency) -> &'static str {
    match u {
        Urgency::Now => "bad",
        Urgency::High => "warn",
        Urgency::Medium => "fair",
        Urgency::Plan => "plan",
        Urgency::Info => "muted",
    }
}

/// A labelled badge: the text always says what the colour says.
fn badge(out: &mut String, tone: &str, text: &str) {
    let _ = write!(out, r#"<span class="badge {tone}">{}</span>"#, escape(text));
}

/// `title="…"` with the escaped text, or nothing.
fn title_attr(text: Option<&str>) -> String {
    match text {
        Some(t) if !t.is_empty() => format!(r#" title="{}""#, escape(t)),
        _ => String::new(),
    }
}

const STYLE: &str = r#"
:root{--ink:#1d232b;--muted:#5b6572;--line:#d5dae1;--bg:#ffffff;--soft:#f4f6f8;
--good:#1f7a3a;--good-bg:#dcf1e2;--fair:#2f6f8f;--fair-bg:#dceef6;--bad:#a3262a;--bad-bg:#f8dedd;
--warn:#8a5a00;--warn-bg:#fbecc8;--unknown:#55606c;--unknown-bg:#e6e9ed;--down:#3b3f45;--down-bg:#d3d6da;
--plan:#4b3f8f;--plan-bg:#e6e2f6;--muted-bg:#f1f2f4}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;padding:24px 32px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{border-bottom:2px solid var(--ink);padding-bottom:12px;margin-bottom:20px}
h1{font-size:24px;margin:0 0 8px}
h2{font-size:18px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px;word-break:break-all}
p.note{color:var(--muted);margin:4px 0 10px;max-width:70em}
dl.meta{display:flex;flex-wrap:wrap;gap:6px 28px;margin:0}
dl.meta div{display:flex;gap:6px}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;font-weight:600}
.summary{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.chart{flex:0 1 660px;min-width:360px}
.chart svg{width:100%;height:auto;display:block}
.chart text{font:13px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#1d232b}
.chart .count{font-weight:600}
.chart .axis{stroke:#9aa3ad;stroke-width:1}
.bar.good{fill:var(--good)}.bar.fair{fill:var(--fair)}.bar.bad{fill:var(--bad)}
.bar.unknown{fill:#8c96a1}.bar.down{fill:var(--down)}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600}
th.group{min-width:7.5em}
th.group small{display:block;font-weight:400;color:var(--muted)}
td.target,th.target{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere;min-width:15em;max-width:24em}
.nowrap{white-space:nowrap}
#ssh-table li{white-space:nowrap}
.fp{word-break:break-all}
td.hostkey{min-width:16em;max-width:24em}
td.cell{white-space:nowrap}
td.cell small{display:block;color:var(--muted);font-size:11.5px}
td.good,.badge.good{background:var(--good-bg);color:var(--good)}
td.fair,.badge.fair{background:var(--fair-bg);color:var(--fair)}
td.bad,.badge.bad{background:var(--bad-bg);color:var(--bad)}
td.warn,.badge.warn{background:var(--warn-bg);color:var(--warn)}
td.unknown,.badge.unknown{background:var(--unknown-bg);color:var(--unknown)}
td.down,.badge.down{background:var(--down-bg);color:var(--down)}
td.muted,.badge.muted{background:var(--muted-bg);color:var(--muted)}
.badge.plan{background:var(--plan-bg);color:var(--plan)}
td.good,td.fair,td.bad,td.warn{font-weight:600}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600;white-space:nowrap}
ul.plain{list-style:none;margin:0;padding:0}
ul.plain li{margin:1px 0}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.err{color:var(--bad)}
.dim{color:var(--muted)}
section.plan{border:1px solid var(--line);border-radius:6px;padding:4px 14px 10px;margin:10px 0;break-inside:avoid}
ol.steps{margin:6px 0;padding-left:22px}
ol.steps li{margin:6px 0}
ol.steps .reason{display:block;color:var(--muted)}
footer{margin-top:36px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{body{padding:0;font-size:11px}h2{break-after:avoid}tr,section.plan,.chart{break-inside:avoid}.scroll{overflow:visible}a{color:inherit;text-decoration:none}}
"#;

/// Renders `report` as one self-contained HTML5 document (see the [module
/// documentation](self) for what it holds). Pure: no I/O, the same report gives the
/// same page.
///
/// ```
/// use pqhkex_inventory::{html, ScanReport};
///
/// let page = html::render(&ScanReport::new(Vec::new()));
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// assert!(page.contains("No targets were scanned"));
/// ```
pub fn render(report: &ScanReport) -> String {
    let mut out = String::with_capacity(16 * 1024 + report.targets.len() * 4096);
    let reached = report
        .targets
        .iter()
        .filter(|r| bucket(r) != "unreachable")
        .count();
    let _ = write!(
        out,
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"generator\" content=\"{tool} {version}\">\n",
            "<title>Post-quantum inventory: {n} target{s}, {time}</title>\n",
            "<style>{style}</style>\n</head>\n<body>\n"
        ),
        csp = CONTENT_SECURITY_POLICY,
        tool = escape(&report.tool),
        version = escape(&report.version),
        n = report.targets.len(),
        s = if report.targets.len() == 1 { "" } else { "s" },
        time = escape(&report.timestamp),
        style = STYLE,
    );
    let _ = write!(
        out,
        concat!(
            "<header id=\"top\">\n<h1>Post-quantum inventory</h1>\n<dl class=\"meta\">",
            "<div><dt>Scan time</dt><dd id=\"scan-time\">{time}</dd></div>",
            "<div><dt>Tool</dt><dd id=\"tool-version\">{tool} {version}</dd></div>",
            "<div><dt>Schema</dt><dd>version {schema}</dd></div>",
            "<div><dt>Targets</dt><dd id=\"target-count\" data-count=\"{n}\">{n} ({reached} reached, {down} unreachable)</dd></div>",
            "</dl>\n</header>\n<main>\n"
        ),
        time = escape(&report.timestamp),
        tool = escape(&report.tool),
        version = escape(&report.version),
        schema = escape(&report.schema_version),
        n = report.targets.len(),
        reached = reached,
        down = report.targets.len() - reached,
    );
    if report.targets.is_empty() {
        out.push_str("<p class=\"note\" id=\"empty\">No targets were scanned.</p>\n");
    }
    summary(&mut out, report);
    matrix(&mut out, report);
    authentication(&mut out, report);
    legacy(&mut out, report);
    ssh(&mut out, report);
    plans(&mut out, report);
    let _ = write!(
        out,
        "</main>\n<footer>Written by {} {} from a scan of schema version {}. Self-contained: no external resources, no scripts.</footer>\n</body>\n</html>\n",
        escape(&report.tool),
        escape(&report.version),
        escape(&report.schema_version)
    );
    out
}

/// The summary: the posture bar chart and the counts by classification.
fn summary(out: &mut String, report: &ScanReport) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &report.targets {
        *counts.entry(bucket(r)).or_default() += 1;
    }
    let total = report.targets.len();
    let max = counts.values().copied().max().unwrap_or(0).max(1);
    out.push_str("<section id=\"summary\">\n<h2>Endpoints by key-exchange posture</h2>\n");
    out.push_str("<p class=\"note\">What a client that offers both classical and post-quantum key exchange gets: preferred means the server picks post-quantum even when the client lists a classical group first.</p>\n");
    out.push_str("<div class=\"summary\">\n<figure class=\"chart\" style=\"margin:0\">\n");
    // Geometry: a label column, the bars, and room for the count after each bar.
    let (label_w, bar_w, row_h, top) = (150u32, 380u32, 34u32, 8u32);
    let height = top * 2 + row_h * BUCKETS.len() as u32;
    let width = label_w + bar_w + 110;
    let _ = write!(
        out,
        "<svg id=\"posture-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"posture-chart-title\">\n<title id=\"posture-chart-title\">Endpoints by posture, {total} in all</title>\n"
    );
    for (i, (key, label, meaning)) in BUCKETS.iter().enumerate() {
        let n = counts.get(key).copied().unwrap_or(0);
        let y = top + row_h * i as u32;
        let w = if n == 0 {
            0
        } else {
            ((bar_w as usize * n) / max).max(3) as u32
        };
        let pct = (n * 100 + total / 2).checked_div(total).unwrap_or(0);
        let _ = write!(
            out,
            concat!(
                "<g class=\"bucket\" data-posture=\"{key}\" data-count=\"{n}\"><title>{label}: {n} ({meaning})</title>",
                "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>",
                "<rect class=\"bar {tone}\" x=\"{bx}\" y=\"{ry}\" width=\"{w}\" height=\"{bh}\" rx=\"2\"/>",
                "<text class=\"count\" x=\"{cx}\" y=\"{ty}\">{n} ({pct}%)</text></g>\n"
            ),
            key = key,
            n = n,
            label = label,
            meaning = meaning,
            lx = label_w - 10,
            ty = y + row_h / 2 + 5,
            tone = bucket_tone(key),
            bx = label_w,
            ry = y + 5,
            w = w,
            bh = row_h - 10,
            cx = label_w + w + 8,
            pct = pct,
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{label_w}\" y1=\"{top}\" x2=\"{label_w}\" y2=\"{}\"/>\n</svg>\n",
        height - top
    );
    out.push_str("<figcaption class=\"dim\">Bars scale to the largest group; counts and shares are written next to each bar.</figcaption>\n</figure>\n");
    // The classification counts, as a table.
    let mut classes: Vec<(Class, usize)> = Vec::new();
    for r in &report.targets {
        match classes.iter_mut().find(|(c, _)| *c == r.classification) {
            Some((_, n)) => *n += 1,
            None => classes.push((r.classification, 1)),
        }
    }
    out.push_str("<table id=\"class-counts\"><thead><tr><th>Classification</th><th>Targets</th></tr></thead><tbody>\n");
    for (c, n) in &classes {
        let _ = writeln!(
            out,
            "<tr data-class=\"{c}\"><td>{b}</td><td>{n}</td></tr>",
            b = {
                let mut s = String::new();
                badge(&mut s, class_tone(*c), c.as_str());
                s
            }
        );
    }
    if classes.is_empty() {
        out.push_str("<tr><td colspan=\"2\" class=\"dim\">none</td></tr>\n");
    }
    out.push_str("</tbody></table>\n</div>\n</section>\n");
}

/// Every group probed on any target, in the order first seen, with its kind.
fn group_columns(report: &ScanReport) -> Vec<(String, GroupKind)> {
    let mut cols: Vec<(String, GroupKind)> = Vec::new();
    for g in report.targets.iter().flat_map(|r| &r.groups) {
        if !cols.iter().any(|(n, _)| *n == g.name) {
            cols.push((g.name.clone(), g.kind));
        }
    }
    cols
}

/// A probe's detail for a tooltip: the alert, the failure, the detail.
fn probe_note(p: &Probe) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(a) = &p.alert {
        parts.push(format!("alert: {a}"));
    }
    if let Some(f) = &p.failure {
        parts.push(format!("{}: {}", spelling(&f.kind), f.message));
    }
    if let Some(d) = &p.detail {
        parts.push(d.clone());
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("; "))
    }
}

/// The target × group matrix.
fn matrix(out: &mut String, report: &ScanReport) {
    let cols = group_columns(report);
    out.push_str("<section id=\"matrix\">\n<h2>Key exchange by group</h2>\n");
    out.push_str("<p class=\"note\">Each group offered alone. <em>accepted (HRR)</em>: accepted after the server asked for the key share with a HelloRetryRequest; <em>refused</em>: refused with an alert as evidence; <em>not applicable</em>: a TLS 1.3-only offer to a TLS 1.2-or-older server; <em>not probed</em>: the group was not in this target's scan. Hover a cell for the evidence.</p>\n");
    out.push_str("<div class=\"scroll\"><table id=\"group-matrix\"><thead><tr><th class=\"target\">Target</th><th>Classification</th><th>Posture</th>");
    for (name, kind) in &cols {
        let _ = write!(
            out,
            "<th class=\"group\" data-group=\"{n}\">{n}<small>{k}</small></th>",
            n = escape(name),
            k = kind.as_str()
        );
    }
    out.push_str("<th>Split ClientHello</th></tr></thead>\n<tbody>\n");
    let span = cols.len() + 1;
    for (i, r) in report.targets.iter().enumerate() {
        let _ = write!(
            out,
            "<tr data-target=\"{t}\" data-class=\"{c}\" data-posture=\"{p}\"><td class=\"target\"><a href=\"#plan-{i}\">{t}</a>{addr}</td>",
            t = escape(&r.target),
            c = r.classification.as_str(),
            p = bucket(r),
            addr = match &r.address {
                Some(a) if *a != r.target => format!("<br><span class=\"dim\">{}</span>", escape(a)),
                _ => String::new(),
            },
        );
        let _ = write!(
            out,
            "<td class=\"{}\"{}>{}</td>",
            class_tone(r.classification),
            title_attr(r.verdict.as_ref().map(|v| v.reasons.join("; ")).as_deref()),
            r.classification.as_str()
        );
        let posture_note = r
            .preference
            .as_ref()
            .map(|p| {
                let mut s = format!(
                    "prefers post-quantum: {}; upgrades by HRR: {}",
                    p.prefers_post_quantum, p.upgrades_by_hrr
                );
                for reason in &p.reasons {
                    s.push_str("; ");
                    s.push_str(reason);
                }
                s
            })
            .unwrap_or_default();
        let _ = write!(
            out,
            "<td class=\"{}\"{}>{}</td>",
            bucket_tone(bucket(r)),
            title_attr(Some(&posture_note)),
            bucket(r)
        );
        if r.status == Status::Error || r.classification == Class::Unreachable {
            let msg = r
                .error
                .as_ref()
                .map(|e| format!("{}: {}", spelling(&e.kind), e.message))
                .unwrap_or_else(|| "not reached".into());
            let _ = writeln!(
                out,
                "<td class=\"down\" colspan=\"{span}\">not scanned — {}</td></tr>",
                escape(&msg)
            );
            continue;
        }
        if r.protocol == Protocol::Ssh {
            let _ = writeln!(
                out,
                "<td class=\"muted\" colspan=\"{span}\">SSH: no TLS groups; offers {} post-quantum and {} classical key-exchange methods (see <a href=\"#ssh\">SSH</a>)</td></tr>",
                r.accepted.hybrid.len() + r.accepted.post_quantum.len(),
                r.accepted.classical.len()
            );
            continue;
        }
        for (name, _) in &cols {
            match r.groups.iter().find(|g| g.name == *name) {
                None => out.push_str("<td class=\"cell muted\">not probed</td>"),
                Some(g) => {
                    // The group counts as accepted by a HelloRetryRequest when only the
                    // probe without a key share was accepted that way.
                    let main = g.probe.result;
                    let (label, tone) = result_label(main);
                    let mut note = probe_note(&g.probe).unwrap_or_default();
                    let mut sub = String::new();
                    if let Some(w) = &g.without_key_share {
                        let (wl, _) = result_label(w.result);
                        sub = format!("<small>no key share: {wl}</small>");
                        if let Some(n) = probe_note(w) {
                            if !note.is_empty() {
                                note.push_str(" | ");
                            }
                            note.push_str("without key share: ");
                            note.push_str(&n);
                        }
                    }
                    let _ = write!(
                        out,
                        "<td class=\"cell {tone}\" data-result=\"{r}\"{t}>{label}{sub}</td>",
                        r = spelling(&main),
                        t = title_attr(Some(&note)),
                    );
                }
            }
        }
        match &r.client_hello_split {
            Some(s) if s.passed => out.push_str("<td class=\"cell good\">passed</td>"),
            Some(s) => {
                let note = [&s.tcp_segments, &s.tls_records]
                    .iter()
                    .filter_map(|p| probe_note(p))
                    .collect::<Vec<_>>()
                    .join(" | ");
                let _ = write!(
                    out,
                    "<td class=\"cell bad\"{}>failed</td>",
                    title_attr(Some(&note))
                );
            }
            None => out.push_str("<td class=\"cell muted\">not checked</td>"),
        }
        out.push_str("</tr>\n");
    }
    if report.targets.is_empty() {
        let _ = writeln!(
            out,
            "<tr><td colspan=\"{}\" class=\"dim\">no targets</td></tr>",
            cols.len() + 4
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

/// `RSA-2048`, `EC P-384`, `ML-DSA-65`: a certificate's key in a few characters.
fn key_text(c: &CertificateEntry) -> String {
    let k = &c.public_key;
    match (&k.curve, k.bits) {
        (Some(curve), _) => format!("{} {}", k.algorithm, curve),
        (None, Some(bits)) => format!("{}-{}", k.algorithm, bits),
        (None, None) => k.algorithm.clone(),
    }
}

/// The certificate and authentication table.
fn authentication(out: &mut String, report: &ScanReport) {
    let rows: Vec<(usize, &TargetResult)> = report
        .targets
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.protocol != Protocol::Ssh
                && (r.authentication.is_some()
                    || !r.certificate_chain.is_empty()
                    || r.certificate.is_some())
        })
        .collect();
    out.push_str("<section id=\"authentication\">\n<h2>Certificates and authentication</h2>\n");
    out.push_str("<p class=\"note\">Authentication is only as strong as the weakest signature a client relies on: the handshake signature and every certificate signature except a self-signed root's. <em>ML-DSA when asked</em>: whether the server signs with ML-DSA when a client offers only ML-DSA signature schemes.</p>\n");
    if rows.is_empty() {
        out.push_str("<p class=\"dim\">No TLS certificate was seen.</p>\n</section>\n");
        return;
    }
    out.push_str("<div class=\"scroll\"><table id=\"auth-table\"><thead><tr><th class=\"target\">Target</th><th>Leaf certificate</th><th>Leaf key</th><th>Chain signatures</th><th>Handshake signature</th><th>Authentication</th><th>ML-DSA when asked</th><th>Trusted</th></tr></thead>\n<tbody>\n");
    for (_, r) in rows {
        let auth: Option<&Authentication> = r.authentication.as_ref();
        let leaf = r.certificate_chain.first();
        let subject = leaf
            .and_then(|c| c.subject.clone())
            .or_else(|| r.certificate.as_ref().and_then(|c| c.subject.clone()));
        let leaf_key = auth
            .and_then(|a| a.leaf_key.clone())
            .or_else(|| leaf.map(key_text));
        let _ = write!(
            out,
            "<tr data-target=\"{t}\"><td class=\"target\">{t}</td><td class=\"mono\">{s}</td><td class=\"nowrap\">{k}</td><td><ul class=\"plain\">",
            t = escape(&r.target),
            s = subject.as_deref().map_or_else(|| "<span class=\"dim\">unknown</span>".to_string(), escape),
            k = leaf_key.as_deref().map_or_else(|| "<span class=\"dim\">unknown</span>".to_string(), escape),
        );
        if r.certificate_chain.is_empty() {
            out.push_str("<li class=\"dim\">chain not recorded</li>");
        }
        for (i, c) in r.certificate_chain.iter().enumerate() {
            let _ = write!(
                out,
                "<li{}>#{i} <code>{}</code> ",
                title_attr(c.subject.as_deref()),
                escape(&c.signature_algorithm.name)
            );
            badge(
                out,
                answer_tone(c.signature_algorithm.quantum_vulnerable, false),
                match c.signature_algorithm.quantum_vulnerable {
                    Answer::Yes => "quantum-vulnerable",
                    Answer::No => "quantum-safe",
                    Answer::Undetermined => "undetermined",
                },
            );
            if let Some(e) = &c.parse_error {
                let _ = write!(out, " <span class=\"err\">{}</span>", escape(e));
            }
            out.push_str("</li>");
        }
        out.push_str("</ul></td><td>");
        match auth.and_then(|a| a.signature_scheme.as_deref()) {
            Some(s) => {
                let _ = write!(out, "<code>{}</code>", escape(s));
            }
            None => out.push_str("<span class=\"dim\">none seen</span>"),
        }
        out.push_str("</td><td");
        match auth {
            Some(a) => {
                let tone = match a.class {
                    crate::auth::AuthClass::PostQuantum => "good",
                    crate::auth::AuthClass::Composite => "fair",
                    crate::auth::AuthClass::Classical => "bad",
                    crate::auth::AuthClass::Undetermined => "unknown",
                };
                let _ = write!(
                    out,
                    " class=\"{tone}\"{}>{}",
                    title_attr(Some(&a.reasons.join("; "))),
                    a.class.as_str()
                );
                out.push_str("</td><td");
                let _ = write!(
                    out,
                    " class=\"{}\"{}>{}",
                    answer_tone(a.ml_dsa_when_asked, true),
                    title_attr(a.ml_dsa_detail.as_deref()),
                    a.ml_dsa_when_asked.as_str()
                );
            }
            None => out
                .push_str(" class=\"unknown\">not reported</td><td class=\"unknown\">not reported"),
        }
        out.push_str("</td>");
        match r.certificate.as_ref() {
            Some(c) => {
                let (text, tone) = match c.trusted {
                    Some(true) => ("yes", "good"),
                    Some(false) => ("no", "warn"),
                    None => ("unknown", "unknown"),
                };
                let _ = write!(
                    out,
                    "<td class=\"{tone}\"{}>{text}</td>",
                    title_attr(c.error.as_deref())
                );
            }
            None => out.push_str("<td class=\"unknown\">unknown</td>"),
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

/// The TLS 1.2-and-older table, when any target was probed for it.
fn legacy(out: &mut String, report: &ScanReport) {
    let rows: Vec<(&TargetResult, &Legacy)> = report
        .targets
        .iter()
        .filter_map(|r| r.legacy.as_ref().map(|l| (r, l)))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("<section id=\"legacy\">\n<h2>TLS 1.2 and older</h2>\n");
    out.push_str("<p class=\"note\">RSA key transport (<code>TLS_RSA_*</code>) has no forward secrecy: whoever breaks the certificate's RSA key later — a quantum computer — decrypts every recorded session. No post-quantum key exchange exists below TLS 1.3.</p>\n");
    out.push_str("<div class=\"scroll\"><table id=\"legacy-table\"><thead><tr><th class=\"target\">Target</th><th>TLS 1.2</th><th>TLS 1.1</th><th>TLS 1.0</th><th>RSA key transport</th><th>ECDHE</th><th>DHE</th></tr></thead>\n<tbody>\n");
    for (r, l) in rows {
        let _ = write!(
            out,
            "<tr data-target=\"{t}\"><td class=\"target\"{n}>{t}</td>",
            t = escape(&r.target),
            n = title_attr(Some(&l.reasons.join("; ")))
        );
        for (v, old) in [(l.tls12, false), (l.tls11, true), (l.tls10, true)] {
            let text = spelling(&v);
            let tone = match (text.as_str(), old) {
                ("accepted", true) => "bad",
                ("accepted", false) => "fair",
                ("refused", _) => "muted",
                _ => "unknown",
            };
            let _ = write!(out, "<td class=\"{tone}\">{text}</td>");
        }
        let suites = l.rsa_key_transport_suites.join(", ");
        let _ = write!(
            out,
            "<td class=\"{}\"{}>{}{}</td>",
            answer_tone(l.rsa_key_transport, false),
            title_attr(Some(&suites)),
            match l.rsa_key_transport {
                Answer::Yes => "YES",
                Answer::No => "no",
                Answer::Undetermined => "undetermined",
            },
            if suites.is_empty() {
                String::new()
            } else {
                format!("<small class=\"mono\"><br>{}</small>", escape(&suites))
            }
        );
        for kind in [KxKind::Ecdhe, KxKind::Dhe] {
            match l.key_exchange(kind) {
                None => out.push_str("<td class=\"muted\">not probed</td>"),
                Some(k) => {
                    let text = spelling(&k.result);
                    let mut extra = String::new();
                    if !k.curves.is_empty() {
                        extra = format!(": {}", k.curves.join(", "));
                    }
                    if let Some(bits) = k.dh_bits {
                        extra = format!(": {bits}-bit prime");
                    }
                    let tone = if text == "accepted" { "warn" } else { "muted" };
                    let _ = write!(
                        out,
                        "<td class=\"{tone}\"{}>{}{}</td>",
                        title_attr(k.detail.as_deref()),
                        escape(&text),
                        escape(&extra)
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

/// The SSH targets: methods, host keys, verification.
fn ssh(out: &mut String, report: &ScanReport) {
    let rows: Vec<(&TargetResult, &SshReport)> = report
        .targets
        .iter()
        .filter_map(|r| r.ssh.as_ref().map(|s| (r, s)))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("<section id=\"ssh\">\n<h2>SSH</h2>\n");
    out.push_str("<p class=\"note\">The server's key-exchange methods in its order (post-quantum hybrids marked), its host-key algorithms, and the host key it presented. <em>Verified</em>: <code>mlkem768x25519-sha256</code> ran and the host-key signature over it checked.</p>\n");
    out.push_str("<div class=\"scroll\"><table id=\"ssh-table\"><thead><tr><th class=\"target\">Target</th><th>Software</th><th>Key exchange</th><th>Host-key algorithms</th><th>Host key seen</th><th>Hybrid run</th></tr></thead>\n<tbody>\n");
    for (r, s) in rows {
        let _ = write!(
            out,
            "<tr data-target=\"{t}\"><td class=\"target\">{t}</td><td class=\"mono\"{b}>{sw}</td><td><ul class=\"plain\">",
            t = escape(&r.target),
            b = title_attr(Some(&s.banner)),
            sw = escape(&s.software),
        );
        for m in &s.kex_algorithms {
            let _ = write!(out, "<li><code>{}</code> ", escape(&m.name));
            let kind = spelling(&m.kind);
            match kind.as_str() {
                "mlkem-hybrid" | "pq-hybrid" => badge(out, "good", "post-quantum"),
                "classical" => badge(out, "bad", "classical"),
                _ => badge(out, "muted", "other"),
            }
            out.push_str("</li>");
        }
        let _ = write!(
            out,
            "</ul>{}</td><td><ul class=\"plain\">",
            s.openssh10_client_choice
                .as_deref()
                .map(|c| format!(
                    "<span class=\"dim\">OpenSSH 10 client picks <code>{}</code></span>",
                    escape(c)
                ))
                .unwrap_or_default()
        );
        for h in &s.host_key_algorithms {
            let _ = write!(out, "<li><code>{}</code> ", escape(&h.name));
            badge(
                out,
                answer_tone(h.quantum_vulnerable, false),
                if h.post_quantum {
                    "post-quantum"
                } else {
                    h.family.as_str()
                },
            );
            out.push_str("</li>");
        }
        out.push_str("</ul></td><td class=\"hostkey\">");
        match &s.host_key {
            Some(k) => {
                let _ = write!(
                    out,
                    "<code>{}</code>{} ",
                    escape(&k.algorithm),
                    match (k.bits, &k.curve) {
                        (_, Some(c)) => format!(" {}", escape(c)),
                        (Some(b), None) => format!(" {b} bits"),
                        (None, None) => String::new(),
                    }
                );
                badge(
                    out,
                    answer_tone(k.quantum_vulnerable, false),
                    match k.quantum_vulnerable {
                        Answer::Yes => "quantum-vulnerable",
                        Answer::No => "quantum-safe",
                        Answer::Undetermined => "undetermined",
                    },
                );
                let _ = write!(
                    out,
                    "<br><span class=\"mono dim fp\">{}</span><br><span class=\"dim\">via {}, signature verified: {}</span>",
                    escape(&k.fingerprint),
                    escape(&k.key_exchange),
                    k.signature_verified
                );
            }
            None => out.push_str("<span class=\"dim\">none seen</span>"),
        }
        let status = spelling(&s.verification.status);
        let tone = match status.as_str() {
            "verified" => "good",
            "failed" => "bad",
            "not-offered" => "bad",
            "advertised-only" => "warn",
            _ => "unknown",
        };
        let _ = writeln!(
            out,
            "</td><td class=\"{tone}\"{}>{}</td></tr>",
            title_attr(s.verification.detail.as_deref()),
            escape(&status)
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

/// Each target's migration plan.
fn plans(out: &mut String, report: &ScanReport) {
    out.push_str("<section id=\"migration\">\n<h2>Migration plans</h2>\n");
    out.push_str("<p class=\"note\">Most urgent first. <em>now</em>: exposed today; <em>high</em>: recorded traffic decryptable once a quantum computer exists; <em>medium</em>: post-quantum present but weaker than it could be; <em>plan</em>: authentication, needed once a quantum computer exists; <em>info</em>: the inventory itself is incomplete.</p>\n");
    if report.targets.is_empty() {
        out.push_str("<p class=\"dim\">No targets.</p>\n");
    }
    for (i, r) in report.targets.iter().enumerate() {
        let _ = write!(
            out,
            "<section class=\"plan\" id=\"plan-{i}\" data-target=\"{t}\"><h3>{t} ",
            t = escape(&r.target)
        );
        badge(out, class_tone(r.classification), r.classification.as_str());
        if bucket(r) != "unreachable" {
            out.push(' ');
            badge(out, bucket_tone(bucket(r)), bucket(r));
        }
        out.push_str("</h3>\n");
        match &r.migration {
            None => {
                let why = r
                    .error
                    .as_ref()
                    .map(|e| format!("{}: {}", spelling(&e.kind), e.message))
                    .unwrap_or_else(|| "the report carries no plan for it".into());
                let _ = writeln!(
                    out,
                    "<p class=\"dim\">No plan: the target was not scanned ({}).</p>",
                    escape(&why)
                );
            }
            Some(steps) if steps.is_empty() => {
                out.push_str("<p>Nothing to change: the scan found no quantum-vulnerable key exchange, protocol or signature.</p>\n");
            }
            Some(steps) => {
                out.push_str("<ol class=\"steps\">\n");
                for s in steps {
                    step(out, s);
                }
                out.push_str("</ol>\n");
            }
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

fn step(out: &mut String, s: &MigrationStep) {
    let _ = write!(out, "<li data-urgency=\"{}\">", s.urgency.as_str());
    badge(out, urgency_tone(s.urgency), s.urgency.as_str());
    let _ = writeln!(
        out,
        " <strong>{}</strong><span class=\"reason\">{}</span></li>",
        escape(&s.action),
        escape(&s.reason)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthClass;
    use crate::legacy::{KeyExchange, KxResult, VersionResult};
    use crate::ssh::{HostKeyAlg, KexMethod};
    use crate::{Accepted, Failure, GroupProbe, Verdict};

    const HOSTILE: &str =
        "<script>alert(1)</script>\"'&amp;\u{0}\u{1b}[2J\u{7f}\u{85}\u{202e}gnp.exe";

    /// A reached TLS target of `class` and `posture` with one probe per group result.
    fn target(name: &str, class: Class, posture: Option<Posture>) -> TargetResult {
        let mut r = TargetResult::unreachable(
            name,
            Some("127.0.0.1:1".into()),
            &Failure::Unreachable("x".into()),
        );
        r.status = Status::Ok;
        r.error = None;
        r.classification = class;
        r.pq_posture = posture;
        r.verdict = Some(Verdict {
            post_quantum: crate::Support::Undetermined,
            classical: crate::Support::Accepted,
            reasons: vec![format!("reason for {name}")],
        });
        r.accepted = Accepted::default();
        r.migration = Some(vec![MigrationStep {
            action: format!("act on {name}"),
            reason: format!("because {name}"),
            urgency: Urgency::High,
        }]);
        r
    }

    fn group(name: &str, kind: GroupKind, result: ProbeResult) -> GroupProbe {
        let mut probe = Probe::not_run(&[], "detail");
        probe.result = result;
        GroupProbe {
            name: name.into(),
            code: "0x11ec".into(),
            kind,
            nist_category: None,
            probe,
            without_key_share: None,
        }
    }

    /// Every element opened is closed, in order (void and self-closed elements aside),
    /// outside `<style>`: the page's tree is what its text says.
    fn assert_balanced(page: &str) {
        const VOID: [&str; 3] = ["meta", "br", "link"];
        let mut stack: Vec<String> = Vec::new();
        let mut rest = page;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let end = rest.find('>').expect("unterminated tag");
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if tag.starts_with('!') {
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().unwrap_or_else(|| panic!("stray </{name}>"));
                assert_eq!(open, name, "</{name}> closes <{open}>");
                continue;
            }
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(!name.is_empty(), "bad tag <{tag}>");
            if tag.ends_with('/') || VOID.contains(&name.as_str()) {
                continue;
            }
            if name == "style" {
                let close = rest.find("</style>").expect("unclosed style");
                rest = &rest[close + "</style>".len()..];
                continue;
            }
            stack.push(name);
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    fn count(page: &str, needle: &str) -> usize {
        page.matches(needle).count()
    }

    #[test]
    fn escape_defuses_hostile_text() {
        let e = escape(HOSTILE);
        assert_eq!(
            e,
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;amp;\\u{0}\\u{1b}[2J\\u{7f}\\u{85}\\u{202e}gnp.exe"
        );
        for bad in [
            '<', '>', '"', '\'', '\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{202e}',
        ] {
            assert!(!e.contains(bad), "{bad:?} in {e}");
        }
        // Text that needs nothing stays as it is, including non-ASCII and whitespace.
        assert_eq!(
            escape("bücher.example:443\tok\n"),
            "bücher.example:443\tok\n"
        );
        assert_eq!(escape(""), "");
        // An attribute cannot be broken out of, with either quote.
        assert_eq!(escape("x\" onmouseover=\"a"), "x&quot; onmouseover=&quot;a");
        assert_eq!(escape("x' onmouseover='a"), "x&#39; onmouseover=&#39;a");
    }

    #[test]
    fn hostile_report_strings_never_reach_the_page_raw() {
        let mut r = target(HOSTILE, Class::Undetermined, Some(Posture::Undetermined));
        r.address = Some(HOSTILE.into());
        r.groups = vec![group(HOSTILE, GroupKind::Hybrid, ProbeResult::Error)];
        r.groups[0].probe.detail = Some(HOSTILE.into());
        r.certificate = Some(crate::CertInfo {
            subject: Some(HOSTILE.into()),
            issuer: None,
            trusted: Some(false),
            error: Some(HOSTILE.into()),
        });
        r.authentication = Some(Authentication {
            class: AuthClass::Undetermined,
            signature_scheme: Some(HOSTILE.into()),
            signature_scheme_code: None,
            leaf_key: Some(HOSTILE.into()),
            ml_dsa_when_asked: Answer::Undetermined,
            ml_dsa_detail: Some(HOSTILE.into()),
            reasons: vec![HOSTILE.into()],
        });
        r.migration = Some(vec![MigrationStep {
            action: HOSTILE.into(),
            reason: HOSTILE.into(),
            urgency: Urgency::Now,
        }]);
        let down = TargetResult::unreachable(HOSTILE, None, &Failure::Unreachable(HOSTILE.into()));
        let mut report = ScanReport::new(vec![r, down]);
        report.version = HOSTILE.into();
        report.timestamp = HOSTILE.into();
        report.tool = HOSTILE.into();
        let page = render(&report);
        assert!(!page.contains("<script"), "a script tag got through");
        assert!(!page.contains("alert(1)</"), "raw hostile text");
        for bad in ['\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{202e}'] {
            assert!(!page.contains(bad), "{bad:?} got through");
        }
        let attr = format!("data-target=\"{}\"", escape(HOSTILE));
        // Matrix row, certificate row and plan of the first; matrix row and plan of the
        // second.
        assert_eq!(count(&page, &attr), 5, "{page}");
        assert_balanced(&page);
    }

    #[test]
    fn every_class_and_posture_renders_every_target() {
        let classes = [
            Class::PqOnly,
            Class::PqAndClassical,
            Class::ClassicalOnly,
            Class::Tls12Only,
            Class::LegacyTlsOnly,
            Class::NoCommonGroup,
            Class::Undetermined,
        ];
        let postures = [
            Some(Posture::PqPreferred),
            Some(Posture::PqCapable),
            Some(Posture::ClassicalOnly),
            Some(Posture::Undetermined),
            None,
        ];
        let mut targets = Vec::new();
        for (i, c) in classes.iter().enumerate() {
            for (j, p) in postures.iter().enumerate() {
                let mut r = target(&format!("h{i}-{j}.test:443"), *c, *p);
                // One group per probe result, and a group only some targets had.
                r.groups = vec![
                    group("X25519MLKEM768", GroupKind::Hybrid, ProbeResult::Accepted),
                    group(
                        "MLKEM768",
                        GroupKind::PostQuantum,
                        ProbeResult::HelloRetryRequest,
                    ),
                    group("x25519", GroupKind::Classical, ProbeResult::Rejected),
                    group("secp256r1", GroupKind::Classical, ProbeResult::Error),
                    group("secp384r1", GroupKind::Classical, ProbeResult::Undetermined),
                    group("secp521r1", GroupKind::Classical, ProbeResult::NotTested),
                    group(
                        "X25519MLKEM1024",
                        GroupKind::Hybrid,
                        ProbeResult::NotApplicable,
                    ),
                ];
                if i % 2 == 0 {
                    r.groups
                        .push(group("x448", GroupKind::Classical, ProbeResult::Accepted));
                }
                targets.push(r);
            }
        }
        targets.push(TargetResult::unreachable(
            "down.test:443",
            None,
            &Failure::Unreachable("connection refused".into()),
        ));
        let n = targets.len();
        let page = render(&ScanReport::new(targets.clone()));
        assert_balanced(&page);
        for (i, r) in targets.iter().enumerate() {
            let row = format!("<tr data-target=\"{}\"", r.target);
            assert_eq!(count(&page, &row), 1, "{} has no matrix row", r.target);
            assert!(
                page.contains(&format!(
                    "<section class=\"plan\" id=\"plan-{i}\" data-target=\"{}\"><h3>",
                    r.target
                )),
                "{} has no plan section",
                r.target
            );
            assert!(page.contains(&format!("data-class=\"{}\"", r.classification)));
        }
        assert!(page.contains(&format!("data-count=\"{n}\">{n} (")));
        // The chart: every bucket drawn, with the counts of the report.
        for (key, expected) in [
            ("pq-preferred", classes.len()),
            ("pq-capable", classes.len()),
            ("classical-only", classes.len()),
            ("undetermined", classes.len()),
            ("not-reported", classes.len()),
            ("unreachable", 1),
        ] {
            let bar = format!("data-posture=\"{key}\" data-count=\"{expected}\"");
            assert_eq!(count(&page, &bar), 1, "{key}: {expected}");
        }
        // The matrix: one column per group seen anywhere, x448 "not probed" where absent.
        assert_eq!(count(&page, "<th class=\"group\""), 8);
        for label in [
            ">accepted<",
            ">accepted (HRR)<",
            ">refused<",
            ">error<",
            ">undetermined<",
            ">not tested<",
            ">not applicable<",
            ">not probed<",
        ] {
            assert!(page.contains(label), "no cell reads {label}");
        }
        assert_eq!(
            count(&page, "<td class=\"cell muted\">not probed</td>"),
            3 * postures.len()
        );
        // Every class badge.
        for c in classes.iter().chain([&Class::Unreachable]) {
            assert!(page.contains(&format!(
                "<span class=\"badge {}\">{}</span>",
                class_tone(*c),
                c
            )));
        }
        assert!(page.contains("not scanned — unreachable: connection refused"));
    }

    #[test]
    fn empty_report_renders() {
        let page = render(&ScanReport::new(Vec::new()));
        assert_balanced(&page);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("No targets were scanned"));
        assert!(page.contains("id=\"posture-chart\""));
        assert!(page.contains("id=\"group-matrix\""));
        assert_eq!(count(&page, "data-count=\"0\""), BUCKETS.len() + 1);
        assert!(!page.contains("data-target="));
        // No external fetches: no URL but the SVG namespace, and the CSP is there.
        assert!(page.contains(CONTENT_SECURITY_POLICY));
        assert_eq!(count(&page, "http://"), 1);
        assert_eq!(count(&page, "https://"), 0);
        assert!(!page.contains(" src="));
    }

    #[test]
    fn legacy_ssh_and_authentication_sections() {
        let mut tls = target(
            "legacy.test:443",
            Class::Tls12Only,
            Some(Posture::ClassicalOnly),
        );
        tls.legacy = Some(Legacy {
            tls12: VersionResult::Accepted,
            tls11: VersionResult::Refused,
            tls10: VersionResult::Undetermined,
            key_exchanges: vec![
                KeyExchange::new(KxKind::Rsa, KxResult::Accepted),
                KeyExchange {
                    curves: vec!["x25519".into(), "secp256r1".into()],
                    ..KeyExchange::new(KxKind::Ecdhe, KxResult::Accepted)
                },
                KeyExchange {
                    dh_bits: Some(2048),
                    ..KeyExchange::new(KxKind::Dhe, KxResult::Accepted)
                },
            ],
            rsa_key_transport: Answer::Yes,
            rsa_key_transport_suites: vec!["TLS_RSA_WITH_AES_128_GCM_SHA256".into()],
            ..Legacy::default()
        });
        tls.authentication = Some(Authentication {
            class: AuthClass::PostQuantum,
            signature_scheme: Some("mldsa65".into()),
            signature_scheme_code: None,
            leaf_key: Some("ML-DSA-65".into()),
            ml_dsa_when_asked: Answer::Yes,
            ml_dsa_detail: None,
            reasons: vec![],
        });
        let mut ssh = target(
            "ssh://ssh.test:22",
            Class::PqAndClassical,
            Some(Posture::PqCapable),
        );
        ssh.protocol = Protocol::Ssh;
        ssh.migration = Some(Vec::new());
        ssh.ssh = Some(
            serde_json::from_value(serde_json::json!({
                "target": "ssh://ssh.test:22", "address": "127.0.0.1:22",
                "banner": "SSH-2.0-OpenSSH_10.0", "software": "OpenSSH_10.0",
                "kex_algorithms": [KexMethod::describe("mlkem768x25519-sha256"), KexMethod::describe("curve25519-sha256")],
                "host_key_algorithms": [HostKeyAlg::describe("ssh-ed25519")],
                "encryption_algorithms": [], "mac_algorithms": [], "compression_algorithms": [],
                "openssh10_client_choice": "mlkem768x25519-sha256",
                "classification": "pq-and-classical",
                "verification": {"status": "verified", "detail": null, "host_key_algorithm": "ssh-ed25519", "host_key_sha256": null},
            }))
            .expect("an SSH report"),
        );
        let page = render(&ScanReport::new(vec![tls, ssh]));
        assert_balanced(&page);
        let legacy = &page[page.find("id=\"legacy\"").expect("legacy section")..];
        assert!(legacy.contains("<td class=\"bad\" title=\"TLS_RSA_WITH_AES_128_GCM_SHA256\">YES"));
        assert!(legacy.contains("accepted: x25519, secp256r1"));
        assert!(legacy.contains("accepted: 2048-bit prime"));
        let auth = &page[page.find("id=\"auth-table\"").expect("auth table")..];
        let auth = &auth[..auth.find("</table>").unwrap()];
        assert!(auth.contains("ML-DSA-65"));
        assert!(auth.contains("<td class=\"good\">post-quantum"));
        assert!(
            !auth.contains("ssh://"),
            "SSH targets have no certificate row"
        );
        let ssh = &page[page.find("id=\"ssh-table\"").expect("ssh table")..];
        assert!(ssh.contains(
            "<code>mlkem768x25519-sha256</code> <span class=\"badge good\">post-quantum</span>"
        ));
        assert!(ssh
            .contains("<code>curve25519-sha256</code> <span class=\"badge bad\">classical</span>"));
        assert!(ssh.contains(">verified</td>"));
        assert!(page.contains("Nothing to change"));
    }
}
