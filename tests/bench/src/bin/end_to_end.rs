//! Benchmarks 2, 3 and 4: end-to-end latency, resident memory, and API calls per access
//! request, all from one run.
//!
//! Both simulators answer at once (their rate limits off, and the dispatcher's own client-side
//! limits off). The driver pre-signs one `request.create` delivery per 4me request, then sends
//! them to the release ingress at a fixed rate. Latency runs from the instant the driver sends
//! a webhook to the instant the simulated IdentityNow received the access request for it (see
//! `connector_bench::submissions`). Resident memory of both services is read from `/proc`
//! after start, at the end of the load and after it settled.
//!
//! Options: `--rate 50 --seconds 20`.

use connector_bench::connector::{start_dispatcher, start_ingress};
use connector_bench::deliveries::{self, Prepared};
use connector_bench::memory::{self, mib, Resident};
use connector_bench::rabbit;
use connector_bench::services::Service;
use connector_bench::simulators::{Limits, Simulators};
use connector_bench::stats::{ms, verdict, Latencies};
use connector_bench::submissions::{submitted_request_ids, SubmissionClock};
use connector_bench::{cli, BenchError};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the services sit idle before and after the load when idle memory is read.
const IDLE: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("end-to-end benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BenchError> {
    let rate = cli::number("rate", 50).max(1);
    let seconds = cli::number("seconds", 20).max(1);
    let count = (rate * seconds) as usize;

    let simulators = Arc::new(Simulators::start(Limits::Off).await?);
    let pool = deliveries::sign(&simulators, count);
    println!("pre-signed {count} deliveries; sending {rate}/s for {seconds} s");

    let prefix = rabbit::unique_prefix("e2e");
    let ingress = start_ingress(&simulators, &prefix, "e2e-ingress").await?;
    let dispatcher =
        match start_dispatcher(&simulators, &prefix, Limits::Off, "e2e-dispatcher").await {
            Ok(dispatcher) => dispatcher,
            Err(error) => {
                ingress.stop();
                return Err(error);
            }
        };
    let outcome = measure(&simulators, &ingress, &dispatcher, pool, rate).await;
    ingress.stop();
    dispatcher.stop();
    let deleted = rabbit::delete_all(&prefix).await?;
    println!("deleted {deleted} queues under {prefix}");
    outcome
}

/// Memory of one service at the three moments.
struct MemoryReadings {
    idle_after_start: Option<Resident>,
    end_of_load: Option<Resident>,
    idle_after_load: Option<Resident>,
}

async fn measure(
    simulators: &Arc<Simulators>,
    ingress: &Service,
    dispatcher: &Service,
    pool: Vec<Prepared>,
    rate: u64,
) -> Result<(), BenchError> {
    let count = pool.len();
    tokio::time::sleep(IDLE).await;
    let idle = [
        memory::resident(ingress.pid()),
        memory::resident(dispatcher.pid()),
    ];
    let fourme_before = simulators.fourme.calls();
    let identitynow_before = simulators.identitynow.calls();

    // The load: one webhook every 1/rate s, each on its own task so a slow answer delays
    // no later send.
    let clock = SubmissionClock::start(simulators.clone());
    let http = reqwest::Client::new();
    let url = format!("{}/webhooks/4me", ingress.url);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    let mut sends = Vec::with_capacity(count);
    for delivery in pool {
        ticker.tick().await;
        sends.push(tokio::spawn(send(http.clone(), url.clone(), delivery)));
    }
    let mut sent_at = HashMap::new();
    let mut answered = Latencies::default();
    let mut refused = 0;
    for handle in sends {
        let Ok(sent) = handle.await else { continue };
        sent_at.insert(sent.request_id, sent.at);
        match sent.answered {
            Some(latency) => answered.push(latency),
            None => refused += 1,
        }
    }

    // Wait until every request was submitted and noted on 4me (so the counts are complete).
    let deadline = Instant::now() + Duration::from_secs(120);
    let ids: Vec<u64> = sent_at.keys().copied().collect();
    loop {
        let submitted = simulators.submissions_seen() as usize;
        let noted = ids
            .iter()
            .filter(|id| !simulators.fourme.notes(**id).is_empty())
            .count();
        if (submitted >= count && noted >= count) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let arrivals = clock.finish();
    let end_of_load = [
        memory::resident(ingress.pid()),
        memory::resident(dispatcher.pid()),
    ];
    let fourme_calls = simulators.fourme.calls() - fourme_before;
    let identitynow_calls = simulators.identitynow.calls() - identitynow_before;

    let submitted = submitted_request_ids(simulators);
    if submitted.len() != arrivals.len() {
        return Err(BenchError::Inconsistent(format!(
            "{} access-request calls timed but {} accepted; a call failed",
            arrivals.len(),
            submitted.len()
        )));
    }
    let mut end_to_end = Latencies::default();
    for (request_id, arrived) in submitted.iter().zip(&arrivals) {
        if let Some(sent) = request_id.and_then(|id| sent_at.get(&id)) {
            end_to_end.push(arrived.saturating_duration_since(*sent));
        }
    }

    tokio::time::sleep(IDLE).await;
    let idle_after = [
        memory::resident(ingress.pid()),
        memory::resident(dispatcher.pid()),
    ];

    println!();
    println!(
        "webhooks sent {count}, refused {refused}; access requests submitted {}",
        submitted.len()
    );
    println!("ingress answer       {}", answered.summary());
    println!("end to end           {}", end_to_end.summary());
    let (p50, p99) = (end_to_end.percentile(50.0), end_to_end.percentile(99.0));
    println!(
        "end-to-end p50 {} ms  target < 20 ms: {}",
        ms(p50),
        verdict(p50 < Duration::from_millis(20))
    );
    println!(
        "end-to-end p99 {} ms  target < 100 ms: {}",
        ms(p99),
        verdict(p99 < Duration::from_millis(100))
    );
    println!();
    for (index, name) in ["ingress", "dispatcher"].into_iter().enumerate() {
        print_memory(
            name,
            &MemoryReadings {
                idle_after_start: idle[index],
                end_of_load: end_of_load[index],
                idle_after_load: idle_after[index],
            },
        );
    }
    println!();
    print_calls(simulators, count, fourme_calls, identitynow_calls);
    Ok(())
}

/// One webhook sent: when, and how long the ingress took to answer 200 (`None` otherwise).
struct Sent {
    request_id: u64,
    at: Instant,
    answered: Option<Duration>,
}

async fn send(http: reqwest::Client, url: String, delivery: Prepared) -> Sent {
    let at = Instant::now();
    let response = http
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-4me-delivery", delivery.delivery_id)
        .body(delivery.body)
        .send()
        .await;
    let ok = response.is_ok_and(|response| response.status().as_u16() == 200);
    Sent {
        request_id: delivery.request_id,
        at,
        answered: ok.then(|| at.elapsed()),
    }
}

fn print_memory(name: &str, readings: &MemoryReadings) {
    let rss = |reading: Option<Resident>| reading.map_or("gone".into(), |r| mib(r.rss_kib));
    let peak = readings
        .idle_after_load
        .or(readings.end_of_load)
        .map(|r| r.hwm_kib)
        .unwrap_or(0);
    let idle = readings.idle_after_start.map(|r| r.rss_kib).unwrap_or(0);
    println!(
        "{name:<10} idle after start VmRSS {}  end of load VmRSS {}  idle after load VmRSS {}",
        rss(readings.idle_after_start),
        rss(readings.end_of_load),
        rss(readings.idle_after_load),
    );
    println!(
        "{name:<10} peak VmHWM {}  target < 64 MiB: {}   idle {}  target < 20 MiB: {}",
        mib(peak),
        verdict(peak > 0 && peak < 64 * 1024),
        mib(idle),
        verdict(idle > 0 && idle < 20 * 1024),
    );
}

fn print_calls(simulators: &Simulators, count: usize, fourme: u64, identitynow: u64) {
    let per = |calls: u64| calls as f64 / count as f64;
    println!(
        "API calls during the load: 4me {fourme} ({:.2} per access request), IdentityNow \
         {identitynow} ({:.2} per access request); the minimum is 1 each",
        per(fourme),
        per(identitynow)
    );
    println!("  4me, whole run, by route:");
    for (route, calls) in simulators.fourme_calls_by_route() {
        println!("    {route:<40} {calls:>6}");
    }
    println!("  IdentityNow, whole run, by route:");
    for (route, calls) in simulators.identitynow.calls_by_path() {
        println!("    {route:<40} {calls:>6}");
    }
}
