//! End to end: real Terraform (the one on PATH, and 1.0.3) and OpenTofu (1.6 and 1.12) drive the
//! provider binary through `dev_overrides` against the in-process MRS emulator.

pub mod common;

use common::debug_provider::DebugProvider;
use common::emulator::{ACCESS_KEY, REGION, RunningEmulator, SECRET_KEY};
use common::scenario::{
    CLUSTER, HEADER, emulator_env, for_each_config, kill_config, provider_block, running_jobs,
    waiting_kill, workspace,
};
use common::terraform::{Workspace, clients_at_least, terraforms};
use mrs_emulator::{EmulatorConfig, FaultPlan, FaultStep, JobState, Route};

fn kill_resources_in_state(ws: &Workspace) -> usize {
    let Some(state) = ws.state_json() else {
        return 0;
    };
    state["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| r["type"] == "mrs_job_kill")
                .map(|r| r["instances"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn apply_kills_each_job_once_then_plan_is_empty_and_destroy_sends_nothing() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let jobs = running_jobs(&emulator, 3);
        let ws = workspace(tf, &emulator, &for_each_config(&jobs));

        let run = ws.apply(&[]);
        assert!(run.success, "{tf}: {}", run.all());
        for job in &jobs {
            let snapshot = emulator.job(CLUSTER, job).expect("job exists");
            assert_eq!(snapshot.kill_requests, 1, "{tf}: job {job} killed once");
        }
        let stats = emulator.stats();
        assert_eq!(
            stats.rejected_signatures, 0,
            "every request was signed correctly"
        );
        assert_eq!(kill_resources_in_state(&ws), 3);
        let state = ws.state_json().expect("state");
        let attrs = &state["resources"][0]["instances"][0]["attributes"];
        assert!(
            attrs["request_id"].as_str().is_some_and(|r| !r.is_empty()),
            "{attrs}"
        );
        assert!(
            attrs["killed_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{attrs}"
        );
        assert_eq!(attrs["project_id"], emulator.project_id());

        assert_eq!(
            ws.plan_has_changes().map_err(|r| r.all()),
            Ok(false),
            "{tf}: second plan is empty"
        );

        let requests_before = emulator.stats().requests.total();
        let run = ws.destroy();
        assert!(run.success, "{}", run.all());
        assert!(
            run.all()
                .contains("Only the record of the kill was removed"),
            "{}",
            run.all()
        );
        assert_eq!(
            emulator.stats().requests.total(),
            requests_before,
            "destroy sends nothing to MRS"
        );
        assert_eq!(kill_resources_in_state(&ws), 0);
    }
}

#[test]
fn throttled_and_unavailable_kill_is_retried_until_accepted() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut faults = FaultPlan::default();
        faults.per_route.insert(
            Route::Kill,
            [
                FaultStep::Status {
                    status: 503,
                    retry_after: None,
                    body: None,
                },
                FaultStep::Status {
                    status: 429,
                    retry_after: Some("0".into()),
                    body: None,
                },
            ]
            .into(),
        );
        emulator.set_faults(faults);
        let ws = workspace(tf, &emulator, &kill_config("retry", &job, ""));
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert_eq!(
            emulator.stats().requests.get(Route::Kill),
            3,
            "503, 429, then 202"
        );
        assert_eq!(emulator.job(CLUSTER, &job).expect("job").kill_requests, 1);
    }
}

#[test]
fn invalid_ids_fail_at_plan_on_the_attribute_with_no_request() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        for bad in [
            "../etc",
            "a/b",
            "job?x=1",
            "with space",
            "#frag",
            "%2e%2e",
            "",
        ] {
            let ws = workspace(tf, &emulator, &kill_config("bad", bad, ""));
            let run = ws.plan();
            assert!(!run.success, "{bad:?} must be refused");
            assert!(
                run.all().contains("job_execution_id"),
                "error names the attribute for {bad:?}: {}",
                run.all()
            );
        }
        assert_eq!(
            emulator.stats().requests.total(),
            0,
            "no request reached MRS"
        );
    }
}

#[test]
fn provider_block_configuration_and_iam_project_lookup() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let url = emulator.url();
        let provider = format!(
            r#"  region       = "{REGION}"
  access_key   = "{ACCESS_KEY}"
  secret_key   = "{SECRET_KEY}"
  endpoint     = "{url}"
  iam_endpoint = "{url}/"
  max_retries  = 2
  request_timeout = "10s""#
        );
        let hcl = format!(
            "{}{}",
            provider_block(&provider),
            kill_config("lookup", &job, "")
        );
        let ws = Workspace::new(tf, &hcl);
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert!(
            emulator.stats().requests.get(Route::IamProjects) >= 1,
            "project id came from IAM"
        );
        let state = ws.state_json().expect("state");
        let attrs = &state["resources"][0]["instances"][0]["attributes"];
        assert_eq!(attrs["project_id"], emulator.project_id());
        let state_text = serde_json::to_string(&state).expect("json");
        assert!(!state_text.contains(SECRET_KEY), "no secret in state");
    }
}

#[test]
fn temporary_credentials_send_a_signed_security_token() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start(EmulatorConfig {
            security_tokens: Some(vec!["temporary-token-1".into()]),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = workspace(tf, &emulator, &kill_config("sts", &job, ""));
        ws.env("HW_SECURITY_TOKEN", "temporary-token-1");
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert_eq!(emulator.job(CLUSTER, &job).expect("job").kill_requests, 1);

        let other = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = workspace(tf, &emulator, &kill_config("sts", &other, ""));
        ws.env("HW_SECURITY_TOKEN", "expired-token");
        let run = ws.apply(&[]);
        assert!(!run.success, "a wrong token is rejected");
        assert!(run.all().contains("401"), "{}", run.all());
        assert_eq!(kill_resources_in_state(&ws), 0);
    }
}

#[test]
fn iam_token_authentication() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start(EmulatorConfig {
            auth_tokens: vec!["iam-token-value".into()],
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = Workspace::new(tf, &format!("{HEADER}{}", kill_config("token", &job, "")));
        ws.env("HW_REGION_NAME", REGION)
            .env("HW_AUTH_TOKEN", "iam-token-value")
            .env("HW_PROJECT_ID", emulator.project_id())
            .env("HW_MRS_ENDPOINT", &emulator.url());
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert_eq!(emulator.job(CLUSTER, &job).expect("job").kill_requests, 1);
    }
}

#[test]
fn wait_for_termination_records_killed() {
    for tf in terraforms() {
        let (emulator, _, ws) = waiting_kill(tf, std::time::Duration::from_millis(1500));
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        let state = ws.state_json().expect("state");
        assert_eq!(
            state["resources"][0]["instances"][0]["attributes"]["final_job_state"],
            "KILLED"
        );
        // KILLED is only seen by looking after the kill (the emulator answers RUNNING for 1.5 s):
        // a show, or the poller's listing once the plan-time check taught it the submission time.
        let stats = emulator.stats();
        assert!(
            stats.requests.get(Route::ShowJob) + stats.requests.get(Route::ListJobs) >= 2,
            "polled the job: {:?}",
            stats.requests
        );
        assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));
    }
}

#[test]
fn fifty_kills_at_parallelism_twenty() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let jobs = running_jobs(&emulator, 50);
        let ws = workspace(tf, &emulator, &for_each_config(&jobs));
        let run = ws.apply(&["-parallelism=20"]);
        assert!(run.success, "{}", run.all());
        for job in &jobs {
            assert_eq!(
                emulator.job(CLUSTER, job).expect("job").kill_requests,
                1,
                "job {job}"
            );
        }
        assert_eq!(kill_resources_in_state(&ws), 50);
    }
}

#[test]
fn changing_triggers_sends_the_kill_again() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let ws = workspace(
            tf,
            &emulator,
            &kill_config("t", &job, "  triggers = { round = \"1\" }\n"),
        );
        assert!(ws.apply(&[]).success);
        ws.write_config(&format!(
            "{HEADER}{}",
            kill_config("t", &job, "  triggers = { round = \"2\" }\n")
        ));
        // The job is KILLED by now (the emulator's kill delay is 300 ms), so MRS refuses the
        // second kill with 0175, as it would, and the provider finds the job ended.
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert!(run.all().contains("already killed"), "{}", run.all());
        let stats = emulator.stats();
        assert_eq!(
            stats.requests.kill, 2,
            "the replacement sent the kill again"
        );
        assert_eq!(stats.kills_accepted_for(&job), 1);
        assert_eq!(stats.kills_refused.get(&job), Some(&1));
    }
}

/// The real go-plugin client: Go TLS with a P-521 client certificate, grpc-go over the unix socket.
#[test]
fn provider_schema_is_shown_by_terraform() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let ws = workspace(tf, &emulator, "");
        let run = ws.run(&["providers", "schema", "-json"]);
        assert!(run.success, "{}", run.all());
        let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("schema json");
        // Keyed on the address the client resolved `huaweicloud/mrs` to.
        let provider = &schema["provider_schemas"][tf.provider_address()];
        assert!(
            provider["resource_schemas"]["mrs_job_kill"]["block"]["attributes"]["cluster_id"]["required"]
                == true,
            "{provider}"
        );
        assert!(provider["provider"]["block"]["attributes"]["secret_key"]["sensitive"] == true);
        assert!(provider["data_source_schemas"]["mrs_job_execution"].is_object());
    }
}

#[test]
fn data_source_reads_the_job() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let body = format!(
            "data \"mrs_job_execution\" \"j\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = \"{job}\"\n}}\noutput \"state\" {{ value = data.mrs_job_execution.j.job_state }}\n"
        );
        let ws = workspace(tf, &emulator, &body);
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert!(run.stdout.contains("state = \"RUNNING\""), "{}", run.stdout);

        let missing = format!(
            "data \"mrs_job_execution\" \"j\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = \"no-such-job\"\n}}\n"
        );
        ws.write_config(&format!("{HEADER}{missing}"));
        let run = ws.apply(&[]);
        assert!(!run.success);
        assert!(
            run.all().contains("no-such-job") && run.all().contains(CLUSTER),
            "{}",
            run.all()
        );
    }
}

/// `terraform test` / `tofu test` (Terraform 1.6+, every OpenTofu) runs tests/terraform/*.tftest.hcl.
#[test]
fn terraform_test_files_pass_against_the_emulator() {
    for tf in clients_at_least((1, 6)) {
        let emulator = RunningEmulator::start(EmulatorConfig {
            kill_delay: std::time::Duration::from_millis(500),
            ..EmulatorConfig::default()
        });
        for job in [
            "aaaaaaaa-0000-4000-8000-000000000001",
            "aaaaaaaa-0000-4000-8000-000000000002",
        ] {
            emulator.add_job(CLUSTER, Some(job), Some(JobState::Running));
        }
        let ws = workspace(tf, &emulator, "");
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/terraform");
        for entry in std::fs::read_dir(&source).expect("tests/terraform") {
            let path = entry.expect("entry").path();
            std::fs::copy(&path, ws.path().join(path.file_name().expect("name"))).expect("copy");
        }
        let run = ws.run(&["test", "-no-color"]);
        assert!(run.success, "{}", run.all());
        assert!(
            run.stdout.contains("3 passed, 0 failed"),
            "{tf}: {}",
            run.stdout
        );
    }
}

/// The action example, for a job on [`CLUSTER`].
fn action_example(job: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/actions/mrs_job_kill/action.tf");
    let example = std::fs::read_to_string(path).expect("the action example");
    assert!(example.contains("8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e"));
    example.replace("8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e", job)
}

/// Clients without actions (OpenTofu, Terraform 1.13 and older) refuse an `action` block, as
/// the docs say; the day one of them takes it, this fails and the docs need a new sentence. A
/// client with actions (Terraform 1.14+) invokes the documented example and kills the job.
#[test]
fn action_blocks_are_refused_without_actions_and_kill_with_them() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let ws = workspace(tf, &emulator, &action_example(&job));
        if tf.has_actions() {
            let run = ws.apply(&["-invoke=action.mrs_job_kill.stop_etl"]);
            assert!(run.success, "{}", run.all());
            assert_eq!(
                emulator.stats().kills_accepted_for(&job),
                1,
                "{}",
                run.all()
            );
        } else {
            let run = ws.run(&["validate", "-no-color"]);
            assert!(!run.success, "{tf} took an action block: {}", run.all());
            assert!(
                run.all().contains("Unsupported block type"),
                "{}",
                run.all()
            );
            assert_eq!(emulator.stats().requests.total(), 0, "{tf}");
        }
    }
}

/// `terraform-provider-mrs --debug` prints one `TF_REATTACH_PROVIDERS` value, and every client
/// takes it: `init` and `plan` run against that process, with no `dev_overrides` and no way to
/// install a provider (an empty filesystem mirror is the only source).
#[test]
fn every_client_attaches_to_the_provider_started_with_debug() {
    let emulator = RunningEmulator::start_default();
    let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    // Only the debug process has the emulator's settings: a provider the client started itself
    // would have no credentials.
    let debug = DebugProvider::start(&emulator_env(&emulator));
    let body = format!(
        "data \"mrs_job_execution\" \"j\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = \"{job}\"\n}}\noutput \"state\" {{ value = data.mrs_job_execution.j.job_state }}\n"
    );
    for tf in terraforms() {
        let mut ws = Workspace::new(tf, &format!("{HEADER}{body}"));
        let mirror = ws.path().join("empty-mirror");
        std::fs::create_dir(&mirror).expect("mirror dir");
        let cli_config = ws.path().join("reattach.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
                mirror.display()
            ),
        )
        .expect("write CLI config");
        ws.env("TF_CLI_CONFIG_FILE", &cli_config.display().to_string())
            .env("TF_REATTACH_PROVIDERS", debug.reattach());
        let reads_before = emulator.stats().requests.get(Route::ShowJob);

        let run = ws.run(&["init", "-input=false", "-no-color"]);
        assert!(run.success, "{}", run.all());
        let run = ws.plan();
        assert!(run.success, "{}", run.all());
        assert!(run.stdout.contains("\"RUNNING\""), "{}", run.all());
        assert!(
            emulator.stats().requests.get(Route::ShowJob) > reads_before,
            "{tf} read the job through the debug provider (pid {})",
            debug.pid()
        );
    }
}
