//! Who the served provider is: the few names and texts the runtime and the framework show to
//! Terraform and to people, handed in by the provider so that neither layer names one itself.

/// The identity of the provider a binary serves.
///
/// The runtime uses it for the reattach line, `--help`, the AutoMTLS certificate, the socket
/// directory and the "not started by Terraform" advice; the framework for its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderIdentity {
    /// The provider's local name; resource type names start with it, e.g. `example`.
    pub name: &'static str,
    /// Full registry address, e.g. `registry.terraform.io/acme/example`; the key Terraform
    /// uses in `TF_REATTACH_PROVIDERS`.
    pub address: &'static str,
    /// The executable's name, e.g. `terraform-provider-example`.
    pub binary: &'static str,
    /// The provider's version, shown by `--version`.
    pub version: &'static str,
    /// One line for `--help`: what the provider is for.
    pub description: &'static str,
    /// What the provider calls, as users know it (e.g. `Example`, read "the Example API").
    pub api: &'static str,
    /// The crate the provider's code lives in, as it appears in `tracing` targets
    /// (`env!("CARGO_CRATE_NAME")`); its events are logged at the provider's level.
    pub log_target: &'static str,
}

impl ProviderIdentity {
    /// The source address as written in configuration and `dev_overrides`: the registry
    /// address without the default registry host (`acme/example`).
    pub fn source(&self) -> &'static str {
        self.address
            .strip_prefix("registry.terraform.io/")
            .unwrap_or(self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(address: &'static str) -> ProviderIdentity {
        ProviderIdentity {
            name: "example",
            address,
            binary: "terraform-provider-example",
            version: "0.1.0",
            description: "An example.",
            api: "Example",
            log_target: "terraform_provider_example",
        }
    }

    #[test]
    fn source_drops_only_the_default_registry_host() {
        assert_eq!(
            identity("registry.terraform.io/acme/example").source(),
            "acme/example"
        );
        assert_eq!(
            identity("registry.opentofu.org/acme/example").source(),
            "registry.opentofu.org/acme/example"
        );
    }
}
