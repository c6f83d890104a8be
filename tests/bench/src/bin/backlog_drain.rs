//! Extra benchmark: how fast a backlog drains when the simulators enforce the real rate limits
//! (IdentityNow 100 calls per 10 s, 4me 20 per 2 s) and the dispatcher runs with its default
//! client-side limits (95/10s and 19/2s).
//!
//! The ingress stores `--requests` webhooks while no dispatcher runs; then the dispatcher
//! starts and the clock runs from its start until the last access request is submitted and
//! until the last 4me note is written.
//!
//! Options: `--requests 120`.

use connector_bench::connector::{start_dispatcher, start_ingress};
use connector_bench::deliveries::{self, Prepared};
use connector_bench::load::KeepAlive;
use connector_bench::rabbit;
use connector_bench::simulators::{Limits, Simulators};
use connector_bench::{cli, BenchError};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("backlog drain benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BenchError> {
    let count = cli::number("requests", 120).max(1) as usize;
    let simulators = Simulators::start(Limits::Real).await?;
    let pool = deliveries::sign(&simulators, count);
    let prefix = rabbit::unique_prefix("drain");
    let ingress = start_ingress(&simulators, &prefix, "drain-ingress").await?;
    let stored = store_backlog(&ingress.address, &pool).await;
    ingress.stop();
    let outcome = match stored {
        Ok(()) => drain(&simulators, &prefix, &pool).await,
        Err(error) => Err(error),
    };
    let deleted = rabbit::delete_all(&prefix).await?;
    println!("deleted {deleted} queues under {prefix}");
    outcome
}

/// Posts every delivery through one keep-alive connection; all must be stored.
async fn store_backlog(address: &str, pool: &[Prepared]) -> Result<(), BenchError> {
    let mut connection = KeepAlive::new(address);
    for delivery in pool {
        let status = connection.send(&delivery.http_post(address)).await?;
        if status != 200 {
            return Err(BenchError::Http(format!("the ingress answered {status}")));
        }
    }
    println!("backlog of {} webhooks stored in RabbitMQ", pool.len());
    Ok(())
}

async fn drain(simulators: &Simulators, prefix: &str, pool: &[Prepared]) -> Result<(), BenchError> {
    let count = pool.len();
    let started = Instant::now();
    let dispatcher = start_dispatcher(simulators, prefix, Limits::Real, "drain-dispatcher").await?;
    let deadline = started + Duration::from_secs(20 + 2 * count as u64);
    let (mut all_submitted, mut all_noted) = (None, None);
    while Instant::now() < deadline && all_noted.is_none() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if all_submitted.is_none() && simulators.submissions_seen() as usize >= count {
            all_submitted = Some(started.elapsed());
        }
        let noted = pool
            .iter()
            .filter(|delivery| !simulators.fourme.notes(delivery.request_id).is_empty())
            .count();
        if noted >= count {
            all_noted = Some(started.elapsed());
        }
    }
    dispatcher.stop();

    let refused = |exchanges: Vec<sandbox::contract::Exchange>| {
        exchanges.iter().filter(|e| e.status == 429).count()
    };
    let rate = |elapsed: Option<Duration>| match elapsed {
        Some(elapsed) => format!(
            "{:.1} s, {:.2} requests/s",
            elapsed.as_secs_f64(),
            count as f64 / elapsed.as_secs_f64()
        ),
        None => "not within the deadline".into(),
    };
    println!("backlog {count} requests, limits on (dispatcher defaults 95/10s and 19/2s)");
    println!("all submitted to IdentityNow   {}", rate(all_submitted));
    println!("all noted on 4me               {}", rate(all_noted));
    println!(
        "calls: 4me {} ({} answered 429), IdentityNow {} ({} answered 429)",
        simulators.fourme.calls(),
        refused(simulators.fourme.exchanges()),
        simulators.identitynow.calls(),
        refused(simulators.identitynow.exchanges()),
    );
    Ok(())
}
