//! Quieting a cluster end to end: the `mrs_job_executions` data source and the `mrs_jobs_kill`
//! resource driven by real Terraform against the emulator, and the `mrs_jobs_kill` action at the
//! gRPC level (Terraform 1.14 cannot be installed here).

pub mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::emulator::RunningEmulator;
use common::plugin_client::PluginProcess;
use common::scenario::{CLUSTER, workspace};
use common::state::{RecordedJob, jobs_kill_record};
use common::terraform::{Workspace, terraforms};
use common::wire::{
    action_type_named, attribute_names, configure_for_emulator, errors, invoke_to_completion,
    object, s, validate_action,
};
use mrs_emulator::{Emulator, EmulatorConfig, EmulatorHandle, FaultPlan, JobSpec, JobState, Route};
use terraform_provider_mrs::plugin::proto::tfplugin6 as pb;
use terraform_provider_mrs::tfvalue::{Type, Value};

/// A cluster whose jobs must never be touched by kills aimed at [`CLUSTER`].
const OTHER_CLUSTER: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

fn spec(name: &str, user: &str, state: JobState) -> JobSpec {
    JobSpec {
        job_name: Some(name.to_owned()),
        user: Some(user.to_owned()),
        state: Some(state),
        ..JobSpec::default()
    }
}

/// Fails the test when MRS received a kill request for any of `jobs` (cluster, job id).
fn assert_never_asked_to_kill(emulator: &EmulatorHandle, jobs: &[(&str, &str)]) {
    for (cluster, job) in jobs {
        assert_eq!(
            emulator.job(cluster, job).expect("job").kill_requests,
            0,
            "{job} on {cluster} was asked to be killed"
        );
    }
}

/// `terraform output -json NAME`, parsed.
fn output(ws: &Workspace, name: &str) -> serde_json::Value {
    let run = ws.run(&["output", "-json", name]);
    assert!(run.success, "{}", run.all());
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// The `jobs` attribute of the only `mrs_jobs_kill` in state.
fn killed_in_state(ws: &Workspace) -> Vec<RecordedJob> {
    jobs_kill_record(ws).0
}

fn rfc3339(offset: time::Duration) -> String {
    (time::OffsetDateTime::now_utc() + offset)
        .replace_nanosecond(0)
        .expect("whole seconds")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

#[test]
fn data_source_reads_every_page_answered_202_with_each_filter() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let mut etl_job = String::new();
        for i in 0..250 {
            let name = if i < 30 {
                format!("nightly-etl-{i:03}")
            } else {
                format!("adhoc-{i:03}")
            };
            let state = if i % 50 == 0 {
                JobState::Finished
            } else {
                JobState::Running
            };
            let id = emulator.add_job_spec(
                CLUSTER,
                JobSpec {
                    queue: Some(if i % 10 == 0 { "batch" } else { "default" }.into()),
                    job_type: Some(if i % 25 == 0 { "Flink" } else { "SparkSubmit" }.into()),
                    ..spec(&name, if i % 5 == 0 { "etl" } else { "analyst" }, state)
                },
            );
            if i == 7 {
                etl_job = id;
            }
        }
        for _ in 0..3 {
            emulator.add_job(OTHER_CLUSTER, None, Some(JobState::Running));
        }
        let filter = |name: &str, extra: &str| {
            format!(
                "data \"mrs_job_executions\" \"{name}\" {{\n  cluster_id = \"{CLUSTER}\"\n  {extra}\n}}\n"
            )
        };
        let hour_ago = rfc3339(time::Duration::hours(-1));
        let config = [
            filter("all", ""),
            filter("by_id", &format!("job_id = \"{etl_job}\"")),
            filter("by_name", "job_name = \"nightly\""),
            filter("by_user", "user = \"etl\""),
            filter("by_type", "job_type = \"Flink\""),
            filter("by_state", "job_state = \"RUNNING\""),
            filter("by_result", "job_result = \"SUCCEEDED\""),
            filter("by_queue", "queue = \"batch\""),
            filter("since", &format!("submitted_time_begin = \"{hour_ago}\"")),
            filter("until", &format!("submitted_time_end = \"{hour_ago}\"")),
            r#"output "counts" {
  value = {
    all       = length(data.mrs_job_executions.all.jobs)
    by_id     = length(data.mrs_job_executions.by_id.jobs)
    by_name   = length(data.mrs_job_executions.by_name.jobs)
    by_user   = length(data.mrs_job_executions.by_user.jobs)
    by_type   = length(data.mrs_job_executions.by_type.jobs)
    by_state  = length(data.mrs_job_executions.by_state.jobs)
    by_result = length(data.mrs_job_executions.by_result.jobs)
    by_queue  = length(data.mrs_job_executions.by_queue.jobs)
    since     = length(data.mrs_job_executions.since.jobs)
    until     = length(data.mrs_job_executions.until.jobs)
  }
}
output "one" { value = data.mrs_job_executions.by_id.jobs[0] }
"#
            .to_owned(),
        ]
        .concat();
        let ws = workspace(tf, &emulator, &config);
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        let counts = output(&ws, "counts");
        assert_eq!(
            counts,
            serde_json::json!({
                "all": 250, "by_id": 1, "by_name": 30, "by_user": 50, "by_type": 10,
                "by_state": 245, "by_result": 5, "by_queue": 25, "since": 250, "until": 0,
            }),
            "terraform {}",
            tf.version
        );
        let one = output(&ws, "one");
        assert_eq!(one["job_id"], etl_job.as_str());
        assert_eq!(one["job_name"], "nightly-etl-007");
        assert_eq!(one["user"], "analyst");
        assert_eq!(one["job_state"], "RUNNING");
        assert!(
            one["submitted_time"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{one}"
        );
        let stats = emulator.stats();
        assert_eq!(
            stats.status_count(200),
            stats.requests.iam,
            "every list call was answered 202"
        );
        // all, by_state and since need 3 pages each (250 or 245 jobs, 100 a page).
        assert!(stats.requests.list_jobs >= 3 * 3 + 7, "{stats:?}");
    }
}

#[test]
fn data_source_refuses_unknown_states_results_and_bad_times_on_the_attribute() {
    let tf = &terraforms()[0];
    let emulator = RunningEmulator::start_default();
    let ws = workspace(
        tf,
        &emulator,
        &format!(
            "data \"mrs_job_executions\" \"x\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_state = \"DONE\"\n  job_result = \"OK\"\n  submitted_time_begin = \"yesterday\"\n}}\n"
        ),
    );
    let run = ws.run(&["validate", "-no-color"]);
    assert!(!run.success);
    let text = run.all();
    for (attribute, message) in [
        ("job_state", "is not an MRS job state"),
        ("job_result", "is not an MRS job result"),
        ("submitted_time_begin", "is not an RFC 3339 time"),
    ] {
        assert!(
            text.contains(&format!("Invalid value for {attribute}")) && text.contains(message),
            "{attribute}: {text}"
        );
    }
    assert_eq!(emulator.stats().requests.total(), 0, "nothing was sent");
}

#[test]
fn jobs_kill_plans_the_matching_jobs_kills_only_those_and_plans_nothing_after() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let etl: Vec<String> = (0..3)
            .map(|i| {
                emulator.add_job_spec(CLUSTER, spec(&format!("etl-{i}"), "etl", JobState::Running))
            })
            .collect();
        let accepted =
            emulator.add_job_spec(CLUSTER, spec("etl-queued", "etl", JobState::Accepted));
        let analyst = emulator.add_job_spec(CLUSTER, spec("report", "analyst", JobState::Running));
        let ended = emulator.add_job_spec(CLUSTER, spec("etl-done", "etl", JobState::Finished));
        let elsewhere =
            emulator.add_job_spec(OTHER_CLUSTER, spec("etl-other", "etl", JobState::Running));
        let config = format!(
            "resource \"mrs_jobs_kill\" \"etl\" {{\n  cluster_id = \"{CLUSTER}\"\n  user = \"etl\"\n  wait_for_termination = true\n}}\n"
        );
        let ws = workspace(tf, &emulator, &config);

        let plan = ws.plan();
        assert!(plan.success, "{}", plan.all());
        let text = plan.all();
        assert!(
            text.contains("mrs_jobs_kill would kill 4 jobs on cluster"),
            "terraform {}: {text}",
            tf.version
        );
        for job in etl.iter().chain([&accepted]) {
            assert!(text.contains(job.as_str()), "plan names {job}: {text}");
        }
        for job in [&analyst, &ended, &elsewhere] {
            assert!(
                !text.contains(job.as_str()),
                "plan must not name {job}: {text}"
            );
        }
        assert!(text.contains("known after apply"), "{text}");
        assert_eq!(emulator.stats().requests.kill, 0, "planning killed nothing");

        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        let stats = emulator.stats();
        for job in etl.iter().chain([&accepted]) {
            assert_eq!(stats.kills_accepted_for(job), 1, "{job} killed once");
            assert_eq!(
                emulator.job(CLUSTER, job).expect("job").state,
                JobState::Killed
            );
        }
        assert_eq!(stats.kills_accepted.len(), 4, "{stats:?}");
        assert_never_asked_to_kill(
            &emulator,
            &[
                (CLUSTER, &analyst),
                (CLUSTER, &ended),
                (OTHER_CLUSTER, &elsewhere),
            ],
        );
        assert_eq!(stats.requests.show_job, 0, "waiting used the list API only");
        let recorded = killed_in_state(&ws);
        let recorded_ids: BTreeSet<&str> = recorded.iter().map(|j| j.job_id.as_str()).collect();
        let expected: BTreeSet<&str> = etl.iter().chain([&accepted]).map(String::as_str).collect();
        assert_eq!(recorded_ids, expected);
        assert!(
            recorded.iter().all(|j| j.final_job_state == "KILLED"),
            "{recorded:?}"
        );

        let requests = emulator.stats().requests.total();
        assert_eq!(
            ws.plan_has_changes().map_err(|r| r.all()),
            Ok(false),
            "terraform {}: second plan is empty",
            tf.version
        );
        assert_eq!(
            emulator.stats().requests.total(),
            requests,
            "an unchanged mrs_jobs_kill reads nothing"
        );
        let run = ws.destroy();
        assert!(run.success, "{}", run.all());
        assert_eq!(emulator.stats().requests.kill, 4, "destroy sends no kill");
    }
}

#[test]
fn jobs_kill_with_job_ids_kills_exactly_those_and_warns_on_an_empty_selection() {
    let tf = &terraforms()[0];
    let emulator = RunningEmulator::start_default();
    let jobs: Vec<String> = (0..4)
        .map(|i| emulator.add_job_spec(CLUSTER, spec(&format!("j{i}"), "etl", JobState::Running)))
        .collect();
    let config = format!(
        "resource \"mrs_jobs_kill\" \"two\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_ids = [\"{}\", \"{}\"]\n}}\n\
         resource \"mrs_jobs_kill\" \"none\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_name = \"no-such-job\"\n}}\n",
        jobs[0], jobs[2]
    );
    let ws = workspace(tf, &emulator, &config);
    let run = ws.apply(&[]);
    assert!(run.success, "{}", run.all());
    assert!(
        run.all()
            .contains("mrs_jobs_kill has nothing to kill on cluster"),
        "{}",
        run.all()
    );
    let stats = emulator.stats();
    assert_eq!(stats.kills_accepted_for(&jobs[0]), 1);
    assert_eq!(stats.kills_accepted_for(&jobs[2]), 1);
    assert_eq!(stats.kills_accepted.len(), 2, "{stats:?}");
    assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));

    let both = format!(
        "resource \"mrs_jobs_kill\" \"bad\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_ids = [\"{}\"]\n  queue = \"default\"\n}}\n",
        jobs[1]
    );
    ws.write_config(&format!("{}{both}", common::scenario::HEADER));
    let run = ws.run(&["validate", "-no-color"]);
    assert!(!run.success);
    assert!(
        run.all().contains("job_ids cannot be combined with queue"),
        "{}",
        run.all()
    );
}

#[test]
fn jobs_kill_records_what_was_killed_when_some_kills_fail_and_the_next_apply_finishes() {
    let tf = &terraforms()[0];
    let emulator = RunningEmulator::start(EmulatorConfig {
        // Two kills are refused outright (not retryable): which two is up to the scheduling.
        faults: FaultPlan::none().on(
            Route::Kill,
            [FaultPlan::status(403), FaultPlan::status(403)],
        ),
        ..EmulatorConfig::default()
    });
    let jobs: Vec<String> = (0..6)
        .map(|i| emulator.add_job_spec(CLUSTER, spec(&format!("j{i}"), "etl", JobState::Running)))
        .collect();
    let config = format!(
        "resource \"mrs_jobs_kill\" \"all\" {{\n  cluster_id = \"{CLUSTER}\"\n  wait_for_termination = true\n}}\n"
    );
    let ws = workspace(tf, &emulator, &config);
    let run = ws.apply(&[]);
    assert!(!run.success, "two kills failed: {}", run.all());
    assert_eq!(
        run.all().matches("Error: kill job ").count(),
        2,
        "one diagnostic per failed job: {}",
        run.all()
    );
    let first = killed_in_state(&ws);
    assert_eq!(
        first.len(),
        4,
        "the four kills that worked are recorded: {first:?}"
    );
    let state = ws.state_json().expect("state");
    assert_eq!(state["resources"][0]["instances"][0]["status"], "tainted");

    let run = ws.apply(&[]);
    assert!(run.success, "{}", run.all());
    let second = killed_in_state(&ws);
    assert_eq!(
        second.len(),
        6,
        "the four recorded kills are kept and the two left are added: {second:?}"
    );
    for kill in &first {
        assert!(
            second.iter().any(|j| j.job_id == kill.job_id),
            "{kill:?} kept"
        );
    }
    let stats = emulator.stats();
    for job in &jobs {
        assert_eq!(
            stats.kills_accepted_for(job),
            1,
            "{job} killed exactly once"
        );
        assert_eq!(
            emulator.job(CLUSTER, job).expect("job").state,
            JobState::Killed
        );
    }
}

#[test]
fn two_hundred_jobs_behind_a_rate_limit_are_all_killed_with_few_429s() {
    let tf = &terraforms()[0];
    let emulator = RunningEmulator::start(EmulatorConfig {
        rate_limit: Some(25.0),
        kill_delay: Duration::from_millis(500),
        ..EmulatorConfig::default()
    });
    let jobs: Vec<String> = (0..200)
        .map(|_| emulator.add_job(CLUSTER, None, Some(JobState::Running)))
        .collect();
    let config = format!(
        "resource \"mrs_jobs_kill\" \"all\" {{\n  cluster_id = \"{CLUSTER}\"\n  wait_for_termination = true\n}}\n"
    );
    let ws = workspace(tf, &emulator, &config);
    let run = ws.apply(&[]);
    assert!(run.success, "{}", run.all());
    let stats = emulator.stats();
    for job in &jobs {
        assert_eq!(
            emulator.job(CLUSTER, job).expect("job").state,
            JobState::Killed,
            "{job}"
        );
    }
    assert_eq!(killed_in_state(&ws).len(), 200);
    let total = stats.requests.total();
    assert!(
        stats.throttled * 10 <= total,
        "{} of {total} requests were throttled: {stats:?}",
        stats.throttled
    );
}

// --- the action, at the gRPC level ---

async fn start_emulator(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(config).await.expect("emulator")
}

/// Invokes `mrs_jobs_kill` to its end: its progress messages and final diagnostics.
async fn invoke(plugin: &PluginProcess, config: &Value) -> (Vec<String>, Vec<pb::Diagnostic>) {
    invoke_to_completion(&mut plugin.provider(), "mrs_jobs_kill", config).await
}

/// The object type of the `mrs_jobs_kill` action.
fn action_type() -> Type {
    action_type_named("mrs_jobs_kill")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_kills_every_pending_job_with_an_event_per_job_and_a_summary() {
    let emulator = start_emulator(EmulatorConfig {
        kill_delay: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    let running: Vec<String> = (0..3)
        .map(|_| emulator.add_job(CLUSTER, None, Some(JobState::Running)))
        .collect();
    let ended = emulator.add_job(CLUSTER, None, Some(JobState::Failed));
    let elsewhere = emulator.add_job(OTHER_CLUSTER, None, Some(JobState::Running));
    let plugin = PluginProcess::launch().await;
    configure_for_emulator(&mut plugin.provider(), &emulator).await;
    let ty = action_type();
    let config = object(
        &ty,
        &[
            ("cluster_id", s(CLUSTER)),
            ("wait_for_termination", Value::Bool(true)),
        ],
    );
    let (progress, diagnostics) = invoke(&plugin, &config).await;
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    for job in &running {
        assert!(
            progress
                .iter()
                .any(|m| m.contains(job.as_str()) && m.contains("accepted")),
            "{job}: {progress:?}"
        );
        assert!(
            progress
                .iter()
                .any(|m| m.contains(job.as_str()) && m.contains("KILLED")),
            "{job}: {progress:?}"
        );
        assert_eq!(emulator.job(CLUSTER, job).expect("job").kill_requests, 1);
    }
    assert!(
        progress
            .last()
            .is_some_and(|m| m.contains("3 killed, 0 failed, 3 ended")),
        "{progress:?}"
    );
    assert_never_asked_to_kill(&emulator, &[(CLUSTER, &ended), (OTHER_CLUSTER, &elsewhere)]);
    plugin.shutdown_and_wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_with_job_ids_and_a_filter_is_refused_on_job_ids() {
    let plugin = PluginProcess::launch().await;
    let ty = action_type();
    let config = object(
        &ty,
        &[
            ("cluster_id", s(CLUSTER)),
            ("job_ids", Value::Set(vec![s("j1")])),
            ("job_name", s("etl")),
        ],
    );
    let diagnostics = validate_action(&mut plugin.provider(), "mrs_jobs_kill", &config).await;
    let errs = errors(&diagnostics);
    assert_eq!(errs.len(), 1, "{diagnostics:?}");
    assert_eq!(attribute_names(&errs[0].attribute), ["job_ids"]);
    plugin.shutdown_and_wait().await;
}

// --- the shared poller, through the client ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_waits_on_one_cluster_share_one_listing_per_round() {
    use terraform_provider_mrs::mrs::{JobFilter, MrsClient};
    let emulator = start_emulator(EmulatorConfig::default()).await;
    let jobs: Vec<String> = (0..150)
        .map(|_| emulator.add_job(CLUSTER, None, Some(JobState::Running)))
        .collect();
    let mut config = common::emulator::client_config(&emulator.url());
    config.project_id = Some(emulator.project_id().to_owned());
    let client = MrsClient::new(config).expect("client");
    let project = emulator.project_id().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    // A listing teaches the poller when each job was submitted.
    let listed = client
        .list_jobs(&project, CLUSTER, &JobFilter::default(), deadline)
        .await
        .expect("list");
    assert_eq!(listed.len(), 150);
    emulator.reset_stats();
    for _ in 0..2 {
        let looks = futures::future::join_all(
            jobs.iter()
                .map(|job| client.poll_job(&project, CLUSTER, job, deadline)),
        )
        .await;
        assert!(looks.iter().all(|l| {
            l.as_ref()
                .is_ok_and(|j| j.job_state == Some(terraform_provider_mrs::mrs::JobState::Running))
        }));
    }
    let stats = emulator.stats();
    assert_eq!(stats.requests.show_job, 0, "{stats:?}");
    // Two rounds of 150 jobs, two pages each (100 + 50): 4 calls for 300 looks. A loaded machine
    // may split a round in two; one GET per look would be 300.
    assert!((4..=6).contains(&stats.requests.list_jobs), "{stats:?}");
}
