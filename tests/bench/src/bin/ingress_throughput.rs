//! Benchmark 1: webhooks per second through the release `connector-ingress`, next to what a
//! plain lapin publisher gets from the same broker at the same concurrency (the ceiling).
//!
//! Both sides keep `--concurrency` operations in flight (default 64): the ingress side over
//! that many HTTP/1.1 keep-alive connections, each POSTing RS256-signed deliveries from a
//! pre-signed pool with the lean client of [`connector_bench::load::KeepAlive`]; the ceiling
//! side as that many concurrent persistent, mandatory publishes with confirms on one channel,
//! the same body to the same quorum queue. Phases alternate (ceiling, ingress, ingress,
//! ceiling, …), each with a warm-up that is not counted, and the work queue is purged before
//! each.
//!
//! Options: `--concurrency 64 --warmup 2 --measure 8 --rounds 2 --pool 1024`, and
//! `--ingress-workers N` to run the ingress with N Tokio worker threads (default: the
//! ingress's own default, `INGRESS_WORKER_THREADS=1`).

use bytes::Bytes;
use connector_bench::cpu::CpuSnapshot;
use connector_bench::deliveries::{self, Prepared};
use connector_bench::load::{
    closed_loop, closed_loop_on_own_thread, KeepAlive, Phase, PhaseResult, Tally, Window,
};
use connector_bench::rabbit::{self, CeilingPublisher};
use connector_bench::services::{self, Service};
use connector_bench::simulators::{Limits, Simulators};
use connector_bench::stats::{ms, verdict, Latencies};
use connector_bench::{cli, memory, BenchError};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ingress throughput benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BenchError> {
    let concurrency = cli::number("concurrency", 64) as usize;
    let window = Window {
        warm_up: Duration::from_secs(cli::number("warmup", 2)),
        measure: Duration::from_secs(cli::number("measure", 8)),
    };
    let rounds = cli::number("rounds", 2);
    let pool_size = cli::number("pool", 1024) as usize;

    // Sign the pool before anything is timed.
    let simulators = Simulators::start(Limits::Off).await?;
    let signing = Instant::now();
    let pool = deliveries::sign(&simulators, pool_size);
    println!(
        "pre-signed {} RS256 deliveries in {:.1} s",
        pool.len(),
        signing.elapsed().as_secs_f64()
    );

    let prefix = rabbit::unique_prefix("ingress");
    let port = services::free_port()?;
    let mut env = services::common_env(rabbit::AMQP_URL, &prefix);
    env.extend(simulators.ingress_env(port)?);
    let workers = cli::number("ingress-workers", 0);
    if workers > 0 {
        env.push(("INGRESS_WORKER_THREADS", workers.to_string()));
    }
    let mut ingress = services::start("ingress-throughput", "connector-ingress", port, &env)?;
    let outcome = match ingress.wait_ready(&reqwest::Client::new()).await {
        Ok(()) => measure(&ingress, &prefix, &pool, concurrency, window, rounds).await,
        Err(error) => Err(error),
    };
    let pid = ingress.pid();
    let resident = memory::resident(pid);
    ingress.stop();
    let deleted = rabbit::delete_all(&prefix).await?;
    println!("deleted {deleted} queues under {prefix}");
    let report = outcome?;
    report.print(concurrency, window, resident);
    Ok(())
}

/// Every phase's result, by side.
struct Report {
    ceiling: Vec<PhaseResult>,
    ingress: Vec<PhaseResult>,
}

async fn measure(
    ingress: &Service,
    prefix: &str,
    pool: &[Prepared],
    concurrency: usize,
    window: Window,
    rounds: u64,
) -> Result<Report, BenchError> {
    let connection = rabbit::connect("connector-bench-ceiling").await?;
    let body = deliveries::stored_body(&pool[0])?;
    let requests: Arc<Vec<Bytes>> = Arc::new(
        pool.iter()
            .map(|delivery| delivery.http_post(&ingress.address))
            .collect(),
    );
    let publisher = CeilingPublisher::open(&connection, prefix, body).await?;
    let mut report = Report {
        ceiling: Vec::new(),
        ingress: Vec::new(),
    };
    for round in 0..rounds {
        let ceiling_first = round % 2 == 0;
        for ceiling in [ceiling_first, !ceiling_first] {
            rabbit::purge_work(&connection, prefix).await?;
            tokio::time::sleep(rabbit::SETTLE).await;
            let cpu_before = CpuSnapshot::take(ingress.pid());
            let started = Instant::now();
            let result = if ceiling {
                let publisher = publisher.clone();
                closed_loop(concurrency, window, move |worker, phase| {
                    publisher.clone().work(worker, phase)
                })
                .await
            } else {
                let address = ingress.address.clone();
                let requests = requests.clone();
                closed_loop_on_own_thread(concurrency, window, move |worker, phase| {
                    post_deliveries(
                        address.clone(),
                        requests.clone(),
                        worker,
                        concurrency,
                        phase,
                    )
                })
                .await?
            };
            let (service, driver, machine) = CpuSnapshot::take(ingress.pid())
                .cores_since(&cpu_before, started.elapsed().as_secs_f64());
            let side = if ceiling { "ceiling" } else { "ingress" };
            println!(
                "round {} {side:<8} {:>7.0} msg/s  failed {}  cores used: ingress {service:.2}, \
                 driver {driver:.2}, machine {machine:.2}",
                round + 1,
                result.rate,
                result.failed
            );
            if ceiling {
                report.ceiling.push(result);
            } else {
                report.ingress.push(result);
            }
        }
    }
    rabbit::purge_work(&connection, prefix).await?;
    let _ = connection.close(200, "bench done".into()).await;
    Ok(report)
}

/// One ingress worker: its own keep-alive connection, every `stride`-th delivery of the pool.
async fn post_deliveries(
    address: String,
    requests: Arc<Vec<Bytes>>,
    worker: usize,
    stride: usize,
    phase: Phase,
) -> Tally {
    let mut connection = KeepAlive::new(&address);
    let mut tally = Tally::default();
    let mut next = worker;
    while phase.running() {
        let request = &requests[next % requests.len()];
        next += stride;
        let started = Instant::now();
        let status = connection.send(request).await;
        tally.record(&phase, started, matches!(status, Ok(200)));
    }
    tally
}

impl Report {
    fn print(self, concurrency: usize, window: Window, resident: Option<memory::Resident>) {
        let mean = |results: &[PhaseResult]| {
            results.iter().map(|r| r.rate).sum::<f64>() / results.len().max(1) as f64
        };
        let ceiling = mean(&self.ceiling);
        let ingress = mean(&self.ingress);
        let failed: u64 = self.ingress.iter().map(|r| r.failed).sum();
        // Each round's own ratio: the broker's speed drifts with the disk, so the spread
        // between rounds says how far the overall figure can be trusted.
        let by_round: Vec<String> = self
            .ingress
            .iter()
            .zip(&self.ceiling)
            .map(|(ingress, ceiling)| match ceiling.rate > 0.0 {
                true => format!("{:.1} %", 100.0 * ingress.rate / ceiling.rate),
                false => "no ceiling".to_owned(),
            })
            .collect();
        let mut latencies = Latencies::default();
        let mut ceiling_latencies = Latencies::default();
        for result in self.ingress {
            latencies.extend(result.latencies);
        }
        for result in self.ceiling {
            ceiling_latencies.extend(result.latencies);
        }
        let ratio = if ceiling > 0.0 {
            ingress / ceiling
        } else {
            0.0
        };
        let p99 = latencies.percentile(99.0);
        println!();
        println!(
            "concurrency {concurrency}, warm-up {:?}, measured {:?} per phase",
            window.warm_up, window.measure
        );
        println!("ceiling (lapin, confirms)  {ceiling:>7.0} msg/s (mean of phases)");
        println!(
            "ingress (HTTP, RS256)      {ingress:>7.0} msg/s (mean of phases), {failed} failed"
        );
        println!(
            "ratio                      {:>6.1} %   target >= 60 %: {}",
            ratio * 100.0,
            verdict(ratio >= 0.6)
        );
        println!("ratio by round             {}", by_round.join(", "));
        println!("ingress latency            {}", latencies.summary());
        println!(
            "ingress p99                {} ms   target < 50 ms: {}",
            ms(p99),
            verdict(p99 < Duration::from_millis(50))
        );
        println!("ceiling latency            {}", ceiling_latencies.summary());
        if let Some(resident) = resident {
            println!(
                "ingress memory after run   VmHWM {}  VmRSS {}",
                memory::mib(resident.hwm_kib),
                memory::mib(resident.rss_kib)
            );
        }
    }
}
