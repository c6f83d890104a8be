//! Settings from the environment.
//!
//! Every setting has a compiled-in default that points at this machine and the simulators, so
//! the demo needs no setup. Secrets are read from `NAME` or from the file named by `NAME_FILE`
//! and are wrapped in [`SecretString`], whose `Debug` output never shows the value.

use crate::broker::BrokerConfig;
use crate::topology::Topology;
use secrecy::SecretString;
use std::time::Duration;

/// A setting that could not be used, naming the variable and what was wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The variable is set but its value is not valid.
    #[error("{name}: {reason}")]
    Invalid { name: String, reason: String },
    /// The variable is required and not set.
    #[error("{name} is required")]
    Missing { name: String },
    /// `NAME_FILE` names a file that could not be read.
    #[error("{name}_FILE: cannot read {path}: {source}")]
    File {
        name: String,
        path: String,
        source: std::io::Error,
    },
}

impl ConfigError {
    /// Builds an [`ConfigError::Invalid`] for `name`.
    pub fn invalid(name: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Reads a plain setting, or `default` when it is unset or empty.
pub fn string(name: &str, default: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value.trim().to_owned(),
        _ => default.to_owned(),
    }
}

/// Reads an optional plain setting.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Reads a setting and parses it with `parse`, naming the variable when that fails.
pub fn parsed<T>(
    name: &str,
    default: T,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match optional(name) {
        Some(value) => parse(&value).map_err(|reason| ConfigError::invalid(name, reason)),
        None => Ok(default),
    }
}

/// Reads a boolean (`true`/`false`, `1`/`0`, `yes`/`no`).
pub fn boolean(name: &str, default: bool) -> Result<bool, ConfigError> {
    parsed(name, default, |value| {
        match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(format!("expected true or false, got {value:?}")),
        }
    })
}

/// Reads a duration such as `500ms`, `30s`, `2m`, `3h` or `7d`.
pub fn duration(name: &str, default: Duration) -> Result<Duration, ConfigError> {
    parsed(name, default, parse_duration)
}

/// Reads a secret from `NAME`, else from the file named by `NAME_FILE`.
pub fn secret(name: &str) -> Result<Option<SecretString>, ConfigError> {
    if let Some(value) = optional(name) {
        return Ok(Some(SecretString::from(value)));
    }
    let file_var = format!("{name}_FILE");
    let Some(path) = optional(&file_var) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::File {
        name: name.to_owned(),
        path: path.clone(),
        source,
    })?;
    Ok(Some(SecretString::from(text.trim().to_owned())))
}

/// Reads a secret that must be present.
pub fn required_secret(name: &str) -> Result<SecretString, ConfigError> {
    secret(name)?.ok_or_else(|| ConfigError::Missing {
        name: name.to_owned(),
    })
}

/// The RabbitMQ settings both services read the same way.
pub fn broker(connection_name: &str) -> Result<BrokerConfig, ConfigError> {
    let url = secret("AMQP_URL")?
        .unwrap_or_else(|| SecretString::from("amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()));
    Ok(BrokerConfig {
        url,
        connection_name: connection_name.into(),
        topology: topology()?,
        confirm_timeout: duration("AMQP_CONFIRM_TIMEOUT", Duration::from_secs(5))?,
    })
}

/// The queue names and timings; both services must agree on them.
pub fn topology() -> Result<Topology, ConfigError> {
    let tiers = string("RETRY_TIERS", "30s,2m,10m,30m");
    let retry_tiers = list(&tiers)
        .iter()
        .map(|tier| parse_duration(tier))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|reason| ConfigError::invalid("RETRY_TIERS", reason))?;
    if retry_tiers.iter().any(|tier| tier.is_zero()) {
        return Err(ConfigError::invalid(
            "RETRY_TIERS",
            "every delay must be above zero",
        ));
    }
    if retry_tiers.is_empty() {
        return Err(ConfigError::invalid(
            "RETRY_TIERS",
            "at least one delay is needed",
        ));
    }
    Ok(Topology {
        prefix: string("CONNECTOR_QUEUE_PREFIX", "connector"),
        retry_tiers,
        hold_time: duration("HOLD_TIME", Duration::from_secs(7 * 86_400))?,
    })
}

/// Splits a comma-separated list, dropping empty items.
pub fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses `500ms`, `30s`, `2m`, `3h`, `7d`; a bare number means seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("expected a duration like 30s, 2m, 3h or 7d, got {text:?}"))?;
    let millis = match unit {
        "ms" => amount,
        "" | "s" => amount * 1_000,
        "m" => amount * 60_000,
        "h" => amount * 3_600_000,
        "d" => amount * 86_400_000,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?} (use ms, s, m, h or d)"
            ))
        }
    };
    Ok(Duration::from_millis(millis))
}

/// Writes a duration the way [`parse_duration`] reads it, in the largest exact unit.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if millis >= size && millis.is_multiple_of(size) {
            return format!("{}{unit}", millis / size);
        }
    }
    format!("{millis}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        for text in ["500ms", "30s", "2m", "3h", "7d", "90s"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(parsed)).unwrap(), parsed);
        }
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
    }

    #[test]
    fn bad_durations_name_the_problem() {
        assert!(parse_duration("3 hours")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("h")
            .unwrap_err()
            .contains("expected a duration"));
    }
}
