//! End-to-end tests of the emulator over real HTTP, with requests signed by a small signer
//! written here from the algorithm (not the emulator's verifier, not the crate's client).

use std::collections::VecDeque;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::*;

const CLUSTER: &str = "a1b2c3d4-0000-4111-8222-333344445555";

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("plain HTTP client builds")
}

/// How a test request authenticates.
#[derive(Clone, Copy)]
enum Creds<'a> {
    AkSk { ak: &'a str, sk: &'a str },
    Token(&'a str),
    None,
}

const DEFAULT_CREDS: Creds<'static> = Creds::AkSk {
    ak: DEFAULT_ACCESS_KEY,
    sk: DEFAULT_SECRET_KEY,
};

/// A request about to be signed; `tamper` changes it after signing.
struct TestRequest<'a> {
    method: Method,
    path: String,
    query: Option<&'a str>,
    body: &'a str,
    extra_headers: Vec<(&'a str, &'a str)>,
    sdk_date: Option<String>,
    creds: Creds<'a>,
}

impl<'a> TestRequest<'a> {
    fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: None,
            body: "",
            extra_headers: Vec::new(),
            sdk_date: None,
            creds: DEFAULT_CREDS,
        }
    }
}

fn now_sdk_date() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// Signs like the official SDK for the simple paths and queries these tests use
/// (no characters that need percent-encoding) and returns the headers to send.
fn signed_headers(req: &TestRequest<'_>, host: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = req
        .extra_headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
        .collect();
    let Creds::AkSk { ak, sk } = req.creds else {
        if let Creds::Token(token) = req.creds {
            headers.push(("x-auth-token".into(), token.into()));
        }
        return headers;
    };
    let date = req.sdk_date.clone().unwrap_or_else(now_sdk_date);
    headers.push(("host".into(), host.into()));
    headers.push(("x-sdk-date".into(), date.clone()));
    if !req.body.is_empty() {
        headers.push(("content-type".into(), "application/json".into()));
    }
    headers.sort();
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let mut query: Vec<&str> = req
        .query
        .map(|q| q.split('&').collect())
        .unwrap_or_default();
    query.sort_unstable();
    let canonical = format!(
        "{}\n{}/\n{}\n{}\n{}\n{}",
        req.method,
        req.path.trim_end_matches('/'),
        query.join("&"),
        headers
            .iter()
            .map(|(n, v)| format!("{n}:{v}\n"))
            .collect::<String>(),
        names.join(";"),
        hex::encode(Sha256::digest(req.body.as_bytes()))
    );
    let to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(sk.as_bytes()).expect("any key length");
    mac.update(to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let authorization = format!(
        "SDK-HMAC-SHA256 Access={ak}, SignedHeaders={}, Signature={signature}",
        names.join(";")
    );
    headers.retain(|(n, _)| n != "host");
    headers.push(("authorization".into(), authorization));
    headers
}

/// Changes a request (or its headers) after it was signed.
type Tamper = fn(&mut TestRequest<'_>, &mut Vec<(String, String)>);

struct Sent {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Sent {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("JSON body expected ({e}): {}", self.body))
    }
}

async fn send_with(
    client: &Client,
    emu: &EmulatorHandle,
    req: TestRequest<'_>,
    tamper: impl FnOnce(&mut TestRequest<'_>, &mut Vec<(String, String)>),
) -> Result<Sent, reqwest::Error> {
    let host = emu.url().trim_start_matches("http://").to_owned();
    let mut req = req;
    let mut headers = signed_headers(&req, &host);
    tamper(&mut req, &mut headers);
    let mut url = format!("{}{}", emu.url(), req.path);
    if let Some(query) = req.query {
        url = format!("{url}?{query}");
    }
    let mut builder = client.request(req.method.clone(), url);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let response = builder.body(req.body.to_owned()).send().await?;
    Ok(Sent {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await?,
    })
}

async fn send(emu: &EmulatorHandle, req: TestRequest<'_>) -> Sent {
    send_with(&client(), emu, req, |_, _| {})
        .await
        .expect("request answered")
}

fn job_path(emu: &EmulatorHandle, job: &str) -> String {
    format!(
        "/v2/{}/clusters/{CLUSTER}/job-executions/{job}",
        emu.project_id()
    )
}

fn kill(emu: &EmulatorHandle, job: &str) -> TestRequest<'static> {
    TestRequest::new(Method::POST, format!("{}/kill", job_path(emu, job)))
}

async fn start(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(config).await.expect("emulator starts")
}

/// Polls until the job is KILLED; the deadline only guards against hanging forever.
async fn wait_for_killed(emu: &EmulatorHandle, job: &str) -> JobSnapshot {
    for _ in 0..2_000 {
        let snapshot = emu.job(CLUSTER, job).expect("job exists");
        if snapshot.state == JobState::Killed {
            return snapshot;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {job} never became KILLED");
}

#[tokio::test]
async fn kill_running_job_returns_202_then_job_becomes_killed() {
    let emu = start(EmulatorConfig {
        kill_delay: Duration::from_millis(30),
        ..EmulatorConfig::default()
    })
    .await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let sent = send(&emu, kill(&emu, &job)).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);
    assert!(sent.body.is_empty());
    let killed = wait_for_killed(&emu, &job).await;
    assert_eq!(killed.result, JobResult::Killed);
    assert_eq!(killed.kill_requests, 1);
    let shown = send(&emu, TestRequest::new(Method::GET, job_path(&emu, &job))).await;
    assert_eq!(shown.json()["job_detail"]["job_state"], "KILLED");
    assert_eq!(shown.json()["job_detail"]["job_result"], "KILLED");
    assert_eq!(emu.stats().kills_accepted_for(&job), 1);
}

#[tokio::test]
async fn kill_with_seed_error_body_reports_code_0175() {
    let emu = start(EmulatorConfig::default()).await;
    let job = emu.add_job(CLUSTER, Some("done-job"), Some(JobState::Finished));
    let sent = send(&emu, kill(&emu, &job)).await;
    assert_eq!(sent.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        sent.body,
        "{\n\"error_msg\": \"Failed to terminate the job.\"\n\"error_code\":\"0175\"\n}"
    );
    assert_eq!(emu.stats().kills_accepted_for(&job), 0);
}

#[tokio::test]
async fn repeated_kill_while_killing_is_refused_with_the_seed_0175_body() {
    let emu = start(EmulatorConfig {
        kill_delay: Duration::from_secs(3600),
        ..EmulatorConfig::default()
    })
    .await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    assert_eq!(
        send(&emu, kill(&emu, &job)).await.status,
        StatusCode::ACCEPTED
    );
    let repeat = send(&emu, kill(&emu, &job)).await;
    assert_eq!(repeat.status, StatusCode::BAD_REQUEST);
    assert_eq!(repeat.body, KILL_FAILED_BODY);
    let snapshot = emu.job(CLUSTER, &job).expect("job");
    assert_eq!(snapshot.state, JobState::Running, "still dying");
    assert!(snapshot.killing);
    assert_eq!(
        (
            snapshot.kill_requests,
            snapshot.repeat_kill_requests,
            snapshot.refused_kill_requests
        ),
        (1, 1, 1)
    );
    let stats = emu.stats();
    assert_eq!(stats.kills_accepted_for(&job), 1);
    assert_eq!(stats.kills_refused.get(&job), Some(&1));
}

#[tokio::test]
async fn drop_after_fault_carries_the_kill_out_and_loses_the_answer() {
    let emu = start(EmulatorConfig {
        kill_delay: Duration::from_secs(3600),
        ..EmulatorConfig::default()
    })
    .await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    emu.set_faults(FaultPlan::none().on(Route::Kill, [FaultStep::DropAfter]));
    let lost = send_with(&client(), &emu, kill(&emu, &job), |_, _| {}).await;
    assert!(
        lost.is_err(),
        "no answer arrives: {:?}",
        lost.map(|s| s.status)
    );
    let snapshot = emu.job(CLUSTER, &job).expect("job");
    assert!(snapshot.killing, "the kill was carried out");
    assert_eq!(snapshot.kill_requests, 1);
    let retry = send(&emu, kill(&emu, &job)).await;
    assert_eq!(retry.status, StatusCode::BAD_REQUEST);
    assert_eq!(retry.body, KILL_FAILED_BODY);
    let stats = emu.stats();
    assert_eq!(stats.answers_dropped_after_handling, 1);
    assert_eq!(stats.dropped_connections, 0);
    assert_eq!(stats.kills_accepted_for(&job), 1);
}

#[tokio::test]
async fn project_header_naming_another_project_is_refused_on_mrs_routes() {
    let emu = start(EmulatorConfig::default()).await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let other = "ffffffffffffffffffffffffffffffff";
    let honest = send(
        &emu,
        TestRequest {
            extra_headers: vec![("X-Project-Id", DEFAULT_PROJECT_ID)],
            ..TestRequest::new(Method::GET, job_path(&emu, &job))
        },
    )
    .await;
    assert_eq!(honest.status, StatusCode::OK);
    let mismatched = send(
        &emu,
        TestRequest {
            extra_headers: vec![("X-Project-Id", other)],
            ..kill(&emu, &job)
        },
    )
    .await;
    assert_eq!(mismatched.status, StatusCode::UNAUTHORIZED);
    let message = mismatched.json()["error_msg"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains(other) && message.contains(DEFAULT_PROJECT_ID),
        "{message}"
    );
    assert_eq!(emu.job(CLUSTER, &job).expect("job").kill_requests, 0);
    assert_eq!(emu.stats().rejected_signatures, 1);
}

#[tokio::test]
async fn zero_kill_delay_kills_at_once() {
    let emu = start(EmulatorConfig {
        kill_delay: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Accepted));
    assert_eq!(
        send(&emu, kill(&emu, &job)).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(emu.job(CLUSTER, &job).expect("job").state, JobState::Killed);
    assert_eq!(
        send(&emu, kill(&emu, &job)).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn unknown_cluster_job_project_and_path_are_refused() {
    let emu = start(EmulatorConfig::default()).await;
    let no_cluster = send(
        &emu,
        TestRequest::new(
            Method::GET,
            format!("/v2/{}/clusters/nope/job-executions/x", emu.project_id()),
        ),
    )
    .await;
    assert_eq!(no_cluster.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_cluster.json()["error_code"], "12000003");
    emu.add_job(CLUSTER, Some("known"), Some(JobState::Running));
    let no_job = send(&emu, kill(&emu, "unknown-job")).await;
    assert_eq!(no_job.status, StatusCode::NOT_FOUND);
    assert_eq!(no_job.json()["error_code"], "0176");
    assert_eq!(no_job.json()["error_msg"], "The job does not exist.");
    let other_project = send(
        &emu,
        TestRequest::new(
            Method::GET,
            format!("/v2/ffffffffffffffffffffffffffffffff/clusters/{CLUSTER}/job-executions"),
        ),
    )
    .await;
    assert_eq!(other_project.status, StatusCode::FORBIDDEN);
    assert_eq!(other_project.json()["error_code"], "APIGW.0302");
    let unknown = send(&emu, TestRequest::new(Method::GET, "/v1.1/whatever")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["error_code"], "APIGW.0101");
    assert_eq!(emu.stats().requests.other, 1);
}

#[tokio::test]
async fn iam_lookup_returns_project_for_region_and_nothing_for_others() {
    let emu = start(EmulatorConfig::default()).await;
    let found = send(
        &emu,
        TestRequest {
            query: Some("name=cn-north-4"),
            ..TestRequest::new(Method::GET, "/v3/projects")
        },
    )
    .await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.json()["projects"][0]["id"], DEFAULT_PROJECT_ID);
    assert_eq!(found.json()["projects"][0]["name"], "cn-north-4");
    let other = send(
        &emu,
        TestRequest {
            query: Some("name=eu-west-0"),
            ..TestRequest::new(Method::GET, "/v3/projects")
        },
    )
    .await;
    assert_eq!(other.json()["projects"], serde_json::json!([]));
    assert_eq!(emu.stats().requests.iam, 2);
}

#[tokio::test]
async fn submitted_job_is_shown_and_listed_with_official_fields() {
    let emu = start(EmulatorConfig::default()).await;
    let body = r#"{"job_name":"wordcount","job_type":"MapReduce","arguments":["obs://b/p.jar","in"],"properties":{"fs.obs.access.key":"x"}}"#;
    let list_path = format!("/v2/{}/clusters/{CLUSTER}/job-executions", emu.project_id());
    let submitted = send(
        &emu,
        TestRequest {
            body,
            ..TestRequest::new(Method::POST, list_path.clone())
        },
    )
    .await;
    assert_eq!(submitted.status, StatusCode::OK);
    let result = &submitted.json()["job_submit_result"];
    assert_eq!(result["state"], "COMPLETE");
    let job = result["job_id"].as_str().expect("job id").to_owned();
    let shown = send(&emu, TestRequest::new(Method::GET, job_path(&emu, &job)))
        .await
        .json();
    let detail = &shown["job_detail"];
    assert_eq!(detail["job_name"], "wordcount");
    assert_eq!(detail["job_type"], "MapReduce");
    assert!(
        detail["submitted_time"]
            .as_u64()
            .is_some_and(|ms| ms > 1_600_000_000_000)
    );
    let listed = send(&emu, TestRequest::new(Method::GET, list_path.clone()))
        .await
        .json();
    assert_eq!(listed["total_record"], 1);
    assert_eq!(listed["job_list"][0]["job_id"], job.as_str());
    let bad = send(
        &emu,
        TestRequest {
            body: r#"{"job_name":"x"}"#,
            ..TestRequest::new(Method::POST, list_path)
        },
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.json()["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("job_type"))
    );
}

#[tokio::test]
async fn fault_sequence_503_then_429_with_retry_after_then_202() {
    let emu = start(EmulatorConfig::default()).await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    emu.set_faults(FaultPlan::none().on(
        Route::Kill,
        [
            FaultPlan::status(503),
            FaultStep::Status {
                status: 429,
                retry_after: Some("2".into()),
                body: None,
            },
        ],
    ));
    let first = send(&emu, kill(&emu, &job)).await;
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    let second = send(&emu, kill(&emu, &job)).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.headers["retry-after"], "2");
    let third = send(&emu, kill(&emu, &job)).await;
    assert_eq!(third.status, StatusCode::ACCEPTED);
    let stats = emu.stats();
    assert_eq!(stats.requests.kill, 3);
    assert_eq!(
        (
            stats.status_count(503),
            stats.status_count(429),
            stats.status_count(202)
        ),
        (1, 1, 1)
    );
    assert_eq!(stats.faults_injected, 2);
    assert_eq!(stats.kills_accepted_for(&job), 1);
}

#[tokio::test]
async fn drop_fault_closes_connection_without_answer_then_serves_normally() {
    let emu = start(EmulatorConfig::default()).await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    emu.set_faults(FaultPlan::none().on(Route::ShowJob, [FaultStep::Drop]));
    let client = client();
    let dropped = send_with(
        &client,
        &emu,
        TestRequest::new(Method::GET, job_path(&emu, &job)),
        |_, _| {},
    )
    .await;
    assert!(dropped.is_err(), "a dropped connection yields no response");
    let after = send_with(
        &client,
        &emu,
        TestRequest::new(Method::GET, job_path(&emu, &job)),
        |_, _| {},
    )
    .await
    .expect("answered");
    assert_eq!(after.status, StatusCode::OK);
    let stats = emu.stats();
    assert_eq!(stats.dropped_connections, 1);
    assert_eq!(stats.requests.show_job, 2);
}

#[tokio::test]
async fn failure_rate_one_fails_every_request_and_zero_none() {
    let emu = start(EmulatorConfig {
        faults: FaultPlan {
            failure_rate: 1.0,
            seed: 7,
            ..FaultPlan::none()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let client = client();
    for _ in 0..8 {
        let outcome = send_with(
            &client,
            &emu,
            TestRequest::new(Method::GET, job_path(&emu, &job)),
            |_, _| {},
        )
        .await;
        if let Ok(sent) = outcome {
            assert!(
                [429, 500, 502, 503, 504].contains(&sent.status.as_u16()),
                "got {}",
                sent.status
            );
        }
    }
    assert_eq!(emu.stats().faults_injected, 8);
    emu.set_faults(FaultPlan::none());
    assert_eq!(
        send(&emu, TestRequest::new(Method::GET, job_path(&emu, &job)))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn huge_body_and_garbage_faults_answer_with_their_status() {
    let emu = start(EmulatorConfig::default()).await;
    emu.set_faults(FaultPlan::none().on(
        Route::IamProjects,
        [
            FaultStep::HugeBody {
                status: 200,
                bytes: 100_000,
            },
            FaultStep::Garbage { status: 200 },
        ],
    ));
    let huge = send(&emu, TestRequest::new(Method::GET, "/v3/projects")).await;
    assert_eq!((huge.status, huge.body.len()), (StatusCode::OK, 100_000));
    let garbage = send(&emu, TestRequest::new(Method::GET, "/v3/projects")).await;
    assert_eq!(garbage.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&garbage.body).is_err());
}

#[tokio::test]
async fn hang_fault_never_answers_and_shutdown_still_completes() {
    let emu = start(EmulatorConfig::default()).await;
    emu.set_faults(FaultPlan::none().on(Route::IamProjects, [FaultStep::Hang]));
    let impatient = client();
    let request = impatient
        .get(format!("{}/v3/projects", emu.url()))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(request.is_err_and(|e| e.is_timeout()));
    emu.shutdown().await;
}

#[tokio::test]
async fn two_requests_on_one_keep_alive_connection_count_one_connection() {
    let emu = start(EmulatorConfig::default()).await;
    let client = client();
    for _ in 0..2 {
        let sent = send_with(
            &client,
            &emu,
            TestRequest::new(Method::GET, "/v3/projects"),
            |_, _| {},
        )
        .await
        .expect("answered");
        assert_eq!(sent.status, StatusCode::OK);
    }
    assert_eq!(emu.stats().tcp_connections_accepted, 1);
    send(&emu, TestRequest::new(Method::GET, "/v3/projects")).await;
    assert_eq!(emu.stats().tcp_connections_accepted, 2);
}

#[tokio::test]
async fn tampered_path_body_or_header_is_rejected_with_apigw_0301() {
    let emu = start(EmulatorConfig::default()).await;
    let client = client();
    let project = emu.project_id().to_owned();
    let list_path = format!("/v2/{project}/clusters/{CLUSTER}/job-executions");
    let body = r#"{"job_name":"a","job_type":"MapReduce"}"#;
    let with_header = || TestRequest {
        extra_headers: vec![("X-Project-Id", DEFAULT_PROJECT_ID)],
        body,
        ..TestRequest::new(Method::POST, list_path.clone())
    };
    let honest = send_with(&client, &emu, with_header(), |_, _| {})
        .await
        .expect("answered");
    assert_eq!(honest.status, StatusCode::OK);

    let tamperings: [Tamper; 4] = [
        |req, _| req.path = req.path.replace(CLUSTER, "another-cluster"),
        |req, _| req.body = r#"{"job_name":"b","job_type":"MapReduce"}"#,
        |_, headers| {
            for (name, value) in headers.iter_mut() {
                if name == "x-project-id" {
                    *value = "ffffffffffffffffffffffffffffffff".into();
                }
            }
        },
        |req, _| req.query = Some("extra=1"),
    ];
    for tamper in tamperings {
        let sent = send_with(&client, &emu, with_header(), tamper)
            .await
            .expect("answered");
        assert_eq!(sent.status, StatusCode::UNAUTHORIZED);
        let error = sent.json();
        assert_eq!(error["error_code"], "APIGW.0301");
        assert!(
            error["error_msg"]
                .as_str()
                .is_some_and(|m| m.starts_with("Incorrect IAM authentication information"))
        );
        assert!(error["request_id"].is_string());
    }
    let wrong_secret = send(
        &emu,
        TestRequest {
            creds: Creds::AkSk {
                ak: DEFAULT_ACCESS_KEY,
                sk: "wrong",
            },
            ..TestRequest::new(Method::GET, "/v3/projects")
        },
    )
    .await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
    let unknown_key = send(
        &emu,
        TestRequest {
            creds: Creds::AkSk {
                ak: "NOBODY",
                sk: "x",
            },
            ..TestRequest::new(Method::GET, "/v3/projects")
        },
    )
    .await;
    assert!(
        unknown_key.json()["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("NOBODY"))
    );
    let unsigned = send(
        &emu,
        TestRequest {
            creds: Creds::None,
            ..TestRequest::new(Method::GET, "/v3/projects")
        },
    )
    .await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    let stats = emu.stats();
    assert_eq!(stats.rejected_signatures, 6);
    assert_eq!(stats.rejected_tokens, 1);
    assert_eq!(emu.jobs().len(), 1, "no tampered submit created a job");
}

#[tokio::test]
async fn stale_sdk_date_is_rejected_naming_the_clock() {
    let emu = start(EmulatorConfig::default()).await;
    let sent = send(
        &emu,
        TestRequest {
            sdk_date: Some("20200101T000000Z".into()),
            ..TestRequest::new(Method::GET, "/v3/projects")
        },
    )
    .await;
    assert_eq!(sent.status, StatusCode::UNAUTHORIZED);
    let error = sent.json();
    assert_eq!(error["error_code"], "APIGW.0303");
    let message = error["error_msg"].as_str().expect("message");
    assert!(
        message.contains("request time")
            && message.contains("clock")
            && message.contains("20200101T000000Z")
    );
}

#[tokio::test]
async fn token_mode_accepts_listed_token_and_rejects_others() {
    let emu = start(EmulatorConfig {
        auth_tokens: vec!["good-token".into()],
        ..EmulatorConfig::default()
    })
    .await;
    let ok = send(
        &emu,
        TestRequest {
            creds: Creds::Token("good-token"),
            ..TestRequest::new(Method::GET, "/v3/projects")
        },
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let bad = send(
        &emu,
        TestRequest {
            creds: Creds::Token("bad-token"),
            ..TestRequest::new(Method::GET, "/v3/projects")
        },
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(
        bad.json()["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("token"))
    );
    assert_eq!(emu.stats().rejected_tokens, 1);
}

#[tokio::test]
async fn security_token_must_be_listed_signed_or_not() {
    let emu = start(EmulatorConfig {
        security_tokens: Some(vec!["temp-token".into()]),
        ..EmulatorConfig::default()
    })
    .await;
    let with_token = |token: &'static str| TestRequest {
        extra_headers: vec![("X-Security-Token", token)],
        ..TestRequest::new(Method::GET, "/v3/projects")
    };
    assert_eq!(
        send(&emu, with_token("temp-token")).await.status,
        StatusCode::OK
    );
    let unknown = send(&emu, with_token("other-token")).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(
        unknown.json()["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("security token"))
    );
    // Only X-Sdk-Date must be signed: a token added after signing is still checked, not refused
    // for being unsigned.
    for (token, status) in [
        ("temp-token", StatusCode::OK),
        ("other-token", StatusCode::UNAUTHORIZED),
    ] {
        let unsigned = send_with(
            &client(),
            &emu,
            TestRequest::new(Method::GET, "/v3/projects"),
            |_, headers| {
                headers.push(("x-security-token".into(), token.into()));
            },
        )
        .await
        .expect("answered");
        assert_eq!(unsigned.status, status, "{token}: {}", unsigned.body);
    }
}

#[tokio::test]
async fn every_response_carries_a_unique_request_id() {
    let emu = start(EmulatorConfig::default()).await;
    let mut ids = Vec::new();
    for creds in [DEFAULT_CREDS, Creds::None] {
        let sent = send(
            &emu,
            TestRequest {
                creds,
                ..TestRequest::new(Method::GET, "/v3/projects")
            },
        )
        .await;
        ids.push(
            sent.headers["x-request-id"]
                .to_str()
                .expect("ascii")
                .to_owned(),
        );
    }
    let admin = client()
        .get(format!("{}/__emulator/stats", emu.url()))
        .send()
        .await
        .expect("answered");
    ids.push(
        admin.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_owned(),
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn admin_routes_create_jobs_set_faults_and_report_stats() {
    let emu = start(EmulatorConfig::default()).await;
    let client = client();
    let created: Value = client
        .post(format!("{}/__emulator/jobs", emu.url()))
        .body(r#"{"cluster_id":"c9","job_id":"j9","state":"RUNNING"}"#)
        .send()
        .await
        .expect("answered")
        .json_value()
        .await;
    assert_eq!(created["job_id"], "j9");
    assert_eq!(created["state"], "RUNNING");
    assert_eq!(
        emu.job("c9", "j9").expect("created").state,
        JobState::Running
    );

    let bad_state = client
        .post(format!("{}/__emulator/jobs", emu.url()))
        .body(r#"{"cluster_id":"c9","state":"SLEEPING"}"#)
        .send()
        .await
        .expect("answered");
    assert_eq!(bad_state.status(), StatusCode::BAD_REQUEST);

    let faults = client
        .post(format!("{}/__emulator/faults", emu.url()))
        .body(r#"{"per_route":{"iam_projects":[{"kind":"status","status":502}]}}"#)
        .send()
        .await
        .expect("answered");
    assert_eq!(faults.status(), StatusCode::OK);
    assert_eq!(
        send(&emu, TestRequest::new(Method::GET, "/v3/projects"))
            .await
            .status,
        StatusCode::BAD_GATEWAY
    );

    let jobs: Value = client
        .get(format!("{}/__emulator/jobs", emu.url()))
        .send()
        .await
        .expect("answered")
        .json_value()
        .await;
    assert_eq!(jobs["jobs"][0]["cluster_id"], "c9");
    let stats: Value = client
        .get(format!("{}/__emulator/stats", emu.url()))
        .send()
        .await
        .expect("answered")
        .json_value()
        .await;
    assert_eq!(stats["requests"]["iam"], 1);
    assert_eq!(stats["statuses"]["502"], 1);
}

/// Issue 18: a job created over the admin route while a client runs, without a state, is
/// ACCEPTED first and turns RUNNING on the job clock; the MRS list route sees both.
#[tokio::test]
async fn admin_job_without_a_state_is_accepted_then_turns_running_on_the_clock() {
    let emu = start(EmulatorConfig {
        job_clock: JobClock {
            accepted_after: Duration::ZERO,
            running_after: Duration::from_secs(1),
            finished_after: Duration::from_secs(3600),
        },
        ..EmulatorConfig::default()
    })
    .await;
    let created: Value = client()
        .post(format!("{}/__emulator/jobs", emu.url()))
        .body(format!(
            r#"{{"cluster_id":"{CLUSTER}","job_name":"mid-apply"}}"#
        ))
        .send()
        .await
        .expect("answered")
        .json_value()
        .await;
    assert_eq!(created["state"], "ACCEPTED");
    let job = created["job_id"].as_str().expect("job id").to_owned();
    let path = format!("/v2/{}/clusters/{CLUSTER}/job-executions", emu.project_id());
    let listed = |query: &'static str| {
        let (emu, path) = (&emu, path.clone());
        async move {
            let sent = send(
                emu,
                TestRequest {
                    query: Some(query),
                    ..TestRequest::new(Method::GET, path)
                },
            )
            .await;
            assert_eq!(sent.status, StatusCode::ACCEPTED);
            sent.json()["total_record"].as_u64().expect("count")
        }
    };
    // Bounded: the clock turns it RUNNING after 1 s; 2,000 × 10 ms is a generous ceiling.
    let mut seen_accepted = false;
    for _ in 0..2_000 {
        match emu.job(CLUSTER, &job).expect("job exists").state {
            JobState::Accepted => {
                seen_accepted |= listed("job_state=ACCEPTED").await == 1;
            }
            JobState::Running => break,
            other => panic!("a job on the clock went from ACCEPTED to {other}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        seen_accepted,
        "the list route never showed the job ACCEPTED"
    );
    assert_eq!(
        emu.job(CLUSTER, &job).expect("job exists").state,
        JobState::Running
    );
    assert_eq!(listed("job_state=RUNNING").await, 1);
    assert_eq!(listed("job_state=ACCEPTED").await, 0);
}

#[tokio::test]
async fn scripted_faults_only_touch_their_route() {
    let emu = start(EmulatorConfig::default()).await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let mut per_route = std::collections::HashMap::new();
    per_route.insert(Route::Kill, VecDeque::from([FaultPlan::status(500)]));
    emu.set_faults(FaultPlan {
        per_route,
        ..FaultPlan::none()
    });
    assert_eq!(
        send(&emu, TestRequest::new(Method::GET, job_path(&emu, &job)))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&emu, kill(&emu, &job)).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

/// Reads a response body as JSON (reqwest is built without its `json` feature).
trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        let text = self.text().await.expect("body");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON expected ({e}): {text}"))
    }
}

const ASSUME_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
const METADATA_PATH: &str = "/openstack/latest/securitykey";

fn assume_body(agency: &str, domain_key: &str, domain: &str) -> String {
    serde_json::json!({"auth": {"identity": {"methods": ["assume_role"], "assume_role": {
        "agency_name": agency, domain_key: domain, "duration_seconds": 3600}}}})
    .to_string()
}

/// (access key, secret key, security token, expires_at) out of a credential answer.
fn issued(sent: &Sent) -> (String, String, String, String) {
    let c = &sent.json()["credential"];
    let text = |k: &str| {
        c[k].as_str()
            .unwrap_or_else(|| panic!("{k} in {}", sent.body))
            .to_owned()
    };
    (
        text("access"),
        text("secret"),
        text("securitytoken"),
        text("expires_at"),
    )
}

#[tokio::test]
async fn assuming_an_agency_checks_the_signature_agency_and_domain() {
    let emu = start(EmulatorConfig {
        agency: Some(Agency::new("mrs_ops", "owner")),
        ..EmulatorConfig::default()
    })
    .await;
    let good = assume_body("mrs_ops", "domain_name", "owner");
    let unsigned = send(
        &emu,
        TestRequest {
            body: &good,
            creds: Creds::None,
            ..TestRequest::new(Method::POST, ASSUME_PATH)
        },
    )
    .await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    for (agency, key, domain) in [
        ("other", "domain_name", "owner"),
        ("mrs_ops", "domain_name", "someone-else"),
        ("mrs_ops", "domain_id", "not-the-id"),
    ] {
        let body = assume_body(agency, key, domain);
        let refused = send(
            &emu,
            TestRequest {
                body: &body,
                ..TestRequest::new(Method::POST, ASSUME_PATH)
            },
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{agency} {key} {domain}"
        );
        assert_eq!(refused.json()["error"]["code"], 403);
    }
    let by_id = assume_body("mrs_ops", "domain_id", DEFAULT_AGENCY_DOMAIN_ID);
    for body in [&good, &by_id] {
        let granted = send(
            &emu,
            TestRequest {
                body,
                ..TestRequest::new(Method::POST, ASSUME_PATH)
            },
        )
        .await;
        assert_eq!(granted.status, StatusCode::CREATED, "{}", granted.body);
        let (_, _, _, expires_at) = issued(&granted);
        assert!(
            expires_at.ends_with('Z') && expires_at.contains('.'),
            "{expires_at}"
        );
    }
    assert_eq!(emu.stats().temporary_credentials_issued, 2);
    assert_eq!(emu.stats().requests.security_tokens, 6);
}

#[tokio::test]
async fn issued_keys_work_only_with_their_token_and_until_they_expire() {
    let emu = start(EmulatorConfig {
        agency: Some(Agency::new("mrs_ops", "owner")),
        ..EmulatorConfig::default()
    })
    .await;
    let good = assume_body("mrs_ops", "domain_name", "owner");
    let granted = send(
        &emu,
        TestRequest {
            body: &good,
            ..TestRequest::new(Method::POST, ASSUME_PATH)
        },
    )
    .await;
    let (ak, sk, token, _) = issued(&granted);
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let temporary = Creds::AkSk { ak: &ak, sk: &sk };
    let without_token = send(
        &emu,
        TestRequest {
            creds: temporary,
            ..kill(&emu, &job)
        },
    )
    .await;
    assert_eq!(without_token.status, StatusCode::UNAUTHORIZED);
    assert!(
        without_token.body.contains("needs its security token"),
        "{}",
        without_token.body
    );
    // The token need not be signed (only X-Sdk-Date must be), but it must be there.
    let token_unsigned = send_with(
        &client(),
        &emu,
        TestRequest {
            creds: temporary,
            ..TestRequest::new(Method::GET, job_path(&emu, &job))
        },
        |_, headers| headers.push(("x-security-token".into(), token.clone())),
    )
    .await
    .expect("answered");
    assert_eq!(
        token_unsigned.status,
        StatusCode::OK,
        "{}",
        token_unsigned.body
    );
    let wrong_token = send(
        &emu,
        TestRequest {
            creds: temporary,
            extra_headers: vec![("X-Security-Token", "not-the-token")],
            ..kill(&emu, &job)
        },
    )
    .await;
    assert_eq!(wrong_token.status, StatusCode::UNAUTHORIZED);
    let killed = send(
        &emu,
        TestRequest {
            creds: temporary,
            extra_headers: vec![("X-Security-Token", &token)],
            ..kill(&emu, &job)
        },
    )
    .await;
    assert_eq!(killed.status, StatusCode::ACCEPTED, "{}", killed.body);
    assert_eq!(
        emu.stats()
            .signed_with_temporary_credentials_on(Route::Kill),
        1
    );

    // Keys that expire at once are refused as expired.
    let emu = start(EmulatorConfig {
        serve_metadata: true,
        temp_credential_lifetime: Some(Duration::ZERO),
        ..EmulatorConfig::default()
    })
    .await;
    let from_metadata = send(
        &emu,
        TestRequest {
            creds: Creds::None,
            ..TestRequest::new(Method::GET, METADATA_PATH)
        },
    )
    .await;
    assert_eq!(
        from_metadata.status,
        StatusCode::OK,
        "{}",
        from_metadata.body
    );
    let (ak, sk, token, _) = issued(&from_metadata);
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let expired = send(
        &emu,
        TestRequest {
            creds: Creds::AkSk { ak: &ak, sk: &sk },
            extra_headers: vec![("X-Security-Token", &token)],
            ..kill(&emu, &job)
        },
    )
    .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(expired.body.contains("expired"), "{}", expired.body);
    assert_eq!(emu.stats().rejected_expired_credentials, 1);
    assert_eq!(
        emu.job(CLUSTER, &job).map(|j| j.state),
        Some(JobState::Running)
    );
}

#[tokio::test]
async fn metadata_is_served_only_when_enabled_and_without_a_signature() {
    let plain = start(EmulatorConfig::default()).await;
    let absent = send(
        &plain,
        TestRequest {
            creds: Creds::None,
            ..TestRequest::new(Method::GET, METADATA_PATH)
        },
    )
    .await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    let emu = start(EmulatorConfig {
        serve_metadata: true,
        ..EmulatorConfig::default()
    })
    .await;
    let served = send(
        &emu,
        TestRequest {
            creds: Creds::None,
            ..TestRequest::new(Method::GET, METADATA_PATH)
        },
    )
    .await;
    assert_eq!(served.status, StatusCode::OK);
    let (ak, _, _, expires_at) = issued(&served);
    assert!(ak.starts_with("TMP"));
    let expires =
        time::OffsetDateTime::parse(&expires_at, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339");
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(left > time::Duration::minutes(59) && left <= time::Duration::minutes(60));
    assert_eq!(emu.stats().requests.metadata, 1);
}

#[tokio::test]
async fn keys_issued_on_a_second_listener_are_accepted_on_the_first() {
    let emu = start(EmulatorConfig {
        serve_metadata: true,
        ..EmulatorConfig::default()
    })
    .await;
    let second = emu
        .listen_also("127.0.0.1:0".parse().expect("address"), None)
        .await
        .expect("second listener");
    assert_ne!(second, emu.local_addr());
    let answer = client()
        .get(format!("http://{second}{METADATA_PATH}"))
        .send()
        .await
        .expect("metadata answered");
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = serde_json::from_str(&answer.text().await.expect("body")).expect("json");
    let c = &body["credential"];
    let (ak, sk, token) = (
        c["access"].as_str().expect("access"),
        c["secret"].as_str().expect("secret"),
        c["securitytoken"].as_str().expect("token"),
    );
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let killed = send(
        &emu,
        TestRequest {
            creds: Creds::AkSk { ak, sk },
            extra_headers: vec![("X-Security-Token", token)],
            ..kill(&emu, &job)
        },
    )
    .await;
    assert_eq!(killed.status, StatusCode::ACCEPTED, "{}", killed.body);
    emu.shutdown().await;
}

#[tokio::test]
async fn list_route_answers_202_pages_by_page_number_and_filters() {
    let emu = start(EmulatorConfig::default()).await;
    for i in 0..25 {
        let user = if i % 5 == 0 { "etl" } else { "analyst" };
        emu.add_job_spec(
            CLUSTER,
            JobSpec {
                job_name: Some(format!("job-{i:02}")),
                user: Some(user.into()),
                state: Some(JobState::Running),
                ..JobSpec::default()
            },
        );
    }
    let path = format!("/v2/{}/clusters/{CLUSTER}/job-executions", emu.project_id());
    let page = |query: &'static str| {
        let emu = &emu;
        let path = path.clone();
        async move {
            send(
                emu,
                TestRequest {
                    query: Some(query),
                    ..TestRequest::new(Method::GET, path)
                },
            )
            .await
        }
    };
    let first = page("limit=10&offset=1").await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    let first = first.json();
    assert_eq!(first["total_record"], 25);
    assert_eq!(first["job_list"][0]["job_name"], "job-24", "newest first");
    let third = page("limit=10&offset=3").await.json();
    let names: Vec<&str> = third["job_list"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|j| j["job_name"].as_str())
        .collect();
    assert_eq!(names, ["job-04", "job-03", "job-02", "job-01", "job-00"]);
    let etl = page("limit=100&offset=1&user=etl").await.json();
    assert_eq!(etl["total_record"], 5);
    let bad = page("limit=10&offset=0").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rate_limit_answers_429_apigw_0308_without_retry_after_and_counts_it() {
    let emu = start(EmulatorConfig {
        rate_limit: Some(1.0),
        ..EmulatorConfig::default()
    })
    .await;
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let mut statuses = Vec::new();
    let mut throttled = None;
    for _ in 0..3 {
        let sent = send(&emu, TestRequest::new(Method::GET, job_path(&emu, &job))).await;
        statuses.push(sent.status.as_u16());
        if sent.status == StatusCode::TOO_MANY_REQUESTS && throttled.is_none() {
            throttled = Some(sent);
        }
    }
    assert_eq!(statuses, [200, 429, 429]);
    let throttled = throttled.expect("a 429");
    assert_eq!(throttled.json()["error_code"], "APIGW.0308");
    assert!(throttled.headers.get("retry-after").is_none());
    assert_eq!(emu.stats().throttled, 2);
    assert_eq!(emu.stats().status_count(429), 2);
}
