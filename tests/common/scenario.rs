//! The building blocks of an end-to-end scenario: a cluster, HCL for kills, and a Terraform
//! workspace whose provider is pointed at an emulator through HW_* variables.

use super::emulator::{ACCESS_KEY, REGION, RunningEmulator, SECRET_KEY};
use super::terraform::{TerraformBin, Workspace};
use mrs_emulator::{EmulatorConfig, JobState};

/// The cluster every scenario's jobs run on.
pub const CLUSTER: &str = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

/// The text of [`TERRAFORM_BLOCK`], for `concat!`.
macro_rules! terraform_block {
    () => {
        "terraform {\n  required_providers {\n    mrs = { source = \"huaweicloud/mrs\" }\n  }\n}\n"
    };
}

/// The `terraform` block every configuration starts with: `mrs` from its Registry address.
pub const TERRAFORM_BLOCK: &str = terraform_block!();

/// `terraform` and `provider` blocks; the provider is configured from the environment.
pub const HEADER: &str = concat!("\n", terraform_block!(), "provider \"mrs\" {}\n");

/// [`TERRAFORM_BLOCK`] and a `provider "mrs"` block holding the lines of `body`.
pub fn provider_block(body: &str) -> String {
    format!("{TERRAFORM_BLOCK}provider \"mrs\" {{\n{body}\n}}\n")
}

/// The environment that points the provider at `emulator` with AK/SK.
pub fn emulator_env(emulator: &RunningEmulator) -> Vec<(&'static str, String)> {
    vec![
        ("HW_REGION_NAME", REGION.to_owned()),
        ("HW_ACCESS_KEY", ACCESS_KEY.to_owned()),
        ("HW_SECRET_KEY", SECRET_KEY.to_owned()),
        ("HW_PROJECT_ID", emulator.project_id().to_owned()),
        ("HW_MRS_ENDPOINT", emulator.url()),
        ("HW_IAM_ENDPOINT", emulator.url()),
    ]
}

/// A workspace with [`HEADER`] plus `body`, configured by [`emulator_env`].
pub fn workspace(tf: &TerraformBin, emulator: &RunningEmulator, body: &str) -> Workspace {
    let mut ws = Workspace::new(tf, &format!("{HEADER}{body}"));
    for (key, value) in emulator_env(emulator) {
        ws.env(key, &value);
    }
    ws
}

/// One `mrs_job_kill` named `name` for `job` on [`CLUSTER`], with `extra` lines inside.
pub fn kill_config(name: &str, job: &str, extra: &str) -> String {
    format!(
        "resource \"mrs_job_kill\" \"{name}\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = \"{job}\"\n{extra}}}\n"
    )
}

/// An emulator with a running job that takes `kill_delay` to die once killed, and a workspace
/// whose `mrs_job_kill` (named `wait`) kills it and waits for it to end.
pub fn waiting_kill(
    tf: &TerraformBin,
    kill_delay: std::time::Duration,
) -> (RunningEmulator, String, Workspace) {
    let emulator = RunningEmulator::start(EmulatorConfig {
        kill_delay,
        ..EmulatorConfig::default()
    });
    let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    let ws = workspace(
        tf,
        &emulator,
        &kill_config("wait", &job, "  wait_for_termination = true\n"),
    );
    (emulator, job, ws)
}

/// `n` RUNNING jobs on [`CLUSTER`].
pub fn running_jobs(emulator: &RunningEmulator, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| emulator.add_job(CLUSTER, None, Some(JobState::Running)))
        .collect()
}

/// `mrs_job_kill.all`, one instance per job, with `for_each`.
pub fn for_each_config(jobs: &[String]) -> String {
    let list = jobs
        .iter()
        .map(|j| format!("\"{j}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "resource \"mrs_job_kill\" \"all\" {{\n  for_each = toset([{list}])\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = each.value\n}}\n"
    )
}
