//! Kills that converge (issue 12), end to end with real Terraform (the one on PATH, and 1.0.3)
//! against the emulator, which refuses any kill of a job that is being killed or has ended with
//! the seed's 0175 body, as MRS does. Whatever happened before — a wait that timed out, a job
//! killed out of band, a job that finished by itself — the next apply ends in success once the
//! job has ended, and a job that stays RUNNING is an error that says so.

pub mod common;

use std::time::Duration;

use common::emulator::RunningEmulator;
use common::scenario::{CLUSTER, HEADER, kill_config, running_jobs, workspace};
use common::state::{RecordedJob, jobs_kill_record};
use common::terraform::{Workspace, newest_at_least, terraforms};
use common::until;
use mrs_emulator::{EmulatorConfig, FaultPlan, FaultStep, JobState, KILL_FAILED_BODY, Route};

/// The one `mrs_job_kill` instance in the state: its attributes and whether it is tainted.
fn only_kill(ws: &Workspace) -> Option<(serde_json::Value, bool)> {
    let state = ws.state_json()?;
    let resources = state["resources"].as_array()?;
    let kills: Vec<&serde_json::Value> = resources
        .iter()
        .filter(|r| r["type"] == "mrs_job_kill")
        .flat_map(|r| r["instances"].as_array().into_iter().flatten())
        .collect();
    match kills.as_slice() {
        [] => None,
        [one] => Some((one["attributes"].clone(), one["status"] == "tainted")),
        more => panic!("expected one mrs_job_kill instance, found {}", more.len()),
    }
}

/// Polls the emulator until the job shows `state`; fails the test after [`until::GUARD`].
fn wait_for_state(emulator: &RunningEmulator, job: &str, state: JobState) {
    until::until(&format!("job {job} to become {state}"), || {
        emulator.job(CLUSTER, job).expect("job").state == state
    });
}

#[test]
fn a_slow_death_keeps_the_first_request_id_through_every_apply_and_sends_one_kill() {
    for tf in terraforms() {
        // Issue 18 §5: the job takes longer to die than two applies' create timeouts.
        let emulator = RunningEmulator::start(EmulatorConfig {
            kill_delay: Duration::from_secs(7),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let extra = "  wait_for_termination = true\n  timeouts {\n    create = \"2s\"\n  }\n";
        let ws = workspace(tf, &emulator, &kill_config("slow", &job, extra));

        let first = ws.apply(&[]);
        assert!(
            !first.success,
            "terraform {}: the wait times out",
            tf.version
        );
        let out = first.all();
        assert!(out.contains("Timed out waiting"), "{out}");
        assert!(!out.contains("Nothing was recorded"), "{out}");
        let (attrs, tainted) = only_kill(&ws).expect("the accepted kill is in state");
        assert!(tainted, "terraform {}: saved tainted: {attrs}", tf.version);
        let request_id = attrs["request_id"].as_str().expect("request_id").to_owned();
        assert!(!request_id.is_empty());
        assert!(attrs["final_job_state"].is_null(), "{attrs}");

        // Still dying: the replacement confirms the earlier kill, and times out again.
        let second = ws.apply(&[]);
        assert!(!second.success, "terraform {}: still dying", tf.version);
        let out = second.all();
        assert!(!out.contains("Nothing was recorded"), "{out}");
        assert!(!out.contains("no earlier kill took effect"), "{out}");
        let (attrs, tainted) = only_kill(&ws).expect("the record survives the replacement");
        assert!(tainted, "{attrs}");
        assert_eq!(
            attrs["request_id"],
            request_id.as_str(),
            "the first request id"
        );

        wait_for_state(&emulator, &job, JobState::Killed);
        let third = ws.apply(&[]);
        assert!(third.success, "terraform {}: {}", tf.version, third.all());
        let (attrs, tainted) = only_kill(&ws).expect("confirmed");
        assert!(!tainted, "{attrs}");
        assert_eq!(attrs["final_job_state"], "KILLED");
        assert_eq!(
            attrs["request_id"],
            request_id.as_str(),
            "the first request id"
        );
        assert_eq!(
            ws.plan_has_changes().map_err(|r| r.all()),
            Ok(false),
            "terraform {}: the plan after the confirmed kill is empty",
            tf.version
        );
        let stats = emulator.stats();
        assert_eq!(stats.requests.kill, 1, "one kill POST in three applies");
        assert_eq!(stats.kills_accepted_for(&job), 1);
        let snapshot = emulator.job(CLUSTER, &job).expect("job");
        assert_eq!(snapshot.refused_kill_requests, 0);
    }
}

/// The `jobs` of the one `mrs_jobs_kill` instance, ordered by job and request id, and whether
/// it is tainted.
fn only_jobs_kill(ws: &Workspace) -> (Vec<RecordedJob>, bool) {
    let (mut jobs, tainted) = jobs_kill_record(ws);
    jobs.sort_by(|a, b| (&a.job_id, &a.request_id).cmp(&(&b.job_id, &b.request_id)));
    (jobs, tainted)
}

#[test]
fn a_slow_death_of_a_cluster_s_jobs_keeps_every_record_through_every_apply() {
    // Issue 18 §5 for mrs_jobs_kill: three jobs take longer to die than two applies' timeouts.
    for tf in terraforms() {
        let emulator = RunningEmulator::start(EmulatorConfig {
            kill_delay: Duration::from_secs(7),
            ..EmulatorConfig::default()
        });
        let ids = running_jobs(&emulator, 3);
        let config = format!(
            "resource \"mrs_jobs_kill\" \"all\" {{\n  cluster_id = \"{CLUSTER}\"\n  wait_for_termination = true\n  timeouts {{\n    create = \"2s\"\n  }}\n}}\n"
        );
        let ws = workspace(tf, &emulator, &config);

        let first = ws.apply(&[]);
        assert!(!first.success, "terraform {}: times out", tf.version);
        let (recorded, tainted) = only_jobs_kill(&ws);
        assert!(tainted, "terraform {}", tf.version);
        assert_eq!(recorded.len(), 3, "{recorded:?}");
        assert!(recorded.iter().all(|j| !j.request_id.is_empty()));

        let second = ws.apply(&[]);
        assert!(!second.success, "terraform {}: still dying", tf.version);
        let (again, tainted) = only_jobs_kill(&ws);
        assert!(tainted);
        assert_eq!(
            again, recorded,
            "the same jobs and request ids survive the replacement"
        );

        for id in &ids {
            wait_for_state(&emulator, id, JobState::Killed);
        }
        let third = ws.apply(&[]);
        assert!(third.success, "terraform {}: {}", tf.version, third.all());
        let (last, tainted) = only_jobs_kill(&ws);
        assert!(!tainted);
        let kept: Vec<(&str, &str)> = last
            .iter()
            .map(|j| (j.job_id.as_str(), j.request_id.as_str()))
            .collect();
        let first_ids: Vec<(&str, &str)> = recorded
            .iter()
            .map(|j| (j.job_id.as_str(), j.request_id.as_str()))
            .collect();
        assert_eq!(kept, first_ids, "the original request ids, confirmed");
        assert!(
            last.iter().all(|j| j.final_job_state == "KILLED"),
            "{last:?}"
        );
        assert_eq!(
            emulator.stats().requests.kill,
            3,
            "one kill per job in three applies"
        );
        assert_eq!(
            ws.plan_has_changes().map_err(|r| r.all()),
            Ok(false),
            "terraform {}",
            tf.version
        );
    }
}

#[test]
fn job_killed_out_of_band_is_success_with_a_warning_and_final_state_killed() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Killed));
        let ws = workspace(tf, &emulator, &kill_config("console", &job, ""));
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        let out = run.all();
        assert!(
            out.contains("Warning") && out.contains("already killed"),
            "{out}"
        );
        let (attrs, tainted) = only_kill(&ws).expect("recorded");
        assert!(!tainted);
        assert_eq!(attrs["final_job_state"], "KILLED", "even without waiting");
        assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));
        assert_eq!(emulator.stats().requests.kill, 1);
    }
}

#[test]
fn job_finished_before_the_apply_is_success_with_a_warning_and_final_state_finished() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Finished));
        let ws = workspace(tf, &emulator, &kill_config("done", &job, ""));
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert!(
            run.all().contains("ended by itself as FINISHED"),
            "{}",
            run.all()
        );
        let (attrs, _) = only_kill(&ws).expect("recorded");
        assert_eq!(attrs["final_job_state"], "FINISHED");
        assert_eq!(emulator.stats().requests.kill, 1);
    }
}

/// The postcondition example (examples/resources/mrs_job_kill/postcondition.tf, shown in
/// docs/resources/job_kill.md) aimed at `job`. Its cluster is the scenarios' [`CLUSTER`].
fn postcondition_example(job: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example =
        std::fs::read_to_string(root.join("examples/resources/mrs_job_kill/postcondition.tf"))
            .expect("postcondition example");
    let docs = std::fs::read_to_string(root.join("docs/resources/job_kill.md")).expect("docs page");
    assert!(
        docs.contains(&example),
        "the docs page shows the example as it is"
    );
    assert!(example.contains(CLUSTER));
    example.replace("8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e", job)
}

#[test]
fn documented_postcondition_turns_a_job_that_had_finished_into_an_error() {
    // Preconditions and postconditions exist from Terraform 1.2.
    let Some(tf) = newest_at_least((1, 2)) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs a Terraform >= 1.2 on PATH for postconditions"
        );
        eprintln!("NOTE: no Terraform >= 1.2; the postcondition check did not run");
        return;
    };
    let emulator = RunningEmulator::start_default();
    let finished = emulator.add_job(CLUSTER, None, Some(JobState::Finished));
    let ws = workspace(tf, &emulator, &postcondition_example(&finished));
    let run = ws.apply(&[]);
    assert!(!run.success, "the postcondition fails");
    let out = run.all();
    assert!(out.contains("it ended as FINISHED"), "{out}");

    let running = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    ws.write_config(&format!("{HEADER}{}", postcondition_example(&running)));
    let run = ws.apply(&[]);
    assert!(run.success, "a real kill passes it: {}", run.all());
}

#[test]
fn seed_0175_on_a_job_that_stays_running_is_an_error_with_its_state_and_nothing_in_state() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start(EmulatorConfig {
            faults: FaultPlan::none().on(
                Route::Kill,
                [FaultStep::Status {
                    status: 400,
                    retry_after: None,
                    body: Some(KILL_FAILED_BODY.to_owned()),
                }],
            ),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        // The create timeout bounds how long the job is watched after the 0175.
        let extra = "  timeouts {\n    create = \"3s\"\n  }\n";
        let ws = workspace(tf, &emulator, &kill_config("stuck", &job, extra));
        let run = ws.apply(&[]);
        assert!(!run.success, "terraform {}", tf.version);
        let out = run.all();
        for needle in ["0175", "Failed to terminate the job.", "RUNNING", &job] {
            assert!(out.contains(needle), "{needle}: {out}");
        }
        assert!(only_kill(&ws).is_none(), "nothing in state: {out}");
        assert_eq!(emulator.stats().requests.kill, 1, "one kill POST");
        assert_eq!(
            emulator.job(CLUSTER, &job).expect("job").state,
            JobState::Running
        );
    }
}

#[test]
fn data_source_on_an_unknown_job_says_no_job_on_the_cluster() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let body = format!(
            "data \"mrs_job_execution\" \"j\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = \"no-such-job\"\n}}\n"
        );
        let ws = workspace(tf, &emulator, &body);
        let run = ws.plan();
        assert!(!run.success);
        let out = run.all();
        assert!(
            out.contains(&format!("No job no-such-job on cluster {CLUSTER}")),
            "{out}"
        );
        assert!(out.contains("0176"), "{out}");
    }
}
