//! The "Quieting a cluster" section of `docs/performance.md` and its chart
//! (`performance-quiet.svg`): what [`quiet`](crate::quiet) measured, and each target of
//! [`quiet_targets`](crate::quiet_targets) met or not.

use std::fmt::Write as _;

use crate::chart::seconds_label;
use crate::quiet::{QuietResults, QuietWay};
use crate::quiet_targets;
use crate::samples::Samples;

/// Marks the section in the page, so running it alone replaces only it.
pub const SECTION: &str = "quiet";

fn cell(samples: Option<&Samples>) -> String {
    match samples.and_then(|s| Some((s.median()?, s.min()?, s.max()?, s.len()))) {
        Some((median, _, _, 1)) => format!("{} (1 run)", seconds_label(median)),
        Some((median, min, max, _)) => format!(
            "{} ({}–{})",
            seconds_label(median),
            seconds_label(min),
            seconds_label(max)
        ),
        None => "–".to_owned(),
    }
}

fn plain_cell(samples: Option<&Samples>, show: impl Fn(f64) -> String) -> String {
    match samples.and_then(|s| Some((s.median()?, s.min()?, s.max()?, s.len()))) {
        Some((median, _, _, 1)) => format!("{} (1 run)", show(median)),
        Some((median, min, max, _)) => format!("{} ({}–{})", show(median), show(min), show(max)),
        None => "–".to_owned(),
    }
}

fn ratio(results: &QuietResults, n: usize, way: QuietWay) -> String {
    let median = |way| results.seconds.get(&(n, way)).and_then(Samples::median);
    match (median(way), median(QuietWay::JobsKill)) {
        (Some(other), Some(ours)) if ours > 0.0 => format!("{:.1}×", other / ours),
        _ => "–".to_owned(),
    }
}

fn times(runs: usize) -> String {
    match runs {
        1 => "once".to_owned(),
        n => format!("{n} times"),
    }
}

/// The section, between its markers.
pub fn markdown(results: &QuietResults, chart_file: &str) -> String {
    let mut out = format!("<!-- {SECTION}:begin -->\n");
    let Some(settings) = &results.settings else {
        out.push_str(&format!("<!-- {SECTION}:end -->\n"));
        return out;
    };
    let d = settings.kill_delay.as_secs_f64();
    let load = |l: Option<f64>| l.map_or("–".to_owned(), |l| format!("{l:.1}"));
    let _ = writeln!(out, "## Quieting a cluster\n");
    let _ = writeln!(
        out,
        "Measured {} with\n\n```sh\n{}\n```\n\nRounds: {}; load average (1 min) {} at the start, {} at the end, on a \
         machine shared with other builds: a load above the CPU count means other work competed with every case alike.\n",
        if results.date.is_empty() {
            "(date unknown)"
        } else {
            &results.date
        },
        results.command,
        settings.runs,
        load(results.load.0),
        load(results.load.1),
    );
    let _ = writeln!(
        out,
        "Stopping every running job of a cluster and waiting until all are dead, on the emulator with a kill \
         delay of D = {d:.0} s (an accepted kill shows `RUNNING` for D, then `KILLED`). Each case is a whole \
         `terraform apply` in a fresh directory on a fresh cluster of N `RUNNING` jobs, and every job was checked \
         to end `KILLED`. `mrs_jobs_kill` ran {} at each N; the comparisons ran {} (N × `mrs_job_kill` takes \
         minutes at N=400: Terraform runs at most 10 at once; `BENCH_QUIET_COMPARE=all` runs them there too). \
         Figures are medians (min–max). Requests per job are all MRS requests the emulator received during the \
         apply (lists, kills, shows; plan and the final quiet check included), divided by N.\n",
        times(settings.runs),
        if settings.compare_every_round {
            times(settings.runs)
        } else {
            "once".to_owned()
        },
    );
    let _ = writeln!(
        out,
        "| N | {} (with wait) | requests per job | {} (with wait, `for_each` over `mrs_job_executions`) | per-job / ours | {} (StopJob, then ShowSingleJobExe each second) | SDK / ours |\n|---|---|---|---|---|---|---|",
        QuietWay::JobsKill.label(),
        QuietWay::PerJob.label(),
        QuietWay::LocalExecSdk.label()
    );
    let mut ns: Vec<usize> = settings.ns.clone();
    ns.extend(settings.compare_ns.iter().copied());
    ns.sort_unstable();
    ns.dedup();
    for n in ns {
        let _ = writeln!(
            out,
            "| {n} | {} | {} | {} | {} | {} | {} |",
            cell(results.seconds.get(&(n, QuietWay::JobsKill))),
            plain_cell(
                results.requests_per_job.get(&(n, QuietWay::JobsKill)),
                |v| format!("{v:.3}")
            ),
            cell(results.seconds.get(&(n, QuietWay::PerJob))),
            ratio(results, n, QuietWay::PerJob),
            cell(results.seconds.get(&(n, QuietWay::LocalExecSdk))),
            ratio(results, n, QuietWay::LocalExecSdk),
        );
    }
    let _ = writeln!(out, "\n![wall time of quieting a cluster]({chart_file})\n");

    let compared: Vec<String> = [QuietWay::PerJob, QuietWay::LocalExecSdk]
        .into_iter()
        .flat_map(|way| settings.compare_ns.iter().map(move |&n| (n, way)))
        .filter_map(|(n, way)| {
            let r = results.requests_per_job.get(&(n, way))?.median()?;
            Some(format!("{} at N={n}: {r:.2}", way.label()))
        })
        .collect();
    if !compared.is_empty() {
        let _ = writeln!(
            out,
            "MRS requests per job of the comparisons: {}.\n",
            compared.join("; ")
        );
    }

    if let Some(c) = &results.clients {
        let _ = writeln!(out, "### OpenTofu and Terraform (issue 24)\n");
        let _ = writeln!(
            out,
            "`mrs_jobs_kill` with wait at N = {}, D = {d:.0} s, under each client in turn in every round (the order \
             reversed every other round), through the same build, emulator and `dev_overrides` (keyed on both \
             registry hosts):\n",
            c.n
        );
        let _ = writeln!(
            out,
            "| client | wall time | requests per job |\n|---|---|---|"
        );
        let _ = writeln!(
            out,
            "| Terraform {} | {} | {} |",
            c.terraform_version,
            cell(Some(&c.terraform)),
            plain_cell(
                results.requests_per_job.get(&(c.n, QuietWay::JobsKill)),
                |v| format!("{v:.3}")
            )
        );
        let _ = writeln!(
            out,
            "| OpenTofu {} | {} | {} |",
            c.opentofu_version,
            cell(Some(&c.opentofu)),
            plain_cell(Some(&c.opentofu_requests_per_job), |v| format!("{v:.3}"))
        );
        let _ = writeln!(
            out,
            "\nOpenTofu's time over Terraform's in the same round: {}.\n",
            plain_cell(Some(&c.ratio), |v| format!("{v:.3}×")),
        );
    }

    let rate = settings.rate_limit;
    let _ = writeln!(
        out,
        "### Behind a throttling gateway\n\nA gateway allowing R = {rate:.0} requests/s per project (429 `APIGW.0308`, \
         no `Retry-After`), D = {:.0} s, `mrs_jobs_kill` with wait. \"answered / R + D\" is the least time the \
         requests the apply needed (those not refused) take at that rate, plus the kill delay, from the same apply. \
         The client without its governor ran once.\n",
        settings.rate_kill_delay.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| client | N | wall time | answered / R + D | wall / (answered / R + D) | 429s / requests | failed applies |\n|---|---|---|---|---|---|---|"
    );
    for (governor, label) in [
        (true, "with the governor"),
        (false, "without (`TF_PROVIDER_MRS_GOVERNOR=off`)"),
    ] {
        let Some(t) = results.throttled.get(&governor) else {
            continue;
        };
        let failures = if t.failures.is_empty() {
            "0".to_owned()
        } else {
            format!("{}: {}", t.failures.len(), t.failures.join("; "))
        };
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} | {} | {failures} |",
            t.n,
            cell(Some(&t.seconds)),
            cell(Some(&t.reference_seconds)),
            plain_cell(Some(&t.ratio), |v| format!("{v:.3}×")),
            plain_cell(Some(&t.share_429), |v| format!("{:.2} %", v * 100.0)),
        );
    }

    if !results.timelines.is_empty() {
        let _ = writeln!(
            out,
            "\n### Where the time goes at N = {}\n\nThe untimed apply of each round watched for RSS was also \
             watched through the emulator's counters (read every 25 ms, so each time is good to about that much):\n",
            settings.largest_n()
        );
        for (round, timeline) in results.timelines.iter().enumerate() {
            let _ = writeln!(
                out,
                "- round {}: {}",
                round + 1,
                timeline.phases(settings.kill_delay)
            );
        }
    }

    let _ = writeln!(out, "\n### Targets (issue 18)\n");
    let _ = writeln!(
        out,
        "| figure | measured | target | reference (same run) | verdict |\n|---|---|---|---|---|"
    );
    for row in quiet_targets::targets(results) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            row.figure,
            row.measured.as_deref().unwrap_or("–"),
            row.target,
            row.reference,
            row.verdict()
        );
    }
    if !results.not_measured.is_empty() {
        let _ = writeln!(out, "\nNot measured:\n");
        for reason in &results.not_measured {
            let _ = writeln!(out, "- {reason}");
        }
    }
    let _ = writeln!(out, "\n<!-- {SECTION}:end -->");
    out
}

/// Horizontal bars of the median wall time per way, one group per N, each group on its own
/// scale (the ways differ by more than an order of magnitude).
pub fn svg(results: &QuietResults) -> String {
    const WIDTH: f64 = 760.0;
    const LEFT: f64 = 200.0;
    const BAR: f64 = 22.0;
    let ns: Vec<usize> = results
        .settings
        .as_ref()
        .map(|s| s.ns.clone())
        .unwrap_or_default();
    let ways = [
        (QuietWay::JobsKill, "#1f6fd1"),
        (QuietWay::PerJob, "#7fb0e8"),
        (QuietWay::LocalExecSdk, "#d1431f"),
    ];
    let group_h = BAR * ways.len() as f64 + 40.0;
    let height = 50.0 + group_h * ns.len() as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"24\" font-size=\"15\">Quieting a cluster: wall time of terraform apply (median)</text>\n"
    );
    for (g, n) in ns.iter().enumerate() {
        let top = 50.0 + g as f64 * group_h;
        let _ = writeln!(
            out,
            "<text x=\"10\" y=\"{}\" font-weight=\"bold\">N = {n}</text>",
            top + 12.0
        );
        let medians: Vec<(QuietWay, &str, f64)> = ways
            .iter()
            .filter_map(|&(way, colour)| {
                let m = results.seconds.get(&(*n, way))?.median()?;
                Some((way, colour, m))
            })
            .collect();
        let max = medians.iter().map(|m| m.2).fold(0.0, f64::max).max(1e-3);
        for (i, (way, colour, m)) in medians.iter().enumerate() {
            let y = top + 20.0 + i as f64 * BAR;
            let w = (WIDTH - LEFT - 90.0) * m / max;
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
                 <rect x=\"{LEFT}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\"/>\n\
                 <text x=\"{:.1}\" y=\"{}\">{}</text>",
                LEFT - 8.0,
                y + 15.0,
                way.label(),
                y + 3.0,
                BAR - 6.0,
                LEFT + w + 6.0,
                y + 15.0,
                seconds_label(*m)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// `page` with the section replaced (or appended when the page has none yet).
pub fn with_section(page: &str, section: &str) -> String {
    let begin = format!("<!-- {SECTION}:begin -->");
    let end = format!("<!-- {SECTION}:end -->");
    match (page.find(&begin), page.find(&end)) {
        (Some(start), Some(stop)) if stop > start => {
            let after = &page[stop + end.len()..];
            format!("{}{}{}", &page[..start], section.trim_end(), after)
        }
        _ => format!(
            "{}\n{section}",
            page.trim_end_matches('\n').to_owned() + "\n"
        ),
    }
}
