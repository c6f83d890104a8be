//! Graceful stop, as Kubernetes does it on a rollout (SIGTERM; here the services' stop token).
//!
//! - The dispatcher stops consuming at once, lets in-flight work finish within the drain
//!   bound, and acks nothing it did not finish: work that outlasts the bound is aborted and
//!   back in the work queue for the next dispatcher, which completes it exactly once.
//! - The ingress refuses new connections first, still answers the webhook in flight (200,
//!   because it was stored), and only then closes its broker connection.

mod shutdown {
    pub mod slow_fourme;
}
mod support;

use ingress::account::Account;
use ingress::config::IngressConfig;
use ingress::signature::{PolicyKey, WebhookPolicy};
use sandbox::fourme::{Delivery, RequestSpec, PUBLIC_KEY_PEM};
use shared::topology::Route;
use shutdown::slow_fourme::SlowFourMe;
use std::time::Duration;
use support::{eventually, Options, World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const SUBMITTED: &str = "[sailpoint-connector:submitted]";

/// A dispatcher of this world, reaching 4me at `fourme_base` (the gate or the simulator).
struct Dispatcher {
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start_dispatcher(world: &World, fourme_base: &str, drain: Duration) -> Dispatcher {
    let mut config = world.dispatcher_config();
    config.fourme_api_url = format!("{fourme_base}/v1");
    config.consumer.drain_timeout = drain;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let stop = CancellationToken::new();
    let task = tokio::spawn(dispatcher::run(config, listener, stop.clone()));
    Dispatcher { stop, task }
}

/// A grant for the second seeded person; returns the 4me request id after the ingress took it.
async fn grant(world: &World) -> u64 {
    let person = world.org.identities().nth(1).expect("seeded identity");
    let app = &world.org.applications[0];
    let item = &app.access_profiles[0].name;
    world
        .request(RequestSpec::grant(
            person.fourme_id,
            app.service_instance_id,
            item,
        ))
        .await
}

fn quiet_world() -> Options {
    Options {
        start_dispatcher: false,
        ..Options::default()
    }
}

#[tokio::test]
async fn in_flight_work_finishes_within_the_drain_bound_and_nothing_new_is_consumed() {
    let world = World::start(quiet_world()).await;
    let gate = SlowFourMe::start(world.fourme.base_url()).await;
    let first = start_dispatcher(&world, &gate.base_url, Duration::from_secs(15)).await;

    // An event is in flight (4me is slow) when the stop comes.
    let in_flight = grant(&world).await;
    eventually("the event is in flight", || async { gate.arrived() >= 1 }).await;
    first.stop.cancel();

    // After the stop, a new event is stored but not taken.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after_stop = grant(&world).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    gate.open();
    tokio::time::timeout(Duration::from_secs(20), first.task)
        .await
        .expect("the dispatcher stops within the drain bound")
        .expect("the dispatcher task")
        .expect("the dispatcher stops cleanly");

    // The in-flight one was finished and acked; the later one waits untouched.
    assert_eq!(world.submissions_for(in_flight).len(), 1);
    assert_eq!(world.notes_with(in_flight, SUBMITTED), 1);
    assert!(world.submissions_for(after_stop).is_empty());
    // (The work queue may also hold IdentityNow status events for the first request.)
    assert!(world.queue_len(&Route::Work).await >= 1);

    // The next dispatcher takes it; nothing is done twice.
    let second = start_dispatcher(&world, &world.fourme.base_url(), Duration::from_secs(5)).await;
    eventually("the later event is delivered", || async {
        world.notes_with(after_stop, SUBMITTED) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(world.submissions_for(after_stop).len(), 1);
    assert_eq!(world.submissions_for(in_flight).len(), 1);
    second.stop.cancel();
    let _ = second.task.await;
    world.finish().await;
}

#[tokio::test]
async fn work_that_outlasts_the_drain_bound_is_not_acked_and_completes_once_later() {
    let world = World::start(quiet_world()).await;
    let gate = SlowFourMe::start(world.fourme.base_url()).await;
    let drain = Duration::from_millis(500);
    let first = start_dispatcher(&world, &gate.base_url, drain).await;

    let request_id = grant(&world).await;
    eventually("the event is in flight", || async { gate.arrived() >= 1 }).await;
    first.stop.cancel();
    // The gate never opens, so only the drain bound can end this stop.
    tokio::time::timeout(Duration::from_secs(30), first.task)
        .await
        .expect("the dispatcher stops despite the stuck call")
        .expect("the dispatcher task")
        .expect("the dispatcher stops cleanly");

    // Not acked: the message is back in the work queue. And the aborted work does nothing
    // more, even once 4me answers again.
    eventually("the unfinished event is back in the work queue", || async {
        world.queue_len(&Route::Work).await == 1
    })
    .await;
    gate.open();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(gate.passed(), 0, "aborted work still called 4me");
    assert!(world.submissions_for(request_id).is_empty());

    // A new dispatcher completes it exactly once.
    let second = start_dispatcher(&world, &world.fourme.base_url(), Duration::from_secs(5)).await;
    eventually("the event is delivered", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(world.submissions_for(request_id).len(), 1);
    assert_eq!(world.notes_with(request_id, SUBMITTED), 1);
    assert_eq!(world.queue_len(&Route::Work).await, 0);
    second.stop.cancel();
    let _ = second.task.await;
    world.finish().await;
}

/// An ingress of this world with a stop token of the test's own (the world's ingress keeps
/// its token private).
fn ingress_config(world: &World) -> IngressConfig {
    let fourme_host = world.fourme.base_url().replace("http://", "");
    let account = Account::from_url(&world.fourme.config().account_url(), vec![fourme_host])
        .expect("the simulator's account URL");
    let policy = WebhookPolicy::new(
        "RS256",
        PolicyKey::PublicKeyPem(PUBLIC_KEY_PEM.into()),
        account.clone(),
        Some(world.fourme.config().jwt_audience.clone()),
    )
    .expect("the simulator's webhook policy");
    let mut broker = world.dispatcher_config().broker;
    broker.connection_name = "test-ingress-shutdown".into();
    IngressConfig {
        broker,
        policy: Some(policy),
        allow_unsigned: false,
        account,
        events: vec!["request.create".into()],
        max_body_bytes: 256 * 1024,
        request_deadline: Duration::from_secs(9),
        trigger_credentials: None,
    }
}

/// The HTTP/1.1 request for `delivery`, split into its head and body.
fn raw_request(delivery: &Delivery) -> (String, Vec<u8>) {
    let mut head = format!(
        "POST /webhooks/4me HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n",
        delivery.body.len()
    );
    for (name, value) in delivery.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    (head, delivery.body.clone().into())
}

#[tokio::test]
async fn the_ingress_refuses_new_connections_but_answers_the_webhook_in_flight() {
    let world = World::start(quiet_world()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("bound");
    let stop = CancellationToken::new();
    let ingress = tokio::spawn(ingress::run(ingress_config(&world), listener, stop.clone()));
    let http = world.http.clone();
    eventually("the ingress is ready", || {
        let http = http.clone();
        async move {
            http.get(format!("http://{address}/ready"))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success())
        }
    })
    .await;

    // A webhook is half sent when the stop comes.
    let person = world.org.identities().nth(1).expect("seeded identity");
    let app = &world.org.applications[0];
    let request_id = world.fourme.create_request(RequestSpec::grant(
        person.fourme_id,
        app.service_instance_id,
        &app.access_profiles[0].name,
    ));
    let delivery = world.fourme.webhook("request.create", request_id, true);
    let (head, body) = raw_request(&delivery);
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut in_flight = TcpStream::connect(address).await.expect("connects");
    in_flight
        .write_all(head.as_bytes())
        .await
        .expect("head sent");
    in_flight.write_all(first_half).await.expect("half sent");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();

    // New connections are refused while the one in flight is still open.
    eventually("new connections are refused", || async {
        TcpStream::connect(address).await.is_err()
    })
    .await;
    assert!(
        !ingress.is_finished(),
        "the ingress waits for the request in flight"
    );

    // The request in flight completes: stored, so 200.
    in_flight.write_all(second_half).await.expect("rest sent");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), in_flight.read_to_end(&mut answer))
        .await
        .expect("the ingress answers and closes")
        .expect("answer read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the in-flight webhook is answered 200: {answer}"
    );
    assert_eq!(world.queue_len(&Route::Work).await, 1, "and it is stored");

    tokio::time::timeout(Duration::from_secs(10), ingress)
        .await
        .expect("the ingress stops after its last request")
        .expect("the ingress task")
        .expect("the ingress stops cleanly");
    world.finish().await;
}

#[tokio::test]
async fn a_dispatcher_stopped_between_submitting_and_acking_submits_once() {
    let world = World::start(quiet_world()).await;
    // Reads reach 4me; the note that would follow the submission waits at the gate.
    let gate = SlowFourMe::start_holding_writes(world.fourme.base_url()).await;
    let first = start_dispatcher(&world, &gate.base_url, Duration::from_millis(300)).await;

    let request_id = grant(&world).await;
    eventually("submitted to IdentityNow", || async {
        world.submissions_for(request_id).len() == 1
    })
    .await;
    eventually("the note is held at the gate", || async {
        gate.arrived() >= 1
    })
    .await;
    first.stop.cancel();
    tokio::time::timeout(Duration::from_secs(30), first.task)
        .await
        .expect("the first dispatcher stops despite the held note")
        .expect("the dispatcher task")
        .expect("the dispatcher stops cleanly");
    assert!(world.notes(request_id).is_empty(), "nothing was noted yet");

    // The unacked message comes back to the next dispatcher, which must not submit again.
    let second = start_dispatcher(&world, &world.fourme.base_url(), Duration::from_secs(5)).await;
    eventually("the note is written", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;
    assert_eq!(world.submissions_for(request_id).len(), 1, "submitted once");
    assert_eq!(world.notes_with(request_id, SUBMITTED), 1);
    eventually("the work queue is empty", || async {
        world.queue_len(&Route::Work).await == 0
    })
    .await;
    gate.open();
    second.stop.cancel();
    let _ = second.task.await;
    world.finish().await;
}
