//! AutoMTLS: the per-process server certificate and the rule "only the client Terraform named may talk".
//!
//! go-plugin's AutoMTLS has each side create a throwaway self-signed certificate; the client hands
//! its own to us in `PLUGIN_CLIENT_CERT` and we hand ours back in the handshake line. We must then
//! refuse every TLS client except the one presenting exactly that certificate, so other local users
//! cannot drive the provider (and the credentials it holds) through our socket.
//!
//! go-plugin's client certificate is ECDSA P-521, which ring cannot verify, so its TLS signatures
//! (`ecdsa_secp521r1_sha512`) are checked with the pure-Rust `p521` crate; everything else goes
//! through rustls's webpki helpers.

use std::sync::Arc;

use base64::Engine as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};

/// Host name our certificate is issued for; go-plugin clients verify the server as "localhost".
pub const CERT_HOST: &str = "localhost";

/// How far back the certificate's validity starts, tolerating small clock differences.
const NOT_BEFORE_SLACK: time::Duration = time::Duration::seconds(30);

/// How long the certificate stays valid; go-plugin uses about 30 years, the process lives minutes.
const VALIDITY: time::Duration = time::Duration::days(30 * 365);

/// Why AutoMTLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` held no PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not contain a PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoClientCertificate,
    /// `PLUGIN_CLIENT_CERT` has a certificate block that cannot be decoded.
    #[error("PLUGIN_CLIENT_CERT holds a malformed PEM certificate: {0}")]
    MalformedClientCertificate(#[source] rustls::pki_types::pem::Error),
    /// rcgen could not create our certificate.
    #[error("could not generate the provider's TLS certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("could not configure TLS: {0}")]
    Configure(#[from] rustls::Error),
}

/// A freshly generated server certificate and its private key.
#[derive(Debug)]
pub struct ServerIdentity {
    /// The certificate in DER form.
    pub cert_der: CertificateDer<'static>,
    /// Its PKCS#8 private key.
    pub key_der: PrivatePkcs8KeyDer<'static>,
}

impl ServerIdentity {
    /// Creates a self-signed ECDSA P-256 certificate shaped like go-plugin's: CA, usable for
    /// server and client auth, issued to `localhost`, valid from 30 s ago. `organization` goes
    /// into the subject (go-plugin writes "HashiCorp"; we write the provider's binary name).
    pub fn generate(organization: &str) -> Result<Self, TlsError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec![CERT_HOST.to_owned()])?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, CERT_HOST);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, organization);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyAgreement,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        params.serial_number = Some(random_serial());
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - NOT_BEFORE_SLACK;
        params.not_after = now + VALIDITY;
        let cert = params.self_signed(&key)?;
        Ok(ServerIdentity {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// The certificate as the handshake line carries it: standard base64 of the DER, no padding.
    pub fn handshake_encoding(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.cert_der.as_ref())
    }
}

/// A positive 128-bit serial number, like go-plugin's random serial.
fn random_serial() -> rcgen::SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f;
    rcgen::SerialNumber::from_slice(&bytes)
}

/// Decodes every certificate in the PEM text of `PLUGIN_CLIENT_CERT`.
pub fn parse_client_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(TlsError::MalformedClientCertificate)?;
    if certs.is_empty() {
        return Err(TlsError::NoClientCertificate);
    }
    Ok(certs)
}

/// Accepts a TLS client only if it presents one of the pinned certificates, byte for byte, and
/// proves it holds that certificate's key.
#[derive(Debug)]
pub struct PinnedClientCertVerifier {
    pinned: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertVerifier {
    /// A verifier that trusts exactly `pinned`, checking handshake signatures with `provider`'s algorithms.
    pub fn new(pinned: Vec<CertificateDer<'static>>, provider: &CryptoProvider) -> Self {
        PinnedClientCertVerifier {
            pinned,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    /// A handshake signature checked by `rustls_check` with our algorithms, except a P-521 one,
    /// which the ring provider cannot check and [`verify_p521_signature`] does, whatever the
    /// TLS version.
    fn check_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        rustls_check: RustlsSignatureCheck,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if dss.scheme == SignatureScheme::ECDSA_NISTP521_SHA512 {
            return verify_p521_signature(message, cert, dss.signature());
        }
        rustls_check(message, cert, dss, &self.algorithms)
    }
}

/// rustls's check of a TLS 1.2 or a TLS 1.3 handshake signature.
type RustlsSignatureCheck = fn(
    &[u8],
    &CertificateDer<'_>,
    &DigitallySignedStruct,
    &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, rustls::Error>;

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|pinned| pinned.as_ref() == end_entity.as_ref())
        {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_signature(message, cert, dss, rustls::crypto::verify_tls12_signature)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_signature(message, cert, dss, rustls::crypto::verify_tls13_signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self.algorithms.supported_schemes();
        schemes.push(SignatureScheme::ECDSA_NISTP521_SHA512);
        schemes
    }
}

/// Checks an `ecdsa_secp521r1_sha512` handshake signature (DER-encoded) against `cert`'s key.
pub fn verify_p521_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    signature_der: &[u8],
) -> Result<HandshakeSignatureValid, rustls::Error> {
    let cert = webpki::EndEntityCert::try_from(cert)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    verify_p521_with_spki(
        message,
        cert.subject_public_key_info().as_ref(),
        signature_der,
    )
}

/// Checks an `ecdsa_secp521r1_sha512` signature against a DER SubjectPublicKeyInfo.
fn verify_p521_with_spki(
    message: &[u8],
    spki_der: &[u8],
    signature_der: &[u8],
) -> Result<HandshakeSignatureValid, rustls::Error> {
    use p521::ecdsa::signature::Verifier as _;
    use p521::pkcs8::DecodePublicKey as _;

    let bad_signature = || rustls::Error::InvalidCertificate(CertificateError::BadSignature);
    // A key of another type or curve cannot have made a P-521 signature.
    let public_key = p521::PublicKey::from_public_key_der(spki_der).map_err(|_| bad_signature())?;
    let key = p521::ecdsa::VerifyingKey::from_affine(*public_key.as_affine())
        .map_err(|_| bad_signature())?;
    let signature = p521::ecdsa::Signature::from_der(signature_der).map_err(|_| bad_signature())?;
    key.verify(message, &signature)
        .map_err(|_| bad_signature())?;
    Ok(HandshakeSignatureValid::assertion())
}

/// The rustls server configuration for AutoMTLS: our identity, the pinned client, ALPN `h2`.
pub fn server_config(
    identity: &ServerIdentity,
    client_certs: Vec<CertificateDer<'static>>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = PinnedClientCertVerifier::new(client_certs, &provider);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![identity.cert_der.clone()],
            PrivateKeyDer::Pkcs8(identity.key_der.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_ORGANIZATION: &str = "terraform-provider-mrs";
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::{FromDer as _, X509Certificate};

    #[test]
    fn generated_certificate_is_a_localhost_ca_for_server_and_client_auth() {
        let identity = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let (_, cert) = X509Certificate::from_der(identity.cert_der.as_ref()).unwrap();

        let constraints = cert.basic_constraints().unwrap().unwrap().value;
        assert!(constraints.ca);

        let usage = cert.key_usage().unwrap().unwrap().value;
        assert!(usage.digital_signature());
        assert!(usage.key_encipherment());
        assert!(usage.key_cert_sign());

        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth);
        assert!(eku.client_auth);

        let san = cert.subject_alternative_name().unwrap().unwrap().value;
        assert_eq!(san.general_names, vec![GeneralName::DNSName("localhost")]);

        let subject = cert.subject().to_string();
        assert!(subject.contains("CN=localhost"), "{subject}");
        assert!(subject.contains("O=terraform-provider-mrs"), "{subject}");
        assert!(cert.validity().is_valid());
        assert_eq!(cert.issuer(), cert.subject(), "self-signed");
    }

    #[test]
    fn each_generation_is_a_fresh_key_and_serial() {
        let a = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let b = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        assert_ne!(a.cert_der, b.cert_der);
        assert_ne!(a.key_der.secret_pkcs8_der(), b.key_der.secret_pkcs8_der());
    }

    #[test]
    fn handshake_encoding_is_unpadded_standard_base64_of_der() {
        let identity = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let encoded = identity.handshake_encoding();
        assert!(!encoded.ends_with('='));
        let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&encoded)
            .unwrap();
        assert_eq!(decoded, identity.cert_der.as_ref());
    }

    fn pem_of(identity: &ServerIdentity) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(identity.cert_der.as_ref());
        format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
    }

    #[test]
    fn client_pem_parses_back_to_the_same_der() {
        let identity = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let certs = parse_client_certs(&pem_of(&identity)).unwrap();
        assert_eq!(certs, vec![identity.cert_der.clone()]);
    }

    #[test]
    fn client_pem_without_certificate_is_an_error() {
        assert!(matches!(
            parse_client_certs("hello"),
            Err(TlsError::NoClientCertificate)
        ));
        let broken = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            parse_client_certs(broken),
            Err(TlsError::MalformedClientCertificate(_))
        ));
    }

    fn verifier_pinning(cert: &CertificateDer<'static>) -> PinnedClientCertVerifier {
        PinnedClientCertVerifier::new(
            vec![cert.clone()],
            &rustls::crypto::ring::default_provider(),
        )
    }

    #[test]
    fn verifier_accepts_the_pinned_certificate() {
        let client = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let verifier = verifier_pinning(&client.cert_der);
        assert!(verifier.client_auth_mandatory());
        assert!(
            verifier
                .verify_client_cert(&client.cert_der, &[], UnixTime::now())
                .is_ok()
        );
    }

    #[test]
    fn verifier_rejects_any_other_certificate() {
        let client = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let intruder = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let verifier = verifier_pinning(&client.cert_der);
        let err = verifier
            .verify_client_cert(&intruder.cert_der, &[], UnixTime::now())
            .unwrap_err();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        );
    }

    /// go-plugin's client signs with ECDSA P-521, which ring cannot verify.
    fn p521_key_and_spki() -> (p521::ecdsa::SigningKey, Vec<u8>) {
        use p521::pkcs8::EncodePublicKey as _;
        // Random bytes with a zero top byte are below the group order.
        let mut secret: [u8; 66] = rand::random();
        secret[0] = 0;
        let key = p521::ecdsa::SigningKey::from_slice(&secret).unwrap();
        let verifying = p521::ecdsa::VerifyingKey::from(&key);
        let public = p521::PublicKey::from_affine(*verifying.as_affine()).unwrap();
        let spki = public.to_public_key_der().unwrap().into_vec();
        (key, spki)
    }

    #[test]
    fn p521_signature_from_the_key_holder_verifies() {
        use p521::ecdsa::signature::Signer as _;
        let (key, spki) = p521_key_and_spki();
        let message = b"TLS 1.3, client CertificateVerify";
        let signature: p521::ecdsa::Signature = key.sign(message);
        let der = signature.to_der();
        assert!(verify_p521_with_spki(message, &spki, der.as_bytes()).is_ok());
    }

    #[test]
    fn p521_signature_over_another_message_or_from_another_key_is_rejected() {
        use p521::ecdsa::signature::Signer as _;
        let (key, spki) = p521_key_and_spki();
        let (_, other_spki) = p521_key_and_spki();
        let signature: p521::ecdsa::Signature = key.sign(b"signed");
        let der = signature.to_der();
        let bad = rustls::Error::InvalidCertificate(CertificateError::BadSignature);
        assert_eq!(
            verify_p521_with_spki(b"tampered", &spki, der.as_bytes()).unwrap_err(),
            bad
        );
        assert_eq!(
            verify_p521_with_spki(b"signed", &other_spki, der.as_bytes()).unwrap_err(),
            bad
        );
    }

    #[test]
    fn p521_check_refuses_a_p256_certificate_key() {
        let p256 = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let err = verify_p521_signature(b"m", &p256.cert_der, &[0x30, 0x00]).unwrap_err();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::BadSignature)
        );
    }

    #[test]
    fn verifier_offers_p521_for_go_plugin_clients() {
        let client = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let verifier = verifier_pinning(&client.cert_der);
        let schemes = verifier.supported_verify_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP256_SHA256));
    }

    #[test]
    fn server_config_offers_h2_and_requires_a_client_certificate() {
        let server = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let client = ServerIdentity::generate(TEST_ORGANIZATION).unwrap();
        let config = server_config(&server, vec![client.cert_der.clone()]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    }
}
