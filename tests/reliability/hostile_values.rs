//! 7. Hostile values.

use super::*;

fn hostile_strings() -> Vec<String> {
    let mut all: Vec<String> = [
        "",
        "/",
        "..",
        "../x",
        "?",
        "a?b=1",
        "#",
        "a#b",
        "%",
        "%2F",
        "a b",
        " ",
        "ünïcode",
        "日本語",
        "tab\there",
        "nul\u{0}",
        "new\nline",
        "cr\rlf",
        "esc\u{1b}[31m",
        "del\u{7f}",
    ]
    .iter()
    .map(|v| (*v).to_owned())
    .collect();
    all.push("x".repeat(10_000));
    all.push("é".repeat(5_000));
    all
}

#[tokio::test]
async fn hostile_provider_block_values_are_diagnosed_on_their_attribute() {
    let plugin = PluginProcess::launch().await;
    // Attributes whose value becomes part of a URL or a duration: anything hostile is refused.
    let strict = [
        "region",
        "project_id",
        "endpoint",
        "iam_endpoint",
        "cloud",
        "request_timeout",
    ];
    // Credentials and file paths are opaque: they may be accepted, but a diagnostic, if any,
    // must sit on the attribute; control characters must be refused (they cannot go in a header).
    let opaque = [
        "access_key",
        "secret_key",
        "security_token",
        "auth_token",
        "ca_cert_file",
    ];
    let mut tried = 0;
    let mut refused = 0;
    for attribute in strict.iter().chain(opaque.iter()) {
        for bad in hostile_strings() {
            let diagnostics =
                validate_provider(&mut plugin.provider(), &[(attribute, s(&bad))]).await;
            tried += 1;
            let paths = error_paths(&diagnostics);
            for path in &paths {
                assert_eq!(path, &vec![attribute.to_string()], "{attribute} = {bad:?}");
            }
            let has_control = bad.chars().any(char::is_control);
            let must_refuse =
                strict.contains(attribute) || (has_control && *attribute != "ca_cert_file");
            // An empty string means "use the environment / default" for the opaque ones and region.
            let may_be_empty = bad.is_empty();
            if must_refuse && !may_be_empty && *attribute != "request_timeout" {
                assert!(!paths.is_empty(), "{attribute} = {bad:?} must be refused");
            }
            if *attribute == "request_timeout" && !may_be_empty {
                assert!(!paths.is_empty(), "{attribute} = {bad:?} is not a duration");
            }
            refused += usize::from(!paths.is_empty());
        }
    }
    report(
        "hostile_provider_values",
        format!("{tried} ValidateProviderConfig calls, {refused} refused on their attribute"),
    );
    plugin.shutdown_and_wait().await;
}

fn timeouts_object(create: Value) -> Value {
    Value::Object([("create".to_owned(), create)].into_iter().collect())
}

#[tokio::test]
async fn unicode_triggers_are_accepted_and_hostile_create_timeouts_are_refused() {
    let plugin = PluginProcess::launch().await;
    let ids = [("cluster_id", s(CLUSTER)), ("job_execution_id", s("job-1"))];
    let mut triggers = std::collections::BTreeMap::new();
    for (i, v) in hostile_strings().into_iter().enumerate() {
        triggers.insert(
            format!("ключ-{i}-{}", v.chars().take(8).collect::<String>()),
            s(&v),
        );
    }
    triggers.insert(String::new(), s("empty key"));
    let mut pairs = ids.to_vec();
    pairs.push(("triggers", Value::Map(triggers)));
    let diagnostics = validate_job_kill(&mut plugin.provider(), &pairs).await;
    assert!(
        error_paths(&diagnostics).is_empty(),
        "triggers are free text: {diagnostics:?}"
    );

    let mut refused = 0;
    for bad in hostile_strings().into_iter().chain([
        "-1s".into(),
        "10".into(),
        "1y".into(),
        "99999999999999999999999h".into(),
    ]) {
        let mut pairs = ids.to_vec();
        pairs.push(("timeouts", timeouts_object(s(&bad))));
        let diagnostics = validate_job_kill(&mut plugin.provider(), &pairs).await;
        let paths = error_paths(&diagnostics);
        assert_eq!(paths.len(), 1, "timeouts.create = {bad:?}: {diagnostics:?}");
        assert_eq!(
            paths[0],
            vec!["timeouts".to_owned(), "create".to_owned()],
            "{bad:?}"
        );
        refused += 1;
    }
    // Unknown values (Terraform sends them at validate time) are not errors.
    let mut pairs = ids.to_vec();
    pairs.push(("timeouts", timeouts_object(Value::Unknown)));
    pairs.push(("triggers", Value::Unknown));
    let diagnostics = validate_job_kill(&mut plugin.provider(), &pairs).await;
    assert!(error_paths(&diagnostics).is_empty(), "{diagnostics:?}");
    report(
        "hostile_timeouts",
        format!("{refused} bad timeouts.create values refused on timeouts.create"),
    );
    plugin.shutdown_and_wait().await;
}

#[test]
fn terraform_plan_with_hostile_values_sends_no_request() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let cases = [
            (
                "provider region",
                format!(
                    "provider \"mrs\" {{\n  region = \"cn-north-4/../x\"\n}}\n{}",
                    kill_config("k", &job, "")
                ),
                "region",
            ),
            (
                "provider endpoint",
                format!(
                    "provider \"mrs\" {{\n  endpoint = \"http://evil?#\\n\"\n}}\n{}",
                    kill_config("k", &job, "")
                ),
                "endpoint",
            ),
            (
                "provider cloud",
                format!(
                    "provider \"mrs\" {{\n  cloud = \"a b\\u0000\"\n}}\n{}",
                    kill_config("k", &job, "")
                ),
                "cloud",
            ),
            (
                "timeouts.create",
                format!(
                    "provider \"mrs\" {{}}\n{}",
                    kill_config("k", &job, "  timeouts {\n    create = \"soon\"\n  }\n")
                ),
                "create",
            ),
            (
                "cluster_id",
                format!(
                    "provider \"mrs\" {{}}\n{}",
                    kill_config("k", &job, "").replace(CLUSTER, "../\\u00e9%2F?#")
                ),
                "cluster_id",
            ),
        ];
        for (what, body, attribute) in &cases {
            let hcl = format!("{TERRAFORM_BLOCK}{body}");
            let mut ws = Workspace::new(tf, &hcl);
            for (key, value) in emulator_env(&emulator) {
                ws.env(key, &value);
            }
            let run = ws.plan();
            assert!(!run.success, "terraform {} {what}: must fail", tf.version);
            assert!(run.all().contains(attribute), "{what}: {}", run.all());
        }
        assert_eq!(
            emulator.stats().requests.total(),
            0,
            "no request reached the emulator"
        );
        report(
            "terraform_plan_hostile_values",
            format!(
                "terraform {}: {} plans refused, 0 requests",
                tf.version,
                cases.len()
            ),
        );
    }
}
