//! Simulated 4me and IdentityNow.
