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
///
/// With the `serde` feature it implements `serde::Serialize`, every field under its own
/// name. Values that are not plain data are written by name: `group` as the group's IANA
/// name, `components` and `backends` as lists of names ([`Algorithm::name`],
/// [`Backend::name`]), `protocol_version` and `cipher_suite` as rustls names them
/// (`"TLSv1_3"`, `"TLS13_AES_256_GCM_SHA384"`; an unknown value as `"Unknown(0x…)"`):
///
/// ```
/// # #[cfg(feature = "serde")] {
/// # let cfg = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), pqhkex::Policy::default())
/// #     .unwrap().with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth();
/// # let conn = rustls::ClientConnection::new(std::sync::Arc::new(cfg), "example.com".try_into().unwrap()).unwrap();
/// let report = pqhkex::ConnectionReport::from_connection(&conn);
/// let json = serde_json::to_value(&report).unwrap();
/// assert_eq!(json["group"], serde_json::Value::Null); // nothing negotiated yet
/// assert_eq!(json["post_quantum"], false);
/// assert_eq!(json["components"], serde_json::json!([]));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ConnectionReport {
    /// The negotiated group's TLS codepoint, once known.
    pub group_code: Option<u16>,
    /// pqhkex's metadata for that group, if it is one pqhkex knows.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::group"))]
    pub group: Option<&'static Group>,
    /// Whether the key exchange is post-quantum (hybrid or pure ML-KEM).
    pub post_quantum: bool,
    /// Whether it is a hybrid (classical + post-quantum).
    pub hybrid: bool,
    /// The components of the negotiated group, in wire order.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::algorithms"))]
    pub components: &'static [Algorithm],
    /// Whether the handshake needed a HelloRetryRequest (`None` until it finished).
    pub hello_retry_request: Option<bool>,
    /// Whether the session was resumed (`None` until the handshake finished).
    pub resumed: Option<bool>,
    /// The negotiated protocol version.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::debug_name"))]
    pub protocol_version: Option<ProtocolVersion>,
    /// The negotiated cipher suite.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::debug_name"))]
    pub cipher_suite: Option<CipherSuite>,
    /// Whose implementation ran this side's key exchange: `Some(true)` for one of pqhkex's
    /// groups, `Some(false)` for a group of the base provider (e.g. aws-lc-rs's own
    /// X25519MLKEM768 or X25519), `None` before a group is negotiated.
    pub pqhkex_implementation: Option<bool>,
    /// For a pqhkex group, the backend that ran each component in this process, in wire
    /// order (see [`Backend`]); empty otherwise.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::backends"))]
    pub backends: Vec<Backend>,
}

/// Feature `serde`: how the fields that are not plain data are written.
#[cfg(feature = "serde")]
mod ser {
    use serde::Serializer;

    use super::{Algorithm, Backend, Group};

    pub(super) fn group<S: Serializer>(
        g: &Option<&'static Group>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match g {
            Some(g) => s.serialize_some(g.name),
            None => s.serialize_none(),
        }
    }

    pub(super) fn algorithms<S: Serializer>(
        a: &&'static [Algorithm],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(a.iter().map(|a| a.name()))
    }

    pub(super) fn backends<S: Serializer>(b: &[Backend], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(b.iter().map(|b| b.name()))
    }

    /// A rustls enum by its `Debug` name: the specification's name for known values.
    pub(super) fn debug_name<T: core::fmt::Debug, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(&format_args!("{v:?}")),
            None => s.serialize_none(),
        }
    }
}

impl ConnectionReport {
    /// Reads the report from any rustls connection (client or server; both deref to
    /// [`CommonState`]).
    pub fn from_connection(conn: &CommonState) -> Self {
        let kx = conn.negotiated_key_exchange_group();
        let group_code = kx.map(|g| u16::from(g.name()));
        // Through `pqhkex::observe`, the negotiated group is the observer's wrapper: ask
        // about the group it wraps.
        let ours = kx.map(|g| crate::rustls::is_pqhkex_group(crate::observe::inner_group(g)));
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

/// A TLS alert description's name as the registry spells it (RFC 8446 §6 and the TLS
/// AlertDescription registry, including the TLS 1.2-and-older ones a scanner still meets:
/// `decryption_failed`, `no_certificate`, `export_restriction`, `no_renegotiation`);
/// `None` for an unassigned code.
///
/// ```
/// assert_eq!(pqhkex::inspect::alert_name(40), Some("handshake_failure"));
/// assert_eq!(pqhkex::inspect::alert_name(70), Some("protocol_version"));
/// assert_eq!(pqhkex::inspect::alert_name(255), None);
/// ```
pub fn alert_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return None,
    })
}
