//! What to scan: [`Target`], parsed from `HOST:PORT`, a bare host or a URL, TLS unless
//! it is an `ssh://` URL.

use std::net::{SocketAddr, ToSocketAddrs};

use rustls::pki_types::ServerName;

use crate::Failure;

/// One endpoint to probe, as a user wrote it.
///
/// Accepted forms: `host:port`, `host` (port 443), `[v6]:port`, `[v6]`, a bare IPv6
/// address, and URLs `https://host[:port][/path]` and `tls://host[:port]` (port 443
/// unless given; the path, query and user info are ignored): all [`Protocol::Tls`]. An
/// `ssh://host[:port]` URL (port 22 unless given; RFC 4253 §4.1) is [`Protocol::Ssh`].
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
    /// The text as given (trimmed): what results and reports call the target.
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
        let input = s.trim().to_string();
        let bad = || {
            Failure::Usage(format!(
                "invalid target {s:?}: expected HOST:PORT, HOST, https://HOST[:PORT], tls://HOST[:PORT] or ssh://HOST[:PORT]"
            ))
        };
        let mut protocol = Protocol::Tls;
        let authority = match input.split_once("://") {
            Some((scheme, rest)) => {
                if scheme.eq_ignore_ascii_case("ssh") {
                    protocol = Protocol::Ssh;
                } else if !(scheme.eq_ignore_ascii_case("https")
                    || scheme.eq_ignore_ascii_case("tls"))
                {
                    return Err(Failure::Usage(format!(
                        "invalid target {s:?}: unsupported scheme {scheme:?} (https://, tls:// or ssh://)"
                    )));
                }
                // RFC 3986 §3.2: the authority ends at the first '/', '?' or '#'; user
                // info ends at the last '@'.
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                let authority = &rest[..end];
                authority.rsplit_once('@').map_or(authority, |(_, h)| h)
            }
            None => input.as_str(),
        };
        let default_port = match protocol {
            Protocol::Ssh => 22,
            _ => 443,
        };
        let (host, port) = split_host_port(authority, default_port).ok_or_else(bad)?;
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(Target {
            input,
            host,
            port,
            protocol,
        })
    }

    /// Resolves the target to its first socket address; [`Failure::Unreachable`] if it
    /// does not resolve.
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

    /// The name to send as SNI and to verify the certificate against: `overridden`, or
    /// the target's host.
    ///
    /// ```
    /// use pqhkex_inventory::Target;
    ///
    /// let t = Target::parse("10.0.0.7:443")?;
    /// let name = t.server_name(Some("internal.example"))?;
    /// assert_eq!(name.to_str(), "internal.example");
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn server_name(&self, overridden: Option<&str>) -> Result<ServerName<'static>, Failure> {
        let name = overridden.unwrap_or(&self.host);
        ServerName::try_from(name.to_string())
            .map_err(|e| Failure::Usage(format!("invalid server name {name:?}: {e}")))
    }
}

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
    }
}
