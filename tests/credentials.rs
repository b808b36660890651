//! End to end: every way Huawei Cloud users sign in, with real Terraform against the emulator —
//! KooCLI profiles (AKSK with a token, SSO, the current profile), an assumed agency, ECS instance
//! metadata (through the loopback override), keys renewed before they expire, and the single
//! error a machine with no credentials at all gets; then the sources on their own against the
//! emulator (retries, an agency assumed with metadata keys, a refused base signature).

pub mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::emulator::{ACCESS_KEY, REGION, RunningEmulator, SECRET_KEY};
use common::scenario::{CLUSTER, HEADER, kill_config, provider_block};
use common::terraform::{Run, TerraformBin, Workspace, terraforms};
use mrs_emulator::{
    Agency, DEFAULT_AGENCY_DOMAIN_ID, Emulator, EmulatorConfig, FaultPlan, JobState, Route,
};
use terraform_provider_mrs::mrs::credentials::{AgencyDomain, AssumeRole};
use terraform_provider_mrs::mrs::{ClientConfig, Credentials, TemporaryCredentials};

/// A region other than the default, so a region that arrives proves where it came from.
const PROFILE_REGION: &str = "ap-southeast-3";
const PROFILE_PROJECT: &str = "5e6f7a8b9c0d41e2a3b4c5d6e7f80912";
const PROFILE_TOKEN: &str = "profile-security-token-4b1e";
const SSO_ACCESS_KEY: &str = "SSOSTSACCESSKEY";
const SSO_SECRET_KEY: &str = "sso-sts-secret";
const SSO_TOKEN: &str = "sso-sts-security-token-91c2";

/// KooCLI's file: `ci` (AKSK with a token, region and project), `sso` (the current one: SSO mode,
/// its top-level keys unusable, the STS keys the emulator accepts).
fn write_koocli_config(dir: &Path) -> std::path::PathBuf {
    let file = serde_json::json!({
        "current": "sso",
        "profiles": [
            {"name": "ci", "mode": "AKSK", "accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY,
             "securityToken": PROFILE_TOKEN, "region": PROFILE_REGION, "projectId": PROFILE_PROJECT,
             "language": "en"},
            {"name": "sso", "mode": "SSO", "accessKeyId": "NOTTHESSOKEY", "secretAccessKey": "wrong",
             "region": PROFILE_REGION,
             "ssoAuth": {"stsToken": {"accessKeyId": SSO_ACCESS_KEY, "secretAccessKey": SSO_SECRET_KEY,
                                      "securityToken": SSO_TOKEN}}}
        ]
    });
    std::fs::create_dir_all(dir).expect("config dir");
    let path = dir.join("config.json");
    std::fs::write(&path, file.to_string()).expect("write KooCLI config");
    path
}

/// An emulator for the profile's region and project.
fn profile_emulator(
    security_tokens: Vec<String>,
    credentials: Vec<(String, String)>,
) -> RunningEmulator {
    RunningEmulator::start(EmulatorConfig {
        region: PROFILE_REGION.into(),
        project_id: PROFILE_PROJECT.into(),
        security_tokens: Some(security_tokens),
        credentials,
        ..EmulatorConfig::default()
    })
}

fn endpoints(ws: &mut Workspace, emulator: &RunningEmulator) {
    ws.env("HW_MRS_ENDPOINT", &emulator.url())
        .env("HW_IAM_ENDPOINT", &emulator.url());
}

fn attribute_in_state(ws: &Workspace, name: &str) -> Option<String> {
    let state = ws.state_json()?;
    state["resources"][0]["instances"][0]["attributes"][name]
        .as_str()
        .map(str::to_owned)
}

fn error_count(run: &Run) -> usize {
    run.all().matches("Error: ").count()
}

#[test]
fn profile_in_aksk_mode_signs_with_its_keys_and_token_and_brings_region_and_project() {
    for tf in terraforms() {
        let emulator = profile_emulator(
            vec![PROFILE_TOKEN.into()],
            vec![(ACCESS_KEY.into(), SECRET_KEY.into())],
        );
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let mut ws = Workspace::new(tf, &format!("{HEADER}{}", kill_config("k", &job, "")));
        // HW_PROFILE alone: KooCLI's default file under HOME; no region or project anywhere else.
        let home = ws.path().join("home");
        write_koocli_config(&home.join(".hcloud"));
        ws.env("HOME", &home.display().to_string())
            .env("HW_PROFILE", "ci");
        endpoints(&mut ws, &emulator);
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert_eq!(emulator.stats().kills_accepted_for(&job), 1);
        assert_eq!(emulator.stats().rejected_signatures, 0);
        // The project came from the profile: no IAM lookup, and MRS accepted it.
        assert_eq!(emulator.stats().requests.iam, 0);
        assert_eq!(
            attribute_in_state(&ws, "region").as_deref(),
            Some(PROFILE_REGION)
        );
        assert_eq!(
            attribute_in_state(&ws, "project_id").as_deref(),
            Some(PROFILE_PROJECT)
        );
        assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));
    }
}

#[test]
fn current_profile_in_sso_mode_signs_with_the_sts_token_keys() {
    for tf in terraforms() {
        // Only the STS keys of the SSO profile are accepted, not its top-level ones.
        let emulator = profile_emulator(
            vec![SSO_TOKEN.into()],
            vec![(SSO_ACCESS_KEY.into(), SSO_SECRET_KEY.into())],
        );
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let dir = tempfile::tempdir().expect("temp dir");
        let file = write_koocli_config(dir.path());
        let hcl = format!(
            "{}{}",
            provider_block(&format!("  shared_config_file = \"{}\"\n", file.display())),
            kill_config("k", &job, "")
        );
        let mut ws = Workspace::new(tf, &hcl);
        endpoints(&mut ws, &emulator);
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert_eq!(emulator.stats().kills_accepted_for(&job), 1);
        // The profile has a region but no project: looked up through IAM for that region, once
        // by the provider process that plans (the plan shows it) and once by the one that applies.
        let iam = emulator.stats().requests.iam;
        assert!((1..=2).contains(&iam), "{iam} IAM requests");
        assert_eq!(
            attribute_in_state(&ws, "region").as_deref(),
            Some(PROFILE_REGION)
        );
    }
}

#[test]
fn a_profile_that_is_not_in_the_file_fails_plan_on_the_profile_attribute() {
    let Some(tf) = terraforms().first() else {
        return;
    };
    let emulator = RunningEmulator::start_default();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_koocli_config(dir.path());
    let hcl = format!(
        "{}{}",
        provider_block(&format!(
            "  shared_config_file = \"{}\"\n  profile = \"prod\"\n",
            file.display()
        )),
        kill_config("k", "0b5cbd2d-0a6c-4b8e-9f47-1a2b3c4d5e6f", "")
    );
    let mut ws = Workspace::new(tf, &hcl);
    endpoints(&mut ws, &emulator);
    let run = ws.plan();
    assert!(!run.success);
    let text = run.all();
    assert!(text.contains("Profile not found"), "{text}");
    assert!(
        text.contains("\"prod\"") && text.contains("ci, sso"),
        "{text}"
    );
    // Terraform quotes the attribute the diagnostic is on.
    assert!(text.contains("profile = \"prod\""), "{text}");
    assert_eq!(error_count(&run), 1, "{text}");
    assert_eq!(emulator.stats().requests.total(), 0);
}

/// `config`, with an IAM that also lets the agency `mrs_ops` of `owner-account` be assumed.
fn with_agency(config: EmulatorConfig) -> EmulatorConfig {
    EmulatorConfig {
        agency: Some(Agency::new("mrs_ops", "owner-account")),
        ..config
    }
}

fn agency_emulator() -> RunningEmulator {
    RunningEmulator::start(with_agency(EmulatorConfig::default()))
}

fn aksk_env(ws: &mut Workspace, emulator: &RunningEmulator) {
    ws.env("HW_REGION_NAME", REGION)
        .env("HW_PROJECT_ID", emulator.project_id())
        .env("HW_ACCESS_KEY", ACCESS_KEY)
        .env("HW_SECRET_KEY", SECRET_KEY);
    endpoints(ws, emulator);
}

/// An emulator with the agency `mrs_ops`, one running job on it, and a workspace with AK/SK in
/// the environment whose `mrs_job_kill` kills that job; the provider block holds the lines of
/// `provider_body` (`None`: an empty block).
fn agency_workspace(
    tf: &TerraformBin,
    provider_body: Option<&str>,
) -> (RunningEmulator, String, Workspace) {
    let emulator = agency_emulator();
    let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    let provider = provider_body.map_or_else(|| HEADER.to_owned(), provider_block);
    let mut ws = Workspace::new(tf, &format!("{provider}{}", kill_config("k", &job, "")));
    aksk_env(&mut ws, &emulator);
    (emulator, job, ws)
}

#[test]
fn assume_role_from_aksk_kills_with_the_agencys_temporary_keys() {
    for tf in terraforms() {
        // The block, by account name.
        let (emulator, job, ws) = agency_workspace(
            tf,
            Some(
                "  assume_role {\n    agency_name = \"mrs_ops\"\n    domain_name = \"owner-account\"\n    duration = 900\n  }\n",
            ),
        );
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        let stats = emulator.stats();
        assert!(stats.requests.security_tokens >= 1, "{stats:?}");
        // The securitytokens call is signed with the base keys, the kill with the agency's.
        assert_eq!(
            stats.signed_with_temporary_credentials_on(Route::SecurityTokens),
            0
        );
        assert_eq!(stats.signed_with_temporary_credentials_on(Route::Kill), 1);
        assert_eq!(stats.kills_accepted_for(&job), 1);
        assert_eq!(stats.rejected_signatures, 0);

        // The environment, by account ID, as a CI job feeding the huaweicloud provider sets it.
        let (emulator, _, mut ws) = agency_workspace(tf, None);
        ws.env("HW_ASSUME_ROLE_AGENCY_NAME", "mrs_ops")
            .env("HW_ASSUME_ROLE_DOMAIN_ID", DEFAULT_AGENCY_DOMAIN_ID);
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert_eq!(
            emulator
                .stats()
                .signed_with_temporary_credentials_on(Route::Kill),
            1
        );
    }
}

#[test]
fn an_agency_iam_refuses_fails_plan_on_the_assume_role_block() {
    let Some(tf) = terraforms().first() else {
        return;
    };
    let (emulator, _, ws) = agency_workspace(
        tf,
        Some(
            "  assume_role {\n    agency_name = \"not_trusted\"\n    domain_name = \"owner-account\"\n  }\n",
        ),
    );
    let run = ws.plan();
    assert!(!run.success);
    let text = run.all();
    assert!(text.contains("assume agency not_trusted"), "{text}");
    assert!(text.contains("403"), "{text}");
    assert_eq!(emulator.stats().requests.kill, 0);
}

fn metadata_emulator(lifetime: Option<Duration>) -> RunningEmulator {
    RunningEmulator::start(EmulatorConfig {
        serve_metadata: true,
        temp_credential_lifetime: lifetime,
        // Long enough for several status polls after the kill.
        kill_delay: Duration::from_millis(1200),
        ..EmulatorConfig::default()
    })
}

/// Region, project and endpoints only; the metadata service is the emulator itself.
fn metadata_workspace(tf: &TerraformBin, emulator: &RunningEmulator, job: &str) -> Workspace {
    let body = kill_config("k", job, "  wait_for_termination = true\n");
    let mut ws = Workspace::new(tf, &format!("{HEADER}{body}"));
    ws.env("HW_REGION_NAME", REGION)
        .env("HW_PROJECT_ID", emulator.project_id())
        .env("HW_METADATA_ENDPOINT", &emulator.url());
    endpoints(&mut ws, emulator);
    ws
}

fn signed_with_temporary_keys(emulator: &RunningEmulator) -> u64 {
    emulator
        .stats()
        .signed_with_temporary_credentials
        .values()
        .sum()
}

#[test]
fn metadata_keys_are_fetched_and_used_when_nothing_is_configured() {
    for tf in terraforms() {
        let emulator = metadata_emulator(None);
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let ws = metadata_workspace(tf, &emulator, &job);
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        let stats = emulator.stats();
        assert_eq!(stats.kills_accepted_for(&job), 1);
        assert_eq!(stats.signed_with_temporary_credentials_on(Route::Kill), 1);
        let signed = signed_with_temporary_keys(&emulator);
        assert!(signed >= 2, "the kill and its status polls: {stats:?}");
        // Hour-long keys: fetched once per provider process (plan, apply), not per request.
        assert!(
            stats.requests.metadata >= 1 && stats.requests.metadata <= 3,
            "{stats:?}"
        );
        assert!(stats.requests.metadata < signed, "{stats:?}");
        assert_eq!(
            attribute_in_state(&ws, "final_job_state").as_deref(),
            Some("KILLED")
        );
    }
}

#[test]
fn keys_with_less_than_ten_minutes_left_are_fetched_again_before_the_next_request() {
    for tf in terraforms() {
        // Five-minute keys are inside the renewal margin from the moment they are issued.
        let emulator = metadata_emulator(Some(Duration::from_secs(300)));
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let ws = metadata_workspace(tf, &emulator, &job);
        let run = ws.apply(&[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        let stats = emulator.stats();
        let signed = signed_with_temporary_keys(&emulator);
        assert!(signed >= 2, "{stats:?}");
        // One fetch at each configure, then one before every signed request.
        assert!(
            stats.requests.metadata > signed,
            "every request was preceded by a fetch: {stats:?}"
        );
        assert_eq!(stats.rejected_expired_credentials, 0);
        assert_eq!(stats.kills_accepted_for(&job), 1);
    }
}

#[test]
fn no_credentials_anywhere_fails_plan_with_one_error_naming_every_place_looked_at() {
    let Some(tf) = terraforms().first() else {
        return;
    };
    let emulator = RunningEmulator::start_default();
    let mut ws = Workspace::new(
        tf,
        &format!(
            "{HEADER}{}",
            kill_config("k", "0b5cbd2d-0a6c-4b8e-9f47-1a2b3c4d5e6f", "")
        ),
    );
    // HW_METADATA_ENDPOINT is the suite's closed loopback port (set by Workspace::new).
    ws.env("HW_REGION_NAME", REGION)
        .env("HOME", "/home/nobody-here");
    endpoints(&mut ws, &emulator);
    let run = ws.plan();
    assert!(!run.success);
    let text = run.all();
    assert_eq!(error_count(&run), 1, "{text}");
    for place in [
        "No credentials found",
        "provider block",
        "auth_token",
        "access_key",
        "shared_config_file",
        "HW_ACCESS_KEY",
        "HW_AUTH_TOKEN",
        "HW_SHARED_CONFIG_FILE",
        "HW_PROFILE",
        "/home/nobody-here/.hcloud/config.json",
        "ECS instance metadata",
        "/openstack/latest/securitykey",
    ] {
        assert!(text.contains(place), "{place:?} missing from:\n{text}");
    }
    assert_eq!(emulator.stats().requests.total(), 0);
}

// The credential sources on their own, against the emulator (no Terraform).

fn client_config(url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(REGION, Credentials::Token("unused".into()));
    config.endpoint = Some(url.to_owned());
    config.iam_endpoint = Some(url.to_owned());
    config
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(20)
}

fn agency_role() -> AssumeRole {
    AssumeRole {
        agency_name: "mrs_ops".into(),
        domain: AgencyDomain::Name("owner-account".into()),
        duration_s: 900,
    }
}

/// The keys of [`agency_role`]'s agency, assumed with `base` at the emulator serving `url`.
fn agency_keys(base: Credentials, url: &str) -> TemporaryCredentials {
    TemporaryCredentials::assume_role(
        base,
        agency_role(),
        &client_config(url).identity_service().expect("endpoints"),
    )
    .expect("client")
}

/// The emulator's access key with `secret_key`.
fn access_key_with(secret_key: &str) -> Credentials {
    Credentials::AkSk {
        access_key: ACCESS_KEY.into(),
        secret_key: secret_key.into(),
        security_token: None,
    }
}

#[tokio::test]
async fn metadata_answers_that_fail_at_first_are_retried_and_the_issued_keys_returned() {
    let emulator = Emulator::start(EmulatorConfig {
        serve_metadata: true,
        faults: FaultPlan::none().on(
            Route::Metadata,
            [FaultPlan::status(503), FaultPlan::status(502)],
        ),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let endpoint = url::Url::parse(&emulator.url()).expect("url");
    let metadata =
        TemporaryCredentials::from_ecs_metadata(&endpoint, &client_config(&emulator.url()).tls())
            .expect("client");
    let keys = metadata
        .current(soon())
        .await
        .expect("keys after two retries");
    assert_eq!(emulator.stats().requests.metadata, 3);
    let issued = emulator.issued_credentials();
    assert_eq!(issued.len(), 1);
    assert_eq!(keys.access_key, issued[0].access_key);
    assert_eq!(keys.secret_key, issued[0].secret_key);
    assert_eq!(
        keys.security_token.as_deref(),
        Some(issued[0].security_token.as_str())
    );
    let expires: time::OffsetDateTime = keys.expires_at.expect("expiry").into();
    assert_eq!(
        expires.unix_timestamp(),
        issued[0].expires_at.unix_timestamp()
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_agency_is_assumed_on_top_of_metadata_keys() {
    let emulator = Emulator::start(with_agency(EmulatorConfig {
        serve_metadata: true,
        ..EmulatorConfig::default()
    }))
    .await
    .expect("emulator");
    let config = client_config(&emulator.url());
    let endpoint = url::Url::parse(&emulator.url()).expect("url");
    let metadata =
        TemporaryCredentials::from_ecs_metadata(&endpoint, &config.tls()).expect("client");
    let assumed = agency_keys(Credentials::Temporary(metadata), &emulator.url());
    let keys = assumed.current(soon()).await.expect("agency keys");
    let stats = emulator.stats();
    assert_eq!(stats.requests.metadata, 1);
    assert_eq!(
        stats.signed_with_temporary_credentials_on(Route::SecurityTokens),
        1
    );
    let issued = emulator.issued_credentials();
    assert_eq!(issued.len(), 2, "metadata keys, then the agency's");
    assert_eq!(keys.access_key, issued[1].access_key);
    emulator.shutdown().await;
}

#[tokio::test]
async fn assuming_an_agency_with_a_wrong_secret_is_refused_once_with_401() {
    let emulator = Emulator::start(with_agency(EmulatorConfig::default()))
        .await
        .expect("emulator");
    let assumed = agency_keys(access_key_with("not-the-secret"), &emulator.url());
    let err = assumed.current(soon()).await.expect_err("refused");
    assert_eq!(err.status, Some(401));
    assert_eq!(err.attempts, 1, "401 is not retried");
    assert!(
        err.summary().contains("assume agency mrs_ops"),
        "{}",
        err.summary()
    );
    assert!(emulator.issued_credentials().is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn agency_keys_with_less_than_ten_minutes_left_are_asked_for_again() {
    let emulator = Emulator::start(with_agency(EmulatorConfig {
        temp_credential_lifetime: Some(Duration::from_secs(300)),
        ..EmulatorConfig::default()
    }))
    .await
    .expect("emulator");
    let assumed = agency_keys(access_key_with(SECRET_KEY), &emulator.url());
    let first = assumed.current(soon()).await.expect("agency keys");
    let second = assumed.current(soon()).await.expect("agency keys again");
    assert_ne!(first.access_key, second.access_key, "renewed, not reused");
    assert_eq!(emulator.stats().requests.security_tokens, 2);
    emulator.shutdown().await;
}
