//! The emulator as a process part: binding listeners, accepting TCP (and TLS) connections,
//! serving HTTP/1.1 on them, and the handle tests use to steer and inspect a running emulator.
//!
//! The emulator owns its accept loop so that it can count TCP connections and drop one on purpose
//! (a `drop` fault); every request is handed to the router.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::EmulatorConfig;
use crate::faults::FaultPlan;
use crate::issued::IssuedCredential;
use crate::jobs::{JobSnapshot, JobSpec, JobState};
use crate::router;
use crate::shared::Shared;
use crate::stats::Stats;
use crate::tls::TlsIdentity;

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
        let shared = Arc::new(Shared::new(config));
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
            router::serve(Arc::clone(&shared), drop_connection.clone(), request)
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
