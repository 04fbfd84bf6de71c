//! How hard a scan may press on the network: a global rate of new connections, retries
//! of connections that failed to open, and how many targets of one host run at once.
//!
//! * The rate ([`Pacer`]) applies to every TCP connection a probe opens: every probe
//!   connects through [`DeadlineStream::connect`](crate::deadline::DeadlineStream::connect),
//!   which asks [`connect`] here. The [`Scanner`](crate::Scanner) installs its
//!   [`ConnectPolicy`] on the worker thread for the time of one target
//!   ([`with_policy`]): a target's probes run one after another on that thread, so
//!   every connection of the scan is paced, and nothing else is (a
//!   `DeadlineStream::connect` of your own, outside a scan, connects at once).
//! * Retries ([`ConnectPolicy::retries`]) repeat a connection attempt that failed to
//!   open (refused, reset, unreachable, timed out while connecting), after a backoff,
//!   within the probe's deadline. Nothing after the TCP handshake is retried: an alert,
//!   a closed connection or a malformed answer is evidence about the server, not a
//!   failure to reach it.
//! * The per-host limit ([`Feed`]) bounds how many targets with the same host run at
//!   once. A target's probes open one connection at a time, so it bounds the
//!   connections this scan has open to one host as well.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::deadline::remaining;
use crate::Target;

/// The first backoff before a retry; each further retry waits twice as long, up to
/// [`MAX_BACKOFF`].
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest backoff between two attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A token bucket of capacity one shared by every worker: connection `k` may open no
/// sooner than `k / rate` seconds after the first. Each connection reserves the next
/// free slot under a lock and sleeps until it (so waiting connections are served in
/// the order they asked).
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// The longest interval a pacer keeps between connections: a slower rate (even
    /// 1e-30 a second, whose `1 / rate` is too long for a `Duration`, or for an
    /// `Instant` to add) waits one day between connections.
    const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

    /// A pacer for `per_second` new connections a second (> 0).
    pub(crate) fn new(per_second: f64) -> Pacer {
        Pacer {
            interval: Duration::try_from_secs_f64(1.0 / per_second)
                .map_or(Self::MAX_INTERVAL, |d| d.min(Self::MAX_INTERVAL)),
            next: Mutex::new(None),
        }
    }

    /// How many connections a second.
    pub(crate) fn rate(&self) -> f64 {
        1.0 / self.interval.as_secs_f64()
    }

    /// Waits for this connection's slot. When the next free slot is at or past
    /// `deadline`, fails at once with [`io::ErrorKind::TimedOut`] without taking it.
    pub(crate) fn wait(&self, deadline: Instant) -> io::Result<()> {
        let now = Instant::now();
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = next.map_or(now, |n| n.max(now));
            if slot >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the connection rate limit ({:.3}/s) left no time to connect before the deadline",
                        self.rate()
                    ),
                ));
            }
            *next = Some(slot + self.interval);
            slot
        };
        std::thread::sleep(slot.saturating_duration_since(now));
        Ok(())
    }
}

/// What [`connect`] does on this thread: pacing and retries.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectPolicy {
    /// The shared rate of new connections, if any.
    pub(crate) pacer: Option<Arc<Pacer>>,
    /// How many times a connection that failed to open is tried again.
    pub(crate) retries: u32,
}

thread_local! {
    static POLICY: RefCell<Option<ConnectPolicy>> = const { RefCell::new(None) };
}

/// While alive, the policy [`with_policy`] installed governs this thread's
/// connections; dropped (also on unwinding), the thread's previous policy is back.
#[must_use = "the policy is removed when the guard is dropped"]
pub(crate) struct PolicyGuard(Option<ConnectPolicy>);

impl Drop for PolicyGuard {
    fn drop(&mut self) {
        let previous = self.0.take();
        POLICY.with(|p| *p.borrow_mut() = previous);
    }
}

/// Installs `policy` for every [`connect`] this thread makes until the guard is
/// dropped.
pub(crate) fn with_policy(policy: ConnectPolicy) -> PolicyGuard {
    PolicyGuard(POLICY.with(|p| p.borrow_mut().replace(policy)))
}

/// Whether a failed connection attempt is worth another: the connection did not open.
fn retryable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::TimedOut
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::AddrNotAvailable
    )
}

/// Opens a TCP connection to `addr` by `deadline`, under this thread's
/// [`ConnectPolicy`]: each attempt waits for the pacer's slot; with retries, the time
/// left is shared among the attempts still allowed (so a silent host that times out
/// leaves time for the next try), and a failed attempt is followed by a backoff of
/// [`FIRST_BACKOFF`], doubling up to [`MAX_BACKOFF`], when the deadline leaves room.
pub(crate) fn connect(addr: SocketAddr, deadline: Instant) -> io::Result<TcpStream> {
    let policy = POLICY.with(|p| p.borrow().clone()).unwrap_or_default();
    let attempts = policy.retries.saturating_add(1);
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 0;
    loop {
        if let Some(pacer) = &policy.pacer {
            pacer.wait(deadline)?;
        }
        let left = remaining(deadline)?;
        let share = left / (attempts - attempt);
        match TcpStream::connect_timeout(&addr, share.max(Duration::from_millis(1))) {
            Ok(s) => return Ok(s),
            Err(e) if retryable(&e) && attempt + 1 < attempts => {
                if Instant::now() + backoff >= deadline {
                    return Err(e);
                }
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// How targets of one host are counted: an IP address in its canonical form, a name
/// lower-cased (two names of one address count apart; the targets of CIDR ranges and
/// nmap reports are all addresses).
fn host_key(t: &Target) -> String {
    match t.host.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => t.host.to_ascii_lowercase(),
    }
}

/// The most targets held back because their host was busy; past it, a worker waits
/// for a host to free up instead of reading further ahead.
const MAX_HELD: usize = 1024;

/// Hands targets to the workers of a scan, at most `per_host` of one host at a time
/// (0: no limit). A target whose host is busy is held back (at most [`MAX_HELD`] of
/// them) and handed out as soon as its host frees up, while targets of other hosts go
/// ahead.
pub(crate) struct Feed<I> {
    state: Mutex<FeedState<I>>,
    freed: Condvar,
    per_host: usize,
}

struct FeedState<I> {
    source: std::iter::Enumerate<I>,
    exhausted: bool,
    /// Targets whose host was busy, with their index and host key (computed once, when
    /// held, rather than on every look at the queue).
    held: VecDeque<(usize, Target, String)>,
    active: HashMap<String, usize>,
}

impl<I: Iterator<Item = Target>> Feed<I> {
    /// A feed over `targets`.
    pub(crate) fn new(targets: I, per_host: usize) -> Feed<I> {
        Feed {
            state: Mutex::new(FeedState {
                source: targets.enumerate(),
                exhausted: false,
                held: VecDeque::new(),
                active: HashMap::new(),
            }),
            freed: Condvar::new(),
            per_host,
        }
    }

    /// The next target and its index, waiting while every target available is of a
    /// busy host; `None` when there are no more or `stop` is set.
    pub(crate) fn take(&self, stop: &AtomicBool) -> Option<(usize, Target)> {
        let mut st = self.state.lock().ok()?;
        loop {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            if self.per_host == 0 {
                return st.source.next();
            }
            let limit = self.per_host;
            let free = |active: &HashMap<String, usize>, key: &str| {
                active.get(key).copied().unwrap_or(0) < limit
            };
            if let Some(pos) = st.held.iter().position(|(_, _, key)| free(&st.active, key)) {
                let (i, t, key) = st.held.remove(pos)?;
                *st.active.entry(key).or_default() += 1;
                return Some((i, t));
            }
            if !st.exhausted && st.held.len() < MAX_HELD {
                match st.source.next() {
                    None => st.exhausted = true,
                    Some((i, t)) => {
                        let key = host_key(&t);
                        if free(&st.active, &key) {
                            *st.active.entry(key).or_default() += 1;
                            return Some((i, t));
                        }
                        st.held.push_back((i, t, key));
                    }
                }
                continue;
            }
            if st.exhausted && st.held.is_empty() {
                return None;
            }
            // Every held target's host is busy: a running target will finish and
            // notify. The timeout only re-checks `stop`.
            st = self
                .freed
                .wait_timeout(st, Duration::from_millis(200))
                .ok()?
                .0;
        }
    }

    /// `t`, handed out by [`Feed::take`], is done: its host has a free slot again.
    pub(crate) fn done(&self, t: &Target) {
        if self.per_host == 0 {
            return;
        }
        let key = host_key(t);
        if let Ok(mut st) = self.state.lock() {
            if let Some(n) = st.active.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    st.active.remove(&key);
                }
            }
        }
        self.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_tiny_rate_waits_a_day_and_never_panics() {
        for rate in [1e-30, 1e-300, f64::MIN_POSITIVE, 1.0 / 86400.0 / 2.0] {
            let p = Pacer::new(rate);
            assert_eq!(p.interval, Pacer::MAX_INTERVAL, "{rate}");
            let soon = Instant::now() + Duration::from_millis(50);
            p.wait(soon).unwrap();
            assert!(p.wait(soon).is_err(), "{rate}: a second slot a day later");
        }
    }

    #[test]
    fn pacer_spaces_slots_and_refuses_past_the_deadline() {
        let p = Pacer::new(20.0);
        let start = Instant::now();
        for _ in 0..5 {
            p.wait(start + Duration::from_secs(10)).unwrap();
        }
        // Slots at 0, 50, 100, 150, 200 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(195),
            "{:?}",
            start.elapsed()
        );
        let e = p.wait(Instant::now()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(e.to_string().contains("rate limit"), "{e}");
    }

    #[test]
    fn without_retries_a_refused_connection_fails_once() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let start = Instant::now();
        let e = connect(port, start + Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        assert!(start.elapsed() < FIRST_BACKOFF, "{:?}", start.elapsed());
        // With retries, the backoffs are spent (100 + 200 ms) before giving up.
        let policy = ConnectPolicy {
            pacer: None,
            retries: 2,
        };
        let start = Instant::now();
        let guard = with_policy(policy);
        let e = connect(port, start + Duration::from_secs(5)).unwrap_err();
        drop(guard);
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        assert!(
            start.elapsed() >= Duration::from_millis(300),
            "{:?}",
            start.elapsed()
        );
        // The policy is gone after `with_policy`.
        let start = Instant::now();
        assert!(connect(port, start + Duration::from_secs(5)).is_err());
        assert!(start.elapsed() < FIRST_BACKOFF);
    }

    #[test]
    fn feed_holds_back_busy_hosts() {
        let t = |s: &str| Target::parse(s).unwrap();
        let targets = vec![
            t("127.0.0.1:1"),
            t("127.0.0.1:2"),
            t("127.0.0.2:1"),
            t("[::1]:1"),
            t("[0:0::1]:2"),
        ];
        let feed = Feed::new(targets.into_iter(), 1);
        let stop = AtomicBool::new(false);
        let a = feed.take(&stop).unwrap();
        assert_eq!(a.0, 0);
        // 127.0.0.1 is busy: the next hosts go ahead.
        assert_eq!(feed.take(&stop).unwrap().0, 2);
        let v6 = feed.take(&stop).unwrap();
        assert_eq!(v6.0, 3);
        // [0:0::1] is ::1, busy; once 127.0.0.1 frees up its held target comes first.
        feed.done(&a.1);
        assert_eq!(feed.take(&stop).unwrap().0, 1);
        feed.done(&v6.1);
        assert_eq!(feed.take(&stop).unwrap().0, 4);
        assert!(feed.take(&stop).is_none());
    }
}
