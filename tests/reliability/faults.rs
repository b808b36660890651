//! 2. Faults end to end.

use super::*;

#[test]
fn fault_rate_30_percent_apply_of_100_kills_converges_with_lost_answers_and_0175() {
    let Some(tf) = big_run_terraform() else {
        eprintln!("NOTE: no Terraform available; this end-to-end check did not run");
        return;
    };
    // Random faults include answers dropped after the kill was carried out: the retry then
    // meets MRS's 0175 (the job is being killed or is KILLED) and the provider must converge.
    let emulator = RunningEmulator::start(EmulatorConfig {
        kill_delay: Duration::from_millis(300),
        faults: FaultPlan {
            failure_rate: 0.3,
            seed: 6,
            ..FaultPlan::none()
        },
        ..EmulatorConfig::default()
    });
    let jobs = running_jobs(&emulator, 100);
    let mut ws = workspace(tf, &emulator, &for_each_config(&jobs));
    // 0.3^11 per call: a call exhausting its retries would be a one-in-a-million run.
    ws.env("HW_MAX_RETRIES", "10");
    let run = ws.apply(&[]);
    assert!(run.success, "terraform {}: {}", tf.version, run.all());
    assert!(!run.all().contains("Error:"), "0 errors: {}", run.all());

    let stats = emulator.stats();
    let in_state = killed_in_state(&ws);
    assert_eq!(in_state.len(), 100);
    for (job, request_id) in &in_state {
        assert_eq!(
            stats.kills_accepted.get(job).copied().unwrap_or(0),
            1,
            "job {job} is in state as killed: the emulator accepted exactly one kill"
        );
        assert!(!request_id.is_empty(), "job {job} has a request id");
    }
    // Kills accepted at the end of the apply take the kill delay to show.
    let all_killed = poll(100, || {
        jobs.iter()
            .all(|job| emulator.job(CLUSTER, job).expect("job").state == JobState::Killed)
    });
    assert!(all_killed, "every job ends KILLED");
    let mut refused = 0;
    for job in &jobs {
        let snapshot = emulator.job(CLUSTER, job).expect("job");
        assert_eq!(snapshot.state, JobState::Killed, "job {job}");
        assert_eq!(
            snapshot.kills_after_refusal, 0,
            "job {job}: no kill was sent after a 0175 reached the provider"
        );
        refused += snapshot.refused_kill_requests;
    }
    assert!(
        stats.answers_dropped_after_handling > 0,
        "some answers were lost after the work was done"
    );
    assert!(refused > 0, "some retries met 0175");
    report(
        "fault_rate_30_percent",
        format!(
            "terraform {}: {} kill requests for 100 jobs, {} faults injected ({} dropped before MRS, {} answers lost after the work), {} kills refused with 0175, 0 kills after a 0175, statuses {:?}, {} show-job requests, {} TCP connections",
            tf.version,
            stats.requests.kill,
            stats.faults_injected,
            stats.dropped_connections,
            stats.answers_dropped_after_handling,
            refused,
            stats.statuses,
            stats.requests.show_job,
            stats.tcp_connections_accepted
        ),
    );
}

/// Applies one kill of a running job against an emulator with `faults`, the provider allowed
/// two retries (`HW_MAX_RETRIES`); returns the emulator, the job, the workspace and the run.
fn apply_with_two_retries(
    tf: &TerraformBin,
    faults: FaultPlan,
) -> (RunningEmulator, String, Workspace, Run) {
    let emulator = RunningEmulator::start(EmulatorConfig {
        faults,
        ..EmulatorConfig::default()
    });
    let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    let mut ws = workspace(tf, &emulator, &kill_config("down", &job, ""));
    ws.env("HW_MAX_RETRIES", "2");
    let run = ws.apply(&[]);
    (emulator, job, ws, run)
}

#[test]
fn all_attempts_failing_give_a_clear_error_and_nothing_in_state() {
    for tf in terraforms() {
        // A route that always answers 503.
        let (emulator, job, ws, run) = apply_with_two_retries(
            tf,
            FaultPlan::none().on(Route::Kill, vec![FaultPlan::status(503); 100]),
        );
        assert!(!run.success, "terraform {}", tf.version);
        let out = run.all();
        assert!(out.contains("503"), "{out}");
        assert!(out.contains(&job), "the error names the job: {out}");
        assert!(killed_in_state(&ws).is_empty(), "nothing in state: {out}");
        let stats = emulator.stats();
        assert_eq!(stats.requests.kill, 3, "one attempt and two retries");
        assert!(stats.kills_accepted.is_empty());

        // Every request failing at random (500/502/503/504/429/drop/drop after the work).
        let (emulator, _job, ws, run) = apply_with_two_retries(
            tf,
            FaultPlan {
                failure_rate: 1.0,
                seed: 7,
                ..FaultPlan::none()
            },
        );
        assert!(!run.success, "terraform {}", tf.version);
        let out = run.all();
        assert!(out.contains("Failed") || out.contains("failed"), "{out}");
        assert!(killed_in_state(&ws).is_empty(), "nothing in state: {out}");
        let stats = emulator.stats();
        assert_eq!(stats.requests.kill, 3);
        // A kill is only carried out where its answer was then lost: nothing the provider could know.
        assert!(
            stats.kills_accepted.values().sum::<u64>() <= stats.answers_dropped_after_handling,
            "{stats:?}"
        );
        report(
            "all_attempts_failing",
            format!(
                "terraform {}: 3 kill attempts each; random-failure statuses {:?}, dropped {}, answers lost after the work {}",
                tf.version,
                stats.statuses,
                stats.dropped_connections,
                stats.answers_dropped_after_handling
            ),
        );
    }
}

#[test]
fn server_slower_than_request_timeout_retries_then_fails_naming_the_timeout() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start(EmulatorConfig {
            faults: FaultPlan::none().on(
                Route::Kill,
                vec![FaultStep::Delay(Duration::from_secs(4)); 10],
            ),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let hcl = format!(
            "{}{}",
            provider_block("  request_timeout = \"1s\"\n  max_retries     = 2"),
            kill_config("slow", &job, "  timeouts {\n    create = \"2m\"\n  }\n")
        );
        let mut ws = Workspace::new(tf, &hcl);
        for (key, value) in emulator_env(&emulator) {
            ws.env(key, &value);
        }
        let started = Instant::now();
        let run = ws.apply(&[]);
        let took = started.elapsed();
        assert!(!run.success, "terraform {}", tf.version);
        let out = run.all();
        // The error's own line says the request timed out ("timeout" alone is no evidence: the
        // plan printed above it shows the `timeouts` block).
        assert!(
            out.lines()
                .any(|l| l.contains("Error:") && l.contains("timed out")),
            "{out}"
        );
        assert_eq!(
            emulator.stats().requests.kill,
            3,
            "one attempt and two retries: {out}"
        );
        assert!(killed_in_state(&ws).is_empty(), "nothing in state");
        report(
            "server_slower_than_request_timeout",
            format!(
                "terraform {}: 3 attempts of 1 s against a 4 s server, apply ended after {:.1} s (deadline 2m); emulator accepted {} late kills",
                tf.version,
                took.as_secs_f64(),
                emulator.stats().kills_accepted.values().sum::<u64>()
            ),
        );
    }
}
