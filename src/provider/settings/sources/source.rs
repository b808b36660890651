//! What every credential source is: the trait, what it has to go on, and what it gives.

use crate::framework::Diagnostics;
use crate::mrs::Credentials;
use crate::mrs::credentials::OidcRole;
use crate::mrs::credentials::shared_config::ProfileSettings;

use super::super::lookup::Lookup;
use super::super::provider_block::ProviderBlock;

/// What a source has to go on: the block's values (merged with the environment), and what was
/// read for them before any source was chosen.
pub(in crate::provider::settings) struct SourceContext<'a> {
    /// The provider block's values.
    pub(in crate::provider::settings) block: &'a ProviderBlock,
    /// The configuration and the environment.
    pub(in crate::provider::settings) lookup: &'a Lookup<'a>,
    /// `assume_role_with_oidc`, when asked for and complete.
    pub(in crate::provider::settings) oidc: Option<OidcRole>,
    /// The shared config profile, when asked for and readable.
    pub(in crate::provider::settings) profile: Option<ProfileSettings>,
    /// Whether `assume_role` agencies will be assumed with what the source gives.
    pub(in crate::provider::settings) agencies_follow: bool,
}

/// What the requests are signed with before any agency of `assume_role` is assumed.
#[derive(Debug)]
pub(in crate::provider::settings) enum Base {
    /// Keys or a token, configured as they are.
    Configured(Credentials),
    /// `assume_role_with_oidc`: a CI job's ID token traded for an agency's keys.
    Oidc(OidcRole),
    /// Nothing configured: the ECS metadata service, the last place to look.
    Metadata {
        /// The metadata service's address.
        endpoint: url::Url,
    },
}

/// One place credentials may come from.
pub(in crate::provider::settings) trait CredentialSource:
    Sync
{
    /// How the debug line and errors name it, with its settings and variables.
    fn name(&self) -> &'static str;
    /// Whether the configuration asks for it.
    fn configured(&self, context: &SourceContext<'_>) -> bool;
    /// Asked for by nothing, tried when nothing else is configured (never "ignored").
    fn last_resort(&self) -> bool {
        false
    }
    /// What the error that no source had keys says of it.
    fn not_found(&self, _context: &SourceContext<'_>) -> String {
        format!("{}: not set", self.name())
    }
    /// Its credentials; `None` with one error naming what to set when it is incomplete.
    fn credentials(&self, context: &mut SourceContext<'_>, diags: &mut Diagnostics)
    -> Option<Base>;
}
