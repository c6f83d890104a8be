//! Run both simulators until Ctrl-C or SIGTERM, for manual testing against a local connector.
//!
//! Ports come from `SANDBOX_FOURME_PORT` (default 18081) and `SANDBOX_IDN_PORT` (default
//! 18082). Both bind `SANDBOX_BIND_ADDRESS` (default 127.0.0.1); only a container, whose
//! published ports stay on the host's loopback, should set 0.0.0.0.
//!
//! `SANDBOX_TRIGGER_URL` and `SANDBOX_TRIGGER_TOKEN` (both or neither) subscribe that URL to
//! IdentityNow's Access Request Decision and Provisioning Completed triggers, sent with
//! `Authorization: Bearer <token>`. `SANDBOX_AUTOPILOT=true` lets IdentityNow approve and
//! provision requests by itself (3 s each, the demo's mix of outcomes). A bad value exits 64.

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;

use sandbox::fourme::{FourMe, FourMeConfig};
use sandbox::identitynow::{Autopilot, IdentityNow, IdentityNowConfig, TriggerTarget};
use sandbox::seed::Organisation;

/// Exit code for a bad configuration value (EX_USAGE).
const EXIT_USAGE: u8 = 64;

fn port(name: &str, default: u16) -> Result<u16, String> {
    match std::env::var(name) {
        Ok(raw) => raw
            .parse()
            .map_err(|_| format!("{name}={raw} is not a port number")),
        Err(_) => Ok(default),
    }
}

fn bind_address() -> Result<IpAddr, String> {
    match std::env::var("SANDBOX_BIND_ADDRESS") {
        Ok(raw) => raw
            .parse()
            .map_err(|_| format!("SANDBOX_BIND_ADDRESS={raw} is not an IP address")),
        Err(_) => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

fn trigger_target() -> Result<Option<TriggerTarget>, String> {
    let url = std::env::var("SANDBOX_TRIGGER_URL").ok();
    let token = std::env::var("SANDBOX_TRIGGER_TOKEN").ok();
    match (url, token) {
        (None, None) => Ok(None),
        (Some(url), Some(bearer_token)) => {
            let parsed = reqwest::Url::parse(&url)
                .map_err(|error| format!("SANDBOX_TRIGGER_URL={url} is not a URL: {error}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!("SANDBOX_TRIGGER_URL={url} is not an http(s) URL"));
            }
            if bearer_token.is_empty() {
                return Err("SANDBOX_TRIGGER_TOKEN is empty".to_string());
            }
            Ok(Some(TriggerTarget { url, bearer_token }))
        }
        (Some(_), None) => Err("SANDBOX_TRIGGER_URL needs SANDBOX_TRIGGER_TOKEN".to_string()),
        (None, Some(_)) => Err("SANDBOX_TRIGGER_TOKEN needs SANDBOX_TRIGGER_URL".to_string()),
    }
}

fn autopilot() -> Result<Option<Autopilot>, String> {
    match std::env::var("SANDBOX_AUTOPILOT").as_deref() {
        Err(_) | Ok("false") => Ok(None),
        Ok("true") => Ok(Some(Autopilot::demo())),
        Ok(other) => Err(format!(
            "SANDBOX_AUTOPILOT={other} is neither true nor false"
        )),
    }
}

async fn stopped() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = bind_address().and_then(|address| {
        let fourme = port("SANDBOX_FOURME_PORT", 18081)?;
        let idn = port("SANDBOX_IDN_PORT", 18082)?;
        Ok((address, fourme, idn, trigger_target()?, autopilot()?))
    });
    let (bind_address, fourme_port, idn_port, trigger_target, autopilot) = match settings {
        Ok(ports) => ports,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };

    let org = Organisation::generate();
    let fourme = FourMe::start(
        &org,
        FourMeConfig {
            bind_address,
            port: fourme_port,
            ..FourMeConfig::default()
        },
    )
    .await;
    let idn = IdentityNow::start(
        &org,
        IdentityNowConfig {
            bind_address,
            port: idn_port,
            ..IdentityNowConfig::default()
        },
    )
    .await;
    let (fourme, idn) = match (fourme, idn) {
        (Ok(fourme), Ok(idn)) => (fourme, idn),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("could not start the sandbox: {error}");
            return ExitCode::FAILURE;
        }
    };

    let triggers = trigger_target.as_ref().map(|target| target.url.clone());
    idn.set_trigger_target(trigger_target);
    let autopilot_on = autopilot.is_some();
    idn.set_autopilot(autopilot);

    let four = fourme.config();
    println!("4me API:          {}", fourme.api_url());
    println!("  token:          {}", four.api_token);
    println!(
        "  account:        {} (X-4me-Account or X-Xurrent-Account)",
        four.account_id
    );
    println!("IdentityNow:      {}", idn.base_url());
    println!("  client id:      {}", idn.config().client_id);
    println!("  client secret:  {}", idn.config().client_secret);
    if let Some(url) = triggers {
        println!("  triggers to:    {url}");
    }
    if autopilot_on {
        println!("  autopilot:      on (approves, then provisions, 3 s apart)");
    }
    println!("Ctrl-C or SIGTERM stops both.");

    stopped().await;
    fourme.shutdown().await;
    idn.shutdown().await;
    ExitCode::SUCCESS
}
