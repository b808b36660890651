//! Client tests against a tiny HTTP(S) stub on 127.0.0.1 serving canned responses.

use super::*;
use crate::mrs::JobState;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

const AK: &str = "AKTESTACCESSKEY";
const SK: &str = "sk-super-secret-value-1234";
const TOKEN: &str = "security-token-very-secret-5678";
const SEED_BODY: &str =
    "{\n\"error_msg\": \"Failed to terminate the job.\"\n\"error_code\":\"0175\"\n}";

/// One request as the stub saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

struct Stub {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> String {
    let mut text = format!(
        "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}

/// Serves `responses` in order, one per connection; afterwards answers 500.
async fn stub(responses: Vec<String>) -> Stub {
    stub_with_tls(responses, None).await
}

async fn stub_with_tls(responses: Vec<String>, tls: Option<tokio_rustls::TlsAcceptor>) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let queue = Arc::new(Mutex::new(responses.into_iter()));
    let seen_by_server = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let seen = seen_by_server.clone();
            let queue = queue.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let reply = queue
                    .lock()
                    .unwrap()
                    .next()
                    .unwrap_or_else(|| response(500, &[], "stub has no more responses"));
                match tls {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(socket).await {
                            serve_one(stream, reply, seen).await;
                        }
                    }
                    None => serve_one(socket, reply, seen).await,
                }
            });
        }
    });
    let scheme = "http";
    Stub {
        base: format!("{scheme}://{addr}"),
        seen,
    }
}

async fn serve_one<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    reply: String,
    seen: Arc<Mutex<Vec<Seen>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buf[head_end..].to_vec();
    seen.lock().unwrap().push(Seen {
        method,
        target,
        headers,
        body,
    });
    if reply == "HANG" {
        std::future::pending::<()>().await;
    }
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn config(endpoint: &str) -> ClientConfig {
    let mut config = ClientConfig::new(
        "cn-north-4",
        Credentials::AkSk {
            access_key: AK.into(),
            secret_key: SK.into(),
            security_token: Some(TOKEN.into()),
        },
    );
    config.endpoint = Some(endpoint.into());
    config.iam_endpoint = Some(endpoint.into());
    config.retry_base_delay = Duration::from_millis(1);
    config.retry_max_delay = Duration::from_millis(5);
    config.terraform_version = Some("1.11.4".into());
    config
}

fn client(endpoint: &str) -> MrsClient {
    MrsClient::new(config(endpoint)).unwrap()
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

const KILL_PATH: &str = "/v2/p1/clusters/c1/job-executions/j1/kill";

#[tokio::test]
async fn kill_succeeds_on_third_attempt_after_503_and_429_retry_after_zero() {
    let stub = stub(vec![
        response(503, &[("X-Request-Id", "r1")], ""),
        response(429, &[("Retry-After", "0"), ("X-Request-Id", "r2")], ""),
        response(202, &[("X-Request-Id", "r3")], ""),
    ])
    .await;
    let accepted = client(&stub.base)
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap();
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.request_id.as_deref(), Some("r3"));
    assert_eq!(accepted.warning, None);
    let seen = stub.requests();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, KILL_PATH);
        assert_eq!(
            request.headers.get("x-project-id").map(String::as_str),
            Some("p1")
        );
        assert_eq!(
            request.headers.get("x-security-token").map(String::as_str),
            Some(TOKEN)
        );
        assert!(
            request.headers["authorization"]
                .starts_with("SDK-HMAC-SHA256 Access=AKTESTACCESSKEY, ")
        );
    }
}

/// The signature covers what the client sent. Checked by the emulator's verifier, which shares no
/// code with our signer and accepts the official SDK's signing vectors
/// (tests/data/signing_vectors.json, in emulator/src/auth.rs): it accepts the kill as sent, and
/// refuses the same kill signed with another secret key.
#[tokio::test]
async fn the_emulator_accepts_the_sent_signature_and_refuses_a_wrong_secret_key() {
    let emulator = mrs_emulator::Emulator::start(mrs_emulator::EmulatorConfig {
        security_tokens: Some(vec![TOKEN.into()]),
        ..Default::default()
    })
    .await
    .unwrap();
    let job = emulator.add_job("c1", None, Some(mrs_emulator::JobState::Running));
    let signed_with = |secret_key: &str| {
        let mut config = config(&emulator.url());
        config.credentials = Credentials::AkSk {
            access_key: mrs_emulator::DEFAULT_ACCESS_KEY.into(),
            secret_key: secret_key.into(),
            security_token: Some(TOKEN.into()),
        };
        MrsClient::new(config).unwrap()
    };
    let project = mrs_emulator::DEFAULT_PROJECT_ID;

    let accepted = signed_with(mrs_emulator::DEFAULT_SECRET_KEY)
        .kill_job(project, "c1", &job, far_deadline())
        .await
        .unwrap();
    assert_eq!(accepted.status, 202);
    let stats = emulator.stats();
    assert_eq!(stats.rejected_signatures, 0, "{stats:?}");
    assert_eq!(stats.kills_accepted_for(&job), 1, "{stats:?}");

    let refused = signed_with("another-secret-key")
        .kill_job(project, "c1", &job, far_deadline())
        .await
        .unwrap_err();
    assert_eq!(refused.status, Some(401), "{refused:?}");
    let stats = emulator.stats();
    assert!(stats.rejected_signatures >= 1, "{stats:?}");
    assert_eq!(stats.kills_accepted_for(&job), 1, "{stats:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn sent_request_signs_the_user_agent_it_sends() {
    let stub = stub(vec![response(202, &[], "")]).await;
    client(&stub.base)
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap();
    let request = &stub.requests()[0];
    let signed_names: Vec<&str> = request.headers["authorization"]
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap()
        .split(';')
        .collect();
    assert!(signed_names.contains(&"user-agent"), "{signed_names:?}");
    assert_eq!(
        request.headers["user-agent"],
        format!(
            "terraform-provider-mrs/{} terraform/1.11.4",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[tokio::test]
async fn kill_answered_400_is_not_retried_and_reports_code_0175() {
    let stub = stub(vec![
        response(400, &[("X-Request-Id", "req-400")], SEED_BODY),
        response(202, &[], ""),
    ])
    .await;
    let err = client(&stub.base)
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Http);
    assert_eq!(err.status, Some(400));
    assert_eq!(err.error_code.as_deref(), Some("0175"));
    assert_eq!(err.request_id.as_deref(), Some("req-400"));
    assert_eq!(err.attempts, 1);
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn deadline_wins_over_a_retry_after_longer_than_the_time_left() {
    let stub = stub(vec![response(503, &[("Retry-After", "3600")], "")]).await;
    let err = client(&stub.base)
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Deadline);
    assert_eq!(err.status, Some(503));
    assert_eq!(stub.requests().len(), 1);
    assert!(err.to_string().contains("deadline"), "{err}");
}

#[tokio::test]
async fn deadline_cuts_short_an_attempt_that_gets_no_answer() {
    let stub = stub(vec!["HANG".to_owned()]).await;
    let deadline = Instant::now() + Duration::from_millis(300);
    let err = client(&stub.base)
        .show_job("p1", "c1", "j1", deadline)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Deadline, "{err}");
}

#[tokio::test]
async fn retries_stop_at_max_retries_with_the_last_status() {
    let stub = stub(vec![
        response(502, &[], ""),
        response(502, &[], ""),
        response(502, &[], ""),
    ])
    .await;
    let mut config = config(&stub.base);
    config.max_retries = 2;
    let err = MrsClient::new(config)
        .unwrap()
        .show_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Http);
    assert_eq!(err.status, Some(502));
    assert_eq!(err.attempts, 3);
    assert_eq!(stub.requests().len(), 3);
}

#[tokio::test]
async fn retried_kill_told_not_running_reports_0175_and_leaves_the_look_to_the_caller() {
    let stub = stub(vec![
        response(503, &[], ""),
        response(400, &[("X-Request-Id", "again")], SEED_BODY),
        response(202, &[], ""),
    ])
    .await;
    let err = client(&stub.base)
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap_err();
    assert!(err.is_job_not_running(), "{err}");
    assert_eq!(err.attempts, 2);
    assert_eq!(err.request_id.as_deref(), Some("again"));
    let seen = stub.requests();
    assert_eq!(seen.len(), 2, "no third request: neither a kill nor a look");
    assert!(seen.iter().all(|r| r.method == "POST"));
}

#[tokio::test]
async fn kill_answered_200_is_success_with_a_warning() {
    let stub = stub(vec![response(200, &[], "{}")]).await;
    let accepted = client(&stub.base)
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap();
    assert_eq!(accepted.status, 200);
    assert!(accepted.warning.unwrap().contains("instead of 202"));
}

#[tokio::test]
async fn ids_with_slash_stay_in_one_segment_and_dot_dot_is_refused() {
    let stub = stub(vec![response(202, &[], "")]).await;
    let client = client(&stub.base);
    client
        .kill_job("p1", "c/../x", "j 1/..", far_deadline())
        .await
        .unwrap();
    assert_eq!(
        stub.requests()[0].target,
        "/v2/p1/clusters/c%2F..%2Fx/job-executions/j%201%2F../kill"
    );
    let err = client
        .kill_job("p1", "c1", "..", far_deadline())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Config);
    assert!(err.to_string().contains("job_id"));
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn project_id_is_looked_up_once_in_iam_and_cached() {
    let stub = stub(vec![response(
        200,
        &[],
        r#"{"projects":[{"id":"other","name":"cn-north-4_sub"},{"id":"pid-1","name":"cn-north-4"}]}"#,
    )])
    .await;
    let client = client(&stub.base);
    assert_eq!(client.project_id(far_deadline()).await.unwrap(), "pid-1");
    assert_eq!(client.project_id(far_deadline()).await.unwrap(), "pid-1");
    let seen = stub.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/v3/projects?name=cn-north-4");
    assert!(!seen[0].headers.contains_key("x-project-id"));
}

#[tokio::test]
async fn configured_project_id_needs_no_lookup() {
    let mut config = config("http://127.0.0.1:9");
    config.project_id = Some("given".into());
    let client = MrsClient::new(config).unwrap();
    assert_eq!(client.project_id(far_deadline()).await.unwrap(), "given");
}

#[tokio::test]
async fn project_lookup_without_match_or_with_several_says_to_set_project_id() {
    let stub = stub(vec![
        response(200, &[], r#"{"projects":[]}"#),
        response(
            200,
            &[],
            r#"{"projects":[{"id":"a","name":"cn-north-4"},{"id":"b","name":"cn-north-4"}]}"#,
        ),
    ])
    .await;
    let client = client(&stub.base);
    let none = client.project_id(far_deadline()).await.unwrap_err();
    assert!(none.to_string().contains("HW_PROJECT_ID"), "{none}");
    let several = client.project_id(far_deadline()).await.unwrap_err();
    assert!(several.to_string().contains("a, b"), "{several}");
}

#[tokio::test]
async fn show_list_and_submit_decode_their_answers() {
    let stub = stub(vec![
        response(
            200,
            &[],
            r#"{"job_detail":{"job_id":"j1","job_state":"RUNNING","job_progress":42.5}}"#,
        ),
        response(
            202,
            &[],
            r#"{"total_record":2,"job_list":[{"job_id":"a"},{"job_id":"b","job_state":"NEW"}]}"#,
        ),
        response(
            200,
            &[],
            r#"{"job_submit_result":{"job_id":"new-1","state":"COMPLETE"}}"#,
        ),
        response(200, &[], "not json"),
    ])
    .await;
    let client = client(&stub.base);
    let job = client
        .show_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap();
    assert_eq!(job.job_state, Some(JobState::Running));
    assert_eq!(job.job_progress, Some(42.5));
    let jobs = client
        .list_jobs("p1", "c1", &JobFilter::default(), far_deadline())
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2);
    let submit = SubmitJob {
        job_name: "wc".into(),
        job_type: "MapReduce".into(),
        arguments: vec!["x".into()],
        properties: BTreeMap::new(),
    };
    let result = client
        .submit_job("p1", "c1", &submit, far_deadline())
        .await
        .unwrap();
    assert_eq!(result.job_id, "new-1");
    let seen = stub.requests();
    assert!(
        seen[1]
            .target
            .ends_with("/job-executions?limit=100&offset=1"),
        "{}",
        seen[1].target
    );
    assert_eq!(
        seen[2].headers["content-type"],
        "application/json;charset=UTF-8"
    );
    assert_eq!(
        serde_json::from_slice::<SubmitJob>(&seen[2].body).unwrap(),
        submit
    );
    let err = client
        .show_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Decode);
}

#[tokio::test]
async fn token_credentials_send_x_auth_token_and_no_signature() {
    let stub = stub(vec![response(202, &[], "")]).await;
    let mut config = config(&stub.base);
    config.credentials = Credentials::Token("iam-token-abc".into());
    MrsClient::new(config)
        .unwrap()
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap();
    let request = &stub.requests()[0];
    assert_eq!(request.headers["x-auth-token"], "iam-token-abc");
    assert!(!request.headers.contains_key("authorization"));
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn logs_of_a_call_contain_no_secret_token_or_authorization() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // tracing caches each call site's interest process-wide. While only one dispatcher is
    // registered it decides from the registering thread's default, so call sites first hit by
    // tests on other threads would stay muted here; a second live dispatcher makes tracing
    // consult every registered one.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());

    let stub = stub(vec![
        response(503, &[("X-Request-Id", "log-req-1")], ""),
        response(202, &[("X-Request-Id", "log-req-2")], ""),
    ])
    .await;
    let client = client(&stub.base);
    tracing::debug!(?client, "client built");
    client
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap();
    let authorization = stub.requests()[1].headers["authorization"].clone();
    let signature = authorization
        .rsplit("Signature=")
        .next()
        .unwrap()
        .to_owned();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("log-req-2"),
        "per-attempt log missing:\n{logs}"
    );
    assert!(logs.contains("attempt=2"), "{logs}");
    for secret in [
        SK,
        TOKEN,
        authorization.as_str(),
        signature.as_str(),
        "SDK-HMAC-SHA256",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into logs:\n{logs}"
        );
    }
}

fn self_signed() -> (
    rcgen::CertifiedKey<rcgen::KeyPair>,
    tokio_rustls::TlsAcceptor,
) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    (certified, tokio_rustls::TlsAcceptor::from(Arc::new(server)))
}

async fn tls_stub(acceptor: tokio_rustls::TlsAcceptor) -> Stub {
    let mut stub = stub_with_tls(vec![response(202, &[], "")], Some(acceptor)).await;
    stub.base = stub.base.replacen("http://", "https://", 1);
    stub
}

#[tokio::test]
async fn https_with_custom_ca_file_verifies_the_server() {
    let (certified, acceptor) = self_signed();
    let stub = tls_stub(acceptor).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, certified.cert.pem()).unwrap();
    let mut config = config(&stub.base);
    config.ca_cert_file = Some(ca);
    let accepted = MrsClient::new(config)
        .unwrap()
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap();
    assert_eq!(accepted.status, 202);
}

#[tokio::test]
async fn https_with_insecure_accepts_an_unknown_certificate() {
    let (_, acceptor) = self_signed();
    let stub = tls_stub(acceptor).await;
    let mut config = config(&stub.base);
    config.insecure = true;
    let accepted = MrsClient::new(config)
        .unwrap()
        .kill_job("p1", "c1", "j1", far_deadline())
        .await
        .unwrap();
    assert_eq!(accepted.status, 202);
}

#[tokio::test]
async fn https_refuses_a_certificate_that_no_trusted_root_issued() {
    let (other, _) = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let other_ca = dir.path().join("other.pem");
    std::fs::write(&other_ca, other.cert.pem()).unwrap();
    // First the system's roots, then a CA file holding some other certificate.
    for ca_cert_file in [None, Some(other_ca)] {
        let (_, acceptor) = self_signed();
        let stub = tls_stub(acceptor).await;
        let mut config = config(&stub.base);
        config.ca_cert_file = ca_cert_file;
        config.max_retries = 0;
        let err = MrsClient::new(config)
            .unwrap()
            .kill_job("p1", "c1", "j1", far_deadline())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::Tls, "{err}");
    }
}

#[test]
fn ca_file_without_certificates_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("empty.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let mut config = config("https://mrs.example.com");
    config.ca_cert_file = Some(ca);
    assert!(matches!(
        MrsClient::new(config),
        Err(ConfigError::CaCertParse { .. })
    ));
    let mut config = self::config("https://mrs.example.com");
    config.ca_cert_file = Some(dir.path().join("missing.pem"));
    assert!(matches!(
        MrsClient::new(config),
        Err(ConfigError::CaCertRead { .. })
    ));
}

#[test]
fn user_agent_names_the_provider_and_terraform_when_known() {
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(user_agent(None), format!("terraform-provider-mrs/{v}"));
    assert_eq!(
        user_agent(Some("1.11.4")),
        format!("terraform-provider-mrs/{v} terraform/1.11.4")
    );
    assert_eq!(
        user_agent(Some("bad value\n")),
        format!("terraform-provider-mrs/{v}")
    );
}

/// A list page of `n` jobs named `{prefix}{i}`, stating `total` jobs in all.
fn list_page_of(prefix: &str, n: usize, total: usize) -> String {
    let jobs: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"job_id":"{prefix}{i}","job_state":"RUNNING"}}"#))
        .collect();
    response(
        202,
        &[],
        &format!(
            r#"{{"total_record":{total},"job_list":[{}]}}"#,
            jobs.join(",")
        ),
    )
}

#[tokio::test]
async fn list_reads_pages_by_number_until_a_short_page_and_sends_every_filter() {
    let stub = stub(vec![
        list_page_of("a", 100, 207),
        list_page_of("b", 100, 207),
        list_page_of("c", 7, 207),
    ])
    .await;
    let client = client(&stub.base);
    let filter = JobFilter {
        job_name: Some("etl nightly".into()),
        job_id: Some("j1".into()),
        user: Some("hive".into()),
        job_type: Some("SparkSubmit".into()),
        job_state: Some(JobState::Running),
        job_result: Some("UNDEFINED".into()),
        queue: Some("default".into()),
        submitted_time_begin: Some(1_700_000_000_000),
        submitted_time_end: Some(1_700_000_100_000),
    };
    let jobs = client
        .list_jobs("p1", "c1", &filter, far_deadline())
        .await
        .unwrap();
    assert_eq!(jobs.len(), 207);
    let seen = stub.requests();
    assert_eq!(seen.len(), 3);
    for (i, request) in seen.iter().enumerate() {
        assert!(
            request
                .target
                .ends_with(&format!("limit=100&offset={}", i + 1)),
            "{}",
            request.target
        );
    }
    assert!(
        seen[0].target.starts_with(
            "/v2/p1/clusters/c1/job-executions?job_name=etl%20nightly&job_id=j1&user=hive\
             &job_type=SparkSubmit&job_result=UNDEFINED&queue=default&job_state=RUNNING\
             &submitted_time_begin=1700000000000&submitted_time_end=1700000100000&"
        ),
        "{}",
        seen[0].target
    );
}

#[tokio::test]
async fn list_keeps_a_job_once_when_it_moves_to_the_next_page() {
    // The second page repeats a0, as when a new job was submitted between the two reads.
    let mut second = (1..100)
        .map(|i| format!(r#"{{"job_id":"b{i}"}}"#))
        .collect::<Vec<_>>();
    second.insert(0, r#"{"job_id":"a99"}"#.to_owned());
    let stub = stub(vec![
        list_page_of("a", 100, 100),
        response(
            200,
            &[],
            &format!(
                r#"{{"total_record":101,"job_list":[{}]}}"#,
                second.join(",")
            ),
        ),
        list_page_of("c", 0, 101),
    ])
    .await;
    let jobs = client(&stub.base)
        .list_jobs("p1", "c1", &JobFilter::default(), far_deadline())
        .await
        .unwrap();
    assert_eq!(jobs.len(), 199);
    assert_eq!(stub.requests().len(), 3);
}

#[tokio::test]
async fn list_without_job_list_or_total_record_is_an_unexpected_response() {
    for body in [r#"{"total_record":3}"#, r#"{"job_list":[]}"#, r#"{}"#] {
        let stub = stub(vec![response(202, &[], body)]).await;
        let err = client(&stub.base)
            .list_jobs("p1", "c1", &JobFilter::default(), far_deadline())
            .await
            .expect_err(body);
        assert_eq!(err.kind, ApiErrorKind::Decode, "{body}");
        assert!(
            format!("{err:?}").contains("unexpected response"),
            "{body}: {err:?}"
        );
    }
}

#[tokio::test]
async fn list_refuses_a_total_beyond_its_bound_and_a_page_that_repeats_the_first() {
    let huge = stub(vec![list_page_of("a", 100, 10_000_000)]).await;
    let err = client(&huge.base)
        .list_jobs("p1", "c1", &JobFilter::default(), far_deadline())
        .await
        .expect_err("too many");
    assert!(
        format!("{err:?}").contains("total_record is 10000000"),
        "{err:?}"
    );

    // A server that ignores offset: page 2 is page 1 again.
    let repeating = stub(vec![
        list_page_of("a", 100, 150),
        list_page_of("a", 100, 150),
    ])
    .await;
    let err = client(&repeating.base)
        .list_jobs("p1", "c1", &JobFilter::default(), far_deadline())
        .await
        .expect_err("repeats");
    assert!(format!("{err:?}").contains("repeats page 1"), "{err:?}");
}

/// A list page of 100 jobs named `{prefix}{i}` with names of `name_len` bytes, stating `total`.
fn list_page_with_long_names(prefix: &str, name_len: usize, total: usize) -> String {
    let name = "n".repeat(name_len);
    let jobs: Vec<String> = (0..100)
        .map(|i| format!(r#"{{"job_id":"{prefix}{i}","job_name":"{name}","job_state":"RUNNING"}}"#))
        .collect();
    response(
        200,
        &[],
        &format!(
            r#"{{"total_record":{total},"job_list":[{}]}}"#,
            jobs.join(",")
        ),
    )
}

#[tokio::test]
async fn list_stops_at_its_byte_bound_and_names_the_cluster_the_bound_and_the_remedy() {
    // Pages of 100 jobs with 60 KB names: ~6.1 MB each, so the third passes 12 MiB. Their size
    // leaves room for one page on the way at a time, so exactly three are asked for.
    let pages: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|prefix| list_page_with_long_names(prefix, 60 * 1024, 500))
        .collect();
    let stub = stub(pages).await;
    let err = client(&stub.base)
        .list_jobs("p1", "c1", &JobFilter::default(), far_deadline())
        .await
        .expect_err("past the byte bound");
    assert_eq!(err.kind, ApiErrorKind::TooLarge, "{err:?}");
    let shown = format!("{} {}", err.summary(), err.detail());
    for words in [
        "more than the provider reads",
        "cluster c1",
        "12 MiB",
        "narrow the selection",
    ] {
        assert!(shown.contains(words), "{words:?} missing from {shown}");
    }
    assert_eq!(
        stub.requests().len(),
        3,
        "pages of 6 MB are read one at a time, and reading stops at the bound"
    );
}

#[tokio::test]
async fn list_of_small_pages_within_the_byte_bound_reads_them_all() {
    // 1 200 jobs of 2 KB names: 12 pages, ~2.5 MB in all, well within the bound.
    let pages: Vec<String> = (0..12)
        .map(|page| list_page_with_long_names(&format!("p{page}-"), 2048, 1200))
        .chain([list_page_of("z", 0, 1200)])
        .collect();
    let stub = stub(pages).await;
    let jobs = client(&stub.base)
        .list_jobs("p1", "c1", &JobFilter::default(), far_deadline())
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1200);
}

#[test]
fn pages_in_flight_follow_the_first_pages_size() {
    use crate::mrs::listing::{LIST_BYTES_IN_FLIGHT, LIST_PAGES_AT_ONCE, pages_at_once};
    // Ordinary pages (100 jobs of ~1 KB): the most at once.
    assert_eq!(pages_at_once(100 * 1024), LIST_PAGES_AT_ONCE);
    assert_eq!(pages_at_once(0), LIST_PAGES_AT_ONCE);
    // Pages of 1 MiB: as many as fit in the budget.
    assert_eq!(
        pages_at_once(1024 * 1024),
        LIST_BYTES_IN_FLIGHT / (1024 * 1024)
    );
    // Pages of hostile 60–80 KB names (~7 MiB): one at a time, never none.
    assert_eq!(pages_at_once(7 * 1024 * 1024), 1);
    assert_eq!(pages_at_once(usize::MAX), 1);
}
