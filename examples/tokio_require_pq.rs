//! tokio-rustls: an async TLS server and client that both REQUIRE a post-quantum key
//! exchange, over loopback TCP.
//!
//! * The server reads each ClientHello with `LazyConfigAcceptor` and lets
//!   [`pqhkex::PqServerConfigs::config_for`] pick the configuration of the best
//!   post-quantum group the client supports; a client without one is refused by rustls
//!   (a `handshake_failure` alert) through the refusal configuration it returns.
//! * The client's configuration comes from [`pqhkex::client_config_builder`] with
//!   [`Policy::RequirePostQuantum`]; [`Policy::check`] gates on the result.
//!
//! Run: `cargo run --example tokio_require_pq`

use std::sync::Arc;

use pqhkex::{ConnectionReport, Policy, PqServerConfigs};
use rustls::pki_types::{PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{LazyConfigAcceptor, TlsConnector};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Accepts `count` connections; answers each post-quantum client with its group name.
async fn serve(
    listener: TcpListener,
    configs: Arc<PqServerConfigs>,
    count: usize,
) -> Result<Vec<Option<ConnectionReport>>, BoxError> {
    let mut seen = Vec::new();
    for _ in 0..count {
        let (tcp, _) = listener.accept().await?;
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
        let (config, refused) = configs.config_for(&start.client_hello());
        if let Some(why) = refused {
            println!("server: refusing a client: {why}");
            // rustls refuses with `config` itself (handshake_failure); the error it
            // returns, explained in the policy's terms, is what to log.
            if let Err(e) = start.into_stream(config).await {
                let explained = Policy::RequirePostQuantum.explain_io(pqhkex::Side::Server, &e);
                println!(
                    "server: rustls: {}",
                    explained.map_or(e.to_string(), |x| x.to_string())
                );
            }
            seen.push(None);
            continue;
        }
        let mut tls = start.into_stream(config).await?;
        let report = Policy::RequirePostQuantum.check(tls.get_ref().1)?;
        let mut hello = [0u8; 5];
        tls.read_exact(&mut hello).await?;
        tls.write_all(report.group_name().as_bytes()).await?;
        tls.shutdown().await?;
        println!("server: {report}");
        seen.push(Some(report));
    }
    Ok(seen)
}

/// Connects with `policy`, sends "hello", returns the report and the server's answer.
async fn client(
    addr: std::net::SocketAddr,
    policy: Policy,
    roots: rustls::RootCertStore,
) -> Result<(ConnectionReport, String), BoxError> {
    let config = pqhkex::client_config_builder(rustls::crypto::ring::default_provider(), policy)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await?;
    let mut tls = connector
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    let report = policy.check(tls.get_ref().1)?;
    tls.write_all(b"hello").await?;
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await?;
    Ok((report, answer))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;
    let finish = |b: rustls::ConfigBuilder<rustls::ServerConfig, rustls::WantsVerifier>| {
        b.with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key.clone_key())
    };
    let ring = rustls::crypto::ring::default_provider;
    let configs = Arc::new(PqServerConfigs::new(
        ring(),
        Policy::RequirePostQuantum,
        finish,
    )?);

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(serve(listener, configs, 2));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone())?;

    // 1. A post-quantum client: X25519MLKEM768.
    let (report, answer) = client(addr, Policy::RequirePostQuantum, roots.clone()).await?;
    println!("client: {report}; the server says it negotiated {answer}");
    if report.group_name() != "X25519MLKEM768" || answer != "X25519MLKEM768" {
        return Err(format!("expected X25519MLKEM768, got {report} / {answer}").into());
    }

    // 2. A classical-only client cannot connect.
    match client(addr, Policy::Classical, roots).await {
        Ok((report, _)) => return Err(format!("a classical client got through: {report}").into()),
        Err(e) => println!("client: classical-only client refused as required: {e}"),
    }

    let seen = server.await??;
    if seen.len() != 2 || seen[0].is_none() || seen[1].is_some() {
        return Err("the server saw something else than one PQ and one refused client".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        super::main().unwrap();
    }
}
