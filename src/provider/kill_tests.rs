//! The kill's convergence rules against the emulator (which shares no code with the client),
//! call by call and without Terraform.

use std::sync::Mutex;

use mrs_emulator::{
    Emulator, EmulatorConfig, EmulatorHandle, FaultPlan, FaultStep, JobState as Emulated,
    KILL_FAILED_BODY, Route,
};

use super::*;
use crate::framework::Severity;
use crate::mrs::{ClientConfig, Credentials, MrsClient};
use crate::tfvalue::AttributePath;

const CLUSTER: &str = "c0ffee00-0000-4000-8000-00000000c111";

fn client(emulator: &EmulatorHandle) -> MrsClient {
    let mut config = ClientConfig::new(
        emulator.region(),
        Credentials::AkSk {
            access_key: mrs_emulator::DEFAULT_ACCESS_KEY.into(),
            secret_key: mrs_emulator::DEFAULT_SECRET_KEY.into(),
            security_token: None,
        },
    );
    config.endpoint = Some(emulator.url());
    config.iam_endpoint = Some(emulator.url());
    config.project_id = Some(emulator.project_id().to_owned());
    MrsClient::new(config).expect("client")
}

async fn emulator(kill_delay_ms: u64) -> EmulatorHandle {
    Emulator::start(EmulatorConfig {
        kill_delay: Duration::from_millis(kill_delay_ms),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator")
}

/// What one kill produced.
struct Outcome {
    report: Option<KillReport>,
    diags: Diagnostics,
    progress: Vec<String>,
}

impl Outcome {
    fn texts(&self, severity: Severity) -> Vec<String> {
        self.diags
            .iter()
            .filter(|d| d.severity == severity)
            .map(|d| format!("{} | {}", d.summary, d.detail))
            .collect()
    }
}

async fn run_kill(
    emulator: &EmulatorHandle,
    job_id: &str,
    wait: bool,
    timeout: Duration,
    caller: Caller,
) -> Outcome {
    let client = client(emulator);
    let stop = CancellationToken::new();
    let progress = Mutex::new(Vec::new());
    let record = |line: String| progress.lock().expect("progress").push(line);
    let mut diags = Diagnostics::new();
    let report = kill_job(
        KillJob {
            client: &client,
            project_id: emulator.project_id(),
            cluster_id: CLUSTER,
            job_id,
            wait,
            deadline: Instant::now() + timeout,
            stop: &stop,
            caller,
            earlier: None,
        },
        &record,
        &mut diags,
    )
    .await;
    Outcome {
        report,
        diags,
        progress: progress.into_inner().expect("progress"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_killed_before_the_kill_is_success_with_a_warning_and_one_kill_post() {
    let emu = emulator(0).await;
    let job = emu.add_job(CLUSTER, None, Some(Emulated::Killed));
    let out = run_kill(&emu, &job, false, Duration::from_secs(20), Caller::Resource).await;
    assert!(out.texts(Severity::Error).is_empty(), "{:?}", out.diags);
    let report = out.report.clone().expect("converged");
    assert_eq!(report.final_state, Some(JobState::Killed));
    let warnings = out.texts(Severity::Warning);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("already killed") && w.contains("outside Terraform")),
        "{warnings:?}"
    );
    let stats = emu.stats();
    assert_eq!(stats.requests.kill, 1, "no second kill after the 0175");
    assert_eq!(stats.kills_refused.get(&job), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_job_is_success_recording_finished_and_saying_it_ended_by_itself() {
    let emu = emulator(0).await;
    let job = emu.add_job(CLUSTER, None, Some(Emulated::Finished));
    let out = run_kill(&emu, &job, false, Duration::from_secs(20), Caller::Resource).await;
    assert!(out.texts(Severity::Error).is_empty(), "{:?}", out.diags);
    assert_eq!(
        out.report.clone().expect("converged").final_state,
        Some(JobState::Finished)
    );
    let warnings = out.texts(Severity::Warning).join("\n");
    assert!(
        warnings.contains("ended by itself as FINISHED") && warnings.contains("postcondition"),
        "{warnings}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answer_then_0175_while_still_dying_is_watched_until_killed() {
    let emu = emulator(1_500).await;
    let job = emu.add_job(CLUSTER, None, Some(Emulated::Running));
    emu.set_faults(FaultPlan::none().on(Route::Kill, [FaultStep::DropAfter]));
    let out = run_kill(&emu, &job, false, Duration::from_secs(20), Caller::Resource).await;
    assert!(out.texts(Severity::Error).is_empty(), "{:?}", out.diags);
    assert_eq!(
        out.report.clone().expect("converged").final_state,
        Some(JobState::Killed)
    );
    let warnings = out.texts(Severity::Warning).join("\n");
    assert!(
        warnings.contains("earlier kill was taking effect"),
        "{warnings}"
    );
    let snapshot = emu.job(CLUSTER, &job).expect("job");
    assert_eq!(snapshot.kill_requests, 1, "the carried-out kill");
    assert_eq!(snapshot.refused_kill_requests, 1, "the retry's 0175");
    assert_eq!(snapshot.kills_after_refusal, 0, "no kill after the 0175");
    assert!(
        out.progress.iter().any(|p| p.contains("RUNNING → KILLED")),
        "{:?}",
        out.progress
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_0175_on_a_job_that_stays_running_is_an_error_with_code_message_and_state() {
    let emu = emulator(0).await;
    let job = emu.add_job(CLUSTER, None, Some(Emulated::Running));
    emu.set_faults(FaultPlan::none().on(
        Route::Kill,
        [FaultStep::Status {
            status: 400,
            retry_after: None,
            body: Some(KILL_FAILED_BODY.to_owned()),
        }],
    ));
    let out = run_kill(&emu, &job, false, Duration::from_secs(3), Caller::Resource).await;
    assert!(out.report.is_none(), "nothing to record");
    let errors = out.texts(Severity::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    for needle in [
        "0175",
        "Failed to terminate the job.",
        "RUNNING",
        "No second kill",
    ] {
        assert!(errors[0].contains(needle), "{needle}: {}", errors[0]);
    }
    assert_eq!(emu.stats().requests.kill, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_that_times_out_after_a_202_still_reports_the_kill_with_the_error() {
    let emu = emulator(60_000).await;
    let job = emu.add_job(CLUSTER, None, Some(Emulated::Running));
    let out = run_kill(&emu, &job, true, Duration::from_secs(2), Caller::Resource).await;
    let report = out.report.clone().expect("the accepted kill is kept");
    assert!(report.request_id.is_some());
    assert_eq!(report.final_state, None);
    let errors = out.texts(Severity::Error).join("\n");
    assert!(
        errors.contains("Timed out") && errors.contains("tainted"),
        "{errors}"
    );
    assert!(!errors.contains("Nothing was recorded"), "{errors}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_job_and_cluster_are_errors_on_the_attribute_that_names_them() {
    let emu = emulator(0).await;
    emu.add_job(CLUSTER, None, Some(Emulated::Running));
    let out = run_kill(
        &emu,
        "no-such-job",
        false,
        Duration::from_secs(5),
        Caller::Resource,
    )
    .await;
    let error = out.diags.iter().next().expect("an error");
    assert_eq!(
        error.attribute,
        Some(AttributePath::attr("job_execution_id"))
    );
    assert_eq!(
        error.summary,
        format!("No job no-such-job on cluster {CLUSTER}")
    );

    let client = client(&emu);
    let stop = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let report = kill_job(
        KillJob {
            client: &client,
            project_id: emu.project_id(),
            cluster_id: "no-such-cluster",
            job_id: "j",
            wait: false,
            deadline: Instant::now() + Duration::from_secs(5),
            stop: &stop,
            caller: Caller::Resource,
            earlier: None,
        },
        &|_| {},
        &mut diags,
    )
    .await;
    assert!(report.is_none());
    let error = diags.iter().next().expect("an error");
    assert_eq!(error.attribute, Some(AttributePath::attr("cluster_id")));
    assert!(error.detail.contains("12000003"), "{}", error.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_messages_speak_of_the_action_and_progress_has_no_brackets() {
    let emu = emulator(60_000).await;
    let dying = emu.add_job(CLUSTER, None, Some(Emulated::Running));
    let timed_out = run_kill(&emu, &dying, true, Duration::from_secs(2), Caller::Action).await;
    let finished = emu.add_job(CLUSTER, None, Some(Emulated::Finished));
    let ended = run_kill(
        &emu,
        &finished,
        false,
        Duration::from_secs(5),
        Caller::Action,
    )
    .await;
    assert!(ended.texts(Severity::Error).is_empty(), "{:?}", ended.diags);
    assert!(
        ended
            .progress
            .iter()
            .any(|p| p.contains("has ended as FINISHED")),
        "the progress names what was found: {:?}",
        ended.progress
    );
    for out in [&timed_out, &ended] {
        for text in out
            .texts(Severity::Error)
            .iter()
            .chain(&out.texts(Severity::Warning))
        {
            for word in ["state", "final_job_state", "timeouts", "apply"] {
                assert!(
                    !text.contains(word),
                    "{word:?} in an action message: {text}"
                );
            }
        }
        for line in &out.progress {
            assert!(!line.contains(['[', ']']), "{line}");
        }
    }
    assert!(
        timed_out
            .texts(Severity::Error)
            .iter()
            .any(|e| e.contains("action's timeout")),
        "{:?}",
        timed_out.diags
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_hands_over_each_page_while_the_next_pages_wait_on_the_channel() {
    let emu = emulator(0).await;
    for _ in 0..250 {
        emu.add_job(CLUSTER, None, Some(Emulated::Running));
    }
    let client = client(&emu);
    let project = emu.project_id().to_owned();
    // Room for one page: the listing cannot end before the pages are taken.
    let (pages_tx, mut pages_rx) = tokio::sync::mpsc::channel(1);
    let listing = tokio::spawn({
        let client = client.clone();
        async move {
            let filter = crate::mrs::JobFilter::default();
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            client
                .list_jobs_each_page(&project, CLUSTER, &filter, deadline, Some(&pages_tx))
                .await
        }
    });
    let first = pages_rx.recv().await.expect("page 1");
    assert_eq!(first.len(), 100);
    assert!(
        !listing.is_finished(),
        "page 1 is in hand while the listing still has pages to hand over"
    );
    let mut sizes = vec![first.len()];
    while let Some(page) = pages_rx.recv().await {
        sizes.push(page.len());
    }
    assert_eq!(sizes, [100, 100, 50]);
    let listed = listing.await.expect("listing task").expect("listing");
    assert_eq!(listed.len(), 250);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quieting_without_targets_lists_and_kills_every_page() {
    use crate::provider::quiet::{Quiet, Selection, quiet_cluster};
    let emu = emulator(0).await;
    for _ in 0..250 {
        emu.add_job(CLUSTER, None, Some(Emulated::Running));
    }
    emu.add_job(CLUSTER, None, Some(Emulated::Finished));
    let client = client(&emu);
    let selection = Selection {
        cluster_id: CLUSTER.to_owned(),
        ..Selection::default()
    };
    let stop = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let report = quiet_cluster(
        Quiet {
            client: &client,
            project_id: emu.project_id(),
            targets: None,
            cluster_id: CLUSTER,
            wait: false,
            deadline: Instant::now() + Duration::from_secs(60),
            stop: &stop,
            caller: Caller::Resource,
            already: Vec::new(),
            selection: &selection,
            on_record: &|_| {},
        },
        &|_| {},
        &mut diags,
    )
    .await;
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(report.killed.len(), 250);
    assert_eq!(report.listed.map(|l| l.len()), Some(250));
    let stats = emu.stats();
    assert_eq!(
        stats.requests.kill, 250,
        "each pending job killed once, no ended one"
    );
}
