//! The performance benchmark of issue 5: our provider against Terraform's own floor.
//!
//! ```sh
//! cargo bench --bench performance
//! ```
//!
//! It builds the provider in the `bench` profile (which inherits `release`), starts the MRS
//! emulator in this process, and in one run, alternating the configurations within each round:
//!
//! 1. times `terraform apply -auto-approve` (Terraform from PATH, or `$TERRAFORM`) of N = 1, 100,
//!    400 `mrs_job_kill` resources against N built-in `terraform_data` resources (the floor), each
//!    in a fresh directory, with the provider run through `dev_overrides`, and through the same
//!    provider with `mrs_job_kill` cut to three attributes (a copy of this executable serves it:
//!    `minimal_provider.rs`), which tells what our schema costs Terraform from what any plugin costs;
//! 2. at N = 100, also times the way users kill jobs today: `terraform_data` + `local-exec` running
//!    a Python script that calls the official SDK's StopJob (`huaweicloudsdkmrs`, installed once
//!    into `target/bench-venv`);
//! 3. measures the provider process: exec → handshake line, `GetProviderSchema` over mTLS, peak RSS
//!    during the N = 400 apply, release binary size, and TCP connections the emulator accepted per
//!    apply against the number of provider processes Terraform started;
//! 4. writes `docs/performance.md` (every figure, medians with min–max, each target of the issue
//!    met or not and by how much, where the time goes when one is missed) and the chart
//!    `docs/performance.svg`.
//!
//! 5. runs "Quieting a cluster" (issues 13, 18 and 24, `quiet.rs`): `mrs_jobs_kill` with a 5 s
//!    kill delay at N = 50, 400 and 2,000 (wall time, requests per job, the provider's peak RSS),
//!    at N = 50 under OpenTofu beside Terraform, behind a gateway allowing 25 requests/s at
//!    N = 1,000, and against N × `mrs_job_kill` and the SDK at N = 50; a section of its own in the
//!    page, with each target of issue 18 met or not against a reference measured in the same run,
//!    and `docs/performance-quiet.svg`.
//!
//! Knobs: `BENCH_ONLY=quiet` (only step 5, replacing only its section of the page; about seven
//! minutes with `BENCH_RUNS=5`); `BENCH_RUNS` (timed runs per configuration, default 5);
//! `BENCH_QUICK=1` (small N, 3 runs; writes to `target/bench-report/` instead of `docs/`, for
//! checking the benchmark); `BENCH_QUIET_COMPARE=all` (the quiet comparisons every round and at
//! N = 400 too, about ten minutes more); `TOFU` (the OpenTofu to run, else
//! `target/tools/opentofu-1.12.6/tofu`, else `tofu` on PATH).
//!
//! The provider is built in the `bench` profile, which inherits `release` (LTO): the build users
//! run, not the `dev` build the tests use. That is a second build of every dependency, in
//! `target/release/`, once; CI does not run the benchmark.
//! Nothing here asserts on time: it measures and reports.

#[path = "../common/mod.rs"]
pub mod common;

mod chart;
mod error;
mod machine;
mod minimal_provider;
mod opentofu;
mod plugin_probe;
mod process_watch;
mod quiet;
mod quiet_report;
mod quiet_targets;
mod report;
mod request_timeline;
mod results;
mod samples;
mod sdk_baseline;
mod targets;
mod terraform_runs;
mod trace_summary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mrs_emulator::JobState;

use crate::common::emulator::{ACCESS_KEY, REGION, RunningEmulator, SECRET_KEY};
use crate::common::plugin_client::provider_binary;
use crate::error::BenchError;
use crate::machine::Machine;
use crate::results::{ProcessesPerApply, Results};
use crate::samples::Samples;
use crate::sdk_baseline::SdkBaseline;
use crate::terraform_runs::{ApplyOutcome, Observe, TerraformRunner, Way};
use crate::trace_summary::TraceSummary;

/// The cluster every benchmark job runs on.
const CLUSTER: &str = "7c1e4f2a-9b3d-4c5e-8f60-1a2b3c4d5e6f";

/// Runs of the provider-process probes (handshake, schema round trip).
const PROBE_RUNS: usize = 20;

/// What the environment asked for.
#[derive(Debug)]
struct Settings {
    runs: usize,
    quick: bool,
    only_quiet: bool,
    compare_all: bool,
    ns: Vec<usize>,
    sdk_n: usize,
    command: String,
}

impl Settings {
    fn from_env() -> Self {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
        let runs_env = std::env::var("BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok());
        let runs = runs_env.unwrap_or(if quick { 3 } else { 5 }).max(1);
        let only_quiet = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "quiet");
        let compare_all = std::env::var("BENCH_QUIET_COMPARE").is_ok_and(|v| v == "all");
        let mut command = String::new();
        if only_quiet {
            command.push_str("BENCH_ONLY=quiet ");
        }
        if compare_all {
            command.push_str("BENCH_QUIET_COMPARE=all ");
        }
        if quick {
            command.push_str("BENCH_QUICK=1 ");
        }
        if let Some(runs) = runs_env {
            command.push_str(&format!("BENCH_RUNS={runs} "));
        }
        command.push_str("cargo bench --bench performance");
        let (ns, sdk_n) = if quick {
            (vec![1, 10], 10)
        } else {
            (vec![1, 100, 400], 100)
        };
        Self {
            runs,
            quick,
            only_quiet,
            compare_all,
            ns,
            sdk_n,
            command,
        }
    }

    fn output_dir(&self) -> PathBuf {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        if self.quick {
            root.join("target").join("bench-report")
        } else {
            root.join("docs")
        }
    }
}

fn main() -> ExitCode {
    if let Some(code) = minimal_provider::serve_if_asked() {
        return code;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), BenchError> {
    let settings = Settings::from_env();
    if settings.only_quiet {
        return run_quiet_only(&settings);
    }
    let load_at_start = machine::load_average();
    let provider = provider_binary();
    let mut not_measured = Vec::new();

    // The process probes come first, while nothing else of ours is running.
    eprintln!("probing the provider process ({PROBE_RUNS} runs each)");
    let binary_bytes = std::fs::metadata(provider)
        .map_err(BenchError::io("read the size of", provider))?
        .len();
    let handshake_ms = plugin_probe::handshake_latency_ms(provider, PROBE_RUNS)?;
    let schema = plugin_probe::schema_round_trips(PROBE_RUNS)?;

    let emulator = RunningEmulator::start_default();
    let mut bench = Bench {
        terraform: TerraformRunner::new(Path::new(provider), provider_env(&emulator))?,
        emulator,
        sdk: None,
    };
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-venv");
    eprintln!("preparing the official SDK in {}", venv.display());
    match SdkBaseline::prepare(&venv) {
        Ok(sdk) => bench.sdk = Some(sdk),
        Err(error) => not_measured.push(format!("local-exec + official SDK: {error}")),
    }

    eprintln!("warming up (one untimed apply of each way at N=1)");
    for way in bench.ways_at(settings.sdk_n) {
        bench.apply(way, 1, Observe::Nothing)?;
    }

    let apply = timed_rounds(&mut bench, &settings)?;

    let mut processes = Vec::new();
    for &n in &settings.ns {
        eprintln!("instrumented apply, N={n}: provider processes, RSS, connections");
        processes.push(bench.observe_processes(n)?);
    }
    eprintln!("traced applies, N=1 (ours, then the floor)");
    let trace = bench.trace(Way::Provider)?;
    let floor_trace_span_ms = bench.trace(Way::Floor)?.span_ms;

    eprintln!("quieting a cluster (issues 13, 18 and 24)");
    let quiet = run_quiet(&settings, Path::new(provider), bench.sdk.as_ref())?;

    let results = Results {
        machine: Machine::detect(),
        load: (load_at_start, machine::load_average()),
        terraform_version: bench.terraform.version().to_owned(),
        sdk_version: bench.sdk.as_ref().map(|s| s.sdk_version().to_owned()),
        date: now_utc(),
        command: settings.command.clone(),
        runs: settings.runs,
        quick: settings.quick,
        ns: settings.ns.clone(),
        sdk_n: settings.sdk_n,
        apply,
        handshake_ms,
        schema,
        binary_bytes,
        processes,
        trace,
        floor_trace_span_ms,
        not_measured,
    };
    write_report(&results, &quiet, &settings.output_dir())
}

/// Only "Quieting a cluster": its section of the existing page is replaced, the rest kept.
fn run_quiet_only(settings: &Settings) -> Result<(), BenchError> {
    let provider = provider_binary();
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-venv");
    eprintln!("preparing the official SDK in {}", venv.display());
    let sdk = match SdkBaseline::prepare(&venv) {
        Ok(sdk) => Some(sdk),
        Err(error) => {
            eprintln!("the SDK baseline is left out: {error}");
            None
        }
    };
    let quiet = run_quiet(settings, Path::new(provider), sdk.as_ref())?;
    let dir = settings.output_dir();
    std::fs::create_dir_all(&dir).map_err(BenchError::io("create", &dir))?;
    let md_path = dir.join("performance.md");
    let page = std::fs::read_to_string(&md_path).unwrap_or_else(|_| "# Performance\n".to_owned());
    write_quiet(&page, &quiet, &dir)
}

/// "Quieting a cluster", labelled with the command and the date.
fn run_quiet(
    settings: &Settings,
    provider: &Path,
    sdk: Option<&SdkBaseline>,
) -> Result<quiet::QuietResults, BenchError> {
    let quiet_settings =
        quiet::QuietSettings::new(settings.runs, settings.quick, settings.compare_all);
    let date = now_utc();
    let mut quiet = quiet::run(&quiet_settings, provider, sdk)?;
    quiet.command = settings.command.clone();
    quiet.date = date;
    Ok(quiet)
}

/// Writes the page with the quiet section in place, and the section's chart.
fn write_quiet(page: &str, quiet: &quiet::QuietResults, dir: &Path) -> Result<(), BenchError> {
    let svg_path = dir.join(QUIET_CHART);
    let md_path = dir.join("performance.md");
    std::fs::write(&svg_path, quiet_report::svg(quiet))
        .map_err(BenchError::io("write", &svg_path))?;
    std::fs::write(
        &md_path,
        report::with_quiet_section(page, quiet, QUIET_CHART),
    )
    .map_err(BenchError::io("write", &md_path))?;
    eprintln!("wrote {} and {}", md_path.display(), svg_path.display());
    Ok(())
}

/// The chart of the quiet section, beside the page.
const QUIET_CHART: &str = "performance-quiet.svg";

/// `runs` rounds; in each, every N, and at each N every way in turn, the order reversed every
/// other round so neither way always runs on the heels of the other.
fn timed_rounds(
    bench: &mut Bench,
    settings: &Settings,
) -> Result<BTreeMap<(usize, Way), Samples>, BenchError> {
    let mut apply: BTreeMap<(usize, Way), Samples> = BTreeMap::new();
    for round in 0..settings.runs {
        for &n in &settings.ns {
            let mut ways = bench.ways_at(if n == settings.sdk_n { n } else { 0 });
            if round % 2 == 1 {
                ways.reverse();
            }
            for way in ways {
                let outcome = bench.apply(way, n, Observe::Nothing)?;
                let seconds = outcome.elapsed.as_secs_f64();
                eprintln!(
                    "round {}/{}  N={n:<4} {:<26} {seconds:.3} s",
                    round + 1,
                    settings.runs,
                    way.label()
                );
                apply.entry((n, way)).or_default().push(seconds);
            }
        }
    }
    Ok(apply)
}

/// The emulator, Terraform, and (when it could be installed) the SDK baseline.
struct Bench {
    emulator: RunningEmulator,
    terraform: TerraformRunner,
    sdk: Option<SdkBaseline>,
}

impl Bench {
    /// The ways compared at `n`: the SDK baseline only where `n` is the SDK's N.
    fn ways_at(&self, sdk_n: usize) -> Vec<Way> {
        let mut ways = vec![Way::Floor, Way::Provider, Way::Minimal];
        if sdk_n > 0 && self.sdk.is_some() {
            ways.push(Way::LocalExecSdk);
        }
        ways
    }

    /// Applies N kills `way`, on N fresh RUNNING jobs, and checks every kill reached the emulator.
    fn apply(&mut self, way: Way, n: usize, observe: Observe) -> Result<ApplyOutcome, BenchError> {
        let jobs: Vec<String> = (0..n)
            .map(|_| {
                self.emulator
                    .add_job(CLUSTER, None, Some(JobState::Running))
            })
            .collect();
        let hcl = match (way, &self.sdk) {
            (Way::Floor, _) => terraform_runs::floor_config(&jobs),
            (Way::Provider | Way::Minimal, _) => terraform_runs::provider_config(CLUSTER, &jobs),
            (Way::LocalExecSdk, Some(sdk)) => {
                terraform_runs::local_exec_config(&sdk.command_prefix(), CLUSTER, &jobs)
            }
            (Way::LocalExecSdk, None) => {
                return Err(BenchError::Unverified(
                    "the SDK baseline is not installed".to_owned(),
                ));
            }
        };
        let outcome = self.terraform.apply(way, n, &hcl, observe)?;
        if way != Way::Floor {
            let stats = self.emulator.stats();
            let missed = jobs
                .iter()
                .filter(|job| stats.kills_accepted_for(job) == 0)
                .count();
            if missed > 0 {
                return Err(BenchError::Unverified(format!(
                    "{} applied N={n} but {missed} of its kills were not accepted (202) by the emulator; the comparison would be dishonest",
                    way.label()
                )));
            }
        }
        Ok(outcome)
    }

    /// The provider events of one traced N=1 apply `way`.
    fn trace(&mut self, way: Way) -> Result<TraceSummary, BenchError> {
        let outcome = self.apply(way, 1, Observe::Trace)?;
        Ok(outcome
            .log
            .map(|log| TraceSummary::parse(&log))
            .unwrap_or_default())
    }

    /// An untimed apply of N kills through our provider, watching its processes and connections.
    fn observe_processes(&mut self, n: usize) -> Result<ProcessesPerApply, BenchError> {
        let before = self.emulator.stats().tcp_connections_accepted;
        let outcome = self.apply(Way::Provider, n, Observe::Processes)?;
        let connections = self.emulator.stats().tcp_connections_accepted - before;
        let watch = outcome.watch.unwrap_or_default();
        let processes = outcome
            .log
            .map_or(0, |log| TraceSummary::parse(&log).processes());
        Ok(ProcessesPerApply {
            n,
            connections,
            processes,
            pids_seen: watch.pids.len(),
            peak_rss_bytes: watch.max_peak_rss_bytes(),
        })
    }
}

/// The `HW_*` variables that point the provider (and the SDK script) at the emulator.
fn provider_env(emulator: &RunningEmulator) -> Vec<(String, String)> {
    let url = emulator.url();
    [
        ("HW_REGION_NAME", REGION.to_owned()),
        ("HW_ACCESS_KEY", ACCESS_KEY.to_owned()),
        ("HW_SECRET_KEY", SECRET_KEY.to_owned()),
        ("HW_PROJECT_ID", emulator.project_id().to_owned()),
        ("HW_MRS_ENDPOINT", url.clone()),
        ("HW_IAM_ENDPOINT", url),
        // A proxy set for the machine must not sit between Terraform's children and the emulator.
        ("NO_PROXY", "127.0.0.1,localhost".to_owned()),
        ("no_proxy", "127.0.0.1,localhost".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn now_utc() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_else(|_| "unknown date".to_owned())
}

fn write_report(
    results: &Results,
    quiet: &quiet::QuietResults,
    dir: &Path,
) -> Result<(), BenchError> {
    std::fs::create_dir_all(dir).map_err(BenchError::io("create", dir))?;
    let svg_path = dir.join("performance.svg");
    std::fs::write(&svg_path, chart::svg(results)).map_err(BenchError::io("write", &svg_path))?;
    write_quiet(&report::markdown(results, "performance.svg"), quiet, dir)
}
