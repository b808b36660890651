//! The emulator against the clients users point at it, as the gateway would take them:
//!
//! - Huawei Cloud's official Python SDK (`huaweicloudsdkmrs`, which signs `Host`) and Go SDK v3
//!   (`huaweicloud-sdk-go-v3`, which signs neither `Host` nor `Content-Type`) list a cluster's jobs,
//!   stop one and show it until it is KILLED; with a wrong secret key each is refused with the
//!   gateway's `APIGW.0301`;
//! - the requests recorded from the huaweicloud provider's golangsdk and from the Go SDK
//!   (`tests/data/client-signatures.json`) are sent byte for byte to an emulator whose clock is set
//!   to their date, and are served; with one signed byte changed they are refused.
//!
//! The clients are had on first use, once per test run: the Python SDK is installed into
//! `target/tools/python-sdk` by `.ci/install-python-sdk` (pinned version, from PyPI), the Go client
//! is built from `tests/go-sdk-client` into `target/tools/go-sdk-client` (modules from the Go module
//! proxy). A client that cannot be had fails its test and says why, under CI and outside it: no test
//! here passes without running.

pub mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use common::emulator::{ACCESS_KEY, RunningEmulator, SECRET_KEY};
use mrs_emulator::{EmulatorConfig, JobState};
use serde_json::Value;

const CLUSTER: &str = "5c3f2a10-7d4e-4b8a-9c6d-2e1f0a9b8c7d";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tools_dir() -> PathBuf {
    root().join("target").join("tools")
}

/// A client program and the arguments that come before ENDPOINT CLUSTER_ID JOB_EXECUTION_ID.
#[derive(Debug)]
struct Client {
    name: &'static str,
    program: PathBuf,
    leading_args: Vec<PathBuf>,
}

fn run_setup(what: &str, command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The official Python SDK, installed by `.ci/install-python-sdk` when its virtualenv is missing
/// (the script returns at once when it is there).
fn python_sdk() -> &'static Client {
    static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        let venv = tools_dir().join("python-sdk");
        run_setup(
            ".ci/install-python-sdk (needs python3 with venv and pip, and PyPI)",
            Command::new("bash")
                .arg(root().join(".ci/install-python-sdk"))
                .arg(&venv),
        )?;
        Ok(Client {
            name: "Python SDK (huaweicloudsdkmrs)",
            program: venv.join("bin").join("python"),
            leading_args: vec![root().join("tests").join("python_sdk_client.py")],
        })
    });
    client
        .as_ref()
        .unwrap_or_else(|e| panic!("the official Python SDK cannot be had: {e}"))
}

/// The official Go SDK v3 client of `tests/go-sdk-client`, built once per test run (Go's build
/// cache makes a rebuild of unchanged sources quick).
fn go_sdk() -> &'static Client {
    static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        let binary = tools_dir().join("go-sdk-client").join("go-sdk-client");
        run_setup(
            "go build of tests/go-sdk-client (needs go and the Go module proxy)",
            Command::new("go")
                .args(["build", "-o"])
                .arg(&binary)
                .arg(".")
                .current_dir(root().join("tests").join("go-sdk-client"))
                // A module cache the tests write can be deleted again without chmod; the binary
                // needs no VCS stamp (and the build then needs no git).
                .env("GOFLAGS", "-modcacherw -buildvcs=false"),
        )?;
        Ok(Client {
            name: "Go SDK v3 (huaweicloud-sdk-go-v3)",
            program: binary,
            leading_args: Vec::new(),
        })
    });
    client
        .as_ref()
        .unwrap_or_else(|e| panic!("the official Go SDK client cannot be had: {e}"))
}

impl Client {
    /// Runs the client's list, stop and show against `endpoint` with `secret_key`.
    fn run(&self, endpoint: &str, project: &str, job: &str, secret_key: &str) -> Output {
        let mut command = Command::new(&self.program);
        command
            .args(&self.leading_args)
            .args([endpoint, CLUSTER, job])
            .env("HW_ACCESS_KEY", ACCESS_KEY)
            .env("HW_SECRET_KEY", secret_key)
            .env("HW_PROJECT_ID", project);
        // Loopback only, whatever proxy the machine names.
        for proxy in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            command.env_remove(proxy);
        }
        command.env("NO_PROXY", "*").env("no_proxy", "*");
        command
            .output()
            .unwrap_or_else(|e| panic!("{}: cannot run {}: {e}", self.name, self.program.display()))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The client lists the cluster's jobs, stops one and sees it KILLED; the emulator agrees.
fn lists_stops_and_shows_a_job(client: &Client) {
    let emu = RunningEmulator::start_default();
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let bystander = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let out = client.run(&emu.url(), emu.project_id(), &job, SECRET_KEY);
    assert!(
        out.status.success(),
        "{} failed against the emulator ({}):\n{}",
        client.name,
        out.status,
        text(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: report is not JSON ({e}): {}",
            client.name,
            text(&out.stdout)
        )
    });

    let mut listed: Vec<(String, String)> = report["listed"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no job list in {report}", client.name))
        .iter()
        .map(|j| {
            (
                j["job_id"].as_str().unwrap_or_default().to_owned(),
                j["job_state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    listed.sort();
    let mut expected = vec![
        (job.clone(), "RUNNING".to_owned()),
        (bystander.clone(), "RUNNING".to_owned()),
    ];
    expected.sort();
    assert_eq!(listed, expected, "{}: listed jobs", client.name);
    assert_eq!(report["total_record"], 2, "{}: {report}", client.name);
    assert_eq!(report["stop_status"], 202, "{}: {report}", client.name);
    assert_eq!(report["show_status"], 200, "{}: {report}", client.name);
    let shown = report["shown_states"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        shown.last().and_then(Value::as_str),
        Some("KILLED"),
        "{}: states shown after the stop: {report}",
        client.name
    );

    let killed = emu.job(CLUSTER, &job).expect("job exists");
    assert_eq!(killed.state, JobState::Killed);
    assert_eq!(killed.kill_requests, 1, "{}: one stop", client.name);
    assert_eq!(
        emu.job(CLUSTER, &bystander).map(|j| j.state),
        Some(JobState::Running)
    );
    let stats = emu.stats();
    assert_eq!(stats.rejected_signatures, 0, "{}: {stats:?}", client.name);
    assert_eq!(stats.requests.list_jobs, 1, "{}: {stats:?}", client.name);
    assert_eq!(stats.requests.kill, 1, "{}: {stats:?}", client.name);
    assert!(stats.requests.show_job >= 1, "{}: {stats:?}", client.name);
}

/// With a secret key the emulator does not know for the access key, the client's first call is
/// refused as the gateway refuses it, and nothing is stopped.
fn wrong_secret_is_refused(client: &Client) {
    let emu = RunningEmulator::start_default();
    let job = emu.add_job(CLUSTER, None, Some(JobState::Running));
    let out = client.run(&emu.url(), emu.project_id(), &job, "not-the-secret-key");
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "{}: accepted a wrong secret key",
        client.name
    );
    assert!(
        stderr.contains("ShowJobExeListNew failed")
            && stderr.contains("APIGW.0301")
            && stderr.contains("verify aksk signature fail"),
        "{}: {stderr}",
        client.name
    );
    assert_eq!(emu.stats().rejected_signatures, 1);
    assert_eq!(
        emu.job(CLUSTER, &job).map(|j| j.state),
        Some(JobState::Running)
    );
}

#[test]
fn python_sdk_lists_stops_and_shows_a_job() {
    lists_stops_and_shows_a_job(python_sdk());
}

#[test]
fn python_sdk_with_a_wrong_secret_is_refused_with_apigw_0301() {
    wrong_secret_is_refused(python_sdk());
}

#[test]
fn go_sdk_lists_stops_and_shows_a_job() {
    lists_stops_and_shows_a_job(go_sdk());
}

#[test]
fn go_sdk_with_a_wrong_secret_is_refused_with_apigw_0301() {
    wrong_secret_is_refused(go_sdk());
}

/// One request recorded from a real client.
#[derive(serde::Deserialize)]
struct Recorded {
    client: String,
    access_key: String,
    secret_key: String,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    signed_headers: Vec<String>,
}

fn recorded_requests() -> Vec<Recorded> {
    #[derive(serde::Deserialize)]
    struct File {
        vectors: Vec<Recorded>,
    }
    let path = root().join("tests/data/client-signatures.json");
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: File = serde_json::from_str(&json).expect("recorded requests parse");
    file.vectors
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Seconds from now to the recorded `X-Sdk-Date`: the emulator's clock offset that makes the
    /// request as fresh as when it was recorded.
    fn clock_offset_s(&self) -> i64 {
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let date = self.header("x-sdk-date").expect("recorded X-Sdk-Date");
        let recorded = time::PrimitiveDateTime::parse(date, format)
            .expect("X-Sdk-Date format")
            .assume_utc();
        (recorded - time::OffsetDateTime::now_utc()).whole_seconds()
    }

    /// The request as it went over the wire, with `Connection: close` added (not signed by any
    /// client) and `header` replaced by `value` where given.
    fn wire_bytes(&self, replace: Option<(&str, &str)>) -> Vec<u8> {
        let mut bytes = format!("{} {} HTTP/1.1\r\n", self.method, self.path).into_bytes();
        for (name, value) in &self.headers {
            let value = match replace {
                Some((replaced, new)) if name.eq_ignore_ascii_case(replaced) => new,
                _ => value,
            };
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"Connection: close\r\n\r\n");
        bytes.extend_from_slice(self.body.as_bytes());
        bytes
    }
}

/// Sends `request` to `address` and returns the status and body of the answer.
fn send_raw(address: std::net::SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect to the emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let answer = text(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn requests_recorded_from_real_clients_are_served_and_refused_when_changed() {
    let recorded = recorded_requests();
    assert_eq!(recorded.len(), 7, "the file holds seven recorded requests");
    for r in &recorded {
        let what = format!("{} {} {}", r.client, r.method, r.path);
        let project = r
            .path
            .strip_prefix("/v2/")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("0a1b2c3d4e5f60718293a4b5c6d7e8f9");
        let emu = RunningEmulator::start(EmulatorConfig {
            project_id: project.to_owned(),
            credentials: vec![(r.access_key.clone(), r.secret_key.clone())],
            clock_offset_s: r.clock_offset_s(),
            ..EmulatorConfig::default()
        });
        // The jobs the recorded calls name.
        for cluster in ["2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "cq"] {
            emu.add_job(
                cluster,
                Some("11111111-2222-3333-4444-555555555555"),
                Some(JobState::Running),
            );
        }
        let (status, body) = send_raw(emu.local_addr(), &r.wire_bytes(None));
        assert!(
            (200..300).contains(&status),
            "{what}: answered {status}: {body}"
        );

        let signed = r
            .signed_headers
            .iter()
            .find(|h| *h != "x-sdk-date")
            .expect("each recorded request signs a header besides the date");
        let value = r.header(signed).expect("signed header recorded");
        let changed = format!("{value}x");
        let (status, body) = send_raw(emu.local_addr(), &r.wire_bytes(Some((signed, &changed))));
        assert_eq!(status, 401, "{what}: {signed} changed: {body}");
        let error: Value = serde_json::from_str(&body).expect("gateway error is JSON");
        assert_eq!(error["error_code"], "APIGW.0301", "{what}: {body}");
        let stats = emu.stats();
        assert_eq!(stats.rejected_signatures, 1, "{what}: {stats:?}");
    }
}
