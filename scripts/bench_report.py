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
GRAVIOLA = "rustls-graviola"
# pqhkex's rows: the default build (graviola where the CPU runs it), the same build with
# the pure-Rust fallback forced (PQHKEX_BACKEND=pure-rust), and the build with the
# `aws-lc-rs-backend` feature.
PURE = "pqhkex-pure"
BACKEND = "pqhkex-aws-lc"
PQHKEX_ROWS = ("pqhkex", PURE, BACKEND)
PEERS = (INCUMBENT, GRAVIOLA, "ring")
COLORS = {
    "pqhkex": "#2b6cb0",
    PURE: "#90cdf4",
    BACKEND: "#38a169",
    INCUMBENT: "#dd6b20",
    GRAVIOLA: "#805ad5",
    "ring": "#718096",
}


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
    """One line per group: the medians of pqhkex's three rows and of the peers, and the
    default build's ratio to each peer that has the group (plus the fallback's and the
    aws-lc build's ratio to aws-lc-rs)."""
    body = []
    for g in groups_in(rows):
        m = {i: rows.get((i, g)) for i in PQHKEX_ROWS + PEERS}
        body.append(
            [g]
            + [us(m[i]) for i in PQHKEX_ROWS + PEERS]
            + [
                ratio(m["pqhkex"], m[INCUMBENT]),
                ratio(m["pqhkex"], m[GRAVIOLA]),
                ratio(m[PURE], m[INCUMBENT]),
                ratio(m[BACKEND], m[INCUMBENT]),
            ]
        )
    return table(
        [f"group ({what})"]
        + [f"{i} µs" for i in PQHKEX_ROWS + PEERS]
        + [
            "pqhkex / aws-lc-rs",
            "pqhkex / rustls-graviola",
            "pqhkex-pure / aws-lc-rs",
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
        "* pqhkex rows: `pqhkex` = default features (graviola for X25519, P-256, P-384 and "
        "ML-KEM-768 on this CPU, pure Rust for the rest); `pqhkex-pure` = the same build with "
        "`PQHKEX_BACKEND=pure-rust` (the fallback other CPUs run); `pqhkex-aws-lc` = "
        "`--features aws-lc-rs-backend`. The last two run the key-exchange and handshake "
        "suites only; each run's interleaved ratios come from its own process"
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
    impls = [i for i in PQHKEX_ROWS + PEERS if any((i, g) in rows for g in groups)]
    bar_h, gap, left, right, top = 14, 10, 170, 90, 50
    width = 840
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
        lx += 110
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
    return "met" if r <= limit else f"NOT met ({r - limit:+.3f}x over)"


def targets(kx: dict, hs: dict, pkx: list, phs: list) -> str:
    """The targets of the fastest-default issue, each with the criterion-median ratio and
    the interleaved ratio; the status follows the interleaved one (the sturdier on a
    loaded machine) when there is one. `pkx` and `phs` hold the interleaved rows of all
    three pqhkex runs."""
    rows = []

    def measure(a_key, b_key, rows_, paired):
        a, b = rows_.get(a_key), rows_.get(b_key)
        inter = paired_ratio(paired, "/".join(a_key), "/".join(b_key))
        med = a / b if a and b else None
        return a, b, inter, med

    def row(text, a_key, b_key, rows_, paired, limit):
        a, b, inter, med = measure(a_key, b_key, rows_, paired)
        rows.append(
            [
                text,
                ratio(a, b),
                f"{inter:.3f}x" if inter else "–",
                verdict(inter if inter else med, limit),
            ]
        )
        return inter if inter else med

    g = "X25519MLKEM768"
    row(f"full {g} key exchange ≤ 0.95x rustls+aws-lc-rs", ("pqhkex", g), (INCUMBENT, g), kx, pkx, 0.95)
    row(f"full {g} key exchange ≤ 1.0x rustls-graviola", ("pqhkex", g), (GRAVIOLA, g), kx, pkx, 1.0)
    for g in ("SecP256r1MLKEM768", "MLKEM768", "x25519", "secp256r1", "secp384r1"):
        # Against the faster peer that has the group: the one our interleaved ratio is
        # highest against.
        peers = [p for p in (INCUMBENT, GRAVIOLA) if (p, g) in kx]
        if not peers:
            continue
        faster = max(peers, key=lambda p: measure(("pqhkex", g), (p, g), kx, pkx)[2] or 0)
        row(f"full {g} key exchange ≤ 1.0x the faster peer ({faster})", ("pqhkex", g), (faster, g), kx, pkx, 1.0)
    for g in ("SecP384r1MLKEM1024", "MLKEM1024", "MLKEM512"):
        if (INCUMBENT, g) in kx:
            row(f"full {g} key exchange ≤ 1.2x aws-lc-rs", ("pqhkex", g), (INCUMBENT, g), kx, pkx, 1.2)
        else:
            rows.append([f"full {g} key exchange (aws-lc-rs does not offer it)", "–", "–", "no peer"])
    h = "X25519MLKEM768"
    ours = row(
        f"full handshake, pqhkex {h} ≤ 1.10x pqhkex x25519 (same base)",
        ("pqhkex", h), ("pqhkex", "x25519"), hs, phs, 1.10,
    )
    theirs = row(
        f"for comparison: aws-lc-rs {h} handshake / aws-lc-rs x25519",
        (INCUMBENT, h), (INCUMBENT, "x25519"), hs, phs, float("inf"),
    )
    rows.append(
        [
            "handshake ratio not above rustls+aws-lc-rs's own (previous two rows)",
            "–",
            f"{ours:.3f}x vs {theirs:.3f}x" if ours and theirs else "–",
            ("met" if ours <= theirs else f"NOT met ({ours - theirs:+.2f}x over)") if ours and theirs else "not measured",
        ]
    )
    row(
        f"for comparison: rustls-graviola {h} handshake / rustls-graviola x25519",
        (GRAVIOLA, h), (GRAVIOLA, "x25519"), hs, phs, float("inf"),
    )
    row(
        f"full {h} key exchange, pure-Rust fallback (forced) vs rustls+aws-lc-rs: no target, must not regress",
        (PURE, h), (INCUMBENT, h), kx, pkx, float("inf"),
    )
    row(
        f"full {h} key exchange, `aws-lc-rs-backend` vs rustls+aws-lc-rs (no target)",
        (BACKEND, h), (INCUMBENT, h), kx, pkx, float("inf"),
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
    pkx_pure = load_paired(out_dir / "paired-kx-pure.json", since)
    pkx_backend = load_paired(out_dir / "paired-kx-aws-lc.json", since)
    phs_default = load_paired(out_dir / "paired-handshake.json", since)
    phs_pure = load_paired(out_dir / "paired-handshake-pure.json", since)
    phs_backend = load_paired(out_dir / "paired-handshake-aws-lc.json", since)
    pkx = pkx_default + pkx_pure + pkx_backend
    phs = phs_default + phs_pure + phs_backend
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
        "Key exchange, pure-Rust fallback forced (`PQHKEX_BACKEND=pure-rust`):",
        "",
        paired_table(pkx_pure),
        "",
        "Key exchange, `aws-lc-rs-backend` build:",
        "",
        paired_table(pkx_backend),
        "",
        "Full handshake, default build:",
        "",
        paired_table(phs_default),
        "",
        "Full handshake, pure-Rust fallback forced:",
        "",
        paired_table(phs_pure),
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
        "Default build (graviola for X25519, P-256, P-384, ML-KEM-768). pqhkex through "
        "`hazmat` (the TLS code path, peer-input checks included); aws-lc-rs called directly.",
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
        footprint_table([out_dir / "footprint.json", out_dir / "footprint-pure.json", out_dir / "footprint-aws-lc.json"]),
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
