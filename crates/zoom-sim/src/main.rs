//! The `zoom-sim` binary: serve a simulated Zoom account until stopped.

use std::net::SocketAddr;

use clap::Parser;
use zoom_sim::{AppCredentials, SimConfig, ZoomSim};

/// A local simulator of the Zoom API (Server-to-Server OAuth and the Users API).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// How many users the account holds.
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// Seed of the generated account: the same seed gives the same users.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Email domain of the generated users.
    #[arg(long, default_value = "acme.example")]
    domain: String,
    /// Account id of the Server-to-Server app the simulator accepts.
    #[arg(long, default_value = "sim-account")]
    account_id: String,
    /// Client id of that app.
    #[arg(long, default_value = "sim-client")]
    client_id: String,
    /// Client secret of that app.
    #[arg(long, default_value = "sim-secret", hide_default_value = true)]
    client_secret: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let args = Args::parse();
    let config = SimConfig {
        users: args.users,
        seed: args.seed,
        domain: args.domain,
        app: AppCredentials {
            account_id: args.account_id,
            client_id: args.client_id,
            client_secret: args.client_secret,
        },
    };
    let sim = ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    println!("{}", sim.base_url());
    println!("API   {}", sim.api_url());
    println!("OAuth {}", sim.oauth_url());
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
