//! Closing the loop: IdentityNow's progress on each access request the connector submitted
//! appears on the 4me request.
//!
//! - [`progress`]: what a status record means for the 4me request.
//! - [`writeback`]: writing it there, once.
//! - [`poller`]: one dispatcher at a time polls IdentityNow for what changed and queues each
//!   change as an event, so 4me writes get the same retry and hold as everything else.
//! - [`cancel`]: a request withdrawn in 4me cancels its IdentityNow access request.
//!
//! IdentityNow's event triggers only make the connector look sooner: the dispatcher reads the
//! access request's status when one arrives, and the poller catches whatever a lost trigger
//! missed.

pub mod cancel;
pub mod poller;
pub mod progress;
pub mod writeback;
