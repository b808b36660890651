//! How an emulator is set up: the project, region, keys, agencies, identity provider, clocks,
//! faults and listener it starts with.
//!
//! Every room of the emulator reads its settings from here, so they sit in a file of their own
//! that uses nothing but the small value types they are made of.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::faults::FaultPlan;
use crate::jobs::JobClock;
use crate::tls::TlsIdentity;

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

/// An identity provider configured in IAM whose ID tokens the emulator trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// The provider's ID (`X-Idp-Id`).
    pub idp_id: String,
    /// ID tokens accepted (a real IAM checks the JWT's signature; the emulator a list).
    pub id_tokens: Vec<String>,
}
