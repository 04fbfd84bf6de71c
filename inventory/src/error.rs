//! Why a probe or a scan failed: [`Failure`], classified from I/O and TLS errors, with
//! the exit code the `pqhkex` command line gives each kind.

use core::fmt;
use std::io;

use rustls::{AlertDescription, Error as TlsError};
use serde::{Deserialize, Serialize};

/// Why a probe, a scan or a command failed. Each kind has a documented exit code
/// ([`Failure::exit_code`]) and a machine-readable [`FailureKind`].
///
/// ```
/// use pqhkex_inventory::{Failure, FailureKind};
///
/// let f = Failure::Timeout("example.com:443 did not answer".into());
/// assert_eq!(f.kind(), FailureKind::Timeout);
/// assert_eq!(f.exit_code(), 4);
/// assert_eq!(f.to_string(), "example.com:443 did not answer");
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Anything else (file I/O, invalid PEM, …). Exit code 1.
    Other(String),
    /// Bad command-line usage. Exit code 2.
    Usage(String),
    /// The host name does not resolve, or the connection was refused / unroutable. 3.
    Unreachable(String),
    /// Connecting or waiting for the peer took longer than the timeout. 4.
    Timeout(String),
    /// The peer answered with something that is not TLS. 5.
    NotTls(String),
    /// The peer of an `ssh://` target answered with something that is not SSH. 5.
    NotSsh(String),
    /// The peer speaks TLS 1.2 or an older TLS only: no post-quantum key exchange. 6.
    Tls12Only(String),
    /// The peer's certificate was not trusted. 7.
    Certificate(String),
    /// The TLS handshake failed for another reason (an alert, a peer that broke the
    /// protocol, a message the probe cannot read, …); for a scan: the server answered
    /// in TLS (or SSH), but no offer led to a key exchange, or the SSH exchange did not
    /// verify. 8.
    Handshake(String),
    /// A scan reached the target, but the evidence does not decide its classification
    /// (some probes failed without evidence or were not run). 9.
    Undetermined(String),
}

/// The machine-readable kind of a [`Failure`]: the JSON `error.kind` field of a scan
/// (`"not-tls"`, `"tls12-only"`, ...).
///
/// ```
/// use pqhkex_inventory::FailureKind;
///
/// assert_eq!(serde_json::to_string(&FailureKind::Tls12Only)?, "\"tls12-only\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// [`Failure::Other`].
    Other,
    /// [`Failure::Usage`].
    Usage,
    /// [`Failure::Unreachable`].
    Unreachable,
    /// [`Failure::Timeout`].
    Timeout,
    /// [`Failure::NotTls`].
    NotTls,
    /// [`Failure::NotSsh`].
    NotSsh,
    /// [`Failure::Tls12Only`].
    Tls12Only,
    /// [`Failure::Certificate`].
    Certificate,
    /// [`Failure::Handshake`].
    Handshake,
    /// [`Failure::Undetermined`].
    Undetermined,
}

impl Failure {
    /// The machine-readable kind.
    ///
    /// ```
    /// use pqhkex_inventory::{Failure, FailureKind};
    ///
    /// assert_eq!(Failure::NotTls("no".into()).kind(), FailureKind::NotTls);
    /// ```
    pub fn kind(&self) -> FailureKind {
        match self {
            Failure::Other(_) => FailureKind::Other,
            Failure::Usage(_) => FailureKind::Usage,
            Failure::Unreachable(_) => FailureKind::Unreachable,
            Failure::Timeout(_) => FailureKind::Timeout,
            Failure::NotTls(_) => FailureKind::NotTls,
            Failure::NotSsh(_) => FailureKind::NotSsh,
            Failure::Tls12Only(_) => FailureKind::Tls12Only,
            Failure::Certificate(_) => FailureKind::Certificate,
            Failure::Handshake(_) => FailureKind::Handshake,
            Failure::Undetermined(_) => FailureKind::Undetermined,
        }
    }

    /// The human-readable message (also what `Display` prints).
    ///
    /// ```
    /// use pqhkex_inventory::Failure;
    ///
    /// assert_eq!(Failure::Usage("bad target".into()).message(), "bad target");
    /// ```
    pub fn message(&self) -> &str {
        match self {
            Failure::Other(m)
            | Failure::Usage(m)
            | Failure::Unreachable(m)
            | Failure::Timeout(m)
            | Failure::NotTls(m)
            | Failure::NotSsh(m)
            | Failure::Tls12Only(m)
            | Failure::Certificate(m)
            | Failure::Handshake(m)
            | Failure::Undetermined(m) => m,
        }
    }

    /// The exit code of the `pqhkex` command line for this kind: 1 other, 2 usage,
    /// 3 unreachable, 4 timeout, 5 not TLS (or not SSH), 6 TLS 1.2 or older only,
    /// 7 certificate, 8 handshake, 9 undetermined.
    ///
    /// ```
    /// use pqhkex_inventory::Failure;
    ///
    /// assert_eq!(Failure::Tls12Only("old".into()).exit_code(), 6);
    /// ```
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Other(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Unreachable(_) => 3,
            Failure::Timeout(_) => 4,
            Failure::NotTls(_) | Failure::NotSsh(_) => 5,
            Failure::Tls12Only(_) => 6,
            Failure::Certificate(_) => 7,
            Failure::Handshake(_) => 8,
            Failure::Undetermined(_) => 9,
        }
    }

    /// Whether the failure is about reaching the peer at all (so further probes of the
    /// same endpoint are pointless).
    ///
    /// ```
    /// use pqhkex_inventory::Failure;
    ///
    /// assert!(Failure::Unreachable("refused".into()).is_connection_level());
    /// assert!(!Failure::Handshake("alert".into()).is_connection_level());
    /// ```
    pub fn is_connection_level(&self) -> bool {
        matches!(
            self,
            Failure::Unreachable(_) | Failure::Timeout(_) | Failure::NotTls(_) | Failure::NotSsh(_)
        )
    }

    /// Classifies an error from connecting (TCP).
    ///
    /// ```
    /// use pqhkex_inventory::{Failure, FailureKind};
    ///
    /// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    /// assert_eq!(Failure::from_connect("h:1", &refused).kind(), FailureKind::Unreachable);
    /// ```
    pub fn from_connect(target: &str, e: &io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                Failure::Timeout(format!("connecting to {target} timed out"))
            }
            _ => Failure::Unreachable(format!("cannot connect to {target}: {e}")),
        }
    }

    /// Classifies an error from a TLS handshake driven over a socket, when nothing is
    /// known of the peer but how many bytes it sent (see
    /// [`Failure::from_handshake_after`]).
    ///
    /// `peer_bytes` is how many bytes the peer had sent when it happened: a peer that
    /// closes without a byte has given no sign of speaking TLS.
    ///
    /// ```
    /// use pqhkex_inventory::{Failure, FailureKind};
    ///
    /// let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
    /// assert_eq!(Failure::from_handshake("h:1", &eof, 0).kind(), FailureKind::NotTls);
    /// assert_eq!(Failure::from_handshake("h:1", &eof, 80).kind(), FailureKind::Handshake);
    /// ```
    pub fn from_handshake(target: &str, e: &io::Error, peer_bytes: u64) -> Self {
        Self::from_handshake_after(target, e, peer_bytes, false)
    }

    /// Classifies an error from a TLS handshake driven over a socket. `spoke_tls`: the
    /// peer already sent something only a TLS server sends (a valid TLS record, a
    /// ServerHello or a HelloRetryRequest), so that a protocol error after it is a
    /// handshake failure of a TLS server, never "not TLS".
    ///
    /// ```
    /// use pqhkex_inventory::{Failure, FailureKind};
    /// use rustls::{Error, InvalidMessage};
    ///
    /// let junk = std::io::Error::new(std::io::ErrorKind::InvalidData, Error::InvalidMessage(InvalidMessage::MessageTooLarge));
    /// assert_eq!(Failure::from_handshake_after("h:1", &junk, 70_000, false).kind(), FailureKind::NotTls);
    /// assert_eq!(Failure::from_handshake_after("h:1", &junk, 70_000, true).kind(), FailureKind::Handshake);
    /// ```
    pub fn from_handshake_after(
        target: &str,
        e: &io::Error,
        peer_bytes: u64,
        spoke_tls: bool,
    ) -> Self {
        if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<TlsError>()) {
            return Self::from_tls_after(target, tls, spoke_tls);
        }
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Failure::Timeout(format!(
                "{target} did not finish the TLS handshake in time{}",
                if peer_bytes > 0 {
                    format!(" ({peer_bytes} bytes received)")
                } else {
                    String::new()
                }
            )),
            io::ErrorKind::UnexpectedEof if peer_bytes == 0 && !spoke_tls => Failure::NotTls(format!(
                "{target} closed the connection without answering the TLS ClientHello (not a TLS server?)"
            )),
            io::ErrorKind::UnexpectedEof => Failure::Handshake(format!(
                "{target} closed the connection during the TLS handshake"
            )),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                if peer_bytes == 0 && !spoke_tls =>
            {
                Failure::NotTls(format!(
                    "{target} reset the connection without answering the TLS ClientHello ({e})"
                ))
            }
            _ => Failure::Handshake(format!("TLS handshake with {target} failed: {e}")),
        }
    }

    /// Classifies a rustls error, when nothing is known of the peer (see
    /// [`Failure::from_tls_after`]).
    ///
    /// ```
    /// use pqhkex_inventory::{Failure, FailureKind};
    /// use rustls::{AlertDescription, Error};
    ///
    /// let old = Error::AlertReceived(AlertDescription::ProtocolVersion);
    /// assert_eq!(Failure::from_tls("h:1", &old).kind(), FailureKind::Tls12Only);
    /// ```
    pub fn from_tls(target: &str, e: &TlsError) -> Self {
        Self::from_tls_after(target, e, false)
    }

    /// Classifies a rustls error; `spoke_tls` as in [`Failure::from_handshake_after`]:
    /// a message rustls cannot read is "not TLS" only from a peer that never sent
    /// anything TLS.
    ///
    /// ```
    /// use pqhkex_inventory::{Failure, FailureKind};
    /// use rustls::{Error, PeerMisbehaved};
    ///
    /// let e = Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedKxGroup);
    /// let f = Failure::from_tls_after("h:1", &e, true);
    /// assert_eq!(f.kind(), FailureKind::Handshake);
    /// assert!(f.message().contains("broke the TLS protocol"), "{f}");
    /// ```
    pub fn from_tls_after(target: &str, e: &TlsError, spoke_tls: bool) -> Self {
        match e {
            TlsError::InvalidMessage(
                rustls::InvalidMessage::MessageTooLarge
                | rustls::InvalidMessage::HandshakePayloadTooLarge,
            ) if spoke_tls => {
                Failure::Handshake(format!(
                    "{target} sent a handshake message larger than the 64 KiB the probe's TLS stack (rustls) accepts: a certificate chain this large also breaks many clients ({e})"
                ))
            }
            TlsError::InvalidMessage(_)
            | TlsError::InappropriateMessage { .. }
            | TlsError::InappropriateHandshakeMessage { .. }
                if spoke_tls =>
            {
                Failure::Handshake(format!(
                    "{target} speaks TLS but sent a message out of place or malformed: {e}"
                ))
            }
            TlsError::InvalidMessage(_)
            | TlsError::InappropriateMessage { .. }
            | TlsError::InappropriateHandshakeMessage { .. } => Failure::NotTls(format!(
                "{target} does not speak TLS (its answer to the ClientHello is not a TLS ServerHello: {e})"
            )),
            TlsError::PeerMisbehaved(_) => Failure::Handshake(format!(
                "{target} broke the TLS protocol: {e}"
            )),
            TlsError::AlertReceived(AlertDescription::ProtocolVersion) => Failure::Tls12Only(format!(
                "{target} refused TLS 1.3 (protocol_version alert): it speaks an older TLS only, so no post-quantum key exchange is possible"
            )),
            TlsError::PeerIncompatible(rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13)
            | TlsError::PeerIncompatible(rustls::PeerIncompatible::Tls13RequiredForQuic) => {
                Failure::Tls12Only(format!("{target}: {e}"))
            }
            TlsError::InvalidCertificate(_) | TlsError::NoCertificatesPresented => {
                Failure::Certificate(format!("the certificate of {target} is not trusted: {e}"))
            }
            _ => Failure::Handshake(format!("TLS handshake with {target} failed: {e}")),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Failure {}

impl From<rustls::Error> for Failure {
    fn from(e: rustls::Error) -> Self {
        Failure::Other(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let wrap = |e: TlsError| io::Error::new(io::ErrorKind::InvalidData, e);
        let t = "h:1";
        assert_eq!(
            Failure::from_handshake(
                t,
                &wrap(TlsError::AlertReceived(AlertDescription::ProtocolVersion)),
                7
            )
            .exit_code(),
            6
        );
        assert_eq!(
            Failure::from_handshake(
                t,
                &wrap(TlsError::AlertReceived(AlertDescription::HandshakeFailure)),
                7
            )
            .exit_code(),
            8
        );
        assert_eq!(
            Failure::from_handshake(
                t,
                &wrap(TlsError::InvalidMessage(
                    rustls::InvalidMessage::InvalidContentType
                )),
                7
            )
            .exit_code(),
            5
        );
        assert_eq!(
            Failure::from_handshake(
                t,
                &wrap(TlsError::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer
                )),
                7
            )
            .exit_code(),
            7
        );
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(Failure::from_handshake(t, &eof, 0).exit_code(), 5);
        assert_eq!(Failure::from_handshake(t, &eof, 10).exit_code(), 8);
        let slow = io::Error::from(io::ErrorKind::WouldBlock);
        assert_eq!(Failure::from_handshake(t, &slow, 0).exit_code(), 4);
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(Failure::from_connect(t, &refused).exit_code(), 3);
    }
}
