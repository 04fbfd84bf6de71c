//! Scanning from async code (feature `tokio`): [`Scanner::scan_async`] and
//! [`Scanner::scan_stream`].
//!
//! **Design.** A scan is blocking work: each target's probes are blocking socket
//! handshakes under deadlines, on threads of the [`Scanner`]'s own (see
//! [`Scanner::scan_each`]). Rather than a second, async implementation of every probe,
//! the async API runs that same scan on tokio's blocking thread pool
//! ([`tokio::task::spawn_blocking`]) and hands the results to the async side over a
//! bounded channel. So no runtime worker thread ever blocks (a `current_thread` runtime
//! keeps running its other tasks during a scan), the results are exactly those of the
//! blocking API, and memory stays bounded by the concurrency as with
//! [`Scanner::scan_each`].
//!
//! **Cancellation.** Dropping the [`ScanStream`] (or the [`Scanner::scan_async`]
//! future), or calling [`ScanStream::cancel`], stops the scan from *starting* targets:
//! each worker checks before it takes the next target, so no target starts once the
//! cancellation happened. Targets already started are not interrupted: each runs to
//! its end, which its deadlines bound ([`Scanner::timeout`] per probe,
//! [`Scanner::target_timeout`] per target), on the blocking pool; after
//! [`ScanStream::cancel`] their results are still delivered by [`ScanStream::next`],
//! after a drop they are discarded. A runtime shutting down waits for that blocking
//! work as for any `spawn_blocking` task (at most about one target timeout), unless it
//! is shut down with `Runtime::shutdown_timeout`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::{Flow, Scanner, Target, TargetResult};

/// A scan running on tokio's blocking pool, yielding each target's result as it
/// finishes (see [`Scanner::scan_stream`]). Dropping it cancels the scan.
///
/// ```no_run
/// # async fn run() -> Result<(), pqhkex_inventory::Failure> {
/// # let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
/// use pqhkex_inventory::{Class, Scanner, Target};
///
/// let targets = vec![Target::parse("example.com")?, Target::parse("example.net")?];
/// let mut stream = Scanner::new(provider)?.scan_stream(targets);
/// while let Some((i, r)) = stream.next().await {
///     println!("#{i} {}: {}", r.target, r.classification);
///     if r.classification == Class::ClassicalOnly {
///         stream.cancel(); // start no further target; those started still report
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ScanStream {
    results: mpsc::Receiver<(usize, TargetResult)>,
    cancelled: Arc<AtomicBool>,
}

impl ScanStream {
    /// The next result, with the target's index in the input, in order of completion;
    /// `None` once every target started has been delivered.
    pub async fn next(&mut self) -> Option<(usize, TargetResult)> {
        self.results.recv().await
    }

    /// Starts no further target. Targets already started run to their end (bounded by
    /// their deadlines) and [`ScanStream::next`] still delivers their results.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    /// Whether [`ScanStream::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

impl Drop for ScanStream {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl Scanner {
    /// Scans `targets` on tokio's blocking pool (see the module documentation of
    /// [`crate::ScanStream`] for the design and what cancellation means), yielding
    /// results as they finish. Call it inside a tokio runtime; outside one, the scan
    /// runs on a thread of its own.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pqhkex_inventory::Failure> {
    /// # let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    /// use std::time::Duration;
    /// use pqhkex_inventory::{Class, Scanner, Target};
    ///
    /// // A TCP port nothing listens on any more: refused at once.
    /// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// let scanner = Scanner::new(provider)?.timeout(Duration::from_secs(1));
    /// let mut stream = scanner.scan_stream(vec![Target::parse(&format!("127.0.0.1:{port}"))?]);
    /// let (i, r) = stream.next().await.unwrap();
    /// assert_eq!((i, r.classification), (0, Class::Unreachable));
    /// assert!(stream.next().await.is_none());
    /// # Ok(()) }
    /// ```
    pub fn scan_stream<I>(&self, targets: I) -> ScanStream
    where
        I: IntoIterator<Item = Target>,
        I::IntoIter: Send + 'static,
    {
        let (tx, rx) = mpsc::channel(self.concurrency);
        let cancelled = Arc::new(AtomicBool::new(false));
        let scanner = self.clone();
        let (flag, gate) = (cancelled.clone(), tx.clone());
        let targets = targets.into_iter();
        let work = move || {
            // Checked each time a worker takes a target: none starts after a cancel or
            // once the stream is gone.
            let targets =
                targets.take_while(move |_| !flag.load(Ordering::SeqCst) && !gate.is_closed());
            scanner.scan_each(targets, |i, r| match tx.blocking_send((i, r)) {
                Ok(()) => Flow::Continue,
                Err(_) => Flow::Stop,
            })
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(work)),
            Err(_) => drop(std::thread::spawn(work)),
        }
        ScanStream {
            results: rx,
            cancelled,
        }
    }

    /// [`Scanner::scan`] for async code: every result, in the targets' order, without
    /// blocking a runtime thread. Dropping the future cancels the scan as dropping a
    /// [`ScanStream`] does: no new target starts.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pqhkex_inventory::Failure> {
    /// # let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    /// use pqhkex_inventory::{Scanner, Target};
    ///
    /// let results = Scanner::new(provider)?.scan_async(Vec::new()).await;
    /// assert!(results.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn scan_async(&self, targets: Vec<Target>) -> Vec<TargetResult> {
        let inputs: Vec<String> = targets.iter().map(|t| t.input.clone()).collect();
        let mut slots: Vec<Option<TargetResult>> = vec![None; targets.len()];
        let mut stream = self.scan_stream(targets);
        while let Some((i, r)) = stream.next().await {
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(r);
            }
        }
        slots
            .into_iter()
            .zip(inputs)
            .map(|(r, input)| {
                r.unwrap_or_else(|| {
                    let f = crate::Failure::Other("the scan thread failed".into());
                    TargetResult::unreachable(&input, None, &f)
                })
            })
            .collect()
    }
}
