//! Everything one benchmark run measured, gathered for the targets, the report and the chart.

use std::collections::BTreeMap;

use crate::machine::Machine;
use crate::plugin_probe::SchemaRoundTrips;
use crate::samples::Samples;
use crate::terraform_runs::Way;
use crate::trace_summary::TraceSummary;

/// What an instrumented (untimed) apply of N kills through our provider showed.
#[derive(Debug, Clone)]
pub struct ProcessesPerApply {
    /// Number of `mrs_job_kill` resources.
    pub n: usize,
    /// TCP connections the emulator accepted during the apply.
    pub connections: u64,
    /// Provider processes Terraform started (its `starting plugin` log lines).
    pub processes: usize,
    /// Distinct provider PIDs seen in `/proc` (a cross-check; very short-lived ones can be missed).
    pub pids_seen: usize,
    /// Largest peak RSS (`VmHWM`) of one provider process, in bytes.
    pub peak_rss_bytes: Option<u64>,
}

/// All figures of one run.
#[derive(Debug, Clone)]
pub struct Results {
    /// Where it ran.
    pub machine: Machine,
    /// 1-minute load average when the run began and when it ended.
    pub load: (Option<f64>, Option<f64>),
    /// e.g. `1.11.4`.
    pub terraform_version: String,
    /// `huaweicloudsdkmrs` version, when the SDK baseline ran.
    pub sdk_version: Option<String>,
    /// UTC date and time of the run.
    pub date: String,
    /// The command that produced these figures.
    pub command: String,
    /// Timed runs per configuration.
    pub runs: usize,
    /// `BENCH_QUICK=1`: small N only.
    pub quick: bool,
    /// The N values applied.
    pub ns: Vec<usize>,
    /// The N at which the SDK baseline was compared.
    pub sdk_n: usize,
    /// Apply wall times in seconds, by N and way.
    pub apply: BTreeMap<(usize, Way), Samples>,
    /// Exec → handshake line, milliseconds.
    pub handshake_ms: Samples,
    /// `GetProviderSchema` round trips.
    pub schema: SchemaRoundTrips,
    /// Size of the release provider binary, bytes.
    pub binary_bytes: u64,
    /// Instrumented applies, by N.
    pub processes: Vec<ProcessesPerApply>,
    /// The trace of one N=1 apply through our provider.
    pub trace: TraceSummary,
    /// How long the same trace of an N=1 floor apply spans, milliseconds.
    pub floor_trace_span_ms: f64,
    /// Figures that could not be measured, and why.
    pub not_measured: Vec<String>,
}

impl Results {
    /// Median apply time of `way` at `n`, seconds.
    pub fn median(&self, n: usize, way: Way) -> Option<f64> {
        self.apply.get(&(n, way))?.median()
    }

    /// Median apply time of `way` over median of `base` at `n`.
    pub fn ratio(&self, n: usize, way: Way, base: Way) -> Option<f64> {
        Some(self.median(n, way)? / self.median(n, base)?)
    }
}
