//! "Quieting a cluster" (issues 13, 18 and 24): the ways to stop every running job of a cluster and
//! wait until they are dead, side by side on the emulator, with a kill that takes seconds and a
//! gateway that throttles.
//!
//! Every round runs, each on a fresh cluster of N RUNNING jobs with a kill delay D:
//!
//! - `mrs_jobs_kill` with wait at N = 50, 400 and 2,000 (D = 5 s): wall time of the whole
//!   `terraform apply`, and MRS requests per job (kills, lists and shows the emulator received
//!   during the apply, plan and the final quiet check included);
//! - the same at N = 50 under OpenTofu (issue 24), paired with Terraform's N = 50 run, the order of
//!   the pair reversed every other round;
//! - one untimed `mrs_jobs_kill` at N = 2,000 watched in `/proc` and through the emulator's
//!   counters: peak RSS of the provider, and where the time went (`request_timeline.rs`);
//! - `mrs_jobs_kill` with wait of 1,000 jobs (D = 2 s) behind a gateway allowing R = 25 requests/s
//!   (429 `APIGW.0308`, no `Retry-After`): wall time against what the requests it needed take at
//!   that rate, `answered / R + D`, and 429s as a share of all requests.
//!
//! Once per benchmark, for comparison: N × `mrs_job_kill` with wait (`for_each` over
//! `mrs_job_executions`) and `terraform_data` + `local-exec` running the official SDK (StopJob,
//! then polling ShowSingleJobExe until KILLED) at N = 50, and the throttled case without the
//! client's governor (`TF_PROVIDER_MRS_GOVERNOR=off`). `BENCH_QUIET_COMPARE=all` runs the
//! comparisons every round and at N = 400 too (Terraform waits for N `mrs_job_kill` in waves of
//! 10: about ten minutes more).
//!
//! Every job is checked to end KILLED after each apply; a run where one did not is an error, not a
//! figure.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use mrs_emulator::{EmulatorConfig, JobState, Stats};

use crate::common::emulator::RunningEmulator;
use crate::common::scenario::HEADER;
use crate::error::BenchError;
use crate::opentofu;
use crate::request_timeline::{self, RequestTimeline};
use crate::samples::Samples;
use crate::sdk_baseline::SdkBaseline;
use crate::terraform_runs::{Observe, TerraformRunner, Way, local_exec_config};

/// A way to quiet a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuietWay {
    /// One `mrs_jobs_kill` with `wait_for_termination`.
    JobsKill,
    /// `for_each` over `mrs_job_executions`: one `mrs_job_kill` with wait per job.
    PerJob,
    /// `terraform_data` + `local-exec` running the official SDK per job (stop, then poll).
    LocalExecSdk,
}

impl QuietWay {
    /// How the report and the chart name it.
    pub fn label(self) -> &'static str {
        match self {
            QuietWay::JobsKill => "mrs_jobs_kill (ours)",
            QuietWay::PerJob => "N × mrs_job_kill",
            QuietWay::LocalExecSdk => "local-exec + Python SDK",
        }
    }
}

/// What the environment asked of this section.
#[derive(Debug, Clone)]
pub struct QuietSettings {
    /// Rounds: timed runs of each `mrs_jobs_kill` case.
    pub runs: usize,
    /// Numbers of RUNNING jobs `mrs_jobs_kill` quiets every round; RSS is watched at the largest.
    pub ns: Vec<usize>,
    /// Time from an accepted kill to KILLED.
    pub kill_delay: Duration,
    /// The N at which OpenTofu runs beside Terraform (one of `ns`).
    pub clients_n: usize,
    /// Numbers of jobs at which N × `mrs_job_kill` and the SDK are compared.
    pub compare_ns: Vec<usize>,
    /// Whether the comparisons run every round (else in the first only).
    pub compare_every_round: bool,
    /// Requests per second the throttled emulator allows.
    pub rate_limit: f64,
    /// Jobs in the throttled case.
    pub rate_n: usize,
    /// Kill delay in the throttled case.
    pub rate_kill_delay: Duration,
}

impl QuietSettings {
    /// The issues' figures, or small ones for a quick look; `compare_all` is
    /// `BENCH_QUIET_COMPARE=all`.
    pub fn new(runs: usize, quick: bool, compare_all: bool) -> Self {
        let (ns, clients_n, compare_ns, kill_delay, rate_n, rate_kill_delay) = if quick {
            (vec![10, 50, 200], 10, vec![10, 50], 2, 100, 1)
        } else {
            (vec![50, 400, 2000], 50, vec![50, 400], 5, 1000, 2)
        };
        let compare_ns = if compare_all {
            compare_ns
        } else {
            compare_ns.into_iter().take(1).collect()
        };
        Self {
            runs,
            ns,
            kill_delay: Duration::from_secs(kill_delay),
            clients_n,
            compare_ns,
            compare_every_round: compare_all,
            rate_limit: 25.0,
            rate_n,
            rate_kill_delay: Duration::from_secs(rate_kill_delay),
        }
    }

    /// The largest N, where the provider's peak RSS is measured.
    pub fn largest_n(&self) -> usize {
        self.ns.iter().copied().max().unwrap_or(0)
    }
}

/// The throttled case for one client.
#[derive(Debug, Clone, Default)]
pub struct Throttled {
    /// Jobs quieted.
    pub n: usize,
    /// Wall times of the applies that succeeded.
    pub seconds: Samples,
    /// 429s as a share of all requests, per apply.
    pub share_429: Samples,
    /// Requests answered other than 429, per apply: what the apply needed.
    pub needed: Samples,
    /// `needed / R + D` per apply: the least time those requests take at the allowed rate.
    pub reference_seconds: Samples,
    /// Wall time over that reference, per apply.
    pub ratio: Samples,
    /// Applies that failed, with why (kills that gave up after their retries).
    pub failures: Vec<String>,
}

/// MRS requests of one apply, per job.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestsPerJob {
    /// Every request.
    pub total: f64,
    /// Kill requests.
    pub kills: f64,
    /// Listings (one page each).
    pub lists: f64,
    /// Shows of a single job.
    pub shows: f64,
}

/// `mrs_jobs_kill` at the same N under OpenTofu and under Terraform, paired in each round.
#[derive(Debug, Clone, Default)]
pub struct ClientComparison {
    /// Jobs quieted.
    pub n: usize,
    /// Terraform's version, e.g. `1.11.4`.
    pub terraform_version: String,
    /// OpenTofu's version, e.g. `1.12.6`.
    pub opentofu_version: String,
    /// Wall times under Terraform.
    pub terraform: Samples,
    /// Wall times under OpenTofu.
    pub opentofu: Samples,
    /// OpenTofu's time over Terraform's, per round.
    pub ratio: Samples,
    /// MRS requests per job under OpenTofu.
    pub opentofu_requests_per_job: Samples,
}

/// Everything this section measured.
#[derive(Debug, Clone, Default)]
pub struct QuietResults {
    /// The settings it ran with.
    pub settings: Option<QuietSettings>,
    /// The command that reproduces these figures.
    pub command: String,
    /// UTC date and time of the run.
    pub date: String,
    /// 1-minute load average when the section began and when it ended.
    pub load: (Option<f64>, Option<f64>),
    /// Wall time per (N, way).
    pub seconds: BTreeMap<(usize, QuietWay), Samples>,
    /// MRS requests per job, per (N, way), one value per apply.
    pub requests_per_job: BTreeMap<(usize, QuietWay), Samples>,
    /// The split of the last apply's requests per job, per (N, way).
    pub request_split: BTreeMap<(usize, QuietWay), RequestsPerJob>,
    /// The throttled case with the governor (`true`) and without.
    pub throttled: BTreeMap<bool, Throttled>,
    /// Peak RSS of one provider process during `mrs_jobs_kill` at the largest N, per round, bytes.
    pub peak_rss_bytes: Samples,
    /// When the MRS requests of that watched apply happened, per round.
    pub timelines: Vec<RequestTimeline>,
    /// OpenTofu against Terraform, when an OpenTofu was found.
    pub clients: Option<ClientComparison>,
    /// What could not be measured, and why.
    pub not_measured: Vec<String>,
}

/// The emulators and Terraform runners of this section.
struct Rig {
    slow: RunningEmulator,
    slow_runner: TerraformRunner,
    tofu_runner: Option<TerraformRunner>,
    throttled: RunningEmulator,
    governed: TerraformRunner,
    ungoverned: TerraformRunner,
    stop_and_wait: Option<String>,
    clusters: usize,
}

/// Which client runs an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Terraform,
    OpenTofu,
}

/// Runs the section. `sdk` is the prepared official SDK, when it could be installed.
pub fn run(
    settings: &QuietSettings,
    provider: &Path,
    sdk: Option<&SdkBaseline>,
) -> Result<QuietResults, BenchError> {
    let slow = RunningEmulator::start(EmulatorConfig {
        kill_delay: settings.kill_delay,
        ..EmulatorConfig::default()
    });
    let throttled = RunningEmulator::start(EmulatorConfig {
        kill_delay: settings.rate_kill_delay,
        rate_limit: Some(settings.rate_limit),
        ..EmulatorConfig::default()
    });
    let mut ungoverned_env = crate::provider_env(&throttled);
    ungoverned_env.push(("TF_PROVIDER_MRS_GOVERNOR".to_owned(), "off".to_owned()));
    let mut results = QuietResults {
        settings: Some(settings.clone()),
        load: (crate::machine::load_average(), None),
        ..QuietResults::default()
    };
    let stop_and_wait = match sdk {
        Some(sdk) => Some(sdk.stop_and_wait_command_prefix()),
        None => {
            results
                .not_measured
                .push("local-exec + official SDK: the SDK could not be installed".to_owned());
            None
        }
    };
    let slow_runner = TerraformRunner::new(provider, crate::provider_env(&slow))?;
    let tofu_runner = match opentofu::find().and_then(|tofu| {
        TerraformRunner::with_client(tofu, provider, crate::provider_env(&slow))
            .map_err(|e| e.to_string())
    }) {
        Ok(runner) => {
            results.clients = Some(ClientComparison {
                n: settings.clients_n,
                terraform_version: slow_runner.version().to_owned(),
                opentofu_version: runner.version().to_owned(),
                ..ClientComparison::default()
            });
            Some(runner)
        }
        Err(why) => {
            results
                .not_measured
                .push(format!("OpenTofu against Terraform: {why}"));
            None
        }
    };
    let mut rig = Rig {
        slow_runner,
        tofu_runner,
        governed: TerraformRunner::new(provider, crate::provider_env(&throttled))?,
        ungoverned: TerraformRunner::new(provider, ungoverned_env)?,
        slow,
        throttled,
        stop_and_wait,
        clusters: 0,
    };

    let mut comparisons = vec![QuietWay::PerJob];
    if rig.stop_and_wait.is_some() {
        comparisons.push(QuietWay::LocalExecSdk);
    }
    for round in 0..settings.runs {
        let tag = format!("quiet round {}/{}", round + 1, settings.runs);
        for &n in &settings.ns {
            if n == settings.clients_n && rig.tofu_runner.is_some() {
                rig.paired_clients(&tag, n, round % 2 == 1, &mut results)?;
            } else {
                let outcome =
                    rig.quiet(QuietWay::JobsKill, Client::Terraform, n, Observe::Nothing)?;
                outcome.log(&tag, n, QuietWay::JobsKill.label());
                outcome.record(n, QuietWay::JobsKill, &mut results);
            }
        }
        if round == 0 || settings.compare_every_round {
            for &n in &settings.compare_ns {
                for &way in &comparisons {
                    let outcome = rig.quiet(way, Client::Terraform, n, Observe::Nothing)?;
                    outcome.log(&tag, n, way.label());
                    outcome.record(n, way, &mut results);
                }
            }
        }
        let largest = settings.largest_n();
        let watched = rig.quiet(
            QuietWay::JobsKill,
            Client::Terraform,
            largest,
            Observe::Processes,
        )?;
        eprintln!(
            "{tag}  N={largest:<4} mrs_jobs_kill watched in /proc: peak RSS {:.1} MiB",
            watched.peak_rss_bytes.unwrap_or(0) as f64 / (1024.0 * 1024.0)
        );
        if let Some(bytes) = watched.peak_rss_bytes {
            results.peak_rss_bytes.push(bytes as f64);
        }
        if let Some(timeline) = watched.timeline {
            eprintln!(
                "{tag}  N={largest:<4} {}",
                timeline.phases(settings.kill_delay)
            );
            results.timelines.push(timeline);
        }
        let governors: &[bool] = if round == 0 { &[true, false] } else { &[true] };
        for &governor in governors {
            let n = settings.rate_n;
            let entry = results.throttled.entry(governor).or_default();
            entry.n = n;
            match rig.throttled_apply(n, governor) {
                Ok(run) => {
                    let reference = run.needed as f64 / settings.rate_limit
                        + settings.rate_kill_delay.as_secs_f64();
                    eprintln!(
                        "{tag}  R={} N={n} governor {}: {:.1} s against {} answered / R + D = {reference:.1} s, {:.1} % 429s",
                        settings.rate_limit,
                        if governor { "on" } else { "off" },
                        run.seconds,
                        run.needed,
                        run.share_429 * 100.0
                    );
                    entry.seconds.push(run.seconds);
                    entry.share_429.push(run.share_429);
                    entry.needed.push(run.needed as f64);
                    entry.reference_seconds.push(reference);
                    entry.ratio.push(run.seconds / reference);
                }
                Err(why) => {
                    eprintln!("{tag}  throttled apply failed: {why}");
                    entry.failures.push(why);
                }
            }
        }
    }
    results.load.1 = crate::machine::load_average();
    Ok(results)
}

/// One measured quieting.
struct Outcome {
    seconds: f64,
    requests: RequestsPerJob,
    peak_rss_bytes: Option<u64>,
    timeline: Option<RequestTimeline>,
}

impl Outcome {
    fn log(&self, tag: &str, n: usize, label: &str) {
        eprintln!(
            "{tag}  N={n:<4} {label:<34} {:.2} s, {:.3} requests per job",
            self.seconds, self.requests.total
        );
    }

    /// Adds this run's figures to `results` under (`n`, `way`).
    fn record(&self, n: usize, way: QuietWay, results: &mut QuietResults) {
        results
            .seconds
            .entry((n, way))
            .or_default()
            .push(self.seconds);
        results
            .requests_per_job
            .entry((n, way))
            .or_default()
            .push(self.requests.total);
        results.request_split.insert((n, way), self.requests);
    }
}

/// What one throttled apply took.
struct ThrottledRun {
    seconds: f64,
    needed: u64,
    share_429: f64,
}

impl RequestsPerJob {
    fn between(before: &Stats, after: &Stats, n: usize) -> Self {
        let per_job = |after: u64, before: u64| (after - before) as f64 / n.max(1) as f64;
        Self {
            total: per_job(after.requests.total(), before.requests.total()),
            kills: per_job(after.requests.kill, before.requests.kill),
            lists: per_job(after.requests.list_jobs, before.requests.list_jobs),
            shows: per_job(after.requests.show_job, before.requests.show_job),
        }
    }
}

impl Rig {
    fn new_cluster(&mut self) -> String {
        self.clusters += 1;
        format!("quiet-cluster-{:04}", self.clusters)
    }

    /// `mrs_jobs_kill` at `n` under Terraform and under OpenTofu, one after the other
    /// (OpenTofu first when `reversed`), each recorded, and OpenTofu's time over Terraform's.
    fn paired_clients(
        &mut self,
        tag: &str,
        n: usize,
        reversed: bool,
        results: &mut QuietResults,
    ) -> Result<(), BenchError> {
        let mut order = [Client::Terraform, Client::OpenTofu];
        if reversed {
            order.reverse();
        }
        let mut seconds = [0.0; 2];
        for client in order {
            let outcome = self.quiet(QuietWay::JobsKill, client, n, Observe::Nothing)?;
            match client {
                Client::Terraform => {
                    outcome.log(tag, n, "mrs_jobs_kill (ours), Terraform");
                    outcome.record(n, QuietWay::JobsKill, results);
                    seconds[0] = outcome.seconds;
                }
                Client::OpenTofu => {
                    outcome.log(tag, n, "mrs_jobs_kill (ours), OpenTofu");
                    seconds[1] = outcome.seconds;
                    if let Some(c) = results.clients.as_mut() {
                        c.opentofu.push(outcome.seconds);
                        c.opentofu_requests_per_job.push(outcome.requests.total);
                    }
                }
            }
        }
        if let Some(c) = results.clients.as_mut() {
            c.terraform.push(seconds[0]);
            c.ratio.push(seconds[1] / seconds[0].max(1e-9));
        }
        Ok(())
    }

    /// Quiets a fresh cluster of `n` RUNNING jobs `way` under `client`, and checks every job
    /// ended KILLED.
    fn quiet(
        &mut self,
        way: QuietWay,
        client: Client,
        n: usize,
        observe: Observe,
    ) -> Result<Outcome, BenchError> {
        let cluster = self.new_cluster();
        let jobs: Vec<String> = (0..n)
            .map(|_| self.slow.add_job(&cluster, None, Some(JobState::Running)))
            .collect();
        let hcl = match way {
            QuietWay::JobsKill => jobs_kill_config(&cluster),
            QuietWay::PerJob => per_job_config(&cluster),
            QuietWay::LocalExecSdk => match &self.stop_and_wait {
                Some(prefix) => local_exec_config(prefix, &cluster, &jobs),
                None => {
                    return Err(BenchError::Unverified(
                        "the SDK baseline is not installed".to_owned(),
                    ));
                }
            },
        };
        let runner = match (client, self.tofu_runner.as_mut()) {
            (Client::Terraform, _) => &mut self.slow_runner,
            (Client::OpenTofu, Some(tofu)) => tofu,
            (Client::OpenTofu, None) => {
                return Err(BenchError::Unverified("no OpenTofu to run".to_owned()));
            }
        };
        let before = self.slow.stats();
        // An untimed apply is also watched from the emulator's side: where its time went.
        let (outcome, timeline) = if observe == Observe::Nothing {
            (runner.apply(Way::Provider, n, &hcl, observe), None)
        } else {
            let (outcome, timeline) = request_timeline::during(&self.slow, || {
                runner.apply(Way::Provider, n, &hcl, observe)
            });
            (outcome, Some(timeline))
        };
        let outcome = outcome?;
        let after = self.slow.stats();
        let killed = jobs
            .iter()
            .filter(|job| {
                self.slow
                    .job(&cluster, job)
                    .is_some_and(|j| j.state == JobState::Killed)
            })
            .count();
        if killed != n {
            return Err(BenchError::Unverified(format!(
                "{} at N={n} ({client:?}): only {killed} jobs ended KILLED; the comparison would be dishonest",
                way.label()
            )));
        }
        Ok(Outcome {
            seconds: outcome.elapsed.as_secs_f64(),
            requests: RequestsPerJob::between(&before, &after, n),
            peak_rss_bytes: outcome.watch.and_then(|w| w.max_peak_rss_bytes()),
            timeline,
        })
    }

    /// `mrs_jobs_kill` with wait of `n` jobs behind the rate limit, or why the apply failed.
    fn throttled_apply(&mut self, n: usize, governor: bool) -> Result<ThrottledRun, String> {
        let cluster = self.new_cluster();
        let jobs: Vec<String> = (0..n)
            .map(|_| {
                self.throttled
                    .add_job(&cluster, None, Some(JobState::Running))
            })
            .collect();
        let before = self.throttled.stats();
        let runner = if governor {
            &mut self.governed
        } else {
            &mut self.ungoverned
        };
        let started = Instant::now();
        let applied = runner.apply(
            Way::Provider,
            n,
            &jobs_kill_config(&cluster),
            Observe::Nothing,
        );
        let seconds = started.elapsed().as_secs_f64();
        let after = self.throttled.stats();
        let requests = after.requests.total() - before.requests.total();
        let throttled = after.throttled - before.throttled;
        let killed = jobs
            .iter()
            .filter(|job| {
                self.throttled
                    .job(&cluster, job)
                    .is_some_and(|j| j.state == JobState::Killed)
            })
            .count();
        match applied {
            Ok(_) if killed == n => Ok(ThrottledRun {
                seconds,
                needed: requests - throttled,
                share_429: throttled as f64 / requests.max(1) as f64,
            }),
            Ok(_) => Err(format!("only {killed} of {n} jobs ended KILLED")),
            Err(_) => Err(format!(
                "the apply failed after {seconds:.1} s: {killed} of {n} jobs killed, {throttled} of {requests} requests answered 429"
            )),
        }
    }
}

/// One `mrs_jobs_kill` with wait on `cluster`.
fn jobs_kill_config(cluster: &str) -> String {
    format!(
        "{HEADER}resource \"mrs_jobs_kill\" \"quiet\" {{\n  cluster_id           = \"{cluster}\"\n  wait_for_termination = true\n}}\n"
    )
}

/// `for_each` over the running jobs the data source lists: one `mrs_job_kill` with wait each.
fn per_job_config(cluster: &str) -> String {
    format!(
        "{HEADER}data \"mrs_job_executions\" \"running\" {{\n  cluster_id = \"{cluster}\"\n  job_state  = \"RUNNING\"\n}}\n\n\
         resource \"mrs_job_kill\" \"each\" {{\n  for_each             = {{ for job in data.mrs_job_executions.running.jobs : job.job_id => job }}\n  \
         cluster_id           = \"{cluster}\"\n  job_execution_id     = each.key\n  wait_for_termination = true\n}}\n"
    )
}
