//! The "Quieting a cluster" section of `docs/performance.md` and its chart
//! (`performance-quiet.svg`): what [`quiet`](crate::quiet) measured, and each of issue 13's targets
//! met or not.

use std::fmt::Write as _;

use crate::chart::seconds_label;
use crate::quiet::{QuietResults, QuietWay};
use crate::samples::Samples;

const MIB: f64 = 1024.0 * 1024.0;
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

fn ratio(results: &QuietResults, n: usize, way: QuietWay) -> String {
    let median = |way| results.seconds.get(&(n, way)).and_then(Samples::median);
    match (median(way), median(QuietWay::JobsKill)) {
        (Some(other), Some(ours)) if ours > 0.0 => format!("{:.1}×", other / ours),
        _ => "–".to_owned(),
    }
}

fn verdict(value: Option<f64>, limit: f64) -> &'static str {
    match value {
        Some(v) if v <= limit => "met",
        Some(_) => "**not met**",
        None => "not measured",
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
    let largest = settings.largest_n();
    let _ = writeln!(out, "## Quieting a cluster\n");
    let _ = writeln!(
        out,
        "Stopping every running job of a cluster and waiting until all are dead, on the emulator with a kill \
         delay of D = {d:.0} s (an accepted kill shows `RUNNING` for D, then `KILLED`). Each way is a whole \
         `terraform apply` in a fresh directory on a fresh cluster of N `RUNNING` jobs, and every job was checked \
         to end `KILLED`. `mrs_jobs_kill` ran {} at each N; the comparisons at N={largest} take minutes \
         (Terraform runs at most 10 `mrs_job_kill` at once) and ran once. Figures are medians (min–max).\n",
        match settings.runs {
            1 => "once".to_owned(),
            n => format!("{n} times"),
        }
    );
    let _ = writeln!(
        out,
        "| N | {} (with wait) | {} (with wait, `for_each` over `mrs_job_executions`) | per-job / ours | {} (StopJob, then ShowSingleJobExe each second) | SDK / ours |\n|---|---|---|---|---|---|",
        QuietWay::JobsKill.label(),
        QuietWay::PerJob.label(),
        QuietWay::LocalExecSdk.label()
    );
    for &n in &settings.ns {
        let _ = writeln!(
            out,
            "| {n} | {} | {} | {} | {} | {} |",
            cell(results.seconds.get(&(n, QuietWay::JobsKill))),
            cell(results.seconds.get(&(n, QuietWay::PerJob))),
            ratio(results, n, QuietWay::PerJob),
            cell(results.seconds.get(&(n, QuietWay::LocalExecSdk))),
            ratio(results, n, QuietWay::LocalExecSdk),
        );
    }
    let _ = writeln!(out, "\n![wall time of quieting a cluster]({chart_file})\n");

    let _ = writeln!(
        out,
        "MRS requests per confirmed kill at N={largest} (kills, polls and lists the emulator received during the apply, \
         plan included, divided by N):\n"
    );
    let _ = writeln!(out, "| way | requests per kill |\n|---|---|");
    for way in [QuietWay::JobsKill, QuietWay::PerJob, QuietWay::LocalExecSdk] {
        if let Some(r) = results.requests_per_kill.get(&way) {
            let _ = writeln!(out, "| {} | {r:.2} |", way.label());
        }
    }

    let rate = settings.rate_limit;
    let rate_n = settings.rate_n;
    let _ = writeln!(
        out,
        "\nBehind a gateway allowing R = {rate:.0} requests/s per project (429 `APIGW.0308`, no `Retry-After`), \
         N = {rate_n}, D = {:.0} s, `mrs_jobs_kill` with wait:\n",
        settings.rate_kill_delay.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| client | wall time | 429s / requests | failed applies |\n|---|---|---|---|"
    );
    for (governor, label) in [
        (true, "with the governor"),
        (false, "without (`TF_PROVIDER_MRS_GOVERNOR=off`)"),
    ] {
        let Some(t) = results.throttled.get(&governor) else {
            continue;
        };
        let share = t
            .share_429
            .median()
            .map_or_else(|| "–".to_owned(), |s| format!("{:.1} %", s * 100.0));
        let failures = if t.failures.is_empty() {
            "0".to_owned()
        } else {
            format!("{}: {}", t.failures.len(), t.failures.join("; "))
        };
        let _ = writeln!(
            out,
            "| {label} | {} | {share} | {failures} |",
            cell(Some(&t.seconds))
        );
    }

    let ours_largest = results
        .seconds
        .get(&(largest, QuietWay::JobsKill))
        .and_then(Samples::median);
    let per_kill = results.requests_per_kill.get(&QuietWay::JobsKill).copied();
    let governed = results.throttled.get(&true);
    let rate_wall = governed.and_then(|t| t.seconds.median());
    let rate_share = governed.and_then(|t| t.share_429.median());
    let rate_limit_s = 1.3 * rate_n as f64 / rate + 4.0;
    let rss = results.peak_rss_bytes.map(|b| b as f64);
    let _ = writeln!(out, "\n### Targets (issue 13)\n");
    let _ = writeln!(
        out,
        "| figure | measured | target | verdict |\n|---|---|---|---|"
    );
    let rows = [
        (
            format!("`mrs_jobs_kill` wall time, N={largest}"),
            ours_largest.map(seconds_label),
            format!("≤ D + 3 s = {}", seconds_label(d + 3.0)),
            verdict(ours_largest, d + 3.0),
        ),
        (
            format!("requests per confirmed kill, N={largest}"),
            per_kill.map(|r| format!("{r:.2}")),
            "≤ 1.25".to_owned(),
            verdict(per_kill, 1.25),
        ),
        (
            format!("wall time, R={rate:.0}, N={rate_n}"),
            rate_wall.map(seconds_label),
            format!("≤ 1.3 × N/R + 4 s = {}", seconds_label(rate_limit_s)),
            verdict(rate_wall, rate_limit_s),
        ),
        (
            format!("429s as a share of requests, R={rate:.0}, N={rate_n}"),
            rate_share.map(|s| format!("{:.1} %", s * 100.0)),
            "≤ 10 %".to_owned(),
            verdict(rate_share, 0.10),
        ),
        (
            format!("peak RSS of the provider process, N={largest}"),
            rss.map(|b| format!("{:.1} MiB", b / MIB)),
            "≤ 30 MiB".to_owned(),
            verdict(rss, 30.0 * MIB),
        ),
    ];
    for (figure, measured, target, verdict) in rows {
        let _ = writeln!(
            out,
            "| {figure} | {} | {target} | {verdict} |",
            measured.unwrap_or_else(|| "–".to_owned())
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
