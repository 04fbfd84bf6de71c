//! The SDK's HTTP client: hyper-util's pooled client over a hyper-rustls connector made
//! from a pqhkex rustls `ClientConfig`, behind the SDK's
//! [`HttpConnector`](aws_smithy_runtime_api::client::http::HttpConnector) trait.
//!
//! Why not `aws-smithy-http-client`'s builder: its stable API takes a TLS *provider
//! choice* (rustls over aws-lc or ring, or s2n-tls) and a trust store, and builds the
//! rustls `ClientConfig` itself; a caller-supplied `CryptoProvider`
//! (`CryptoMode::Custom`) exists only behind the `aws_sdk_unstable` cfg, and a whole
//! `ClientConfig` cannot be passed at all. The SDK's client traits are public and stable,
//! so the client here implements them over the same hyper-util client that
//! `aws-smithy-http-client` uses internally.
//!
//! Every new TLS connection is observed: its [`ConnectionReport`] is recorded, and a
//! connection the policy does not allow is dropped before the SDK writes to it (rustls
//! cannot negotiate a group it was not configured with, so this is the check to gate on,
//! not the mechanism). A handshake that fails is explained in the policy's terms
//! ([`Policy::explain_error`]) and handed to the SDK as a non-retryable error: retrying
//! cannot make a classical-only server post-quantum, nor trust an untrusted certificate.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::Response as SdkResponse;
use aws_smithy_types::body::SdkBody;
use hyper::Uri;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pqhkex::{ConnectionReport, Policy, Side};
use tokio::net::TcpStream;

pub type BoxError = Box<dyn StdError + Send + Sync>;

/// The reports of the TLS connections a client opened, oldest first.
pub type Reports = Arc<Mutex<Vec<ConnectionReport>>>;

/// Builds the SDK's HTTP client over `tls` (a pqhkex rustls configuration whose policy
/// is `policy`). Returns it with the list the observer fills.
pub fn pq_http_client(tls: rustls::ClientConfig, policy: Policy) -> (SharedHttpClient, Reports) {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    let reports = Reports::default();
    let observing = Observing {
        inner: https,
        policy,
        reports: reports.clone(),
    };
    let connector = SharedHttpConnector::new(PqConnector {
        client: Client::builder(TokioExecutor::new()).build(observing),
    });
    // One connector whatever the SDK's per-operation settings; the SDK's timeouts
    // (operation, attempt) still apply around it.
    let client =
        aws_smithy_runtime_api::client::http::http_client_fn(move |_, _| connector.clone());
    (client, reports)
}

/// A hyper-rustls connector that records, checks and explains each new TLS connection.
#[derive(Clone)]
struct Observing {
    inner: HttpsConnector<TcpConnector>,
    policy: Policy,
    reports: Reports,
}

impl tower_service::Service<Uri> for Observing {
    type Response = MaybeHttpsStream<TokioIo<TcpStream>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let (policy, reports) = (self.policy, self.reports.clone());
        Box::pin(async move {
            let stream = connecting.await.map_err(|e| explain(policy, e))?;
            if let MaybeHttpsStream::Https(tls) = &stream {
                let conn = tls.inner().get_ref().1;
                let report = ConnectionReport::from_connection(conn);
                reports.lock().map_err(|_| "poisoned")?.push(report);
                policy.check(conn)?;
            }
            Ok(stream)
        })
    }
}

/// The connect error explained in the policy's terms ([`Policy::explain_error`] finds the
/// TLS failure however deep hyper-rustls and tokio-rustls wrapped it), or unchanged when
/// it holds no TLS failure (a refused TCP connection, a DNS error).
fn explain(policy: Policy, err: BoxError) -> BoxError {
    match policy.explain_error(Side::Client, err.as_ref()) {
        Some(explained) => Box::new(explained),
        None => err,
    }
}

/// The SDK-facing side: SDK request in, SDK response out, over hyper-util's client.
#[derive(Clone)]
struct PqConnector {
    client: Client<Observing, SdkBody>,
}

impl std::fmt::Debug for PqConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PqConnector(hyper + hyper-rustls + pqhkex)")
    }
}

impl HttpConnector for PqConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::user(Box::new(e)))?;
            let response = client.request(request).await.map_err(classify)?;
            SdkResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(Box::new(e), None))
        })
    }
}

/// Maps hyper-util's error to the SDK's: a failed TLS handshake (explained) is final, not
/// retried; other connect failures are I/O errors the SDK may retry.
fn classify(err: hyper_util::client::legacy::Error) -> ConnectorError {
    let mut cause = err.source();
    while let Some(e) = cause {
        if e.downcast_ref::<pqhkex::Error>().is_some() {
            return ConnectorError::other(Box::new(err), None);
        }
        cause = e.source();
    }
    if err.is_connect() {
        ConnectorError::io(Box::new(err))
    } else {
        ConnectorError::other(Box::new(err), None)
    }
}
