//! What can stop a benchmark before it has figures to print.

/// Why a benchmark run failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file, socket or process could not be used.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// RabbitMQ refused or dropped something.
    #[error("RabbitMQ: {0}")]
    Broker(#[from] lapin::Error),
    /// An HTTP exchange with a service failed.
    #[error("HTTP: {0}")]
    Http(String),
    /// A service did not start, or ended early.
    #[error("service: {0}")]
    Service(String),
    /// The run finished but its results cannot be trusted.
    #[error("inconsistent run: {0}")]
    Inconsistent(String),
}
