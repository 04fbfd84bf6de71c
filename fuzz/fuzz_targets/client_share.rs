//! The client side of every group: an arbitrary server key share, completed against a
//! client key share from a real `client_start`.
//! Input: selector byte (picks the group) ‖ server share.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqhkex::Error;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, share)) = data.split_first() else {
        return;
    };
    let g = pqhkex_fuzz::group(selector);
    match pqhkex_fuzz::client(g).complete(share) {
        Ok(secret) => {
            assert_eq!(share.len(), g.server_share_len());
            assert_eq!(secret.len(), g.secret_len());
        }
        Err(Error::InvalidKeyShare { .. }) => {}
        Err(e) => panic!("peer input produced a non-key-share error: {e:?}"),
    }
});
