//! "Quieting a cluster" (issue 13): the ways to stop every running job of a cluster and wait until
//! they are dead, side by side on the emulator, with a kill that takes seconds and a gateway that
//! throttles.
//!
//! - N = 50 and 400 RUNNING jobs, kill delay D: `mrs_jobs_kill` with wait; N × `mrs_job_kill` with
//!   wait (`for_each` over `mrs_job_executions`); `terraform_data` + `local-exec` running the
//!   official SDK (StopJob, then polling ShowSingleJobExe until KILLED) per job. Wall time of the
//!   whole `terraform apply`, and MRS requests per confirmed kill (kills + polls + lists).
//! - Rate limit R, N jobs, kill delay 1 s: `mrs_jobs_kill` with wait through the client with its
//!   governor and without (`TF_PROVIDER_MRS_GOVERNOR=off`): wall time and 429s as a share of
//!   all requests.
//! - Peak RSS of one provider process during an `mrs_jobs_kill` apply at the largest N.
//!
//! `BENCH_ONLY=quiet` runs only this section; the comparisons at the largest N take minutes each
//! (Terraform waits for N `mrs_job_kill` in waves of 10), so they run once whatever `BENCH_RUNS` says.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use mrs_emulator::{EmulatorConfig, JobState};

use crate::common::emulator::RunningEmulator;
use crate::common::scenario::HEADER;
use crate::error::BenchError;
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
    /// Timed runs of `mrs_jobs_kill` (and of the comparisons below the largest N).
    pub runs: usize,
    /// Numbers of RUNNING jobs.
    pub ns: Vec<usize>,
    /// Time from an accepted kill to KILLED.
    pub kill_delay: Duration,
    /// Requests per second the throttled emulator allows.
    pub rate_limit: f64,
    /// Jobs in the throttled case.
    pub rate_n: usize,
    /// Kill delay in the throttled case.
    pub rate_kill_delay: Duration,
}

impl QuietSettings {
    /// The figures, or small ones for a quick look.
    pub fn new(runs: usize, quick: bool) -> Self {
        if quick {
            Self {
                runs,
                ns: vec![10, 50],
                kill_delay: Duration::from_secs(2),
                rate_limit: 25.0,
                rate_n: 50,
                rate_kill_delay: Duration::from_secs(1),
            }
        } else {
            Self {
                runs,
                ns: vec![50, 400],
                kill_delay: Duration::from_secs(5),
                rate_limit: 25.0,
                rate_n: 200,
                rate_kill_delay: Duration::from_secs(1),
            }
        }
    }

    /// The largest N, where the comparisons run once and requests and RSS are measured.
    pub fn largest_n(&self) -> usize {
        self.ns.iter().copied().max().unwrap_or(0)
    }
}

/// The throttled case for one client.
#[derive(Debug, Clone, Default)]
pub struct Throttled {
    /// Wall times of the applies that succeeded.
    pub seconds: Samples,
    /// 429s as a share of all requests, per apply.
    pub share_429: Samples,
    /// Applies that failed, with why (kills that gave up after their retries).
    pub failures: Vec<String>,
}

/// Everything this section measured.
#[derive(Debug, Clone, Default)]
pub struct QuietResults {
    /// The settings it ran with.
    pub settings: Option<QuietSettings>,
    /// Wall time per (N, way).
    pub seconds: BTreeMap<(usize, QuietWay), Samples>,
    /// MRS requests per confirmed kill at the largest N, per way.
    pub requests_per_kill: BTreeMap<QuietWay, f64>,
    /// The throttled case with the governor (`true`) and without.
    pub throttled: BTreeMap<bool, Throttled>,
    /// Peak RSS of one provider process during `mrs_jobs_kill` at the largest N.
    pub peak_rss_bytes: Option<u64>,
    /// What could not be measured, and why.
    pub not_measured: Vec<String>,
}

/// The emulators and Terraform runners of this section.
struct Rig {
    slow: RunningEmulator,
    slow_runner: TerraformRunner,
    throttled: RunningEmulator,
    governed: TerraformRunner,
    ungoverned: TerraformRunner,
    stop_and_wait: Option<String>,
    clusters: usize,
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
    let mut rig = Rig {
        slow_runner: TerraformRunner::new(provider, crate::provider_env(&slow))?,
        governed: TerraformRunner::new(provider, crate::provider_env(&throttled))?,
        ungoverned: TerraformRunner::new(provider, ungoverned_env)?,
        slow,
        throttled,
        stop_and_wait,
        clusters: 0,
    };

    let largest = settings.largest_n();
    let mut ways = vec![QuietWay::JobsKill, QuietWay::PerJob];
    if rig.stop_and_wait.is_some() {
        ways.push(QuietWay::LocalExecSdk);
    }
    for round in 0..settings.runs {
        for &n in &settings.ns {
            for &way in &ways {
                // The comparisons at the largest N take minutes: once is enough to compare.
                if n == largest && way != QuietWay::JobsKill && round > 0 {
                    continue;
                }
                let outcome = rig.quiet(way, n, Observe::Nothing)?;
                eprintln!(
                    "quiet round {}/{}  N={n:<4} {:<26} {:.1} s, {:.2} requests per kill",
                    round + 1,
                    settings.runs,
                    way.label(),
                    outcome.seconds,
                    outcome.requests_per_kill
                );
                results
                    .seconds
                    .entry((n, way))
                    .or_default()
                    .push(outcome.seconds);
                if n == largest {
                    results
                        .requests_per_kill
                        .entry(way)
                        .or_insert(outcome.requests_per_kill);
                }
            }
        }
        for governor in [true, false] {
            let entry = results.throttled.entry(governor).or_default();
            match rig.throttled_apply(settings.rate_n, governor) {
                Ok((seconds, share)) => {
                    eprintln!(
                        "quiet round {}/{}  R={} N={} governor {}: {seconds:.1} s, {:.1} % 429s",
                        round + 1,
                        settings.runs,
                        settings.rate_limit,
                        settings.rate_n,
                        if governor { "on" } else { "off" },
                        share * 100.0
                    );
                    entry.seconds.push(seconds);
                    entry.share_429.push(share);
                }
                Err(why) => {
                    eprintln!("quiet: throttled apply failed: {why}");
                    entry.failures.push(why);
                }
            }
        }
    }
    eprintln!("quiet: instrumented mrs_jobs_kill apply at N={largest} (peak RSS)");
    let outcome = rig.quiet(QuietWay::JobsKill, largest, Observe::Processes)?;
    results.peak_rss_bytes = outcome.peak_rss_bytes;
    Ok(results)
}

/// One measured quieting.
struct Outcome {
    seconds: f64,
    requests_per_kill: f64,
    peak_rss_bytes: Option<u64>,
}

impl Rig {
    fn new_cluster(&mut self) -> String {
        self.clusters += 1;
        format!("quiet-cluster-{:04}", self.clusters)
    }

    /// Quiets a fresh cluster of `n` RUNNING jobs `way`, and checks every job ended KILLED.
    fn quiet(&mut self, way: QuietWay, n: usize, observe: Observe) -> Result<Outcome, BenchError> {
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
        let before = self.slow.stats().requests.total();
        let outcome = self.slow_runner.apply(Way::Provider, n, &hcl, observe)?;
        let requests = self.slow.stats().requests.total() - before;
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
                "{} at N={n}: only {killed} jobs ended KILLED; the comparison would be dishonest",
                way.label()
            )));
        }
        Ok(Outcome {
            seconds: outcome.elapsed.as_secs_f64(),
            requests_per_kill: requests as f64 / n.max(1) as f64,
            peak_rss_bytes: outcome.watch.and_then(|w| w.max_peak_rss_bytes()),
        })
    }

    /// `mrs_jobs_kill` with wait of `n` jobs behind the rate limit: (wall seconds, share of 429s),
    /// or why the apply failed.
    fn throttled_apply(&mut self, n: usize, governor: bool) -> Result<(f64, f64), String> {
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
            Ok(_) if killed == n => Ok((seconds, throttled as f64 / requests.max(1) as f64)),
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
