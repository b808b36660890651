//! 5. Secrets.

use super::*;

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
            "{}{}",
            provider_block(&format!(
                "  access_key = \"{ACCESS_KEY}\"\n  secret_key = \"{SECRET_KEY}\""
            )),
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

/// Runs `ws` with TF_LOG=trace and checks its log and state for `secrets` (plus every temporary
/// key `emulator` issued meanwhile); returns the number of log lines.
fn traced_apply_leaks_nothing(
    mut ws: Workspace,
    emulator: &RunningEmulator,
    job: &str,
    secrets: &[&str],
    what: &str,
) -> usize {
    let log = ws.path().join("trace.log");
    ws.env("TF_LOG", "trace")
        .env("TF_LOG_PATH", &log.display().to_string());
    let run = ws.apply(&[]);
    assert!(run.success, "{what}: {}", run.all());
    assert_eq!(emulator.stats().kills_accepted.get(job), Some(&1), "{what}");
    let issued = emulator.issued_credentials();
    let mut all: Vec<&str> = secrets.to_vec();
    for credential in &issued {
        all.push(&credential.secret_key);
        all.push(&credential.security_token);
    }
    let lines = assert_no_secrets(&ws, &log, &all, what);
    assert!(
        leaks(&run.all(), &all).is_empty(),
        "{what}: terraform output leaks"
    );
    lines
}

#[test]
fn trace_logs_and_state_hold_no_key_or_token_from_profiles_agencies_or_metadata() {
    const PROFILE_SECRET: &str = "profile-secret-key-8d2f61";
    const PROFILE_TOKEN: &str = "profile-sts-token-0c7e93";
    for tf in terraforms() {
        // A KooCLI profile with a security token.
        let emulator = RunningEmulator::start(EmulatorConfig {
            credentials: vec![("PROFILEAK".into(), PROFILE_SECRET.into())],
            security_tokens: Some(vec![PROFILE_TOKEN.into()]),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = Workspace::new(tf, &format!("{HEADER}{}", kill_config("k", &job, "")));
        let file = ws.path().join("hcloud.json");
        let profile = serde_json::json!({"current": "ci", "profiles": [{"name": "ci", "mode": "AKSK",
            "accessKeyId": "PROFILEAK", "secretAccessKey": PROFILE_SECRET, "securityToken": PROFILE_TOKEN}]});
        std::fs::write(&file, profile.to_string()).expect("write profile");
        ws.env("HW_REGION_NAME", REGION)
            .env("HW_PROJECT_ID", emulator.project_id())
            .env("HW_MRS_ENDPOINT", &emulator.url())
            .env("HW_SHARED_CONFIG_FILE", &file.display().to_string());
        let profile_lines = traced_apply_leaks_nothing(
            ws,
            &emulator,
            &job,
            &[PROFILE_SECRET, PROFILE_TOKEN],
            "shared config",
        );

        // An agency assumed with AK/SK: base secret and the agency's keys.
        let emulator = RunningEmulator::start(EmulatorConfig {
            agency: Some(mrs_emulator::Agency::new("mrs_ops", "owner")),
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = Workspace::new(tf, &format!("{HEADER}{}", kill_config("k", &job, "")));
        for (key, value) in emulator_env(&emulator) {
            ws.env(key, &value);
        }
        ws.env("HW_ASSUME_ROLE_AGENCY_NAME", "mrs_ops")
            .env("HW_ASSUME_ROLE_DOMAIN_NAME", "owner");
        let agency_lines =
            traced_apply_leaks_nothing(ws, &emulator, &job, &[SECRET_KEY], "assume_role");
        assert!(
            !emulator.issued_credentials().is_empty(),
            "agency keys were issued"
        );

        // ECS metadata, nothing else configured.
        let emulator = RunningEmulator::start(EmulatorConfig {
            serve_metadata: true,
            ..EmulatorConfig::default()
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = Workspace::new(tf, &format!("{HEADER}{}", kill_config("k", &job, "")));
        ws.env("HW_REGION_NAME", REGION)
            .env("HW_PROJECT_ID", emulator.project_id())
            .env("HW_MRS_ENDPOINT", &emulator.url())
            .env("HW_METADATA_ENDPOINT", &emulator.url());
        let metadata_lines = traced_apply_leaks_nothing(ws, &emulator, &job, &[], "metadata");
        assert!(
            !emulator.issued_credentials().is_empty(),
            "metadata keys were issued"
        );
        report(
            "trace_logs_hold_no_temporary_secrets",
            format!(
                "terraform {}: {profile_lines} trace lines (profile), {agency_lines} (assume_role), {metadata_lines} (metadata), 0 leaks",
                tf.version
            ),
        );
    }
}

/// The secret values among `values` that `text` holds.
fn echoed<'a>(text: &str, values: &[&'a str]) -> Vec<&'a str> {
    values
        .iter()
        .copied()
        .filter(|value| !value.is_empty() && text.contains(value))
        .collect()
}

#[test]
fn a_server_echoing_the_request_headers_in_a_401_or_500_body_shows_no_secret() {
    use std::sync::{Arc, Mutex};

    use super::raw_server::{RawServer, http_answer};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let tf = &terraforms()[0];
    for status in [401u16, 500] {
        for auth in ["aksk", "token"] {
            // Every signature the server was sent, to look for afterwards.
            let signatures = Arc::new(Mutex::new(Vec::<String>::new()));
            let seen = signatures.clone();
            let server = runtime.block_on(RawServer::start(Arc::new(move |head: &str| {
                for line in head.lines() {
                    if let Some(at) = line.find("Signature=") {
                        let signature = line[at + "Signature=".len()..].trim().to_owned();
                        seen.lock().unwrap().push(signature);
                    }
                }
                // Some gateways answer with the request they got, headers and all.
                let body = format!(
                    "{{\"error_msg\": \"request refused: {}\", \"request\": {head:?}}}",
                    head.lines().collect::<Vec<_>>().join(" | ")
                );
                http_answer(
                    status,
                    &[("Content-Type", "application/json")],
                    body.as_bytes(),
                )
            })));
            let mut ws = Workspace::new(tf, &format!("{HEADER}{}", kill_config("k", CLUSTER, "")));
            let log = ws.path().join("trace.log");
            ws.env("HW_REGION_NAME", REGION)
                .env("HW_PROJECT_ID", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
                .env("HW_MRS_ENDPOINT", &server.url())
                .env("HW_MAX_RETRIES", "1")
                .env("TF_LOG", "trace")
                .env("TF_LOG_PATH", &log.display().to_string());
            let mut secrets = vec![SECRET_KEY, SECURITY_TOKEN, IAM_TOKEN];
            if auth == "aksk" {
                ws.env("HW_ACCESS_KEY", ACCESS_KEY)
                    .env("HW_SECRET_KEY", SECRET_KEY)
                    .env("HW_SECURITY_TOKEN", SECURITY_TOKEN);
                secrets.push(ACCESS_KEY);
            } else {
                ws.env("HW_AUTH_TOKEN", IAM_TOKEN);
            }
            let run = ws.apply(&[]);
            assert!(!run.success, "{status} {auth}: {}", run.all());
            let output = run.all();
            assert!(
                output.contains(&status.to_string()) && output.contains("request refused"),
                "{status} {auth}: the error is shown: {output}"
            );
            let sent = signatures.lock().unwrap().clone();
            if auth == "aksk" {
                assert!(!sent.is_empty(), "the server saw signed requests");
            }
            let mut all = secrets.clone();
            all.extend(sent.iter().map(String::as_str));
            let log_text = std::fs::read_to_string(&log).expect("trace log");
            assert!(
                echoed(&output, &all).is_empty(),
                "{status} {auth}: output shows {:?}: {output}",
                echoed(&output, &all)
            );
            assert!(
                echoed(&log_text, &all).is_empty(),
                "{status} {auth}: trace log shows {:?}",
                echoed(&log_text, &all)
            );
            assert!(
                output.contains("***"),
                "{status} {auth}: the echo is shown with its secrets blotted out: {output}"
            );
            report(
                "echoed_secrets",
                format!(
                    "HTTP {status} echoing the request ({auth}): {} signatures and the credentials absent from output and {} trace lines",
                    sent.len(),
                    log_text.lines().count()
                ),
            );
        }
    }
}
