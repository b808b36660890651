//! The quiet contract of `mrs_jobs_kill` (issue 18) with real Terraform, both versions, against
//! the emulator: jobs that arrive while an apply waits are killed too, a cluster where jobs
//! never stop arriving fails within the create timeout keeping every accepted kill, and a look
//! refused for good (401 APIGW.0301) ends the wait at once.

pub mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::emulator::RunningEmulator;
use common::scenario::{CLUSTER, running_jobs, workspace};
use common::state::jobs_kill_record;
use common::terraform::{Run, TerraformBin, Workspace, terraforms};
use common::until;
use mrs_emulator::{EmulatorConfig, FaultPlan, FaultStep, JobState, Route};

fn config(extra: &str) -> String {
    format!(
        "resource \"mrs_jobs_kill\" \"all\" {{\n  cluster_id = \"{CLUSTER}\"\n  wait_for_termination = true\n{extra}}}\n"
    )
}

/// An emulator whose kills take `kill_delay` to take effect, with `running` RUNNING jobs on
/// [`CLUSTER`], and a workspace of `tf` holding one waiting `mrs_jobs_kill` with `extra` lines.
fn quiet_scenario(
    tf: &TerraformBin,
    kill_delay: Duration,
    running: usize,
    extra: &str,
) -> (RunningEmulator, Workspace) {
    let emulator = RunningEmulator::start(EmulatorConfig {
        kill_delay,
        ..EmulatorConfig::default()
    });
    running_jobs(&emulator, running);
    let ws = workspace(tf, &emulator, &config(extra));
    (emulator, ws)
}

/// Waits until MRS has accepted at least `n` kills (fails the test after [`until::GUARD`]).
fn until_kills(emulator: &RunningEmulator, n: u64) {
    until::until(&format!("{n} kills to arrive"), || {
        emulator.stats().requests.kill >= n
    });
}

/// Fails the test, naming `tf`, when a job on the emulator has not ended.
fn assert_none_pending(emulator: &RunningEmulator, tf: &TerraformBin) {
    let pending: Vec<_> = emulator
        .jobs()
        .into_iter()
        .filter(|j| !j.state.is_terminal())
        .map(|j| (j.job_id, j.state))
        .collect();
    assert!(
        pending.is_empty(),
        "terraform {}: still pending: {pending:?}",
        tf.version
    );
}

/// Runs `command` (a Terraform run) on a thread of its own and `during` on this one, and
/// returns the run once it has ended, with what `during` returned.
fn while_running<T>(command: impl FnOnce() -> Run + Send, during: impl FnOnce() -> T) -> (Run, T) {
    std::thread::scope(|scope| {
        let run = scope.spawn(command);
        let seen = during();
        (run.join().expect("terraform run"), seen)
    })
}

#[test]
fn jobs_that_arrive_during_the_wait_are_killed_and_recorded_too() {
    for tf in terraforms() {
        let (emulator, ws) = quiet_scenario(tf, Duration::from_secs(3), 3, "");
        let (run, ()) = while_running(
            || ws.apply(&[]),
            || {
                until_kills(&emulator, 3);
                // Two jobs submitted 1 s into the wait, following the job clock (NEW → ACCEPTED →
                // RUNNING), so the later listings see them change state.
                std::thread::sleep(Duration::from_secs(1));
                emulator.add_job(CLUSTER, None, None);
                emulator.add_job(CLUSTER, None, None);
            },
        );
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert_none_pending(&emulator, tf);
        let (jobs, tainted) = jobs_kill_record(&ws);
        assert!(!tainted);
        assert_eq!(jobs.len(), 5, "every job killed is in `jobs`: {jobs:?}");
        assert!(
            jobs.iter().all(|j| j.final_job_state == "KILLED"),
            "{jobs:?}"
        );
        assert_eq!(emulator.stats().requests.kill, 5, "each job killed once");
        assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));
    }
}

#[test]
fn a_cluster_where_jobs_never_stop_arriving_fails_in_time_and_keeps_every_kill() {
    for tf in terraforms() {
        let (emulator, ws) = quiet_scenario(
            tf,
            Duration::from_millis(500),
            1,
            "  timeouts {\n    create = \"6s\"\n  }\n",
        );
        let done = AtomicBool::new(false);
        let (run, elapsed) = std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    emulator.add_job(CLUSTER, None, Some(JobState::Running));
                    std::thread::sleep(Duration::from_millis(300));
                }
            });
            let started = Instant::now();
            let run = ws.apply(&[]);
            done.store(true, Ordering::Relaxed);
            (run, started.elapsed())
        });
        assert!(!run.success, "terraform {}: never quiet", tf.version);
        let out = run.all();
        assert!(
            out.contains("did not become quiet") || out.contains("Timed out waiting"),
            "{out}"
        );
        assert!(
            elapsed < Duration::from_secs(40),
            "ends near the 6 s timeout: {elapsed:?}"
        );
        let (jobs, tainted) = jobs_kill_record(&ws);
        assert!(tainted, "terraform {}", tf.version);
        let accepted = emulator.stats().requests.kill;
        assert!(accepted >= 2, "more than the first job was killed");
        assert_eq!(
            jobs.len() as u64,
            accepted,
            "every accepted kill is on record: {jobs:?}"
        );
    }
}

#[test]
fn a_look_refused_for_good_ends_the_wait_at_once_and_keeps_the_kills() {
    for tf in terraforms() {
        let (emulator, ws) = quiet_scenario(tf, Duration::from_secs(30), 3, "");
        let refused = FaultStep::Status {
            status: 401,
            retry_after: None,
            body: Some(
                r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: ak disabled"}"#
                    .to_owned(),
            ),
        };
        let started = Instant::now();
        let (run, ()) = while_running(
            || ws.apply(&[]),
            || {
                until_kills(&emulator, 3);
                // The access key is disabled after the kills: every look is refused.
                emulator.set_faults(
                    FaultPlan::none()
                        .on(Route::ListJobs, vec![refused.clone(); 1000])
                        .on(Route::ShowJob, vec![refused.clone(); 1000]),
                );
            },
        );
        let elapsed = started.elapsed();
        assert!(!run.success, "terraform {}", tf.version);
        let out = run.all();
        assert!(out.contains("APIGW.0301") || out.contains("401"), "{out}");
        assert!(
            elapsed < Duration::from_secs(25),
            "the default 10 min timeout is not waited out, nor the 30 s kill delay: {elapsed:?}"
        );
        let (jobs, tainted) = jobs_kill_record(&ws);
        assert!(tainted);
        assert_eq!(jobs.len(), 3, "the accepted kills are kept: {jobs:?}");
    }
}

#[test]
fn ctrl_c_during_the_wait_is_an_error_and_keeps_every_accepted_kill() {
    for tf in terraforms() {
        let (emulator, ws) = quiet_scenario(tf, Duration::from_secs(60), 3, "");
        let child = ws.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        until_kills(&emulator, 3);
        std::thread::sleep(Duration::from_secs(1));
        let pid = libc::pid_t::try_from(child.id()).expect("pid");
        // Ctrl-C as a terminal sends it: to Terraform's whole process group.
        // SAFETY: signals only the process group of the terraform this test started.
        assert_eq!(unsafe { libc::kill(-pid, libc::SIGINT) }, 0);
        let output = child.wait_with_output().expect("terraform ends");
        let out = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "terraform {}: {out}", tf.version);
        assert!(out.contains("Stopped waiting for the jobs"), "{out}");
        let (jobs, tainted) = jobs_kill_record(&ws);
        assert!(tainted, "terraform {}: {out}", tf.version);
        assert_eq!(jobs.len(), 3, "every accepted kill is kept: {jobs:?}");
        assert!(
            ws.plan_has_changes().map_err(|r| r.all()) == Ok(true),
            "the next plan is not empty"
        );
    }
}

#[test]
fn a_burst_of_jobs_changing_state_during_the_apply_leaves_none_pending() {
    // Issue 18 §1: jobs moving NEW → ACCEPTED → RUNNING on the job clock while they are listed.
    for tf in terraforms() {
        // Kills take longer than the burst, so the apply cannot end before the last job arrives.
        let (emulator, ws) = quiet_scenario(tf, Duration::from_secs(3), 0, "");
        let (run, ()) = while_running(
            || ws.apply(&[]),
            || {
                for _ in 0..60 {
                    for _ in 0..5 {
                        emulator.add_job(CLUSTER, None, None);
                    }
                    std::thread::sleep(Duration::from_millis(40));
                }
            },
        );
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert_none_pending(&emulator, tf);
        let (jobs, _) = jobs_kill_record(&ws);
        assert_eq!(jobs.len(), 300, "every job killed is in `jobs`");
        assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));
    }
}

#[test]
fn a_saved_plan_applied_later_names_every_job_it_kills() {
    // Issue 18 §6: `plan -out`, jobs submitted, `apply` of the saved plan, and one more job
    // during that apply's wait. Terraform plans again when it applies a saved plan, and hands
    // the apply that plan's private state: the apply's output names the jobs submitted since
    // `plan -out` in that plan's warning, and the job that arrived during the wait in the
    // warning of jobs its plan did not name.
    for tf in terraforms() {
        let (emulator, ws) = quiet_scenario(tf, Duration::from_secs(3), 3, "");
        let plan = ws.run(&["plan", "-input=false", "-no-color", "-out=saved.tfplan"]);
        assert!(plan.success, "{}", plan.all());
        assert!(
            plan.all().contains("mrs_jobs_kill would kill 3 jobs"),
            "{}",
            plan.all()
        );
        let late = running_jobs(&emulator, 2);
        let (run, during) = while_running(
            || ws.run(&["apply", "-input=false", "-no-color", "saved.tfplan"]),
            || {
                until_kills(&emulator, 5);
                emulator.add_job(CLUSTER, None, Some(JobState::Running))
            },
        );
        let out = run.all();
        assert!(run.success, "terraform {}: {out}", tf.version);
        for job in &late {
            assert!(out.contains(job.as_str()), "{job} is named: {out}");
        }
        // Terraform wraps warning text: compare with the line breaks flattened.
        let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("killed 1 job(s) on cluster")
                && flat.contains("that its plan did not name")
                && flat.contains("named 5 job(s); the apply killed 6."),
            "terraform {}: {out}",
            tf.version
        );
        let unnamed = flat
            .split("that its plan did not name")
            .nth(1)
            .unwrap_or_default();
        assert!(unnamed.contains(during.as_str()), "{during}: {out}");
        assert!(
            late.iter().all(|job| !unnamed.contains(job.as_str())),
            "the jobs the plan named are not listed as unnamed: {out}"
        );
        let (jobs, _) = jobs_kill_record(&ws);
        assert_eq!(jobs.len(), 6, "`jobs` records every job killed");
    }
}
