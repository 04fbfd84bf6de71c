//! The client side: targets, certificate checking, one TLS handshake (a "probe"), and
//! the `connect` command.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pqhkex::{ConnectionReport, Group};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, ProtocolVersion, RootCertStore,
    SignatureScheme, SupportedProtocolVersion,
};
use serde::Serialize;

use crate::failure::Failure;
use crate::ConnectArgs;

/// A `HOST:PORT` target as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The text as given.
    pub input: String,
    /// Host name or IP address (without IPv6 brackets).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Target {
    /// Parses `host:port`, `host` (port 443), `[v6]:port`, `[v6]` or a bare IPv6 address.
    pub fn parse(s: &str) -> Result<Self, Failure> {
        let input = s.trim().to_string();
        let bad = || Failure::Usage(format!("invalid target {s:?}: expected HOST:PORT"));
        let (host, port) = if let Some(rest) = input.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (h.to_string(), 443),
                p => (
                    h.to_string(),
                    p.strip_prefix(':')
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(bad)?,
                ),
            }
        } else if input.matches(':').count() > 1 {
            // A bare IPv6 address.
            (input.clone(), 443)
        } else if let Some((h, p)) = input.rsplit_once(':') {
            (h.to_string(), p.parse().map_err(|_| bad())?)
        } else {
            (input.clone(), 443)
        };
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(Target { input, host, port })
    }

    /// Resolves the target to its first socket address.
    pub fn resolve(&self) -> Result<SocketAddr, Failure> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| Failure::Unreachable(format!("cannot resolve {}: {e}", self.host)))?
            .next()
            .ok_or_else(|| Failure::Unreachable(format!("{} has no address", self.host)))
    }

    /// The name to send as SNI and to verify the certificate against.
    pub fn server_name(&self, overridden: Option<&str>) -> Result<ServerName<'static>, Failure> {
        let name = overridden.unwrap_or(&self.host);
        ServerName::try_from(name.to_string())
            .map_err(|e| Failure::Usage(format!("invalid server name {name:?}: {e}")))
    }
}

/// Loads PEM certificates into a root store; `None` gives the built-in web PKI roots.
pub fn root_store(ca: Option<&Path>) -> Result<RootCertStore, Failure> {
    let mut roots = RootCertStore::empty();
    match ca {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| Failure::Other(format!("cannot read {}: {e}", path.display())))?;
            let (added, _ignored) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(Failure::Other(format!(
                    "{} contains no usable CA certificate",
                    path.display()
                )));
            }
        }
    }
    Ok(roots)
}

/// The web PKI verifier for a root store, over the *ring* provider.
pub fn webpki_verifier(roots: RootCertStore) -> Result<Arc<WebPkiServerVerifier>, Failure> {
    WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    .map_err(|e| Failure::Other(format!("cannot build the certificate verifier: {e}")))
}

/// A certificate verifier that records the web PKI verdict and, unless `enforce`,
/// accepts the certificate anyway. Handshake signatures are always verified.
#[derive(Debug)]
pub struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    enforce: bool,
    verdict: Mutex<Option<Result<(), String>>>,
}

impl Recording {
    pub fn new(inner: Arc<WebPkiServerVerifier>, enforce: bool) -> Arc<Self> {
        Arc::new(Recording {
            inner,
            enforce,
            verdict: Mutex::new(None),
        })
    }

    /// The recorded verdict, once the certificate was seen.
    pub fn verdict(&self) -> Option<Result<(), String>> {
        self.verdict.lock().map(|v| v.clone()).unwrap_or(None)
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Ok(mut v) = self.verdict.lock() {
            *v = Some(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
        match result {
            Err(e) if self.enforce => Err(e),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// TLS 1.3 only.
pub static TLS13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
/// TLS 1.2 only.
pub static TLS12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
/// TLS 1.3 and 1.2.
pub static TLS13_AND_12: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The protocol versions that can use `groups`: TLS 1.3 only unless some group is
/// classical (post-quantum groups are TLS 1.3 only).
pub fn versions_for(groups: &[&Group]) -> &'static [&'static SupportedProtocolVersion] {
    if groups.iter().any(|g| g.tls12_allowed()) {
        TLS13_AND_12
    } else {
        TLS13
    }
}

/// A client configuration offering exactly `groups`, in that order (the first one, and
/// for a hybrid its classical component's stand-alone group if listed, get key shares).
pub fn client_config(
    groups: &[&'static Group],
    versions: &[&'static SupportedProtocolVersion],
    verifier: Arc<Recording>,
) -> Result<Arc<ClientConfig>, Failure> {
    let kx = groups.iter().map(|g| pqhkex::rustls::kx_group(g)).collect();
    client_config_kx(kx, versions, verifier)
}

/// Like [`client_config`], from rustls key-exchange groups.
pub fn client_config_kx(
    kx_groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
    versions: &[&'static SupportedProtocolVersion],
    verifier: Arc<Recording>,
) -> Result<Arc<ClientConfig>, Failure> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = kx_groups;
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // Each probe must stand alone: no session resumption, no remembered group hint.
    config.resumption = Resumption::disabled();
    Ok(Arc::new(config))
}

/// A socket that counts the bytes the peer sent.
struct Counted<'a> {
    sock: &'a mut TcpStream,
    received: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.received += n as u64;
        Ok(n)
    }
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// What one successful handshake showed.
#[derive(Clone, Debug)]
pub struct Handshake {
    pub report: ConnectionReport,
    /// Subject of the peer's end-entity certificate (RFC 4514-style), if parsable.
    pub subject: Option<String>,
    /// Issuer of the peer's end-entity certificate.
    pub issuer: Option<String>,
    /// The web PKI verdict on the certificate.
    pub certificate: Option<Result<(), String>>,
    /// From connecting to the end of the handshake.
    pub elapsed: Duration,
}

/// A failed handshake: its classification and, if rustls raised it, the TLS error.
#[derive(Debug)]
pub struct ProbeError {
    pub failure: Failure,
    pub tls: Option<rustls::Error>,
}

impl From<Failure> for ProbeError {
    fn from(failure: Failure) -> Self {
        ProbeError { failure, tls: None }
    }
}

fn probe_error(label: &str, e: &io::Error, received: u64) -> ProbeError {
    ProbeError {
        failure: Failure::from_handshake(label, e, received),
        tls: e
            .get_ref()
            .and_then(|i| i.downcast_ref::<rustls::Error>())
            .cloned(),
    }
}

/// Connects to `addr` and runs one TLS handshake with `config`, then closes cleanly.
pub fn handshake(
    label: &str,
    addr: SocketAddr,
    server_name: ServerName<'static>,
    config: Arc<ClientConfig>,
    verifier: &Recording,
    timeout: Duration,
) -> Result<Handshake, ProbeError> {
    let started = Instant::now();
    let mut sock =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| Failure::from_connect(label, &e))?;
    sock.set_read_timeout(Some(timeout))
        .and_then(|()| sock.set_write_timeout(Some(timeout)))
        .map_err(|e| Failure::Other(format!("socket setup: {e}")))?;
    let _ = sock.set_nodelay(true);
    let mut conn = ClientConnection::new(config, server_name)
        .map_err(|e| Failure::Other(format!("cannot start the TLS client: {e}")))?;
    let mut io = Counted {
        sock: &mut sock,
        received: 0,
    };
    while conn.is_handshaking() {
        match conn.complete_io(&mut io) {
            Ok((0, 0)) if conn.is_handshaking() => {
                let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
                return Err(probe_error(label, &eof, io.received));
            }
            Ok(_) => {}
            Err(e) => return Err(probe_error(label, &e, io.received)),
        }
    }
    let elapsed = started.elapsed();
    let report = ConnectionReport::from_connection(&conn);
    let (subject, issuer) = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|der| names(der))
        .unwrap_or((None, None));

    // Close cleanly (close_notify both ways), so that the server sees a complete
    // connection; wait briefly for its answer.
    conn.send_close_notify();
    let _ = io
        .sock
        .set_read_timeout(Some(timeout.min(Duration::from_secs(2))));
    let mut stream = rustls::Stream::new(&mut conn, &mut io);
    let mut sink = [0u8; 2048];
    let _ = stream.flush();
    while let Ok(n) = stream.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
    Ok(Handshake {
        report,
        subject,
        issuer,
        certificate: verifier.verdict(),
        elapsed,
    })
}

/// Subject and issuer of a DER certificate.
fn names(der: &CertificateDer<'_>) -> (Option<String>, Option<String>) {
    match x509_parser::parse_x509_certificate(der.as_ref()) {
        Ok((_, cert)) => (
            Some(cert.subject().to_string()),
            Some(cert.issuer().to_string()),
        ),
        Err(_) => (None, None),
    }
}

/// A protocol version as people write it.
pub fn version_name(v: ProtocolVersion) -> String {
    match v {
        ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        other => format!("{other:?}"),
    }
}

/// A cipher suite's IANA name (rustls spells TLS 1.3 suites `TLS13_…`).
pub fn suite_name(s: rustls::CipherSuite) -> String {
    let name = format!("{s:?}");
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// "hybrid post-quantum" / "post-quantum" / "classical (NOT post-quantum)".
pub fn kind_text(report: &ConnectionReport) -> &'static str {
    if report.hybrid {
        "hybrid post-quantum"
    } else if report.post_quantum {
        "post-quantum"
    } else {
        "classical, NOT post-quantum"
    }
}

/// The `connect` command's JSON output.
#[derive(Serialize)]
struct ConnectJson<'a> {
    target: &'a str,
    address: String,
    group: String,
    group_code: Option<String>,
    post_quantum: bool,
    hybrid: bool,
    components: Vec<&'static str>,
    hello_retry_request: bool,
    protocol: Option<String>,
    cipher_suite: Option<String>,
    peer_subject: Option<String>,
    peer_issuer: Option<String>,
    certificate_trusted: Option<bool>,
    certificate_error: Option<String>,
    handshake_ms: f64,
}

/// `pqhkex connect`.
pub fn run_connect(args: ConnectArgs) -> Result<ExitCode, Failure> {
    let timeout = crate::timeout_arg(args.timeout)?;
    let target = Target::parse(&args.target)?;
    let policy = args.policy.policy();
    let (groups, versions) = if args.groups.is_empty() {
        (policy.groups().to_vec(), policy.protocol_versions())
    } else {
        let groups = crate::parse_groups(&args.groups)?;
        if let Some(g) = groups.iter().find(|g| !policy.allows(g)) {
            return Err(Failure::Usage(format!(
                "group {} is not allowed by --policy {:?}",
                g.name, args.policy
            )));
        }
        let versions = versions_for(&groups);
        (groups, versions)
    };
    let verifier = Recording::new(
        webpki_verifier(root_store(args.ca.as_deref())?)?,
        !args.insecure,
    );
    let config = client_config(&groups, versions, verifier.clone())?;
    let addr = target.resolve()?;
    let server_name = target.server_name(args.servername.as_deref())?;
    let hs =
        handshake(&target.input, addr, server_name, config, &verifier, timeout).map_err(|e| {
            let explained = match (&e.failure, &e.tls) {
                (Failure::Handshake(_), Some(tls)) => policy.explain(pqhkex::Side::Client, tls),
                _ => None,
            };
            match explained {
                Some(why) => Failure::Handshake(format!("{}: {why}", target.input)),
                None => e.failure,
            }
        })?;
    let r = &hs.report;
    if args.json {
        let out = ConnectJson {
            target: &target.input,
            address: addr.to_string(),
            group: r.group_name(),
            group_code: r.group_code.map(|c| format!("0x{c:04x}")),
            post_quantum: r.post_quantum,
            hybrid: r.hybrid,
            components: r.components.iter().map(|a| a.name()).collect(),
            hello_retry_request: r.hello_retry_request.unwrap_or(false),
            protocol: r.protocol_version.map(version_name),
            cipher_suite: r.cipher_suite.map(suite_name),
            peer_subject: hs.subject.clone(),
            peer_issuer: hs.issuer.clone(),
            certificate_trusted: hs.certificate.as_ref().map(|c| c.is_ok()),
            certificate_error: hs.certificate.as_ref().and_then(|c| c.clone().err()),
            handshake_ms: hs.elapsed.as_secs_f64() * 1e3,
        };
        let text =
            serde_json::to_string_pretty(&out).map_err(|e| Failure::Other(format!("JSON: {e}")))?;
        outln!("{text}");
    } else {
        outln!("connected to     : {} ({addr})", target.input);
        outln!(
            "key exchange     : {}{}",
            r.group_name(),
            r.group_code
                .map(|c| format!(" (0x{c:04x})"))
                .unwrap_or_default()
        );
        let comps = r
            .components
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(" + ");
        outln!(
            "post-quantum     : {} ({}{})",
            if r.post_quantum { "yes" } else { "NO" },
            kind_text(r),
            if comps.is_empty() {
                String::new()
            } else {
                format!(": {comps}")
            }
        );
        outln!(
            "hello retry      : {}",
            if r.hello_retry_request.unwrap_or(false) {
                "yes (HelloRetryRequest)"
            } else {
                "no"
            }
        );
        outln!(
            "protocol         : {}",
            r.protocol_version.map(version_name).unwrap_or_default()
        );
        outln!(
            "cipher suite     : {}",
            r.cipher_suite.map(suite_name).unwrap_or_default()
        );
        outln!(
            "peer certificate : {}",
            hs.subject.as_deref().unwrap_or("(unparsable)")
        );
        match &hs.certificate {
            Some(Ok(())) => outln!("certificate      : trusted"),
            Some(Err(e)) => outln!("certificate      : NOT trusted ({e}); --insecure"),
            None => outln!("certificate      : not checked"),
        }
        outln!(
            "handshake time   : {:.2} ms",
            hs.elapsed.as_secs_f64() * 1e3
        );
    }
    if r.protocol_version == Some(ProtocolVersion::TLSv1_2) {
        let f = Failure::Tls12Only(format!(
            "{} negotiated TLS 1.2: it does not speak TLS 1.3, so no post-quantum key exchange is possible",
            target.input
        ));
        eprintln!("pqhkex: {f}");
        return Ok(ExitCode::from(f.exit_code()));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("example.com:8443").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.com", 8443));
        assert_eq!(Target::parse("example.com").unwrap().port, 443);
        let v6 = Target::parse("[::1]:4433").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 4433));
        assert_eq!(Target::parse("::1").unwrap().host, "::1");
        assert!(Target::parse("host:notaport").is_err());
        assert!(Target::parse(":443").is_err());
        assert!(Target::parse("h:0").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(
            suite_name(rustls::CipherSuite::TLS13_AES_128_GCM_SHA256),
            "TLS_AES_128_GCM_SHA256"
        );
        assert_eq!(version_name(ProtocolVersion::TLSv1_3), "TLS 1.3");
    }
}
