//! The demo: the whole connector end to end on this machine.
//!
//! Starts the simulated 4me and IdentityNow (with their real rate limits), the real ingress and
//! dispatcher binaries against the local RabbitMQ, performs the webhook verify handshake, and
//! has 4me deliver a batch of signed webhooks: grants and revokes across five applications,
//! some for unknown people or roles or an unmapped application, some delivered twice. It shows
//! progress and ends with a table of what happened, checking every request against what should
//! have happened. Exit status 0 means every request ended as expected.

mod plan;
mod services;

use futures_util::stream::{self, StreamExt};
use plan::{Expected, Planned};
use sandbox::fourme::{Delivery, FourMe, FourMeConfig};
use sandbox::identitynow::{Autopilot, IdentityNow, IdentityNowConfig, TriggerTarget};
use sandbox::seed::Organisation;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PREFIX: &str = "connector-demo";
/// The broker: `AMQP_URL` (or the file named by `AMQP_URL_FILE`), else the local one.
fn amqp_url() -> String {
    std::env::var("AMQP_URL")
        .ok()
        .or_else(|| {
            let path = std::env::var("AMQP_URL_FILE").ok()?;
            std::fs::read_to_string(path)
                .ok()
                .map(|url| url.trim().to_owned())
        })
        .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}
const REQUESTS: usize = 240;
const TRIGGER_TOKEN: &str = "demo-trigger-token";

/// The last step IdentityNow's progress can write on a 4me request, by its marker's ending.
const FINAL_STEPS: [(&str, &str); 4] = [
    (":completed]", "provisioned: completed, solved"),
    (":rejected]", "rejected: completed, rejected"),
    (
        ":not_all_items_provisioned]",
        "partly provisioned: to the IAM team",
    ),
    (
        ":provisioning_failed]",
        "provisioning failed: to the IAM team",
    ),
];

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("demo failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, String> {
    let started = Instant::now();
    let http = reqwest::Client::new();
    let org = Organisation::generate();
    let fourme = FourMe::start(&org, FourMeConfig::default())
        .await
        .map_err(|e| e.to_string())?;
    let identitynow = IdentityNow::start(&org, IdentityNowConfig::default())
        .await
        .map_err(|e| e.to_string())?;
    println!("simulated 4me        {}", fourme.api_url());
    println!("simulated IdentityNow {}", identitynow.base_url());
    remove_queues().await;

    let key_file = write_public_key()?;
    let fourme_host = fourme.base_url().trim_start_matches("http://").to_owned();
    let common = [
        ("AMQP_URL", amqp_url()),
        ("CONNECTOR_QUEUE_PREFIX", PREFIX.to_owned()),
        ("RETRY_TIERS", "2s,5s,10s".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let mut ingress_env = common.to_vec();
    ingress_env.extend([
        ("INGRESS_LISTEN", "127.0.0.1:18080".to_owned()),
        ("FOURME_ACCOUNT_URL", fourme.config().account_url()),
        ("FOURME_JWT_ALG", "RS256".to_owned()),
        ("FOURME_JWT_PUBLIC_KEY_FILE", key_file),
        ("FOURME_JWT_AUDIENCE", fourme.config().jwt_audience.clone()),
        ("FOURME_VERIFY_EXTRA_HOSTS", fourme_host),
        ("IDN_TRIGGER_TOKEN", TRIGGER_TOKEN.to_owned()),
    ]);
    let mut dispatcher_env = common.to_vec();
    dispatcher_env.extend([
        ("DISPATCHER_LISTEN", "127.0.0.1:18083".to_owned()),
        (
            "MAPPING_FILE",
            std::env::var("MAPPING_FILE").unwrap_or_else(|_| "config/mapping.toml".to_owned()),
        ),
        ("FOURME_API_URL", fourme.api_url()),
        ("FOURME_ACCOUNT", fourme.config().account_id.clone()),
        ("FOURME_API_TOKEN", fourme.config().api_token.clone()),
        ("IDN_BASE_URL", identitynow.base_url()),
        ("IDN_CLIENT_ID", identitynow.config().client_id.clone()),
        (
            "IDN_CLIENT_SECRET",
            identitynow.config().client_secret.clone(),
        ),
        ("ADMIN_TOKEN", "demo-admin-token".to_owned()),
        ("POLL_INTERVAL", "5s".to_owned()),
    ]);
    let mut ingress = services::start("ingress", "connector-ingress", 18080, &ingress_env)
        .map_err(|e| e.to_string())?;
    let mut dispatcher =
        services::start("dispatcher", "connector-dispatcher", 18083, &dispatcher_env)
            .map_err(|e| e.to_string())?;
    let ready = async {
        ingress.wait_ready(&http).await?;
        dispatcher.wait_ready(&http).await
    }
    .await;
    if let Err(error) = ready {
        ingress.stop();
        dispatcher.stop();
        return Err(error);
    }
    println!(
        "ingress {}  dispatcher {}  (logs in {}/)",
        ingress.url,
        dispatcher.url,
        services::log_dir().display()
    );

    // IdentityNow decides and provisions on its own, and tells the ingress by event trigger.
    identitynow.set_autopilot(Some(Autopilot::demo()));
    identitynow.set_trigger_target(Some(TriggerTarget {
        url: format!("{}/webhooks/identitynow", ingress.url),
        bearer_token: TRIGGER_TOKEN.to_owned(),
    }));

    let verify = fourme.verify_webhook(true);
    let verified = post(&http, &ingress.url, &verify).await == 200 && fourme.verified();
    println!(
        "webhook.verify handshake: {}",
        if verified { "done" } else { "FAILED" }
    );

    let planned = plan::plan(&org, REQUESTS);
    let outcome = deliver_and_watch(&http, &fourme, &ingress.url, &planned).await;
    let report = report(&fourme, &identitynow, &planned, &outcome, started.elapsed());
    ingress.stop();
    dispatcher.stop();
    remove_queues().await;
    Ok(verified && report)
}

/// What happened to the deliveries.
struct Outcome {
    request_ids: Vec<u64>,
    sent: usize,
    accepted: usize,
}

async fn deliver_and_watch(
    http: &reqwest::Client,
    fourme: &FourMe,
    ingress: &str,
    planned: &[Planned],
) -> Outcome {
    let mut deliveries: Vec<Delivery> = Vec::new();
    let mut request_ids = Vec::new();
    for item in planned {
        let id = fourme.create_request(item.spec.clone());
        request_ids.push(id);
        let delivery = fourme.webhook("request.create", id, true);
        if item.repeated {
            deliveries.push(delivery.clone());
        }
        deliveries.push(delivery);
    }
    let sent = deliveries.len();
    println!(
        "4me delivers {sent} signed webhooks for {} requests ...",
        planned.len()
    );
    let statuses: Vec<u16> = stream::iter(deliveries.iter())
        .map(|delivery| post(http, ingress, delivery))
        .buffer_unordered(16)
        .collect()
        .await;
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    println!("ingress accepted {accepted}/{sent}; the dispatcher works through them:");

    let expecting_notes = planned
        .iter()
        .filter(|p| p.expected != Expected::Ignored)
        .count();
    let submitted = planned
        .iter()
        .filter(|p| p.expected == Expected::Submitted)
        .count();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let noted = request_ids
            .iter()
            .filter(|id| !fourme.notes(**id).is_empty())
            .count();
        let finished = request_ids
            .iter()
            .filter(|id| final_step(fourme, **id).is_some())
            .count();
        println!(
            "  {noted:>3}/{expecting_notes} requests answered on 4me, \
             {finished:>3}/{submitted} finished in IdentityNow and written back"
        );
        let done = noted >= expecting_notes && finished >= submitted;
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    Outcome {
        request_ids,
        sent,
        accepted,
    }
}

/// The final progress step on a 4me request, if IdentityNow's outcome is written there.
fn final_step(fourme: &FourMe, request_id: u64) -> Option<&'static str> {
    let notes = fourme.notes(request_id);
    FINAL_STEPS
        .iter()
        .find(|(marker, _)| notes.iter().any(|note| note.text.contains(marker)))
        .map(|(_, label)| *label)
}

fn report(
    fourme: &FourMe,
    identitynow: &IdentityNow,
    planned: &[Planned],
    outcome: &Outcome,
    elapsed: Duration,
) -> bool {
    let submissions = identitynow.access_requests();
    let mut per_request: BTreeMap<String, usize> = BTreeMap::new();
    for submitted in &submissions {
        if let Some(id) = submitted.body["clientMetadata"]["fourmeRequestId"].as_str() {
            *per_request.entry(id.to_owned()).or_default() += 1;
        }
    }
    let mut by_expected: BTreeMap<Expected, usize> = BTreeMap::new();
    let mut as_expected = 0;
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut notes = 0;
    for (item, id) in planned.iter().zip(&outcome.request_ids) {
        *by_expected.entry(item.expected).or_default() += 1;
        let texts: Vec<String> = fourme.notes(*id).into_iter().map(|n| n.text).collect();
        notes += texts.len();
        let submitted = per_request.get(&id.to_string()).copied().unwrap_or(0);
        let ok = match (item.expected, item.expected.note_says()) {
            (Expected::Submitted, Some(words)) => {
                let step = final_step(fourme, *id);
                if let Some(step) = step {
                    *outcomes.entry(step).or_default() += 1;
                }
                texts.iter().filter(|t| t.contains(words)).count() == 1
                    && submitted == 1
                    && step.is_some()
            }
            (_, Some(words)) => texts.len() == 1 && texts[0].contains(words) && submitted == 0,
            (_, None) => texts.is_empty() && submitted == 0,
        };
        if ok {
            as_expected += 1;
        } else {
            println!(
                "  request #{id}: expected {:?}, notes {texts:?}, submissions {submitted}",
                item.expected
            );
        }
    }
    let twice = per_request.values().filter(|n| **n > 1).count();
    let revokes = planned.iter().filter(|p| p.revoke).count();
    let repeated = planned.iter().filter(|p| p.repeated).count();
    println!();
    println!("{:<44}{:>6}", "webhooks delivered by 4me", outcome.sent);
    println!("{:<44}{:>6}", "  of which repeated deliveries", repeated);
    println!("{:<44}{:>6}", "accepted by the ingress", outcome.accepted);
    println!("{:<44}{:>6}", "4me requests", planned.len());
    for (expected, count) in &by_expected {
        println!("{:<44}{:>6}", format!("  {}", expected.label()), count);
    }
    println!("{:<44}{:>6}", "    of which revokes", revokes);
    println!(
        "{:<44}{:>6}",
        "access requests IdentityNow received",
        submissions.len()
    );
    println!(
        "{:<44}{:>6}",
        "  4me requests submitted more than once", twice
    );
    println!(
        "{:<44}{:>6}",
        "IdentityNow outcomes written back on 4me",
        outcomes.values().sum::<usize>()
    );
    for (outcome, count) in &outcomes {
        println!("{:<44}{:>6}", format!("  {outcome}"), count);
    }
    println!("{:<44}{:>6}", "notes recorded back on 4me", notes);
    println!(
        "{:<44}{:>6}",
        "event triggers IdentityNow sent",
        identitynow.triggers_sent()
    );
    println!("{:<44}{:>6}", "API calls to 4me", fourme.calls());
    println!(
        "{:<44}{:>6}",
        "API calls to IdentityNow",
        identitynow.calls()
    );
    println!("{:<44}{:>5.0}s", "elapsed", elapsed.as_secs_f64());
    println!();
    let all = as_expected == planned.len() && twice == 0;
    println!(
        "{} {as_expected}/{} requests ended as expected",
        if all { "OK:" } else { "PROBLEM:" },
        planned.len()
    );
    all
}

async fn post(http: &reqwest::Client, ingress: &str, delivery: &Delivery) -> u16 {
    let mut request = http
        .post(format!("{ingress}/webhooks/4me"))
        .body(delivery.body.clone());
    for (name, value) in delivery.headers() {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}

fn write_public_key() -> Result<String, String> {
    std::fs::create_dir_all(services::log_dir()).map_err(|e| e.to_string())?;
    let path = services::log_dir().join("webhook-policy-public-key.pem");
    std::fs::write(&path, sandbox::fourme::PUBLIC_KEY_PEM).map_err(|e| e.to_string())?;
    Ok(path.display().to_string())
}

/// Removes the demo's queues and exchange, so each run starts clean.
async fn remove_queues() {
    use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
    let Ok(connection) = lapin::Connection::connect(&amqp_url(), Default::default()).await else {
        return;
    };
    if let Ok(channel) = connection.create_channel().await {
        for suffix in ["work", "wait.2s", "wait.5s", "wait.10s", "hold", "expired"] {
            let queue = format!("{PREFIX}.{suffix}");
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        let _ = channel
            .exchange_delete(PREFIX.into(), ExchangeDeleteOptions::default())
            .await;
    }
    let _ = connection.close(200, "demo done".into()).await;
}
