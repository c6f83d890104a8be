//! RabbitMQ's management HTTP API (127.0.0.1:15672, guest/guest), used the way an operator's
//! browser uses it: the queue page's "Move messages" form creates a dynamic shovel.

use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const API: &str = "http://127.0.0.1:15672/api";
const PLUGINS: [&str; 3] = [
    "rabbitmq_management",
    "rabbitmq_shovel",
    "rabbitmq_shovel_management",
];

/// A client of the management API with the shovel plugins running.
pub struct Management {
    http: reqwest::Client,
}

impl Management {
    /// Checks that the management and shovel plugins run; enables them once if they do not,
    /// and fails the test with the command to run when that is not possible here.
    pub async fn ready() -> Management {
        let management = Management {
            http: reqwest::Client::new(),
        };
        if management.shovels_available().await {
            return management;
        }
        let enabled = std::process::Command::new("rabbitmq-plugins")
            .arg("enable")
            .args(PLUGINS)
            .output();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::time::Instant::now() < deadline {
            if management.shovels_available().await {
                return management;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!(
            "RabbitMQ's management API with the shovel plugins is not available on \
             127.0.0.1:15672 and enabling it failed ({enabled:?}); run once on this machine: \
             rabbitmq-plugins enable {}",
            PLUGINS.join(" ")
        );
    }

    /// True when the API answers and the shovel management extension is loaded.
    async fn shovels_available(&self) -> bool {
        let Ok(response) = self.get("/extensions").send().await else {
            return false;
        };
        let Ok(extensions) = response.json::<serde_json::Value>().await else {
            return false;
        };
        extensions
            .as_array()
            .is_some_and(|list| list.iter().any(|e| e["javascript"] == "shovel.js"))
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{API}{path}"))
            .basic_auth("guest", Some("guest"))
    }

    /// What the queue page's "Move messages" form sends (3.10.8 `queue.ejs` and
    /// `shovel.js`): a shovel named "Move from <queue>" that deletes itself once the messages
    /// present at its start are moved. Returns the shovel's name.
    pub async fn move_messages(&self, from: &str, to: &str) -> String {
        let name = format!("Move from {from}");
        let body = json!({
            "component": "shovel",
            "vhost": "/",
            "name": name,
            "value": {
                "src-uri": "amqp:///%2F",
                "src-queue": from,
                "src-protocol": "amqp091",
                "src-prefetch-count": 1000,
                "src-delete-after": "queue-length",
                "dest-protocol": "amqp091",
                "dest-uri": "amqp:///%2F",
                "dest-add-forward-headers": false,
                "ack-mode": "on-confirm",
                "src-consumer-args": {},
                "dest-queue": to,
            },
        });
        let response = self
            .http
            .put(self.shovel_url(&name))
            .basic_auth("guest", Some("guest"))
            .json(&body)
            .send()
            .await
            .expect("management API reachable");
        let status = response.status();
        assert!(
            status.is_success(),
            "the shovel was refused: {status} {}",
            response.text().await.unwrap_or_default()
        );
        name
    }

    /// Whether the named shovel still exists.
    pub async fn shovel_exists(&self, name: &str) -> bool {
        let response = self
            .http
            .get(self.shovel_url(name))
            .basic_auth("guest", Some("guest"))
            .send()
            .await
            .expect("management API reachable");
        response.status() != StatusCode::NOT_FOUND
    }

    /// Removes the named shovel if it is still there.
    pub async fn delete_shovel(&self, name: &str) {
        let _ = self
            .http
            .delete(self.shovel_url(name))
            .basic_auth("guest", Some("guest"))
            .send()
            .await;
    }

    fn shovel_url(&self, name: &str) -> String {
        let mut url = reqwest::Url::parse(API).expect("static URL");
        url.path_segments_mut()
            .expect("a base URL")
            .extend(["parameters", "shovel", "/", name]);
        url.to_string()
    }
}
