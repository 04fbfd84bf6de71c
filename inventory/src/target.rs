//! What to scan: [`Target`], parsed from `HOST:PORT`, a bare host or a URL, TLS unless
//! it is an `ssh://` URL.

use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::time::Instant;

use rustls::pki_types::ServerName;

use crate::Failure;

/// One endpoint to probe, as a user wrote it.
///
/// Accepted forms: `host:port`, `host` (port 443), `[v6]:port`, `[v6]`, a bare IPv6
/// address, and URLs `https://host[:port][/path]` and `tls://host[:port]` (port 443
/// unless given; the path and query are ignored): all [`Protocol::Tls`]. An
/// `ssh://host[:port]` URL (port 22 unless given; RFC 4253 §4.1) is [`Protocol::Ssh`];
/// a `quic://host[:port]` URL (UDP port 443 unless given) is [`Protocol::Quic`].
/// A link-local IPv6 address may carry its zone: `fe80::1%eth0`, `[fe80::1%eth0]:443`
/// or, in a URL, `[fe80::1%25eth0]` (RFC 6874).
///
/// User info in a URL (`https://user:password@host/`) is dropped: it is in neither
/// [`Target::input`] nor anything derived from it, so a password never reaches a
/// report. A host name longer than [`MAX_HOST_LEN`] bytes, or a line longer than
/// [`MAX_TARGET_LEN`], is refused.
///
/// ```
/// use pqhkex_inventory::Target;
///
/// use pqhkex_inventory::Protocol;
///
/// let t = Target::parse("example.com:8443")?;
/// assert_eq!((t.host.as_str(), t.port, t.protocol), ("example.com", 8443, Protocol::Tls));
/// let u = Target::parse("https://[::1]:4433/health")?;
/// assert_eq!((u.host.as_str(), u.port), ("::1", 4433));
/// assert_eq!(u.input, "https://[::1]:4433/health");
/// assert!(Target::parse("example.com:http").is_err());
/// let s = Target::parse("ssh://git.example.org")?;
/// assert_eq!((s.protocol, s.port), (Protocol::Ssh, 22));
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The text as given (trimmed, user info removed): what results and reports call
    /// the target.
    pub input: String,
    /// Host name or IP address (without IPv6 brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// What to speak to it.
    pub protocol: Protocol,
}

/// The protocol a [`Target`] is scanned with (JSON `protocol`).
///
/// ```
/// use pqhkex_inventory::Protocol;
///
/// assert_eq!(serde_json::to_string(&Protocol::Ssh)?, "\"ssh\"");
/// assert_eq!(Protocol::default(), Protocol::Tls);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Protocol {
    /// TLS: key-exchange groups, probed by handshakes.
    #[default]
    Tls,
    /// SSH: the server's KEXINIT, and `mlkem768x25519-sha256` run when offered.
    Ssh,
    /// QUIC (RFC 9000): the TLS 1.3 key-exchange groups, probed by QUIC handshakes over
    /// UDP (see [`crate::quic`]).
    Quic,
}

impl Target {
    /// Parses a target; see the forms above. Fails with [`Failure::Usage`].
    ///
    /// ```
    /// use pqhkex_inventory::Target;
    ///
    /// assert_eq!(Target::parse("tls://mail.example.net")?.port, 443);
    /// assert_eq!(Target::parse("[2001:db8::1]")?.host, "2001:db8::1");
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, Failure> {
        let trimmed = s.trim();
        if trimmed.len() > MAX_TARGET_LEN {
            return Err(Failure::Usage(format!(
                "invalid target: {} bytes long, more than {MAX_TARGET_LEN}",
                trimmed.len()
            )));
        }
        let bad = || {
            Failure::Usage(format!(
                "invalid target {trimmed:?}: expected HOST:PORT, HOST, https://HOST[:PORT], tls://HOST[:PORT], quic://HOST[:PORT] or ssh://HOST[:PORT]"
            ))
        };
        let mut protocol = Protocol::Tls;
        let mut input = trimmed.to_string();
        let authority = match trimmed.split_once("://") {
            Some((scheme, rest)) => {
                if scheme.eq_ignore_ascii_case("ssh") {
                    protocol = Protocol::Ssh;
                } else if scheme.eq_ignore_ascii_case("quic") {
                    protocol = Protocol::Quic;
                } else if !(scheme.eq_ignore_ascii_case("https")
                    || scheme.eq_ignore_ascii_case("tls"))
                {
                    return Err(Failure::Usage(format!(
                        "invalid target {trimmed:?}: unsupported scheme {scheme:?} (https://, tls://, quic:// or ssh://)"
                    )));
                }
                // RFC 3986 §3.2: the authority ends at the first '/', '?' or '#'; user
                // info ends at the last '@' inside it.
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                let authority = &rest[..end];
                match authority.rsplit_once('@') {
                    Some((_userinfo, host)) => {
                        input = format!("{scheme}://{host}{}", &rest[end..]);
                        host
                    }
                    None => authority,
                }
            }
            None => trimmed,
        };
        let default_port = match protocol {
            Protocol::Ssh => 22,
            _ => 443,
        };
        let (host, port) = split_host_port(authority, default_port).ok_or_else(bad)?;
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        // RFC 6874 §2: in a URI the zone's '%' is percent-encoded as "%25".
        let host = match host.split_once("%25") {
            Some((addr, zone)) if addr.parse::<Ipv6Addr>().is_ok() => format!("{addr}%{zone}"),
            _ => host,
        };
        if host.len() > MAX_HOST_LEN {
            return Err(Failure::Usage(format!(
                "invalid target {input:?}: the host is {} bytes long, more than {MAX_HOST_LEN} (RFC 1035 §2.3.4)",
                host.len()
            )));
        }
        let target = Target {
            input,
            host,
            port,
            protocol,
        };
        // Refuse now what could never be sent as a server name, rather than fail every
        // probe of the target later.
        target.server_name(None)?;
        Ok(target)
    }

    /// Resolves the target to its first socket address, with no time limit but the
    /// system resolver's; [`Failure::Unreachable`] if it does not resolve. Scans use
    /// [`Target::resolve_until`].
    ///
    /// ```
    /// use pqhkex_inventory::Target;
    ///
    /// let addr = Target::parse("127.0.0.1:4433")?.resolve()?;
    /// assert_eq!(addr.to_string(), "127.0.0.1:4433");
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn resolve(&self) -> Result<SocketAddr, Failure> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| Failure::Unreachable(format!("cannot resolve {}: {e}", self.host)))?
            .next()
            .ok_or_else(|| Failure::Unreachable(format!("{} has no address", self.host)))
    }

    /// Resolves the target to its first socket address, giving up at `deadline`
    /// ([`Failure::Timeout`]); see [`deadline::resolve`](crate::deadline::resolve).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pqhkex_inventory::Target;
    ///
    /// let t = Target::parse("[::1]:8443")?;
    /// let addr = t.resolve_until(Instant::now() + Duration::from_secs(1))?;
    /// assert_eq!(addr.to_string(), "[::1]:8443");
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn resolve_until(&self, deadline: Instant) -> Result<SocketAddr, Failure> {
        match crate::deadline::resolve(&self.host, self.port, deadline) {
            Ok(addrs) => Ok(addrs[0]),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Err(Failure::Timeout(format!(
                "resolving {} did not finish in time",
                self.host
            ))),
            Err(e) => Err(Failure::Unreachable(format!(
                "cannot resolve {}: {e}",
                self.host
            ))),
        }
    }

    /// The name to send as SNI and to verify the certificate against: `overridden`, or
    /// the target's host (an IP address, zone dropped, is never sent as SNI: RFC 6066
    /// §3).
    ///
    /// ```
    /// use pqhkex_inventory::Target;
    ///
    /// let t = Target::parse("10.0.0.7:443")?;
    /// let name = t.server_name(Some("internal.example"))?;
    /// assert_eq!(name.to_str(), "internal.example");
    /// let z = Target::parse("[fe80::1%eth0]:443")?;
    /// assert_eq!(z.server_name(None)?.to_str(), "fe80::1");
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn server_name(&self, overridden: Option<&str>) -> Result<ServerName<'static>, Failure> {
        let name = overridden.unwrap_or(&self.host);
        let unzoned = name.split_once('%').map_or(name, |(addr, _zone)| addr);
        if let Ok(ip) = unzoned.parse::<IpAddr>() {
            return Ok(ServerName::IpAddress(ip.into()));
        }
        ServerName::try_from(name.to_string())
            .map_err(|e| Failure::Usage(format!("invalid server name {name:?}: {e}")))
    }
}

/// The longest host name accepted (RFC 1035 §2.3.4: 255 octets on the wire, 253 as
/// text).
///
/// ```
/// assert_eq!(pqhkex_inventory::MAX_HOST_LEN, 253);
/// ```
pub const MAX_HOST_LEN: usize = 253;

/// The longest target text accepted (a URL with a path included).
///
/// ```
/// assert!(pqhkex_inventory::Target::parse(&"a".repeat(pqhkex_inventory::MAX_TARGET_LEN + 1)).is_err());
/// ```
pub const MAX_TARGET_LEN: usize = 2048;

/// `host:port`, `host`, `[v6]:port`, `[v6]` or a bare IPv6 address (`default` port when
/// none is given).
fn split_host_port(s: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        match after {
            "" => Some((h.to_string(), default)),
            p => Some((h.to_string(), p.strip_prefix(':')?.parse().ok()?)),
        }
    } else if s.matches(':').count() > 1 {
        // A bare IPv6 address.
        Some((s.to_string(), default))
    } else if let Some((h, p)) = s.rsplit_once(':') {
        Some((h.to_string(), p.parse().ok()?))
    } else {
        Some((s.to_string(), default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let t = Target::parse("example.com:8443").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.com", 8443));
        assert_eq!(Target::parse("example.com").unwrap().port, 443);
        let v6 = Target::parse("[::1]:4433").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 4433));
        assert_eq!(Target::parse("::1").unwrap().host, "::1");
        assert!(Target::parse("host:notaport").is_err());
        assert!(Target::parse(":443").is_err());
        assert!(Target::parse("h:0").is_err());
        let u = Target::parse("https://user@example.org:8443/a?b#c").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("example.org", 8443));
        assert_eq!(Target::parse("HTTPS://example.org").unwrap().port, 443);
        assert_eq!(Target::parse("tls://[::1]").unwrap().host, "::1");
        assert!(Target::parse("ftp://example.org").is_err());
        assert!(Target::parse("https://").is_err());
        assert!(Target::parse("https://:443/").is_err());
        let ssh = Target::parse("ssh://[::1]:2222").unwrap();
        assert_eq!(
            (ssh.host.as_str(), ssh.port, ssh.protocol),
            ("::1", 2222, Protocol::Ssh)
        );
        assert_eq!(Target::parse("SSH://h").unwrap().port, 22);
        assert_eq!(Target::parse("h").unwrap().protocol, Protocol::Tls);
        assert!(Target::parse("ssh://h:0").is_err());
        let q = Target::parse("QUIC://[::1]:8443/x").unwrap();
        assert_eq!(
            (q.host.as_str(), q.port, q.protocol),
            ("::1", 8443, Protocol::Quic)
        );
        assert_eq!(Target::parse("quic://h").unwrap().port, 443);
    }

    #[test]
    fn userinfo_is_dropped() {
        let t = Target::parse("https://admin:hunter2@example.org:8443/x?y").unwrap();
        assert_eq!(t.input, "https://example.org:8443/x?y");
        assert!(!format!("{t:?}").contains("hunter2"));
        let s = Target::parse("ssh://git:pw@[::1]:2222").unwrap();
        assert_eq!((s.input.as_str(), s.port), ("ssh://[::1]:2222", 2222));
    }

    #[test]
    fn zones_and_limits() {
        let z = Target::parse("fe80::1%eth0").unwrap();
        assert_eq!((z.host.as_str(), z.port), ("fe80::1%eth0", 443));
        let u = Target::parse("https://[fe80::1%25lo]:8443/").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("fe80::1%lo", 8443));
        assert!(Target::parse(&format!("{}.example", "a".repeat(250))).is_err());
        assert!(Target::parse("bad_name!:443").is_err());
        assert!(Target::parse(&"x".repeat(MAX_TARGET_LEN + 1)).is_err());
    }
}
