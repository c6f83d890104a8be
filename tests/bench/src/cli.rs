//! The few numeric options the drivers take, as `--name value` on the command line.

/// The value after `--name`, or `default` when absent or not a number.
pub fn number(name: &str, default: u64) -> u64 {
    let flag = format!("--{name}");
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| *arg == flag)
        .and_then(|at| args.get(at + 1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
