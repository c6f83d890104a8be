//! Benchmark 5: closing the loop. How long an IdentityNow state change takes to show on the
//! 4me request, and what a tracked request costs in API calls over its whole life, with event
//! triggers and with polling only.
//!
//! Each mode gets fresh simulators, its own queue prefix and freshly started release services.
//! The driver submits `--requests` access requests through the ingress (signed 4me webhooks),
//! waits for the submitted note and for the poll's "waiting for approval" note on each, then
//! approves them one every `--spread-seconds / --requests`, waits for every approved note,
//! and provisions them at the same pace. The latency of a step runs from the instant just
//! before the simulator's hook is called to the instant the note with the step's marker is
//! seen on the simulated 4me (see `connector_bench::note_clock`). Spreading the changes over a
//! whole poll interval spreads them evenly over the poll's phase.
//!
//! Both simulators answer at once (rate limits off, and the dispatcher's own limits off), so
//! the figures are the connector's own. Both modes poll every `--poll-seconds`; the triggers
//! mode also has the simulated IdentityNow's trigger subscription aimed at the ingress.
//!
//! Options: `--requests 100 --poll-seconds 10 --spread-seconds 10`.

use connector_bench::api_calls::{self, CallCounts};
use connector_bench::connector::{start_dispatcher_with, start_ingress_with};
use connector_bench::deliveries::{self, Prepared};
use connector_bench::note_clock::{Expected, NoteClock};
use connector_bench::rabbit;
use connector_bench::services::Service;
use connector_bench::simulators::{Limits, Simulators};
use connector_bench::stats::{ms, Latencies};
use connector_bench::tracked;
use connector_bench::{cli, BenchError};
use sandbox::identitynow::{Provisioning, TriggerTarget};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a phase may take beyond the poll interval before the run is called failed.
const GRACE: Duration = Duration::from_secs(30);

/// How IdentityNow's changes reach the connector.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Event triggers to the ingress, and the poll.
    Triggers,
    /// The poll alone.
    PollingOnly,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Triggers => "triggers",
            Mode::PollingOnly => "polling",
        }
    }
}

/// The run's options.
#[derive(Clone, Copy)]
struct Settings {
    requests: usize,
    poll: Duration,
    spread: Duration,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("progress benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BenchError> {
    let poll_seconds = cli::number("poll-seconds", 10).max(1);
    let settings = Settings {
        requests: cli::number("requests", 100).max(1) as usize,
        poll: Duration::from_secs(poll_seconds),
        spread: Duration::from_secs(cli::number("spread-seconds", poll_seconds)),
    };
    println!(
        "{} requests per mode, POLL_INTERVAL {} s, changes spread over {} s; rate limits off \
         (simulators and dispatcher)",
        settings.requests,
        settings.poll.as_secs(),
        settings.spread.as_secs()
    );
    for mode in [Mode::Triggers, Mode::PollingOnly] {
        run_mode(mode, settings).await?;
    }
    Ok(())
}

/// One mode, from starting the simulators to deleting its queues.
async fn run_mode(mode: Mode, settings: Settings) -> Result<(), BenchError> {
    let born = Instant::now();
    let simulators = Arc::new(Simulators::start(Limits::Off).await?);
    let pool = deliveries::sign(&simulators, settings.requests);
    let prefix = rabbit::unique_prefix(&format!("progress-{}", mode.name()));
    let trigger_token = format!("trigger-token-{prefix}");
    let ingress_env = vec![("IDN_TRIGGER_TOKEN", trigger_token.clone())];
    let log = |service: &str| -> &'static str {
        match (mode, service) {
            (Mode::Triggers, "ingress") => "progress-triggers-ingress",
            (Mode::Triggers, _) => "progress-triggers-dispatcher",
            (Mode::PollingOnly, "ingress") => "progress-polling-ingress",
            (Mode::PollingOnly, _) => "progress-polling-dispatcher",
        }
    };
    let ingress = start_ingress_with(&simulators, &prefix, log("ingress"), ingress_env).await?;
    let poll_interval = format!("{}ms", settings.poll.as_millis());
    let dispatcher_env = vec![("POLL_INTERVAL", poll_interval)];
    let dispatcher = match start_dispatcher_with(
        &simulators,
        &prefix,
        Limits::Off,
        log("dispatcher"),
        dispatcher_env,
    )
    .await
    {
        Ok(dispatcher) => dispatcher,
        Err(error) => {
            ingress.stop();
            return Err(error);
        }
    };
    if mode == Mode::Triggers {
        simulators
            .identitynow
            .set_trigger_target(Some(TriggerTarget {
                url: format!("{}/webhooks/identitynow", ingress.url),
                bearer_token: trigger_token,
            }));
    }

    let outcome = measure(mode, settings, born, &simulators, &ingress, &pool).await;
    simulators.identitynow.set_trigger_target(None);
    ingress.stop();
    dispatcher.stop();
    let deleted = rabbit::delete_all(&prefix).await?;
    println!("deleted {deleted} queues under {prefix}");
    outcome
}

/// Drives every request through its life and prints the figures.
async fn measure(
    mode: Mode,
    settings: Settings,
    born: Instant,
    simulators: &Arc<Simulators>,
    ingress: &Service,
    pool: &[Prepared],
) -> Result<(), BenchError> {
    let clock = NoteClock::start(simulators.clone());
    let started = Instant::now();
    // Counted from the simulators' start: the dispatcher's first poll and token are shared
    // costs of the run, so they belong in the table.
    let mut counts = vec![CallCounts::default()];
    let phase_limit = settings.poll + settings.spread + GRACE;

    // Submission: one webhook after the other, each answered 200, until every submitted note.
    tracked::submit(&clock, ingress, pool).await?;
    settle(&clock, "submitted", phase_limit).await?;
    counts.push(CallCounts::now(simulators));
    let tracked = tracked::access_requests(simulators, pool)?;

    // Waiting for approval: only a poll sees a new access request.
    let now = Instant::now();
    for (request_id, access_request_id) in &tracked {
        let marker = format!("[sailpoint-connector:{access_request_id}:awaiting:");
        clock.expect(*request_id, marker, now);
    }
    settle(&clock, "waiting for approval", phase_limit).await?;
    clock.take_seen();
    counts.push(CallCounts::now(simulators));

    // Approved, then provisioned: one change every spread / requests.
    let pace = settings.spread / settings.requests as u32;
    let approve = |id: &str| simulators.identitynow.approve(id, "fine by me");
    tracked::change_each(&clock, &tracked, pace, "approved", approve).await?;
    settle(&clock, "approved", phase_limit).await?;
    let approved = clock.take_seen();
    counts.push(CallCounts::now(simulators));

    let provision = |id: &str| {
        simulators
            .identitynow
            .provision(id, Provisioning::Succeeded)
    };
    tracked::change_each(&clock, &tracked, pace, "completed", provision).await?;
    settle(&clock, "completed", phase_limit).await?;
    let completed = clock.take_seen();
    counts.push(CallCounts::now(simulators));
    let elapsed = started.elapsed();
    let counted = born.elapsed();
    clock.finish();

    let closed = tracked
        .iter()
        .filter(|(id, _)| {
            simulators
                .fourme
                .request(*id)
                .is_some_and(|request| request["status"] == "completed")
        })
        .count();
    let mut approved = latencies(&approved);
    let mut completed = latencies(&completed);
    let mut both = Latencies::default();
    both.extend(approved.clone());
    both.extend(completed.clone());

    println!();
    match mode {
        Mode::Triggers => println!(
            "== with event triggers (and the poll every {} s); triggers sent {}",
            settings.poll.as_secs(),
            simulators.identitynow.triggers_sent()
        ),
        Mode::PollingOnly => println!(
            "== polling only, POLL_INTERVAL {} s (expected mean ≈ interval / 2 = {:.1} s)",
            settings.poll.as_secs(),
            settings.poll.as_secs_f64() / 2.0
        ),
    }
    println!("approved  → note on 4me   {}", approved.summary());
    println!("completed → note on 4me   {}", completed.summary());
    println!(
        "both                      {}  mean {} ms",
        both.summary(),
        ms(both.mean())
    );
    println!(
        "4me requests completed: {closed} of {}; first webhook to last note {:.1} s",
        tracked.len(),
        elapsed.as_secs_f64()
    );
    print_calls(&counts, tracked.len(), counted, settings.poll);
    Ok(())
}

async fn settle(clock: &NoteClock, phase: &str, limit: Duration) -> Result<(), BenchError> {
    if clock.settle(limit).await {
        return Ok(());
    }
    Err(BenchError::Inconsistent(format!(
        "{} notes of the phase '{phase}' did not appear within {} s",
        clock.outstanding(),
        limit.as_secs()
    )))
}

fn latencies(seen: &[(Expected, Duration)]) -> Latencies {
    let mut latencies = Latencies::default();
    for (_, latency) in seen {
        latencies.push(*latency);
    }
    latencies
}

/// The call table and the per-request figures.
fn print_calls(counts: &[CallCounts], requests: usize, elapsed: Duration, poll: Duration) {
    let names = ["submission", "waiting", "approved", "completed"];
    let phases: Vec<(&str, CallCounts)> = names
        .iter()
        .zip(counts.windows(2))
        .map(|(name, pair)| (*name, pair[1].since(&pair[0])))
        .collect();
    let whole = counts[counts.len() - 1].since(&counts[0]);
    let per = |calls: u64| calls as f64 / requests as f64;
    let route = |name: &str| whole.identitynow.get(name).copied().unwrap_or(0);
    let (polls, tokens) = (route(api_calls::POLL), route("POST /oauth/token"));
    println!("API calls over the requests' life, by phase (from the simulators' counters):");
    api_calls::print_phases(&phases, requests);
    println!(
        "per tracked request: 4me {:.2}; IdentityNow {:.2} without the shared calls: {polls} \
         polls and {tokens} token in {:.0} s (one poll per {} s, one token per ~12 min, \
         whatever the number of requests)",
        per(whole.fourme_total()),
        per(whole.identitynow_total() - whole.identitynow_shared()),
        elapsed.as_secs_f64(),
        poll.as_secs()
    );
}
