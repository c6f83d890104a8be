//! The `connector-ingress` binary: reads the environment and runs the ingress on a Tokio
//! runtime with `INGRESS_WORKER_THREADS` workers.

use std::process::ExitCode;

fn main() -> ExitCode {
    let runtime = ingress::config::worker_threads()
        .map_err(|error| error.to_string())
        .and_then(|workers| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .map_err(|error| format!("cannot start the Tokio runtime: {error}"))
        });
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            shared::telemetry::init_logging();
            tracing::error!(error = %error, "invalid configuration");
            return ExitCode::from(64);
        }
    };
    runtime.block_on(shared::service::main(
        "ingress",
        ingress::config::IngressConfig::from_env,
        "INGRESS_LISTEN",
        "0.0.0.0:8080",
        ingress::run,
    ))
}
