//! Inspection: what a rustls connection negotiated, for logs, metrics and inventory.

use core::fmt;

use ::rustls::{CipherSuite, CommonState, HandshakeKind, ProtocolVersion};

use crate::groups::{self, Group};
use crate::kem::{Algorithm, Backend};

/// What a connection negotiated, in post-quantum terms.
///
/// ```
/// // Before a handshake nothing is negotiated:
/// let cfg = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), pqhkex::Policy::default())
///     .unwrap().with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth();
/// let conn = rustls::ClientConnection::new(std::sync::Arc::new(cfg), "example.com".try_into().unwrap()).unwrap();
/// let report = pqhkex::ConnectionReport::from_connection(&conn);
/// assert!(!report.post_quantum && report.group_code.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionReport {
    /// The negotiated group's TLS codepoint, once known.
    pub group_code: Option<u16>,
    /// pqhkex's metadata for that group, if it is one pqhkex knows.
    pub group: Option<&'static Group>,
    /// Whether the key exchange is post-quantum (hybrid or pure ML-KEM).
    pub post_quantum: bool,
    /// Whether it is a hybrid (classical + post-quantum).
    pub hybrid: bool,
    /// The components of the negotiated group, in wire order.
    pub components: &'static [Algorithm],
    /// Whether the handshake needed a HelloRetryRequest (`None` until it finished).
    pub hello_retry_request: Option<bool>,
    /// Whether the session was resumed (`None` until the handshake finished).
    pub resumed: Option<bool>,
    /// The negotiated protocol version.
    pub protocol_version: Option<ProtocolVersion>,
    /// The negotiated cipher suite.
    pub cipher_suite: Option<CipherSuite>,
    /// Whose implementation ran this side's key exchange: `Some(true)` for one of pqhkex's
    /// groups, `Some(false)` for a group of the base provider (e.g. aws-lc-rs's own
    /// X25519MLKEM768 or X25519), `None` before a group is negotiated.
    pub pqhkex_implementation: Option<bool>,
    /// For a pqhkex group, the backend that ran each component in this process, in wire
    /// order (see [`Backend`]); empty otherwise.
    pub backends: Vec<Backend>,
}

impl ConnectionReport {
    /// Reads the report from any rustls connection (client or server; both deref to
    /// [`CommonState`]).
    pub fn from_connection(conn: &CommonState) -> Self {
        let kx = conn.negotiated_key_exchange_group();
        let group_code = kx.map(|g| u16::from(g.name()));
        let ours = kx.map(crate::rustls::is_pqhkex_group);
        let group = group_code.and_then(groups::by_code);
        let kind = conn.handshake_kind();
        ConnectionReport {
            group_code,
            group,
            post_quantum: group.is_some_and(|g| g.is_post_quantum()),
            hybrid: group.is_some_and(|g| g.is_hybrid()),
            components: group.map_or(&[], |g| g.components),
            hello_retry_request: kind.map(|k| k == HandshakeKind::FullWithHelloRetryRequest),
            resumed: kind.map(|k| k == HandshakeKind::Resumed),
            protocol_version: conn.protocol_version(),
            cipher_suite: conn.negotiated_cipher_suite().map(|s| s.suite()),
            pqhkex_implementation: ours,
            backends: match (ours, group) {
                (Some(true), Some(g)) => g
                    .components
                    .iter()
                    .map(|a| Backend::for_algorithm(*a))
                    .collect(),
                _ => Vec::new(),
            },
        }
    }

    /// The negotiated group's name, or its codepoint in hex if pqhkex does not know it.
    pub fn group_name(&self) -> String {
        match (self.group, self.group_code) {
            (Some(g), _) => g.name.to_string(),
            (None, Some(c)) => format!("0x{c:04x}"),
            (None, None) => "none".to_string(),
        }
    }
}

impl fmt::Display for ConnectionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.hybrid {
            "hybrid post-quantum"
        } else if self.post_quantum {
            "post-quantum"
        } else {
            "NOT post-quantum"
        };
        write!(f, "group={} ({kind})", self.group_name())?;
        if let Some(v) = self.protocol_version {
            write!(f, " version={v:?}")?;
        }
        if let Some(s) = self.cipher_suite {
            write!(f, " suite={s:?}")?;
        }
        if let Some(hrr) = self.hello_retry_request {
            write!(f, " hrr={hrr}")?;
        }
        match self.pqhkex_implementation {
            Some(true) => {
                let backends: Vec<&str> = self.backends.iter().map(|b| b.name()).collect();
                write!(f, " kx=pqhkex({})", backends.join("+"))?;
            }
            Some(false) => f.write_str(" kx=provider")?,
            None => {}
        }
        Ok(())
    }
}
