//! The executable Terraform starts: go-plugin handshake and transport from [`plugin`], serving
//! the `mrs` provider through the framework's tfplugin6 service.
//! StopProvider cancels a child of the shutdown token: it stops work in flight, not the process.

use std::process::ExitCode;

use terraform_provider_mrs::framework::{Provider as _, ProviderService};
use terraform_provider_mrs::plugin;
use terraform_provider_mrs::provider::MrsProvider;

fn main() -> ExitCode {
    plugin::run(MrsProvider.identity(), |context| {
        ProviderService::new(MrsProvider, context.shutdown.child_token())
    })
}
