//! Draws apply time against N for each way as an SVG line chart, written as text (no plotting
//! library): a log time axis, because the SDK baseline is two orders of magnitude above the rest.

use std::fmt::Write as _;

use crate::results::Results;
use crate::terraform_runs::Way;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 210.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

fn colour(way: Way) -> &'static str {
    match way {
        Way::Floor => "#6b6b6b",
        Way::Provider => "#1f6fd1",
        Way::Minimal => "#7fb0e8",
        Way::LocalExecSdk => "#d1431f",
    }
}

/// Seconds as a short label: `39 ms`, `1.2 s`.
pub fn seconds_label(s: f64) -> String {
    if s < 0.01 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// The SVG document for `results`.
pub fn svg(results: &Results) -> String {
    let series: Vec<(Way, Vec<(usize, f64)>)> =
        [Way::Floor, Way::Provider, Way::Minimal, Way::LocalExecSdk]
            .into_iter()
            .map(|way| {
                let points = results
                    .ns
                    .iter()
                    .filter_map(|&n| Some((n, results.median(n, way)?)))
                    .collect();
                (way, points)
            })
            .filter(|(_, points): &(Way, Vec<(usize, f64)>)| !points.is_empty())
            .collect();
    let all: Vec<f64> = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(_, s)| s))
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min).max(1e-4);
    let hi = all.iter().copied().fold(0.0, f64::max).max(lo * 10.0);
    let (decade_lo, decade_hi) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let max_n = results.ns.iter().copied().max().unwrap_or(1).max(1) as f64;

    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |n: f64| LEFT + n / max_n * plot_w;
    let y = |s: f64| {
        let t = (s.log10() - f64::from(decade_lo)) / f64::from(decade_hi - decade_lo);
        TOP + plot_h * (1.0 - t)
    };

    let mut out = String::new();
    // Writing to a String cannot fail; the results of write! are therefore not checked.
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(out, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(
        out,
        r##"<text x="{LEFT}" y="24" font-size="15" font-weight="bold">terraform apply: wall time against N (median of {} runs, log scale)</text>"##,
        results.runs
    );
    for decade in decade_lo..=decade_hi {
        for step in [1.0, 2.0, 5.0] {
            let s = step * 10f64.powi(decade);
            if s < 10f64.powi(decade_lo) || s > 10f64.powi(decade_hi) {
                continue;
            }
            let gy = y(s);
            let stroke = if step == 1.0 { "#cccccc" } else { "#eeeeee" };
            let _ = writeln!(
                out,
                r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}" stroke="{stroke}"/>"##,
                LEFT + plot_w
            );
            let _ = writeln!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{}</text>"##,
                LEFT - 6.0,
                gy + 4.0,
                seconds_label(s)
            );
        }
    }
    for &n in &results.ns {
        let gx = x(n as f64);
        let _ = writeln!(
            out,
            r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{:.1}" stroke="#eeeeee"/>"##,
            TOP + plot_h
        );
        let _ = writeln!(
            out,
            r##"<text x="{gx:.1}" y="{:.1}" text-anchor="middle" fill="#444">{n}</text>"##,
            TOP + plot_h + 18.0
        );
    }
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">N (resources, each killing one job)</text>"##,
        LEFT + plot_w / 2.0,
        HEIGHT - 16.0
    );

    for (index, (way, points)) in series.iter().enumerate() {
        let colour = colour(*way);
        let path: Vec<String> = points
            .iter()
            .map(|&(n, s)| format!("{:.1},{:.1}", x(n as f64), y(s)))
            .collect();
        // The cut-down build runs close to the lines around it: dashed, its values only in the table.
        let yardstick = *way == Way::Minimal;
        let dash = if yardstick {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        if points.len() > 1 {
            let _ = writeln!(
                out,
                r##"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>"##,
                path.join(" ")
            );
        }
        for &(n, s) in points {
            let (px, py) = (x(n as f64), y(s));
            let _ = writeln!(
                out,
                r##"<circle cx="{px:.1}" cy="{py:.1}" r="4" fill="{colour}"/>"##
            );
            if yardstick {
                continue;
            }
            let _ = writeln!(
                out,
                r##"<text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"##,
                px + 7.0,
                py - 7.0,
                seconds_label(s)
            );
        }
        let ly = TOP + 10.0 + index as f64 * 22.0;
        let lx = LEFT + plot_w + 16.0;
        let _ = writeln!(
            out,
            r##"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="3"{dash}/>"##,
            lx + 22.0
        );
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{:.1}">{}</text>"##,
            lx + 28.0,
            ly + 4.0,
            way.label()
        );
    }
    out.push_str("</svg>\n");
    out
}
