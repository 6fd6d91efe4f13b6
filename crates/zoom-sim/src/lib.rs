//! `zoom-sim`: a local Zoom for Offboard's tests, demo and benchmarks.
//!
//! It serves the parts of the Zoom API Offboard calls, with Zoom's shapes, codes and
//! quirks as `shared/zoom/FACTS.md` documents them: Server-to-Server OAuth at
//! `/oauth/token`, the Users API under `/v2`. A seeded account of N users stands behind
//! it, or an account loaded from a backup ([`SimConfig::from_backup`]), and `/_sim/...`
//! (outside `/v2`) lets tests read its state and move its clock.
//! Start it in-process with [`ZoomSim::start`] or as the `zoom-sim` binary.
//!
//! Modules build on one another in one direction, so each can be read knowing only
//! those below it: `rng` and `model` (what an account is made of); `population` and
//! `backup` (where an account comes from); `limits` and `messages` (Zoom's rate limits
//! and error texts); `state` (the account being served); `routes` (HTTP over it);
//! `serve` (the connections).

pub mod backup;
pub mod limits;
pub mod messages;
pub mod model;
pub mod population;
pub mod rng;
mod routes;
mod serve;
pub mod state;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use backup::FromBackupError;
pub use limits::{Label, RatePlan};
pub use messages::Language;
pub use model::{Role, SimRole, SimUser, Status};
pub use population::Population;
pub use state::{AccountSpec, AppCredentials, Faults, Operation, SimState};

/// What the simulated account holds and which app it accepts.
#[derive(Clone)]
pub struct SimConfig {
    pub users: usize,
    pub seed: u64,
    pub domain: String,
    pub app: AppCredentials,
    pub rate_plan: RatePlan,
    /// Multiplies every rate limit; 0 switches them off.
    pub rate_scale: f64,
    pub language: Language,
    pub faults: Faults,
    /// An account to serve instead of the seeded one (then `users` and `domain` are
    /// unused): see [`SimConfig::from_backup`].
    pub population: Option<Arc<Population>>,
    /// The scopes the app is granted, which every token carries and the gate checks
    /// (and `/_sim/reset` returns to); `None` grants every one of
    /// [`state::ALL_SCOPES`].
    pub scopes: Option<Vec<String>>,
}

impl SimConfig {
    /// The default configuration, serving the account backed up in `dir` instead of a
    /// seeded one ([`Population::from_backup`]).
    pub fn from_backup(dir: &Path) -> Result<SimConfig, FromBackupError> {
        Ok(SimConfig { population: Some(Arc::new(Population::from_backup(dir)?)), ..SimConfig::default() })
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            users: 100,
            seed: 1,
            domain: "acme.example".to_string(),
            app: AppCredentials {
                account_id: "sim-account".to_string(),
                client_id: "sim-client".to_string(),
                client_secret: "sim-secret".to_string(),
            },
            rate_plan: RatePlan::Business,
            rate_scale: 1.0,
            language: Language::English,
            faults: Faults::default(),
            population: None,
            scopes: None,
        }
    }
}

/// A running simulator. Dropping it stops the server.
pub struct ZoomSim {
    base_url: String,
    state: Arc<Mutex<SimState>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ZoomSim {
    /// Starts serving on `addr` (port 0 picks a free port).
    pub async fn start(config: SimConfig, addr: SocketAddr) -> std::io::Result<ZoomSim> {
        let spec = AccountSpec {
            users: config.users,
            seed: config.seed,
            domain: config.domain,
            population: config.population,
            scopes: config.scopes,
        };
        let mut sim = SimState::new(config.app, spec, config.rate_plan, config.rate_scale, config.language);
        sim.set_faults(config.faults);
        let state = Arc::new(Mutex::new(sim));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = routes::router(state.clone());
        let task = tokio::spawn(serve::serve(listener, app, state.clone(), stopped));
        Ok(ZoomSim { base_url, state, shutdown: Some(shutdown), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`, with no path.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API base, as `https://api.zoom.us/v2` is for Zoom.
    pub fn api_url(&self) -> String {
        format!("{}/v2", self.base_url)
    }

    /// The token URL, as `https://zoom.us/oauth/token` is for Zoom.
    pub fn oauth_url(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    /// Runs `f` on the simulator's state, for tests that arrange or inspect it directly.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut SimState) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ZoomSim {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
