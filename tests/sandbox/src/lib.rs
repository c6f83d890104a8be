//! Simulated 4me (Xurrent) and SailPoint IdentityNow for the connector's tests.
//!
//! Both simulators are axum servers bound to 127.0.0.1 and driven from Rust through a handle
//! that can inspect what they saw and inject faults. They are strict on purpose: a body the
//! real API would reject is rejected here with the same status code and error shape.
//!
//! - [`seed`]: the deterministic organisation (people, identities, applications) both serve.
//! - [`fourme`]: the simulated 4me REST API, webhook deliveries and the verify callback.
//! - [`identitynow`]: the simulated IdentityNow OAuth, lookup and access-request APIs, and
//!   an access request's life after submission (approval, provisioning, event triggers, an
//!   optional autopilot).
//! - [`contract`]: the embedded JSON Schemas and the recording of every exchange, so a test
//!   can check everything that crossed the wire.
//!
//! Internal building blocks: `clock` (timestamps), `ids` (deterministic and random
//! identifiers), `faults` (fault injection and call counting), `window` (rate-limit windows),
//! `body` (strict JSON body parsing) and `server` (binding and shutdown).

mod body;
mod clock;
pub mod contract;
mod faults;
pub mod fourme;
pub mod identitynow;
mod ids;
pub mod seed;
mod server;
mod window;

pub use window::RateLimit;
