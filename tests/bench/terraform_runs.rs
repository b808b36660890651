//! Timed `terraform apply` runs of the ways to kill N jobs, each in a fresh directory.
//!
//! The configurations share everything but the resource that does the work: the same list of job
//! ids (one resource per id, by `count`), the same CLI config (with `dev_overrides` for our
//! build; for the cut-down resource, a copy of this benchmark serving it), the same environment.
//! What differs between their times is therefore what the resource costs.
//!
//! The same runner drives OpenTofu (`tofu`) as well as Terraform: its CLI config keys
//! `dev_overrides` on both registry hosts, since OpenTofu resolves `huaweicloud/mrs` to
//! `registry.opentofu.org/huaweicloud/mrs` and ignores an override keyed on Terraform's host.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::BenchError;
use crate::minimal_provider;
use crate::process_watch::{ProcessWatch, WatchReport};

use crate::common::clients::{OPENTOFU_REGISTRY, PROVIDER_NAMESPACE_TYPE, TERRAFORM_REGISTRY};

/// The registry hosts `huaweicloud/mrs` resolves on: Terraform's and OpenTofu's. `dev_overrides`
/// maps the provider's address on each to the freshly built binary, so one CLI config serves both.
const REGISTRY_HOSTS: [&str; 2] = [TERRAFORM_REGISTRY, OPENTOFU_REGISTRY];

/// A way to kill N jobs with `terraform apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Way {
    /// N built-in `terraform_data` resources: no plugin process, no HTTP. Terraform's own cost.
    Floor,
    /// N `mrs_job_kill` resources through our provider.
    Provider,
    /// The same, through a build of our provider whose `mrs_job_kill` has only three attributes
    /// (`minimal_provider.rs`): what our schema costs Terraform.
    Minimal,
    /// N `terraform_data` resources, each with a `local-exec` running the official Python SDK's StopJob.
    LocalExecSdk,
}

impl Way {
    /// How the report and the chart name it.
    pub fn label(self) -> &'static str {
        match self {
            Way::Floor => "terraform_data (floor)",
            Way::Provider => "mrs_job_kill (ours)",
            Way::Minimal => "ours, 3 attributes",
            Way::LocalExecSdk => "local-exec + Python SDK",
        }
    }
}

/// Extra observation of one apply, for runs that are not timed for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observe {
    /// Nothing: the run is timed, so nothing else may compete for the CPU.
    Nothing,
    /// Poll `/proc` for provider processes (RSS, PIDs) and log at debug level to count plugin starts.
    Processes,
    /// Log at trace level, for the timeline of RPCs.
    Trace,
}

/// What one apply produced.
#[derive(Debug)]
pub struct ApplyOutcome {
    /// Wall time from exec of `terraform` to its exit.
    pub elapsed: Duration,
    /// Provider processes seen under Terraform (with [`Observe::Processes`]).
    pub watch: Option<WatchReport>,
    /// Terraform's log (with [`Observe::Processes`] or [`Observe::Trace`]).
    pub log: Option<String>,
}

/// Runs `terraform apply` (or `tofu apply`) in fresh directories with one CLI config and one
/// environment.
pub struct TerraformRunner {
    terraform: PathBuf,
    version: String,
    root: tempfile::TempDir,
    cli_config: PathBuf,
    minimal_cli_config: PathBuf,
    provider_binary: PathBuf,
    env: Vec<(String, String)>,
    runs: usize,
}

impl TerraformRunner {
    /// Finds Terraform (`$TERRAFORM`, else `terraform` on PATH) and writes a CLI config whose
    /// `dev_overrides` point at the directory of `provider_binary`, and one whose `dev_overrides`
    /// point at a copy of this executable (for [`Way::Minimal`]). `env` is added to every run.
    pub fn new(provider_binary: &Path, env: Vec<(String, String)>) -> Result<Self, BenchError> {
        let terraform = std::env::var_os("TERRAFORM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("terraform"));
        Self::with_client(terraform, provider_binary, env)
    }

    /// As [`TerraformRunner::new`], running `client` (a Terraform or an OpenTofu executable).
    pub fn with_client(
        client: PathBuf,
        provider_binary: &Path,
        env: Vec<(String, String)>,
    ) -> Result<Self, BenchError> {
        let terraform = client;
        let root = tempfile::Builder::new()
            .prefix("mrs-bench-")
            .tempdir()
            .map_err(BenchError::io(
                "create a temporary directory in",
                std::env::temp_dir(),
            ))?;
        let provider_dir = provider_binary.parent().unwrap_or(Path::new("."));
        let cli_config = write_cli_config(root.path(), "terraform.rc", provider_dir)?;
        let minimal_dir = root.path().join("minimal-provider");
        std::fs::create_dir(&minimal_dir).map_err(BenchError::io("create", &minimal_dir))?;
        let this = std::env::current_exe().map_err(BenchError::io("find", "this executable"))?;
        let minimal_binary = minimal_dir.join(provider_binary.file_name().unwrap_or_default());
        std::fs::copy(&this, &minimal_binary).map_err(BenchError::io("copy", &this))?;
        let minimal_cli_config = write_cli_config(root.path(), "minimal.rc", &minimal_dir)?;
        let version = client_version(&terraform, &cli_config)?;
        Ok(Self {
            terraform,
            version,
            root,
            cli_config,
            minimal_cli_config,
            provider_binary: provider_binary.to_path_buf(),
            env,
            runs: 0,
        })
    }

    /// The client's version, e.g. `1.11.4` (Terraform) or `1.12.6` (OpenTofu).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Applies `hcl` (N resources `way`) in a new directory and times the whole
    /// `terraform apply -auto-approve`; `way` also chooses the provider build.
    pub fn apply(
        &mut self,
        way: Way,
        n: usize,
        hcl: &str,
        observe: Observe,
    ) -> Result<ApplyOutcome, BenchError> {
        self.runs += 1;
        let dir = self.root.path().join(format!("run-{:04}", self.runs));
        std::fs::create_dir(&dir).map_err(BenchError::io("create", &dir))?;
        let main_tf = dir.join("main.tf");
        std::fs::write(&main_tf, hcl).map_err(BenchError::io("write", &main_tf))?;
        let log_path = dir.join("terraform.log");

        let mut command = Command::new(&self.terraform);
        command
            .args(["apply", "-auto-approve", "-input=false", "-no-color"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Only this benchmark's TF_ and HW_ settings: a developer's own must not change the figures
        // (OpenTofu also reads TOFU_ ones).
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("TF_") || key.starts_with("HW_") || key.starts_with("TOFU_") {
                command.env_remove(key.as_ref());
            }
        }
        command
            .env("CHECKPOINT_DISABLE", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        if way == Way::Minimal {
            command
                .env("TF_CLI_CONFIG_FILE", &self.minimal_cli_config)
                .env(minimal_provider::SERVE_ENV, "1");
        } else {
            command.env("TF_CLI_CONFIG_FILE", &self.cli_config);
        }
        match observe {
            Observe::Nothing => {}
            Observe::Processes => {
                command.env("TF_LOG", "debug").env("TF_LOG_PATH", &log_path);
            }
            Observe::Trace => {
                command.env("TF_LOG", "trace").env("TF_LOG_PATH", &log_path);
            }
        }

        let started = Instant::now();
        let child = command.spawn().map_err(|source| BenchError::Spawn {
            program: self.terraform.display().to_string(),
            source,
        })?;
        let watch = (observe == Observe::Processes)
            .then(|| ProcessWatch::start(child.id(), &self.provider_binary));
        let output = child
            .wait_with_output()
            .map_err(|source| BenchError::Spawn {
                program: self.terraform.display().to_string(),
                source,
            })?;
        let elapsed = started.elapsed();
        let watch = watch.map(ProcessWatch::finish);
        if !output.status.success() {
            return Err(BenchError::failed(
                format!("terraform apply ({}, N={n})", way.label()),
                &output,
            ));
        }
        let log = match observe {
            Observe::Nothing => None,
            Observe::Processes | Observe::Trace => Some(
                std::fs::read_to_string(&log_path).map_err(BenchError::io("read", &log_path))?,
            ),
        };
        Ok(ApplyOutcome {
            elapsed,
            watch,
            log,
        })
    }
}

/// A CLI config in `dir` named `name` whose `dev_overrides` send our provider, under both
/// registry hosts, to `provider_dir`.
fn write_cli_config(dir: &Path, name: &str, provider_dir: &Path) -> Result<PathBuf, BenchError> {
    let path = dir.join(name);
    let overrides: String = REGISTRY_HOSTS
        .iter()
        .map(|host| {
            format!(
                "    \"{host}/{PROVIDER_NAMESPACE_TYPE}\" = \"{}\"\n",
                provider_dir.display()
            )
        })
        .collect();
    let text = format!(
        "provider_installation {{\n  dev_overrides {{\n{overrides}  }}\n  direct {{}}\n}}\n"
    );
    std::fs::write(&path, text).map_err(BenchError::io("write", &path))?;
    Ok(path)
}

/// `client version -json`'s `terraform_version` (OpenTofu names its own version so too), run with
/// the benchmark's CLI config.
fn client_version(client: &Path, cli_config: &Path) -> Result<String, BenchError> {
    let output = Command::new(client)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .output()
        .map_err(|source| BenchError::Spawn {
            program: client.display().to_string(),
            source,
        })?;
    if !output.status.success() {
        return Err(BenchError::failed(
            format!("{} version -json", client.display()),
            &output,
        ));
    }
    version_from_json_output(&String::from_utf8_lossy(&output.stdout)).ok_or_else(|| {
        BenchError::Unverified(format!(
            "`{} version -json` printed no version: {:?}",
            client.display(),
            String::from_utf8_lossy(&output.stdout)
        ))
    })
}

/// The `terraform_version` of a `version -json` output. OpenTofu prints a warning on stdout before
/// the JSON when its CLI config has a problem (`Warning: Unable to open CLI configuration file`),
/// so the JSON is read from its first `{` on.
fn version_from_json_output(stdout: &str) -> Option<String> {
    let json = &stdout[stdout.find('{')?..];
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    value["terraform_version"].as_str().map(str::to_owned)
}

/// The job ids as a list local, shared by all three configurations. Resources take one each by
/// `count.index`: `for_each` over a literal set of N ids costs Terraform itself 2–3 times the CPU
/// (measured with Terraform 1.11.4), which would be added to both sides and flatter the ratio.
fn job_list(jobs: &[String]) -> String {
    let items: Vec<String> = jobs.iter().map(|j| format!("\"{j}\"")).collect();
    format!("locals {{\n  jobs = [{}]\n}}\n\n", items.join(", "))
}

/// N `terraform_data` resources: Terraform's own work, the floor.
pub fn floor_config(jobs: &[String]) -> String {
    format!(
        "{}resource \"terraform_data\" \"kill\" {{\n  count = length(local.jobs)\n  input = local.jobs[count.index]\n}}\n",
        job_list(jobs)
    )
}

/// N `mrs_job_kill` resources on `cluster`; the provider is configured from `HW_*` variables.
/// The same text serves [`Way::Minimal`], whose resource takes the same two arguments.
pub fn provider_config(cluster: &str, jobs: &[String]) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    mrs = {{ source = \"huaweicloud/mrs\" }}\n  }}\n}}\n\n\
         provider \"mrs\" {{}}\n\n{}\
         resource \"mrs_job_kill\" \"kill\" {{\n  count            = length(local.jobs)\n  cluster_id       = \"{cluster}\"\n  job_execution_id = local.jobs[count.index]\n}}\n",
        job_list(jobs)
    )
}

/// N `terraform_data` resources, each killing its job with `command_prefix <cluster> <job>`.
pub fn local_exec_config(command_prefix: &str, cluster: &str, jobs: &[String]) -> String {
    let command = format!("{command_prefix} {cluster} ${{self.input}}");
    format!(
        "{}resource \"terraform_data\" \"kill\" {{\n  count = length(local.jobs)\n  input = local.jobs[count.index]\n\n  \
         provisioner \"local-exec\" {{\n    command = {}\n  }}\n}}\n",
        job_list(jobs),
        serde_json::Value::String(command)
    )
}
