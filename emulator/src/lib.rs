//! A local stand-in for Huawei Cloud MRS (and the bits of IAM and ECS metadata the provider needs).
//!
//! The demo, the tests, the benchmarks and users' CI need an MRS that is free, fast, always there
//! and able to fail on purpose. The emulator speaks the same HTTP API (§1 of REFERENCE.md), checks
//! AK/SK signatures with its own verifier, runs jobs on a clock and can inject faults. It owns its
//! accept loop so it can count TCP connections and drop them. It serves plain HTTP or, given a
//! certificate ([`EmulatorConfig::tls`]), HTTPS, on one address or several
//! ([`EmulatorHandle::listen_also`]), so tests can put it behind Huawei Cloud's real host names.
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
mod iam;
mod jobs;
mod keyless;
mod rate_limit;
pub use keyless::OidcProvider;
mod routes;
mod signing;
mod stats;
mod tls;

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
pub use iam::IssuedCredential;
pub use jobs::{
    JobClock, JobResult, JobSnapshot, JobSpec, JobState, UnknownJobResult, UnknownJobState,
};
pub use routes::{KILL_FAILED_BODY, Route, UnknownRoute};
pub use stats::{RouteCounts, Stats};
pub use tls::{TlsIdentity, TlsIdentityError};

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
    /// Serve HTTPS with this certificate instead of plain HTTP.
    pub tls: Option<TlsIdentity>,
    /// The agency IAM's `POST /v3.0/OS-CREDENTIAL/securitytokens` lets callers assume;
    /// `None`: every attempt to assume one is refused (403).
    pub agency: Option<Agency>,
    /// More agencies callers may assume (a chain's later hops), by IAM v3.0 or STS v5.
    pub more_agencies: Vec<Agency>,
    /// The OIDC identity provider `POST /v3.0/OS-AUTH/id-token/tokens` trusts; `None`: every
    /// exchange is refused.
    pub oidc: Option<OidcProvider>,
    /// Serve the ECS metadata route `GET /openstack/latest/securitykey` (unauthenticated, as on
    /// an instance); `false`: it is an unknown path (404).
    pub serve_metadata: bool,
    /// Lifetime of the temporary keys the emulator issues; `None`: the `duration_seconds` asked
    /// for when assuming an agency, one hour for metadata keys.
    pub temp_credential_lifetime: Option<Duration>,
    /// API requests allowed per second and project (a token bucket holding one second's worth);
    /// beyond it the gateway answers 429 `APIGW.0308` without `Retry-After`. `None`: unlimited.
    pub rate_limit: Option<f64>,
}

/// An IAM agency that callers may assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// Agency name (`agency_name`).
    pub name: String,
    /// Name of the account that created it (`domain_name`).
    pub domain_name: String,
    /// ID of that account (`domain_id`).
    pub domain_id: String,
}

impl Agency {
    /// An agency `name` of the account `domain_name`, whose ID is [`DEFAULT_AGENCY_DOMAIN_ID`].
    pub fn new(name: impl Into<String>, domain_name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            domain_name: domain_name.into(),
            domain_id: DEFAULT_AGENCY_DOMAIN_ID.to_owned(),
        }
    }
}

/// Account ID of an [`Agency`] built with [`Agency::new`].
pub const DEFAULT_AGENCY_DOMAIN_ID: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

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
            tls: None,
            agency: None,
            more_agencies: Vec::new(),
            oidc: None,
            serve_metadata: false,
            temp_credential_lifetime: None,
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
    issued: iam::IssuedCredentials,
    keyless: keyless::KeylessState,
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
    /// With [`EmulatorConfig::tls`] it serves HTTPS; a certificate that cannot be used is an
    /// `InvalidInput` error.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
        let acceptor = config
            .tls
            .as_ref()
            .map(TlsIdentity::acceptor)
            .transpose()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
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
            issued: iam::IssuedCredentials::default(),
            keyless: keyless::KeylessState::default(),
            shutdown: CancellationToken::new(),
        });
        let https = acceptor.is_some();
        let accept_loop = tokio::spawn(accept_connections(listener, acceptor, Arc::clone(&shared)));
        Ok(EmulatorHandle {
            shared,
            local_addr,
            https,
            accept_loop: Some(accept_loop),
            other_loops: Mutex::new(Vec::new()),
        })
    }
}

async fn accept_connections(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
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
        let shared = Arc::clone(&shared);
        match &tls {
            None => {
                tokio::spawn(serve_connection(stream, shared));
            }
            Some(acceptor) => {
                let handshake = acceptor.accept(stream);
                tokio::spawn(async move {
                    // A client that refuses the certificate ends here; the test sees its error.
                    let stream = tokio::select! {
                        () = shared.shutdown.cancelled() => return,
                        done = handshake => match done {
                            Ok(stream) => stream,
                            Err(err) => {
                                tracing::debug!(error = %err, "emulator: TLS handshake failed");
                                return;
                            }
                        },
                    };
                    serve_connection(stream, shared).await;
                });
            }
        }
    }
}

async fn serve_connection<S>(stream: S, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
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
    https: bool,
    accept_loop: Option<JoinHandle<()>>,
    other_loops: Mutex<Vec<JoinHandle<()>>>,
}

impl EmulatorHandle {
    /// Base URL, e.g. `http://127.0.0.1:41234` (use it for both the MRS and the IAM endpoint);
    /// `https://` when serving TLS.
    pub fn url(&self) -> String {
        let ip = if self.local_addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.local_addr.ip()
        };
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", SocketAddr::new(ip, self.local_addr.port()))
    }

    /// Serves the same emulator (jobs, faults, counters) on one more address, with its own
    /// certificate or plain HTTP: e.g. IAM's host name with another CA's certificate than MRS's,
    /// or `169.254.169.254:80` inside a test's network namespace, where the provider looks for
    /// ECS metadata (keys issued there are accepted on the main address). Returns the address
    /// bound (port 0 picks one).
    pub async fn listen_also(
        &self,
        address: SocketAddr,
        tls: Option<&TlsIdentity>,
    ) -> std::io::Result<SocketAddr> {
        let acceptor = tls
            .map(TlsIdentity::acceptor)
            .transpose()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(address).await?;
        let bound = listener.local_addr()?;
        let accept_loop = tokio::spawn(accept_connections(
            listener,
            acceptor,
            Arc::clone(&self.shared),
        ));
        self.other_loops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(accept_loop);
        Ok(bound)
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

    /// Every set of temporary keys issued so far (assumed agencies, metadata), oldest first.
    pub fn issued_credentials(&self) -> Vec<IssuedCredential> {
        self.shared.issued.all()
    }

    /// OIDC ID tokens the id-token exchange accepted, oldest first.
    pub fn id_tokens_accepted(&self) -> Vec<String> {
        self.shared.keyless.id_tokens_accepted()
    }

    /// Federated tokens the id-token exchange handed out (`X-Subject-Token`), oldest first.
    pub fn federated_tokens(&self) -> Vec<String> {
        self.shared.keyless.federated_tokens()
    }

    /// Agency URNs (`iam::{domain_id}:agency:{name}`) assumed through STS v5, oldest first.
    pub fn agencies_assumed(&self) -> Vec<String> {
        self.shared.keyless.agencies_assumed()
    }

    /// API requests accepted with an `SDK-HMAC-SM3` signature.
    pub fn sm3_signed_requests(&self) -> u64 {
        self.shared.keyless.sm3_signed()
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
        let others = std::mem::take(
            &mut *self
                .other_loops
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for accept_loop in others {
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
