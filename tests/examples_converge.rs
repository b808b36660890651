//! Every example under examples/resources, examples/data-sources and examples/quickstart,
//! applied as written against the emulator with real Terraform, reaches an empty plan once its
//! jobs have ended (`terraform plan -detailed-exitcode` exits 0), and applying it again sends
//! no request that kills. Users copy examples into CI, where a plan that never settles fails.
//!
//! The action examples (examples/actions) need Terraform 1.14, which is not among the clients
//! these tests run (`common::terraform::terraforms`), so they are not applied here.

pub mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::emulator::RunningEmulator;
use common::scenario::{CLUSTER, HEADER, emulator_env};
use common::terraform::{TerraformBin, Workspace, terraforms};
use mrs_emulator::{JobSpec, JobState};

/// The job IDs the examples name.
const JOB: &str = "8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e";
const OTHER_JOB: &str = "0c2e4a6b-8d0f-4b1c-a3e5-7f9b1d3c5e7a";

/// One example directory and the cluster it expects.
struct Example {
    dir: &'static str,
    /// The oldest Terraform that runs it (preconditions and postconditions need 1.2).
    since: (u32, u32),
    /// `-var` arguments.
    vars: &'static [&'static str],
    /// Creates the jobs the example expects on [`CLUSTER`].
    jobs: fn(&RunningEmulator),
}

fn running(emulator: &RunningEmulator, id: &str, user: &str) {
    emulator.add_job_spec(
        CLUSTER,
        JobSpec {
            job_id: Some(id.to_owned()),
            job_name: Some(format!("nightly-{user}")),
            job_type: Some("SparkSubmit".to_owned()),
            user: Some(user.to_owned()),
            queue: Some("batch".to_owned()),
            state: Some(JobState::Running),
        },
    );
}

/// The cluster the cluster-wide examples quiet: two jobs of `etl` and one of `analyst`.
fn two_etl_jobs_and_an_analysts(e: &RunningEmulator) {
    running(e, JOB, "etl");
    running(e, OTHER_JOB, "etl");
    running(e, "5a7c9e1b-3d5f-4a7c-9e1b-3d5f7a9c1e3b", "analyst");
}

const EXAMPLES: [Example; 5] = [
    Example {
        dir: "examples/resources/mrs_job_kill",
        since: (1, 2),
        vars: &[],
        jobs: |e| running(e, JOB, "etl"),
    },
    Example {
        dir: "examples/resources/mrs_jobs_kill",
        since: (1, 0),
        vars: &[],
        jobs: two_etl_jobs_and_an_analysts,
    },
    Example {
        dir: "examples/data-sources/mrs_job_execution",
        since: (1, 2),
        vars: &[],
        jobs: |e| running(e, JOB, "etl"),
    },
    Example {
        dir: "examples/data-sources/mrs_job_executions",
        since: (1, 0),
        vars: &[],
        jobs: two_etl_jobs_and_an_analysts,
    },
    Example {
        dir: "examples/quickstart",
        since: (1, 0),
        vars: &[
            "-var=cluster_id=2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
            "-var=job_execution_id=8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e",
        ],
        jobs: |e| running(e, JOB, "etl"),
    },
];

/// A workspace holding the example's `.tf` files as written, with the `terraform` and
/// `provider` blocks added when the example has none.
fn example_workspace(tf: &TerraformBin, emulator: &RunningEmulator, dir: &Path) -> Workspace {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("example dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    let has_main = files.iter().any(|f| f.ends_with("main.tf"));
    let main = if has_main {
        std::fs::read_to_string(dir.join("main.tf")).expect("main.tf")
    } else {
        HEADER.to_owned()
    };
    let mut ws = Workspace::new(tf, &main);
    for file in files.iter().filter(|f| !f.ends_with("main.tf")) {
        std::fs::copy(file, ws.path().join(file.file_name().expect("name"))).expect("copy");
    }
    for (key, value) in emulator_env(emulator) {
        ws.env(key, &value);
    }
    ws
}

/// Waits until every job the example asked to kill has ended; the others run on.
fn wait_for_jobs_to_end(emulator: &RunningEmulator) {
    let until = Instant::now() + Duration::from_secs(30);
    while emulator
        .jobs()
        .iter()
        .any(|job| job.kill_requests > 0 && !job.state.is_terminal())
    {
        assert!(
            Instant::now() < until,
            "jobs still running: {:?}",
            emulator.jobs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_example_applied_twice_has_an_empty_second_plan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in &EXAMPLES {
        let mut ran = 0;
        for tf in terraforms()
            .iter()
            .filter(|tf| tf.minor_version() >= example.since)
        {
            ran += 1;
            let emulator = RunningEmulator::start_default();
            (example.jobs)(&emulator);
            let ws = example_workspace(tf, &emulator, &root.join(example.dir));
            let first = ws.apply(example.vars);
            assert!(
                first.success,
                "{} with terraform {}: {}",
                example.dir,
                tf.version,
                first.all()
            );
            wait_for_jobs_to_end(&emulator);
            let kills = emulator.stats().requests.kill;
            assert!(kills > 0, "{}: nothing was killed", example.dir);

            let mut plan = vec![
                "plan",
                "-input=false",
                "-no-color",
                "-detailed-exitcode",
                "-lock=false",
            ];
            plan.extend_from_slice(example.vars);
            let second = ws.run(&plan);
            assert!(
                second.success,
                "{} with terraform {}: the second plan is not empty:\n{}",
                example.dir,
                tf.version,
                second.all()
            );
            let again = ws.apply(example.vars);
            assert!(again.success, "{}: {}", example.dir, again.all());
            assert_eq!(
                emulator.stats().requests.kill,
                kills,
                "{} with terraform {}: the second apply killed again",
                example.dir,
                tf.version
            );
        }
        assert!(
            ran > 0,
            "{}: no Terraform at least {:?} to run it",
            example.dir,
            example.since
        );
    }
}
