//! Where `pqhkex scan` takes its targets from, and how hard it may press on them: the
//! command line (targets and CIDR ranges), `--targets-file` (a file or `-` for stdin),
//! `--nmap` reports, `--shard I/N`; `--per-host`, `--rate`, `--retries`.
//!
//! Files are read twice, line by line: once to check every line before anything is
//! scanned (a bad line fails naming its file and line) and to count the targets for the
//! progress bar, then again as the scan takes targets, so a million-line file is never
//! held in memory. Stdin cannot be read twice: its lines are checked as the scan reads
//! them, there is no total for the progress bar, and a bad line ends the input there
//! (the targets before it are scanned and reported, then the scan exits 2 naming the
//! line).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pqhkex_inventory::inputs::{parse_ports, read_nmap, Cidr, Shard};
use pqhkex_inventory::{Failure, Scanner, Target, MAX_TARGET_LEN};

use crate::ScanArgs;

/// The fleet options of `pqhkex scan`.
#[derive(clap::Args, Debug)]
pub struct FleetArgs {
    /// Ports to scan each address of a CIDR range on (targets like 10.0.0.0/24 or
    /// 2001:db8::/120, on the command line or in a targets file): a list such as
    /// 443,8443 or 8000-8010.
    #[arg(long, default_value = "443")]
    ports: String,
    /// Allow CIDR ranges of more than 65,536 addresses (an IPv4 prefix shorter than
    /// /16, an IPv6 prefix shorter than /112). They are expanded lazily either way.
    #[arg(long)]
    allow_large_ranges: bool,
    /// Scan the open TCP ports of an nmap report, XML (-oX) or grepable (-oG; the
    /// format is detected), at most 256 MiB. A port nmap names "ssh" becomes an
    /// ssh:// target; every other open port is scanned as TLS. Repeatable.
    #[arg(long, value_name = "FILE")]
    nmap: Vec<PathBuf>,
    /// Scan only shard I of N (0 <= I < N, numbered from 0 like a Kubernetes Indexed
    /// Job's JOB_COMPLETION_INDEX): the targets whose SHA-256 hash is I modulo N. Run
    /// N scans with the same targets and merge them with `pqhkex report merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// At most this many targets of one host (IP address, or name as written) at once;
    /// a target opens one connection at a time, so this bounds the connections to one
    /// host too. 0: no limit.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(0..=256))]
    per_host: u16,
    /// At most this many new TCP connections per second over the whole scan (every
    /// probe's connection counts); lowers the concurrency to rate × timeout / 2 when it
    /// is higher, so that waiting for a connection never eats more than half a probe's
    /// time. Default: no limit.
    #[arg(long, value_name = "PER_SECOND")]
    rate: Option<f64>,
    /// Try a connection that failed to open (refused, reset, unreachable, no answer
    /// while connecting) this many more times, after 100 ms, 200 ms, ... (up to 2 s),
    /// within the probe's timeout. Answers (TLS alerts included) are never retried.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10))]
    retries: u32,
}

impl FleetArgs {
    /// `scanner` with the per-host limit, rate and retries of the command line.
    pub fn limits(&self, scanner: Scanner) -> Result<Scanner, Failure> {
        let rate = match self.rate {
            Some(r) if !(r.is_finite() && r > 0.0) => {
                return Err(Failure::Usage(format!(
                    "--rate must be a positive number of connections per second, not {r}"
                )))
            }
            r => r,
        };
        Ok(scanner
            .per_host_limit(usize::from(self.per_host))
            .rate(rate)
            .retries(self.retries))
    }
}

/// The longest line read from a targets file or stdin (a target is at most
/// [`MAX_TARGET_LEN`] bytes, plus room for a comment).
const MAX_LINE: usize = MAX_TARGET_LEN + 4096;

/// One source of targets, in the order they are scanned.
enum Source {
    /// A target of the command line.
    One(Target),
    /// A CIDR range (command line), with the ports.
    Range(Cidr),
    /// A targets file, read again as the scan goes.
    File(PathBuf),
    /// Standard input, read once.
    Stdin,
    /// The targets of an nmap report (parsed before the scan).
    Nmap(Vec<Target>),
}

/// The targets to scan, checked; [`Targets::stream`] hands them out.
pub struct Targets {
    sources: Vec<Source>,
    ports: Vec<u16>,
    allow_large: bool,
    shard: Option<Shard>,
    /// How many targets (in this shard), when known before scanning: not with stdin,
    /// nor with a range larger than the default limit.
    pub count: Option<u64>,
    /// A bad stdin line, met while scanning.
    late: Arc<Mutex<Option<Failure>>>,
}

/// A targets-file line without its comment, if anything is left.
fn target_line(line: &str) -> Option<&str> {
    Some(line.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty())
}

/// Lines of at most [`MAX_LINE`] bytes; `Err` names the line that is longer, or the
/// read that failed.
struct Lines<R> {
    reader: R,
    what: String,
    number: usize,
    failed: bool,
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<(usize, String), Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let mut buf = Vec::new();
        let read = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf);
        self.number += 1;
        let fail = |this: &mut Self, f: Failure| {
            this.failed = true;
            Some(Err(f))
        };
        match read {
            Ok(0) => None,
            Ok(_) if buf.len() > MAX_LINE => {
                let f = Failure::Usage(format!(
                    "{}:{}: line longer than {MAX_LINE} bytes",
                    self.what, self.number
                ));
                fail(self, f)
            }
            Ok(_) => match String::from_utf8(buf) {
                Ok(s) => Some(Ok((self.number, s))),
                Err(_) => {
                    let f = Failure::Usage(format!("{}:{}: not UTF-8", self.what, self.number));
                    fail(self, f)
                }
            },
            Err(e) => {
                let f = Failure::Other(format!("cannot read {}: {e}", self.what));
                fail(self, f)
            }
        }
    }
}

fn lines<R: BufRead>(reader: R, what: String) -> Lines<R> {
    Lines {
        reader,
        what,
        number: 0,
        failed: false,
    }
}

fn open(path: &Path) -> Result<Lines<BufReader<File>>, Failure> {
    let f = File::open(path)
        .map_err(|e| Failure::Other(format!("cannot read {}: {e}", path.display())))?;
    Ok(lines(BufReader::new(f), path.display().to_string()))
}

/// What one line (or argument) stands for: a range or a target.
enum Entry {
    Range(Cidr),
    One(Target),
}

fn entry(text: &str) -> Result<Entry, Failure> {
    if Cidr::looks_like(text) {
        Ok(Entry::Range(Cidr::parse(text)?))
    } else {
        Ok(Entry::One(Target::parse(text)?))
    }
}

/// Reads and checks the targets of `args` (see the module's description).
pub fn read_targets(args: &ScanArgs) -> Result<Targets, Failure> {
    let fleet = &args.fleet;
    let ports = parse_ports(&fleet.ports).map_err(|e| Failure::Usage(format!("--ports: {e}")))?;
    let shard = fleet.shard.as_deref().map(Shard::parse).transpose()?;
    let mut t = Targets {
        sources: Vec::new(),
        ports,
        allow_large: fleet.allow_large_ranges,
        shard,
        count: Some(0),
        late: Arc::default(),
    };
    let mut stdin_used = false;
    let mut use_stdin = |t: &mut Targets| -> Result<(), Failure> {
        if std::mem::replace(&mut stdin_used, true) {
            return Err(Failure::Usage("stdin (-) can be given only once".into()));
        }
        t.count = None;
        t.sources.push(Source::Stdin);
        Ok(())
    };
    for arg in &args.targets {
        if arg == "-" {
            use_stdin(&mut t)?;
            continue;
        }
        match entry(arg)? {
            Entry::Range(c) => {
                t.count_range(&c)?;
                t.sources.push(Source::Range(c));
            }
            Entry::One(target) => {
                t.add_count(u64::from(t.mine(&target.input)));
                t.sources.push(Source::One(target));
            }
        }
    }
    if let Some(path) = &args.targets_file {
        if path.as_os_str() == "-" {
            use_stdin(&mut t)?;
        } else {
            for line in open(path)? {
                let (n, line) = line?;
                let Some(text) = target_line(&line) else {
                    continue;
                };
                let at = |e: Failure| Failure::Usage(format!("{}:{n}: {e}", path.display()));
                match entry(text).map_err(at)? {
                    Entry::Range(c) => t.count_range(&c).map_err(at)?,
                    Entry::One(target) => t.add_count(u64::from(t.mine(&target.input))),
                }
            }
            t.sources.push(Source::File(path.clone()));
        }
    }
    for path in &fleet.nmap {
        let found: Vec<Target> = read_nmap(path)?
            .iter()
            .map(|p| Target::parse(&p.target()))
            .collect::<Result<_, _>>()?;
        let mine: Vec<Target> = found.into_iter().filter(|x| t.mine(&x.input)).collect();
        t.add_count(mine.len() as u64);
        t.sources.push(Source::Nmap(mine));
    }
    if t.sources.is_empty() {
        return Err(Failure::Usage(
            "no targets: give HOST:PORT or CIDR arguments, --targets-file FILE (- for stdin) or --nmap FILE"
                .into(),
        ));
    }
    Ok(t)
}

impl Targets {
    /// Whether a target (as written) is in this run's shard.
    fn mine(&self, target: &str) -> bool {
        self.shard.is_none_or(|s| s.contains(target))
    }

    fn add_count(&mut self, n: u64) {
        self.count = self.count.map(|c| c.saturating_add(n));
    }

    /// Checks a range's size and adds its targets to the count (without expanding a
    /// large range: the count is then unknown).
    fn count_range(&mut self, c: &Cidr) -> Result<(), Failure> {
        let mut targets = c.targets(&self.ports, self.allow_large)?;
        let n = c.len().saturating_mul(self.ports.len() as u128);
        if n > pqhkex_inventory::inputs::MAX_RANGE_ADDRESSES * self.ports.len() as u128 {
            self.count = None;
        } else if self.shard.is_some() {
            let mine = targets.by_ref().filter(|x| self.mine(x)).count();
            self.add_count(mine as u64);
        } else {
            self.add_count(n as u64);
        }
        Ok(())
    }

    /// A bad stdin line met while scanning, if any: the scan ends with it.
    pub fn late_failure(&self) -> Option<Failure> {
        self.late.lock().ok().and_then(|mut f| f.take())
    }

    /// The targets of this shard, in order, lazily: ranges expanded as they are taken,
    /// files read again, stdin read once.
    pub fn stream(&self) -> Result<impl Iterator<Item = Target> + Send + 'static, Failure> {
        let mut parts: Vec<Box<dyn Iterator<Item = Target> + Send>> = Vec::new();
        for s in &self.sources {
            match s {
                Source::One(t) => parts.push(Box::new(std::iter::once(t.clone()))),
                Source::Nmap(list) => parts.push(Box::new(list.clone().into_iter())),
                Source::Range(c) => parts.push(range(c, &self.ports, self.allow_large)?),
                Source::File(path) => {
                    // Checked line by line already: what no longer parses (the file
                    // changed since) is skipped.
                    let (ports, allow) = (self.ports.clone(), self.allow_large);
                    let it = open(path)?.map_while(Result::ok).flat_map(move |(_, l)| {
                        let e = target_line(&l).and_then(|x| entry(x).ok());
                        expand(e, &ports, allow)
                    });
                    parts.push(Box::new(it));
                }
                Source::Stdin => {
                    let (ports, allow) = (self.ports.clone(), self.allow_large);
                    let late = self.late.clone();
                    let input = lines(BufReader::new(std::io::stdin()), "stdin".into());
                    let it = input
                        .map(move |line| {
                            let (n, l) = line?;
                            match target_line(&l) {
                                None => Ok(None),
                                Some(x) => {
                                    let e = entry(x)
                                        .map_err(|e| Failure::Usage(format!("stdin:{n}: {e}")))?;
                                    if let Entry::Range(c) = &e {
                                        // Only the size check: expanded later.
                                        let _ = c.targets(&ports, allow).map_err(|e| {
                                            Failure::Usage(format!("stdin:{n}: {e}"))
                                        })?;
                                    }
                                    Ok(Some(e))
                                }
                            }
                        })
                        .map_while(move |r: Result<Option<Entry>, Failure>| match r {
                            Ok(e) => Some(e),
                            Err(f) => {
                                if let Ok(mut slot) = late.lock() {
                                    *slot = Some(f);
                                }
                                None
                            }
                        });
                    let (ports, allow) = (self.ports.clone(), self.allow_large);
                    parts.push(Box::new(it.flat_map(move |e| expand(e, &ports, allow))));
                }
            }
        }
        let shard = self.shard;
        Ok(parts
            .into_iter()
            .flatten()
            .filter(move |t| shard.is_none_or(|s| s.contains(&t.input))))
    }
}

/// A range's targets (checked already), parsed.
fn range(
    c: &Cidr,
    ports: &[u16],
    allow: bool,
) -> Result<Box<dyn Iterator<Item = Target> + Send>, Failure> {
    Ok(Box::new(
        c.targets(ports, allow)?
            .filter_map(|s| Target::parse(&s).ok()),
    ))
}

/// The targets an entry stands for.
fn expand(e: Option<Entry>, ports: &[u16], allow: bool) -> Box<dyn Iterator<Item = Target> + Send> {
    match e {
        None => Box::new(std::iter::empty()),
        Some(Entry::One(t)) => Box::new(std::iter::once(t)),
        Some(Entry::Range(c)) => {
            range(&c, ports, allow).unwrap_or_else(|_| Box::new(std::iter::empty()))
        }
    }
}
