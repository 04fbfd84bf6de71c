//! The AWS SDK for Rust over post-quantum TLS — the Rust counterpart of enabling hybrid
//! post-quantum key exchange to KMS, Secrets Manager and ACM in the AWS SDK for Java.
//!
//! An `aws-sdk-kms` client, with dummy static credentials, gets an HTTP client built over
//! a pqhkex rustls configuration that REQUIRES post-quantum key exchange
//! ([`Policy::RequirePostQuantum`]: X25519MLKEM768 first, TLS 1.3 only; see
//! `src/http_client.rs` for how and why it plugs into the SDK), and calls `GenerateRandom`
//! twice, on loopback only:
//!
//! 1. against a local KMS endpoint (`src/kms_server.rs`) that requires post-quantum too
//!    (pqhkex's `PqServerConfigs`): the call succeeds, and the group the connection
//!    negotiated is printed as `pqhkex::observe` saw the client's key exchange, as the
//!    client's connector read it from the connection, and as the server saw it;
//! 2. against the same endpoint with classical key exchange only: the call must fail,
//!    and the failure is printed explained in the policy's terms.
//!
//! Exits 0 only if both came out that way. Run: `cargo run --locked` in
//! `examples/aws-sdk-pq/`.

mod http_client;
mod kms_server;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kms::config::timeout::TimeoutConfig;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::error::display::DisplayErrorContext;
use pqhkex::{Policy, PqServerConfigs};
use rustls::pki_types::PrivateKeyDer;
use tokio::net::TcpListener;

use http_client::{pq_http_client, BoxError};
use kms_server::{serve, Tls, ACCESS_KEY_ID};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    // The endpoint's self-signed certificate; the client trusts it, and nothing else.
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;
    let finish = |b: rustls::ConfigBuilder<rustls::ServerConfig, rustls::WantsVerifier>| {
        let mut config = b
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key.clone_key())?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    };

    let pq = PqServerConfigs::new(
        rustls::crypto::ring::default_provider(),
        Policy::RequirePostQuantum,
        finish,
    )?;
    let classical = finish(pqhkex::server_config_builder(
        rustls::crypto::ring::default_provider(),
        Policy::Classical,
    )?)?;
    let (pq_port, _) = start(Tls::RequirePostQuantum(pq), "pq server").await?;
    let (classical_port, classical_hellos) =
        start(Tls::Classical(classical.into()), "classical server").await?;

    // The client side: what an application would write.
    let policy = Policy::RequirePostQuantum;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert)?;
    // The provider: ring's, with the policy's pqhkex groups, each key exchange reported by
    // pqhkex::observe (applied after the policy: `with_policy` replaces the groups).
    let (provider, observations) = pqhkex::observe::observed_channel(pqhkex::with_policy(
        rustls::crypto::ring::default_provider(),
        policy,
    ));
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(policy.protocol_versions())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let (http, reports) = pq_http_client(tls, policy);

    // 1. A post-quantum endpoint.
    let kms = kms_client(http.clone(), pq_port);
    let out = kms
        .generate_random()
        .number_of_bytes(32)
        .send()
        .await
        .map_err(|e| format!("GenerateRandom failed: {}", DisplayErrorContext(&e)))?;
    let random = out
        .plaintext()
        .ok_or("GenerateRandom returned no Plaintext")?
        .as_ref();
    println!(
        "client: GenerateRandom returned {} bytes: {}",
        random.len(),
        random
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if random.len() != 32 {
        return Err("GenerateRandom returned the wrong number of bytes".into());
    }
    let seen = reports.lock().map_err(|_| "poisoned")?.clone();
    let [report] = seen.as_slice() else {
        return Err(format!("expected one TLS connection, saw {}", seen.len()).into());
    };
    println!("client: TLS connection: {report}");
    // One handshake so far: every observation is this connection's key exchange.
    let completed: Vec<_> = observations
        .try_iter()
        .inspect(|o| println!("client: observed: {o}"))
        .filter(|o| o.outcome.is_completed())
        .collect();
    let [observed] = completed.as_slice() else {
        return Err(format!(
            "expected one completed key exchange, saw {}",
            completed.len()
        )
        .into());
    };
    let group = observed.group_info().map_or("unknown", |g| g.name);
    println!("client: negotiated group: {group}");
    if Some(observed.group_code()) != report.group_code {
        return Err("the observer and the connection disagree on the group".into());
    }

    // 2. A classical-only endpoint: the same client must refuse it.
    let kms = kms_client(http, classical_port);
    let explained = match kms.generate_random().number_of_bytes(32).send().await {
        Ok(_) => {
            return Err(
                "the classical-only endpoint answered: post-quantum was not required".into(),
            )
        }
        // The explanation must put the refusal down to post-quantum: proven (this side
        // found no group in common) or possible (the server's handshake_failure alert,
        // which it also sends with no cipher suite in common, so the client cannot prove it).
        Err(e) => match find::<pqhkex::Error>(&e) {
            Some(explained @ pqhkex::Error::NoPostQuantumGroup { .. }) => explained.to_string(),
            Some(explained @ pqhkex::Error::HandshakeFailed(d)) if d.post_quantum_possible() => {
                explained.to_string()
            }
            _ => {
                return Err(
                    format!("failed for another reason: {}", DisplayErrorContext(&e)).into(),
                )
            }
        },
    };
    println!("client: classical endpoint refused, as required: {explained}");
    // A policy refusal is final: the SDK must not have retried it.
    let attempts = classical_hellos.load(Ordering::SeqCst);
    println!("client: handshakes attempted with the classical endpoint: {attempts}");
    if attempts != 1 {
        return Err("the refusal was retried".into());
    }
    Ok(())
}

/// Binds a loopback port and serves on it in the background. Returns the port and the
/// count of ClientHellos the server received.
async fn start(tls: Tls, name: &'static str) -> Result<(u16, Arc<AtomicUsize>), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let hellos = Arc::new(AtomicUsize::new(0));
    let counter = hellos.clone();
    tokio::spawn(async move {
        if let Err(e) = serve(listener, tls, name, counter).await {
            println!("{name}: stopped: {e}");
        }
    });
    Ok((port, hellos))
}

/// A KMS client for `https://localhost:{port}` with dummy static credentials.
fn kms_client(http: SharedHttpClient, port: u16) -> aws_sdk_kms::Client {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            "not-a-secret",
            None,
            None,
            "pqhkex-example",
        ))
        .endpoint_url(format!("https://localhost:{port}"))
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

/// The first error of type `T` in `err`'s chain of sources.
fn find<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        cause = e.source();
    }
    None
}
