//! Fleet-sized inputs: CIDR ranges with a port list, nmap's XML (`-oX`) and grepable
//! (`-oG`) output, and shards (a stable 1/N of any target list).
//!
//! Everything here produces target *strings* in the forms [`Target::parse`](crate::Target::parse)
//! accepts (`10.0.0.1:443`, `[2001:db8::1]:443`, `ssh://192.0.2.7:22`), so a range,
//! an nmap file and a hand-written list all end up as the same kind of target.
//!
//! * [`Cidr`] expands `10.0.0.0/24` or `2001:db8::/120` lazily: a `/8` with
//!   [`Cidr::targets`] is an iterator, never a list in memory. Ranges of more than
//!   [`MAX_RANGE_ADDRESSES`] addresses (an IPv4 prefix shorter than /16, an IPv6 prefix
//!   shorter than /112) are refused unless the caller allows them explicitly
//!   ([`LARGE_RANGE_FLAG`]).
//! * [`parse_nmap`] reads nmap output (the format is detected) and returns its open TCP
//!   ports ([`NmapPort`]); [`read_nmap`] reads a file of at most [`MAX_NMAP_BYTES`].
//! * [`Shard`] (`I/N`, 0-based) keeps the targets whose hash falls in shard `I`, so
//!   that N separate processes given the same list scan every target exactly once.
//!
//! ```
//! use pqhkex_inventory::inputs::{parse_ports, Cidr, Shard};
//!
//! let range = Cidr::parse("192.0.2.0/30")?;
//! let targets: Vec<String> = range.targets(&parse_ports("443,8443")?, false)?.collect();
//! assert_eq!(targets, ["192.0.2.1:443", "192.0.2.1:8443", "192.0.2.2:443", "192.0.2.2:8443"]);
//!
//! let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3)).collect::<Result<_, _>>()?;
//! for t in &targets {
//!     assert_eq!(shards.iter().filter(|s| s.contains(t)).count(), 1);
//! }
//! # Ok::<(), pqhkex_inventory::inputs::InputError>(())
//! ```

use std::fmt;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::Failure;

/// The largest range expanded without an explicit permission: 65,536 addresses (an
/// IPv4 /16, an IPv6 /112).
///
/// ```
/// assert_eq!(pqhkex_inventory::inputs::MAX_RANGE_ADDRESSES, 1 << 16);
/// ```
pub const MAX_RANGE_ADDRESSES: u128 = 1 << 16;

/// The command-line flag that allows ranges larger than [`MAX_RANGE_ADDRESSES`]; the
/// error refusing one names it.
///
/// ```
/// assert_eq!(pqhkex_inventory::inputs::LARGE_RANGE_FLAG, "--allow-large-ranges");
/// ```
pub const LARGE_RANGE_FLAG: &str = "--allow-large-ranges";

/// The largest nmap output file [`read_nmap`] reads: 256 MiB (an XML report of a /16
/// with a dozen open ports per host is about 40 MiB).
///
/// ```
/// assert_eq!(pqhkex_inventory::inputs::MAX_NMAP_BYTES, 256 << 20);
/// ```
pub const MAX_NMAP_BYTES: u64 = 256 << 20;

/// Why an input could not be read; every message says where and what.
///
/// ```
/// use pqhkex_inventory::inputs::{Cidr, InputError};
///
/// let e = Cidr::parse("10.0.0.0/8")?.targets(&[443], false).err().unwrap();
/// assert!(matches!(e, InputError::RangeTooLarge { .. }));
/// assert!(e.to_string().contains("--allow-large-ranges"));
/// # Ok::<(), InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputError {
    /// Not a CIDR range (`ADDRESS/PREFIX`).
    BadRange {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A range larger than [`MAX_RANGE_ADDRESSES`], without the permission.
    RangeTooLarge {
        /// The range.
        input: String,
        /// How many addresses it holds.
        addresses: u128,
    },
    /// Not a port list (`443,8443,9000-9010`).
    BadPorts {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Not a shard (`I/N` with `I < N`).
    BadShard {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file larger than the limit.
    TooLarge {
        /// The file.
        what: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// nmap output that does not read as nmap output.
    Malformed {
        /// The file (or `"input"`).
        what: String,
        /// Line, from 1.
        line: usize,
        /// Column (in characters for XML, bytes for grepable output), from 1.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// The file could not be read.
    Io {
        /// The file.
        what: String,
        /// The system's message.
        message: String,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::BadRange { input, reason } => {
                write!(f, "invalid range {input:?}: {reason}")
            }
            InputError::RangeTooLarge { input, addresses } => write!(
                f,
                "range {input} holds {addresses} addresses, more than {MAX_RANGE_ADDRESSES} \
                 (an IPv4 /16 or an IPv6 /112): split it, or pass {LARGE_RANGE_FLAG} to scan it"
            ),
            InputError::BadPorts { input, reason } => {
                write!(f, "invalid port list {input:?}: {reason}")
            }
            InputError::BadShard { input, reason } => {
                write!(f, "invalid shard {input:?}: {reason}")
            }
            InputError::TooLarge { what, limit } => {
                write!(f, "{what} is larger than {limit} bytes: refused")
            }
            InputError::Malformed {
                what,
                line,
                column,
                message,
            } => write!(f, "{what}:{line}:{column}: {message}"),
            InputError::Io { what, message } => write!(f, "cannot read {what}: {message}"),
        }
    }
}

impl std::error::Error for InputError {}

impl From<InputError> for Failure {
    /// A file that cannot be read is [`Failure::Other`]; everything else is a usage
    /// error ([`Failure::Usage`]).
    fn from(e: InputError) -> Failure {
        match e {
            InputError::Io { .. } => Failure::Other(e.to_string()),
            _ => Failure::Usage(e.to_string()),
        }
    }
}

/// An IPv4 or IPv6 range, `ADDRESS/PREFIX`.
///
/// Which addresses are scanned ([`Cidr::hosts`]):
/// * IPv4 up to /30: every address but the first (the network address) and the last
///   (the broadcast address), which no host answers on; a /31 both its addresses (a
///   point-to-point link, RFC 3021 §2); a /32 its one address.
/// * IPv6 up to /126: every address but the first, the Subnet-Router anycast address
///   (RFC 4291 §2.6.1), which a router may answer but a server does not own; a /127 both
///   (RFC 6164 §5); a /128 its one address. IPv6 has no broadcast address.
///
/// An address with host bits set (`10.0.0.7/24`) stands for its whole range, as in nmap.
///
/// ```
/// use pqhkex_inventory::inputs::Cidr;
///
/// assert_eq!(Cidr::parse("10.0.0.0/24")?.hosts().count(), 254);
/// assert_eq!(Cidr::parse("10.0.0.0/31")?.hosts().count(), 2);
/// assert_eq!(Cidr::parse("2001:db8::/120")?.hosts().count(), 255);
/// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDRESS/PREFIX` (IPv4 prefix 0 to 32, IPv6 0 to 128).
    ///
    /// ```
    /// use pqhkex_inventory::inputs::Cidr;
    ///
    /// let c = Cidr::parse("10.1.2.3/16")?;
    /// assert_eq!(c.to_string(), "10.1.0.0/16");
    /// assert!(Cidr::parse("10.0.0.0/33").is_err());
    /// assert!(Cidr::parse("example.com/24").is_err());
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Cidr, InputError> {
        let s = s.trim();
        let bad = |reason: &str| InputError::BadRange {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let (addr, prefix) = s
            .split_once('/')
            .ok_or_else(|| bad("expected ADDRESS/PREFIX"))?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| bad("the address is not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| bad(&format!("the prefix must be a number from 0 to {max}")))?;
        let network = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `s` is written as a range (`ADDRESS/PREFIX`), rather than a target: an
    /// IP address, a slash, digits. (A URL with a path is not.)
    ///
    /// ```
    /// use pqhkex_inventory::inputs::Cidr;
    ///
    /// assert!(Cidr::looks_like("10.0.0.0/24"));
    /// assert!(Cidr::looks_like("2001:db8::/64"));
    /// assert!(!Cidr::looks_like("https://10.0.0.1/24"));
    /// assert!(!Cidr::looks_like("10.0.0.1:443"));
    /// ```
    pub fn looks_like(s: &str) -> bool {
        match s.trim().split_once('/') {
            Some((a, p)) => {
                a.parse::<IpAddr>().is_ok()
                    && !p.is_empty()
                    && p.bytes().all(|b| b.is_ascii_digit())
            }
            None => false,
        }
    }

    /// How many addresses [`Cidr::hosts`] yields.
    ///
    /// ```
    /// use pqhkex_inventory::inputs::Cidr;
    ///
    /// assert_eq!(Cidr::parse("10.0.0.0/16")?.len(), 65_534);
    /// assert_eq!(Cidr::parse("10.0.0.9/32")?.len(), 1);
    /// assert_eq!(Cidr::parse("::/0")?.len(), u128::MAX);
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn len(&self) -> u128 {
        let (first, last) = self.bounds();
        // `::/0` holds 2^128 addresses; 2^128 - 1 of them are scanned.
        last - first + 1
    }

    /// Always false: a range holds at least one address ([`Cidr::len`]).
    ///
    /// ```
    /// assert!(!pqhkex_inventory::inputs::Cidr::parse("192.0.2.1/32")?.is_empty());
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The first and last address scanned, as integers.
    fn bounds(&self) -> (u128, u128) {
        match self.network {
            IpAddr::V4(a) => {
                let first = u128::from(u32::from(a));
                let last = first + ((1u128 << (32 - self.prefix)) - 1);
                if self.prefix <= 30 {
                    (first + 1, last - 1)
                } else {
                    (first, last)
                }
            }
            IpAddr::V6(a) => {
                let first = u128::from(a);
                let last = first | !mask128(self.prefix);
                if self.prefix <= 126 {
                    (first + 1, last)
                } else {
                    (first, last)
                }
            }
        }
    }

    /// The addresses to scan, lazily (see [`Cidr`] for which).
    ///
    /// ```
    /// use pqhkex_inventory::inputs::Cidr;
    ///
    /// let first: Vec<String> = Cidr::parse("10.0.0.0/8")?.hosts().take(2).map(|a| a.to_string()).collect();
    /// assert_eq!(first, ["10.0.0.1", "10.0.0.2"]);
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn hosts(&self) -> impl Iterator<Item = IpAddr> + Send + 'static {
        let (first, last) = self.bounds();
        let v4 = self.network.is_ipv4();
        (first..=last).map(move |n| {
            if v4 {
                // `bounds` keeps IPv4 ranges within u32.
                IpAddr::V4(Ipv4Addr::from(n as u32))
            } else {
                IpAddr::V6(Ipv6Addr::from(n))
            }
        })
    }

    /// Every address of the range on every port of `ports`, as target strings
    /// (`10.0.0.1:443`, `[2001:db8::1]:443`), address by address, lazily. Refused
    /// ([`InputError::RangeTooLarge`]) for a range of more than [`MAX_RANGE_ADDRESSES`]
    /// addresses unless `allow_large`; an empty port list is refused too.
    ///
    /// ```
    /// use pqhkex_inventory::inputs::Cidr;
    ///
    /// let t: Vec<String> = Cidr::parse("2001:db8::4/127")?.targets(&[443], false)?.collect();
    /// assert_eq!(t, ["[2001:db8::4]:443", "[2001:db8::5]:443"]);
    /// assert!(Cidr::parse("10.0.0.0/15")?.targets(&[443], false).is_err());
    /// assert!(Cidr::parse("10.0.0.0/15")?.targets(&[443], true).is_ok());
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn targets(
        &self,
        ports: &[u16],
        allow_large: bool,
    ) -> Result<impl Iterator<Item = String> + Send + 'static, InputError> {
        if ports.is_empty() {
            return Err(InputError::BadPorts {
                input: String::new(),
                reason: "no port to scan the range on".into(),
            });
        }
        // The size of the block, network and broadcast addresses included.
        let block = match self.network {
            IpAddr::V4(_) => 1u128 << (32 - self.prefix),
            IpAddr::V6(_) => 1u128
                .checked_shl(128 - u32::from(self.prefix))
                .unwrap_or(u128::MAX),
        };
        if block > MAX_RANGE_ADDRESSES && !allow_large {
            return Err(InputError::RangeTooLarge {
                input: self.to_string(),
                addresses: block,
            });
        }
        let ports = ports.to_vec();
        Ok(self.hosts().flat_map(move |ip| {
            let host = match ip {
                IpAddr::V4(a) => a.to_string(),
                IpAddr::V6(a) => format!("[{a}]"),
            };
            ports
                .clone()
                .into_iter()
                .map(move |p| format!("{host}:{p}"))
        }))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// Parses a port list: ports and ranges separated by commas (`443,8443,9000-9010`),
/// in the given order, duplicates dropped. Port 0 is refused.
///
/// ```
/// use pqhkex_inventory::inputs::parse_ports;
///
/// assert_eq!(parse_ports("443, 8443,443,10-12")?, [443, 8443, 10, 11, 12]);
/// assert!(parse_ports("0").is_err());
/// assert!(parse_ports("443,https").is_err());
/// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
/// ```
pub fn parse_ports(s: &str) -> Result<Vec<u16>, InputError> {
    let bad = |reason: String| InputError::BadPorts {
        input: s.to_string(),
        reason,
    };
    let port = |p: &str| -> Result<u16, InputError> {
        p.trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad(format!("{:?} is not a port from 1 to 65535", p.trim())))
    };
    let mut seen = vec![false; 65_536];
    let mut out = Vec::new();
    for part in s.split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => {
                let p = port(part)?;
                (p, p)
            }
        };
        if lo > hi {
            return Err(bad(format!("the range {:?} runs backwards", part.trim())));
        }
        for p in lo..=hi {
            if !std::mem::replace(&mut seen[usize::from(p)], true) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// One open TCP port of an nmap report.
///
/// ```
/// use pqhkex_inventory::inputs::NmapPort;
///
/// let p = NmapPort { address: "2001:db8::7".parse().unwrap(), port: 2222, service: Some("ssh".into()) };
/// assert_eq!(p.target(), "ssh://[2001:db8::7]:2222");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NmapPort {
    /// The address nmap scanned (not a host name: the address is what answered).
    pub address: IpAddr,
    /// The port.
    pub port: u16,
    /// The service name nmap reported (`ssh`, `https`, ...), from its port table or,
    /// with `-sV`, from what the port answered.
    pub service: Option<String>,
}

impl NmapPort {
    /// The target to scan: `ssh://ADDRESS:PORT` when nmap named the service `ssh`
    /// (on any port; port 22 is named `ssh` by nmap's port table even without `-sV`),
    /// else `ADDRESS:PORT`, scanned as TLS. An IPv6 address is bracketed.
    ///
    /// ```
    /// use pqhkex_inventory::inputs::NmapPort;
    ///
    /// let p = NmapPort { address: "192.0.2.1".parse().unwrap(), port: 8443, service: Some("https-alt".into()) };
    /// assert_eq!(p.target(), "192.0.2.1:8443");
    /// ```
    pub fn target(&self) -> String {
        let host = match self.address {
            IpAddr::V4(a) => a.to_string(),
            IpAddr::V6(a) => format!("[{a}]"),
        };
        if self.service.as_deref() == Some("ssh") {
            format!("ssh://{host}:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// The two nmap output formats read here.
///
/// ```
/// use pqhkex_inventory::inputs::{detect_nmap, NmapFormat};
///
/// assert_eq!(detect_nmap("<?xml version=\"1.0\"?>\n<nmaprun>"), Some(NmapFormat::Xml));
/// assert_eq!(detect_nmap("# Nmap 7.93 scan initiated"), Some(NmapFormat::Grepable));
/// assert_eq!(detect_nmap("10.0.0.1:443"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NmapFormat {
    /// `-oX`.
    Xml,
    /// `-oG`.
    Grepable,
}

/// Which format `text` is in: XML if it starts with `<`, grepable if it starts with a
/// `# Nmap` comment or a `Host:` line; `None` otherwise.
///
/// ```
/// assert!(pqhkex_inventory::inputs::detect_nmap("Host: 10.0.0.1 ()\tStatus: Up").is_some());
/// ```
pub fn detect_nmap(text: &str) -> Option<NmapFormat> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') {
        Some(NmapFormat::Xml)
    } else if t.starts_with("# Nmap") || t.starts_with("Host:") {
        Some(NmapFormat::Grepable)
    } else {
        None
    }
}

/// The open TCP ports of nmap output in either format ([`detect_nmap`]), in the
/// report's order. Closed, filtered, `open|filtered` and non-TCP ports are skipped:
/// only a port that completed a connection is worth a handshake. `what` names the input
/// in errors.
///
/// ```
/// use pqhkex_inventory::inputs::parse_nmap;
///
/// let g = "Host: 192.0.2.9 (web)\tPorts: 22/open/tcp//ssh///, 443/open/tcp//https///, 80/closed/tcp//http///\n";
/// let targets: Vec<String> = parse_nmap(g, "scan.gnmap")?.iter().map(|p| p.target()).collect();
/// assert_eq!(targets, ["ssh://192.0.2.9:22", "192.0.2.9:443"]);
/// assert!(parse_nmap("hello", "x").is_err());
/// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
/// ```
pub fn parse_nmap(text: &str, what: &str) -> Result<Vec<NmapPort>, InputError> {
    match detect_nmap(text) {
        Some(NmapFormat::Xml) => parse_nmap_xml(text, what),
        Some(NmapFormat::Grepable) => parse_nmap_grepable(text, what),
        None => Err(InputError::Malformed {
            what: what.to_string(),
            line: 1,
            column: 1,
            message: "neither nmap XML (-oX) nor grepable (-oG) output".into(),
        }),
    }
}

/// Reads an nmap output file of at most [`MAX_NMAP_BYTES`] and returns its open TCP
/// ports ([`parse_nmap`]).
///
/// ```no_run
/// let ports = pqhkex_inventory::inputs::read_nmap("scan.xml".as_ref())?;
/// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
/// ```
pub fn read_nmap(path: &Path) -> Result<Vec<NmapPort>, InputError> {
    read_nmap_limited(path, MAX_NMAP_BYTES)
}

fn read_nmap_limited(path: &Path, limit: u64) -> Result<Vec<NmapPort>, InputError> {
    let what = path.display().to_string();
    let io = |e: std::io::Error| InputError::Io {
        what: what.clone(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to see whether there is more (also for a pipe,
    // whose size the metadata does not give).
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { what, limit });
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col_bytes(e.as_bytes(), e.utf8_error().valid_up_to());
        InputError::Malformed {
            what: what.clone(),
            line,
            column,
            message: "not UTF-8 text".into(),
        }
    })?;
    parse_nmap(&text, &what)
}

/// Line and byte column (from 1) of byte `at` of `text`.
fn line_col_bytes(text: &[u8], at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    (line, at - start + 1)
}

/// The open TCP ports of nmap XML output (`-oX`, nmap's `nmap.dtd`): each `host`'s
/// IPv4 or IPv6 `address`, and each of its `ports/port` with `protocol="tcp"` and
/// `state/@state="open"`, with `service/@name`. Entity declarations are refused (an
/// nmap report's `<!DOCTYPE nmaprun>` has none).
///
/// ```
/// let xml = r#"<?xml version="1.0"?><nmaprun><host><address addr="192.0.2.5" addrtype="ipv4"/>
///   <ports><port protocol="tcp" portid="443"><state state="open"/><service name="https"/></port></ports></host></nmaprun>"#;
/// let p = pqhkex_inventory::inputs::parse_nmap_xml(xml, "x.xml")?;
/// assert_eq!(p[0].target(), "192.0.2.5:443");
/// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
/// ```
pub fn parse_nmap_xml(text: &str, what: &str) -> Result<Vec<NmapPort>, InputError> {
    // nmap writes `<!DOCTYPE nmaprun>`, a DTD without declarations. Entity
    // declarations have no place in a report: refused before parsing, so that nothing
    // is ever expanded.
    if let Some(at) = text.find("<!ENTITY") {
        let (line, column) = line_col_bytes(text.as_bytes(), at);
        return Err(InputError::Malformed {
            what: what.to_string(),
            line,
            column,
            message: "an entity declaration: not nmap output, refused".into(),
        });
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        // Far more than a report of MAX_NMAP_BYTES holds; a bound on memory whatever
        // the input.
        nodes_limit: 50_000_000,
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        // The parser places a document that ends too soon at 1:1; it ends at the end.
        let (line, column) = match e {
            roxmltree::Error::UnclosedRootNode | roxmltree::Error::UnexpectedEndOfStream => {
                line_col_bytes(text.as_bytes(), text.len())
            }
            _ => (e.pos().row as usize, e.pos().col as usize),
        };
        InputError::Malformed {
            what: what.to_string(),
            line,
            column,
            message: format!("not well-formed XML: {e}"),
        }
    })?;
    let at = |node: roxmltree::Node<'_, '_>, message: String| {
        let pos = doc.text_pos_at(node.range().start);
        InputError::Malformed {
            what: what.to_string(),
            line: pos.row as usize,
            column: pos.col as usize,
            message,
        }
    };
    let root = doc.root_element();
    if !root.has_tag_name("nmaprun") {
        return Err(at(
            root,
            format!(
                "the root element is <{}>, not nmap's <nmaprun>",
                root.tag_name().name()
            ),
        ));
    }
    let mut out = Vec::new();
    for host in root.children().filter(|n| n.has_tag_name("host")) {
        let children = || host.children().filter(|n| n.is_element());
        let ports: Vec<_> = children()
            .filter(|n| n.has_tag_name("ports"))
            .flat_map(|p| p.children().filter(|n| n.has_tag_name("port")))
            .collect();
        if ports.is_empty() {
            continue;
        }
        let address = children()
            .filter(|n| n.has_tag_name("address"))
            .find(|n| matches!(n.attribute("addrtype"), Some("ipv4" | "ipv6") | None))
            .ok_or_else(|| {
                at(
                    host,
                    "a <host> with ports has no IPv4 or IPv6 <address>".into(),
                )
            })?;
        let addr_text = address
            .attribute("addr")
            .ok_or_else(|| at(address, "<address> has no addr attribute".into()))?;
        let ip: IpAddr = addr_text
            .parse()
            .map_err(|_| at(address, format!("{addr_text:?} is not an IP address")))?;
        for port in ports {
            if port.attribute("protocol") != Some("tcp") {
                continue;
            }
            let id = port
                .attribute("portid")
                .ok_or_else(|| at(port, "<port> has no portid attribute".into()))?;
            let number =
                id.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
                    at(port, format!("portid {id:?} is not a port from 1 to 65535"))
                })?;
            let state = port
                .children()
                .find(|n| n.has_tag_name("state"))
                .and_then(|s| s.attribute("state"))
                .ok_or_else(|| at(port, format!("port {number} has no <state state=...>")))?;
            if state != "open" {
                continue;
            }
            let service = port
                .children()
                .find(|n| n.has_tag_name("service"))
                .and_then(|s| s.attribute("name"))
                .map(str::to_string);
            out.push(NmapPort {
                address: ip,
                port: number,
                service,
            });
        }
    }
    Ok(out)
}

/// The open TCP ports of nmap's grepable output (`-oG`): `Host: ADDRESS (NAME)`
/// lines, tab-separated fields, a `Ports:` field of `PORT/STATE/PROTOCOL/OWNER/SERVICE/
/// RPC/VERSION/` entries separated by `, ` (nmap writes a `/` inside a field as `|`).
/// `#` lines are comments; a `Host:` line without `Ports:` (`Status: Up`) adds nothing.
///
/// ```
/// let g = "# Nmap 7.93\nHost: ::1 ()\tStatus: Up\nHost: ::1 ()\tPorts: 8443/open/tcp//https-alt///\n";
/// let p = pqhkex_inventory::inputs::parse_nmap_grepable(g, "x.gnmap")?;
/// assert_eq!(p[0].target(), "[::1]:8443");
/// assert!(pqhkex_inventory::inputs::parse_nmap_grepable("Host: ::1 ()\tPorts: 99999/open/tcp///", "x").is_err());
/// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
/// ```
pub fn parse_nmap_grepable(text: &str, what: &str) -> Result<Vec<NmapPort>, InputError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let err = |offset: usize, message: String| InputError::Malformed {
            what: what.to_string(),
            line: i + 1,
            column: offset + 1,
            message,
        };
        let offset_of = |part: &str| part.as_ptr() as usize - line.as_ptr() as usize;
        let line_text = line.trim_end_matches('\r');
        if line_text.trim().is_empty() || line_text.starts_with('#') {
            continue;
        }
        let Some(rest) = line_text.strip_prefix("Host: ") else {
            return Err(err(
                0,
                "expected a \"Host:\" line or a \"#\" comment".into(),
            ));
        };
        let mut fields = rest.split('\t');
        let host = fields.next().unwrap_or("");
        let addr_text = host.split(' ').next().unwrap_or("");
        let ip: IpAddr = addr_text.parse().map_err(|_| {
            err(
                offset_of(host),
                format!("{addr_text:?} is not an IP address"),
            )
        })?;
        for field in fields {
            let Some(list) = field.strip_prefix("Ports: ") else {
                continue;
            };
            for entry in list.split(", ") {
                let parts: Vec<&str> = entry.split('/').collect();
                if parts.len() < 7 {
                    return Err(err(
                        offset_of(entry),
                        format!("{entry:?} is not PORT/STATE/PROTOCOL/OWNER/SERVICE/RPC/VERSION/"),
                    ));
                }
                let number = parts[0]
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| {
                        err(
                            offset_of(entry),
                            format!("{:?} is not a port from 1 to 65535", parts[0]),
                        )
                    })?;
                if parts[1] != "open" || parts[2] != "tcp" {
                    continue;
                }
                out.push(NmapPort {
                    address: ip,
                    port: number,
                    service: Some(parts[4]).filter(|s| !s.is_empty()).map(str::to_string),
                });
            }
        }
    }
    Ok(out)
}

/// One of N shards of a target list, 0-based (`0/4` .. `3/4`), as Kubernetes Indexed
/// Jobs number their pods (`JOB_COMPLETION_INDEX` runs from 0 to completions - 1).
///
/// A target belongs to shard `hash(target) mod N`, where the hash is the first 8 bytes
/// (big-endian) of the SHA-256 of the target string as written (trimmed). So the shards
/// are about equal whatever the order of the list, each target is in exactly one
/// shard, and the assignment is the same on every machine and in every release that
/// keeps this rule. Give every shard the same list: the same endpoint written two ways
/// (`host` and `host:443`) counts as two targets.
///
/// ```
/// use pqhkex_inventory::inputs::Shard;
///
/// let s = Shard::parse("2/8")?;
/// assert_eq!((s.index(), s.count()), (2, 8));
/// assert!(Shard::parse("8/8").is_err());
/// assert!(Shard::parse("1/0").is_err());
/// assert!(Shard::parse("0/1")?.contains("anything:443"));
/// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` of `count` (`index < count`).
    ///
    /// ```
    /// assert!(pqhkex_inventory::inputs::Shard::new(3, 3).is_err());
    /// ```
    pub fn new(index: u64, count: u64) -> Result<Shard, InputError> {
        let bad = |reason: &str| InputError::BadShard {
            input: format!("{index}/{count}"),
            reason: reason.into(),
        };
        if count == 0 {
            return Err(bad("N must be at least 1"));
        }
        if index >= count {
            return Err(bad(
                "I must be less than N (shards are numbered from 0, like JOB_COMPLETION_INDEX)",
            ));
        }
        Ok(Shard { index, count })
    }

    /// Parses `I/N`.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::inputs::Shard::parse("0/3")?.count(), 3);
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Shard, InputError> {
        let bad = |reason: &str| InputError::BadShard {
            input: s.to_string(),
            reason: reason.into(),
        };
        let (i, n) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| bad("expected I/N"))?;
        let i = i.trim().parse().map_err(|_| bad("I is not a number"))?;
        let n = n.trim().parse().map_err(|_| bad("N is not a number"))?;
        Shard::new(i, n).map_err(|e| match e {
            InputError::BadShard { reason, .. } => bad(&reason),
            other => other,
        })
    }

    /// This shard's number, from 0.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::inputs::Shard::parse("1/2")?.index(), 1);
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn index(&self) -> u64 {
        self.index
    }

    /// How many shards there are.
    ///
    /// ```
    /// assert_eq!(pqhkex_inventory::inputs::Shard::parse("1/2")?.count(), 2);
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether `target` (as written) belongs to this shard.
    ///
    /// ```
    /// use pqhkex_inventory::inputs::Shard;
    ///
    /// let (a, b) = (Shard::parse("0/2")?, Shard::parse("1/2")?);
    /// assert_ne!(a.contains("10.0.0.1:443"), b.contains("10.0.0.1:443"));
    /// # Ok::<(), pqhkex_inventory::inputs::InputError>(())
    /// ```
    pub fn contains(&self, target: &str) -> bool {
        shard(target, self.index, self.count)
    }
}

/// Whether `target` falls in shard `i` of `n` (see [`Shard`] for the rule); false when
/// `n` is 0.
///
/// ```
/// let n = 4;
/// let hits = (0..n).filter(|i| pqhkex_inventory::inputs::shard("example.com:443", *i, n)).count();
/// assert_eq!(hits, 1);
/// ```
pub fn shard(target: &str, i: u64, n: u64) -> bool {
    if n == 0 {
        return false;
    }
    let digest = Sha256::digest(target.trim().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % n == i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../test-vectors/nmap")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn targets(ports: &[NmapPort]) -> Vec<String> {
        ports.iter().map(NmapPort::target).collect()
    }

    #[test]
    fn ipv4_edges() {
        let all = |s: &str| -> Vec<String> {
            Cidr::parse(s)
                .unwrap()
                .targets(&[443], false)
                .unwrap()
                .collect()
        };
        assert_eq!(all("10.0.0.8/30"), ["10.0.0.9:443", "10.0.0.10:443"]);
        assert_eq!(all("10.0.0.8/31"), ["10.0.0.8:443", "10.0.0.9:443"]);
        assert_eq!(all("10.0.0.9/32"), ["10.0.0.9:443"]);
        let c24: Vec<String> = all("10.0.0.77/24");
        assert_eq!(c24.len(), 254);
        assert_eq!(c24.first().unwrap(), "10.0.0.1:443");
        assert_eq!(c24.last().unwrap(), "10.0.0.254:443");
        // The top of the address space does not overflow.
        assert_eq!(
            all("255.255.255.252/30"),
            ["255.255.255.253:443", "255.255.255.254:443"]
        );
        assert_eq!(all("255.255.255.255/32"), ["255.255.255.255:443"]);
    }

    #[test]
    fn ports_multiply_address_by_address() {
        let t: Vec<String> = Cidr::parse("10.0.0.0/24")
            .unwrap()
            .targets(&[443, 8443], false)
            .unwrap()
            .collect();
        assert_eq!(t.len(), 508);
        assert_eq!(&t[..3], ["10.0.0.1:443", "10.0.0.1:8443", "10.0.0.2:443"]);
        for s in &t {
            crate::Target::parse(s).unwrap();
        }
    }

    #[test]
    fn ipv6_edges() {
        let all = |s: &str| -> Vec<String> {
            Cidr::parse(s)
                .unwrap()
                .targets(&[443], false)
                .unwrap()
                .collect()
        };
        assert_eq!(
            all("2001:db8::/126"),
            [
                "[2001:db8::1]:443",
                "[2001:db8::2]:443",
                "[2001:db8::3]:443"
            ]
        );
        assert_eq!(all("2001:db8::1/128"), ["[2001:db8::1]:443"]);
        let t = all("2001:db8::/112");
        assert_eq!(t.len(), 65_535);
        let last = crate::Target::parse(t.last().unwrap()).unwrap();
        assert_eq!((last.host.as_str(), last.port), ("2001:db8::ffff", 443));
        let top: Vec<String> = all("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
        assert_eq!(top.len(), 2);
    }

    #[test]
    fn large_ranges_need_the_flag_and_stay_lazy() {
        for (s, n) in [
            ("10.0.0.0/15", 1u128 << 17),
            ("0.0.0.0/0", 1 << 32),
            ("2001:db8::/111", 1 << 17),
            ("::/0", u128::MAX),
        ] {
            let e = Cidr::parse(s)
                .unwrap()
                .targets(&[443], false)
                .err()
                .unwrap();
            assert_eq!(
                e,
                InputError::RangeTooLarge {
                    input: s.to_string(),
                    addresses: n
                }
            );
            assert!(e.to_string().contains(LARGE_RANGE_FLAG), "{e}");
            assert_eq!(Failure::from(e).exit_code(), 2);
        }
        assert!(Cidr::parse("10.0.0.0/16")
            .unwrap()
            .targets(&[443], false)
            .is_ok());
        // A /8 and a /32 of IPv6 are iterated, never collected: the 1000th target
        // comes at once.
        let mut it = Cidr::parse("10.0.0.0/8")
            .unwrap()
            .targets(&[443], true)
            .unwrap();
        assert_eq!(it.nth(999).unwrap(), "10.0.3.232:443");
        let mut v6 = Cidr::parse("2001:db8::/32")
            .unwrap()
            .targets(&[22, 443], true)
            .unwrap();
        assert_eq!(v6.nth(3).unwrap(), "[2001:db8::2]:443");
    }

    #[test]
    fn bad_ranges() {
        for s in [
            "10.0.0.0",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "host/24",
            "10.0.0.0/-1",
            "10.0.0.0/8x",
        ] {
            assert!(
                matches!(Cidr::parse(s), Err(InputError::BadRange { .. })),
                "{s}"
            );
        }
        assert!(Cidr::parse("10.0.0.0/24")
            .unwrap()
            .targets(&[], false)
            .is_err());
        assert!(parse_ports("").is_err());
        assert!(parse_ports("9-3").is_err());
        assert!(parse_ports("65536").is_err());
        assert_eq!(parse_ports("1-65535").unwrap().len(), 65_535);
    }

    #[test]
    fn real_nmap_xml() {
        let p = parse_nmap(&vector("loopback.xml"), "loopback.xml").unwrap();
        assert_eq!(
            targets(&p),
            [
                "ssh://127.0.0.1:18022",
                "127.0.0.1:18443",
                "127.0.0.1:18444"
            ]
        );
        assert_eq!(p[1].service.as_deref(), Some("http"));
        let p6 = parse_nmap(&vector("loopback6.xml"), "loopback6.xml").unwrap();
        assert_eq!(targets(&p6), ["ssh://[::1]:18022", "[::1]:18446"]);
        for t in targets(&p).iter().chain(&targets(&p6)) {
            crate::Target::parse(t).unwrap();
        }
        // Without -sV nmap names neither port (its port table knows neither); three
        // hosts, two with every port closed.
        let r = parse_nmap(&vector("range.xml"), "range.xml").unwrap();
        assert_eq!(targets(&r), ["127.0.0.1:18022", "127.0.0.1:18443"]);
    }

    #[test]
    fn real_nmap_grepable_agrees_with_xml() {
        for (g, x) in [
            ("loopback.gnmap", "loopback.xml"),
            ("loopback6.gnmap", "loopback6.xml"),
            ("range.gnmap", "range.xml"),
        ] {
            let from_g = parse_nmap(&vector(g), g).unwrap();
            let from_x = parse_nmap(&vector(x), x).unwrap();
            assert_eq!(from_g, from_x, "{g} vs {x}");
            assert!(!from_g.is_empty());
        }
    }

    #[test]
    fn malformed_nmap_is_a_typed_error_with_a_position() {
        let xml = vector("loopback.xml");
        // Cut in the middle of an element: not well-formed.
        let cut = &xml[..xml.find("<ports>").unwrap() + 12];
        match parse_nmap(cut, "cut.xml").unwrap_err() {
            InputError::Malformed {
                what,
                line,
                message,
                ..
            } => {
                assert_eq!(what, "cut.xml");
                assert!(line >= 10, "{line}: {message}");
            }
            e => panic!("{e:?}"),
        }
        // A bad port number, reported on its line.
        let bad = xml.replacen("portid=\"18443\"", "portid=\"70000\"", 1);
        let e = parse_nmap(&bad, "bad.xml").unwrap_err();
        let line = bad.lines().position(|l| l.contains("70000")).unwrap() + 1;
        assert!(
            matches!(e, InputError::Malformed { line: l, .. } if l == line),
            "{e}"
        );
        assert!(e.to_string().contains("70000"), "{e}");
        // An address that is not one.
        let bad = xml.replacen("addr=\"127.0.0.1\"", "addr=\"localhost\"", 1);
        assert!(parse_nmap(&bad, "x")
            .unwrap_err()
            .to_string()
            .contains("localhost"));
        // Not nmap's root element.
        let e = parse_nmap("<?xml version=\"1.0\"?><html/>", "x").unwrap_err();
        assert!(e.to_string().contains("<html>"), "{e}");
        // Entities declared in a DTD are refused (no expansion bombs).
        let bomb =
            "<?xml version=\"1.0\"?><!DOCTYPE n [<!ENTITY a \"aaaa\">]><nmaprun>&a;</nmaprun>";
        let e = parse_nmap(bomb, "x").unwrap_err();
        assert!(
            matches!(
                e,
                InputError::Malformed {
                    line: 1,
                    column: 35,
                    ..
                }
            ),
            "{e}"
        );

        let g = vector("loopback.gnmap");
        let bad = g.replacen("18444/open", "18444x/open", 1);
        let e = parse_nmap(&bad, "bad.gnmap").unwrap_err();
        let line = bad.lines().position(|l| l.contains("18444x")).unwrap() + 1;
        let col = bad.lines().nth(line - 1).unwrap().find("18444x").unwrap() + 1;
        assert_eq!(
            e,
            InputError::Malformed {
                what: "bad.gnmap".into(),
                line,
                column: col,
                message: "\"18444x\" is not a port from 1 to 65535".into()
            }
        );
        let e = parse_nmap("# Nmap\nHost: 10.0.0.1 ()\tPorts: 443/open", "t").unwrap_err();
        assert!(matches!(e, InputError::Malformed { line: 2, .. }), "{e}");
        let e = parse_nmap("# Nmap\nnonsense\n", "t").unwrap_err();
        assert!(
            matches!(
                e,
                InputError::Malformed {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{e}"
        );
        // Arbitrary bytes never panic.
        for cut in 0..g.len() {
            if g.is_char_boundary(cut) {
                let _ = parse_nmap(&g[..cut], "t");
            }
        }
        for cut in (0..xml.len()).step_by(7) {
            if xml.is_char_boundary(cut) {
                let _ = parse_nmap(&xml[..cut], "t");
            }
        }
    }

    #[test]
    fn file_size_is_bounded() {
        let dir = std::env::temp_dir().join(format!("pqhkex-inputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("loopback.gnmap");
        let text = vector("loopback.gnmap");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read_nmap(&path).unwrap().len(), 3);
        let e = read_nmap_limited(&path, text.len() as u64 - 1).unwrap_err();
        assert!(matches!(e, InputError::TooLarge { .. }), "{e}");
        assert!(read_nmap_limited(&path, text.len() as u64).is_ok());
        std::fs::write(&path, b"Host: \xff\xfe").unwrap();
        assert!(matches!(
            read_nmap(&path),
            Err(InputError::Malformed {
                line: 1,
                column: 7,
                ..
            })
        ));
        let e = read_nmap(&dir.join("absent")).unwrap_err();
        assert!(matches!(e, InputError::Io { .. }));
        assert_eq!(Failure::from(e).exit_code(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_target_in_exactly_one_shard_and_balanced() {
        let targets: Vec<String> = Cidr::parse("10.20.0.0/18")
            .unwrap()
            .targets(&[443], false)
            .unwrap()
            .take(10_000)
            .collect();
        for n in [1u64, 2, 3, 7, 16] {
            let shards: Vec<Shard> = (0..n).map(|i| Shard::new(i, n).unwrap()).collect();
            let mut sizes = vec![0usize; n as usize];
            for t in &targets {
                let mine: Vec<usize> = (0..n as usize).filter(|i| shards[*i].contains(t)).collect();
                assert_eq!(mine.len(), 1, "{t} in {mine:?} of {n}");
                sizes[mine[0]] += 1;
            }
            let expected = 10_000.0 / n as f64;
            for s in &sizes {
                // Binomial: sd = sqrt(10000 p (1-p)) <= 50; 5 sd is far off any hash.
                assert!(
                    (*s as f64 - expected).abs() < 250.0,
                    "{n} shards: {sizes:?}"
                );
            }
        }
        // The same assignment whatever the order of the list.
        let s = Shard::new(1, 3).unwrap();
        let forward: Vec<&String> = targets.iter().filter(|t| s.contains(t)).collect();
        let mut backward: Vec<&String> = targets.iter().rev().filter(|t| s.contains(t)).collect();
        backward.reverse();
        assert_eq!(forward, backward);
        // Stable across releases: `printf 10.0.0.1:443 | sha256sum` starts
        // ae64d5ddc2a1ca99, which is 3 mod 5.
        assert_eq!(u64::from_str_radix("ae64d5ddc2a1ca99", 16).unwrap() % 5, 3);
        assert!(shard(" 10.0.0.1:443 ", 3, 5));
        assert!((0..5).filter(|i| shard("10.0.0.1:443", *i, 5)).eq([3]));
        assert!(!shard("10.0.0.1:443", 0, 0));
    }

    #[test]
    fn shard_parsing() {
        assert_eq!(Shard::parse(" 0/1 ").unwrap(), Shard::new(0, 1).unwrap());
        for s in ["1", "1/", "/2", "a/2", "2/b", "2/2", "3/2", "0/0", "-1/2"] {
            let e = Shard::parse(s).unwrap_err();
            assert!(matches!(e, InputError::BadShard { .. }), "{s}");
            assert!(e.to_string().contains(s), "{e}");
        }
    }
}
