//! How the MRS client checks the servers it talks to.
//!
//! By default against the system's CA roots. Loading those is the most expensive thing a provider
//! process does (a ~200 KB bundle plus a directory of PEM files, every certificate parsed: 7–25 ms
//! measured here, more than all the RPCs of a one-resource apply together), so it happens at most
//! once per process, on a background thread started when a client for an `https` endpoint is
//! built. The first TLS handshake waits for it only if it is still running; clients of plain-`http`
//! endpoints (a local emulator) never load them. The system's roots are whatever
//! rustls-native-certs finds: `SSL_CERT_FILE` and `SSL_CERT_DIR` when set, else the usual
//! OpenSSL locations. `ca_cert_file` *adds* authorities: a server is accepted when the file's CAs
//! or the system's vouch for it (the system's are then loaded only when the file's do not), so a
//! corporate CA can be trusted without losing the public ones. `insecure` skips the certificate
//! check (handshake signatures are still verified).
//!
//! It is handed a [`TlsSettings`] (two values), never the whole client configuration, so the
//! credential sources and the transport can each ask for a TLS set-up without knowing the rest.

use super::error::ConfigError;
use super::local_file::{CA_BUNDLE_CAP, read_capped};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once, OnceLock};
use std::time::Instant;
use tracing::{debug, warn};

/// Which servers to trust: the provider's `insecure` and `ca_cert_file`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// Accept any server certificate. For test rigs only.
    pub insecure: bool,
    /// PEM bundle of CAs to trust in addition to the system's roots.
    pub ca_cert_file: Option<PathBuf>,
}

/// The rustls settings for a client that trusts as `config` says. `uses_https`: whether any of
/// its endpoints is an `https` URL, so that the system's roots are worth loading ahead of the
/// first handshake.
pub(super) fn client_tls_config(
    config: &TlsSettings,
    uses_https: bool,
) -> Result<rustls::ClientConfig, ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let trust = if config.insecure {
        warn!("insecure is set: server certificates are not verified");
        Trust::Anything
    } else if let Some(path) = &config.ca_cert_file {
        let roots = ca_file_roots(path)?;
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| ConfigError::CaCertParse {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
        Trust::SystemAndBundle(verifier)
    } else {
        if uses_https {
            load_system_roots_in_background();
        }
        Trust::System
    };
    let verifier = Arc::new(Verifier {
        trust,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::HttpClient(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tls)
}

/// Checks that `path` is a PEM bundle with at least one usable CA certificate, so a bad
/// `ca_cert_file` is reported when the configuration is validated, not at the first request.
pub fn check_ca_file(path: &Path) -> Result<(), ConfigError> {
    ca_file_roots(path).map(drop)
}

/// The CAs of a PEM bundle, which must hold at least one certificate.
fn ca_file_roots(path: &Path) -> Result<RootCertStore, ConfigError> {
    use rustls::pki_types::pem::PemObject as _;
    // A regular file of at most CA_BUNDLE_CAP: `/dev/zero` or a FIFO is refused at once.
    let pem = read_capped(path, CA_BUNDLE_CAP).map_err(|e| ConfigError::CaCertRead {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    let parse_error = |reason: String| ConfigError::CaCertParse {
        path: path.to_path_buf(),
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| parse_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(parse_error(
            "no \"BEGIN CERTIFICATE\" block found".to_owned(),
        ));
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| parse_error(e.to_string()))?;
    }
    Ok(roots)
}

/// Which server certificates are accepted.
#[derive(Debug)]
enum Trust {
    /// Those issued under the system's CA roots.
    System,
    /// Those issued under the CAs of `ca_cert_file` or under the system's roots.
    SystemAndBundle(Arc<WebPkiServerVerifier>),
    /// Any (`insecure`).
    Anything,
}

/// Checks the server's certificate as [`Trust`] says, and its handshake signatures always.
#[derive(Debug)]
struct Verifier {
    trust: Trust,
    algorithms: WebPkiSupportedAlgorithms,
}

/// The verifier over the system's roots, or why there is none; loaded at most once per process.
static SYSTEM_ROOTS: OnceLock<Result<Arc<WebPkiServerVerifier>, String>> = OnceLock::new();

/// Starts loading the system's roots on a thread of their own, once per process.
fn load_system_roots_in_background() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        // If no thread can be started, the first handshake loads them itself.
        let _ = std::thread::Builder::new()
            .name("system-ca-roots".to_owned())
            .spawn(|| {
                let _ = system_roots();
            });
    });
}

/// The system roots' verifier, loading them now or waiting for the thread that is.
fn system_roots() -> Result<&'static Arc<WebPkiServerVerifier>, rustls::Error> {
    SYSTEM_ROOTS
        .get_or_init(load_system_roots)
        .as_ref()
        .map_err(|reason| rustls::Error::General(reason.clone()))
}

fn load_system_roots() -> Result<Arc<WebPkiServerVerifier>, String> {
    let started = Instant::now();
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        debug!(error = %error, "skipped a system CA location");
    }
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    debug!(
        added,
        ignored,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "loaded the system's CA roots"
    );
    if roots.is_empty() {
        return Err("no CA certificate could be loaded from the system (SSL_CERT_FILE, SSL_CERT_DIR \
                    or the usual OpenSSL locations); set ca_cert_file to a PEM bundle of the CAs to trust"
            .to_owned());
    }
    WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    .map_err(|e| format!("the system's CA roots are unusable: {e}"))
}

impl Verifier {
    /// rustls says only "UnknownIssuer"; say which server and which roots were asked.
    fn explain(&self, error: rustls::Error, server_name: &ServerName<'_>) -> rustls::Error {
        if !is_unknown_issuer(&error) {
            return error;
        }
        let trusted = match self.trust {
            Trust::SystemAndBundle(_) => "the CAs of ca_cert_file and the system's roots",
            _ => "the system's roots",
        };
        let reason = format!(
            "the certificate of {} was not issued by a trusted CA (trusted: {trusted}; \
             SSL_CERT_FILE / SSL_CERT_DIR replace the system's roots). Set ca_cert_file to a \
             PEM file with the CA that issued it, or check that the endpoint is the right one",
            server_name.to_str()
        );
        // Still a certificate error, so the transport knows retrying cannot help.
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
            Arc::new(std::io::Error::other(reason)),
        )))
    }
}

fn is_unknown_issuer(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
    )
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verify = |verifier: &WebPkiServerVerifier| {
            verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        };
        let result = match &self.trust {
            Trust::System => verify(system_roots()?),
            Trust::SystemAndBundle(bundle) => match verify(bundle) {
                Ok(verified) => Ok(verified),
                Err(bundle_error) => match system_roots() {
                    Err(_) => Err(bundle_error),
                    // Report what is wrong with the certificate (expired, wrong name) rather
                    // than "unknown issuer" from the set of roots that never issued it.
                    Ok(system) => verify(system).map_err(|system_error| {
                        if is_unknown_issuer(&system_error) {
                            bundle_error
                        } else {
                            system_error
                        }
                    }),
                },
            },
            Trust::Anything => return Ok(ServerCertVerified::assertion()),
        };
        result.map_err(|e| self.explain(e, server_name))
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
