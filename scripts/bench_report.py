#!/usr/bin/env python3
"""Turns one run of pqhkex's criterion suite into BENCHMARKS.md and SVG charts.

Reads criterion's JSON (target/criterion/**/new/{benchmark,estimates}.json) and the
suite's own footprint file (target/criterion/pqhkex/footprint.json), keeps only results
written by the latest run (newer than target/criterion/pqhkex/run-started), and writes:

* the generated part of BENCHMARKS.md (between the `generated:start` / `generated:end`
  markers; the hand-written rest of the file is kept as it is);
* benches/report/handshake.svg and benches/report/kx.svg, bar charts of the medians.

Every ratio divides two medians from the same run, so the machine's load at the time
affects both sides alike. Run by scripts/bench-report; standard library only.
"""

import argparse
import html
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

START = "<!-- generated:start (scripts/bench-report rewrites this part) -->"
END = "<!-- generated:end -->"

# Display order of the groups (pqhkex's table order, then the classical ones).
GROUP_ORDER = [
    "X25519MLKEM768",
    "SecP256r1MLKEM768",
    "SecP384r1MLKEM1024",
    "MLKEM512",
    "MLKEM768",
    "MLKEM1024",
    "X25519Kyber768Draft00",
    "x25519",
    "secp256r1",
    "secp384r1",
]
INCUMBENT = "aws-lc-rs"
# pqhkex's rows: default build, and the second run with the `aws-lc-rs-backend` feature.
BACKEND = "pqhkex-aws-lc"
COLORS = {"pqhkex": "#2b6cb0", BACKEND: "#38a169", "aws-lc-rs": "#dd6b20", "ring": "#718096"}


def load_results(criterion_dir: Path, since: float) -> dict:
    """full_id -> median in nanoseconds, for every benchmark written since `since`."""
    results = {}
    for bench in criterion_dir.rglob("new/benchmark.json"):
        estimates = bench.with_name("estimates.json")
        if not estimates.exists() or estimates.stat().st_mtime < since:
            continue
        meta = json.loads(bench.read_text())
        est = json.loads(estimates.read_text())
        results[meta["full_id"]] = est["median"]["point_estimate"]
    return results


def us(ns) -> str:
    if ns is None:
        return "–"
    return f"{ns / 1000:.1f}" if ns < 100_000 else f"{ns / 1000:.0f}"


def ratio(a, b) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}x"


def group_key(name: str) -> int:
    return GROUP_ORDER.index(name) if name in GROUP_ORDER else len(GROUP_ORDER)


def split_ids(results: dict, prefix: str) -> dict:
    """`prefix/impl/group[/step]` -> {(impl, rest): median}."""
    out = {}
    for full_id, ns in results.items():
        parts = full_id.split("/")
        if parts[0] != prefix or len(parts) < 3:
            continue
        out[(parts[1], "/".join(parts[2:]))] = ns
    return out


def groups_in(rows: dict) -> list:
    return sorted({g for (_, g) in rows}, key=group_key)


def table(header: list, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


def versus_table(rows: dict, what: str) -> str:
    """One line per group: the medians of pqhkex (both backends), aws-lc-rs and ring, and
    each pqhkex build's ratio to aws-lc-rs."""
    body = []
    for g in groups_in(rows):
        p = rows.get(("pqhkex", g))
        b = rows.get((BACKEND, g))
        a = rows.get((INCUMBENT, g))
        r = rows.get(("ring", g))
        body.append([g, us(p), us(b), us(a), us(r), ratio(p, a), ratio(b, a)])
    return table(
        [
            f"group ({what})",
            "pqhkex µs",
            "pqhkex-aws-lc µs",
            "aws-lc-rs µs",
            "ring µs",
            "pqhkex / aws-lc-rs",
            "pqhkex-aws-lc / aws-lc-rs",
        ],
        body,
    )


def machine(stamp: Path) -> list:
    lines = []
    try:
        model = next(
            l.split(":", 1)[1].strip()
            for l in Path("/proc/cpuinfo").read_text().splitlines()
            if l.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown"
    lines.append(f"* CPU: {model}, {os.cpu_count()} logical cores; {platform.system()} {platform.release()}")
    try:
        rustc = subprocess.run(["rustc", "-V"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rustc = "unknown"
    lines.append(f"* Compiler: {rustc}; `cargo bench` (release profile)")
    lines.append(
        "* pqhkex builds: default features (rows `pqhkex`: pure-Rust components), then "
        "`--features aws-lc-rs-backend` for the key-exchange and handshake suites (rows "
        "`pqhkex-aws-lc`); each build's ratios come from its own process"
    )
    if stamp.exists():
        s = stamp.read_text().splitlines()
        if len(s) >= 2:
            lines.append(f"* Load when the run started: `{s[1].strip()}`")
        if len(s) >= 3:
            lines.append(f"* Load when it ended: `{s[2].strip()}`")
    quick = os.environ.get("PQHKEX_BENCH_QUICK", "0") not in ("", "0")
    lines.append(
        "* Measurement: "
        + ("QUICK smoke settings (0.5 s per benchmark): numbers are rough" if quick else "1 s warm-up, 3 s, 50 samples per benchmark")
    )
    return lines


def bar_chart(title: str, rows: dict, path: Path) -> None:
    """Horizontal grouped bars, one cluster per group, one bar per implementation."""
    groups = groups_in(rows)
    impls = [i for i in ("pqhkex", BACKEND, INCUMBENT, "ring") if any((i, g) in rows for g in groups)]
    bar_h, gap, left, right, top = 14, 10, 170, 90, 50
    width = 760
    plot_w = width - left - right
    vmax = max(rows.values()) if rows else 1
    y = top
    parts = []
    for g in groups:
        present = [i for i in impls if (i, g) in rows]
        cluster = len(present) * bar_h
        parts.append(
            f'<text x="{left - 8}" y="{y + cluster / 2 + 4:.0f}" text-anchor="end" '
            f'font-size="12">{html.escape(g)}</text>'
        )
        for i in present:
            v = rows[(i, g)]
            w = max(1.0, plot_w * v / vmax)
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{COLORS[i]}">'
                f"<title>{html.escape(i)} {html.escape(g)}: {us(v)} µs</title></rect>"
            )
            parts.append(
                f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4}" font-size="10">{us(v)} µs</text>'
            )
            y += bar_h
        y += gap
    legend = []
    lx = left
    for i in impls:
        legend.append(f'<rect x="{lx}" y="24" width="12" height="12" fill="{COLORS[i]}"/>')
        legend.append(f'<text x="{lx + 16}" y="34" font-size="12">{html.escape(i)}</text>')
        lx += 130
    height = y + 20
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n'
        f'<text x="{left}" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>\n'
        + "\n".join(legend + parts)
        + f'\n<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{y - gap}" stroke="#333"/>\n</svg>\n'
    )
    path.write_text(svg)


def verdict(r, limit: float) -> str:
    if limit == float("inf"):
        return "no target"
    if r is None:
        return "not measured"
    return "met" if r <= limit else f"NOT met ({r - limit:+.2f}x over)"


def targets(kx: dict, hs: dict, pkx: list, phs: list) -> str:
    """Each target with the criterion-median ratio and the interleaved ratio; the status
    follows the interleaved one (the sturdier on a loaded machine) when there is one.
    `pkx` and `phs` hold the interleaved rows of both builds."""
    rows = []

    def row(text, a_key, b_key, rows_, paired, limit):
        a, b = rows_.get(a_key), rows_.get(b_key)
        inter = paired_ratio(paired, "/".join(a_key), "/".join(b_key))
        med = a / b if a and b else None
        rows.append(
            [
                text,
                ratio(a, b),
                f"{inter:.2f}x" if inter else "–",
                verdict(inter if inter else med, limit),
            ]
        )

    row(
        "full X25519MLKEM768 key exchange, default build ≤ 1.0x rustls+aws-lc-rs",
        ("pqhkex", "X25519MLKEM768"),
        (INCUMBENT, "X25519MLKEM768"),
        kx,
        pkx,
        1.0,
    )
    row(
        "full X25519MLKEM768 key exchange, `aws-lc-rs-backend` ≤ 0.9x rustls+aws-lc-rs",
        (BACKEND, "X25519MLKEM768"),
        (INCUMBENT, "X25519MLKEM768"),
        kx,
        pkx,
        0.9,
    )
    for imp in ("pqhkex", BACKEND):
        for base in ((INCUMBENT, "x25519"), (imp, "x25519")):
            row(
                f"full handshake, {imp} X25519MLKEM768 ≤ 1.10x {base[0]} x25519 (same base)",
                (imp, "X25519MLKEM768"),
                base,
                hs,
                phs,
                1.10,
            )
    row(
        "for comparison: aws-lc-rs X25519MLKEM768 handshake / aws-lc-rs x25519 (no target)",
        (INCUMBENT, "X25519MLKEM768"),
        (INCUMBENT, "x25519"),
        hs,
        phs,
        float("inf"),
    )
    return table(["target", "ratio of criterion medians", "interleaved ratio", "status"], rows)


def load_paired(path: Path, since: float) -> list:
    if not path.exists() or path.stat().st_mtime < since:
        return []
    return json.loads(path.read_text())


def paired_table(rows: list) -> str:
    if not rows:
        return "_Not measured in this run._"
    body = [[r["a"], r["b"], us(r["a_ns"]), us(r["b_ns"]), ratio(r["a_ns"], r["b_ns"])] for r in rows]
    return table(["A", "B", "A µs", "B µs", "A / B"], body)


def paired_ratio(rows: list, a: str, b: str):
    for r in rows:
        if r["a"] == a and r["b"] == b:
            return r["a_ns"] / r["b_ns"]
    return None


def footprint_table(paths: list) -> str:
    data = []
    for path in paths:
        if path.exists():
            data += json.loads(path.read_text())
    if not data:
        return "_No footprint file: run the `handshake` bench._"
    # The incumbents' rows appear in both builds' files; keep one of each.
    seen, unique = set(), []
    for r in data:
        key = (r["implementation"], r["group"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    data = unique
    data.sort(key=lambda r: (group_key(r["group"]), r["implementation"]))
    body = [
        [
            r["group"],
            r["implementation"],
            r["client_share"],
            r["server_share"],
            r["client_hello"],
            r["server_flight"],
            f'{r["kx_allocations"]} / {r["kx_bytes"]}',
            f'{r["handshake_allocations"]} / {r["handshake_bytes"]}',
        ]
        for r in data
    ]
    return table(
        [
            "group",
            "implementation",
            "client share B",
            "server share B",
            "ClientHello B",
            "server flight B",
            "kx heap: allocs / bytes",
            "handshake heap: allocs / bytes",
        ],
        body,
    )


def steps_table(rows: dict) -> str:
    out = []
    for (impl, rest), ns in sorted(rows.items(), key=lambda kv: (group_key(kv[0][1].split("/")[0]), kv[0][1], kv[0][0])):
        out.append([rest.split("/")[0], rest.split("/", 1)[1], impl, us(ns)])
    return table(["group", "step", "implementation", "median µs"], out)


def primitives_table(rows: dict) -> str:
    keys = sorted({k for (_, k) in rows})
    order = ["ML-KEM-512", "ML-KEM-768", "ML-KEM-1024", "X25519", "P-256", "P-384"]
    keys.sort(key=lambda k: (order.index(k.split("/")[0]) if k.split("/")[0] in order else 99, k))
    body = []
    for k in keys:
        alg, op = k.split("/", 1)
        p, a = rows.get(("pqhkex", k)), rows.get((INCUMBENT, k))
        body.append([alg, op, us(p), us(a), ratio(p, a)])
    return table(["algorithm", "operation", "pqhkex µs", "aws-lc-rs µs", "pqhkex / aws-lc-rs"], body)


def candidates_table(rows: dict) -> str:
    body = [[impl, rest, us(ns)] for (impl, rest), ns in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[1]))]
    return table(["candidate", "operation", "median µs"], body)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="target")
    ap.add_argument("--out", default="BENCHMARKS.md")
    ap.add_argument("--charts", default="benches/report")
    args = ap.parse_args()

    criterion_dir = Path(args.target) / "criterion"
    stamp = criterion_dir / "pqhkex" / "run-started"
    since = float(stamp.read_text().split()[0]) - 1 if stamp.exists() else 0.0
    results = load_results(criterion_dir, since)
    if not results:
        print("no criterion results from the latest run under", criterion_dir, file=sys.stderr)
        return 1

    out_dir = criterion_dir / "pqhkex"
    pkx_default = load_paired(out_dir / "paired-kx.json", since)
    pkx_backend = load_paired(out_dir / "paired-kx-aws-lc.json", since)
    phs_default = load_paired(out_dir / "paired-handshake.json", since)
    phs_backend = load_paired(out_dir / "paired-handshake-aws-lc.json", since)
    pkx, phs = pkx_default + pkx_backend, phs_default + phs_backend
    kx = split_ids(results, "kx")
    hs = split_ids(results, "handshake")
    hr = split_ids(results, "handshake-resumed")
    charts = Path(args.charts)
    charts.mkdir(parents=True, exist_ok=True)
    bar_chart("Full TLS 1.3 handshake, median µs (lower is better)", hs, charts / "handshake.svg")
    bar_chart("Full key exchange (start + start_and_complete + complete), median µs", kx, charts / "kx.svg")

    gen = [
        START,
        "",
        "## Results of the latest run",
        "",
        "Produced by `scripts/bench-report`; every number is a criterion median from ONE run, "
        "and every ratio divides two medians of that run. The machine is shared with other "
        "builds and tests, so absolute times move between runs; the ratios are what to compare.",
        "",
        *machine(stamp),
        "",
        "### Targets",
        "",
        targets(kx, hs, pkx, phs),
        "",
        "Interleaved ratios come from A/B batches timed alternately in the same process "
        "(`support::paired` in benches/support/mod.rs), so a change of load during the run "
        "hits both sides; criterion medians are taken one benchmark after the other.",
        "",
        "### Interleaved A/B ratios",
        "",
        "Key exchange, default build:",
        "",
        paired_table(pkx_default),
        "",
        "Key exchange, `aws-lc-rs-backend` build:",
        "",
        paired_table(pkx_backend),
        "",
        "Full handshake, default build:",
        "",
        paired_table(phs_default),
        "",
        "Full handshake, `aws-lc-rs-backend` build:",
        "",
        paired_table(phs_backend),
        "",
        "### Full key exchange per group",
        "",
        "Client `start`, server `start_and_complete`, client `complete`, as rustls calls them.",
        "",
        versus_table(kx, "kx"),
        "",
        f"![key exchange per group]({charts.as_posix()}/kx.svg)",
        "",
        "### Full TLS 1.3 handshake in memory",
        "",
        "Client and server in one process, ECDSA P-256 certificate, rustls's aws-lc-rs provider "
        "as the base (signatures, AEAD, HKDF) for every row; only the key-exchange group differs.",
        "",
        versus_table(hs, "full handshake"),
        "",
        f"![handshake per group]({charts.as_posix()}/handshake.svg)",
        "",
        "### Resumed TLS 1.3 handshake (PSK with (EC)DHE: the key exchange still runs)",
        "",
        versus_table(hr, "resumed handshake"),
        "",
        "### Key-exchange steps",
        "",
        steps_table(split_ids(results, "kx-steps")),
        "",
        "### Primitives",
        "",
        "Default build. pqhkex through `hazmat` (the TLS code path, peer-input checks "
        "included); aws-lc-rs called directly.",
        "",
        primitives_table(split_ids(results, "primitives")),
        "",
        "### Bytes on the wire and heap per handshake",
        "",
        "Share sizes are the key_share payloads. ClientHello and server flight are TLS record "
        "bytes. Heap counts Rust allocations only (a counting global allocator in the bench "
        "binary): aws-lc's and *ring*'s C code allocate with `malloc` directly, which it does "
        "not see, so their rows under-count.",
        "",
        footprint_table([out_dir / "footprint.json", out_dir / "footprint-aws-lc.json"]),
        "",
        "### Candidates measured for the components",
        "",
        "Interleaved A/B (A: what pqhkex runs; B: the alternative):",
        "",
        paired_table(load_paired(criterion_dir / "pqhkex" / "paired-choices.json", since)),
        "",
        "criterion medians:",
        "",
        candidates_table(split_ids(results, "candidates")),
        "",
        END,
    ]
    generated = "\n".join(gen)
    out = Path(args.out)
    if out.exists() and START in out.read_text() and END in out.read_text():
        text = out.read_text()
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        out.write_text(head + generated + tail)
    else:
        out.write_text("# pqhkex benchmarks\n\n" + generated + "\n")
    print(f"wrote {out} and {charts}/*.svg from {len(results)} results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
