//! Scheduling: the [`Scanner`] (its settings), the deadline of each target and probe,
//! and how many targets run at once. Probing a target is [`crate::tls`]'s and
//! [`crate::ssh`]'s; the verdict [`crate::verdict`]'s.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use pqhkex::Group;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::RootCertStore;

use crate::limits;
use crate::probe;
use crate::report::{Accepted, TargetResult};
use crate::ssh::{self, SshError};
use crate::{verdict, Failure, Protocol, Target};

/// The default [`Scanner::target_timeout`]: enough for every probe of a target with
/// the HelloRetryRequest probes over a slow link, and a bound on a hostile one.
///
/// ```
/// assert_eq!(pqhkex_inventory::DEFAULT_TARGET_TIMEOUT.as_secs(), 60);
/// ```
pub const DEFAULT_TARGET_TIMEOUT: Duration = Duration::from_secs(60);

/// Scans endpoints: settings, then [`Scanner::scan_target`], [`Scanner::scan`] or the
/// streaming [`Scanner::scan_each`].
///
/// The probes run on `provider`'s cipher suites, signature checks and RNG, with
/// pqhkex's key-exchange groups; no rustls provider feature is switched on here.
/// Defaults: every group of pqhkex's table, no HelloRetryRequest probes, the split
/// ClientHello checks on, the endpoint-surface probes on ([`Scanner::surface_probes`]),
/// the web PKI roots, 5 s per probe, 60 s per target, 8 targets at once; no limit per
/// host ([`Scanner::per_host_limit`]), no rate ([`Scanner::rate`]), no connection
/// retries ([`Scanner::retries`]).
///
/// **What is bounded by what.** Each probe (one handshake: connecting, every read and
/// write, the close) runs under one deadline, [`Scanner::timeout`] from its start, and
/// never past the target's deadline. Each target (resolving its name, then all its
/// probes, TLS or SSH) runs under one deadline, [`Scanner::target_timeout`] from its
/// start: a probe running when it passes is cut short, the probes after it are not run
/// ([`ProbeResult::NotTested`](crate::ProbeResult::NotTested)). So a target can hold a
/// worker for at most about its target timeout, however slowly the peer answers, and a
/// scan of N targets takes at most about N / concurrency target timeouts.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use pqhkex_inventory::{Scanner, Target};
///
/// let scanner = Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))?
///     .timeout(Duration::from_secs(3))
///     .concurrency(32);
/// let targets = vec![Target::parse("example.com")?, Target::parse("example.net:8443")?];
/// for r in scanner.scan(&targets) {
///     println!("{}: {}", r.target, r.classification);
/// }
/// # Ok::<(), pqhkex_inventory::Failure>(())
/// ```
#[derive(Clone, Debug)]
pub struct Scanner {
    pub(crate) provider: Arc<CryptoProvider>,
    pub(crate) verifier: Arc<WebPkiServerVerifier>,
    pub(crate) groups: Vec<&'static Group>,
    pub(crate) hrr: bool,
    pub(crate) timeout: Duration,
    pub(crate) budget: Option<Duration>,
    pub(crate) concurrency: usize,
    pub(crate) split_checks: bool,
    pub(crate) surface: bool,
    /// Scan TLS targets over QUIC ([`Scanner::tls_over_quic`]).
    pub(crate) tls_over_quic: bool,
    /// At most this many targets of one host at once (0: no limit).
    pub(crate) per_host: usize,
    /// Connection pacing and retries ([`crate::limits`]).
    pub(crate) connect_policy: limits::ConnectPolicy,
}

/// What the target's deadline leaves for the next probe.
pub(crate) struct Budget {
    /// The target's deadline (`None`: no per-target budget).
    pub(crate) deadline: Option<Instant>,
    /// The longest a probe may take.
    pub(crate) probe_timeout: Duration,
}

impl Budget {
    /// The time the next probe may take, or `None` once the target's deadline passed.
    pub(crate) fn next(&self) -> Option<Duration> {
        match self.deadline {
            None => Some(self.probe_timeout),
            Some(d) => {
                let left = d.checked_duration_since(Instant::now())?;
                (!left.is_zero()).then(|| left.min(self.probe_timeout))
            }
        }
    }

    /// Resolves `target` within the first probe's time: its first address, or a
    /// timeout once the target's deadline has passed, or why it did not resolve.
    pub(crate) fn resolve(&self, target: &Target) -> Result<SocketAddr, Failure> {
        let Some(first) = self.next() else {
            return Err(Failure::Timeout(format!(
                "{}: the per-target time budget was spent",
                target.input
            )));
        };
        target.resolve_until(Instant::now() + first)
    }
}

impl Scanner {
    /// A scanner with the defaults, on `provider`. Fails only if the provider cannot
    /// verify web PKI signatures.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let scanner = pqhkex_inventory::Scanner::new(Arc::new(rustls::crypto::ring::default_provider()))?;
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn new(provider: Arc<CryptoProvider>) -> Result<Scanner, Failure> {
        let verifier = probe::webpki_verifier(probe::root_store(None)?, &provider)?;
        Ok(Scanner {
            provider,
            verifier,
            groups: pqhkex::groups::ALL.to_vec(),
            hrr: false,
            timeout: Duration::from_secs(5),
            budget: Some(DEFAULT_TARGET_TIMEOUT),
            concurrency: 8,
            split_checks: true,
            surface: true,
            tls_over_quic: false,
            per_host: 0,
            connect_policy: limits::ConnectPolicy::default(),
        })
    }

    /// Judge certificates by these roots instead of the web PKI (the verdict is only
    /// reported, never enforced).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{probe, Scanner};
    ///
    /// let roots = probe::root_store(None)?; // or probe::root_store(Some(path))
    /// let scanner = Scanner::new(provider)?.roots(roots)?;
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn roots(mut self, roots: RootCertStore) -> Result<Scanner, Failure> {
        self.verifier = probe::webpki_verifier(roots, &self.provider)?;
        Ok(self)
    }

    /// Probe only these groups, one by one (an empty list restores every group).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex::groups::{X25519, X25519MLKEM768};
    ///
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.groups(&[&X25519MLKEM768, &X25519]);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn groups(mut self, groups: &[&'static Group]) -> Scanner {
        self.groups = if groups.is_empty() {
            pqhkex::groups::ALL.to_vec()
        } else {
            groups.to_vec()
        };
        self
    }

    /// Also offer each group without a key share (only a GREASE one, RFC 8701), to see
    /// whether the server asks for it by HelloRetryRequest. Doubles the probes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.hello_retry_probes(true);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn hello_retry_probes(mut self, on: bool) -> Scanner {
        self.hrr = on;
        self
    }

    /// Whether to inventory the rest of each TLS endpoint's quantum-vulnerable surface
    /// (default on): TLS 1.2, 1.1 and 1.0 and the key exchanges a TLS 1.2 client gets
    /// ([`crate::legacy`], up to about ten raw ClientHellos), the server's group
    /// preference ([`crate::preference`], two), and whether it authenticates with
    /// ML-DSA when asked (one handshake). The certificate chain and the authentication
    /// summary come from the probes that run anyway. Off, a scan runs the key-exchange
    /// probes only (for very large inventories).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let key_exchange_only = pqhkex_inventory::Scanner::new(provider)?.surface_probes(false);
    /// # let _ = key_exchange_only;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn surface_probes(mut self, on: bool) -> Scanner {
        self.surface = on;
        self
    }

    /// Whether to run the [`SplitCheck`](crate::SplitCheck) (two more handshakes per target; default on).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.client_hello_split_checks(false);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn client_hello_split_checks(mut self, on: bool) -> Scanner {
        self.split_checks = on;
        self
    }

    /// How long one probe may take in all (default 5 s): connecting, every read and
    /// write of its handshake, and its close. For an SSH target, the whole SSH probe.
    /// A zero timeout is raised to 1 ms.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.timeout(std::time::Duration::from_millis(1500));
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Scanner {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long one target may take in all (default [`DEFAULT_TARGET_TIMEOUT`];
    /// `None`: no limit but the probes' own): resolving its name and all its probes. The
    /// probe running when it passes is cut short; the rest are not run and say so
    /// ([`ProbeResult::NotTested`](crate::ProbeResult::NotTested)), and the verdict is
    /// then undetermined where it depended on them.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.target_timeout(Some(std::time::Duration::from_secs(30)));
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn target_timeout(mut self, budget: Option<Duration>) -> Scanner {
        self.budget = budget.map(|b| b.max(Duration::from_millis(1)));
        self
    }

    /// How many targets to scan at once (default 8; at least 1). Each runs its probes
    /// one after another, so at most this many sockets are open.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let scanner = pqhkex_inventory::Scanner::new(provider)?.concurrency(64);
    /// # let _ = scanner;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn concurrency(mut self, n: usize) -> Scanner {
        self.concurrency = n.max(1);
        self
    }

    /// At most `n` targets with the same host at once (default 0: no limit). A
    /// target's probes open one connection at a time, so this also bounds the
    /// connections the scan has open to one host. The host is the target's as written:
    /// an IP address (canonical form: `[0:0::1]` is `::1`) or a name, lower-cased; two
    /// names of one address count apart. A target whose host is busy is held back while
    /// targets of other hosts go ahead (at most 1,024 held back, then the workers wait).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let gentle = pqhkex_inventory::Scanner::new(provider)?.concurrency(64).per_host_limit(2);
    /// # let _ = gentle;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn per_host_limit(mut self, n: usize) -> Scanner {
        self.per_host = n;
        self
    }

    /// At most `per_second` new TCP connections a second, over the whole scan (default
    /// `None`: no limit; a value that is not positive and finite also means none). It
    /// paces every connection every probe opens, shared by all workers and by the
    /// clones of this scanner (a token bucket of capacity one: connections are spaced
    /// `1 / per_second` apart). A connection waits for its slot within its probe's
    /// deadline; so that the wait never takes more than half a probe's
    /// [`Scanner::timeout`], at most `per_second × timeout / 2` targets run at once
    /// (at least one), whatever [`Scanner::concurrency`] says. Not paced: name
    /// resolution, and QUIC datagrams.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let polite = pqhkex_inventory::Scanner::new(provider)?.rate(Some(50.0));
    /// # let _ = polite;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn rate(mut self, per_second: Option<f64>) -> Scanner {
        self.connect_policy.pacer = per_second
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Arc::new(limits::Pacer::new(r)));
        self
    }

    /// How many times a connection that failed to open (refused, reset, unreachable,
    /// or no answer while connecting) is tried again (default 0), after a backoff of
    /// 100 ms that doubles up to 2 s, within the probe's deadline; the time left is
    /// shared among the attempts, so a connection that hangs leaves time for the next
    /// one. Only the TCP connection is retried: an alert, a closed or a malformed
    /// answer is the server's answer and stays the probe's result. Each attempt is a
    /// new connection for [`Scanner::rate`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let patient = pqhkex_inventory::Scanner::new(provider)?.retries(2);
    /// # let _ = patient;
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn retries(mut self, n: u32) -> Scanner {
        self.connect_policy.retries = n;
        self
    }

    /// How many workers [`Scanner::scan_each`] runs: the concurrency, lowered under a
    /// rate so that waiting for a connection slot takes at most half a probe's time.
    fn workers(&self) -> usize {
        match &self.connect_policy.pacer {
            Some(p) => {
                let fit = (p.rate() * self.timeout.as_secs_f64() / 2.0).floor();
                self.concurrency.min(fit.max(1.0) as usize)
            }
            None => self.concurrency,
        }
    }

    /// Scans one target: for TLS, resolve, the browser-like offer, then each group alone
    /// (and without a key share, with [`Scanner::hello_retry_probes`]), then the split
    /// ClientHello checks; for an `ssh://` target, its key-exchange offer and the hybrid
    /// run (see [`crate::ssh`]). All within the target's deadline
    /// ([`Scanner::target_timeout`]). Never fails: an unreachable target is a result
    /// too, and the classification is [`crate::verdict`]'s, drawn from the evidence.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{Scanner, Target};
    ///
    /// let r = Scanner::new(provider)?.scan_target(&Target::parse("example.com")?);
    /// println!("{}", serde_json::to_string_pretty(&r).unwrap());
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn scan_target(&self, target: &Target) -> TargetResult {
        let deadline = self.budget.map(|b| Instant::now() + b);
        let _policy = limits::with_policy(self.connect_policy.clone());
        match target.protocol {
            Protocol::Ssh => self.scan_ssh(target, deadline),
            Protocol::Quic => crate::quic::scan(self, target, deadline),
            _ if self.tls_over_quic => crate::quic::scan(self, target, deadline),
            _ => self.scan_tls(target, deadline),
        }
    }

    /// Scans an `ssh://` target: its identification line and KEXINIT, and
    /// `mlkem768x25519-sha256` run up to the host key's signature when offered (see
    /// [`ssh::probe`]), within one probe timeout and the target's deadline.
    fn scan_ssh(&self, target: &Target, deadline: Option<Instant>) -> TargetResult {
        let started = Instant::now();
        let budget = Budget {
            deadline,
            probe_timeout: self.timeout,
        };
        let finish = |r: TargetResult| TargetResult {
            protocol: Protocol::Ssh,
            elapsed_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            ..r
        };
        let ssh_unreachable = |address: Option<String>, f: &Failure| {
            finish(TargetResult::unreachable(&target.input, address, f))
        };
        let spent = || {
            Failure::Timeout(format!(
                "{}: the per-target time budget was spent",
                target.input
            ))
        };
        let Some(left) = budget.next() else {
            return ssh_unreachable(None, &spent());
        };
        let probe_deadline = Instant::now() + left;
        let addr = match target.resolve_until(probe_deadline) {
            Ok(a) => a,
            Err(f) => return ssh_unreachable(None, &f),
        };
        let left = probe_deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return ssh_unreachable(Some(addr.to_string()), &spent());
        }
        let report = match ssh::probe(addr, &target.input, left) {
            Ok(r) => r,
            Err(e) => return ssh_unreachable(Some(addr.to_string()), &ssh_failure(target, e)),
        };
        let mut accepted = Accepted::default();
        for m in &report.kex_algorithms {
            match m.kind {
                ssh::KexKind::MlkemHybrid | ssh::KexKind::PqHybrid => {
                    accepted.hybrid.push(m.name.clone())
                }
                ssh::KexKind::Classical => accepted.classical.push(m.name.clone()),
                _ => {}
            }
        }
        let c = verdict::ssh(&target.input, &report);
        let pq_posture = Some(verdict::ssh_posture(c.classification));
        let mut r = TargetResult {
            ssh: Some(report),
            pq_posture,
            ..TargetResult::reached(&target.input, addr, Protocol::Ssh, c, accepted)
        };
        r.migration = crate::migration::plan(&r);
        finish(r)
    }

    /// Scans every target, at most [`Scanner::concurrency`] at once, and returns the
    /// results in the targets' order. Holds every result until the end; for very long
    /// lists use [`Scanner::scan_each`].
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{Scanner, ScanReport, Target};
    ///
    /// let targets = vec![Target::parse("example.com")?];
    /// let report = ScanReport::new(Scanner::new(provider)?.scan(&targets));
    /// println!("{}", serde_json::to_string_pretty(&report).unwrap());
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn scan(&self, targets: &[Target]) -> Vec<TargetResult> {
        self.scan_with_progress(targets, |_| {})
    }

    /// [`Scanner::scan`], calling `progress` on the calling thread with each result as
    /// it arrives (for a progress bar; the order is that of completion).
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{Scanner, Target};
    ///
    /// let targets = vec![Target::parse("example.com")?, Target::parse("example.net")?];
    /// let mut done = 0;
    /// let results = Scanner::new(provider)?.scan_with_progress(&targets, |r| {
    ///     done += 1;
    ///     eprintln!("{done}/2: {}", r.target);
    /// });
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn scan_with_progress(
        &self,
        targets: &[Target],
        mut progress: impl FnMut(&TargetResult),
    ) -> Vec<TargetResult> {
        let mut results: Vec<Option<TargetResult>> = vec![None; targets.len()];
        self.scan_each(targets.iter().cloned(), |i, r| {
            progress(&r);
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
            Flow::Continue
        });
        results
            .into_iter()
            .zip(targets)
            .map(|(r, t)| {
                r.unwrap_or_else(|| {
                    let f = Failure::Other("the scan thread failed".into());
                    TargetResult::unreachable(&t.input, None, &f)
                })
            })
            .collect()
    }

    /// The streaming scan: takes targets from `targets` as workers free up and hands
    /// each result, with the target's index, to `on_result` on the calling thread as
    /// soon as it is ready (not in input order). Memory and open sockets stay bounded
    /// by [`Scanner::concurrency`], whatever the number of targets: targets are read
    /// lazily and results are not kept. `on_result` returns [`Flow::Stop`] to end the
    /// scan early (no new target starts; those in progress finish and are still
    /// delivered). Returns how many results were delivered.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// use std::io::{BufRead, Write};
    /// use pqhkex_inventory::{Flow, Scanner, Target};
    ///
    /// // One target per line in, one JSON line per result out, as they finish.
    /// let lines = std::io::stdin().lock().lines().map_while(Result::ok).collect::<Vec<_>>();
    /// let targets = lines.iter().filter_map(|l| Target::parse(l).ok());
    /// let mut out = std::io::stdout().lock();
    /// let done = Scanner::new(provider)?.concurrency(64).scan_each(targets, |_, r| {
    ///     let _ = writeln!(out, "{}", serde_json::to_string(&r).unwrap());
    ///     Flow::Continue
    /// });
    /// eprintln!("{done} targets");
    /// # Ok::<(), pqhkex_inventory::Failure>(())
    /// ```
    pub fn scan_each<I, F>(&self, targets: I, mut on_result: F) -> usize
    where
        I: IntoIterator<Item = Target>,
        I::IntoIter: Send,
        F: FnMut(usize, TargetResult) -> Flow,
    {
        let source = limits::Feed::new(targets.into_iter(), self.per_host);
        let stop = AtomicBool::new(false);
        // A bounded queue: a worker whose result the caller has not taken yet waits,
        // so at most `concurrency` results (plus those in the queue) exist at once.
        let (tx, rx) = mpsc::sync_channel::<(usize, TargetResult)>(self.concurrency);
        let mut delivered = 0;
        std::thread::scope(|s| {
            for _ in 0..self.workers() {
                let tx = tx.clone();
                let (source, stop) = (&source, &stop);
                s.spawn(move || loop {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Some((i, t)) = source.take(stop) else {
                        break;
                    };
                    let r = self.scan_target(&t);
                    source.done(&t);
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            for (i, r) in rx.iter() {
                delivered += 1;
                if on_result(i, r) == Flow::Stop {
                    stop.store(true, Ordering::SeqCst);
                }
            }
        });
        delivered
    }
}

/// An SSH probe's error as a [`Failure`] (a protocol error is a failed handshake).
fn ssh_failure(target: &Target, e: SshError) -> Failure {
    match e {
        SshError::Unreachable(m) => Failure::Unreachable(format!("{}: {m}", target.input)),
        SshError::Timeout(m) => Failure::Timeout(format!("{}: {m}", target.input)),
        SshError::NotSsh(m) => Failure::NotSsh(format!("{}: {m}", target.input)),
        SshError::Protocol(m) | SshError::Closed(m) => Failure::Handshake(format!(
            "SSH key exchange with {} failed: {m}",
            target.input
        )),
        #[allow(unreachable_patterns)]
        other => Failure::Other(format!("{}: {other}", target.input)),
    }
}

/// Whether [`Scanner::scan_each`] goes on after a result.
///
/// ```
/// assert_ne!(pqhkex_inventory::Flow::Continue, pqhkex_inventory::Flow::Stop);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Scan the next target.
    Continue,
    /// Start no new target.
    Stop,
}
