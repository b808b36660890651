//! The way users kill MRS jobs from Terraform today: a `local-exec` provisioner running a Python
//! script that calls the official SDK's `StopJob` (PyPI `huaweicloudsdkmrs`, `MrsClient.stop_job`).
//!
//! The SDK lives in a virtualenv under `target/bench-venv`, created on first use and reused after.
//! The script reads the same `HW_*` variables our provider does, so both ways hit the same emulator
//! with the same credentials.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::BenchError;

/// The script each `local-exec` runs: `python stop_job.py [--wait] <cluster_id> <job_execution_id>`.
/// With `--wait` it then polls ShowSingleJobExe once a second until the job has ended, as a
/// script that must not let Terraform go on before the job is dead would.
const STOP_JOB_SCRIPT: &str = r#""""Kill one MRS job with the official SDK, as a Terraform local-exec provisioner would."""
import os
import sys
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmrs.v2 import MrsClient, ShowSingleJobExeRequest, StopJobRequest


def main():
    args = sys.argv[1:]
    wait = args[:1] == ["--wait"]
    if wait:
        args = args[1:]
    cluster_id, job_execution_id = args[0], args[1]
    credentials = BasicCredentials(
        os.environ["HW_ACCESS_KEY"], os.environ["HW_SECRET_KEY"], os.environ["HW_PROJECT_ID"]
    )
    client = (
        MrsClient.new_builder()
        .with_http_config(HttpConfig.get_default_config())
        .with_credentials(credentials)
        .with_endpoints([os.environ["HW_MRS_ENDPOINT"]])
        .build()
    )
    client.stop_job(StopJobRequest(job_execution_id=job_execution_id, cluster_id=cluster_id))
    if not wait:
        return
    deadline = time.time() + 600
    while time.time() < deadline:
        time.sleep(1)
        shown = client.show_single_job_exe(
            ShowSingleJobExeRequest(job_execution_id=job_execution_id, cluster_id=cluster_id)
        )
        if shown.job_detail.job_state in ("KILLED", "FAILED", "FINISHED"):
            return
    sys.exit("job did not end within 600 s")


if __name__ == "__main__":
    main()
"#;

/// A Python with the official MRS SDK, and the StopJob script.
#[derive(Debug)]
pub struct SdkBaseline {
    python: PathBuf,
    script: PathBuf,
    sdk_version: String,
}

impl SdkBaseline {
    /// Creates (or reuses) the virtualenv at `venv` with `huaweicloudsdkmrs`, and writes the script.
    pub fn prepare(venv: &Path) -> Result<Self, BenchError> {
        let python = venv.join("bin").join("python");
        if sdk_version(&python).is_none() {
            run(
                "python3 -m venv",
                Command::new("python3").args(["-m", "venv"]).arg(venv),
            )?;
            run(
                "pip install huaweicloudsdkmrs",
                Command::new(&python).args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "huaweicloudsdkmrs",
                ]),
            )?;
        }
        let sdk_version = sdk_version(&python).ok_or_else(|| {
            BenchError::Unverified(format!(
                "{} cannot import huaweicloudsdkmrs after installing it; delete {} and run again",
                python.display(),
                venv.display()
            ))
        })?;
        let script = venv.join("stop_job.py");
        std::fs::write(&script, STOP_JOB_SCRIPT).map_err(BenchError::io("write", &script))?;
        Ok(Self {
            python,
            script,
            sdk_version,
        })
    }

    /// The command a `local-exec` runs, before its two arguments (cluster id, job id).
    pub fn command_prefix(&self) -> String {
        format!("'{}' '{}'", self.python.display(), self.script.display())
    }

    /// The same, for the script that waits after StopJob until the job has ended.
    pub fn stop_and_wait_command_prefix(&self) -> String {
        format!("{} --wait", self.command_prefix())
    }

    /// The installed `huaweicloudsdkmrs` version, for the report.
    pub fn sdk_version(&self) -> &str {
        &self.sdk_version
    }
}

fn run(what: &str, command: &mut Command) -> Result<(), BenchError> {
    let output = command.output().map_err(|source| BenchError::Spawn {
        program: what.to_owned(),
        source,
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BenchError::failed(what, &output))
    }
}

/// The SDK version `python` imports, or `None` when it cannot import it.
fn sdk_version(python: &Path) -> Option<String> {
    let output = Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m, huaweicloudsdkmrs.v2; print(m.version('huaweicloudsdkmrs'))",
        ])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
