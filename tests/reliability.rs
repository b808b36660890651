//! Reliability and security, tried and counted (issue 6): faults, cancellation, concurrency,
//! secrets in logs, hostile values, clock skew and hostile responses, end to end with real
//! Terraform and the emulator where it matters, and against the MRS client where the answer's
//! bytes are the point. docs/reliability.md records what each test tried and saw.
//!
//! Every wait is a bounded loop that fails the test when it runs out; nothing asserts on time.

pub mod common;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::emulator::{ACCESS_KEY, REGION, RunningEmulator, SECRET_KEY};
use common::plugin_client::{PluginProcess, provider_binary};
use common::scenario::{
    CLUSTER, HEADER, emulator_env, for_each_config, kill_config, running_jobs, workspace,
};
use common::terraform::{TerraformBin, Workspace, terraforms};
use common::wire::{dynamic, error_paths, object, s, validate_job_kill};
use mrs_emulator::{Emulator, EmulatorConfig, FaultPlan, FaultStep, JobState, Route};
use terraform_provider_mrs::framework::Provider as _;
use terraform_provider_mrs::mrs::{ApiError, ClientConfig, Credentials, MrsClient};
use terraform_provider_mrs::plugin::proto::tfplugin6 as pb;
use terraform_provider_mrs::provider::MrsProvider;
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
    let mut cmd = Command::new(&ws.terraform().path);
    cmd.args(["apply", "-auto-approve", "-input=false", "-no-color"])
        .args(extra)
        .current_dir(ws.path());
    for (key, _) in std::env::vars() {
        if key.starts_with("HW_") || key.starts_with("TF_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("TF_CLI_CONFIG_FILE", ws.path().join("terraform.rc"))
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1");
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

// ---------------------------------------------------------------------------------------------
// 2. Faults end to end.

#[test]
fn fault_rate_30_percent_apply_of_100_kills_kills_every_job_once() {
    let Some(tf) = big_run_terraform() else {
        eprintln!("NOTE: no Terraform available; this end-to-end check did not run");
        return;
    };
    let emulator = RunningEmulator::start(EmulatorConfig {
        kill_delay: Duration::ZERO,
        faults: FaultPlan {
            failure_rate: 0.3,
            seed: 6,
            ..FaultPlan::none()
        },
        ..EmulatorConfig::default()
    });
    let jobs = running_jobs(&emulator, 100);
    let mut ws = workspace(tf, &emulator, &for_each_config(&jobs));
    // 0.3^11 per kill: a job exhausting its retries would be a one-in-a-million run.
    ws.env("HW_MAX_RETRIES", "10");
    let run = ws.apply(&[]);
    assert!(run.success, "terraform {}: {}", tf.version, run.all());

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
    for job in &jobs {
        let snapshot = emulator.job(CLUSTER, job).expect("job");
        assert_eq!(snapshot.state, JobState::Killed, "job {job}");
    }
    assert!(stats.faults_injected > 0, "faults were injected");
    report(
        "fault_rate_30_percent",
        format!(
            "terraform {}: {} kill requests for 100 jobs, {} faults injected ({} dropped connections), statuses {:?}, {} show-job requests, {} TCP connections",
            tf.version,
            stats.requests.kill,
            stats.faults_injected,
            stats.dropped_connections,
            stats.statuses,
            stats.requests.show_job,
            stats.tcp_connections_accepted
        ),
    );
}

#[test]
fn all_attempts_failing_give_a_clear_error_and_nothing_in_state() {
    for tf in terraforms() {
        // A route that always answers 503.
        let emulator = RunningEmulator::start(EmulatorConfig {
            faults: FaultPlan::none().on(Route::Kill, vec![FaultPlan::status(503); 100]),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = workspace(tf, &emulator, &kill_config("down", &job, ""));
        ws.env("HW_MAX_RETRIES", "2");
        let run = ws.apply(&[]);
        assert!(!run.success, "terraform {}", tf.version);
        let out = run.all();
        assert!(out.contains("503"), "{out}");
        assert!(out.contains(&job), "the error names the job: {out}");
        assert!(killed_in_state(&ws).is_empty(), "nothing in state: {out}");
        let stats = emulator.stats();
        assert_eq!(stats.requests.kill, 3, "one attempt and two retries");
        assert!(stats.kills_accepted.is_empty());

        // Every request failing at random (500/502/503/504/429/drop).
        let emulator = RunningEmulator::start(EmulatorConfig {
            faults: FaultPlan {
                failure_rate: 1.0,
                seed: 7,
                ..FaultPlan::none()
            },
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = workspace(tf, &emulator, &kill_config("down", &job, ""));
        ws.env("HW_MAX_RETRIES", "2");
        let run = ws.apply(&[]);
        assert!(!run.success, "terraform {}", tf.version);
        let out = run.all();
        assert!(out.contains("Failed") || out.contains("failed"), "{out}");
        assert!(killed_in_state(&ws).is_empty(), "nothing in state: {out}");
        let stats = emulator.stats();
        assert_eq!(stats.requests.kill, 3);
        assert!(stats.kills_accepted.is_empty());
        report(
            "all_attempts_failing",
            format!(
                "terraform {}: 3 kill attempts each; random-failure statuses {:?}, dropped {}",
                tf.version, stats.statuses, stats.dropped_connections
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
            r#"
terraform {{
  required_providers {{
    mrs = {{ source = "huaweicloud/mrs" }}
  }}
}}
provider "mrs" {{
  request_timeout = "1s"
  max_retries     = 2
}}
{}"#,
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
        assert!(
            out.to_lowercase().contains("timed out") || out.to_lowercase().contains("timeout"),
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

// ---------------------------------------------------------------------------------------------
// 3. Cancellation.

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
fn provider_descendants_of(ancestor: u32) -> Vec<u32> {
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

#[test]
fn ctrl_c_during_wait_for_termination_exits_promptly_leaves_no_provider_and_keeps_the_kill() {
    for tf in common::terraform::terraforms() {
        let emulator = RunningEmulator::start(EmulatorConfig {
            kill_delay: Duration::from_secs(3600),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let ws = workspace(
            tf,
            &emulator,
            &kill_config("wait", &job, "  wait_for_termination = true\n"),
        );
        let env = emulator_env(&emulator);
        // Its own process group, so that the SIGINT below reaches every process of it, as Ctrl-C
        // in a terminal does. That matters: Terraform before 1.1 runs as two processes (the
        // first re-executes itself under panicwrap and ignores SIGINT), and the providers get
        // the signal too.
        let mut child = apply_command(&ws, &env, &[])
            .process_group(0)
            .spawn()
            .expect("start terraform apply");
        let terraform_pid = child.id();

        // Wait until the kill was accepted and the provider is polling the job.
        let polling = poll(600, || {
            let stats = emulator.stats();
            stats.kills_accepted.contains_key(&job) && stats.requests.show_job >= 1
        });
        assert!(
            polling,
            "terraform {}: never reached the wait: {}",
            tf.version,
            apply_output(&ws)
        );
        let providers = provider_descendants_of(terraform_pid);
        assert!(
            !providers.is_empty(),
            "no provider process under terraform {terraform_pid}; provider processes: {:?}",
            provider_processes()
        );

        // SAFETY: kill(2) on the process group our own child leads; no memory is involved.
        let rc = unsafe { libc::kill(-(terraform_pid as libc::pid_t), libc::SIGINT) };
        assert_eq!(rc, 0, "send SIGINT to the process group");
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

// ---------------------------------------------------------------------------------------------
// 4. Concurrency.

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

// ---------------------------------------------------------------------------------------------
// 5. Secrets.

const SECURITY_TOKEN: &str = "sts-token-5f1c9a7e0d2b4c6a8e";
const IAM_TOKEN: &str = "iam-token-MIIZfQYJKoZIhvcNAQcCoIIZbjCCGWoCAQEx";

/// Reasons `text` (a log or a state) gives away a credential.
fn leaks(text: &str, secrets: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for secret in secrets {
        if text.contains(secret) {
            found.push(format!("contains {secret:?}"));
        }
    }
    for marker in [
        "Signature=",
        "SDK-HMAC-SHA256 Access",
        "X-Auth-Token: ",
        "x-auth-token: ",
    ] {
        if let Some(at) = text.find(marker) {
            let start = at.saturating_sub(80);
            let end = (at + 120).min(text.len());
            let context = String::from_utf8_lossy(&text.as_bytes()[start..end]).into_owned();
            found.push(format!("{marker:?} in …{context}…"));
        }
    }
    // The access key may be logged, but never next to a signature.
    for (at, _) in text.match_indices(ACCESS_KEY) {
        let end = (at + 300).min(text.len());
        let after = String::from_utf8_lossy(&text.as_bytes()[at..end]).to_lowercase();
        if after.contains("signature") {
            found.push(format!("access key followed by a signature at byte {at}"));
        }
    }
    found
}

fn assert_no_secrets(ws: &Workspace, log: &Path, secrets: &[&str], what: &str) -> usize {
    let log_text = std::fs::read_to_string(log).expect("TF_LOG_PATH file");
    let state_text =
        std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("state file");
    assert!(log_text.len() > 10_000, "{what}: the trace log was written");
    assert!(
        log_text.contains("terraform-provider-mrs") || log_text.contains("provider"),
        "{what}: the provider's lines are in the log"
    );
    let in_log = leaks(&log_text, secrets);
    assert!(in_log.is_empty(), "{what}: log leaks: {in_log:#?}");
    let in_state = leaks(&state_text, secrets);
    assert!(in_state.is_empty(), "{what}: state leaks: {in_state:#?}");
    log_text.lines().count()
}

#[test]
fn trace_logs_and_state_hold_no_secret_key_token_or_signature() {
    for tf in terraforms() {
        // AK/SK with a security token, the secret in the provider block, the token from the environment.
        let emulator = RunningEmulator::start(EmulatorConfig {
            security_tokens: Some(vec![SECURITY_TOKEN.into()]),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let hcl = format!(
            r#"
terraform {{
  required_providers {{
    mrs = {{ source = "huaweicloud/mrs" }}
  }}
}}
provider "mrs" {{
  access_key = "{ACCESS_KEY}"
  secret_key = "{SECRET_KEY}"
}}
{}"#,
            kill_config("k", &job, "  wait_for_termination = true\n")
        );
        let mut ws = Workspace::new(tf, &hcl);
        let log = ws.path().join("trace.log");
        ws.env("HW_REGION_NAME", REGION)
            .env("HW_PROJECT_ID", emulator.project_id())
            .env("HW_MRS_ENDPOINT", &emulator.url())
            .env("HW_SECURITY_TOKEN", SECURITY_TOKEN)
            .env("TF_LOG", "trace")
            .env("TF_LOG_PATH", &log.display().to_string());
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert_eq!(emulator.stats().kills_accepted.get(&job), Some(&1));
        let aksk_lines = assert_no_secrets(&ws, &log, &[SECRET_KEY, SECURITY_TOKEN], "AK/SK");
        assert!(leaks(&run.all(), &[SECRET_KEY, SECURITY_TOKEN]).is_empty());

        // IAM token.
        let emulator = RunningEmulator::start(EmulatorConfig {
            auth_tokens: vec![IAM_TOKEN.into()],
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = Workspace::new(tf, &format!("{HEADER}{}", kill_config("k", &job, "")));
        let log = ws.path().join("trace.log");
        ws.env("HW_REGION_NAME", REGION)
            .env("HW_PROJECT_ID", emulator.project_id())
            .env("HW_MRS_ENDPOINT", &emulator.url())
            .env("HW_AUTH_TOKEN", IAM_TOKEN)
            .env("TF_LOG", "trace")
            .env("TF_LOG_PATH", &log.display().to_string());
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert_eq!(emulator.stats().kills_accepted.get(&job), Some(&1));
        let token_lines = assert_no_secrets(&ws, &log, &[IAM_TOKEN], "IAM token");
        report(
            "trace_logs_hold_no_secrets",
            format!(
                "terraform {}: {aksk_lines} trace lines (AK/SK+token), {token_lines} (IAM token), 0 leaks",
                tf.version
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Plugin trust (what tests/plugin_runtime.rs does not already cover).

#[tokio::test]
async fn client_speaking_plain_grpc_without_tls_gets_no_answer() {
    let plugin = PluginProcess::launch().await;
    let mut plain = plugin.handshake().clone();
    plain.server_cert_der = None;
    let refused = match common::plugin_client::connect(&plain, None).await {
        Err(_) => true,
        Ok(channel) => {
            let mut client = pb::provider_client::ProviderClient::new(channel);
            let answer = tokio::time::timeout(
                Duration::from_secs(30),
                client.get_provider_schema(pb::get_provider_schema::Request {}),
            )
            .await;
            !matches!(answer, Ok(Ok(_)))
        }
    };
    assert!(refused, "a client without TLS must not get the schema");
    // The provider still serves Terraform afterwards.
    let schema = plugin
        .provider()
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("Terraform's own channel still works");
    assert!(schema.into_inner().provider.is_some());
    plugin.shutdown_and_wait().await;
}

#[tokio::test]
async fn socket_directory_grants_nothing_to_group_or_others() {
    use std::os::unix::fs::PermissionsExt as _;
    let plugin = PluginProcess::launch().await;
    let socket = plugin.socket_path();
    let dir = socket.parent().expect("socket dir");
    let dir_mode = std::fs::metadata(dir).expect("dir").permissions().mode() & 0o777;
    let sock_mode = std::fs::metadata(&socket)
        .expect("socket")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode & 0o077, 0, "directory mode {dir_mode:o}");
    assert_eq!(sock_mode & 0o077, 0, "socket mode {sock_mode:o}");
    plugin.shutdown_and_wait().await;
    assert!(!socket.exists(), "socket removed on exit");
}

// ---------------------------------------------------------------------------------------------
// 7. Hostile values.

fn hostile_strings() -> Vec<String> {
    let mut all: Vec<String> = [
        "",
        "/",
        "..",
        "../x",
        "?",
        "a?b=1",
        "#",
        "a#b",
        "%",
        "%2F",
        "a b",
        " ",
        "ünïcode",
        "日本語",
        "tab\there",
        "nul\u{0}",
        "new\nline",
        "cr\rlf",
        "esc\u{1b}[31m",
        "del\u{7f}",
    ]
    .iter()
    .map(|v| (*v).to_owned())
    .collect();
    all.push("x".repeat(10_000));
    all.push("é".repeat(5_000));
    all
}

#[tokio::test]
async fn hostile_provider_block_values_are_diagnosed_on_their_attribute() {
    let plugin = PluginProcess::launch().await;
    let ty = MrsProvider.schema().value_type();
    // Attributes whose value becomes part of a URL or a duration: anything hostile is refused.
    let strict = [
        "region",
        "project_id",
        "endpoint",
        "iam_endpoint",
        "cloud",
        "request_timeout",
    ];
    // Credentials and file paths are opaque: they may be accepted, but a diagnostic, if any,
    // must sit on the attribute; control characters must be refused (they cannot go in a header).
    let opaque = [
        "access_key",
        "secret_key",
        "security_token",
        "auth_token",
        "ca_cert_file",
    ];
    let mut tried = 0;
    let mut refused = 0;
    for attribute in strict.iter().chain(opaque.iter()) {
        for bad in hostile_strings() {
            let config = object(&ty, &[(attribute, s(&bad))]);
            let resp = plugin
                .provider()
                .validate_provider_config(pb::validate_provider_config::Request {
                    config: dynamic(&config, &ty),
                })
                .await
                .expect("validate provider")
                .into_inner();
            tried += 1;
            let paths = error_paths(&resp.diagnostics);
            for path in &paths {
                assert_eq!(path, &vec![attribute.to_string()], "{attribute} = {bad:?}");
            }
            let has_control = bad.chars().any(char::is_control);
            let must_refuse =
                strict.contains(attribute) || (has_control && *attribute != "ca_cert_file");
            // An empty string means "use the environment / default" for the opaque ones and region.
            let may_be_empty = bad.is_empty();
            if must_refuse && !may_be_empty && *attribute != "request_timeout" {
                assert!(!paths.is_empty(), "{attribute} = {bad:?} must be refused");
            }
            if *attribute == "request_timeout" && !may_be_empty {
                assert!(!paths.is_empty(), "{attribute} = {bad:?} is not a duration");
            }
            refused += usize::from(!paths.is_empty());
        }
    }
    report(
        "hostile_provider_values",
        format!("{tried} ValidateProviderConfig calls, {refused} refused on their attribute"),
    );
    plugin.shutdown_and_wait().await;
}

fn timeouts_object(create: Value) -> Value {
    Value::Object([("create".to_owned(), create)].into_iter().collect())
}

#[tokio::test]
async fn unicode_triggers_are_accepted_and_hostile_create_timeouts_are_refused() {
    let plugin = PluginProcess::launch().await;
    let ids = [("cluster_id", s(CLUSTER)), ("job_execution_id", s("job-1"))];
    let mut triggers = std::collections::BTreeMap::new();
    for (i, v) in hostile_strings().into_iter().enumerate() {
        triggers.insert(
            format!("ключ-{i}-{}", v.chars().take(8).collect::<String>()),
            s(&v),
        );
    }
    triggers.insert(String::new(), s("empty key"));
    let mut pairs = ids.to_vec();
    pairs.push(("triggers", Value::Map(triggers)));
    let diagnostics = validate_job_kill(&mut plugin.provider(), &pairs).await;
    assert!(
        error_paths(&diagnostics).is_empty(),
        "triggers are free text: {diagnostics:?}"
    );

    let mut refused = 0;
    for bad in hostile_strings().into_iter().chain([
        "-1s".into(),
        "10".into(),
        "1y".into(),
        "99999999999999999999999h".into(),
    ]) {
        let mut pairs = ids.to_vec();
        pairs.push(("timeouts", timeouts_object(s(&bad))));
        let diagnostics = validate_job_kill(&mut plugin.provider(), &pairs).await;
        let paths = error_paths(&diagnostics);
        assert_eq!(paths.len(), 1, "timeouts.create = {bad:?}: {diagnostics:?}");
        assert_eq!(
            paths[0],
            vec!["timeouts".to_owned(), "create".to_owned()],
            "{bad:?}"
        );
        refused += 1;
    }
    // Unknown values (Terraform sends them at validate time) are not errors.
    let mut pairs = ids.to_vec();
    pairs.push(("timeouts", timeouts_object(Value::Unknown)));
    pairs.push(("triggers", Value::Unknown));
    let diagnostics = validate_job_kill(&mut plugin.provider(), &pairs).await;
    assert!(error_paths(&diagnostics).is_empty(), "{diagnostics:?}");
    report(
        "hostile_timeouts",
        format!("{refused} bad timeouts.create values refused on timeouts.create"),
    );
    plugin.shutdown_and_wait().await;
}

#[test]
fn terraform_plan_with_hostile_values_sends_no_request() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let cases = [
            (
                "provider region",
                format!(
                    "provider \"mrs\" {{\n  region = \"cn-north-4/../x\"\n}}\n{}",
                    kill_config("k", &job, "")
                ),
                "region",
            ),
            (
                "provider endpoint",
                format!(
                    "provider \"mrs\" {{\n  endpoint = \"http://evil?#\\n\"\n}}\n{}",
                    kill_config("k", &job, "")
                ),
                "endpoint",
            ),
            (
                "provider cloud",
                format!(
                    "provider \"mrs\" {{\n  cloud = \"a b\\u0000\"\n}}\n{}",
                    kill_config("k", &job, "")
                ),
                "cloud",
            ),
            (
                "timeouts.create",
                format!(
                    "provider \"mrs\" {{}}\n{}",
                    kill_config("k", &job, "  timeouts {\n    create = \"soon\"\n  }\n")
                ),
                "create",
            ),
            (
                "cluster_id",
                format!(
                    "provider \"mrs\" {{}}\n{}",
                    kill_config("k", &job, "").replace(CLUSTER, "../\\u00e9%2F?#")
                ),
                "cluster_id",
            ),
        ];
        for (what, body, attribute) in &cases {
            let hcl = format!(
                "terraform {{\n  required_providers {{\n    mrs = {{ source = \"huaweicloud/mrs\" }}\n  }}\n}}\n{body}"
            );
            let mut ws = Workspace::new(tf, &hcl);
            for (key, value) in emulator_env(&emulator) {
                ws.env(key, &value);
            }
            let run = ws.run(&["plan", "-input=false", "-no-color"]);
            assert!(!run.success, "terraform {} {what}: must fail", tf.version);
            assert!(run.all().contains(attribute), "{what}: {}", run.all());
        }
        assert_eq!(
            emulator.stats().requests.total(),
            0,
            "no request reached the emulator"
        );
        report(
            "terraform_plan_hostile_values",
            format!(
                "terraform {}: {} plans refused, 0 requests",
                tf.version,
                cases.len()
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Clock skew.

#[test]
fn clock_skew_beyond_15_minutes_names_the_clock() {
    for tf in terraforms() {
        for (offset, accepted) in [(14 * 60, true), (16 * 60, false), (-3600, false)] {
            let emulator = RunningEmulator::start(EmulatorConfig {
                clock_offset_s: offset,
                ..EmulatorConfig::default()
            });
            let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
            let ws = workspace(tf, &emulator, &kill_config("skew", &job, ""));
            let run = ws.apply(&[]);
            assert_eq!(run.success, accepted, "offset {offset}: {}", run.all());
            if !accepted {
                let out = run.all();
                assert!(out.contains("clock"), "offset {offset}: {out}");
                assert!(out.contains("401"), "offset {offset}: {out}");
                assert!(killed_in_state(&ws).is_empty());
                assert!(emulator.stats().rejected_signatures >= 1);
                assert!(emulator.stats().kills_accepted.is_empty());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Hostile responses, against the MRS client.

async fn client_for(emulator: &mrs_emulator::EmulatorHandle, timeout: Duration) -> MrsClient {
    let mut config = ClientConfig::new(
        REGION,
        Credentials::AkSk {
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            security_token: None,
        },
    );
    config.endpoint = Some(emulator.url());
    config.iam_endpoint = Some(emulator.url());
    config.project_id = Some(emulator.project_id().to_owned());
    config.max_retries = 2;
    config.request_timeout = timeout;
    MrsClient::new(config).expect("client")
}

async fn kill_with(
    step: FaultStep,
    timeout: Duration,
) -> (Result<u16, ApiError>, mrs_emulator::Stats) {
    let emulator = Emulator::start(EmulatorConfig {
        faults: FaultPlan::none().on(Route::Kill, [step]),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    let client = client_for(&emulator, timeout).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let result = client
        .kill_job(emulator.project_id(), CLUSTER, &job, deadline)
        .await
        .map(|accepted| accepted.status);
    let stats = emulator.stats();
    emulator.shutdown().await;
    (result, stats)
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_error_body_is_capped_and_reported_with_its_status() {
    let (result, stats) = kill_with(
        FaultStep::HugeBody {
            status: 400,
            bytes: 64 * 1024 * 1024,
        },
        Duration::from_secs(30),
    )
    .await;
    let err = result.expect_err("a 400 is an error");
    let text = err.to_string();
    assert!(text.contains("400"), "{text}");
    assert!(
        text.len() < 16 * 1024,
        "the message is short: {} bytes",
        text.len()
    );
    assert_eq!(stats.requests.kill, 1, "a 400 is not retried");
    report(
        "huge_body",
        format!("64 MiB 400 body → error of {} bytes", text.len()),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_success_body_is_capped_and_the_kill_still_succeeds() {
    let (result, stats) = kill_with(
        FaultStep::HugeBody {
            status: 202,
            bytes: 64 * 1024 * 1024,
        },
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(result.expect("a 202 is success whatever its body"), 202);
    assert_eq!(stats.requests.kill, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_and_html_bodies_give_a_clean_error_with_the_status() {
    let (result, _) = kill_with(FaultStep::Garbage { status: 400 }, Duration::from_secs(30)).await;
    let text = result.expect_err("garbage 400").to_string();
    assert!(text.contains("400"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "no raw bytes: {text:?}"
    );

    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let (result, stats) = kill_with(
        FaultStep::Status {
            status: 403,
            retry_after: None,
            body: Some(html.into()),
        },
        Duration::from_secs(30),
    )
    .await;
    let text = result.expect_err("html 403").to_string();
    assert!(text.contains("403"), "{text}");
    assert!(
        !text.contains("<html>"),
        "the page is summarised, not dumped: {text}"
    );
    assert_eq!(stats.requests.kill, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn accepted_kill_with_an_unexpected_body_is_still_success() {
    for body in [
        "not json",
        "{\"unexpected\": [1,2,3]}",
        "<html>ok</html>",
        "\u{0}\u{1}",
    ] {
        let (result, _) = kill_with(
            FaultStep::Status {
                status: 202,
                retry_after: None,
                body: Some(body.into()),
            },
            Duration::from_secs(30),
        )
        .await;
        assert_eq!(result.expect("202 is success"), 202, "{body:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hanging_response_is_cut_by_request_timeout_and_retried() {
    let (result, stats) = kill_with(FaultStep::Hang, Duration::from_secs(1)).await;
    assert_eq!(result.expect("the retry succeeds"), 202);
    assert_eq!(stats.requests.kill, 2, "one hung attempt, one retry");
    assert_eq!(stats.kills_accepted.values().sum::<u64>(), 1);
}
