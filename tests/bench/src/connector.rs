//! The real connector's two binaries, pointed at the simulators and a run's own queue prefix.

use crate::rabbit;
use crate::services::{self, Service};
use crate::simulators::{Limits, Simulators};
use crate::BenchError;

/// Starts the release ingress and waits until it is ready.
pub async fn start_ingress(
    simulators: &Simulators,
    prefix: &str,
    log_name: &'static str,
) -> Result<Service, BenchError> {
    start_ingress_with(simulators, prefix, log_name, Vec::new()).await
}

/// Starts the release ingress with `extra` environment on top, and waits until it is ready.
pub async fn start_ingress_with(
    simulators: &Simulators,
    prefix: &str,
    log_name: &'static str,
    extra: Vec<(&'static str, String)>,
) -> Result<Service, BenchError> {
    let port = services::free_port()?;
    let mut env = services::common_env(rabbit::AMQP_URL, prefix);
    env.extend(simulators.ingress_env(port)?);
    env.extend(extra);
    let mut ingress = services::start(log_name, "connector-ingress", port, &env)?;
    ready(&mut ingress).await?;
    Ok(ingress)
}

/// Starts the release dispatcher and waits until it is ready.
pub async fn start_dispatcher(
    simulators: &Simulators,
    prefix: &str,
    limits: Limits,
    log_name: &'static str,
) -> Result<Service, BenchError> {
    start_dispatcher_with(simulators, prefix, limits, log_name, Vec::new()).await
}

/// Starts the release dispatcher with `extra` environment on top, and waits until it is ready.
pub async fn start_dispatcher_with(
    simulators: &Simulators,
    prefix: &str,
    limits: Limits,
    log_name: &'static str,
    extra: Vec<(&'static str, String)>,
) -> Result<Service, BenchError> {
    let port = services::free_port()?;
    let mut env = services::common_env(rabbit::AMQP_URL, prefix);
    env.extend(simulators.dispatcher_env(port, limits));
    env.extend(extra);
    let mut dispatcher = services::start(log_name, "connector-dispatcher", port, &env)?;
    ready(&mut dispatcher).await?;
    Ok(dispatcher)
}

async fn ready(service: &mut Service) -> Result<(), BenchError> {
    service.wait_ready(&reqwest::Client::new()).await
}
