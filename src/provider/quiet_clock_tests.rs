//! The convergence rules of `quiet.rs` and `kill.rs` against a scripted cluster on tokio's
//! paused clock: waits of seconds or minutes run in milliseconds, and the times asserted are
//! the clock's, not the machine's.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use futures::FutureExt as _;

use super::*;
use crate::framework::Severity;
use crate::provider::scripted_cluster::{ScriptedCluster, ScriptedJob};

const CLUSTER: &str = "c-scripted";

/// What one quieting produced.
struct Run {
    report: QuietReport,
    diags: Diagnostics,
    /// Every list handed to `on_record`, in order.
    recorded: Vec<Vec<KilledJob>>,
    /// Clock time the quieting took.
    took: Duration,
}

impl Run {
    fn errors(&self) -> Vec<String> {
        self.texts(Severity::Error)
    }

    fn texts(&self, severity: Severity) -> Vec<String> {
        self.diags
            .iter()
            .filter(|d| d.severity == severity)
            .map(|d| format!("{} | {}", d.summary, d.detail))
            .collect()
    }

    fn states(&self) -> Vec<Option<&str>> {
        self.report
            .killed
            .iter()
            .map(|j| j.final_job_state.as_deref())
            .collect()
    }
}

fn every_pending_job() -> Selection {
    Selection {
        cluster_id: CLUSTER.to_owned(),
        ..Selection::default()
    }
}

/// Lists, kills and waits as the resource does: `quiet_cluster` lists the jobs itself, killing
/// page by page, and waits.
async fn quiet(cluster: &ScriptedCluster, timeout: Duration, stop: &CancellationToken) -> Run {
    let started = Instant::now();
    let deadline = started + timeout;
    let selection = every_pending_job();
    let recorded = Mutex::new(Vec::new());
    let on_record = |jobs: &[KilledJob]| recorded.lock().expect("recorded").push(jobs.to_vec());
    let mut diags = Diagnostics::new();
    let report = quiet_cluster(
        Quiet {
            client: cluster,
            project_id: "p",
            targets: None,
            cluster_id: CLUSTER,
            wait: true,
            deadline,
            stop,
            caller: Caller::Resource,
            already: Vec::new(),
            selection: &selection,
            on_record: &on_record,
        },
        &|_| {},
        &mut diags,
    )
    .await;
    Run {
        report,
        diags,
        recorded: recorded.into_inner().expect("recorded"),
        took: started.elapsed(),
    }
}

fn jobs(prefix: &str, count: usize, dies_after: Duration) -> Vec<ScriptedJob> {
    (0..count)
        .map(|i| ScriptedJob::running(format!("{prefix}{i}"), dies_after))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_job_that_dies_25_s_after_its_kill_is_waited_for_and_recorded_killed() {
    let cluster = ScriptedCluster::with_jobs(jobs("slow", 1, Duration::from_secs(25)));
    let run = quiet(&cluster, Duration::from_secs(60), &CancellationToken::new()).await;
    assert!(run.errors().is_empty(), "{:?}", run.errors());
    assert_eq!(run.states(), [Some("KILLED")]);
    assert_eq!(cluster.kills_sent(), 1, "one kill, however long the death");
    assert!(
        run.took >= Duration::from_secs(25) && run.took < Duration::from_secs(30),
        "waited {:?}: until the death, and not much longer",
        run.took
    );
    assert!(cluster.pending_now().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_cluster_that_never_goes_quiet_fails_at_the_deadline_naming_a_hundred_jobs_then_a_count()
{
    let cluster = ScriptedCluster::with_jobs(jobs("first", 3, Duration::from_secs(1)));
    // 150 matching jobs arrive every second, for longer than the timeout.
    for second in 1..=40u64 {
        cluster.add(
            jobs(&format!("s{second}-"), 150, Duration::from_secs(1))
                .into_iter()
                .map(|j| j.arriving_after(Duration::from_secs(second))),
        );
    }
    let run = quiet(&cluster, Duration::from_secs(10), &CancellationToken::new()).await;
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("The cluster did not become quiet |"),
        "{errors:?}"
    );
    assert!(
        errors[0].contains("150 job(s) were still pending and not killed")
            && errors[0].contains(" and 50 more."),
        "the first hundred named, then a count: {errors:?}"
    );
    assert!(run.took <= Duration::from_secs(10), "took {:?}", run.took);
    // Every kill MRS accepted stays in the report, and was on record before the end.
    assert_eq!(run.report.killed.len(), cluster.kills_sent());
    assert!(
        run.report.killed.len() > 1000,
        "{}",
        run.report.killed.len()
    );
    assert_eq!(run.recorded.last(), Some(&run.report.killed));
    assert!(
        run.recorded.len() * 10 < run.report.killed.len(),
        "{} records of {} kills: batched, not one copy of the list per kill",
        run.recorded.len(),
        run.report.killed.len()
    );
}

#[tokio::test(start_paused = true)]
async fn jobs_arriving_during_the_wait_are_killed_and_waited_for_too() {
    let cluster = ScriptedCluster::with_jobs(jobs("early", 2, Duration::from_secs(5)));
    cluster.add(
        jobs("late", 2, Duration::from_secs(5))
            .into_iter()
            .map(|j| j.arriving_after(Duration::from_secs(2))),
    );
    let run = quiet(&cluster, Duration::from_secs(60), &CancellationToken::new()).await;
    assert!(run.errors().is_empty(), "{:?}", run.errors());
    let ids: Vec<&str> = run
        .report
        .killed
        .iter()
        .map(|j| j.job_id.as_str())
        .collect();
    assert_eq!(ids, ["early0", "early1", "late0", "late1"]);
    assert_eq!(run.states(), [Some("KILLED"); 4]);
    assert_eq!(cluster.kills_sent(), 4, "no job killed twice");
    assert!(cluster.pending_now().is_empty(), "quiet means quiet");
}

#[tokio::test(start_paused = true)]
async fn a_0175_on_a_job_being_killed_is_watched_until_it_dies_with_no_second_kill() {
    let cluster = ScriptedCluster::with_jobs(jobs("dying", 1, Duration::from_secs(8)));
    cluster.kill_elsewhere("dying0");
    let started = Instant::now();
    let stop = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let report = kill_job(
        KillJob {
            client: &cluster,
            project_id: "p",
            cluster_id: CLUSTER,
            job_id: "dying0",
            wait: true,
            deadline: started + Duration::from_secs(60),
            stop: &stop,
            caller: Caller::Resource,
            earlier: None,
        },
        &|_| {},
        &mut diags,
    )
    .await
    .expect("a job found killed is a result");
    assert_eq!(report.final_state, Some(JobState::Killed));
    assert!(!diags.has_errors(), "{diags:?}");
    assert!(
        diags.iter().any(|d| d.summary == "Job was already killed"),
        "{diags:?}"
    );
    assert_eq!(
        cluster.kills_sent(),
        1,
        "the 0175 is never followed by a second kill"
    );
    assert!(started.elapsed() >= Duration::from_secs(8));
}

#[tokio::test(start_paused = true)]
async fn a_401_while_waiting_ends_the_wait_at_once_with_every_kill_kept() {
    let cluster = ScriptedCluster::with_jobs((0..3).map(|i| ScriptedJob {
        dies_after: None,
        ..ScriptedJob::running(format!("stuck{i}"), Duration::ZERO)
    }));
    cluster.refuse_credentials_after(Duration::from_millis(500));
    let run = quiet(
        &cluster,
        Duration::from_secs(600),
        &CancellationToken::new(),
    )
    .await;
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("401"), "{errors:?}");
    assert!(
        errors[0].contains("looking again will not cure"),
        "{errors:?}"
    );
    assert!(
        run.took < Duration::from_secs(5),
        "not the 10-minute timeout: {:?}",
        run.took
    );
    assert_eq!(run.report.killed.len(), 3);
    assert!(run.report.killed.iter().all(|j| j.request_id.is_some()));
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_the_wait_ends_it_with_the_accepted_kills_kept() {
    let cluster = ScriptedCluster::with_jobs(jobs("slow", 3, Duration::from_secs(300)));
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        stopper.cancel();
    });
    let run = quiet(&cluster, Duration::from_secs(600), &stop).await;
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("Stopped waiting for the jobs |"),
        "{errors:?}"
    );
    assert!(
        run.took >= Duration::from_secs(3) && run.took < Duration::from_secs(4),
        "ended when stopped: {:?}",
        run.took
    );
    assert_eq!(run.report.killed.len(), 3, "accepted kills kept");
    assert_eq!(run.states(), [None; 3], "none seen ending");
    assert_eq!(cluster.kills_sent(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_job_moving_from_accepted_to_running_between_two_listings_is_still_selected() {
    let cluster = ScriptedCluster::with_jobs([ScriptedJob {
        state: JobState::Accepted,
        ..ScriptedJob::running("mover", Duration::from_secs(1))
    }]);
    // ACCEPTED while the first state is listed, RUNNING from then on: listed in any other
    // order than the one a job passes through, it would be in none of the listings.
    cluster.move_after_next_listing("mover", JobState::Running);
    let deadline = Instant::now() + Duration::from_secs(10);
    let targets = select(&cluster, "p", &every_pending_job(), deadline)
        .await
        .expect("listing");
    let found: Vec<(&str, Option<&JobState>)> = targets
        .iter()
        .map(|t| (t.job_id.as_str(), t.state.as_ref()))
        .collect();
    assert_eq!(found, [("mover", Some(&JobState::Running))]);
    assert_eq!(
        cluster.listings(),
        PENDING_STATES,
        "states are listed in the order a job passes through them"
    );
}

#[tokio::test(start_paused = true)]
async fn a_panic_half_way_finds_every_accepted_kill_already_on_record() {
    let cluster = ScriptedCluster::with_jobs(jobs("job", 3, Duration::from_secs(5)));
    cluster.panic_on_look();
    let recorded = Mutex::new(Vec::new());
    let outcome = AssertUnwindSafe(async {
        let selection = every_pending_job();
        let deadline = Instant::now() + Duration::from_secs(60);
        let targets = select(&cluster, "p", &selection, deadline)
            .await
            .expect("listing");
        let on_record = |jobs: &[KilledJob]| *recorded.lock().expect("recorded") = jobs.to_vec();
        let stop = CancellationToken::new();
        quiet_cluster(
            Quiet {
                client: &cluster,
                project_id: "p",
                targets: Some(targets),
                cluster_id: CLUSTER,
                wait: true,
                deadline,
                stop: &stop,
                caller: Caller::Resource,
                already: Vec::new(),
                selection: &selection,
                on_record: &on_record,
            },
            &|_| {},
            &mut Diagnostics::new(),
        )
        .await
    })
    .catch_unwind()
    .await;
    assert!(outcome.is_err(), "the scripted look panics");
    let recorded = recorded.into_inner().expect("recorded");
    let ids: Vec<(&str, Option<&str>)> = recorded
        .iter()
        .map(|j| (j.job_id.as_str(), j.request_id.as_deref()))
        .collect();
    assert_eq!(
        ids.len(),
        3,
        "every kill MRS accepted was on record before the panic: {ids:?}"
    );
    assert!(ids.contains(&("job1", Some("req-job1"))), "{ids:?}");
}
