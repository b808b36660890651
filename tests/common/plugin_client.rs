//! A test client that starts the provider binary exactly as Terraform does and talks to it.
//!
//! It sets the go-plugin handshake environment (magic cookie, protocol 6, a fresh AutoMTLS client
//! certificate), reads the handshake line, and dials the announced socket over mTLS trusting only
//! the server certificate from that line. Integration tests, examples and benchmarks can all use
//! it (`#[path = "../tests/common/plugin_client.rs"] mod plugin_client;` from outside `tests/`).

use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use terraform_provider_mrs::plugin::proto::goplugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_mrs::plugin::proto::tfplugin6::provider_client::ProviderClient;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::{TcpStream, UnixStream};
use tokio::process::{Child, ChildStdout, Command};
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint};

/// The magic cookie Terraform sets for providers.
pub const MAGIC_COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

/// Upper bound for the provider to print its handshake line; only guards against a hung test.
const HANDSHAKE_GUARD: Duration = Duration::from_secs(60);

/// Path of the provider binary Cargo built for these tests.
pub fn provider_binary() -> &'static str {
    env!("CARGO_BIN_EXE_terraform-provider-mrs")
}

/// Where a provider started by a test looks for ECS instance metadata (`HW_METADATA_ENDPOINT`):
/// a loopback port nothing listens on, so a provider that finds no credentials fails at once
/// instead of reaching for 169.254.169.254. Every way the tests start the provider sets it.
pub fn unreachable_metadata_endpoint() -> &'static str {
    static ENDPOINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ENDPOINT.get_or_init(|| {
        // A port just released by a listener of ours is closed until someone binds it again.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        format!("http://127.0.0.1:{port}")
    })
}

/// A command for the provider binary with none of the handshake variables inherited from the
/// test's own environment, and the metadata lookup pinned to loopback.
pub fn bare_command() -> Command {
    let mut command = Command::new(provider_binary());
    for key in [
        MAGIC_COOKIE.0,
        "PLUGIN_PROTOCOL_VERSIONS",
        "PLUGIN_CLIENT_CERT",
        "PLUGIN_UNIX_SOCKET_DIR",
        "PLUGIN_MIN_PORT",
        "PLUGIN_MAX_PORT",
        "TF_REATTACH_PROVIDERS",
    ] {
        command.env_remove(key);
    }
    command.env("HW_METADATA_ENDPOINT", unreachable_metadata_endpoint());
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    command
}

/// A client certificate and key like the one go-plugin's client generates, but on P-256: go-plugin
/// uses P-521, which ring can neither generate nor sign with. (The provider's P-521 path is covered
/// by `plugin::tls`'s unit tests and by every real Terraform run in the e2e tests.)
#[derive(Debug)]
pub struct ClientIdentity {
    /// DER certificate.
    pub cert_der: CertificateDer<'static>,
    /// PKCS#8 key.
    pub key_der: PrivatePkcs8KeyDer<'static>,
    /// PEM certificate, as Terraform puts in `PLUGIN_CLIENT_CERT`.
    pub cert_pem: String,
}

impl ClientIdentity {
    /// A fresh self-signed ECDSA P-256 client certificate for `localhost`.
    pub fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("keygen");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("cert params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).expect("self-sign");
        ClientIdentity {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
            cert_pem: cert.pem(),
        }
    }
}

/// The parsed handshake line.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// go-plugin core protocol version (1).
    pub core_version: u32,
    /// Negotiated plugin protocol version (6).
    pub protocol_version: u32,
    /// `unix` or `tcp`.
    pub network: String,
    /// Socket path or `host:port`.
    pub address: String,
    /// `grpc`.
    pub protocol: String,
    /// The server certificate, when AutoMTLS is on.
    pub server_cert_der: Option<Vec<u8>>,
}

impl Handshake {
    /// Parses `1|6|unix|/path|grpc|CERT`.
    pub fn parse(line: &str) -> Result<Self, String> {
        let parts: Vec<&str> = line.trim_end().split('|').collect();
        let [core, protocol_version, network, address, protocol, cert] = parts[..] else {
            return Err(format!(
                "handshake line has {} fields: {line:?}",
                parts.len()
            ));
        };
        let server_cert_der = if cert.is_empty() {
            None
        } else {
            Some(
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(cert)
                    .map_err(|e| format!("server cert is not unpadded base64: {e}"))?,
            )
        };
        Ok(Handshake {
            core_version: core.parse().map_err(|e| format!("core version: {e}"))?,
            protocol_version: protocol_version
                .parse()
                .map_err(|e| format!("protocol version: {e}"))?,
            network: network.to_owned(),
            address: address.to_owned(),
            protocol: protocol.to_owned(),
            server_cert_der,
        })
    }
}

/// Trusts exactly one server certificate, as go-plugin's client trusts the one from the handshake.
#[derive(Debug)]
struct PinnedServerCert {
    cert_der: Vec<u8>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert_der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Builds a TLS client config trusting `server_cert_der` and presenting `identity` (if any).
pub fn client_tls_config(
    server_cert_der: &[u8],
    identity: Option<&ClientIdentity>,
) -> Result<ClientConfig, rustls::Error> {
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = PinnedServerCert {
        cert_der: server_cert_der.to_vec(),
        algorithms: provider.signature_verification_algorithms,
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match identity {
        Some(identity) => builder.with_client_auth_cert(
            vec![identity.cert_der.clone()],
            PrivateKeyDer::Pkcs8(identity.key_der.clone_key()),
        )?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Dials the address from `handshake`, over TLS when it carried a server certificate.
pub async fn connect(
    handshake: &Handshake,
    identity: Option<&ClientIdentity>,
) -> Result<Channel, Box<dyn std::error::Error + Send + Sync>> {
    let tls = match &handshake.server_cert_der {
        Some(cert) => Some(TlsConnector::from(Arc::new(client_tls_config(
            cert, identity,
        )?))),
        None => None,
    };
    let network = handshake.network.clone();
    let address = handshake.address.clone();
    let connector = tower::service_fn(move |_uri: http::Uri| {
        let (network, address, tls) = (network.clone(), address.clone(), tls.clone());
        async move { dial(&network, &address, tls).await.map(TokioIo::new) }
    });
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await?;
    Ok(channel)
}

/// A dialled stream: plain or TLS, over unix or TCP.
type BoxedIo = Box<dyn AsyncIo>;

/// Read + write, for boxing either kind of stream.
pub trait AsyncIo: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> AsyncIo for T {}

async fn dial(network: &str, address: &str, tls: Option<TlsConnector>) -> io::Result<BoxedIo> {
    let raw: BoxedIo = match network {
        "unix" => Box::new(UnixStream::connect(address).await?),
        "tcp" => Box::new(TcpStream::connect(address).await?),
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("network {other}"),
            ));
        }
    };
    match tls {
        None => Ok(raw),
        Some(connector) => {
            let name = ServerName::try_from("localhost").expect("static name");
            Ok(Box::new(connector.connect(name, raw).await?))
        }
    }
}

/// A running provider process, started as Terraform starts it, with an mTLS channel to it.
/// The process is killed when this is dropped.
pub struct PluginProcess {
    child: Child,
    /// Kept open so the provider can keep writing to stdout.
    _stdout: BufReader<ChildStdout>,
    handshake: Handshake,
    identity: ClientIdentity,
    channel: Channel,
}

impl PluginProcess {
    /// Starts the provider with Terraform's environment and connects to it.
    pub async fn launch() -> Self {
        Self::launch_with(|_| {}).await
    }

    /// Like [`PluginProcess::launch`], letting `configure` add to the command (extra env, a
    /// `PLUGIN_UNIX_SOCKET_DIR`, ...) after the handshake environment is set.
    pub async fn launch_with(configure: impl FnOnce(&mut Command)) -> Self {
        let identity = ClientIdentity::generate();
        let mut command = bare_command();
        command
            .env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_CLIENT_CERT", &identity.cert_pem);
        configure(&mut command);
        let mut child = command.spawn().expect("start the provider binary");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let line = read_line(&mut stdout).await;
        let handshake = Handshake::parse(&line).expect("a go-plugin handshake line");
        let channel = connect(&handshake, Some(&identity))
            .await
            .expect("connect to the provider over mTLS");
        PluginProcess {
            child,
            _stdout: stdout,
            handshake,
            identity,
            channel,
        }
    }

    /// The handshake the provider printed.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The unix socket path the provider announced.
    pub fn socket_path(&self) -> PathBuf {
        assert_eq!(
            self.handshake.network, "unix",
            "provider is not on a unix socket"
        );
        PathBuf::from(&self.handshake.address)
    }

    /// The client certificate Terraform would hold.
    pub fn identity(&self) -> &ClientIdentity {
        &self.identity
    }

    /// The process id of the provider.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// A client for `tfplugin6.Provider` on the shared channel.
    pub fn provider(&self) -> ProviderClient<Channel> {
        ProviderClient::new(self.channel.clone())
    }

    /// A client for `plugin.GRPCController` on the shared channel.
    pub fn controller(&self) -> GrpcControllerClient<Channel> {
        GrpcControllerClient::new(self.channel.clone())
    }

    /// The shared mTLS channel, for other services (health, stdio, broker).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Asks the provider to exit through `GRPCController.Shutdown` and waits for it.
    pub async fn shutdown_and_wait(mut self) -> ExitStatus {
        use terraform_provider_mrs::plugin::proto::goplugin::Empty;
        // The process may close the connection before the answer arrives; the exit is what counts.
        let _ = self.controller().shutdown(Empty {}).await;
        self.wait().await
    }

    /// Waits for the provider to exit.
    pub async fn wait(&mut self) -> ExitStatus {
        self.child.wait().await.expect("wait for the provider")
    }
}

/// Reads one stdout line from the provider, failing the test if it exits or hangs first.
pub async fn read_line(stdout: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    let read = tokio::time::timeout(HANDSHAKE_GUARD, stdout.read_line(&mut line))
        .await
        .expect("the provider printed nothing on stdout")
        .expect("read the provider's stdout");
    assert!(read > 0, "the provider closed stdout without a line");
    line
}

/// Checks a path names an existing unix socket file.
pub fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}
