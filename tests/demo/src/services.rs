//! Starting and stopping the connector's two real binaries for the demo.
//!
//! They are the release (or debug) builds next to the demo's own executable, configured only
//! through the environment, exactly as an operator would run them. Their logs go to `.demo/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running service.
pub struct Service {
    name: &'static str,
    child: Child,
    /// Its HTTP base URL.
    pub url: String,
}

/// Where the demo's logs go: `DEMO_LOG_DIR`, else `.demo`.
pub fn log_dir() -> PathBuf {
    PathBuf::from(std::env::var("DEMO_LOG_DIR").unwrap_or_else(|_| ".demo".to_owned()))
}

/// Starts `binary` with `env`, logging to `.demo/<name>.log`.
pub fn start(
    name: &'static str,
    binary: &str,
    port: u16,
    env: &[(&str, String)],
) -> std::io::Result<Service> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(binary);
    if !path.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} not found; build the workspace first", path.display()),
        ));
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
    })
}

impl Service {
    /// Waits until `/ready` answers 200.
    pub async fn wait_ready(&mut self, http: &reqwest::Client) -> Result<(), String> {
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited with {status}; see {}/{}.log",
                    self.name,
                    log_dir().display(),
                    self.name
                ));
            }
            let ready = http.get(format!("{}/ready", self.url)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "{} did not become ready; see {}/{}.log",
            self.name,
            log_dir().display(),
            self.name
        ))
    }

    /// Asks the service to stop (SIGTERM) and waits for it.
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
