//! The wire contract: embedded JSON Schemas, checks against them, and the recording of every
//! exchange a simulator served.
//!
//! IdentityNow schemas are derived from SailPoint's OpenAPI documents by
//! `schemas/derive.py`; 4me schemas are hand-written (see `schemas/fourme/README.md`). The
//! simulators validate incoming bodies with them, and tests validate everything exchanged with
//! [`check_exchanges`].

mod recording;
mod routes;
mod schema;

pub(crate) use recording::{record, Recorder};
pub use recording::{Exchange, System};
pub use routes::{check_exchange, check_exchanges};
pub use schema::{check, Schema, Violation, ViolationKind};
