//! Run both simulators until Ctrl-C or SIGTERM, for manual testing against a local connector.
//!
//! Ports come from `SANDBOX_FOURME_PORT` (default 18081) and `SANDBOX_IDN_PORT` (default
//! 18082); both bind 127.0.0.1 only.

use std::process::ExitCode;

use sandbox::fourme::{FourMe, FourMeConfig};
use sandbox::identitynow::{IdentityNow, IdentityNowConfig};
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
    let ports =
        port("SANDBOX_FOURME_PORT", 18081).and_then(|a| Ok((a, port("SANDBOX_IDN_PORT", 18082)?)));
    let (fourme_port, idn_port) = match ports {
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
            port: fourme_port,
            ..FourMeConfig::default()
        },
    )
    .await;
    let idn = IdentityNow::start(
        &org,
        IdentityNowConfig {
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
    println!("Ctrl-C or SIGTERM stops both.");

    stopped().await;
    fourme.shutdown().await;
    idn.shutdown().await;
    ExitCode::SUCCESS
}
