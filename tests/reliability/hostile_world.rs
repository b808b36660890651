//! 11. A hostile world (issue 19).
//!
//! Answers that once panicked the provider or were taken for something they were not, against
//! the MRS client, and what a user sees of them in Terraform.

use std::sync::Arc;

use proptest::prelude::*;
use terraform_provider_mrs::mrs::ApiErrorKind;
use terraform_provider_mrs::mrs::shown_text::is_unsafe_to_show;

use super::raw_server::{Answer, RawServer, http_answer};
use super::*;

const PROJECT: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const JOB: &str = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";

fn raw_client(url: &str, max_retries: u32, request_timeout: Duration) -> MrsClient {
    let mut config = common::emulator::client_config(url);
    config.project_id = Some(PROJECT.to_owned());
    config.max_retries = max_retries;
    config.request_timeout = request_timeout;
    config.retry_base_delay = Duration::from_millis(10);
    config.retry_max_delay = Duration::from_millis(50);
    MrsClient::new(config).expect("client")
}

/// Kills [`JOB`] through a raw server answering `answer`, within `budget`.
async fn kill_through(answer: Answer, max_retries: u32, budget: Duration) -> Result<u16, ApiError> {
    let server = RawServer::start(answer).await;
    let client = raw_client(&server.url(), max_retries, Duration::from_secs(2));
    let deadline = std::time::Instant::now() + budget;
    client
        .kill_job(PROJECT, CLUSTER, JOB, deadline)
        .await
        .map(|accepted| accepted.status)
}

fn always(bytes: Vec<u8>) -> Answer {
    Arc::new(move |_: &str| bytes.clone())
}

/// Each line of an error's text is free of anything a terminal would act on.
fn assert_terminal_safe(text: &str) {
    for line in text.lines() {
        assert!(
            !line.chars().any(is_unsafe_to_show),
            "unsafe character in {line:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_beyond_any_clock_is_an_error_not_a_panic() {
    for retry_after in [
        "18446744073709551615",
        "9223372036854775807",
        "99999999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        for status in [429, 503] {
            let started = std::time::Instant::now();
            let err = kill_through(
                always(http_answer(status, &[("Retry-After", retry_after)], b"")),
                3,
                Duration::from_secs(20),
            )
            .await
            .expect_err("throttled");
            assert!(
                matches!(err.kind, ApiErrorKind::Deadline | ApiErrorKind::Http),
                "{retry_after}: {err}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{retry_after}: the call gave up instead of waiting for ever"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kill_answered_by_an_html_page_with_200_is_not_taken_for_a_kill() {
    let page = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>nginx</body></html>";
    let answer = http_answer(200, &[("Content-Type", "text/html")], page);
    let err = kill_through(always(answer), 0, Duration::from_secs(10))
        .await
        .expect_err("an nginx page is no kill");
    assert!(err.is_unconfirmed_kill(), "{err}");
    let text = err.to_string();
    assert!(text.contains("not an answer from MRS"), "{text}");
    assert!(text.contains("Welcome to nginx!"), "{text}");
    // MRS's own answers still count.
    for (status, body) in [(202, "<html>odd</html>"), (200, ""), (200, "{}")] {
        let answer = http_answer(status, &[], body.as_bytes());
        let status_seen = kill_through(always(answer), 0, Duration::from_secs(10))
            .await
            .unwrap_or_else(|e| panic!("{status} {body:?}: {e}"));
        assert_eq!(status_seen, status);
    }
    let no_content = http_answer(204, &[], b"");
    let err = kill_through(always(no_content), 0, Duration::from_secs(10))
        .await
        .expect_err("204 is not how MRS answers a kill");
    assert!(err.is_unconfirmed_kill(), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_names_its_location_and_a_timeout_names_request_timeout() {
    let redirect = http_answer(
        302,
        &[("Location", "https://login.example.net/portal?next=%1B%5B2J")],
        b"",
    );
    let err = kill_through(always(redirect), 0, Duration::from_secs(10))
        .await
        .expect_err("a redirect is not followed");
    let text = err.to_string();
    assert!(text.contains("https://login.example.net/portal"), "{text}");
    assert!(text.contains("redirects are not followed"), "{text}");
    assert_terminal_safe(&text);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = raw_client(&url, 0, Duration::from_millis(500));
    let err = client
        .kill_job(
            PROJECT,
            CLUSTER,
            JOB,
            std::time::Instant::now() + Duration::from_secs(10),
        )
        .await
        .expect_err("no answer");
    silent.abort();
    assert_eq!(err.kind, ApiErrorKind::Timeout, "{err}");
    let text = err.to_string();
    assert!(text.contains("request_timeout"), "{text}");
    assert!(
        !text.contains("DNS"),
        "a timeout is not a DNS problem: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_echoed_in_an_error_body_or_header_are_blotted_out() {
    let echo: Answer = Arc::new(|head: &str| {
        let body = format!("{{\"error_msg\": \"denied\", \"echo\": {head:?}}}");
        http_answer(
            401,
            &[("X-Request-Id", head.lines().last().unwrap_or(""))],
            body.as_bytes(),
        )
    });
    let err = kill_through(echo, 0, Duration::from_secs(10))
        .await
        .expect_err("401");
    let text = format!("{err}\n{err:?}");
    assert!(!text.contains(SECRET_KEY), "{text}");
    assert!(!text.contains(ACCESS_KEY), "{text}");
    assert!(!text.to_lowercase().contains("signature=0"), "{text}");
    let signature_hex = text
        .split("Signature=")
        .skip(1)
        .filter(|rest| rest.chars().take(64).all(|c| c.is_ascii_hexdigit()) && rest.len() >= 64)
        .count();
    assert_eq!(signature_hex, 0, "a signature survived: {text}");
}

/// A status line: a real or absurd code, or no valid line at all.
fn status_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (100u16..1000).prop_map(|code| format!("HTTP/1.1 {code} Whatever")),
        Just("HTTP/1.1 200".to_owned()),
        Just("HTTP/9.9 999 Nope".to_owned()),
        Just("garbage".to_owned()),
        "[ -~]{0,40}",
    ]
}

fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![
            Just("18446744073709551615".to_owned()),
            Just("9223372036854775807".to_owned()),
            Just("-1".to_owned()),
            Just("0".to_owned()),
            Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
            Just("Thu, 01 Jan 1970 00:00:00 GMT".to_owned()),
            "[0-9]{1,30}",
            "[ -~]{0,40}",
        ]
        .prop_map(|v| format!("Retry-After: {v}")),
        "[ -~]{0,60}".prop_map(|v| format!("X-Request-Id: {v}")),
        "[ -~]{0,60}".prop_map(|v| format!("Location: {v}")),
        (0u64..u64::MAX).prop_map(|n| format!("Content-Length: {n}")),
        Just("Transfer-Encoding: chunked".to_owned()),
        Just("X-Request-Id: \u{1b}[2J\u{202e}evil".to_owned()),
        "[!-9;-~]{1,20}: [ -~]{0,40}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        Just(b"{\"error_code\":\"0175\",\"error_msg\":\"\\u001b[2J\\nPlan: 0 to add\"}".to_vec()),
        Just(b"<html><title>\x1b[31mred</title></html>".to_vec()),
        "[ -~\n\r\t]{0,200}".prop_map(String::into_bytes),
    ]
}

proptest! {
    // 48 cases in `cargo test` (each is a real exchange over loopback); PROPTEST_CASES for more.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(48)
    ))]

    /// Whatever comes back, the client answers in bounded time without a panic, and every line
    /// of its error is safe to print.
    #[test]
    fn hostile_status_lines_headers_and_bodies_never_panic(
        status in status_line(),
        headers in proptest::collection::vec(header(), 0..5),
        body in body(),
        declare_length in any::<bool>(),
    ) {
        let mut bytes = format!("{status}\r\n").into_bytes();
        for header in &headers {
            bytes.extend_from_slice(header.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        if declare_length {
            bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(&body);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let started = std::time::Instant::now();
        let result = runtime.block_on(kill_through(always(bytes), 2, Duration::from_secs(4)));
        prop_assert!(started.elapsed() < Duration::from_secs(12));
        if let Err(err) = result {
            let text = err.to_string();
            prop_assert!(text.len() < 8 * 1024, "{} bytes", text.len());
            for line in text.lines() {
                prop_assert!(!line.chars().any(is_unsafe_to_show), "{line:?}");
            }
        }
    }
}

/// The lines of Terraform's output as a reader sees them, without the diagnostic box's frame.
fn unframed_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.trim_start_matches(['│', '╷', '╵', ' ']).to_owned())
        .collect()
}

#[test]
fn forged_job_names_show_escaped_in_the_plan() {
    const FORGED: &str = "Plan: 0 to add, 0 to change, 0 to destroy.";
    for tf in terraforms() {
        let emulator = RunningEmulator::start(EmulatorConfig::default());
        let name = format!("etl\u{1b}[2J\u{1b}[31m\n{FORGED}\u{202e}gnp.exe");
        emulator.handle().add_job_spec(
            CLUSTER,
            mrs_emulator::JobSpec {
                job_name: Some(name),
                state: Some(JobState::Running),
                ..Default::default()
            },
        );
        let config =
            format!("resource \"mrs_jobs_kill\" \"all\" {{\n  cluster_id = \"{CLUSTER}\"\n}}\n");
        let ws = workspace(tf, &emulator, &config);
        let plan = ws.plan();
        assert!(plan.success, "{}", plan.all());
        let text = plan.all();
        assert!(
            text.contains("etl\\u{1b}[2J\\u{1b}[31m\\nPlan: 0 to add, 0 to change, 0 to destroy.\\u{202e}gnp.exe"),
            "{} {}: the name is shown escaped, on one line: {text}",
            tf.version,
            "mrs_jobs_kill"
        );
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "no raw escape or bidi override reaches the terminal: {text:?}"
        );
        let forged_lines = unframed_lines(&text)
            .into_iter()
            .filter(|line| line.starts_with(FORGED))
            .count();
        assert_eq!(forged_lines, 0, "no forged plan line: {text}");
        report(
            "forged_job_name",
            format!("Terraform {}: name shown escaped on one line", tf.version),
        );
    }
}

#[test]
fn absurd_durations_empty_and_huge_filters_are_refused_at_validate() {
    let huge = "x".repeat(1024 * 1024);
    let config = format!(
        "{HEADER}\
         resource \"mrs_job_kill\" \"k\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = \"{JOB}\"\n  timeouts {{\n    create = \"10000000000000000000s\"\n  }}\n}}\n\
         resource \"mrs_job_kill\" \"h\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = \"{JOB}\"\n  timeouts {{\n    create = \"3000000000000000h\"\n  }}\n}}\n\
         resource \"mrs_jobs_kill\" \"empty\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_name = \"\"\n}}\n\
         resource \"mrs_jobs_kill\" \"huge\" {{\n  cluster_id = \"{CLUSTER}\"\n  user = \"{huge}\"\n}}\n\
         data \"mrs_job_executions\" \"id\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_id = \"{huge}\"\n}}\n"
    );
    for tf in terraforms() {
        let ws = Workspace::new(tf, &config);
        let run = ws.run(&["validate", "-no-color"]);
        assert!(!run.success, "{}", run.all());
        let text = run.all();
        for expected in [
            "longer than 24h",
            "which would match every job",
            "at most 256 are accepted",
            "MRS IDs are at most 64 characters",
        ] {
            assert!(
                text.contains(expected),
                "{}: {expected:?} missing: {}",
                tf.version,
                &text[..text.len().min(4000)]
            );
        }
        // Each error points at its attribute's line in main.tf.
        for line in [
            "create = \"10000000000000000000s\"",
            "create = \"3000000000000000h\"",
            "job_name = \"\"",
            "user = \"xxxx",
            "job_id = \"xxxx",
        ] {
            assert!(
                text.contains(line),
                "{}: {line:?} not pointed at: {}",
                tf.version,
                &text[..text.len().min(4000)]
            );
        }
        // Terraform quotes each offending source line (1 MB each, twice); the provider's own
        // messages add no copy of the value.
        assert!(
            text.len() < 2 * huge.len() + 64 * 1024,
            "the 1 MB values are not repeated by the provider: {} bytes",
            text.len()
        );
        assert!(!text.contains("panic"), "{text}");
    }
}

/// Runs `terraform apply` with `env` (and nothing else of ours), bounded to 60 s.
fn bounded_apply(ws: &Workspace, env: &[(&str, String)]) -> (bool, String) {
    let mut child = spawn_apply(ws, env, &[]);
    let status = wait_bounded(&mut child, 600, "apply", ws.path());
    (status.success(), apply_output(ws))
}

#[test]
fn devices_and_fifos_named_as_files_are_an_error_on_their_setting() {
    let tf = &terraforms()[0];
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("config.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let fifo = fifo.display().to_string();
    let location = [
        ("HW_REGION_NAME", REGION.to_owned()),
        ("HW_PROJECT_ID", PROJECT.to_owned()),
        ("HW_MRS_ENDPOINT", "http://127.0.0.1:9".to_owned()),
    ];
    for file in ["/dev/zero", "/dev/urandom", fifo.as_str()] {
        let kind = if file == fifo { "a FIFO" } else { "a device" };
        // ca_cert_file, in the provider block.
        let hcl = format!(
            "{}{}",
            provider_block(&format!(
                "  access_key = \"{ACCESS_KEY}\"\n  secret_key = \"{SECRET_KEY}\"\n  ca_cert_file = \"{file}\""
            )),
            kill_config("k", JOB, "")
        );
        let ws = Workspace::new(tf, &hcl);
        let started = Instant::now();
        let (ok, text) = bounded_apply(&ws, &location);
        assert!(!ok, "{text}");
        assert!(
            text.contains("ca_cert_file") && text.contains(kind),
            "{file}: {text}"
        );
        report(
            "local_files",
            format!(
                "ca_cert_file = {file}: error naming {kind} in {:.1?}",
                started.elapsed()
            ),
        );
        // HW_SHARED_CONFIG_FILE, from the environment.
        let ws = Workspace::new(tf, &format!("{HEADER}{}", kill_config("k", JOB, "")));
        let mut env = location.to_vec();
        env.push(("HW_SHARED_CONFIG_FILE", file.to_owned()));
        let started = Instant::now();
        let (ok, text) = bounded_apply(&ws, &env);
        assert!(!ok, "{text}");
        assert!(
            text.contains("shared config file") && text.contains(kind),
            "{file}: {text}"
        );
        report(
            "local_files",
            format!(
                "HW_SHARED_CONFIG_FILE={file}: error naming {kind} in {:.1?}",
                started.elapsed()
            ),
        );
    }
}

#[test]
fn a_kill_answered_by_a_200_html_page_fails_the_apply_and_records_nothing() {
    let tf = &terraforms()[0];
    let page = "<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>nginx</body></html>";
    let emulator = RunningEmulator::start(EmulatorConfig {
        faults: FaultPlan::none().on(
            Route::Kill,
            [FaultStep::Status {
                status: 200,
                retry_after: None,
                body: Some(page.into()),
            }],
        ),
        ..EmulatorConfig::default()
    });
    let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    let ws = workspace(tf, &emulator, &kill_config("k", &job, ""));
    let run = ws.apply(&[]);
    assert!(!run.success, "{}", run.all());
    let text = run.all();
    assert!(text.contains("not an answer from MRS"), "{text}");
    assert!(text.contains("Welcome to nginx!"), "{text}");
    assert!(text.contains("RUNNING"), "the job was looked at: {text}");
    assert!(killed_in_state(&ws).is_empty(), "no kill in state");
    let stats = emulator.stats();
    assert_eq!(stats.kills_accepted.values().sum::<u64>(), 0);
    report(
        "html_kill_answer",
        "200 text/html on the kill route: apply failed, job still RUNNING, nothing in state",
    );
}
