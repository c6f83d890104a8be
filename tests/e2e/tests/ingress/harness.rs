//! Runs the real ingress in the test process against the machine's RabbitMQ, each test under
//! its own queue prefix, and reads back what it stored and counted.

use crate::fourme;
use futures_util::StreamExt;
use ingress::account::Account;
use ingress::config::{IngressConfig, TriggerCredentials};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeleteOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};
use secrecy::SecretString;
use serde_json::Value;
use shared::broker::BrokerConfig;
use shared::envelope::Envelope;
use shared::topology::{Route, Topology};
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The machine's RabbitMQ, reached directly.
pub const RABBITMQ: &str = "127.0.0.1:5672";

/// The bearer token the tests' IdentityNow trigger subscription sends.
pub const TRIGGER_TOKEN: &str = "trigger-token-for-tests-only";

/// Eventual states get this long; a healthy run needs a fraction of it.
pub const PATIENCE: Duration = Duration::from_secs(45);

/// The AMQP URL for RabbitMQ at `address` with the default account.
pub fn amqp_url(address: &str) -> String {
    format!("amqp://guest:guest@{address}/%2f")
}

/// Settings for one test's ingress: RS256 policy with the fixture key, unsigned bodies refused,
/// the default events, a 64 KiB body limit, bearer-token triggers and a fresh queue prefix.
pub fn ingress_config(amqp_url: &str, extra_callback_hosts: Vec<String>) -> IngressConfig {
    let account = Account::from_url(fourme::ACCOUNT_URL, extra_callback_hosts).unwrap();
    IngressConfig {
        broker: BrokerConfig {
            url: SecretString::from(amqp_url.to_owned()),
            connection_name: "connector-ingress-test".into(),
            topology: Topology {
                prefix: format!("test-{}", uuid::Uuid::new_v4()),
                retry_tiers: vec![Duration::from_secs(3_600)],
                hold_time: Duration::from_secs(86_400),
            },
            confirm_timeout: Duration::from_secs(3),
        },
        policy: Some(fourme::fixture_policy(account.clone())),
        allow_unsigned: false,
        account,
        events: [
            "request.create",
            "request.update",
            "request.status-changed",
            "automation_rule",
        ]
        .map(String::from)
        .to_vec(),
        max_body_bytes: 64 * 1024,
        request_deadline: Duration::from_secs(9),
        trigger_credentials: Some(TriggerCredentials::Bearer(SecretString::from(
            TRIGGER_TOKEN.to_owned(),
        ))),
    }
}

/// An ingress running on 127.0.0.1, with a direct look into its work queue.
pub struct RunningIngress {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// What the ingress published to `<prefix>.work`.
    pub work: WorkQueue,
    http: reqwest::Client,
    stop: CancellationToken,
    served: JoinHandle<std::io::Result<()>>,
    topology: Topology,
}

/// One answer of the ingress.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body (`Null` when it was not JSON).
    pub body: Value,
}

impl Answer {
    /// The `reason` of a refusal, or "" when there is none.
    pub fn reason(&self) -> &str {
        self.body["reason"].as_str().unwrap_or_default()
    }
}

impl RunningIngress {
    /// Starts the ingress and waits until it is connected to RabbitMQ with its queues declared.
    pub async fn start(config: IngressConfig) -> RunningIngress {
        let topology = config.broker.topology.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let stop = CancellationToken::new();
        let served = tokio::spawn(ingress::run(config, listener, stop.clone()));
        let ingress = RunningIngress {
            base_url,
            work: WorkQueue::open(topology.queue(&Route::Work)).await,
            http: reqwest::Client::new(),
            stop,
            served,
            topology,
        };
        eventually("the ingress reports ready", || async {
            (ingress.ready_status().await == 200).then_some(())
        })
        .await;
        ingress
    }

    /// A 4me delivery as 4me sends it: JSON with a charset.
    pub fn fourme(&self, body: &Value) -> reqwest::RequestBuilder {
        self.fourme_raw("application/json; charset=utf-8", body.to_string())
    }

    /// A POST to `/webhooks/4me` with any content type and body.
    pub fn fourme_raw(&self, content_type: &str, body: String) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/webhooks/4me", self.base_url))
            .header("content-type", content_type)
            .body(body)
    }

    /// A bare POST to `/webhooks/identitynow`.
    pub fn identitynow(&self) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/webhooks/identitynow", self.base_url))
            .header("content-type", "application/json")
    }

    /// Sends a request and reads the answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer { status, body }
    }

    /// The status `/ready` answers.
    pub async fn ready_status(&self) -> u16 {
        let url = format!("{}/ready", self.base_url);
        self.http.get(url).send().await.unwrap().status().as_u16()
    }

    /// `connector_ingress_webhooks_total{source, outcome}` from `/metrics` (0 when absent).
    pub async fn webhooks_total(&self, source: &str, outcome: &str) -> u64 {
        let labels = [
            format!("source=\"{source}\""),
            format!("outcome=\"{outcome}\""),
        ];
        let value = self
            .metric("connector_ingress_webhooks_total", &labels)
            .await;
        value.map_or(0, |value| value.parse().unwrap())
    }

    /// `connector_ingress_connections_closed_total{reason}` from `/metrics`.
    pub async fn connections_closed(&self, reason: &str) -> u64 {
        let labels = [format!("reason=\"{reason}\"")];
        let value = self
            .metric("connector_ingress_connections_closed_total", &labels)
            .await;
        value.map_or(0, |value| value.parse().unwrap())
    }

    /// `connector_broker_connected{service="ingress"}` from `/metrics`.
    pub async fn broker_connected(&self) -> u64 {
        let labels = ["service=\"ingress\"".to_owned()];
        let value = self.metric("connector_broker_connected", &labels).await;
        value.unwrap().parse().unwrap()
    }

    /// The value of the sample of `name` that has all of `labels`.
    async fn metric(&self, name: &str, labels: &[String]) -> Option<String> {
        let url = format!("{}/metrics", self.base_url);
        let text = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let prefix = format!("{name}{{");
        text.lines()
            .filter(|line| line.starts_with(&prefix))
            .find(|line| {
                let sample_labels = &line[..line.find('}').unwrap()];
                labels
                    .iter()
                    .all(|label| sample_labels.contains(label.as_str()))
            })
            .map(|line| line.rsplit(' ').next().unwrap().to_owned())
    }

    /// Stops the ingress and deletes this test's exchange and queues.
    pub async fn finish(self) {
        self.stop.cancel();
        self.served.await.unwrap().unwrap();
        let routes = self.topology.routes();
        for route in routes {
            let name = self.topology.queue(&route);
            self.work.delete_queue(&name).await;
        }
        let channel = self.work.connection.create_channel().await.unwrap();
        channel
            .exchange_delete(
                self.topology.exchange().into(),
                ExchangeDeleteOptions::default(),
            )
            .await
            .unwrap();
    }
}

/// A message the ingress stored, as the dispatcher would get it.
#[derive(Debug)]
pub struct StoredEvent {
    /// The AMQP message id.
    pub message_id: Option<String>,
    /// 2 when persistent.
    pub delivery_mode: Option<u8>,
    /// The AMQP content type.
    pub content_type: Option<String>,
    /// The body.
    pub envelope: Envelope,
}

/// The test's `<prefix>.work` queue, read over its own connection to RabbitMQ.
pub struct WorkQueue {
    name: String,
    channel: Channel,
    connection: Connection,
}

impl WorkQueue {
    async fn open(name: String) -> WorkQueue {
        let connection = Connection::connect(&amqp_url(RABBITMQ), ConnectionProperties::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        WorkQueue {
            name,
            channel,
            connection,
        }
    }

    /// Takes (and acks) every message in the queue, oldest first.
    ///
    /// The work queue has a single active consumer, which RabbitMQ does not allow `basic.get`
    /// on, so this subscribes for as many messages as the queue holds, on a channel of its own.
    pub async fn take_all(&self) -> Vec<StoredEvent> {
        let waiting = self.len().await;
        if waiting == 0 {
            return Vec::new();
        }
        let channel = self.connection.create_channel().await.unwrap();
        let mut consumer = channel
            .basic_consume(
                self.name.as_str().into(),
                "ingress-test".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let mut events = Vec::new();
        for _ in 0..waiting {
            let delivery = tokio::time::timeout(PATIENCE, consumer.next())
                .await
                .expect("a counted message was not delivered")
                .unwrap()
                .unwrap();
            delivery.ack(BasicAckOptions::default()).await.unwrap();
            let properties = &delivery.properties;
            events.push(StoredEvent {
                message_id: properties.message_id().as_ref().map(|id| id.to_string()),
                delivery_mode: *properties.delivery_mode(),
                content_type: properties.content_type().as_ref().map(|t| t.to_string()),
                envelope: serde_json::from_slice(&delivery.data).unwrap(),
            });
        }
        channel.close(200, "taken".into()).await.unwrap();
        events
    }

    /// Deletes the queue `name`, as an operator might; a queue already gone is fine.
    pub async fn delete_queue(&self, name: &str) {
        // A fresh channel each time: deleting a missing queue may close the channel it used.
        let channel = self.connection.create_channel().await.unwrap();
        let _ = channel
            .queue_delete(name.into(), QueueDeleteOptions::default())
            .await;
    }

    /// This queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many messages wait in the queue.
    pub async fn len(&self) -> u32 {
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        self.channel
            .queue_declare(self.name.as_str().into(), passive, FieldTable::default())
            .await
            .unwrap()
            .message_count()
    }
}

/// Polls `check` until it yields a value; panics naming `what` after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
