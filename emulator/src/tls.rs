//! HTTPS for the emulator: a certificate chain and key given as PEM, served with rustls.
//!
//! Real users never talk plain HTTP to MRS, and a test that runs the provider against real host
//! names (in a private network namespace) must see the provider check a certificate for those
//! names; so the emulator can serve TLS on any of its listeners.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A server certificate chain (leaf first) and its private key, both PEM.
#[derive(Clone)]
pub struct TlsIdentity {
    /// `BEGIN CERTIFICATE` blocks, the leaf first.
    pub cert_chain_pem: String,
    /// The leaf's private key (PKCS#8, PKCS#1 or SEC1 PEM).
    pub key_pem: String,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field(
                "cert_chain_pem",
                &format!("{} bytes", self.cert_chain_pem.len()),
            )
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Why a [`TlsIdentity`] cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsIdentityError {
    /// No certificate in the chain text, or one that does not parse.
    #[error("the TLS certificate is not usable PEM: {0}")]
    Certificate(String),
    /// No key, or one that does not parse.
    #[error("the TLS private key is not usable PEM: {0}")]
    Key(String),
    /// rustls refused the pair (e.g. the key does not match the certificate).
    #[error("the TLS certificate and key cannot be served: {0}")]
    Rejected(String),
}

impl TlsIdentity {
    /// Reads the chain and key from PEM files (`--tls-cert`, `--tls-key`).
    pub fn from_files(
        cert: &std::path::Path,
        key: &std::path::Path,
    ) -> Result<Self, std::io::Error> {
        Ok(Self {
            cert_chain_pem: std::fs::read_to_string(cert)?,
            key_pem: std::fs::read_to_string(key)?,
        })
    }

    /// Checks that the chain and key can be served, before anything listens.
    pub fn validate(&self) -> Result<(), TlsIdentityError> {
        self.acceptor().map(drop)
    }

    pub(crate) fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, TlsIdentityError> {
        let chain = CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsIdentityError::Certificate(e.to_string()))?;
        if chain.is_empty() {
            return Err(TlsIdentityError::Certificate(
                "no BEGIN CERTIFICATE block".to_owned(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| TlsIdentityError::Key(e.to_string()))?;
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsIdentityError::Rejected(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsIdentityError::Rejected(e.to_string()))?;
        // The emulator speaks HTTP/1.1 only; say so, so an h2-preferring client does not try h2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Emulator, EmulatorConfig};
    use std::time::Duration;

    fn identity_for(names: &[&str]) -> (TlsIdentity, String) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let certified = rcgen::generate_simple_self_signed(names).expect("test certificate");
        let pem = certified.cert.pem();
        (
            TlsIdentity {
                cert_chain_pem: pem.clone(),
                key_pem: certified.signing_key.serialize_pem(),
            },
            pem,
        )
    }

    fn client_trusting(ca_pem: &str) -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn serves_https_on_two_listeners_with_their_own_certificates_and_records_hosts() {
        let (first, first_ca) = identity_for(&["localhost"]);
        let (second, second_ca) = identity_for(&["127.0.0.1"]);
        let emulator = Emulator::start(EmulatorConfig {
            tls: Some(first),
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        assert!(emulator.url().starts_with("https://"), "{}", emulator.url());
        let port = emulator.local_addr().port();
        let also = emulator
            .listen_also("127.0.0.1:0".parse().unwrap(), Some(&second))
            .await
            .unwrap();

        let first_url = format!("https://localhost:{port}/v3/projects?name=cn-north-4");
        let answer = client_trusting(&first_ca).get(&first_url).send().await;
        // Unsigned: refused, but over TLS the emulator answered.
        assert_eq!(answer.unwrap().status(), 401);
        let second_url = format!("https://127.0.0.1:{}/v3/projects", also.port());
        assert_eq!(
            client_trusting(&second_ca)
                .get(&second_url)
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        // Each listener shows its own certificate: the other CA does not vouch for it.
        let refused = client_trusting(&second_ca).get(&first_url).send().await;
        assert!(refused.is_err(), "{refused:?}");

        let stats = emulator.stats();
        assert_eq!(
            stats.requests_at(&format!("localhost:{port}"), crate::Route::IamProjects),
            1,
            "{:?}",
            stats.hosts
        );
        assert_eq!(
            stats.requests_at(
                &format!("127.0.0.1:{}", also.port()),
                crate::Route::IamProjects
            ),
            1,
            "{:?}",
            stats.hosts
        );
        emulator.shutdown().await;
    }

    #[test]
    fn a_key_that_is_not_pem_is_refused_before_listening() {
        let (mut identity, _) = identity_for(&["localhost"]);
        identity.key_pem = "not a key".to_owned();
        assert!(matches!(identity.validate(), Err(TlsIdentityError::Key(_))));
    }
}
