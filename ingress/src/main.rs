//! The `connector-ingress` binary: reads the environment and runs the ingress on a Tokio
//! runtime with `INGRESS_WORKER_THREADS` workers: Tokio's single-threaded scheduler for one,
//! its multi-threaded one for more. Exit codes as in `shared::service`, plus 71 (EX_OSERR)
//! when the runtime cannot be started.

use std::process::ExitCode;

fn main() -> ExitCode {
    let workers = match ingress::config::worker_threads() {
        Ok(workers) => workers,
        Err(error) => {
            shared::telemetry::init_logging();
            tracing::error!(error = %error, "invalid configuration");
            return ExitCode::from(64);
        }
    };
    // One worker runs on the single-threaded scheduler, which does the same work for less CPU:
    // no work-stealing bookkeeping, and the thread that runs `main` is the worker itself
    // (BENCHMARKS.md, change 9).
    let mut builder = match workers {
        1 => tokio::runtime::Builder::new_current_thread(),
        _ => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    let runtime = builder.enable_all().build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            shared::telemetry::init_logging();
            tracing::error!(error = %error, "cannot start the Tokio runtime");
            return ExitCode::from(71);
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
