//! The provider process from start to exit: parse arguments, check the handshake environment,
//! listen, announce the address, serve gRPC until told to stop, clean up.
//!
//! Stop conditions follow go-plugin: `GRPCController.Shutdown`, SIGTERM, or Terraform going away
//! (we get re-parented). SIGINT is ignored when Terraform manages us, because Ctrl-C in the
//! terminal reaches the whole process group and Terraform wants to stop providers gracefully
//! itself (StopProvider, then Shutdown); in `--debug` mode Ctrl-C is how a person stops us.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory as _, FromArgMatches as _, Parser};
use tokio::signal::unix::{SignalKind, signal};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use super::debug::reattach_instructions;
use super::goplugin_services::{Broker, Controller, Stdio};
use super::handshake::{HandshakeError, PluginEnv, PortRange, handshake_line, not_started_advice};
use super::identity::ProviderIdentity;
use super::listener::{ListenError, PluginListener};
use super::logging;
use super::proto::goplugin::grpc_broker_server::GrpcBrokerServer;
use super::proto::goplugin::grpc_controller_server::GrpcControllerServer;
use super::proto::goplugin::grpc_stdio_server::GrpcStdioServer;
use super::proto::tfplugin6::provider_server::{Provider, ProviderServer};
use super::tls::{ServerIdentity, TlsError, parse_client_certs, server_config};

/// Largest gRPC message we accept or send, as terraform-plugin-go: schemas and states can be big.
pub const MAX_GRPC_MESSAGE_SIZE: usize = 256 << 20;

/// Name under which the gRPC health service reports us SERVING, as go-plugin does.
pub const HEALTH_SERVICE_NAME: &str = "plugin";

/// How long in-flight calls get to finish after a stop request before we exit anyway.
/// go-plugin's client kills a plugin that has not exited 2 s after Shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How often we check that Terraform (our parent process) is still there.
const PARENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// What the provider implementation receives when the server starts.
#[derive(Debug, Clone)]
pub struct ServeContext {
    /// Cancelled when the process is asked to stop (Shutdown RPC, SIGTERM, Terraform gone,
    /// Ctrl-C in debug mode); long operations should give up when it fires.
    pub shutdown: CancellationToken,
}

/// Command-line arguments. Terraform passes none. Name, version and help text come from the
/// provider's [`ProviderIdentity`].
#[derive(Debug, Parser)]
struct Args {
    /// Start without Terraform and print a TF_REATTACH_PROVIDERS line to attach Terraform to this process.
    #[arg(long)]
    debug: bool,
}

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The environment is not a usable go-plugin handshake.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// AutoMTLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// No socket could be opened.
    #[error(transparent)]
    Listen(#[from] ListenError),
    /// The async runtime, signal handlers or the socket address failed.
    #[error("could not start the provider's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The handshake line could not be written.
    #[error("could not write the handshake line to stdout: {0}")]
    Stdout(#[source] std::io::Error),
    /// The gRPC server stopped with an error.
    #[error("the gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
}

/// How this process was started.
#[derive(Debug)]
enum Mode {
    /// By Terraform, with the handshake environment.
    Managed(PluginEnv),
    /// By a person with `--debug`: no cookie, no TLS, reattach instructions on stdout.
    Debug,
}

impl Args {
    /// Parses the process's arguments, with `--help` and `--version` speaking for `identity`.
    fn parse_for(identity: &ProviderIdentity) -> Result<Self, clap::Error> {
        let about = format!(
            "{} (started by Terraform, not by hand)",
            identity.description
        );
        let command = Args::command()
            .name(identity.binary)
            .bin_name(identity.binary)
            .version(identity.version)
            .about(about);
        Args::from_arg_matches(&command.try_get_matches()?)
    }
}

/// Everything `main` needs: parse arguments (`--debug`), check the handshake, listen, announce,
/// serve the provider built by `make_provider` until asked to stop, clean up, and return the
/// process exit code. Errors are printed to stderr as sentences. `identity` names the provider
/// wherever the runtime has to (see [`ProviderIdentity`]).
pub fn run<S>(identity: ProviderIdentity, make_provider: impl FnOnce(ServeContext) -> S) -> ExitCode
where
    S: Provider,
{
    let args = match Args::parse_for(&identity) {
        Ok(args) => args,
        Err(err) => {
            // Prints help/version to stdout, usage errors to stderr.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    logging::init_from_env(identity.log_target);
    let mode = if args.debug {
        Mode::Debug
    } else {
        match PluginEnv::from_process_env() {
            Ok(env) => Mode::Managed(env),
            Err(HandshakeError::NotStartedByTerraform) => {
                eprintln!("{}", not_started_advice(&identity));
                return ExitCode::FAILURE;
            }
            Err(err) => {
                eprintln!("{err}");
                return ExitCode::FAILURE;
            }
        }
    };
    match serve_blocking(&identity, mode, make_provider) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "provider stopped");
            eprintln!("Error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve_blocking<S: Provider>(
    identity: &ProviderIdentity,
    mode: Mode,
    make_provider: impl FnOnce(ServeContext) -> S,
) -> Result<(), ServeError> {
    // One thread: Terraform holds one connection per process and is itself the bottleneck; worker
    // threads would only add start-up time and wake-ups on machines with few cores.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let result = runtime.block_on(serve(identity, mode, make_provider));
    // Dropping the runtime drops the accept task and with it the socket file; don't let a stuck
    // task hold the exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn serve<S: Provider>(
    identity: &ProviderIdentity,
    mode: Mode,
    make_provider: impl FnOnce(ServeContext) -> S,
) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();

    let (tls, server_cert) = match &mode {
        Mode::Managed(PluginEnv {
            client_cert_pem: Some(pem),
            ..
        }) => {
            let client_certs = parse_client_certs(pem)?;
            let certificate = ServerIdentity::generate(identity.binary)?;
            let acceptor = TlsAcceptor::from(server_config(&certificate, client_certs)?);
            (Some(acceptor), Some(certificate.handshake_encoding()))
        }
        _ => (None, None),
    };
    let dir_prefix = format!("tf-provider-{}-", identity.name);
    let listener = match &mode {
        Mode::Managed(env) => {
            PluginListener::bind(env.unix_socket_dir.as_deref(), &env.ports, &dir_prefix)?
        }
        Mode::Debug => PluginListener::bind(None, &PortRange::any(), &dir_prefix)?,
    };
    let addr = listener.addr().map_err(ServeError::Runtime)?;
    watch_for_stop(matches!(mode, Mode::Debug), shutdown.clone()).map_err(ServeError::Runtime)?;

    let provider = make_provider(ServeContext {
        shutdown: shutdown.clone(),
    });
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status(HEALTH_SERVICE_NAME, ServingStatus::Serving)
        .await;
    let router = Server::builder()
        .add_service(
            ProviderServer::new(provider)
                .max_decoding_message_size(MAX_GRPC_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_GRPC_MESSAGE_SIZE),
        )
        .add_service(GrpcControllerServer::new(Controller::new(shutdown.clone())))
        .add_service(GrpcStdioServer::new(Stdio::new(shutdown.clone())))
        .add_service(GrpcBrokerServer::new(Broker::new(shutdown.clone())))
        .add_service(health_service);
    let incoming = listener.into_incoming(tls, shutdown.clone());

    let announcement = match &mode {
        Mode::Managed(env) => {
            format!(
                "{}\n",
                handshake_line(env.protocol_version, &addr, server_cert.as_deref())
            )
        }
        Mode::Debug => reattach_instructions(identity.address, &addr, std::process::id()),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(announcement.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(ServeError::Stdout)?;
    drop(stdout);
    tracing::debug!(network = addr.network(), address = %addr, "plugin serving");

    let serving = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    tokio::select! {
        result = serving => result?,
        () = grace_expired(shutdown.clone()) => {
            tracing::warn!("in-flight calls did not finish in time after the stop request; exiting anyway");
        }
    }
    shutdown.cancel();
    Ok(())
}

/// Completes [`SHUTDOWN_GRACE`] after `shutdown` fires.
async fn grace_expired(shutdown: CancellationToken) {
    shutdown.cancelled().await;
    tokio::time::sleep(SHUTDOWN_GRACE).await;
}

/// Cancels `shutdown` on SIGTERM, on SIGINT in debug mode, and when the parent process goes away
/// in managed mode.
fn watch_for_stop(debug: bool, shutdown: CancellationToken) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    // Registering a handler is also what keeps SIGINT from killing us in managed mode.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let parent = (!debug).then(std::os::unix::process::parent_id);
    tokio::spawn(async move {
        let mut parent_check = tokio::time::interval(PARENT_CHECK_INTERVAL);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = terminate.recv() => {
                    tracing::info!("received SIGTERM, shutting down");
                    shutdown.cancel();
                }
                _ = interrupt.recv() => {
                    if debug {
                        tracing::info!("received Ctrl-C, shutting down");
                        shutdown.cancel();
                    } else {
                        tracing::debug!("ignoring SIGINT: Terraform stops its providers itself");
                    }
                }
                _ = parent_check.tick(), if parent.is_some() => {
                    if parent != Some(std::os::unix::process::parent_id()) {
                        tracing::warn!("Terraform (the parent process) went away, shutting down");
                        shutdown.cancel();
                    }
                }
            }
        }
    });
    Ok(())
}
