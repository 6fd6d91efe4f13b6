//! What the pipeline's tests against the simulator share: a simulator of a seeded
//! account, and a Zoom client holding its app's credentials.

use std::net::SocketAddr;

use offboard_zoom::{Credentials, Endpoints, ZoomClient};
use zoom_sim::{SimConfig, ZoomSim};

/// zoom-sim with `users` users of seed `seed` on a free port, and a client for it.
pub async fn start(users: usize, seed: u64) -> (ZoomSim, ZoomClient) {
    let config = SimConfig { users, seed, ..SimConfig::default() };
    let app = config.app.clone();
    let sim = ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let client = ZoomClient::new(
        Endpoints { api_base: sim.api_url(), oauth_url: sim.oauth_url() },
        Credentials { account_id: app.account_id, client_id: app.client_id, client_secret: app.client_secret },
    )
    .unwrap();
    (sim, client)
}
