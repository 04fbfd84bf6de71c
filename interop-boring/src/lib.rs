//! Nothing here: this crate only holds `tests/boring_interop.rs`, pqhkex against
//! BoringSSL, apart from the root crate's tests (see `Cargo.toml` for why).
