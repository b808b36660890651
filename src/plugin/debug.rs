//! `--debug` mode: the provider starts by itself (e.g. under a debugger) and tells the person how
//! to make Terraform attach to it instead of starting its own copy.
//!
//! Terraform reads `TF_REATTACH_PROVIDERS`, a JSON object keyed by provider address whose values
//! are go-plugin reattach configs; terraform-plugin-go prints the same object for its debug mode.
//! OpenTofu reads the same variable, but resolves a source like `acme/example` on its own registry
//! host, `registry.opentofu.org`. So a provider of the Terraform Registry is listed under both
//! hosts, pointing at the same socket: one value that both clients take.

use serde::Serialize;

use super::handshake::{PLUGIN_PROTOCOL_VERSION, ServeAddr};

/// The environment variable Terraform reads reattach configurations from.
pub const REATTACH_ENV_KEY: &str = "TF_REATTACH_PROVIDERS";

/// One provider's reattach configuration, field names as go-plugin's JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReattachConfig<'a> {
    protocol: &'static str,
    protocol_version: u32,
    pid: u32,
    test: bool,
    addr: ReattachAddr<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReattachAddr<'a> {
    network: &'static str,
    string: &'a str,
}

/// The default registry host of Terraform, which `acme/example` means there.
const TERRAFORM_REGISTRY: &str = "registry.terraform.io/";

/// The default registry host of OpenTofu, which `acme/example` means there.
const OPENTOFU_REGISTRY: &str = "registry.opentofu.org/";

/// The addresses a client may look the provider at `provider` up under: itself, and for an
/// address on either default registry host, the same name on the other one.
fn reattach_keys(provider: &str) -> Vec<String> {
    let mut keys = vec![provider.to_owned()];
    if let Some(name) = provider.strip_prefix(TERRAFORM_REGISTRY) {
        keys.push(format!("{OPENTOFU_REGISTRY}{name}"));
    } else if let Some(name) = provider.strip_prefix(OPENTOFU_REGISTRY) {
        keys.push(format!("{TERRAFORM_REGISTRY}{name}"));
    }
    keys
}

/// The `TF_REATTACH_PROVIDERS` JSON value for the provider at registry address `provider`,
/// listening at `addr` in process `pid`: one entry per address Terraform or OpenTofu may resolve
/// it to (see [`reattach_keys`]), all alike.
pub fn reattach_json(provider: &str, addr: &ServeAddr, pid: u32) -> String {
    let address = addr.to_string();
    let config = ReattachConfig {
        protocol: "grpc",
        protocol_version: PLUGIN_PROTOCOL_VERSION,
        pid,
        test: true,
        addr: ReattachAddr {
            network: addr.network(),
            string: &address,
        },
    };
    let providers: std::collections::BTreeMap<String, &ReattachConfig<'_>> =
        reattach_keys(provider)
            .into_iter()
            .map(|key| (key, &config))
            .collect();
    // Plain strings, numbers and a bool: serialization cannot fail.
    serde_json::to_string(&providers).unwrap_or_default()
}

/// The text printed on stdout in debug mode: what to export, quoted for a POSIX shell.
pub fn reattach_instructions(provider: &str, addr: &ServeAddr, pid: u32) -> String {
    let quoted = reattach_json(provider, addr, pid).replace('\'', r#"'"'"'"#);
    format!(
        "Provider started. To attach Terraform CLI or OpenTofu, set the {REATTACH_ENV_KEY} \
         environment variable with the following:\n\n\t{REATTACH_ENV_KEY}='{quoted}'\n\n\
         Press Ctrl-C to stop the provider.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const ADDRESS: &str = "registry.terraform.io/huaweicloud/mrs";

    const CONFIG: &str = r#"{"Protocol":"grpc","ProtocolVersion":6,"Pid":42,"Test":true,"Addr":{"Network":"unix","String":"/tmp/d/plugin1"}}"#;

    #[test]
    fn reattach_json_matches_terraform_plugin_go_layout_under_both_registry_hosts() {
        let addr = ServeAddr::Unix(PathBuf::from("/tmp/d/plugin1"));
        assert_eq!(
            reattach_json(ADDRESS, &addr, 42),
            format!(
                r#"{{"registry.opentofu.org/huaweicloud/mrs":{CONFIG},"registry.terraform.io/huaweicloud/mrs":{CONFIG}}}"#
            )
        );
        assert_eq!(
            reattach_json("registry.opentofu.org/acme/example", &addr, 42),
            format!(
                r#"{{"registry.opentofu.org/acme/example":{CONFIG},"registry.terraform.io/acme/example":{CONFIG}}}"#
            )
        );
    }

    #[test]
    fn a_private_registry_address_is_listed_alone() {
        let addr = ServeAddr::Unix(PathBuf::from("/tmp/d/plugin1"));
        assert_eq!(
            reattach_json("registry.example.com/acme/example", &addr, 42),
            format!(r#"{{"registry.example.com/acme/example":{CONFIG}}}"#)
        );
    }

    #[test]
    fn instructions_hold_a_shell_ready_export_line() {
        let addr = ServeAddr::Tcp("127.0.0.1:4000".parse().unwrap());
        let text = reattach_instructions(ADDRESS, &addr, 7);
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("TF_REATTACH_PROVIDERS='"))
            .unwrap();
        let json = line
            .trim()
            .trim_start_matches("TF_REATTACH_PROVIDERS='")
            .trim_end_matches('\'');
        let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
        for host in ["registry.terraform.io", "registry.opentofu.org"] {
            let entry = &parsed[format!("{host}/huaweicloud/mrs")];
            assert_eq!(entry["Addr"]["Network"], "tcp", "{host}");
            assert_eq!(entry["Addr"]["String"], "127.0.0.1:4000", "{host}");
            assert_eq!(entry["Pid"], 7, "{host}");
        }
    }

    #[test]
    fn single_quotes_in_paths_are_escaped_for_the_shell() {
        let addr = ServeAddr::Unix(PathBuf::from("/tmp/it's/plugin1"));
        let text = reattach_instructions(ADDRESS, &addr, 1);
        assert!(text.contains(r#"/tmp/it'"'"'s/plugin1"#), "{text}");
    }
}
