//! The server side of every group: an arbitrary client key share.
//! Input: selector byte (picks the group) ‖ client share.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqhkex::{Error, KeyShareFault};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, share)) = data.split_first() else {
        return;
    };
    let g = pqhkex_fuzz::group(selector);
    match pqhkex_fuzz::server_encapsulate(g, share) {
        Ok((reply, secret)) => {
            assert_eq!(share.len(), g.client_share_len());
            assert_eq!(reply.len(), g.server_share_len());
            assert_eq!(secret.len(), g.secret_len());
        }
        Err(Error::InvalidKeyShare { fault, .. }) => {
            if let KeyShareFault::Length { expected, actual } = fault {
                assert_ne!(expected, actual);
            }
        }
        Err(e) => panic!("peer input produced a non-key-share error: {e:?}"),
    }
});
