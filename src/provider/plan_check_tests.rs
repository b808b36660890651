//! The plan-time look at jobs against the emulator: what it reports, on which attribute, and
//! what it costs. Each test uses clusters of its own: the shared listings are per cluster.

use mrs_emulator::{
    Emulator, EmulatorConfig, EmulatorHandle, FaultPlan, FaultStep, JobState as Emulated, Route,
};

use super::*;
use crate::framework::Severity;
use crate::mrs::{ClientConfig, Credentials};

fn client(emulator: &EmulatorHandle, secret_key: &str) -> MrsClient {
    let mut config = ClientConfig::new(
        emulator.region(),
        Credentials::AkSk {
            access_key: mrs_emulator::DEFAULT_ACCESS_KEY.into(),
            secret_key: secret_key.into(),
            security_token: None,
        },
    );
    config.endpoint = Some(emulator.url());
    config.iam_endpoint = Some(emulator.url());
    config.project_id = Some(emulator.project_id().to_owned());
    config.max_retries = 1;
    MrsClient::new(config).expect("client")
}

async fn emulator() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator")
}

/// What one check of `job` on `cluster` reported.
async fn diagnostics(
    client: &MrsClient,
    emulator: &EmulatorHandle,
    cluster: &str,
    job: &str,
) -> Diagnostics {
    let deadline = Instant::now() + Duration::from_secs(20);
    let looks = look(
        client,
        emulator.project_id(),
        cluster,
        &[job.to_owned()],
        deadline,
    )
    .await;
    let mut diags = Diagnostics::new();
    report(looks, cluster, "job_execution_id", &mut diags);
    diags
}

/// Severity, summary and attribute of what one check of `job` on `cluster` reported.
async fn check(
    client: &MrsClient,
    emulator: &EmulatorHandle,
    cluster: &str,
    job: &str,
) -> Vec<(Severity, String, Option<AttributePath>)> {
    diagnostics(client, emulator, cluster, job)
        .await
        .iter()
        .map(|d| (d.severity, d.summary.clone(), d.attribute.clone()))
        .collect()
}

fn on(name: &str) -> Option<AttributePath> {
    Some(AttributePath::attr(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_checks_of_running_jobs_on_one_cluster_cost_one_listing_and_no_kill() {
    const CLUSTER: &str = "pc000000-0000-4000-8000-000000000001";
    let emu = emulator().await;
    let jobs: Vec<String> = (0..20)
        .map(|_| emu.add_job(CLUSTER, None, Some(Emulated::Running)))
        .collect();
    let client = client(&emu, mrs_emulator::DEFAULT_SECRET_KEY);
    let checks = jobs.iter().map(|job| check(&client, &emu, CLUSTER, job));
    let found = futures::future::join_all(checks).await;
    assert!(found.iter().all(Vec::is_empty), "{found:?}");
    let stats = emu.stats();
    assert_eq!(stats.requests.list_jobs, 1, "{:?}", stats.requests);
    assert_eq!(stats.requests.show_job, 0);
    assert_eq!(stats.requests.kill, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_job_is_a_warning_and_a_missing_one_an_error_on_the_job_attribute() {
    const CLUSTER: &str = "pc000000-0000-4000-8000-000000000002";
    let emu = emulator().await;
    emu.add_job(CLUSTER, None, Some(Emulated::Running));
    let ended = emu.add_job(CLUSTER, None, Some(Emulated::Killed));
    let client = client(&emu, mrs_emulator::DEFAULT_SECRET_KEY);

    let found = check(&client, &emu, CLUSTER, &ended).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Severity::Warning);
    assert!(
        found[0].1.contains("already ended (KILLED)"),
        "{}",
        found[0].1
    );
    assert_eq!(found[0].2, on("job_execution_id"));

    let found = check(&client, &emu, CLUSTER, "no-such-job").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Severity::Error);
    assert_eq!(found[0].2, on("job_execution_id"));

    let found = check(&client, &emu, "pc-no-such-cluster", "j").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Severity::Error);
    assert!(found[0].1.contains("12000003"), "{}", found[0].1);
    assert_eq!(found[0].2, on("cluster_id"));
    assert_eq!(emu.stats().requests.kill, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_fail_the_plan_and_server_trouble_only_warns() {
    let emu = emulator().await;
    const REFUSED: &str = "pc000000-0000-4000-8000-000000000003";
    let job = emu.add_job(REFUSED, None, Some(Emulated::Running));
    let found = check(&client(&emu, "wrong secret"), &emu, REFUSED, &job).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Severity::Error);
    assert_eq!(found[0].2, None);

    const TROUBLED: &str = "pc000000-0000-4000-8000-000000000004";
    let job = emu.add_job(TROUBLED, None, Some(Emulated::Running));
    emu.set_faults(FaultPlan::none().on(
        Route::ListJobs,
        [FaultPlan::status(503), FaultPlan::status(503)],
    ));
    let found = check(
        &client(&emu, mrs_emulator::DEFAULT_SECRET_KEY),
        &emu,
        TROUBLED,
        &job,
    )
    .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Severity::Warning);
    assert!(
        found[0].1.starts_with("Could not check cluster"),
        "{}",
        found[0].1
    );
    assert_eq!(emu.stats().requests.kill, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_larger_than_the_provider_reads_fails_the_plan_saying_so() {
    let emu = emulator().await;
    const CROWDED: &str = "pc000000-0000-4000-8000-000000000005";
    let job = emu.add_job(CROWDED, None, Some(Emulated::Running));
    // One answer past the client's 8 MiB bound: the apply would read the same and fail.
    emu.set_faults(FaultPlan::none().on(
        Route::ListJobs,
        [FaultStep::HugeBody {
            status: 200,
            bytes: 9 * 1024 * 1024,
        }],
    ));
    let client = client(&emu, mrs_emulator::DEFAULT_SECRET_KEY);
    let diags = diagnostics(&client, &emu, CROWDED, &job).await;
    let found: Vec<_> = diags.iter().collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].severity, Severity::Error, "{found:?}");
    let shown = format!("{} {}", found[0].summary, found[0].detail);
    assert!(shown.contains("more than the provider reads"), "{shown}");
    assert!(shown.contains("larger than 8388608 bytes"), "{shown}");
    assert_eq!(emu.stats().requests.kill, 0);
}

#[test]
fn what_fails_the_apply_is_told_from_what_may_pass() {
    let answered = |status: u16, code: &str| {
        let body = format!(r#"{{"error_code":"{code}","error_msg":"m"}}"#);
        ApiError::from_response("list jobs on cluster c", status, None, body.as_bytes())
    };
    for fatal in [
        answered(401, "APIGW.0301"),
        answered(403, "APIGW.0302"),
        answered(404, "0176"),
        answered(400, "12000003"),
        ApiError::new(ApiErrorKind::Config, "look up the project", "no project"),
        ApiError::new(
            ApiErrorKind::Tls,
            "list jobs",
            "TLS refused the connection: not issued by a trusted CA",
        ),
        ApiError::new(
            ApiErrorKind::TooLarge,
            "list jobs",
            "total_record is 200000, more than the 100000 jobs a listing reads",
        ),
    ] {
        assert!(fails_the_apply(&fatal), "{fatal:?}");
    }
    for passing in [
        answered(503, "APIGW.0201"),
        answered(429, "APIGW.0308"),
        ApiError::new(ApiErrorKind::Timeout, "list jobs", "timed out"),
        ApiError::new(ApiErrorKind::Connect, "list jobs", "connection refused"),
        ApiError::new(ApiErrorKind::Deadline, "list jobs", "deadline"),
    ] {
        assert!(!fails_the_apply(&passing), "{passing:?}");
    }
}
