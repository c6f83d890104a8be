//! The live `/metrics` pages of both services pass `promtool check metrics` (Prometheus's own
//! linter: naming, units, `_total` on counters, help texts) after real traffic has touched
//! every kind of series. promtool comes from Debian's `prometheus` package; scripts/test-tools
//! installs it. Without it this test fails: a silent skip would let a bad name reach the
//! alerts unnoticed.

mod support;

use sandbox::fourme::RequestSpec;
use std::io::Write;
use std::process::{Command, Stdio};
use support::{eventually, Options, World};

const SUBMITTED: &str = "[sailpoint-connector:submitted]";

/// Runs `promtool check metrics` on `page`; returns its complaints, if any.
fn promtool_complaints(page: &str) -> Option<String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run promtool ({error}); install it with scripts/test-tools \
                 (Debian package `prometheus`)"
            )
        });
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(page.as_bytes())
        .expect("promtool reads the page");
    let output = child.wait_with_output().expect("promtool finishes");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (!output.status.success() || !said.trim().is_empty()).then_some(said)
}

#[tokio::test]
async fn both_metrics_pages_pass_promtool() {
    let world = World::start(Options::default()).await;
    let person = world.org.identities().nth(1).expect("seeded identity");
    let app = &world.org.applications[0];
    let item = app
        .access_profiles
        .first()
        .map(|profile| profile.name.clone())
        .expect("seeded access profile");

    // One delivered request puts values into the histograms and the labelled counters.
    let request_id = world
        .request(RequestSpec::grant(
            person.fourme_id,
            app.service_instance_id,
            &item,
        ))
        .await;
    eventually("request delivered", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;

    let ingress = world
        .http
        .get(format!("{}/metrics", world.ingress_url))
        .send()
        .await
        .expect("ingress /metrics")
        .text()
        .await
        .expect("ingress metrics text");
    let dispatcher = world.dispatcher_metrics().await;
    let mut problems = Vec::new();
    for (service, page) in [("ingress", &ingress), ("dispatcher", &dispatcher)] {
        if let Some(said) = promtool_complaints(page) {
            problems.push(format!("{service}:\n{said}"));
        }
    }
    world.finish().await;
    assert!(
        problems.is_empty(),
        "promtool check metrics:\n{}",
        problems.join("\n")
    );
}
