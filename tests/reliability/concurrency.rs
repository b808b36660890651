//! 4. Concurrency.

use super::*;

#[test]
fn four_hundred_kills_at_parallelism_50_kill_each_job_exactly_once() {
    let Some(tf) = big_run_terraform() else {
        eprintln!("NOTE: no Terraform available; this end-to-end check did not run");
        return;
    };
    let emulator = RunningEmulator::start(EmulatorConfig {
        kill_delay: Duration::ZERO,
        ..EmulatorConfig::default()
    });
    let jobs = running_jobs(&emulator, 400);
    let ws = workspace(tf, &emulator, &for_each_config(&jobs));
    let env = emulator_env(&emulator);
    let started = Instant::now();
    let mut child = spawn_apply(&ws, &env, &["-parallelism=50"]);
    // Bounded: 10 minutes, far beyond a normal run, turns a deadlock into a failure.
    let status = wait_bounded(&mut child, 6000, "400 kills", ws.path());
    let took = started.elapsed();
    assert!(status.success(), "{}", apply_output(&ws));
    let stats = emulator.stats();
    for job in &jobs {
        assert_eq!(
            emulator.job(CLUSTER, job).expect("job").kill_requests,
            1,
            "job {job}"
        );
        assert_eq!(stats.kills_accepted.get(job), Some(&1), "job {job}");
    }
    assert_eq!(stats.requests.kill, 400);
    let in_state: BTreeSet<String> = killed_in_state(&ws).into_iter().map(|(j, _)| j).collect();
    assert_eq!(in_state.len(), 400);
    report(
        "four_hundred_kills",
        format!(
            "terraform {}: 400 kill requests, 400 accepted, {} TCP connections, apply took {:.1} s",
            tf.version,
            stats.tcp_connections_accepted,
            took.as_secs_f64()
        ),
    );
}
