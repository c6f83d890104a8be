//! API calls the simulators served, per route, so a run can say what each phase of a request's
//! life cost.
//!
//! Routes are "METHOD /path" with numeric ids replaced by `{id}`. IdentityNow's
//! `GET /v3/access-request-status` serves three different reads of the connector, told apart by
//! their query: the poll (`requested-by=me`, newest change first), the read a trigger causes
//! (`filters` on `accessRequestId`) and the duplicate check before a submission
//! (`requested-for`).

use crate::simulators::Simulators;
use std::collections::BTreeMap;

/// The poll: shared by every tracked request.
pub const POLL: &str = "GET /v3/access-request-status (poll)";
/// The read one trigger causes.
pub const TRIGGER_READ: &str = "GET /v3/access-request-status (after a trigger)";
/// The duplicate check before a submission.
pub const DUPLICATE_CHECK: &str = "GET /v3/access-request-status (duplicate check)";

/// Calls per route of both simulators at one moment, counted from their start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Simulated 4me.
    pub fourme: BTreeMap<String, u64>,
    /// Simulated IdentityNow.
    pub identitynow: BTreeMap<String, u64>,
}

impl CallCounts {
    /// The counts now.
    pub fn now(simulators: &Simulators) -> Self {
        let mut identitynow = BTreeMap::new();
        for exchange in simulators.identitynow.exchanges() {
            let route = format!("{} {}", exchange.method, exchange.path);
            let route = if route == "GET /v3/access-request-status" {
                status_read(exchange.query.as_deref().unwrap_or_default()).to_owned()
            } else {
                route
            };
            *identitynow.entry(route).or_default() += 1;
        }
        Self {
            fourme: simulators.fourme_calls_by_route(),
            identitynow,
        }
    }

    /// What was counted after `earlier`.
    pub fn since(&self, earlier: &CallCounts) -> CallCounts {
        let minus = |now: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>| {
            now.iter()
                .map(|(route, calls)| {
                    let before = before.get(route).copied().unwrap_or(0);
                    (route.clone(), calls.saturating_sub(before))
                })
                .filter(|(_, calls)| *calls > 0)
                .collect()
        };
        CallCounts {
            fourme: minus(&self.fourme, &earlier.fourme),
            identitynow: minus(&self.identitynow, &earlier.identitynow),
        }
    }

    /// All 4me calls.
    pub fn fourme_total(&self) -> u64 {
        self.fourme.values().sum()
    }

    /// All IdentityNow calls.
    pub fn identitynow_total(&self) -> u64 {
        self.identitynow.values().sum()
    }

    /// IdentityNow calls that serve every tracked request at once: polls and tokens.
    pub fn identitynow_shared(&self) -> u64 {
        self.identitynow
            .iter()
            .filter(|(route, _)| is_shared(route))
            .map(|(_, calls)| calls)
            .sum()
    }
}

/// Whether an IdentityNow route serves all requests at once rather than one of them.
pub fn is_shared(route: &str) -> bool {
    route == POLL || route == "POST /oauth/token"
}

fn status_read(query: &str) -> &'static str {
    if query.contains("filters=") {
        TRIGGER_READ
    } else if query.contains("requested-for=") {
        DUPLICATE_CHECK
    } else {
        POLL
    }
}

/// Picks one simulator's routes out of both.
type RoutesOf = fn(&CallCounts) -> &BTreeMap<String, u64>;

/// Prints one table per simulator: calls per route in each phase of the requests' life, the
/// total, and the total per tracked request.
pub fn print_phases(phases: &[(&str, CallCounts)], requests: usize) {
    let sides: [(&str, RoutesOf); 2] = [
        ("4me", |counts| &counts.fourme),
        ("IdentityNow", |counts| &counts.identitynow),
    ];
    for (side, routes_of) in sides {
        let mut routes: Vec<&String> = phases
            .iter()
            .flat_map(|(_, counts)| routes_of(counts).keys())
            .collect();
        routes.sort();
        routes.dedup();
        print!("  {side:<52}");
        for (name, _) in phases {
            print!(" {name:>10}");
        }
        println!(" {:>7} {:>11}", "total", "per request");
        for route in routes {
            let calls: Vec<u64> = phases
                .iter()
                .map(|(_, counts)| routes_of(counts).get(route).copied().unwrap_or(0))
                .collect();
            let total: u64 = calls.iter().sum();
            print!("    {route:<50}");
            for calls in &calls {
                print!(" {calls:>10}");
            }
            let per = total as f64 / requests.max(1) as f64;
            let shared = if is_shared(route) { " (shared)" } else { "" };
            println!(" {total:>7} {per:>11.2}{shared}");
        }
    }
}
