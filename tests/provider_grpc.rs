//! The provider as Terraform's gRPC client sees it: the real binary, launched as Terraform does,
//! called RPC by RPC — validation on every attribute, plans, state upgrades, the RPCs we do not
//! offer, and the `mrs_job_kill` action (Terraform 1.14 cannot be installed here, so actions are
//! tested at this level).

pub mod common;

use common::plugin_client::PluginProcess;
use common::until::until_async;
use common::wire::{
    action_type, attribute_names, configure_for_emulator, dynamic, errors, invoke_stream,
    invoke_to_completion, object, resource_type, s, validate_action, validate_job_execution,
    validate_job_kill, validate_provider,
};
use mrs_emulator::{Emulator, EmulatorConfig, EmulatorHandle, JobState};
use terraform_provider_mrs::plugin::proto::tfplugin6 as pb;
use terraform_provider_mrs::tfvalue::{self, Value};

const CLUSTER: &str = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

const HOSTILE_IDS: &[&str] = &[
    "",
    "a/b",
    "..",
    "../../x",
    "a?b=1",
    "a#b",
    "%2F",
    "a b",
    "ünïcode",
    "tab\there",
    "nul\u{0}",
    "new\nline",
];

#[tokio::test]
async fn schema_lists_the_resource_data_source_and_action_with_capabilities() {
    let plugin = PluginProcess::launch().await;
    let schema = plugin
        .provider()
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("schema")
        .into_inner();
    assert!(schema.diagnostics.is_empty());
    let caps = schema.server_capabilities.expect("capabilities");
    assert!(caps.plan_destroy && caps.get_provider_schema_optional);
    assert!(schema.resource_schemas.contains_key("mrs_job_kill"));
    assert!(schema.data_source_schemas.contains_key("mrs_job_execution"));
    let action = schema
        .action_schemas
        .get("mrs_job_kill")
        .expect("action schema");
    let attrs = &action
        .schema
        .as_ref()
        .expect("schema")
        .block
        .as_ref()
        .expect("block")
        .attributes;
    let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
    for expected in [
        "cluster_id",
        "job_execution_id",
        "project_id",
        "region",
        "wait_for_termination",
        "timeout",
    ] {
        assert!(
            names.contains(&expected),
            "action lacks {expected}: {names:?}"
        );
    }
    let metadata = plugin
        .provider()
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("metadata")
        .into_inner();
    let resources: Vec<&str> = metadata
        .resources
        .iter()
        .map(|r| r.type_name.as_str())
        .collect();
    assert_eq!(resources, ["mrs_job_kill", "mrs_jobs_kill"]);
    assert_eq!(metadata.actions[0].type_name, "mrs_job_kill");
    plugin.shutdown_and_wait().await;
}

/// `pairs` with `attribute` set to `value` in place of what it held, if anything.
fn with_attribute<'a>(
    pairs: &[(&'a str, Value)],
    attribute: &'a str,
    value: Value,
) -> Vec<(&'a str, Value)> {
    let mut changed: Vec<(&str, Value)> = pairs.to_vec();
    changed.retain(|(k, _)| *k != attribute);
    changed.push((attribute, value));
    changed
}

#[tokio::test]
async fn hostile_values_are_diagnosed_on_their_own_attribute() {
    let plugin = PluginProcess::launch().await;
    let mut provider = plugin.provider();
    let aty = action_type();
    let good = [("cluster_id", s(CLUSTER)), ("job_execution_id", s("job-1"))];
    for attribute in ["cluster_id", "job_execution_id", "project_id", "region"] {
        for bad in HOSTILE_IDS.iter().copied().chain([&*"x".repeat(65)]) {
            let pairs = with_attribute(&good, attribute, s(bad));

            let diagnostics = validate_job_kill(&mut provider, &pairs).await;
            let errs = errors(&diagnostics);
            assert_eq!(errs.len(), 1, "{attribute} = {bad:?}: {diagnostics:?}");
            assert_eq!(
                attribute_names(&errs[0].attribute),
                vec![attribute.to_string()],
                "{attribute} = {bad:?}"
            );

            let diagnostics =
                validate_action(&mut provider, "mrs_job_kill", &object(&aty, &pairs)).await;
            assert_eq!(
                errors(&diagnostics).len(),
                1,
                "action {attribute} = {bad:?}"
            );

            let diagnostics = validate_job_execution(&mut provider, &pairs).await;
            assert_eq!(
                errors(&diagnostics).len(),
                1,
                "data source {attribute} = {bad:?}"
            );
        }
        // Unknown and null (where optional) are not errors at validate time.
        for value in [Value::Unknown, Value::Null] {
            let pairs = with_attribute(&good, attribute, value.clone());
            let diagnostics = validate_job_kill(&mut provider, &pairs).await;
            assert!(
                errors(&diagnostics).is_empty(),
                "{attribute} = {value:?}: {diagnostics:?}"
            );
        }
    }
    // A bad duration is reported inside its block.
    let timeouts = Value::Object([("create".to_string(), s("5 minutes"))].into());
    let pairs = [good[0].clone(), good[1].clone(), ("timeouts", timeouts)];
    let diagnostics = validate_job_kill(&mut provider, &pairs).await;
    let errs = errors(&diagnostics);
    assert_eq!(errs.len(), 1, "{diagnostics:?}");
    assert_eq!(
        attribute_names(&errs[0].attribute),
        vec!["timeouts".to_string(), "create".to_string()]
    );
    plugin.shutdown_and_wait().await;
}

#[tokio::test]
async fn provider_settings_are_validated_on_their_attribute() {
    let plugin = PluginProcess::launch().await;
    let cases: Vec<(&str, Value)> = vec![
        ("region", s("CN North 4")),
        ("endpoint", s("not a url")),
        ("iam_endpoint", s("ftp://x")),
        ("cloud", s("evil.com/path")),
        ("request_timeout", s("ten seconds")),
        ("max_retries", Value::Number(tfvalue::Number::from_i64(-1))),
        (
            "max_retries",
            Value::Number(tfvalue::Number::from_i64(1000)),
        ),
        ("project_id", s("../p")),
    ];
    for (attribute, value) in cases {
        let diagnostics =
            validate_provider(&mut plugin.provider(), &[(attribute, value.clone())]).await;
        let errs = errors(&diagnostics);
        assert_eq!(errs.len(), 1, "{attribute} = {value:?}: {diagnostics:?}");
        assert_eq!(
            attribute_names(&errs[0].attribute),
            vec![attribute.to_string()]
        );
    }
    plugin.shutdown_and_wait().await;
}

fn replace_paths(resp: &pb::plan_resource_change::Response) -> Vec<Vec<String>> {
    resp.requires_replace
        .iter()
        .map(|p| attribute_names(&Some(p.clone())))
        .collect()
}

#[tokio::test]
async fn changing_ids_or_triggers_requires_replacement_and_wait_does_not() {
    let plugin = PluginProcess::launch().await;
    let ty = resource_type();
    let base = [
        ("cluster_id", s("c")),
        ("job_execution_id", s("j")),
        (
            "triggers",
            Value::Map([("round".to_string(), s("1"))].into()),
        ),
        ("wait_for_termination", Value::Bool(false)),
    ];
    let computed = [
        ("project_id", s("p")),
        ("region", s("cn-north-4")),
        ("request_id", s("r")),
        ("killed_at", s("2026-11-28T00:00:00Z")),
    ];
    let prior = object(&ty, &[&base[..], &computed[..]].concat());
    let cases: Vec<(&str, Value, Vec<Vec<String>>)> = vec![
        ("cluster_id", s("c2"), vec![vec!["cluster_id".to_string()]]),
        (
            "job_execution_id",
            s("j2"),
            vec![vec!["job_execution_id".to_string()]],
        ),
        (
            "triggers",
            Value::Map([("round".to_string(), s("2"))].into()),
            vec![vec!["triggers".to_string()]],
        ),
        ("wait_for_termination", Value::Bool(true), vec![]),
        (
            "cluster_id",
            Value::Unknown,
            vec![vec!["cluster_id".to_string()]],
        ),
    ];
    for (attribute, value, expected) in cases {
        let config_pairs = with_attribute(&base, attribute, value.clone());
        let config = object(&ty, &config_pairs);
        let mut proposed_pairs = config_pairs.clone();
        proposed_pairs.extend(computed.iter().cloned());
        let proposed = object(&ty, &proposed_pairs);
        let resp = plugin
            .provider()
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: "mrs_job_kill".into(),
                prior_state: dynamic(&prior, &ty),
                proposed_new_state: dynamic(&proposed, &ty),
                config: dynamic(&config, &ty),
                ..Default::default()
            })
            .await
            .expect("plan")
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(replace_paths(&resp), expected, "changing {attribute}");
        let planned = tfvalue::decode_msgpack(&resp.planned_state.expect("planned").msgpack, &ty)
            .expect("decode");
        if expected.is_empty() {
            assert_eq!(
                planned.attr("request_id"),
                Some(&s("r")),
                "an in-place update keeps the record"
            );
        }
    }
    plugin.shutdown_and_wait().await;
}

/// `UpgradeResourceState` of an `mrs_job_kill` stored at schema `version` as `raw_state`.
async fn upgrade_job_kill(
    plugin: &PluginProcess,
    version: i64,
    raw_state: pb::RawState,
) -> pb::upgrade_resource_state::Response {
    plugin
        .provider()
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "mrs_job_kill".into(),
            version,
            raw_state: Some(raw_state),
        })
        .await
        .expect("upgrade")
        .into_inner()
}

/// A state stored as JSON, as Terraform 0.12 and later write it.
fn json_state(json: &[u8]) -> pb::RawState {
    pb::RawState {
        json: json.to_vec(),
        flatmap: Default::default(),
    }
}

#[tokio::test]
async fn stored_state_upgrades_from_json_and_flatmap() {
    let plugin = PluginProcess::launch().await;
    let ty = resource_type();
    let json = br#"{"id":"p/c/j","cluster_id":"c","job_execution_id":"j","project_id":"p","region":"r","triggers":{"a":"1"},"wait_for_termination":false,"request_id":"x","killed_at":"2026-11-28T00:00:00Z","final_job_state":null,"timeouts":null,"removed_attribute":"dropped"}"#;
    let resp = upgrade_job_kill(&plugin, 0, json_state(json)).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state =
        tfvalue::decode_msgpack(&resp.upgraded_state.expect("state").msgpack, &ty).expect("decode");
    assert_eq!(
        state.get_path(&tfvalue::AttributePath::attr("triggers").push_key("a")),
        Some(&s("1"))
    );

    let flatmap = [
        ("id", "p/c/j"),
        ("cluster_id", "c"),
        ("job_execution_id", "j"),
        ("triggers.%", "1"),
        ("triggers.a", "1"),
        ("wait_for_termination", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let resp = upgrade_job_kill(
        &plugin,
        0,
        pb::RawState {
            json: Vec::new(),
            flatmap,
        },
    )
    .await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state =
        tfvalue::decode_msgpack(&resp.upgraded_state.expect("state").msgpack, &ty).expect("decode");
    assert_eq!(state.attr("wait_for_termination"), Some(&Value::Bool(true)));

    let resp = upgrade_job_kill(&plugin, 7, json_state(json)).await;
    assert_eq!(
        errors(&resp.diagnostics).len(),
        1,
        "a state from a newer provider is refused"
    );
    plugin.shutdown_and_wait().await;
}

#[tokio::test]
async fn rpcs_we_do_not_offer_answer_with_diagnostics_not_errors() {
    let plugin = PluginProcess::launch().await;
    let mut p = plugin.provider();
    let resp = p
        .call_function(pb::call_function::Request {
            name: "nope".into(),
            arguments: vec![],
        })
        .await
        .expect("call")
        .into_inner();
    assert!(resp.error.is_some_and(|e| e.text.contains("nope")));
    let resp = p
        .open_ephemeral_resource(pb::open_ephemeral_resource::Request {
            type_name: "mrs_x".into(),
            ..Default::default()
        })
        .await
        .expect("open")
        .into_inner();
    assert_eq!(errors(&resp.diagnostics).len(), 1);
    let resp = p
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "mrs_nope".into(),
            ..Default::default()
        })
        .await
        .expect("validate")
        .into_inner();
    assert!(resp.diagnostics[0].detail.contains("mrs_nope"));
    let resp = p
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "mrs_job_kill".into(),
            id: "p/c/j".into(),
            ..Default::default()
        })
        .await
        .expect("import")
        .into_inner();
    assert!(resp.imported_resources.is_empty());
    assert!(
        errors(&resp.diagnostics)[0]
            .summary
            .contains("cannot be imported")
    );
    let mut events = p
        .list_resource(pb::list_resource::Request {
            type_name: "mrs_x".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    let event = events.message().await.expect("stream").expect("one event");
    assert_eq!(errors(&event.diagnostic).len(), 1);
    let resp = p
        .get_functions(pb::get_functions::Request {})
        .await
        .expect("functions")
        .into_inner();
    assert!(resp.functions.is_empty());
    let resp = p
        .lock_state(pb::lock_state::Request {
            type_name: "mrs_x".into(),
            ..Default::default()
        })
        .await
        .expect("lock")
        .into_inner();
    assert_eq!(errors(&resp.diagnostics).len(), 1);
    plugin.shutdown_and_wait().await;
}

async fn start_emulator(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(config).await.expect("start the emulator")
}

/// An emulator whose kills take an hour to take effect: only a stop or a dropped stream ends a
/// wait on one of its jobs.
fn undying() -> EmulatorConfig {
    EmulatorConfig {
        kill_delay: std::time::Duration::from_secs(3600),
        ..Default::default()
    }
}

/// An emulator started with `config`, one job in `state` on [`CLUSTER`], and the provider
/// launched and configured for that emulator.
async fn provider_with_one_job(
    config: EmulatorConfig,
    state: JobState,
) -> (EmulatorHandle, String, PluginProcess) {
    let emulator = start_emulator(config).await;
    let job = emulator.add_job(CLUSTER, None, Some(state));
    let plugin = PluginProcess::launch().await;
    configure_for_emulator(&mut plugin.provider(), &emulator).await;
    (emulator, job, plugin)
}

/// The `mrs_job_kill` action's configuration for `job`, waiting for its end when `wait`.
fn kill_action(job: &str, wait: bool) -> Value {
    object(
        &action_type(),
        &[
            ("cluster_id", s(CLUSTER)),
            ("job_execution_id", s(job)),
            ("wait_for_termination", Value::Bool(wait)),
        ],
    )
}

/// Plans `mrs_job_kill` for `job` (no diagnostic allowed), then invokes it to its end.
async fn invoke(
    plugin: &PluginProcess,
    job: &str,
    wait: bool,
) -> (Vec<String>, Vec<pb::Diagnostic>) {
    let ty = action_type();
    let config = kill_action(job, wait);
    let plan = plugin
        .provider()
        .plan_action(pb::plan_action::Request {
            action_type: "mrs_job_kill".into(),
            config: dynamic(&config, &ty),
            client_capabilities: None,
        })
        .await
        .expect("plan action")
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    invoke_to_completion(&mut plugin.provider(), "mrs_job_kill", &config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_kills_and_streams_progress_until_killed() {
    let (emulator, job, plugin) = provider_with_one_job(
        EmulatorConfig {
            kill_delay: std::time::Duration::from_millis(300),
            ..Default::default()
        },
        JobState::Running,
    )
    .await;
    let (progress, diagnostics) = invoke(&plugin, &job, true).await;
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    assert!(
        progress
            .iter()
            .any(|m| m.contains("accepted") && m.contains("request id")),
        "{progress:?}"
    );
    assert!(
        progress.iter().any(|m| m.contains("KILLED")),
        "{progress:?}"
    );
    assert_eq!(emulator.job(CLUSTER, &job).expect("job").kill_requests, 1);
    plugin.shutdown_and_wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_on_an_ended_job_completes_with_a_warning_naming_its_state() {
    let (emulator, job, plugin) =
        provider_with_one_job(EmulatorConfig::default(), JobState::Finished).await;
    let (progress, diagnostics) = invoke(&plugin, &job, false).await;
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    assert!(
        diagnostics
            .iter()
            .any(|d| d.summary.contains("already ended") && d.detail.contains("FINISHED")),
        "{diagnostics:?}"
    );
    assert!(
        progress.iter().any(|m| m.contains("ended as FINISHED")),
        "{progress:?}"
    );
    assert_eq!(emulator.stats().requests.kill, 1, "no second kill");
    plugin.shutdown_and_wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_provider_ends_the_wait_and_returns_the_accepted_kill_with_an_error() {
    // The job would take an hour to die: only StopProvider can end this apply.
    let (emulator, job, plugin) = provider_with_one_job(undying(), JobState::Running).await;
    let ty = resource_type();
    let config = object(
        &ty,
        &[
            ("cluster_id", s(CLUSTER)),
            ("job_execution_id", s(&job)),
            ("wait_for_termination", Value::Bool(true)),
        ],
    );
    let planned = object(
        &ty,
        &[
            ("cluster_id", s(CLUSTER)),
            ("job_execution_id", s(&job)),
            ("wait_for_termination", Value::Bool(true)),
            ("project_id", Value::Unknown),
            ("region", Value::Unknown),
            ("request_id", Value::Unknown),
            ("killed_at", Value::Unknown),
            ("final_job_state", Value::Unknown),
        ],
    );
    let mut client = plugin.provider();
    let apply = tokio::spawn({
        let (config, planned, ty) = (config.clone(), planned.clone(), ty.clone());
        async move {
            client
                .apply_resource_change(pb::apply_resource_change::Request {
                    type_name: "mrs_job_kill".into(),
                    prior_state: dynamic(&Value::Null, &ty),
                    planned_state: dynamic(&planned, &ty),
                    config: dynamic(&config, &ty),
                    ..Default::default()
                })
                .await
                .expect("apply")
                .into_inner()
        }
    });
    // Stop once MRS has accepted the kill.
    until_async("MRS saw the kill", || {
        emulator.job(CLUSTER, &job).expect("job").kill_requests > 0
    })
    .await;
    plugin
        .provider()
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("stop");
    let resp = apply.await.expect("apply task");
    // An error together with the state: Terraform saves the kill, tainted.
    assert!(
        errors(&resp.diagnostics)
            .iter()
            .any(|d| d.summary.contains("Stopped waiting") && d.detail.contains("tainted")),
        "{:?}",
        resp.diagnostics
    );
    let state =
        tfvalue::decode_msgpack(&resp.new_state.expect("state").msgpack, &ty).expect("decode");
    assert!(
        state.attr("request_id").and_then(Value::as_str).is_some(),
        "the accepted kill is recorded: {state:?}"
    );
    assert_eq!(state.attr("final_job_state"), Some(&Value::Null));
    plugin.shutdown_and_wait().await;
}

/// The `mrs_job_kill` action's configuration for `job`, waiting for the job to end.
fn waiting_action(job: &str) -> Value {
    kill_action(job, true)
}

/// Reads progress events until the action reports the job `RUNNING` (it is now watching it);
/// any other event fails the test with `ended`.
async fn until_watching(stream: &mut tonic::Streaming<pb::invoke_action::Event>, ended: &str) {
    use pb::invoke_action::event::Type as EventType;
    loop {
        let event = stream.message().await.expect("event").expect("an event");
        match event.r#type {
            Some(EventType::Progress(p)) if p.message.contains("RUNNING") => break,
            Some(EventType::Progress(_)) => {}
            other => panic!("{ended}: {other:?}"),
        }
    }
}

/// A provider whose `mrs_job_kill` action, invoked with `wait_for_termination`, is watching a
/// running job that the emulator takes an hour to kill; `ended` fails the test if the action
/// ends before that. Returns the emulator, the job, the provider and the open event stream.
async fn watching_an_undying_job(
    ended: &str,
) -> (
    EmulatorHandle,
    String,
    PluginProcess,
    tonic::Streaming<pb::invoke_action::Event>,
) {
    let (emulator, job, plugin) = provider_with_one_job(undying(), JobState::Running).await;
    let mut stream = invoke_stream(
        &mut plugin.provider(),
        "mrs_job_kill",
        &waiting_action(&job),
    )
    .await;
    until_watching(&mut stream, ended).await;
    (emulator, job, plugin, stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_stop_provider_an_invoked_action_sends_only_one_completed_event() {
    use pb::invoke_action::event::Type as EventType;
    // The job would take an hour to die: the action waits until StopProvider.
    let (emulator, job, plugin, mut stream) =
        watching_an_undying_job("the action ended before the stop").await;
    plugin
        .provider()
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("stop");
    let mut after_stop = Vec::new();
    while let Some(event) = stream.message().await.expect("event") {
        after_stop.push(event.r#type.expect("a typed event"));
    }
    assert_eq!(after_stop.len(), 1, "{after_stop:?}");
    assert!(
        matches!(after_stop[0], EventType::Completed(_)),
        "a progress event after StopProvider: {after_stop:?}"
    );
    assert_eq!(emulator.job(CLUSTER, &job).expect("job").kill_requests, 1);
    plugin.shutdown_and_wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_rejects_an_invalid_id_as_validate_does_and_sends_no_kill() {
    use pb::invoke_action::event::Type as EventType;
    let emulator = start_emulator(EmulatorConfig::default()).await;
    let plugin = PluginProcess::launch().await;
    configure_for_emulator(&mut plugin.provider(), &emulator).await;
    // As if the ID had been unknown at validate and plan time: only InvokeAction sees it.
    let config = waiting_action("job.1");
    let validated = validate_action(&mut plugin.provider(), "mrs_job_kill", &config).await;
    assert_eq!(errors(&validated).len(), 1, "{validated:?}");
    assert!(
        validated[0].attribute.is_some(),
        "on the attribute: {validated:?}"
    );
    let mut stream = invoke_stream(&mut plugin.provider(), "mrs_job_kill", &config).await;
    let event = stream.message().await.expect("event").expect("an event");
    let Some(EventType::Completed(done)) = event.r#type else {
        panic!("expected only a completed event, got {event:?}");
    };
    assert_eq!(
        done.diagnostics, validated,
        "the same diagnostic as at validate"
    );
    assert!(stream.message().await.expect("end").is_none());
    let requests = emulator.stats().requests;
    assert_eq!(
        (requests.kill, requests.show_job, requests.other),
        (0, 0, 0),
        "nothing reached MRS"
    );
    plugin.shutdown_and_wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_invoke_stream_stops_the_action_from_polling() {
    // Two providers, each with an emulator of its own, start watching an undying job together,
    // so their looks fall due together (1 s, then 3 s after the first). Terraform goes away from
    // one invocation; the other, kept, is the clock: once it has looked twice more, the dropped
    // one would have looked at least once, had it kept polling.
    let ((dropped_emulator, _, dropped_plugin, dropped), (kept_emulator, _, kept_plugin, kept)) = tokio::join!(
        watching_an_undying_job("the dropped action ended early"),
        watching_an_undying_job("the kept action ended early"),
    );
    drop(dropped);
    // Its first look is answered (that is what ended `until_watching`); the next is 1 s away.
    let dropped_requests = dropped_emulator.stats().requests.total();
    let kept_requests = kept_emulator.stats().requests.total();
    until_async("the kept action looked at its job twice more", || {
        kept_emulator.stats().requests.total() >= kept_requests + 2
    })
    .await;
    assert_eq!(
        dropped_emulator.stats().requests.total(),
        dropped_requests,
        "the action kept polling after its stream was dropped"
    );
    dropped_plugin
        .provider()
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("still serving");
    drop(kept);
    dropped_plugin.shutdown_and_wait().await;
    kept_plugin.shutdown_and_wait().await;
}
