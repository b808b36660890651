//! The MRS client against the emulator, call by call: the two were written apart (the emulator
//! verifies signatures with its own code), so agreement here means the wire contract holds.

pub mod common;

use std::time::{Duration, Instant};

use common::emulator::{ACCESS_KEY, REGION, client_config};
use mrs_emulator::{Emulator, EmulatorConfig, EmulatorHandle, JobState as EmulatedState};
use terraform_provider_mrs::mrs::{ClientConfig, Credentials, JobState, MrsClient, SubmitJob};

const CLUSTER: &str = "c0ffee00-0000-4000-8000-000000000001";

fn client(emulator: &EmulatorHandle, project_id: Option<&str>) -> MrsClient {
    let mut config = client_config(&emulator.url());
    config.project_id = project_id.map(str::to_owned);
    MrsClient::new(config).expect("client")
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(30)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_agrees_with_the_emulator() {
    let emulator = Emulator::start(EmulatorConfig {
        kill_delay: Duration::ZERO,
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = client(&emulator, None);

    let project = client.project_id(deadline()).await.expect("IAM lookup");
    assert_eq!(project, emulator.project_id());
    assert_eq!(
        client.project_id(deadline()).await.expect("cached"),
        project
    );
    assert_eq!(
        emulator.stats().requests.iam,
        1,
        "the project id is looked up once"
    );

    let job = SubmitJob {
        job_name: "etl-nightly".into(),
        job_type: "SparkSubmit".into(),
        arguments: vec!["--class".into(), "Main".into()],
        properties: Default::default(),
    };
    let submitted = client
        .submit_job(&project, CLUSTER, &job, deadline())
        .await
        .expect("submit");
    assert!(!submitted.job_id.is_empty());

    let listed = client
        .list_jobs(&project, CLUSTER, &Default::default(), deadline())
        .await
        .expect("list");
    assert!(
        listed
            .iter()
            .any(|j| j.job_id.as_deref() == Some(submitted.job_id.as_str())),
        "{listed:?}"
    );

    let detail = client
        .show_job(&project, CLUSTER, &submitted.job_id, deadline())
        .await
        .expect("show");
    assert_eq!(detail.job_name.as_deref(), Some("etl-nightly"));

    let running = emulator.add_job(CLUSTER, None, Some(EmulatedState::Running));
    let accepted = client
        .kill_job(&project, CLUSTER, &running, deadline())
        .await
        .expect("kill");
    assert_eq!(accepted.status, 202);
    assert!(accepted.request_id.is_some());
    let after = client
        .show_job(&project, CLUSTER, &running, deadline())
        .await
        .expect("show after kill");
    assert_eq!(after.job_state, Some(JobState::Killed));

    let stats = emulator.stats();
    assert_eq!(
        stats.rejected_signatures, 0,
        "every request was signed as the emulator expects"
    );
    assert_eq!(stats.kills_accepted_for(&running), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_job_is_a_404_naming_job_and_cluster() {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = client(&emulator, Some(emulator.project_id()));
    emulator.add_job(CLUSTER, None, Some(EmulatedState::Running));
    let err = client
        .kill_job(emulator.project_id(), CLUSTER, "no-such-job", deadline())
        .await
        .expect_err("404");
    assert_eq!(err.status, Some(404));
    assert!(err.is_job_not_found(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("no-such-job") && text.contains(CLUSTER),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_credentials_are_rejected_with_advice() {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let mut config = ClientConfig::new(
        REGION,
        Credentials::AkSk {
            access_key: ACCESS_KEY.into(),
            secret_key: "not-the-secret".into(),
            security_token: None,
        },
    );
    config.endpoint = Some(emulator.url());
    config.project_id = Some(emulator.project_id().to_owned());
    let client = MrsClient::new(config).expect("client");
    let job = emulator.add_job(CLUSTER, None, Some(EmulatedState::Running));
    let err = client
        .kill_job(emulator.project_id(), CLUSTER, &job, deadline())
        .await
        .expect_err("401");
    assert_eq!(err.status, Some(401));
    assert!(
        err.detail().to_lowercase().contains("credential"),
        "{}",
        err.detail()
    );
    assert_eq!(emulator.stats().rejected_signatures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeat_kill_during_the_kill_window_is_0175_and_unknown_cluster_is_12000003() {
    let emulator = Emulator::start(EmulatorConfig {
        kill_delay: Duration::from_secs(3600),
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = client(&emulator, Some(emulator.project_id()));
    let job = emulator.add_job(CLUSTER, None, Some(EmulatedState::Running));
    let accepted = client
        .kill_job(emulator.project_id(), CLUSTER, &job, deadline())
        .await
        .expect("first kill");
    assert_eq!(accepted.status, 202);
    let repeat = client
        .kill_job(emulator.project_id(), CLUSTER, &job, deadline())
        .await
        .expect_err("a job being killed cannot be killed again");
    assert!(repeat.is_job_not_running(), "{repeat}");
    assert_eq!(repeat.status, Some(400));
    assert_eq!(repeat.attempts, 1, "a 0175 is not retried");
    let still = client
        .show_job(emulator.project_id(), CLUSTER, &job, deadline())
        .await
        .expect("show");
    assert_eq!(still.job_state, Some(JobState::Running), "still dying");

    let err = client
        .show_job(emulator.project_id(), "no-such-cluster", &job, deadline())
        .await
        .expect_err("no cluster");
    assert!(err.is_cluster_not_found(), "{err}");
    assert!(
        err.detail().contains("check cluster_id"),
        "{}",
        err.detail()
    );
    let err = client
        .show_job(emulator.project_id(), CLUSTER, "no-such-job", deadline())
        .await
        .expect_err("no job");
    assert!(err.is_job_not_found(), "{err}");
    let stats = emulator.stats();
    assert_eq!(
        stats.rejected_signatures, 0,
        "the client's X-Project-Id matches the path"
    );
    assert_eq!(stats.kills_accepted_for(&job), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_the_roots_refuse_is_not_retried() {
    let trusted = common::test_ca::TestCa::new("trusted CA");
    let impostor = common::test_ca::TestCa::new("impostor CA");
    let emulator = Emulator::start(EmulatorConfig {
        tls: Some(impostor.issue(&["localhost"])),
        ..Default::default()
    })
    .await
    .expect("emulator");
    let job = emulator.add_job(CLUSTER, None, Some(EmulatedState::Running));
    let dir = tempfile::tempdir().expect("dir");
    let url = emulator.url().replace("127.0.0.1", "localhost");
    let mut config = client_config(&url);
    config.ca_cert_file = Some(trusted.write_pem(dir.path(), "ca.pem"));
    config.max_retries = 5;
    let client = MrsClient::new(config).expect("client");

    let err = client
        .kill_job(emulator.project_id(), CLUSTER, &job, deadline())
        .await
        .expect_err("an untrusted certificate must fail");
    assert_eq!(err.attempts, 1, "{err:?}");
    assert!(
        err.detail().contains("not issued by a trusted CA"),
        "{}",
        err.detail()
    );
    assert_eq!(emulator.stats().tcp_connections_accepted, 1);
    emulator.shutdown().await;
}
