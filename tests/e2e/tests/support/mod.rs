//! The test harness: the simulated 4me and IdentityNow, the real ingress and dispatcher in
//! this process, and a RabbitMQ topology of their own (a unique queue prefix per test).

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use dispatcher::config::DispatcherConfig;
use dispatcher::consumer::ConsumerSettings;
use dispatcher::identitynow::client::ApiPaths;
use dispatcher::mapping::Mapping;
use dispatcher::schedule::Schedule;
use ingress::account::Account;
use ingress::config::{IngressConfig, TriggerCredentials};
use ingress::signature::{PolicyKey, WebhookPolicy};
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use sandbox::fourme::{Delivery, FourMe, FourMeConfig, RequestSpec, PUBLIC_KEY_PEM};
use sandbox::identitynow::{IdentityNow, IdentityNowConfig};
use sandbox::seed::Organisation;
use secrecy::SecretString;
use shared::broker::BrokerConfig;
use shared::topology::{Route, Topology};
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const TRIGGER_TOKEN: &str = "test-trigger-token";

/// How a test wants the world set up.
pub struct Options {
    pub retry_tiers: Vec<Duration>,
    pub window: Duration,
    pub hold_time: Duration,
    pub notify_after: u32,
    pub notify_url: Option<String>,
    /// How long an expiry that 4me could not record waits before it is tried again.
    pub expiry_retry_delay: Duration,
    pub fourme: FourMeConfig,
    pub identitynow: IdentityNowConfig,
    pub start_dispatcher: bool,
    pub poll_interval: Duration,
    /// Where the dispatcher finds RabbitMQ, when not directly (a proxy a test can cut).
    pub dispatcher_amqp_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retry_tiers: vec![Duration::from_millis(300), Duration::from_millis(600)],
            window: Duration::from_secs(3 * 3600),
            hold_time: Duration::from_secs(7 * 86_400),
            notify_after: 3,
            notify_url: None,
            expiry_retry_delay: Duration::from_millis(500),
            fourme: FourMeConfig {
                hourly_limit: None,
                burst_limit: None,
                ..FourMeConfig::default()
            },
            identitynow: IdentityNowConfig {
                rate_limit: None,
                ..IdentityNowConfig::default()
            },
            start_dispatcher: true,
            poll_interval: Duration::from_millis(500),
            dispatcher_amqp_url: None,
        }
    }
}

/// A running connector with its simulated peers.
pub struct World {
    pub org: Organisation,
    pub fourme: FourMe,
    pub identitynow: IdentityNow,
    pub topology: Topology,
    pub ingress_url: String,
    pub dispatcher_url: Option<String>,
    pub http: reqwest::Client,
    options: Options,
    stops: Vec<CancellationToken>,
}

impl World {
    pub async fn start(options: Options) -> World {
        let org = Organisation::generate();
        let fourme = FourMe::start(&org, options.fourme.clone())
            .await
            .expect("4me sim");
        let identitynow = IdentityNow::start(&org, options.identitynow.clone())
            .await
            .expect("IdentityNow sim");
        let topology = Topology {
            prefix: format!("test-{}", uuid::Uuid::new_v4().simple()),
            retry_tiers: options.retry_tiers.clone(),
            hold_time: options.hold_time,
        };
        let mut world = World {
            org,
            fourme,
            identitynow,
            topology,
            ingress_url: String::new(),
            dispatcher_url: None,
            http: reqwest::Client::new(),
            options,
            stops: Vec::new(),
        };
        world.ingress_url = world.start_ingress().await;
        if world.options.start_dispatcher {
            world.dispatcher_url = Some(world.start_dispatcher().await);
        }
        world.wait_ready().await;
        world
    }

    fn broker(&self, name: &str) -> BrokerConfig {
        BrokerConfig {
            url: SecretString::from(AMQP_URL.to_owned()),
            connection_name: name.into(),
            topology: self.topology.clone(),
            confirm_timeout: Duration::from_secs(5),
        }
    }

    async fn start_ingress(&mut self) -> String {
        let fourme_host = self
            .fourme
            .base_url()
            .trim_start_matches("http://")
            .to_owned();
        let account =
            Account::from_url(&self.fourme.config().account_url(), vec![fourme_host]).unwrap();
        let policy = WebhookPolicy::new(
            "RS256",
            PolicyKey::PublicKeyPem(PUBLIC_KEY_PEM.into()),
            account.clone(),
            Some(self.fourme.config().jwt_audience.clone()),
        )
        .unwrap();
        let config = IngressConfig {
            broker: self.broker("test-ingress"),
            policy: Some(policy),
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
            max_body_bytes: 256 * 1024,
            request_deadline: Duration::from_secs(9),
            trigger_credentials: Some(TriggerCredentials::Bearer(SecretString::from(
                TRIGGER_TOKEN.to_owned(),
            ))),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = CancellationToken::new();
        self.stops.push(stop.clone());
        tokio::spawn(ingress::run(config, listener, stop));
        url
    }

    /// The dispatcher configuration this world runs with.
    pub fn dispatcher_config(&self) -> DispatcherConfig {
        let mut broker = self.broker("test-dispatcher");
        if let Some(url) = &self.options.dispatcher_amqp_url {
            broker.url = SecretString::from(url.clone());
        }
        DispatcherConfig {
            broker,
            mapping: mapping(),
            fourme_api_url: self.fourme.api_url(),
            fourme_account: self.fourme.config().account_id.clone(),
            fourme_token: SecretString::from(self.fourme.config().api_token.clone()),
            identitynow: ApiPaths {
                base_url: self.identitynow.base_url(),
                api: "/v3".into(),
                entitlements: "/v2025".into(),
            },
            identitynow_client_id: self.identitynow.config().client_id.clone(),
            identitynow_client_secret: SecretString::from(
                self.identitynow.config().client_secret.clone(),
            ),
            admin_token: Some(SecretString::from(ADMIN_TOKEN.to_owned())),
            schedule: Schedule {
                tiers: self.options.retry_tiers.clone(),
                window: self.options.window,
                notify_after: self.options.notify_after,
            },
            notify_url: self.options.notify_url.clone(),
            expiry_retry_delay: self.options.expiry_retry_delay,
            consumer: ConsumerSettings {
                prefetch: 16,
                drain_timeout: Duration::from_secs(10),
            },
            lookup_ttl: Duration::from_secs(60),
            identitynow_rate_limit: None,
            fourme_rate_limit: None,
            poll_interval: self.options.poll_interval,
            poll_lookback: Duration::from_secs(3600),
        }
    }

    /// Starts a(nother) dispatcher; returns its HTTP base URL.
    pub async fn start_dispatcher(&mut self) -> String {
        let config = self.dispatcher_config();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = CancellationToken::new();
        self.stops.push(stop.clone());
        tokio::spawn(dispatcher::run(config, listener, stop));
        url
    }

    /// Starts another dispatcher; returns its URL and the token that stops it.
    pub async fn start_dispatcher_stoppable(&mut self) -> (String, CancellationToken) {
        let url = self.start_dispatcher().await;
        let stop = self.stops.last().cloned().expect("just started");
        (url, stop)
    }

    /// Stops the dispatcher started with the world (the ingress keeps running).
    pub fn stop_first_dispatcher(&self) {
        // stops[0] is the ingress, stops[1] the first dispatcher.
        if let Some(stop) = self.stops.get(1) {
            stop.cancel();
        }
    }

    async fn wait_ready(&self) {
        let mut urls = vec![self.ingress_url.clone()];
        urls.extend(self.dispatcher_url.clone());
        for url in urls {
            let http = self.http.clone();
            eventually("service ready", || {
                let http = http.clone();
                let url = url.clone();
                async move {
                    http.get(format!("{url}/ready"))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                }
            })
            .await;
        }
    }

    /// POSTs a 4me delivery to the ingress; returns the status code.
    pub async fn send(&self, delivery: &Delivery) -> u16 {
        let mut request = self
            .http
            .post(format!("{}/webhooks/4me", self.ingress_url))
            .body(delivery.body.clone());
        for (name, value) in delivery.headers() {
            request = request.header(name, value);
        }
        request
            .send()
            .await
            .expect("ingress reachable")
            .status()
            .as_u16()
    }

    /// Creates a 4me request and delivers its `request.create` webhook, signed.
    pub async fn request(&self, spec: RequestSpec) -> u64 {
        let id = self.fourme.create_request(spec);
        let delivery = self.fourme.webhook("request.create", id, true);
        assert_eq!(
            self.send(&delivery).await,
            200,
            "ingress accepted the webhook"
        );
        id
    }

    /// Access requests IdentityNow received for a 4me request.
    pub fn submissions_for(&self, request_id: u64) -> Vec<serde_json::Value> {
        let id = request_id.to_string();
        self.identitynow
            .access_requests()
            .into_iter()
            .map(|submitted| submitted.body)
            .filter(|body| body["clientMetadata"]["fourmeRequestId"] == id.as_str())
            .collect()
    }

    /// Texts of the notes on a 4me request.
    pub fn notes(&self, request_id: u64) -> Vec<String> {
        self.fourme
            .notes(request_id)
            .into_iter()
            .map(|n| n.text)
            .collect()
    }

    /// Notes on a request containing `marker`.
    pub fn notes_with(&self, request_id: u64, marker: &str) -> usize {
        self.notes(request_id)
            .iter()
            .filter(|t| t.contains(marker))
            .count()
    }

    /// The dispatcher's (first) metrics text.
    pub async fn dispatcher_metrics(&self) -> String {
        let url = self.dispatcher_url.as_ref().expect("a dispatcher runs");
        self.http
            .get(format!("{url}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Messages in one of this world's queues, by passive declare.
    pub async fn queue_len(&self, route: &Route) -> u32 {
        let connection = lapin::Connection::connect(AMQP_URL, Default::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        let queue = channel
            .queue_declare(
                self.topology.queue(route).as_str().into(),
                lapin::options::QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                Default::default(),
            )
            .await
            .unwrap();
        let _ = connection.close(200, "done".into()).await;
        queue.message_count()
    }

    /// Stops the services and removes this world's queues and exchange.
    pub async fn finish(self) {
        for stop in &self.stops {
            stop.cancel();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let Ok(connection) = lapin::Connection::connect(AMQP_URL, Default::default()).await else {
            return;
        };
        if let Ok(channel) = connection.create_channel().await {
            let routes = self.topology.routes();
            for route in routes {
                let _ = channel
                    .queue_delete(
                        self.topology.queue(&route).as_str().into(),
                        QueueDeleteOptions::default(),
                    )
                    .await;
            }
            let _ = channel
                .exchange_delete(
                    self.topology.exchange().into(),
                    ExchangeDeleteOptions::default(),
                )
                .await;
        }
        let _ = connection.close(200, "done".into()).await;
    }
}

/// The demo mapping from config/mapping.toml.
pub fn mapping() -> Mapping {
    let path = format!("{}/../../config/mapping.toml", env!("CARGO_MANIFEST_DIR"));
    Mapping::load(&path).expect("the demo mapping loads")
}

/// Polls `check` until it is true; fails the test after a generous deadline.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A metric's value from a Prometheus text page (sums all series matching `selector` prefix).
pub fn metric(page: &str, selector: &str) -> f64 {
    page.lines()
        .filter(|line| line.starts_with(selector))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
