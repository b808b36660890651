//! 9. Hostile responses, against the MRS client.

use super::*;

async fn client_for(emulator: &mrs_emulator::EmulatorHandle, timeout: Duration) -> MrsClient {
    let mut config = common::emulator::client_config(&emulator.url());
    config.project_id = Some(emulator.project_id().to_owned());
    config.max_retries = 2;
    config.request_timeout = timeout;
    MrsClient::new(config).expect("client")
}

async fn kill_with(
    step: FaultStep,
    timeout: Duration,
) -> (Result<u16, ApiError>, mrs_emulator::Stats) {
    let emulator = Emulator::start(EmulatorConfig {
        faults: FaultPlan::none().on(Route::Kill, [step]),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    let client = client_for(&emulator, timeout).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let result = client
        .kill_job(emulator.project_id(), CLUSTER, &job, deadline)
        .await
        .map(|accepted| accepted.status);
    let stats = emulator.stats();
    emulator.shutdown().await;
    (result, stats)
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_error_body_is_capped_and_reported_with_its_status() {
    let (result, stats) = kill_with(
        FaultStep::HugeBody {
            status: 400,
            bytes: 64 * 1024 * 1024,
        },
        Duration::from_secs(30),
    )
    .await;
    let err = result.expect_err("a 400 is an error");
    let text = err.to_string();
    assert!(text.contains("400"), "{text}");
    assert!(
        text.len() < 16 * 1024,
        "the message is short: {} bytes",
        text.len()
    );
    assert_eq!(stats.requests.kill, 1, "a 400 is not retried");
    report(
        "huge_body",
        format!("64 MiB 400 body → error of {} bytes", text.len()),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_success_body_is_capped_and_the_kill_still_succeeds() {
    let (result, stats) = kill_with(
        FaultStep::HugeBody {
            status: 202,
            bytes: 64 * 1024 * 1024,
        },
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(result.expect("a 202 is success whatever its body"), 202);
    assert_eq!(stats.requests.kill, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_and_html_bodies_give_a_clean_error_with_the_status() {
    let (result, _) = kill_with(FaultStep::Garbage { status: 400 }, Duration::from_secs(30)).await;
    let text = result.expect_err("garbage 400").to_string();
    assert!(text.contains("400"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "no raw bytes: {text:?}"
    );

    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let (result, stats) = kill_with(
        FaultStep::Status {
            status: 403,
            retry_after: None,
            body: Some(html.into()),
        },
        Duration::from_secs(30),
    )
    .await;
    let text = result.expect_err("html 403").to_string();
    assert!(text.contains("403"), "{text}");
    assert!(
        !text.contains("<html>"),
        "the page is summarised, not dumped: {text}"
    );
    assert_eq!(stats.requests.kill, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn accepted_kill_with_an_unexpected_body_is_still_success() {
    for body in [
        "not json",
        "{\"unexpected\": [1,2,3]}",
        "<html>ok</html>",
        "\u{0}\u{1}",
    ] {
        let (result, _) = kill_with(
            FaultStep::Status {
                status: 202,
                retry_after: None,
                body: Some(body.into()),
            },
            Duration::from_secs(30),
        )
        .await;
        assert_eq!(result.expect("202 is success"), 202, "{body:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hanging_response_is_cut_by_request_timeout_and_retried() {
    let (result, stats) = kill_with(FaultStep::Hang, Duration::from_secs(1)).await;
    assert_eq!(result.expect("the retry succeeds"), 202);
    assert_eq!(stats.requests.kill, 2, "one hung attempt, one retry");
    assert_eq!(stats.kills_accepted.values().sum::<u64>(), 1);
}
