//! The go-plugin handshake: the environment Terraform hands a freshly started provider, and the
//! single stdout line the provider answers with.
//!
//! Terraform (through go-plugin) proves it is the parent with a magic cookie, lists the plugin
//! protocol versions it speaks, optionally hands over its client certificate (AutoMTLS), and tells
//! us where to put the unix socket or which TCP ports to use. Everything here is pure parsing of
//! that environment so it can be tested without touching the process environment.

use std::ffi::OsString;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use super::identity::ProviderIdentity;

/// Name of the environment variable carrying go-plugin's magic cookie for Terraform providers.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";

/// The value Terraform puts in [`MAGIC_COOKIE_KEY`]; anything else means we were not started by Terraform.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own protocol version: the first field of the handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;

/// The Terraform plugin protocol version this provider speaks (tfplugin6).
pub const PLUGIN_PROTOCOL_VERSION: u32 = 6;

/// Environment variable listing the plugin protocol versions the client accepts, comma separated.
pub const PROTOCOL_VERSIONS_KEY: &str = "PLUGIN_PROTOCOL_VERSIONS";

/// Environment variable with the PEM client certificate when the client wants AutoMTLS.
pub const CLIENT_CERT_KEY: &str = "PLUGIN_CLIENT_CERT";

/// Environment variable naming the directory the unix socket must be created in.
pub const UNIX_SOCKET_DIR_KEY: &str = "PLUGIN_UNIX_SOCKET_DIR";

/// Environment variable with the lowest TCP port the TCP fallback may use.
pub const MIN_PORT_KEY: &str = "PLUGIN_MIN_PORT";

/// Environment variable with the highest TCP port the TCP fallback may use.
pub const MAX_PORT_KEY: &str = "PLUGIN_MAX_PORT";

/// Why the environment Terraform gave us cannot be served.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    /// The magic cookie is missing or wrong: a person ran the binary by hand. [`not_started_advice`]
    /// says the same with the provider's own names.
    #[error(
        "This binary is a Terraform provider plugin; it is meant to be started by Terraform or \
         OpenTofu, not run directly. To use a local build, point Terraform at it with a \
         `provider_installation {{ dev_overrides {{ ... }} }}` block in a CLI config file; to debug it, \
         run it with `--debug`."
    )]
    NotStartedByTerraform,
    /// The client does not speak protocol 6.
    #[error(
        "Terraform offered plugin protocol version(s) {offered} in {PROTOCOL_VERSIONS_KEY}, but this \
         provider speaks only protocol {PLUGIN_PROTOCOL_VERSION}; use Terraform 1.0 or newer, or OpenTofu"
    )]
    UnsupportedProtocol {
        /// The versions the client listed, as it wrote them.
        offered: String,
    },
    /// A port variable is not a port number.
    #[error("{key}={value:?} is not a TCP port number (0-65535)")]
    InvalidPort {
        /// Which variable.
        key: &'static str,
        /// What it held.
        value: String,
    },
    /// The port range is empty.
    #[error("{MIN_PORT_KEY}={min} is greater than {MAX_PORT_KEY}={max}; no TCP port can be used")]
    EmptyPortRange {
        /// Lowest port asked for.
        min: u16,
        /// Highest port asked for.
        max: u16,
    },
    /// A variable holds bytes that are not UTF-8 where text is needed.
    #[error("{key} is not valid UTF-8 text")]
    NotUtf8 {
        /// Which variable.
        key: &'static str,
    },
}

/// What a person who ran the binary by hand should do, with the provider's own names.
pub fn not_started_advice(identity: &ProviderIdentity) -> String {
    format!(
        "This binary is a Terraform provider plugin ({binary}); it is meant to be started by Terraform \
         or OpenTofu, not run directly.\n\
         To use a local build, point Terraform at it with a `provider_installation {{ dev_overrides {{ \
         \"{source}\" = \"<directory holding this binary>\" }} }}` block in a CLI config file \
         (TF_CLI_CONFIG_FILE), then run `terraform plan` / `terraform apply`.\n\
         To debug it, run it with `--debug` and export the TF_REATTACH_PROVIDERS line it prints.",
        binary = identity.binary,
        source = identity.source(),
    )
}

/// Checks that Terraform started us. Debug mode skips this check.
pub fn check_magic_cookie(lookup: impl Fn(&str) -> Option<OsString>) -> Result<(), HandshakeError> {
    match lookup(MAGIC_COOKIE_KEY) {
        Some(value) if value == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(HandshakeError::NotStartedByTerraform),
    }
}

/// Picks the protocol version from the client's `PLUGIN_PROTOCOL_VERSIONS` list.
///
/// An absent or empty list means an old client that assumes the server's version, as go-plugin does.
pub fn negotiate_protocol(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(offered) = offered.map(str::trim).filter(|list| !list.is_empty()) else {
        return Ok(PLUGIN_PROTOCOL_VERSION);
    };
    let speaks_ours = offered
        .split(',')
        .any(|version| version.trim().parse::<u32>() == Ok(PLUGIN_PROTOCOL_VERSION));
    if speaks_ours {
        Ok(PLUGIN_PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::UnsupportedProtocol {
            offered: offered.to_owned(),
        })
    }
}

/// The TCP ports the TCP fallback may bind on 127.0.0.1; port 0 lets the kernel choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRange(RangeInclusive<u16>);

impl PortRange {
    /// Any free port.
    pub fn any() -> Self {
        PortRange(0..=0)
    }

    /// Reads `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT`; each defaults to 0 like go-plugin.
    pub fn from_env(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, HandshakeError> {
        let port = |key: &'static str| -> Result<u16, HandshakeError> {
            let Some(raw) = lookup(key) else {
                return Ok(0);
            };
            let text = raw.to_str().ok_or(HandshakeError::NotUtf8 { key })?.trim();
            if text.is_empty() {
                return Ok(0);
            }
            text.parse().map_err(|_| HandshakeError::InvalidPort {
                key,
                value: text.to_owned(),
            })
        };
        let (min, max) = (port(MIN_PORT_KEY)?, port(MAX_PORT_KEY)?);
        if min > max {
            return Err(HandshakeError::EmptyPortRange { min, max });
        }
        Ok(PortRange(min..=max))
    }

    /// The ports to try, lowest first.
    pub fn ports(&self) -> RangeInclusive<u16> {
        self.0.clone()
    }
}

/// Everything the managed (non-debug) mode reads from the environment, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginEnv {
    /// The negotiated protocol version (always 6 once parsing succeeded).
    pub protocol_version: u32,
    /// PEM text of the client certificate when the client asked for AutoMTLS.
    pub client_cert_pem: Option<String>,
    /// Directory for the unix socket chosen by the client, if any.
    pub unix_socket_dir: Option<PathBuf>,
    /// Ports for the TCP fallback.
    pub ports: PortRange,
}

impl PluginEnv {
    /// Validates the environment of a managed start: cookie, protocol version, certificate, places.
    pub fn from_env(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, HandshakeError> {
        check_magic_cookie(&lookup)?;
        let text = |key: &'static str| -> Result<Option<String>, HandshakeError> {
            match lookup(key) {
                None => Ok(None),
                Some(raw) => raw
                    .into_string()
                    .map(Some)
                    .map_err(|_| HandshakeError::NotUtf8 { key }),
            }
        };
        let protocol_version = negotiate_protocol(text(PROTOCOL_VERSIONS_KEY)?.as_deref())?;
        let client_cert_pem = text(CLIENT_CERT_KEY)?.filter(|pem| !pem.trim().is_empty());
        let unix_socket_dir = lookup(UNIX_SOCKET_DIR_KEY)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from);
        let ports = PortRange::from_env(&lookup)?;
        Ok(PluginEnv {
            protocol_version,
            client_cert_pem,
            unix_socket_dir,
            ports,
        })
    }

    /// Reads the real process environment.
    pub fn from_process_env() -> Result<Self, HandshakeError> {
        Self::from_env(|key| std::env::var_os(key))
    }
}

/// The network address the client must dial, as go-plugin names networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeAddr {
    /// A unix domain socket at this path.
    Unix(PathBuf),
    /// A TCP address, always on the loopback interface.
    Tcp(std::net::SocketAddr),
}

impl ServeAddr {
    /// go-plugin's network name: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            ServeAddr::Unix(_) => "unix",
            ServeAddr::Tcp(_) => "tcp",
        }
    }
}

impl fmt::Display for ServeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeAddr::Unix(path) => write!(f, "{}", path.display()),
            ServeAddr::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// The line go-plugin clients wait for on stdout:
/// `CORE|PROTOCOL|NETWORK|ADDRESS|grpc|SERVER_CERT`, the certificate part empty without AutoMTLS.
pub fn handshake_line(
    protocol_version: u32,
    addr: &ServeAddr,
    server_cert_b64: Option<&str>,
) -> String {
    format!(
        "{CORE_PROTOCOL_VERSION}|{protocol_version}|{}|{addr}|grpc|{}",
        addr.network(),
        server_cert_b64.unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn missing_cookie_is_rejected_with_dev_overrides_hint() {
        let err = PluginEnv::from_env(env(&[])).unwrap_err();
        assert_eq!(err, HandshakeError::NotStartedByTerraform);
        let text = err.to_string();
        assert!(text.contains("Terraform"), "{text}");
        assert!(text.contains("dev_overrides"), "{text}");
    }

    #[test]
    fn advice_for_a_person_names_the_binary_and_its_dev_overrides_source() {
        let identity = ProviderIdentity {
            name: "example",
            address: "registry.terraform.io/acme/example",
            binary: "terraform-provider-example",
            version: "0.1.0",
            description: "An example.",
            api: "Example",
            log_target: "terraform_provider_example",
        };
        let text = not_started_advice(&identity);
        assert!(text.contains("(terraform-provider-example)"), "{text}");
        assert!(text.contains("\"acme/example\" = "), "{text}");
        assert!(text.contains("--debug"), "{text}");
    }

    #[test]
    fn wrong_cookie_is_rejected() {
        let err = check_magic_cookie(env(&[(MAGIC_COOKIE_KEY, "nope")])).unwrap_err();
        assert_eq!(err, HandshakeError::NotStartedByTerraform);
    }

    #[test]
    fn absent_or_empty_protocol_list_assumes_6() {
        assert_eq!(negotiate_protocol(None), Ok(6));
        assert_eq!(negotiate_protocol(Some("  ")), Ok(6));
    }

    #[test]
    fn protocol_list_containing_6_negotiates_6() {
        assert_eq!(negotiate_protocol(Some("5,6")), Ok(6));
        assert_eq!(negotiate_protocol(Some(" 6 ")), Ok(6));
        assert_eq!(negotiate_protocol(Some("x,6")), Ok(6));
    }

    #[test]
    fn protocol_list_without_6_names_the_offered_versions() {
        let err = negotiate_protocol(Some("4,5")).unwrap_err();
        assert_eq!(
            err,
            HandshakeError::UnsupportedProtocol {
                offered: "4,5".into()
            }
        );
        assert!(err.to_string().contains("4,5"));
        assert!(err.to_string().contains("protocol 6"));
    }

    #[test]
    fn full_terraform_environment_parses() {
        let parsed = PluginEnv::from_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            (PROTOCOL_VERSIONS_KEY, "6"),
            (CLIENT_CERT_KEY, "-----BEGIN CERTIFICATE-----\n..."),
            (UNIX_SOCKET_DIR_KEY, "/tmp/plugin-dir"),
            (MIN_PORT_KEY, "10000"),
            (MAX_PORT_KEY, "25000"),
        ]))
        .unwrap();
        assert_eq!(parsed.protocol_version, 6);
        assert!(parsed.client_cert_pem.is_some());
        assert_eq!(
            parsed.unix_socket_dir,
            Some(PathBuf::from("/tmp/plugin-dir"))
        );
        assert_eq!(parsed.ports.ports(), 10000..=25000);
    }

    #[test]
    fn empty_client_cert_means_no_automtls() {
        let parsed = PluginEnv::from_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            (CLIENT_CERT_KEY, ""),
        ]))
        .unwrap();
        assert_eq!(parsed.client_cert_pem, None);
        assert_eq!(parsed.unix_socket_dir, None);
        assert_eq!(parsed.ports, PortRange::any());
    }

    #[test]
    fn bad_ports_are_reported_not_panicked_on() {
        let err = PortRange::from_env(env(&[(MIN_PORT_KEY, "70000")])).unwrap_err();
        assert_eq!(
            err,
            HandshakeError::InvalidPort {
                key: MIN_PORT_KEY,
                value: "70000".into()
            }
        );
        let err =
            PortRange::from_env(env(&[(MIN_PORT_KEY, "20"), (MAX_PORT_KEY, "10")])).unwrap_err();
        assert_eq!(err, HandshakeError::EmptyPortRange { min: 20, max: 10 });
    }

    #[test]
    fn handshake_line_matches_go_plugin_layout() {
        let unix = ServeAddr::Unix(PathBuf::from("/tmp/x/plugin123"));
        assert_eq!(
            handshake_line(6, &unix, Some("MIIB")),
            "1|6|unix|/tmp/x/plugin123|grpc|MIIB"
        );
        let tcp = ServeAddr::Tcp("127.0.0.1:10001".parse().unwrap());
        assert_eq!(
            handshake_line(6, &tcp, None),
            "1|6|tcp|127.0.0.1:10001|grpc|"
        );
    }
}
