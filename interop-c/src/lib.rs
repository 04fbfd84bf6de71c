//! Nothing here: this crate only holds `tests/openssl_interop.rs` and
//! `tests/s2n_interop.rs`, pqhkex against OpenSSL 3.6 and s2n-tls, apart from the root
//! crate so that its users never build those C stacks (see `Cargo.toml`).
