//! One deadline for a whole exchange with a peer, whatever the peer does.
//!
//! A timeout per read bounds nothing against a peer that trickles one byte per read
//! (a "slowloris"): a ServerHello sent one byte a second takes hours. Every probe of
//! this crate therefore runs against a single [`Instant`]: name resolution
//! ([`resolve`]), connecting ([`DeadlineStream::connect`]) and every read and write
//! ([`DeadlineStream`]) use what is left of it, and fail with
//! [`io::ErrorKind::TimedOut`] once it has passed.
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::time::{Duration, Instant};
//! use pqhkex_inventory::deadline::{resolve, DeadlineStream};
//!
//! let deadline = Instant::now() + Duration::from_secs(5);
//! let addr = resolve("example.com", 443, deadline)?[0];
//! let mut s = DeadlineStream::connect(addr, deadline)?;
//! s.write_all(b"\x16\x03\x01")?;
//! let mut buf = [0u8; 5];
//! s.read_exact(&mut buf)?; // fails with TimedOut once the 5 s are spent, however the peer trickles
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What is left until `deadline`, or a [`io::ErrorKind::TimedOut`] error once it has
/// passed.
///
/// ```
/// use std::time::{Duration, Instant};
/// let left = pqhkex_inventory::deadline::remaining(Instant::now() + Duration::from_secs(9)).unwrap();
/// assert!(left <= Duration::from_secs(9));
/// assert!(pqhkex_inventory::deadline::remaining(Instant::now()).is_err());
/// ```
pub fn remaining(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the deadline passed",
        ))
    } else {
        Ok(left)
    }
}

/// A TCP stream whose reads and writes all share one deadline: each call waits at most
/// for what is left of it, and fails with [`io::ErrorKind::TimedOut`] once it has
/// passed (also when the socket reports `WouldBlock` for an expired timeout).
///
/// ```no_run
/// use std::io::Read;
/// use std::time::{Duration, Instant};
/// use pqhkex_inventory::deadline::DeadlineStream;
///
/// let mut s = DeadlineStream::connect("127.0.0.1:4433".parse().unwrap(), Instant::now() + Duration::from_secs(2))?;
/// let mut first = [0u8; 1];
/// s.read_exact(&mut first)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct DeadlineStream {
    sock: TcpStream,
    deadline: Instant,
}

impl DeadlineStream {
    /// Connects to `addr`, waiting at most until `deadline`; the stream keeps that
    /// deadline. Sets `TCP_NODELAY` (a handshake is a few small flights).
    ///
    /// ```no_run
    /// use std::time::{Duration, Instant};
    /// let s = pqhkex_inventory::deadline::DeadlineStream::connect(
    ///     "127.0.0.1:443".parse().unwrap(),
    ///     Instant::now() + Duration::from_secs(3),
    /// );
    /// ```
    pub fn connect(addr: SocketAddr, deadline: Instant) -> io::Result<Self> {
        // Paced and retried as the scan running on this thread says (crate::limits).
        let sock = crate::limits::connect(addr, deadline).map_err(|e| {
            if e.kind() == io::ErrorKind::WouldBlock {
                io::Error::new(io::ErrorKind::TimedOut, e)
            } else {
                e
            }
        })?;
        let _ = sock.set_nodelay(true);
        Ok(DeadlineStream::new(sock, deadline))
    }

    /// Wraps a connected socket.
    ///
    /// ```no_run
    /// use std::time::{Duration, Instant};
    /// let sock = std::net::TcpStream::connect("127.0.0.1:22")?;
    /// let s = pqhkex_inventory::deadline::DeadlineStream::new(sock, Instant::now() + Duration::from_secs(5));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(sock: TcpStream, deadline: Instant) -> Self {
        DeadlineStream { sock, deadline }
    }

    /// The deadline.
    ///
    /// ```no_run
    /// # fn f(s: &pqhkex_inventory::deadline::DeadlineStream) {
    /// let left = s.deadline().saturating_duration_since(std::time::Instant::now());
    /// # }
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline (e.g. a shorter one for closing).
    ///
    /// ```no_run
    /// # fn f(s: &mut pqhkex_inventory::deadline::DeadlineStream) {
    /// let sooner = s.deadline().min(std::time::Instant::now() + std::time::Duration::from_secs(1));
    /// s.set_deadline(sooner);
    /// # }
    /// ```
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = deadline;
    }

    /// The socket.
    ///
    /// ```no_run
    /// # fn f(s: &pqhkex_inventory::deadline::DeadlineStream) {
    /// let peer = s.get_ref().peer_addr();
    /// # }
    /// ```
    pub fn get_ref(&self) -> &TcpStream {
        &self.sock
    }
}

/// A timeout error reported by the socket: `WouldBlock` on Unix, `TimedOut` elsewhere.
fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(io::ErrorKind::TimedOut, "the deadline passed")
    } else {
        e
    }
}

impl Read for DeadlineStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock
            .set_read_timeout(Some(remaining(self.deadline)?))?;
        self.sock.read(buf).map_err(timed_out)
    }
}

impl Write for DeadlineStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock
            .set_write_timeout(Some(remaining(self.deadline)?))?;
        self.sock.write(buf).map_err(timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// Resolves `host` (a name, an IP address, or an IPv6 address with a `%zone`) to its
/// socket addresses, giving up at `deadline`.
///
/// The system resolver (`getaddrinfo`) has no timeout of its own, so a name is
/// resolved on a helper thread and the caller stops waiting at the deadline (the
/// thread then finishes on its own when the resolver returns, and its answer is
/// dropped). An IP address needs no thread. Fails with [`io::ErrorKind::TimedOut`] at
/// the deadline and [`io::ErrorKind::NotFound`] when the name has no address.
///
/// ```
/// use std::time::{Duration, Instant};
/// let addrs = pqhkex_inventory::deadline::resolve("127.0.0.1", 4433, Instant::now() + Duration::from_secs(1))?;
/// assert_eq!(addrs[0].to_string(), "127.0.0.1:4433");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn resolve(host: &str, port: u16, deadline: Instant) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let left = remaining(deadline)?;
    let (tx, rx) = mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            let answer = (name.as_str(), port)
                .to_socket_addrs()
                .map(|it| it.collect::<Vec<_>>());
            let _ = tx.send(answer);
        })?;
    match rx.recv_timeout(left) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host} has no address"),
        )),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("resolving {host} did not finish within {left:?}"),
        )),
    }
}

/// A peer's recorded bytes, read from memory (then end of stream), with what the client
/// writes dropped: the transport of the fuzzing entry points
/// ([`crate::ssh::probe_transcript`], [`crate::Scanner::classify_first_flight`]).
pub(crate) struct Replay<'a> {
    /// What the peer sends, not yet read.
    pub(crate) peer: &'a [u8],
}

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.peer.read(buf)
    }
}

impl Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A peer that sends one byte every 50 ms forever cannot hold a reader past the
    /// deadline, although no single read waits long.
    #[test]
    fn trickle_ends_at_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                while s.write_all(b"x").is_ok() {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        });
        let start = Instant::now();
        let mut s = DeadlineStream::connect(addr, start + Duration::from_millis(400)).unwrap();
        let mut sink = Vec::new();
        let e = s.read_to_end(&mut sink).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "{:?}",
            start.elapsed()
        );
        assert!(!sink.is_empty());
    }

    #[test]
    fn expired_deadline_fails_at_once() {
        assert_eq!(
            resolve("localhost", 1, Instant::now()).unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
        let ip = resolve("::1", 7, Instant::now()).unwrap();
        assert_eq!(ip[0].to_string(), "[::1]:7");
    }
}
