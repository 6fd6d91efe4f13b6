//! The `zoom-sim` binary: serve a simulated Zoom account until stopped.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use zoom_sim::{AppCredentials, Faults, Language, Population, RatePlan, SimConfig, Status, ZoomSim};

/// A local simulator of the Zoom API: Server-to-Server OAuth, the Users API, roles,
/// meetings and recordings, with Zoom's rate limits, error codes and injectable faults.
/// Control it at runtime under /_sim/ (users, operations, metrics, faults, clock, reset).
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
    /// Serve the account backed up in DIR (users.jsonl or users.csv, and account.json
    /// for role names and Zoom Rooms) instead of a generated one.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["users", "seed", "domain"])]
    from_backup: Option<PathBuf>,
    /// The account's Zoom rate plan (pricing tier), which picks the rate-limit table.
    #[arg(long, alias = "plan", value_enum, default_value = "business")]
    rate_plan: RatePlan,
    /// Multiplies every rate limit (0 switches limits off).
    #[arg(long, default_value_t = 1.0)]
    rate_scale: f64,
    /// Latency added to every API and OAuth response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// A random extra latency of up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_spread_ms: u64,
    /// Share (0..1) of API requests answered with 500, 502 or 503.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share (0..1) of API requests whose connection is dropped.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// The account's language: error messages come back in it, codes do not change.
    #[arg(long, value_enum, default_value = "en-US")]
    language: Language,
    /// Account id of the Server-to-Server app the simulator accepts.
    #[arg(long, default_value = "sim-account")]
    account_id: String,
    /// Client id of that app.
    #[arg(long, default_value = "sim-client")]
    client_id: String,
    /// Client secret of that app.
    #[arg(long, default_value = "sim-secret", hide_default_value = true)]
    client_secret: String,
    /// The scopes the app is granted, comma-separated (default: every scope the
    /// simulator knows); calls whose scope is missing get 400 code 4711.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    scopes: Option<Vec<String>>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let args = Args::parse();
    let population = match &args.from_backup {
        Some(dir) => Some(Arc::new(Population::from_backup(dir)?)),
        None => None,
    };
    let loaded = population.clone();
    let config = SimConfig {
        users: args.users,
        seed: args.seed,
        domain: args.domain,
        app: AppCredentials {
            account_id: args.account_id,
            client_id: args.client_id,
            client_secret: args.client_secret,
        },
        rate_plan: args.rate_plan,
        rate_scale: args.rate_scale,
        language: args.language,
        faults: Faults {
            latency_ms: args.latency_ms,
            latency_spread_ms: args.latency_spread_ms,
            error_rate: args.error_rate,
            drop_rate: args.drop_rate,
            ..Faults::default()
        },
        population,
        // `--scopes ""` grants none; spaces around commas are not part of a scope.
        scopes: args.scopes.map(|list| list.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()),
    };
    let sim = ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    // A reader that takes only the first line and closes the pipe must not stop the server.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", sim.base_url());
    let _ = writeln!(out, "API   {}", sim.api_url());
    let _ = writeln!(out, "OAuth {}", sim.oauth_url());
    if let Some(population) = &loaded {
        let _ = writeln!(out, "Users {}", describe(population));
    }
    let _ = out.flush();
    drop(out);
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}

/// What a loaded account holds, on one line: `12 from DIR/users.jsonl (10 active, ...)`.
fn describe(population: &Population) -> String {
    let count = |status: Status| population.users.iter().filter(|u| u.status == status).count();
    let source = population.source.as_ref().map_or(String::new(), |path| format!(" from {}", path.display()));
    let owner = population
        .users
        .iter()
        .find(|u| u.role == zoom_sim::Role::Owner)
        .map_or("no owner".to_string(), |u| format!("owner {}", u.email));
    let rooms = population.users.iter().filter(|u| u.is_room).count() + population.rooms.len();
    format!(
        "{}{source} ({} active, {} inactive, {} pending), {} roles, {rooms} Zoom Rooms, {owner}",
        population.users.len(),
        count(Status::Active),
        count(Status::Inactive),
        count(Status::Pending),
        population.roles.len(),
    )
}
