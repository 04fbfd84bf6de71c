//! `pqhkex groups`: the library's group table ([`pqhkex::groups::ALL`]), not a copy.

use pqhkex::Group;
use serde::Serialize;

use pqhkex_inventory::{Failure, GroupKind};

/// One group's static metadata, as printed by `groups --json` and embedded in scans.
#[derive(Clone, Debug, Serialize)]
pub struct GroupInfo {
    pub name: &'static str,
    /// The TLS codepoint, `0x` and four hex digits.
    pub code: String,
    /// `hybrid`, `post-quantum` or `classical`.
    pub kind: &'static str,
    pub components: Vec<&'static str>,
    pub client_share_bytes: usize,
    pub server_share_bytes: usize,
    pub shared_secret_bytes: usize,
    /// NIST post-quantum security category (1, 3, 5), `null` for classical groups.
    pub nist_category: Option<u8>,
    pub quantum_safe: bool,
    pub tls12: bool,
    pub spec: &'static str,
    /// `groups` only: the backend that runs each component in this process (graviola,
    /// pure-rust, aws-lc-rs), in wire order. Absent where a scan embeds the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backends: Option<Vec<&'static str>>,
}

impl GroupInfo {
    pub fn of(g: &'static Group) -> Self {
        GroupInfo {
            name: g.name,
            code: format!("0x{:04x}", g.code),
            kind: GroupKind::of(g).as_str(),
            components: g.components.iter().map(|a| a.name()).collect(),
            client_share_bytes: g.client_share_len(),
            server_share_bytes: g.server_share_len(),
            shared_secret_bytes: g.secret_len(),
            nist_category: g.nist_category(),
            quantum_safe: g.is_post_quantum(),
            tls12: g.tls12_allowed(),
            spec: g.spec,
            backends: None,
        }
    }
}

/// `pqhkex groups [--json]`.
pub fn run(json: bool) -> Result<(), Failure> {
    let infos: Vec<GroupInfo> = pqhkex::groups::ALL
        .iter()
        .map(|g| GroupInfo {
            backends: Some(
                g.components
                    .iter()
                    .map(|a| pqhkex::Backend::for_algorithm(*a).name())
                    .collect(),
            ),
            ..GroupInfo::of(g)
        })
        .collect();
    if json {
        let text = serde_json::to_string_pretty(&infos)
            .map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        outln!("{text}");
        return Ok(());
    }
    outln!(
        "{:<6}  {:<22} {:<12} {:<22} {:>6} {:>6} {:>6}  {:<4} {:<12} {:<20} spec",
        "code",
        "name",
        "kind",
        "components",
        "client",
        "server",
        "secret",
        "NIST",
        "quantum-safe",
        "backend"
    );
    for i in &infos {
        outln!(
            "{:<6}  {:<22} {:<12} {:<22} {:>6} {:>6} {:>6}  {:<4} {:<12} {:<20} {}",
            i.code,
            i.name,
            i.kind,
            i.components.join(" + "),
            i.client_share_bytes,
            i.server_share_bytes,
            i.shared_secret_bytes,
            i.nist_category.map_or("-".to_string(), |c| c.to_string()),
            if i.quantum_safe { "yes" } else { "NO" },
            i.backends.as_deref().unwrap_or_default().join(" + "),
            i.spec
        );
    }
    outln!("(share and secret sizes in bytes; backend: what runs each component in this process)");
    Ok(())
}
