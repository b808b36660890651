//! The configured provider's MRS clients: one per region, built on first use and shared by every
//! resource, so an apply of many kills reuses the same connections.
//!
//! The one environment variable about how the client behaves rather than what it reaches,
//! [`GOVERNOR_ENV`], is read here, where the clients are built; `src/mrs` reads no environment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::location::REGION;
use crate::framework::{Attr, PlanEdit};
use crate::mrs::{ClientConfig, ConfigError, MrsClient};
use crate::tfvalue::AttributePath;

/// The environment variable that turns the client's shared pace off (`off`), for the benchmark
/// that shows what the pace is worth.
pub const GOVERNOR_ENV: &str = "TF_PROVIDER_MRS_GOVERNOR";

/// Whether the environment leaves the shared pace on.
fn paced_by_environment() -> bool {
    paced(std::env::var(GOVERNOR_ENV).ok().as_deref())
}

/// Whether [`GOVERNOR_ENV`] set to `value` leaves the shared pace on: anything but `off` does.
fn paced(value: Option<&str>) -> bool {
    !value.is_some_and(|v| v.eq_ignore_ascii_case("off"))
}

/// What the `mrs` provider's configure step builds; cheap to clone.
#[derive(Clone)]
pub struct Clients {
    inner: Arc<Inner>,
}

struct Inner {
    base: ClientConfig,
    /// Where `base.endpoint` came from, as the region check names it.
    endpoint_source: &'static str,
    default: MrsClient,
    others: Mutex<HashMap<String, MrsClient>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("region", &self.inner.base.region)
            .finish_non_exhaustive()
    }
}

impl Clients {
    /// Builds the client for the provider's region; `GOVERNOR_ENV` may turn its pace off.
    pub fn new(mut base: ClientConfig) -> Result<Self, ConfigError> {
        base.paced = base.paced && paced_by_environment();
        let default = MrsClient::new(base.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                base,
                endpoint_source: "the provider's endpoint (or HW_MRS_ENDPOINT)",
                default,
                others: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Names where the provider's endpoint came from — the block's `endpoint` or
    /// `HW_MRS_ENDPOINT` — for the message of a region it cannot serve.
    pub fn with_endpoint_from_block(mut self, from_block: bool) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.endpoint_source = if from_block {
                "the provider block's endpoint"
            } else {
                "HW_MRS_ENDPOINT"
            };
        }
        self
    }

    /// The provider's region.
    pub fn default_region(&self) -> &str {
        &self.inner.base.region
    }

    /// The project ID known without asking IAM: the provider's, for the provider's own region.
    pub fn known_project_id(&self, region: &str) -> Option<&str> {
        (region == self.inner.base.region)
            .then_some(self.inner.base.project_id.as_deref())
            .flatten()
    }

    /// Why a resource cannot use `region`, if it cannot: the provider's `endpoint` is fixed, so a
    /// request for another region would go to the provider's region with the other region's
    /// project. The one place this rule lives; the plan step and [`locate`](Self::locate) ask it.
    pub fn check_region(&self, region: Option<&str>) -> Result<(), String> {
        let base = &self.inner.base;
        match (region, &base.endpoint) {
            (Some(region), Some(endpoint)) if region != base.region => Err(format!(
                "This resource's region is {region:?}, but {source} fixes the MRS endpoint at {endpoint:?} \
                 (for region {:?}), so its requests would reach {:?}'s MRS carrying {region:?}'s project. \
                 Remove region from the resource, or declare a second provider block \
                 (provider \"mrs\" {{ alias = \"{region}\" region = \"{region}\" ... }}) with that region's endpoint \
                 and set provider = mrs.{region} on the resource.",
                base.region,
                base.region,
                source = self.inner.endpoint_source,
            )),
            _ => Ok(()),
        }
    }

    /// Refuses a plan whose `region` [`check_region`](Self::check_region) rejects, on that attribute.
    pub fn check_planned_region(&self, plan: &mut PlanEdit<'_>) {
        if let Attr::Known(region) = plan.string(REGION)
            && let Err(detail) = self.check_region(Some(&region))
        {
            plan.add_attribute_error(
                AttributePath::attr(REGION),
                "Region differs from the provider's fixed endpoint",
                detail,
            );
        }
    }

    /// The client for `region` (the provider's when `None`). A region override keeps every other
    /// setting; the project ID is then looked up for that region unless the resource sets one.
    pub fn for_region(&self, region: Option<&str>) -> Result<MrsClient, ConfigError> {
        let region = match region {
            Some(r) if r != self.inner.base.region => r,
            _ => return Ok(self.inner.default.clone()),
        };
        let mut others = self
            .inner
            .others
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = others.get(region) {
            return Ok(client.clone());
        }
        let mut config = self.inner.base.clone();
        config.region = region.to_owned();
        config.project_id = None;
        let client = MrsClient::new(config)?;
        others.insert(region.to_owned(), client.clone());
        Ok(client)
    }
}

impl Clients {
    /// The client for a resource's region and its project ID (the configured one, or the one IAM
    /// returns for the region). `None` with an error diagnostic when either cannot be had.
    pub async fn locate(
        &self,
        region: Option<&str>,
        project_id: Option<&str>,
        deadline: tokio::time::Instant,
        diags: &mut crate::framework::Diagnostics,
    ) -> Option<(MrsClient, String)> {
        if let Err(detail) = self.check_region(region) {
            diags.add_error("Region differs from the provider's fixed endpoint", detail);
            return None;
        }
        let client = match self.for_region(region) {
            Ok(client) => client,
            Err(e) => {
                diags.add_error("Unable to set up the MRS client", e.to_string());
                return None;
            }
        };
        let project_id = match project_id {
            Some(p) => p.to_owned(),
            None => match client.project_id(deadline.into_std()).await {
                Ok(p) => p,
                Err(e) => {
                    diags.add_error(e.summary(), e.detail());
                    return None;
                }
            },
        };
        Some((client, project_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mrs::Credentials;
    use crate::tfvalue::Value;

    fn clients(endpoint: Option<&str>) -> Clients {
        let mut config = ClientConfig::new(
            "cn-north-4",
            Credentials::Token("token-for-the-test".into()),
        );
        config.endpoint = endpoint.map(str::to_owned);
        Clients::new(config).unwrap()
    }

    #[test]
    fn other_region_with_a_fixed_endpoint_is_refused_naming_both() {
        let clients = clients(Some("https://mrs.internal.example"));
        let err = clients.check_region(Some("eu-west-101")).unwrap_err();
        for word in [
            "eu-west-101",
            "cn-north-4",
            "https://mrs.internal.example",
            "alias",
        ] {
            assert!(err.contains(word), "{word} missing from {err}");
        }
        assert!(clients.check_region(Some("cn-north-4")).is_ok());
        assert!(clients.check_region(None).is_ok());
    }

    #[test]
    fn only_off_turns_the_shared_pace_off() {
        for (value, expected) in [
            (None, true),
            (Some("on"), true),
            (Some(""), true),
            (Some("off"), false),
            (Some("OFF"), false),
        ] {
            assert_eq!(paced(value), expected, "{value:?}");
        }
    }

    #[test]
    fn other_region_without_a_fixed_endpoint_is_fine() {
        assert!(clients(None).check_region(Some("eu-west-101")).is_ok());
    }

    #[test]
    fn planned_other_region_gets_an_error_on_the_region_attribute() {
        let clients = clients(Some("https://mrs.internal.example"));
        let mut planned = Value::Object(
            [("region".to_owned(), Value::String("ap-southeast-1".into()))]
                .into_iter()
                .collect(),
        );
        let mut edit = PlanEdit::new(&mut planned);
        clients.check_planned_region(&mut edit);
        let (diags, _) = edit.finish();
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].attribute,
            Some(crate::tfvalue::AttributePath::attr("region"))
        );
    }
}
