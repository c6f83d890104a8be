//! Just enough of the W3C WebDriver protocol to drive headless Chromium from a test: start
//! chromedriver on a free loopback port, open a session, navigate, find, type, click, read.
//!
//! The browser is Debian's `chromium` with `chromium-driver`; scripts/test-tools installs both.
//! When either is missing the test fails with a message saying so, never skips.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// The key W3C WebDriver uses for an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The flags that make Chromium quiet, offline and rootless-safe in CI.
const CHROMIUM_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// A headless Chromium session behind its own chromedriver.
pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    profile: PathBuf,
}

/// An element found on the page.
#[derive(Clone, Debug)]
pub struct Element(String);

fn installed(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn missing(program: &str) -> ! {
    panic!(
        "{program} is not installed: the admin page test needs headless Chromium. \
         Run scripts/test-tools (apt-get install chromium chromium-driver)."
    )
}

async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    listener.local_addr().expect("bound address").port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile.
    pub async fn start() -> Browser {
        let driver_path = installed("chromedriver").unwrap_or_else(|| missing("chromedriver"));
        let chromium = installed("chromium").unwrap_or_else(|| missing("chromium"));
        let port = free_port().await;
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        wait_for_driver(&http, &base).await;

        let profile = std::env::temp_dir().join(format!(
            "connector-admin-page-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| flag.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let answer = call(
            &http,
            reqwest::Method::POST,
            &format!("{base}/session"),
            capabilities,
        )
        .await;
        let session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver opened no session: {answer}"))
            .to_owned();
        Browser {
            http,
            session: format!("{base}/session/{session}"),
            driver,
            profile,
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.session);
        call(&self.http, reqwest::Method::POST, &url, body).await
    }

    async fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.session);
        call(&self.http, reqwest::Method::GET, &url, Value::Null).await
    }

    /// Opens `url`.
    pub async fn open(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// Every element matching a CSS selector (none is not an error).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .post("/elements", json!({"using": "css selector", "value": css}))
            .await;
        elements(&found)
    }

    /// The one element matching a CSS selector; fails the test when there is none.
    pub async fn find(&self, css: &str) -> Element {
        if let Some(found) = self.find_all(css).await.into_iter().next() {
            return found;
        }
        let page = self.get("/source").await;
        let page: String = page
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(2000)
            .collect();
        panic!("no element matches {css} on this page:\n{page}")
    }

    /// Elements matching `css` inside `parent`.
    pub async fn find_in(&self, parent: &Element, css: &str) -> Vec<Element> {
        let found = self
            .post(
                &format!("/element/{}/elements", parent.0),
                json!({"using": "css selector", "value": css}),
            )
            .await;
        elements(&found)
    }

    /// Types `text` into an input.
    pub async fn type_into(&self, element: &Element, text: &str) {
        self.post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await;
    }

    /// Clicks an element.
    pub async fn click(&self, element: &Element) {
        self.post(&format!("/element/{}/click", element.0), json!({}))
            .await;
    }

    /// The rendered text of an element.
    pub async fn text(&self, element: &Element) -> String {
        let answer = self.get(&format!("/element/{}/text", element.0)).await;
        answer.as_str().unwrap_or_default().to_owned()
    }

    /// Ends the session and chromedriver, and removes the profile.
    pub async fn quit(mut self) {
        let _ = self.http.delete(&self.session).send().await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn wait_for_driver(http: &reqwest::Client, base: &str) {
    for _ in 0..100 {
        let ready = http
            .get(format!("{base}/status"))
            .send()
            .await
            .ok()
            .map(|response| response.json::<Value>());
        if let Some(answer) = ready {
            if answer
                .await
                .is_ok_and(|status| status["value"]["ready"] == true)
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not become ready on {base}");
}

/// One WebDriver command; returns its `value`, failing the test on a WebDriver error.
async fn call(http: &reqwest::Client, method: reqwest::Method, url: &str, body: Value) -> Value {
    let mut request = http.request(method, url);
    if !body.is_null() {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|error| panic!("WebDriver call {url}: {error}"));
    let status = response.status();
    let answer: Value = response
        .json()
        .await
        .unwrap_or_else(|error| panic!("WebDriver answer from {url}: {error}"));
    assert!(
        status.is_success(),
        "WebDriver call {url} failed ({status}): {answer}"
    );
    answer["value"].clone()
}

fn elements(found: &Value) -> Vec<Element> {
    found
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|item| item[ELEMENT_KEY].as_str())
                .map(|id| Element(id.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}
