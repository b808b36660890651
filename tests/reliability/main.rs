//! Reliability and security, tried and counted (issue 6): faults, cancellation, concurrency,
//! secrets in logs, hostile values, clock skew and hostile responses, end to end with real
//! Terraform and the emulator where it matters, and against the MRS client where the answer's
//! bytes are the point. docs/reliability.md records what each test tried and saw.
//!
//! One file per theme, numbered as docs/reliability.md's sections. Every wait is a bounded loop
//! that fails the test when it runs out; nothing asserts on time.

#[path = "../common/mod.rs"]
pub mod common;

mod cancellation;
mod clock_skew;
mod concurrency;
mod faults;
mod hostile_responses;
mod hostile_values;
mod hostile_world;
mod memory;
mod plugin_trust;
mod raw_server;
mod secrets;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::emulator::{ACCESS_KEY, REGION, RunningEmulator, SECRET_KEY};
use common::plugin_client::{PluginProcess, provider_binary};
use common::scenario::{
    CLUSTER, HEADER, TERRAFORM_BLOCK, emulator_env, for_each_config, kill_config, provider_block,
    running_jobs, waiting_kill, workspace,
};
use common::terraform::{Run, TerraformBin, Workspace, terraforms};
use common::wire::{error_paths, s, validate_job_kill, validate_provider};
use mrs_emulator::{Emulator, EmulatorConfig, FaultPlan, FaultStep, JobState, Route};
use terraform_provider_mrs::mrs::{ApiError, MrsClient};
use terraform_provider_mrs::plugin::proto::tfplugin6 as pb;
use terraform_provider_mrs::tfvalue::Value;

/// Prints a measurement for docs/reliability.md (visible with `--nocapture`).
fn report(test: &str, what: impl std::fmt::Display) {
    eprintln!("RELIABILITY {test}: {what}");
}

/// `job_execution_id` and `request_id` of every mrs_job_kill instance in the state.
fn killed_in_state(ws: &Workspace) -> Vec<(String, String)> {
    let Some(state) = ws.state_json() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        if resource["type"] != "mrs_job_kill" {
            continue;
        }
        for instance in resource["instances"].as_array().into_iter().flatten() {
            let attrs = &instance["attributes"];
            out.push((
                attrs["job_execution_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                attrs["request_id"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    out
}

/// Terraform 1.0.3 when available (the slowest, oldest supported one), for the large runs.
fn big_run_terraform() -> Option<&'static TerraformBin> {
    terraforms()
        .iter()
        .find(|t| t.version == "1.0.3")
        .or_else(|| terraforms().first())
}

/// Starts `terraform apply` in `ws` as a child we can signal, with the workspace's settings.
fn spawn_apply(ws: &Workspace, env: &[(&str, String)], extra: &[&str]) -> Child {
    apply_command(ws, env, extra)
        .spawn()
        .expect("start terraform apply")
}

/// `terraform apply -auto-approve` in `ws`, with only `env` of our TF_/HW_ settings, its output
/// going to `apply.out` and `apply.err` there.
fn apply_command(ws: &Workspace, env: &[(&str, String)], extra: &[&str]) -> Command {
    let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
    args.extend_from_slice(extra);
    terraform_command(ws, env, &args)
}

/// `terraform <args>` in `ws`, as [`apply_command`] sets it up.
fn terraform_command(ws: &Workspace, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(&ws.terraform().path);
    cmd.args(args).current_dir(ws.path());
    for (key, _) in std::env::vars() {
        if key.starts_with("HW_") || key.starts_with("TF_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("TF_CLI_CONFIG_FILE", ws.path().join("terraform.rc"))
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env(
            "HW_METADATA_ENDPOINT",
            common::plugin_client::unreachable_metadata_endpoint(),
        );
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(
            std::fs::File::create(ws.path().join("apply.out")).expect("output file"),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(ws.path().join("apply.err")).expect("error file"),
        ));
    cmd
}

fn apply_output(ws: &Workspace) -> String {
    let out = std::fs::read_to_string(ws.path().join("apply.out")).unwrap_or_default();
    let err = std::fs::read_to_string(ws.path().join("apply.err")).unwrap_or_default();
    format!("{out}\n{err}")
}

/// Polls `done` every 100 ms, at most `tries` times; true as soon as it holds.
fn poll(tries: u32, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..tries {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

/// Waits for `child` with a bound, killing it (and failing) if it does not exit.
fn wait_bounded(child: &mut Child, tries: u32, what: &str, dir: &Path) -> std::process::ExitStatus {
    let mut status = None;
    let exited = poll(tries, || {
        status = child.try_wait().expect("poll terraform");
        status.is_some()
    });
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
        let out = std::fs::read_to_string(dir.join("apply.out")).unwrap_or_default();
        let err = std::fs::read_to_string(dir.join("apply.err")).unwrap_or_default();
        panic!("{what}: terraform did not exit\n{out}\n{err}");
    }
    status.expect("exited")
}
