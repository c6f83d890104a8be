//! The `connector-ingress` binary: reads the environment and runs the ingress.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::service::main(
        "ingress",
        ingress::config::IngressConfig::from_env,
        "INGRESS_LISTEN",
        "0.0.0.0:8080",
        ingress::run,
    )
    .await
}
