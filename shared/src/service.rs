//! The start of a service binary, the same for both: logging, configuration, the listening
//! socket, the stop signal, then the service itself. Exit codes follow sysexits: 64 for a bad
//! configuration, 69 when the address cannot be bound.

use crate::config::ConfigError;
use std::future::Future;
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Runs a service: reads its configuration with `load`, binds the address in `listen_var`
/// (default `default_address`), and runs `run` until SIGTERM or Ctrl-C.
pub async fn main<C, F>(
    name: &str,
    load: impl FnOnce() -> Result<C, ConfigError>,
    listen_var: &str,
    default_address: &str,
    run: impl FnOnce(C, TcpListener, CancellationToken) -> F,
) -> ExitCode
where
    F: Future<Output = std::io::Result<()>>,
{
    crate::telemetry::init_logging();
    let config = match load() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(error = %error, "invalid configuration");
            return ExitCode::from(64);
        }
    };
    let address = crate::config::string(listen_var, default_address);
    let listener = match TcpListener::bind(&address).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(error = %error, address, "cannot listen");
            return ExitCode::from(69);
        }
    };
    let stop = CancellationToken::new();
    crate::shutdown::on_signal(stop.clone());
    match run(config, listener, stop).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, service = name, "service failed");
            ExitCode::FAILURE
        }
    }
}
