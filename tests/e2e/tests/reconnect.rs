//! The dispatcher rides out a lost broker connection: it reports itself not ready, reconnects
//! with backoff, declares the topology again and resumes consuming, and what was stored in the
//! meantime is delivered once.

#[path = "ingress/broker_proxy.rs"]
mod broker_proxy;
mod support;

use broker_proxy::BrokerProxy;
use sandbox::fourme::RequestSpec;
use support::{eventually, metric, Options, World};

const SUBMITTED: &str = "[sailpoint-connector:submitted]";

async fn ready(world: &World) -> u16 {
    let url = world.dispatcher_url.as_ref().unwrap();
    match world.http.get(format!("{url}/ready")).send().await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}

#[tokio::test]
async fn the_dispatcher_reconnects_and_resumes_after_losing_the_broker() {
    let proxy = BrokerProxy::start("127.0.0.1:5672").await;
    let world = World::start(Options {
        dispatcher_amqp_url: Some(format!("amqp://guest:guest@{}/%2f", proxy.address)),
        ..Options::default()
    })
    .await;
    let app = &world.org.applications[0];
    let person = |n: usize| world.org.identities().nth(n).unwrap().fourme_id;
    let first = world
        .request(RequestSpec::grant(
            person(40),
            app.service_instance_id,
            &app.access_profiles[0].name,
        ))
        .await;
    eventually("first submitted", || async {
        world.notes_with(first, SUBMITTED) == 1
    })
    .await;

    proxy.cut();
    eventually("not ready while cut", || async {
        ready(&world).await == 503
    })
    .await;
    let page = world.dispatcher_metrics().await;
    assert_eq!(
        metric(&page, "connector_broker_connected{service=\"dispatcher\"}"),
        0.0
    );
    // The ingress still reaches the broker: this request waits in the work queue.
    let second = world
        .request(RequestSpec::grant(
            person(41),
            app.service_instance_id,
            &app.access_profiles[1].name,
        ))
        .await;

    proxy.restore();
    eventually("ready again", || async { ready(&world).await == 200 }).await;
    eventually("second submitted after the reconnect", || async {
        world.notes_with(second, SUBMITTED) == 1
    })
    .await;
    assert_eq!(world.submissions_for(first).len(), 1);
    assert_eq!(world.submissions_for(second).len(), 1);
    let page = world.dispatcher_metrics().await;
    assert_eq!(
        metric(&page, "connector_broker_connected{service=\"dispatcher\"}"),
        1.0
    );
    world.finish().await;
}
