//! CPU time from `/proc` (Linux only), to show where the cores went during a phase.

/// Clock ticks per second of `/proc` figures (`getconf CLK_TCK`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU counters at one instant.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuSnapshot {
    process: u64,
    own: u64,
    machine_busy: u64,
}

impl CpuSnapshot {
    /// User plus system ticks of `pid`, of this process, and of the whole machine.
    pub fn take(pid: u32) -> Self {
        Self {
            process: process_ticks(&pid.to_string()).unwrap_or(0),
            own: process_ticks("self").unwrap_or(0),
            machine_busy: machine_busy_ticks().unwrap_or(0),
        }
    }

    /// Cores used on average since `earlier` over `seconds`: (`pid`, this process, machine).
    pub fn cores_since(&self, earlier: &CpuSnapshot, seconds: f64) -> (f64, f64, f64) {
        let cores =
            |now: u64, then: u64| now.saturating_sub(then) as f64 / TICKS_PER_SECOND / seconds;
        (
            cores(self.process, earlier.process),
            cores(self.own, earlier.own),
            cores(self.machine_busy, earlier.machine_busy),
        )
    }
}

fn process_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|field| field.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    let idle = ticks.get(3)? + ticks.get(4)?;
    Some(ticks.iter().take(8).sum::<u64>() - idle)
}
