//! A TCP relay between the ingress and RabbitMQ that a test can cut and restore, so a broker
//! outage can be staged without touching the machine's RabbitMQ.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// The relay: listens on 127.0.0.1 and forwards each connection to the broker.
pub struct BrokerProxy {
    /// Where the ingress connects.
    pub address: SocketAddr,
    links: Arc<Mutex<Links>>,
    accepting: JoinHandle<()>,
}

/// Whether the link is up, and the relays open while it is.
struct Links {
    up: bool,
    relays: Vec<AbortHandle>,
}

impl BrokerProxy {
    /// Starts relaying to `broker`.
    pub async fn start(broker: &'static str) -> BrokerProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let links = Arc::new(Mutex::new(Links {
            up: true,
            relays: Vec::new(),
        }));
        let accepting = tokio::spawn(accept(listener, broker, links.clone()));
        BrokerProxy {
            address,
            links,
            accepting,
        }
    }

    /// Drops every open connection and turns new ones away at once.
    pub fn cut(&self) {
        let mut links = self.links.lock().unwrap();
        links.up = false;
        for relay in links.relays.drain(..) {
            relay.abort();
        }
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.links.lock().unwrap().up = true;
    }
}

impl Drop for BrokerProxy {
    fn drop(&mut self) {
        self.cut();
        self.accepting.abort();
    }
}

async fn accept(listener: TcpListener, broker: &'static str, links: Arc<Mutex<Links>>) {
    while let Ok((client, _)) = listener.accept().await {
        // Checked and registered under one lock, so a cut never misses a relay.
        let mut links = links.lock().unwrap();
        if links.up {
            let relay = tokio::spawn(relay(client, broker));
            links.relays.push(relay.abort_handle());
        }
    }
}

async fn relay(mut client: TcpStream, broker: &'static str) {
    let Ok(mut server) = TcpStream::connect(broker).await else {
        return;
    };
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
