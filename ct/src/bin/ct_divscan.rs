//! Division scan (KyberSlash gate). Memcheck does not flag a division whose operands
//! are secret, yet x86 `div` / `idiv` take a data-dependent number of cycles. This
//! tool disassembles a harness binary and fails on every integer division that
//! executes inside a cryptographic crate's code and is not on the reviewed allowlist.
//!
//! ```text
//! ct_divscan <binary> <allowlist> <label>
//! ```
//!
//! * `objdump -d` lists every `div` / `idiv` instruction;
//! * `addr2line -f -i` gives each one's inlining chain (innermost first); the
//!   division is attributed to the innermost frame whose source file belongs to a
//!   scanned crate (so a `/` from the standard library inlined into a crypto
//!   function is attributed to that function);
//! * an allowlist line `crate function-substring | reason` accepts a division in a
//!   function whose name contains the substring;
//! * the control `planted_secret_division` (ct/src/controls.rs) must be found and
//!   must NOT be allowlisted, or the scan is blind and fails.
//!
//! Output: one line per division found in scanned code, then `ok` / `FAIL` lines
//! for the two checks and `divscan <label>: N passed, N failed`.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// Crates whose code handles secrets (directly or as the arithmetic underneath).
const SCANNED: &[&str] = &[
    "pqhkex",
    "pqhkex-ct", // only for the planted control; see `crate_of`
    "libcrux-ml-kem",
    "libcrux-sha3",
    "libcrux-intrinsics",
    "libcrux-secrets",
    "libcrux-traits",
    "libcrux-platform",
    "curve25519-dalek",
    "x25519-dalek",
    "p256",
    "p384",
    "primeorder",
    "primefield",
    "elliptic-curve",
    "crypto-bigint",
    "ff",
    "group",
    "sec1",
    "subtle",
    "sha3",
    "shake",
    "keccak",
    // The graviola backend: its Rust code and s2n-bignum's assembly (emitted through
    // `asm!` in graviola's own source files, so addr2line attributes it to graviola).
    "graviola",
];

const CONTROL: &str = "planted_secret_division";

struct Frame {
    function: String,
    file: String,
    line: String,
}

/// The crate a source file belongs to, from its path.
fn crate_of(file: &str) -> Option<String> {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let repo = std::fs::canonicalize(repo).ok()?;
    let repo = repo.to_string_lossy();
    if let Some(rest) = file.strip_prefix(&format!("{repo}/")) {
        if rest.starts_with("ct/src/controls.rs") {
            return Some("pqhkex-ct".into());
        }
        if rest.starts_with("src/") {
            return Some("pqhkex".into());
        }
        return None;
    }
    // .../registry/src/<index>/<name>-<version>/...
    let idx = file.find("/registry/src/")?;
    let after = &file[idx + "/registry/src/".len()..];
    let dir = after.split('/').nth(1)?;
    // Split "<name>-<version>" at the last '-' followed by a digit.
    let bytes = dir.as_bytes();
    let mut cut = None;
    for i in (0..bytes.len()).rev() {
        if bytes[i] == b'-' && bytes.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            cut = Some(i);
            break;
        }
    }
    Some(dir[..cut?].to_string())
}

fn strip_hash(name: &str) -> String {
    // Legacy-mangled Rust names demangle with a trailing "::h<16 hex>".
    match name.rfind("::h") {
        Some(i) if name.len() - i == 19 => name[..i].to_string(),
        _ => name.to_string(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: ct_divscan <binary> <allowlist> <label>");
        std::process::exit(2);
    }
    let (binary, allowlist_path, label) = (&args[1], &args[2], &args[3]);

    // 1. Every integer division instruction.
    let dis = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn", "-M", "intel", binary])
        .output()
        .expect("run objdump (apt-get install binutils)");
    assert!(dis.status.success(), "objdump failed");
    let text = String::from_utf8_lossy(&dis.stdout);
    let mut divs: Vec<(String, String)> = Vec::new(); // (address, instruction)
    for line in text.lines() {
        let Some((addr, rest)) = line.trim_start().split_once(':') else {
            continue;
        };
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let insn = rest.trim();
        let mnemonic = insn.split_whitespace().next().unwrap_or("");
        if mnemonic == "div" || mnemonic == "idiv" {
            divs.push((addr.to_string(), insn.to_string()));
        }
    }

    // 2. Inlining chain of each.
    let mut child = Command::new("addr2line")
        .args(["-f", "-i", "-C", "-a", "-e", binary])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run addr2line (apt-get install binutils)");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for (addr, _) in &divs {
            writeln!(stdin, "0x{addr}").expect("write addr2line input");
        }
    }
    let out = child.wait_with_output().expect("addr2line output");
    let out = String::from_utf8_lossy(&out.stdout);
    let mut chains: BTreeMap<u64, Vec<Frame>> = BTreeMap::new();
    let mut current: Option<u64> = None;
    let mut lines = out.lines().peekable();
    while let Some(l) = lines.next() {
        if let Some(hex) = l.strip_prefix("0x") {
            if let Ok(a) = u64::from_str_radix(hex, 16) {
                current = Some(a);
                chains.entry(a).or_default();
                continue;
            }
        }
        let Some(a) = current else { continue };
        let loc = lines.next().unwrap_or("??:0");
        let (file, line) = loc.rsplit_once(':').unwrap_or((loc, "0"));
        let line = line.split_whitespace().next().unwrap_or("0");
        chains.entry(a).or_default().push(Frame {
            function: strip_hash(l),
            file: file.to_string(),
            line: line.to_string(),
        });
    }

    // 3. The allowlist.
    let allow_text = std::fs::read_to_string(allowlist_path).expect("read allowlist");
    let mut allow: Vec<(String, String, String, u32)> = Vec::new(); // crate, substring, reason, hits
    for raw in allow_text.lines() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (key, reason) = l
            .split_once('|')
            .expect("allowlist line: `crate function | reason`");
        let mut key = key.split_whitespace();
        let krate = key.next().expect("crate").to_string();
        let func = key.next().expect("function substring").to_string();
        assert!(
            !reason.trim().is_empty(),
            "allowlist entry without a reason: {l}"
        );
        allow.push((krate, func, reason.trim().to_string(), 0));
    }

    // 4. Classify.
    let mut unexpected = 0u32;
    let mut control_found = 0u32;
    let mut allowed = 0u32;
    let mut seen_lines: BTreeMap<String, u32> = BTreeMap::new();
    for (addr, insn) in &divs {
        let a = u64::from_str_radix(addr, 16).expect("hex address");
        let chain = chains.get(&a).map(|v| &v[..]).unwrap_or(&[]);
        let attributed = chain.iter().find_map(|f| {
            let c = crate_of(&f.file)?;
            SCANNED.contains(&c.as_str()).then_some((c, f))
        });
        let Some((krate, frame)) = attributed else {
            continue;
        };
        let where_ = format!(
            "{krate}: {} ({}:{})",
            frame.function,
            frame.file.rsplit("/src/").next().unwrap_or(&frame.file),
            frame.line
        );
        let innermost = chain.first().map_or(String::new(), |f| {
            format!(
                " [innermost: {} {}:{}]",
                f.function,
                f.file.rsplit('/').next().unwrap_or(""),
                f.line
            )
        });
        if krate == "pqhkex-ct" && frame.function.contains(CONTROL) {
            control_found += 1;
            println!("control  0x{addr} {insn:<24} {where_}");
            continue;
        }
        let hit = allow
            .iter_mut()
            .find(|(c, f, _, _)| *c == krate && frame.function.contains(f.as_str()));
        match hit {
            Some(entry) => {
                entry.3 += 1;
                allowed += 1;
                *seen_lines
                    .entry(format!("allowed  {where_}{innermost}  -- {}", entry.2))
                    .or_default() += 1;
            }
            None => {
                unexpected += 1;
                println!("UNEXPECTED 0x{addr} {insn:<24} {where_}{innermost}");
            }
        }
    }
    for (l, n) in &seen_lines {
        println!("{l} (x{n})");
    }
    for (c, f, _, hits) in &allow {
        if *hits == 0 {
            println!("note: allowlist entry `{c} {f}` matched nothing in this build");
        }
    }

    let mut passed = 0;
    let mut failed = 0;
    if unexpected == 0 {
        passed += 1;
        println!(
            "ok {label}/no-unreviewed-division (division instructions in crypto code: {allowed}, all allowlisted)"
        );
    } else {
        failed += 1;
        println!("FAIL {label}/no-unreviewed-division: {unexpected} division(s) in crypto code not on the allowlist");
    }
    if control_found > 0 {
        passed += 1;
        println!("ok {label}/control-planted-division (caught at {control_found} instruction(s))");
    } else {
        failed += 1;
        println!("FAIL {label}/control-planted-division: the planted secret division was NOT found: the scan is blind");
    }
    println!("divscan {label}: {passed} passed, {failed} failed");
    std::process::exit(i32::from(failed != 0));
}
