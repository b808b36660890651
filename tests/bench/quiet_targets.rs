//! The targets for quieting a cluster (issue 18, which keeps issue 13's N = 400 figures), each
//! held against what [`quiet`](crate::quiet) measured.
//!
//! Where a limit depends on the run (the throttled case's `answered / R + D`), the figure is the
//! ratio of the two taken in the same apply, and its median is what is judged: a slow round on a
//! shared machine moves both sides of one apply alike.

use crate::chart::seconds_label;
use crate::quiet::{QuietResults, QuietSettings, QuietWay};
use crate::samples::Samples;

const MIB: f64 = 1024.0 * 1024.0;

/// Wall time limit at the largest N, beyond the kill delay: listing 20 pages and the kills.
const LARGEST_N_SLACK_S: f64 = 2.0;
/// Requests per job at the largest N.
const LARGEST_N_REQUESTS_PER_JOB: f64 = 1.10;
/// Peak RSS of the provider process at the largest N.
const LARGEST_N_PEAK_RSS_MIB: f64 = 64.0;
/// The N issue 13 set its wall-time and request targets at, kept by issue 18.
const KEPT_N: usize = 400;
/// Wall time limit at N = 400, beyond the kill delay.
const KEPT_N_SLACK_S: f64 = 3.0;
/// Requests per job at N = 400.
const KEPT_N_REQUESTS_PER_JOB: f64 = 1.25;
/// Throttled: wall time over `answered / R + D`.
const THROTTLED_RATIO: f64 = 1.15;
/// Throttled: 429s as a share of all requests.
const THROTTLED_SHARE_429: f64 = 0.05;

/// One target: what was measured, the limit, and whether it was met.
#[derive(Debug, Clone)]
pub struct QuietTarget {
    /// What is measured, e.g. "`mrs_jobs_kill` wall time, N=2000".
    pub figure: String,
    /// The measured value as shown (a median), or `None` when it was not measured.
    pub measured: Option<String>,
    /// The limit, e.g. "≤ D + 2 s = 7.00 s".
    pub target: String,
    /// What the limit is computed from, measured in the same run where it depends on the run.
    pub reference: String,
    /// Met, not met, or not measured.
    pub met: Option<bool>,
}

impl QuietTarget {
    /// "met", "**not met**" or "not measured".
    pub fn verdict(&self) -> &'static str {
        match self.met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "not measured",
        }
    }
}

fn median(samples: Option<&Samples>) -> Option<f64> {
    samples.and_then(Samples::median)
}

fn runs(samples: Option<&Samples>) -> String {
    match samples.map_or(0, Samples::len) {
        1 => "1 run".to_owned(),
        n => format!("median of {n} runs"),
    }
}

fn wall_target(
    results: &QuietResults,
    settings: &QuietSettings,
    n: usize,
    slack: f64,
) -> QuietTarget {
    let d = settings.kill_delay.as_secs_f64();
    let samples = results.seconds.get(&(n, QuietWay::JobsKill));
    let value = median(samples);
    QuietTarget {
        figure: format!("`mrs_jobs_kill` wall time, N={n}"),
        measured: value.map(seconds_label),
        target: format!("≤ D + {slack:.0} s = {}", seconds_label(d + slack)),
        reference: format!("D = {d:.0} s, the kill delay; {}", runs(samples)),
        met: value.map(|v| v <= d + slack),
    }
}

fn requests_target(results: &QuietResults, n: usize, limit: f64) -> QuietTarget {
    let samples = results.requests_per_job.get(&(n, QuietWay::JobsKill));
    let value = median(samples);
    let split = results
        .request_split
        .get(&(n, QuietWay::JobsKill))
        .map(|s| {
            format!(
                "last run: {:.3} kills + {:.3} lists + {:.3} shows per job",
                s.kills, s.lists, s.shows
            )
        })
        .unwrap_or_default();
    QuietTarget {
        figure: format!("MRS requests per job, N={n} (plan and final quiet check included)"),
        measured: value.map(|v| format!("{v:.3}")),
        target: format!("≤ {limit:.2}"),
        reference: format!("{}; {split}", runs(samples)),
        met: value.map(|v| v <= limit),
    }
}

/// Every target, in the order the page lists them.
pub fn targets(results: &QuietResults) -> Vec<QuietTarget> {
    let Some(settings) = &results.settings else {
        return Vec::new();
    };
    let largest = settings.largest_n();
    let rss = results.peak_rss_bytes.median();
    let mut rows = vec![
        wall_target(results, settings, largest, LARGEST_N_SLACK_S),
        requests_target(results, largest, LARGEST_N_REQUESTS_PER_JOB),
        QuietTarget {
            figure: format!("peak RSS of the provider process, N={largest}"),
            measured: rss.map(|b| format!("{:.1} MiB", b / MIB)),
            target: format!("≤ {LARGEST_N_PEAK_RSS_MIB:.0} MiB"),
            reference: format!(
                "`VmHWM` of an untimed apply each round; {}",
                runs(Some(&results.peak_rss_bytes))
            ),
            met: rss.map(|b| b <= LARGEST_N_PEAK_RSS_MIB * MIB),
        },
    ];
    // Issue 13's N = 400, or the middle N of a quick run.
    let kept = if settings.ns.contains(&KEPT_N) {
        KEPT_N
    } else {
        settings.ns.get(settings.ns.len() / 2).copied().unwrap_or(0)
    };
    rows.push(wall_target(results, settings, kept, KEPT_N_SLACK_S));
    rows.push(requests_target(results, kept, KEPT_N_REQUESTS_PER_JOB));

    let r = settings.rate_limit;
    let d = settings.rate_kill_delay.as_secs_f64();
    let governed = results.throttled.get(&true);
    let n = governed.map_or(settings.rate_n, |t| t.n);
    let ratio = median(governed.map(|t| &t.ratio));
    let wall = median(governed.map(|t| &t.seconds));
    let reference = median(governed.map(|t| &t.reference_seconds));
    let needed = median(governed.map(|t| &t.needed));
    rows.push(QuietTarget {
        figure: format!("wall time / (answered / R + D), R={r:.0}/s, N={n}, D={d:.0} s"),
        measured: ratio.map(|v| {
            format!(
                "{v:.3}× ({} against {})",
                wall.map_or("–".to_owned(), seconds_label),
                reference.map_or("–".to_owned(), seconds_label)
            )
        }),
        target: format!("≤ {THROTTLED_RATIO:.2}×"),
        reference: format!(
            "answered / R + D per apply, answered = requests not refused 429 (median {}); {}",
            needed.map_or("–".to_owned(), |v| format!("{v:.0}")),
            runs(governed.map(|t| &t.ratio))
        ),
        met: ratio.map(|v| v <= THROTTLED_RATIO),
    });
    let share = median(governed.map(|t| &t.share_429));
    rows.push(QuietTarget {
        figure: format!("429s as a share of requests, R={r:.0}/s, N={n}"),
        measured: share.map(|s| format!("{:.2} %", s * 100.0)),
        target: format!("≤ {:.0} %", THROTTLED_SHARE_429 * 100.0),
        reference: format!(
            "429s / all requests of the apply; {}",
            runs(governed.map(|t| &t.share_429))
        ),
        met: share.map(|s| s <= THROTTLED_SHARE_429),
    });
    rows
}
