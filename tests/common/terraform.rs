//! Runs real Terraform or OpenTofu against the provider binary through `dev_overrides`.
//!
//! Which clients, and how they are found or installed, is [`super::clients`]'s business; this
//! file keeps the names the tests were written against (`terraforms()`, `TerraformBin`) and the
//! workspace a test runs a client in. A workspace keys `dev_overrides` on its client's registry
//! host, and its output names the client.

use std::path::Path;
use std::process::{Command, Output};

pub use super::clients::{
    Client, Kind, OPENTOFU_REGISTRY, TERRAFORM_REGISTRY, clients, clients_at_least,
    clients_with_actions, under_ci,
};

/// The provider address Terraform resolves `huaweicloud/mrs` to. OpenTofu's is
/// `registry.opentofu.org/huaweicloud/mrs`: use [`Client::provider_address`] where the client matters.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/huaweicloud/mrs";

/// The name the tests were first written with; a [`Client`] may be OpenTofu.
pub type TerraformBin = Client;

/// Every client the end-to-end tests run against: Terraform (PATH and 1.0.3) and OpenTofu
/// (1.6 and 1.12). The same as [`clients`]: it panics when one cannot be had, so a
/// `for tf in terraforms()` loop never runs zero times.
pub fn terraforms() -> &'static [Client] {
    clients()
}

/// The newest Terraform of at least `min`, for a test of a feature older Terraforms lack; an
/// OpenTofu that has the feature when no Terraform does (`MRS_TEST_CLIENTS` may leave Terraform
/// out). Panics when there is none: the test could not run. Prefer [`clients_at_least`], which
/// gives every client with the feature.
pub fn newest_at_least(min: (u32, u32)) -> Option<&'static Client> {
    let terraform = clients()
        .iter()
        .filter(|t| t.kind == Kind::Terraform && t.minor_version() >= min)
        .max_by_key(|t| t.minor_version());
    let found = terraform.or_else(|| clients_at_least(min).into_iter().next());
    assert!(
        found.is_some(),
        "clients_at_least panics when there is none"
    );
    found
}

/// A scratch directory with a configuration and a CLI config that points Terraform at our build.
pub struct Workspace {
    dir: tempfile::TempDir,
    tf: TerraformBin,
    env: Vec<(String, String)>,
}

/// What one Terraform command printed.
#[derive(Debug)]
pub struct Run {
    /// Exit status was 0.
    pub success: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The client that ran, e.g. `OpenTofu 1.12.6` (empty when not known).
    pub client: String,
}

impl Run {
    /// stdout and stderr together, for assertions on messages, after a line naming the client.
    pub fn all(&self) -> String {
        format!("[{}]\n{}\n{}", self.client, self.stdout, self.stderr)
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            success: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            client: String::new(),
        }
    }
}

impl Workspace {
    /// A workspace with `main.tf` holding `hcl`, using `tf` and the provider built for this test
    /// run, overridden under `tf`'s registry host. Says on stderr which client it is for, so a
    /// test's output names the client it ran.
    pub fn new(tf: &TerraformBin, hcl: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let provider_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-mrs"))
            .parent()
            .expect("binary dir")
            .to_path_buf();
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                tf.provider_address(),
                provider_dir.display()
            ),
        )
        .expect("write CLI config");
        eprintln!("[{tf}] workspace {}", dir.path().display());
        std::fs::write(dir.path().join("main.tf"), hcl).expect("write main.tf");
        let env = vec![
            (
                "TF_CLI_CONFIG_FILE".to_owned(),
                cli_config.display().to_string(),
            ),
            ("TF_IN_AUTOMATION".to_owned(), "1".to_owned()),
            ("CHECKPOINT_DISABLE".to_owned(), "1".to_owned()),
            // No test may reach 169.254.169.254; a test of the metadata source sets its own.
            (
                "HW_METADATA_ENDPOINT".to_owned(),
                super::plugin_client::unreachable_metadata_endpoint().to_owned(),
            ),
        ];
        Self {
            dir,
            tf: tf.clone(),
            env,
        }
    }

    /// Adds an environment variable for every later command.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Empties the proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, in
    /// both cases) for every later command: a test whose requests must reach loopback, or a
    /// proxy it starts itself, is not sent to a proxy the machine names.
    pub fn without_proxies(&mut self) -> &mut Self {
        for name in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            self.env(name, "");
        }
        self
    }

    /// The workspace directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces main.tf.
    pub fn write_config(&self, hcl: &str) {
        std::fs::write(self.dir.path().join("main.tf"), hcl).expect("write main.tf");
    }

    /// A `terraform <args>` command in the workspace, with only the test's own HW_/TF_ variables:
    /// the developer's credentials never leak into a test.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.tf.path);
        cmd.args(args).current_dir(self.dir.path());
        for (key, _) in std::env::vars() {
            if key.starts_with("HW_") || key.starts_with("TF_") {
                cmd.env_remove(key);
            }
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }

    /// Starts `terraform <args>` in the workspace with its output captured, in a process group
    /// of its own (its id is the child's), for a test that signals it as Ctrl-C in a terminal
    /// does: the whole group (Terraform before 1.1 re-executes itself under a parent that
    /// ignores a signal sent only to it).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        self.command(args)
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start terraform")
    }

    /// Runs `terraform <args>` (or `tofu <args>`) in the workspace.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = self
            .command(args)
            .output()
            .unwrap_or_else(|e| panic!("[{}] cannot run {}: {e}", self.tf, self.tf.path.display()));
        self.named(output)
    }

    /// `output` as a [`Run`] of this workspace's client.
    fn named(&self, output: Output) -> Run {
        Run {
            client: self.tf.to_string(),
            ..output.into()
        }
    }

    /// `terraform apply -auto-approve -input=false <extra>`.
    pub fn apply(&self, extra: &[&str]) -> Run {
        let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// `terraform plan -input=false -no-color`.
    pub fn plan(&self) -> Run {
        self.run(&["plan", "-input=false", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode`: Ok(true) when changes are planned.
    pub fn plan_has_changes(&self) -> Result<bool, Run> {
        let out = self
            .command(&[
                "plan",
                "-input=false",
                "-no-color",
                "-detailed-exitcode",
                "-lock=false",
            ])
            .output()
            .expect("run terraform plan");
        match out.status.code() {
            Some(0) => Ok(false),
            Some(2) => Ok(true),
            _ => Err(self.named(out)),
        }
    }

    /// `terraform destroy -auto-approve`.
    pub fn destroy(&self) -> Run {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// The state file's JSON, or None when there is no state yet.
    pub fn state_json(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.path().join("terraform.tfstate")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The client (Terraform or OpenTofu) this workspace uses.
    pub fn terraform(&self) -> &TerraformBin {
        &self.tf
    }
}
