//! The `connector-dispatcher` binary: reads the environment and runs the dispatcher.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::service::main(
        "dispatcher",
        dispatcher::config::DispatcherConfig::from_env,
        "DISPATCHER_LISTEN",
        "0.0.0.0:8081",
        dispatcher::run,
    )
    .await
}
