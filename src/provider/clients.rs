//! The configured provider's MRS clients: one per region, built on first use and shared by every
//! resource, so an apply of many kills reuses the same connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::mrs::{ClientConfig, ConfigError, MrsClient};

/// What the `mrs` provider's configure step builds; cheap to clone.
#[derive(Clone)]
pub struct Clients {
    inner: Arc<Inner>,
}

struct Inner {
    base: ClientConfig,
    default: MrsClient,
    others: Mutex<HashMap<String, MrsClient>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients").field("region", &self.inner.base.region).finish_non_exhaustive()
    }
}

impl Clients {
    /// Builds the client for the provider's region.
    pub fn new(base: ClientConfig) -> Result<Self, ConfigError> {
        let default = MrsClient::new(base.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                base,
                default,
                others: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The provider's region.
    pub fn default_region(&self) -> &str {
        &self.inner.base.region
    }

    /// The project ID known without asking IAM: the provider's, for the provider's own region.
    pub fn known_project_id(&self, region: &str) -> Option<&str> {
        (region == self.inner.base.region).then_some(self.inner.base.project_id.as_deref()).flatten()
    }

    /// The client for `region` (the provider's when `None`). A region override keeps every other
    /// setting; the project ID is then looked up for that region unless the resource sets one.
    pub fn for_region(&self, region: Option<&str>) -> Result<MrsClient, ConfigError> {
        let region = match region {
            Some(r) if r != self.inner.base.region => r,
            _ => return Ok(self.inner.default.clone()),
        };
        let mut others = self.inner.others.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
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
