//! Declaring the topology is idempotent, and a queue that exists with other arguments (a new
//! version, a changed hold time) is used as it is instead of stopping the service.

use lapin::{Connection, ConnectionProperties};
use shared::topology::{Route, Topology};
use std::time::Duration;

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

fn topology(prefix: &str, hold_days: u64) -> Topology {
    Topology {
        prefix: prefix.into(),
        retry_tiers: vec![Duration::from_secs(1), Duration::from_secs(2)],
        hold_time: Duration::from_secs(hold_days * 86_400),
    }
}

#[tokio::test]
async fn a_changed_hold_time_does_not_stop_the_declare() {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let connection = Connection::connect(AMQP_URL, ConnectionProperties::default())
        .await
        .unwrap();

    topology(&prefix, 7).declare(&connection).await.unwrap();
    topology(&prefix, 7)
        .declare(&connection)
        .await
        .expect("declaring again is idempotent");
    topology(&prefix, 8)
        .declare(&connection)
        .await
        .expect("a changed hold time falls back to the existing queue");

    // Every queue and binding is still there: a message routes to each queue.
    let changed = topology(&prefix, 8);
    let channel = connection.create_channel().await.unwrap();
    for route in changed.routes() {
        let queue = channel
            .queue_declare(
                changed.queue(&route).as_str().into(),
                lapin::options::QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                Default::default(),
            )
            .await;
        assert!(queue.is_ok(), "{:?} exists", route);
    }
    for route in changed.routes() {
        let _ = channel
            .queue_delete(changed.queue(&route).as_str().into(), Default::default())
            .await;
    }
    let _ = channel
        .exchange_delete(prefix.as_str().into(), Default::default())
        .await;
    assert_eq!(changed.queue(&Route::Hold), format!("{prefix}.hold"));
    let _ = connection.close(200, "done".into()).await;
}
