//! SailPoint IdentityNow (Identity Security Cloud).
//!
//! - [`token`]: OAuth client-credentials tokens, cached and refreshed before they expire.
//! - [`client`]: authorised calls, with one token refresh on a 401; configurable API paths.
//! - [`lookup`]: identities, sources and access items resolved by name at run time, cached.
//! - [`access`]: submitting access requests and finding earlier submissions.

pub mod access;
pub mod client;
pub mod lookup;
pub mod token;
