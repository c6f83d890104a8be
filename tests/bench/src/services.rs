//! Starting and stopping the connector's release binaries, configured only through the
//! environment as an operator would run them.
//!
//! The binaries are looked up next to the benchmark's own executable (`target/release/`), so
//! `cargo build --release` of the workspace must have built them. Logs go to `target/bench/`.

use crate::BenchError;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running service.
pub struct Service {
    name: &'static str,
    child: Child,
    /// Its HTTP base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its listen address, `127.0.0.1:PORT`.
    pub address: String,
}

/// Where the services' logs go.
pub fn log_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent()
        .and_then(|release| release.parent())
        .map(|target| target.join("bench"))
        .unwrap_or_else(|| PathBuf::from("bench-logs"))
}

/// A free TCP port on 127.0.0.1 (free when asked; the service binds it right after).
pub fn free_port() -> Result<u16, BenchError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Starts `binary` listening on `port`, with `env`, logging to `target/bench/<name>.log`.
pub fn start(
    name: &'static str,
    binary: &str,
    port: u16,
    env: &[(&str, String)],
) -> Result<Service, BenchError> {
    let path = std::env::current_exe()?.with_file_name(binary);
    if !path.exists() {
        return Err(BenchError::Service(format!(
            "{} not found; run `cargo build --release` first",
            path.display()
        )));
    }
    std::fs::create_dir_all(log_dir())?;
    let log = std::fs::File::create(log_dir().join(format!("{name}.log")))?;
    let child = Command::new(path)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()?;
    Ok(Service {
        name,
        child,
        url: format!("http://127.0.0.1:{port}"),
        address: format!("127.0.0.1:{port}"),
    })
}

impl Service {
    /// The operating-system process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `/ready` answers 200 (up to 30 s).
    pub async fn wait_ready(&mut self, http: &reqwest::Client) -> Result<(), BenchError> {
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::Service(format!(
                    "{} exited with {status}; see {}",
                    self.name,
                    log_dir().join(format!("{}.log", self.name)).display()
                )));
            }
            let ready = http.get(format!("{}/ready", self.url)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(BenchError::Service(format!(
            "{} never became ready",
            self.name
        )))
    }

    /// Asks the service to stop (SIGTERM), waits up to 10 s, then kills it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Environment both services share.
pub fn common_env(amqp_url: &str, prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AMQP_URL", amqp_url.to_owned()),
        ("CONNECTOR_QUEUE_PREFIX", prefix.to_owned()),
        ("RETRY_TIERS", crate::rabbit::RETRY_TIERS.to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ]
}
