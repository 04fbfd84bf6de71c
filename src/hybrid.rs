//! The combiner: runs a [`Group`]'s components side by side.
//!
//! draft-ietf-tls-hybrid-design §3.2: a key share is the concatenation of the
//! components' shares, each of fixed length, in the group's order; §3.3: the shared
//! secret is the concatenation of the components' secrets in the same order. Pure and
//! classical groups are the one-component case of the same code.

// Secret-handling code: an integer `/` or `%` can compile to a variable-time x86
// `div` (KyberSlash). Denied here, not just warned (CONSTANT_TIME.md, layer 2).
#![deny(clippy::integer_division_remainder_used)]

use zeroize::Zeroizing;

use crate::error::Error;
use crate::groups::Group;
use crate::kem::{self, PrivateKey, SecretBuf, Seed};

/// The client's half of a key exchange in progress: its private keys and its share.
pub(crate) struct ClientState {
    pub(crate) group: &'static Group,
    /// One private key per component, in wire order; each zeroizes itself on drop.
    keys: Vec<PrivateKey>,
    /// The client key share (public).
    pub(crate) share: Vec<u8>,
}

/// Seeds for each component: OS randomness, or fixed bytes (hazmat).
pub(crate) fn seed_at<'a>(seeds: Option<&[&'a [u8]]>, i: usize) -> Seed<'a> {
    match seeds {
        None => Seed::Os,
        Some(s) => Seed::Fixed(s.get(i).copied().unwrap_or(&[])),
    }
}

fn check_seed_count(group: &Group, seeds: Option<&[&[u8]]>) -> Result<(), Error> {
    // Every table group has one or two components; no index can fail.
    let Some(first) = group.components.first() else {
        return Err(Error::UnknownGroup(group.name.to_string()));
    };
    match seeds {
        Some(s) if s.len() != group.components.len() => Err(Error::InvalidSeed {
            algorithm: *first,
            reason: "need exactly one seed per group component",
        }),
        _ => Ok(()),
    }
}

/// Client, first flight: generate one key pair per component and the combined share.
pub(crate) fn client_start(
    group: &'static Group,
    seeds: Option<&[&[u8]]>,
) -> Result<ClientState, Error> {
    check_seed_count(group, seeds)?;
    let mut share = Vec::with_capacity(group.client_share_len());
    let mut keys = Vec::with_capacity(group.components.len());
    for (i, alg) in group.components.iter().enumerate() {
        keys.push(kem::keygen(*alg, seed_at(seeds, i), &mut share)?);
    }
    debug_assert_eq!(share.len(), group.client_share_len());
    Ok(ClientState { group, keys, share })
}

/// Splits `share` into the components' parts, after checking its total length.
fn split<'s>(
    group: &'static Group,
    share: &'s [u8],
    total: usize,
    part_len: fn(crate::Algorithm) -> usize,
) -> Result<impl Iterator<Item = &'s [u8]> + 's, Error> {
    // RFC 10024 §3.1.2 (client share) / §3.1.3 (server share), draft-ietf-tls-mlkem
    // §4.2, RFC 8446 §4.2.8.2: a share of any other length MUST be rejected with
    // illegal_parameter.
    kem::check_len(group.name, share, total)?;
    let mut rest = share;
    Ok(group.components.iter().map(move |a| {
        let (head, tail) = rest.split_at(part_len(*a));
        rest = tail;
        head
    }))
}

/// Server: validate the client's share, encapsulate to every component, and return
/// the server share and the combined secret.
pub(crate) fn server_encapsulate(
    group: &'static Group,
    client_share: &[u8],
    seeds: Option<&[&[u8]]>,
) -> Result<(Vec<u8>, SecretBuf), Error> {
    check_seed_count(group, seeds)?;
    let parts = split(group, client_share, group.client_share_len(), |a| {
        a.public_len()
    })?;
    let mut reply = Vec::with_capacity(group.server_share_len());
    let mut secret = Zeroizing::new(Vec::with_capacity(group.secret_len()));
    for (i, (alg, part)) in group.components.iter().zip(parts).enumerate() {
        kem::encapsulate(*alg, part, seed_at(seeds, i), &mut reply, &mut secret)?;
    }
    debug_assert_eq!(reply.len(), group.server_share_len());
    debug_assert_eq!(secret.len(), group.secret_len());
    Ok((reply, secret))
}

impl ClientState {
    /// Client, second flight: decapsulate every component of the server's share. The
    /// keys stay usable (known-answer tests complete one share several times).
    #[cfg(feature = "hazmat")]
    pub(crate) fn complete(&self, server_share: &[u8]) -> Result<SecretBuf, Error> {
        Self::combine(
            self.group,
            self.keys.iter(),
            server_share,
            |key, part, secret| key.decapsulate(part, secret),
        )
    }

    /// [`Self::complete`] for the rustls path, where the share is used once: each key is
    /// consumed by its backend's one-shot decapsulation.
    pub(crate) fn complete_once(self, server_share: &[u8]) -> Result<SecretBuf, Error> {
        Self::combine(
            self.group,
            self.keys.into_iter(),
            server_share,
            |key, part, secret| key.decapsulate_once(part, secret),
        )
    }

    /// Splits the server's share and concatenates the components' secrets in wire order
    /// (draft-ietf-tls-hybrid-design §3.3).
    fn combine<K>(
        group: &'static Group,
        keys: impl Iterator<Item = K>,
        server_share: &[u8],
        mut decapsulate: impl FnMut(K, &[u8], &mut SecretBuf) -> Result<(), Error>,
    ) -> Result<SecretBuf, Error> {
        let parts = split(group, server_share, group.server_share_len(), |a| {
            a.reply_len()
        })?;
        let mut secret = Zeroizing::new(Vec::with_capacity(group.secret_len()));
        for (key, part) in keys.zip(parts) {
            decapsulate(key, part, &mut secret)?;
        }
        debug_assert_eq!(secret.len(), group.secret_len());
        Ok(secret)
    }

    /// The range of the share that belongs to component `index`.
    pub(crate) fn component_share(&self, index: usize) -> &[u8] {
        let start: usize = self.group.components[..index]
            .iter()
            .map(|a| a.public_len())
            .sum();
        &self.share[start..start + self.group.components[index].public_len()]
    }

    /// Completes only component `index`, as the stand-alone group of that algorithm
    /// (draft-ietf-tls-hybrid-design §3.2 allows reusing the classical share).
    pub(crate) fn complete_component(
        &self,
        index: usize,
        server_share: &[u8],
    ) -> Result<SecretBuf, Error> {
        let key = &self.keys[index];
        let mut secret = Zeroizing::new(Vec::with_capacity(key.algorithm().secret_len()));
        key.decapsulate(server_share, &mut secret)?;
        Ok(secret)
    }

    /// The client's private keys, in wire order (for hazmat inspection).
    #[cfg(feature = "hazmat")]
    pub(crate) fn keys(&self) -> &[PrivateKey] {
        &self.keys
    }
}
