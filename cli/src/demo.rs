//! `pqhkex demo`: a loopback TLS 1.3 server and client negotiate X25519MLKEM768.
//!
//! Both ends are the ones `serve` and `connect` use; the client trusts exactly the
//! server's freshly generated certificate.

use std::net::TcpListener;
use std::time::Duration;

use pqhkex::Policy;
use rustls::RootCertStore;

use pqhkex_inventory::probe::{self, suite_name, version_name, Recording};
use pqhkex_inventory::{Failure, Target};

use crate::connect::kind_text;
use crate::serve::{self, Chooser, Identity};

/// `pqhkex demo`.
pub fn run() -> Result<(), Failure> {
    let identity = Identity::self_signed()?;
    let chooser = Chooser::new(&identity, Policy::PreferPostQuantum, Vec::new(), None)?;
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Failure::Other(format!("cannot listen on loopback: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Other(e.to_string()))?;
    let server = std::thread::spawn(move || -> Result<serve::Served, String> {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        serve::handle(sock, &chooser, serve::CLIENT_TIMEOUT)
    });

    let mut roots = RootCertStore::empty();
    roots.add(identity.chain[0].clone())?;
    let provider = crate::provider();
    let verifier = Recording::new(probe::webpki_verifier(roots, &provider)?, true);
    let policy = Policy::PreferPostQuantum;
    let config = probe::client_config(
        &provider,
        policy.groups(),
        policy.protocol_versions(),
        verifier.clone(),
    )?;
    let target = Target::parse(&format!("localhost:{}", addr.port()))?;
    let hs = probe::handshake(
        &target.input,
        addr,
        target.server_name(None)?,
        config,
        &verifier,
        Duration::from_secs(10),
    )
    .map_err(|e| e.failure)?;
    let served = server
        .join()
        .map_err(|_| Failure::Other("the server thread panicked".into()))?
        .map_err(|e| Failure::Other(format!("server: {e}")))?;

    let r = &hs.report;
    let group = r
        .group
        .ok_or_else(|| Failure::Other("no group was negotiated".into()))?;
    outln!(
        "negotiated group : {} (0x{:04x}), {}",
        group.name,
        group.code,
        kind_text(r)
    );
    outln!(
        "components       : {}",
        group
            .components
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(" + ")
    );
    outln!("client key share : {} bytes", group.client_share_len());
    outln!("server key share : {} bytes", group.server_share_len());
    outln!("shared secret    : {} bytes", group.secret_len());
    outln!("server agrees    : {}", served.report.group_name());
    outln!(
        "protocol / suite : {} / {}",
        r.protocol_version.map(version_name).unwrap_or_default(),
        r.cipher_suite.map(suite_name).unwrap_or_default()
    );
    outln!(
        "handshake time   : {:.2} ms (TCP connect to handshake done, loopback)",
        hs.elapsed.as_secs_f64() * 1e3
    );
    if served.report.group_code != r.group_code || group.code != pqhkex::groups::X25519MLKEM768.code
    {
        return Err(Failure::Other(
            "the demo expected both sides to agree on X25519MLKEM768".into(),
        ));
    }
    Ok(())
}
