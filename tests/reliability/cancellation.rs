//! 3. Cancellation.

use super::*;

/// Every running process whose executable is the provider binary, with its parent.
fn provider_processes() -> Vec<(u32, Option<u32>)> {
    let ours = std::fs::canonicalize(provider_binary()).expect("provider binary path");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(exe) = std::fs::read_link(entry.path().join("exe")) else {
            continue;
        };
        if exe == ours {
            found.push((pid, parent_of(pid)));
        }
    }
    found
}

/// Provider processes started (directly or through a helper) by `ancestor`.
pub(super) fn provider_descendants_of(ancestor: u32) -> Vec<u32> {
    provider_processes()
        .into_iter()
        .filter(|(pid, _)| {
            let mut current = Some(*pid);
            for _ in 0..16 {
                match current.and_then(parent_of) {
                    Some(p) if p == ancestor => return true,
                    Some(p) if p > 1 => current = Some(p),
                    _ => return false,
                }
            }
            false
        })
        .map(|(pid, _)| pid)
        .collect()
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ..." where comm may hold spaces: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Alive and not a zombie.
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Starts `terraform apply` in `ws` and returns once MRS accepted the kill of `job` and the
/// provider polls it. The apply runs in a process group of its own, so that
/// [`interrupt_group`] reaches every process of it, as Ctrl-C in a terminal does. That matters:
/// Terraform before 1.1 runs as two processes (the first re-executes itself under panicwrap
/// and ignores SIGINT), and the providers get the signal too.
fn apply_until_waiting(
    tf: &TerraformBin,
    ws: &Workspace,
    emulator: &RunningEmulator,
    job: &str,
) -> Child {
    let env = emulator_env(emulator);
    let child = apply_command(ws, &env, &[])
        .process_group(0)
        .spawn()
        .expect("start terraform apply");
    // The wait looks at the job with a show, or with the poller's listing once the plan-time
    // check has told it when the job was submitted: either counts once the kill was accepted.
    let looks_at_kill = std::cell::Cell::new(None);
    let polling = poll(600, || {
        let stats = emulator.stats();
        if !stats.kills_accepted.contains_key(job) {
            return false;
        }
        let looks = stats.requests.show_job + stats.requests.list_jobs;
        let first = *looks_at_kill.get().get_or_insert(looks);
        looks_at_kill.set(Some(first));
        looks > first || stats.requests.show_job >= 1
    });
    assert!(
        polling,
        "terraform {}: never reached the wait: {}",
        tf.version,
        apply_output(ws)
    );
    child
}

/// Sends SIGINT to the process group `leader` leads, as Ctrl-C does.
fn interrupt_group(leader: u32) {
    // SAFETY: kill(2) on the process group our own child leads; no memory is involved.
    let rc = unsafe { libc::kill(-(leader as libc::pid_t), libc::SIGINT) };
    assert_eq!(rc, 0, "send SIGINT to the process group");
}

#[test]
fn ctrl_c_during_wait_for_termination_exits_promptly_leaves_no_provider_and_keeps_the_kill() {
    for tf in common::terraform::terraforms() {
        let (emulator, job, ws) = waiting_kill(tf, Duration::from_secs(3600));
        let mut child = apply_until_waiting(tf, &ws, &emulator, &job);
        let terraform_pid = child.id();
        let providers = provider_descendants_of(terraform_pid);
        assert!(
            !providers.is_empty(),
            "no provider process under terraform {terraform_pid}; provider processes: {:?}",
            provider_processes()
        );

        interrupt_group(terraform_pid);
        let sent = Instant::now();
        // At most 30 s: "a few seconds" with a wide margin for a loaded machine.
        let status = wait_bounded(
            &mut child,
            300,
            &format!("terraform {} after SIGINT", tf.version),
            ws.path(),
        );
        let exited_after = sent.elapsed();
        let out = apply_output(&ws);
        assert!(
            !status.success(),
            "an interrupted apply reports failure: {out}"
        );

        let gone = poll(100, || providers.iter().all(|pid| !process_alive(*pid)));
        assert!(gone, "provider processes {providers:?} outlived terraform");

        let in_state = killed_in_state(&ws);
        assert_eq!(in_state.len(), 1, "the accepted kill is recorded: {out}");
        assert_eq!(in_state[0].0, job);
        assert!(!in_state[0].1.is_empty(), "request_id is set: {out}");
        assert_eq!(emulator.stats().kills_accepted.get(&job), Some(&1));
        report(
            "ctrl_c_during_wait",
            format!(
                "terraform {}: exited {:.1} s after SIGINT to its process group, {} provider process(es) gone, state has request_id {}",
                tf.version,
                exited_after.as_secs_f64(),
                providers.len(),
                in_state[0].1
            ),
        );
    }
}

#[test]
fn ctrl_c_during_the_wait_leaves_a_tainted_kill_and_the_next_apply_converges() {
    for tf in common::terraform::terraforms() {
        let (emulator, job, ws) = waiting_kill(tf, Duration::from_secs(4));
        let mut child = apply_until_waiting(tf, &ws, &emulator, &job);
        interrupt_group(child.id());
        let status = wait_bounded(&mut child, 300, "terraform after SIGINT", ws.path());
        let out = apply_output(&ws);
        assert!(!status.success(), "{out}");
        let state = ws.state_json().expect("state");
        let instance = &state["resources"][0]["instances"][0];
        assert_eq!(
            instance["status"], "tainted",
            "terraform {}: the interrupted kill is kept, tainted: {out}",
            tf.version
        );

        let killed = poll(300, || {
            emulator.job(CLUSTER, &job).expect("job").state == JobState::Killed
        });
        assert!(killed, "the job ends on its own time");
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));
        let snapshot = emulator.job(CLUSTER, &job).expect("job");
        assert_eq!(
            (
                snapshot.kill_requests,
                snapshot.refused_kill_requests,
                snapshot.kills_after_refusal
            ),
            (1, 0, 0),
            "one accepted kill; the replacement confirms it (issue 18) and sends none"
        );
        report(
            "ctrl_c_then_converge",
            format!(
                "terraform {}: interrupted apply left the kill tainted (request id {}); after the job was KILLED the next apply succeeded with 1 kill POST answered 0175 and the plan after it was empty",
                tf.version,
                instance["attributes"]["request_id"]
                    .as_str()
                    .unwrap_or("none")
            ),
        );
    }
}
