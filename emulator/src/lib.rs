//! A local stand-in for Huawei Cloud MRS (and the bit of IAM the provider needs).
//!
//! The demo, the tests, the benchmarks and users' CI need an MRS that is free, fast, always there
//! and able to fail on purpose. The emulator speaks the same HTTP API (§1 of REFERENCE.md), checks
//! AK/SK signatures with its own verifier, runs jobs on a clock and can inject faults. It owns its
//! accept loop so it can count TCP connections and drop them.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mrs_emulator::{Emulator, EmulatorConfig, JobState};
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! let job = emulator.add_job("cluster-1", None, Some(JobState::Running));
//! println!("kill {job} at {}", emulator.url());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
mod faults;
mod jobs;
mod rate_limit;
mod routes;
mod stats;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use faults::{FaultPlan, FaultSpecError, FaultStep, parse_fault_plan};
pub use jobs::{
    JobClock, JobResult, JobSnapshot, JobSpec, JobState, UnknownJobResult, UnknownJobState,
};
pub use routes::{KILL_FAILED_BODY, Route, UnknownRoute};
pub use stats::{RouteCounts, Stats};

use faults::FaultState;
use jobs::JobStore;
use rate_limit::RateLimiter;
use stats::StatsRecorder;

/// Project id the emulator serves unless told otherwise.
pub const DEFAULT_PROJECT_ID: &str = "0a1b2c3d4e5f40aa8f0e1d2c3b4a5968";
/// Region the emulator pretends to be.
pub const DEFAULT_REGION: &str = "cn-north-4";
/// Access key accepted by default.
pub const DEFAULT_ACCESS_KEY: &str = "EMULATORACCESSKEY";
/// Secret key of [`DEFAULT_ACCESS_KEY`].
pub const DEFAULT_SECRET_KEY: &str = "emulator-secret-key";

/// Everything an emulator instance is configured with.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The only project id the MRS routes accept (and that IAM returns for `region`).
    pub project_id: String,
    /// The region IAM knows a project for.
    pub region: String,
    /// Accepted (access key, secret key) pairs.
    pub credentials: Vec<(String, String)>,
    /// `None`: any signed `X-Security-Token` is accepted; `Some`: it must be one of these.
    pub security_tokens: Option<Vec<String>>,
    /// Accepted `X-Auth-Token` values (token authentication).
    pub auth_tokens: Vec<String>,
    /// Largest accepted distance between `X-Sdk-Date` and the emulator's clock.
    pub max_clock_skew: Duration,
    /// Seconds added to the emulator's own clock when it checks `X-Sdk-Date` (negative: behind),
    /// to reproduce a client whose clock is off without touching the machine's clock.
    pub clock_offset_s: i64,
    /// When submitted jobs change state.
    pub job_clock: JobClock,
    /// Time between an accepted kill (202) and the job showing KILLED.
    pub kill_delay: Duration,
    /// Address to listen on; 127.0.0.1 unless the emulator must be reachable from elsewhere.
    pub bind_address: IpAddr,
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Faults to inject from the start.
    pub faults: FaultPlan,
    /// API requests allowed per second and project (a token bucket holding one second's worth);
    /// beyond it the gateway answers 429 `APIGW.0308` without `Retry-After`. `None`: unlimited.
    pub rate_limit: Option<f64>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            project_id: DEFAULT_PROJECT_ID.to_owned(),
            region: DEFAULT_REGION.to_owned(),
            credentials: vec![(DEFAULT_ACCESS_KEY.to_owned(), DEFAULT_SECRET_KEY.to_owned())],
            security_tokens: None,
            auth_tokens: Vec::new(),
            max_clock_skew: Duration::from_secs(15 * 60),
            clock_offset_s: 0,
            job_clock: JobClock::default(),
            kill_delay: Duration::from_millis(300),
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            faults: FaultPlan::none(),
            rate_limit: None,
        }
    }
}

/// State shared by the accept loop, every connection and the handle.
pub(crate) struct Shared {
    config: EmulatorConfig,
    jobs: Mutex<JobStore>,
    faults: Mutex<FaultState>,
    stats: StatsRecorder,
    rate_limiter: Option<RateLimiter>,
    shutdown: CancellationToken,
}

impl Shared {
    // A panic in another request cannot leave these in a state worse than "one request lost",
    // so a poisoned lock is used as is rather than taking the whole emulator down.
    fn lock_jobs(&self) -> MutexGuard<'_, JobStore> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn replace_faults(&self, plan: FaultPlan) {
        *self.lock_faults() = FaultState::new(plan);
    }
}

/// Starts emulators; see [`Emulator::start`].
pub struct Emulator;

impl Emulator {
    /// Binds the listener and starts serving in the background on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
        let listener = TcpListener::bind(SocketAddr::new(config.bind_address, config.port)).await?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            faults: Mutex::new(FaultState::new(config.faults.clone())),
            rate_limiter: config
                .rate_limit
                .filter(|rate| *rate > 0.0)
                .map(RateLimiter::new),
            config,
            jobs: Mutex::new(JobStore::default()),
            stats: StatsRecorder::default(),
            shutdown: CancellationToken::new(),
        });
        let accept_loop = tokio::spawn(accept_connections(listener, Arc::clone(&shared)));
        Ok(EmulatorHandle {
            shared,
            local_addr,
            accept_loop: Some(accept_loop),
        })
    }
}

async fn accept_connections(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = tokio::select! {
            () = shared.shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    // Typically EMFILE; back off instead of spinning, the listener stays usable.
                    tracing::warn!(error = %err, "emulator: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        shared.stats.connection_accepted();
        // Latency and retry tests want small requests to go out at once.
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, Arc::clone(&shared)));
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let drop_connection = CancellationToken::new();
    let service = {
        let shared = Arc::clone(&shared);
        let drop_connection = drop_connection.clone();
        service_fn(move |request| {
            routes::serve(Arc::clone(&shared), drop_connection.clone(), request)
        })
    };
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    // Leaving the select drops the connection, which closes the socket without an answer.
    tokio::select! {
        result = connection => {
            if let Err(err) = result {
                tracing::debug!(error = %err, "emulator: connection ended with an error");
            }
        }
        () = drop_connection.cancelled() => {}
        () = shared.shutdown.cancelled() => {}
    }
}

/// A running emulator. Dropping it stops the emulator too.
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    accept_loop: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// Base URL, e.g. `http://127.0.0.1:41234` (use it for both the MRS and the IAM endpoint).
    pub fn url(&self) -> String {
        let ip = if self.local_addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.local_addr.ip()
        };
        format!("http://{}", SocketAddr::new(ip, self.local_addr.port()))
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The project id the MRS routes accept.
    pub fn project_id(&self) -> &str {
        &self.shared.config.project_id
    }

    /// The region IAM knows.
    pub fn region(&self) -> &str {
        &self.shared.config.region
    }

    /// Creates a job directly and returns its id (a new UUID unless `job_id` is given; an existing
    /// job with that id is replaced). With `state` the job stays in it until killed; without, it
    /// follows the job clock from now. The cluster is created if needed.
    pub fn add_job(
        &self,
        cluster_id: &str,
        job_id: Option<&str>,
        state: Option<JobState>,
    ) -> String {
        self.shared
            .lock_jobs()
            .insert(cluster_id, job_id, state, Instant::now())
    }

    /// Creates a job as `spec` describes it (name, type, user, queue, state) and returns its id.
    pub fn add_job_spec(&self, cluster_id: &str, spec: JobSpec) -> String {
        self.shared
            .lock_jobs()
            .insert_spec(cluster_id, spec, Instant::now())
    }

    /// One job as it is now, or `None` if the cluster or job does not exist.
    pub fn job(&self, cluster_id: &str, job_id: &str) -> Option<JobSnapshot> {
        self.shared.lock_jobs().snapshot(
            cluster_id,
            job_id,
            Instant::now(),
            &self.shared.config.job_clock,
        )
    }

    /// Every job of every cluster as it is now.
    pub fn jobs(&self) -> Vec<JobSnapshot> {
        self.shared
            .lock_jobs()
            .snapshots(Instant::now(), &self.shared.config.job_clock)
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.shared.stats.reset();
    }

    /// Replaces the fault plan; scripted steps not yet used are discarded, the random generator reseeded.
    pub fn set_faults(&self, faults: FaultPlan) {
        self.shared.replace_faults(faults);
    }

    /// Stops accepting, closes every connection (hung requests included) and waits for the listener to close.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.cancel();
        if let Some(accept_loop) = self.accept_loop.take() {
            let _ = accept_loop.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}

#[cfg(test)]
mod tests;
