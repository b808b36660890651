//! The targets of issue 5 and whether a run met them, with by how much. Its apply ratios to the
//! floor are retired (issue 13): still measured, to catch a regression, and never a goal.

use crate::results::Results;
use crate::terraform_runs::Way;

const MIB: f64 = 1024.0 * 1024.0;

/// Which side of the limit is good.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// The figure must not exceed the limit.
    AtMost(f64),
    /// The figure must reach the limit.
    AtLeast(f64),
}

/// How a figure is printed.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// A ratio, `1.23×`.
    Times,
    /// Milliseconds.
    Millis,
    /// Bytes, printed in MiB.
    Mebibytes,
    /// A count.
    Count,
}

impl Unit {
    /// `value` in this unit.
    pub fn format(self, value: f64) -> String {
        match self {
            // Three decimals near zero, so a ratio just past its limit does not read `0.00× over`.
            Unit::Times if value.abs() < 0.01 && value != 0.0 => format!("{value:.3}×"),
            Unit::Times => format!("{value:.2}×"),
            Unit::Millis => format!("{value:.2} ms"),
            Unit::Mebibytes => format!("{:.2} MiB", value / MIB),
            Unit::Count => format!("{value:.0}"),
        }
    }
}

/// One target and the figure measured for it.
#[derive(Debug, Clone)]
pub struct Check {
    /// What is measured.
    pub figure: String,
    /// The measured value; `None` when it was not measured.
    pub value: Option<f64>,
    /// The target.
    pub goal: Goal,
    /// How to print value and limit.
    pub unit: Unit,
    /// Why the target no longer counts, when it does not.
    pub retired: Option<&'static str>,
}

/// Why issue 5's apply ratios to `terraform_data` are no longer goals.
pub const APPLY_RATIOS_RETIRED: &str = "retired (issue 13)";

impl Check {
    /// The target as text, e.g. `≤ 2.00×`.
    pub fn target(&self) -> String {
        match self.goal {
            Goal::AtMost(limit) => format!("≤ {}", self.unit.format(limit)),
            Goal::AtLeast(limit) => format!("≥ {}", self.unit.format(limit)),
        }
    }

    /// `Some(true)` when met, `None` when not measured.
    pub fn met(&self) -> Option<bool> {
        let value = self.value?;
        Some(match self.goal {
            Goal::AtMost(limit) => value <= limit,
            Goal::AtLeast(limit) => value >= limit,
        })
    }

    /// True when the figure is a goal: measured against its target and reported when missed.
    pub fn is_goal(&self) -> bool {
        self.retired.is_none()
    }

    /// `met (27% under)`, `NOT met (0.40× over, 20% above the target)`, `not measured`, or for a
    /// retired target `retired (issue 13); within it` / `…; 0.40× past it`.
    pub fn verdict(&self) -> String {
        let Some(value) = self.value else {
            return "not measured".to_owned();
        };
        if let Some(retired) = self.retired {
            let past = match self.goal {
                Goal::AtMost(limit) => value - limit,
                Goal::AtLeast(limit) => limit - value,
            };
            return if past <= 0.0 {
                format!("{retired}; within it")
            } else {
                format!("{retired}; {} past it", self.unit.format(past))
            };
        }
        let (limit, margin) = match self.goal {
            Goal::AtMost(limit) => (limit, limit - value),
            Goal::AtLeast(limit) => (limit, value - limit),
        };
        let percent = if limit == 0.0 {
            0.0
        } else {
            margin.abs() / limit * 100.0
        };
        let amount = self.unit.format(margin.abs());
        match (self.met(), self.goal) {
            (Some(true), Goal::AtMost(_)) => format!("met ({amount}, {percent:.0}% under)"),
            (Some(true), Goal::AtLeast(_)) => format!("met ({amount}, {percent:.0}% over)"),
            (_, Goal::AtMost(_)) => {
                format!("**NOT met** ({amount} over, {percent:.0}% above the target)")
            }
            (_, Goal::AtLeast(_)) => {
                format!("**NOT met** ({amount} short, {percent:.0}% below the target)")
            }
        }
    }
}

/// The apply-time targets (N, most `way` / floor may be), for `way` called `name` in the text.
pub fn apply_checks(results: &Results, way: Way, name: &str) -> Vec<Check> {
    [(1, 2.0), (100, 1.35), (400, 1.3)]
        .into_iter()
        .map(|(n, limit)| Check {
            figure: format!("apply N={n}: {name} / floor"),
            value: results.ratio(n, way, Way::Floor),
            goal: Goal::AtMost(limit),
            unit: Unit::Times,
            retired: Some(APPLY_RATIOS_RETIRED),
        })
        .collect()
}

/// The targets, evaluated on `results`.
pub fn checks(results: &Results) -> Vec<Check> {
    let mut checks = apply_checks(results, Way::Provider, "ours");
    checks.push(Check {
        figure: "N=100: local-exec + official SDK / ours".to_owned(),
        value: results.ratio(100, Way::LocalExecSdk, Way::Provider),
        goal: Goal::AtLeast(40.0),
        unit: Unit::Times,
        retired: None,
    });
    checks.push(Check {
        figure: "exec → handshake line (median)".to_owned(),
        value: results.handshake_ms.median(),
        goal: Goal::AtMost(3.0),
        unit: Unit::Millis,
        retired: None,
    });
    checks.push(Check {
        figure: "peak RSS of a provider process, N=400 apply".to_owned(),
        value: results
            .processes
            .iter()
            .find(|p| p.n == 400)
            .and_then(|p| p.peak_rss_bytes)
            .map(|b| b as f64),
        goal: Goal::AtMost(20.0 * MIB),
        unit: Unit::Mebibytes,
        retired: None,
    });
    checks.push(Check {
        figure: "release binary size".to_owned(),
        value: Some(results.binary_bytes as f64),
        goal: Goal::AtMost(8.0 * MIB),
        unit: Unit::Mebibytes,
        retired: None,
    });
    for p in &results.processes {
        checks.push(Check {
            figure: format!(
                "TCP connections to MRS, N={} apply (≤ provider processes)",
                p.n
            ),
            value: Some(p.connections as f64),
            goal: Goal::AtMost(p.processes as f64),
            unit: Unit::Count,
            retired: None,
        });
    }
    checks
}
