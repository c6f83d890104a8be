//! Benchmark drivers for the connector: what the release binaries achieve on this machine.
//!
//! Each binary under `src/bin` measures one thing and prints its figures; `scripts/bench` builds
//! them in release and runs them all, and `BENCHMARKS.md` records the results.
//!
//! - [`cli`]: the drivers' numeric options.
//! - [`error`]: what can stop a benchmark.
//! - [`services`]: starting the real `connector-ingress` and `connector-dispatcher` binaries.
//! - [`simulators`]: the simulated 4me and IdentityNow, with or without their rate limits.
//! - [`rabbit`]: a per-run queue prefix, clean-up, and the plain lapin publisher (the ceiling).
//! - [`cpu`]: CPU time per process and for the machine, from `/proc`.
//! - [`connector`]: both binaries pointed at the simulators.
//! - [`deliveries`]: pre-signed 4me webhook deliveries.
//! - [`load`]: closed-loop load at a fixed concurrency and HTTP keep-alive connections.
//! - [`stats`]: latency percentiles and rates.
//! - [`submissions`]: when the simulated IdentityNow received each access request.
//! - [`memory`]: resident memory of a process from `/proc`.
//! - [`note_clock`]: when an expected note appeared on the simulated 4me.
//! - [`tracked`]: driving a run's access requests through their life.
//! - [`api_calls`]: calls the simulators served per route, to compare phases of a run.

pub mod api_calls;
pub mod cli;
pub mod connector;
pub mod cpu;
pub mod deliveries;
pub mod error;
pub mod load;
pub mod memory;
pub mod note_clock;
pub mod rabbit;
pub mod services;
pub mod simulators;
pub mod stats;
pub mod submissions;
pub mod tracked;

pub use error::BenchError;
