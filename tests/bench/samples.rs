//! Repeated measurements of one figure and the summary the report prints (median, min, max).
//!
//! Medians, because the machine is shared and noisy: one slow run must not move the figure.

/// Measurements of one figure, in the unit the caller chose (seconds, milliseconds, bytes).
#[derive(Debug, Clone, Default)]
pub struct Samples {
    values: Vec<f64>,
}

impl Samples {
    /// No measurements yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one measurement.
    pub fn push(&mut self, value: f64) {
        self.values.push(value);
    }

    /// How many measurements there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The median (mean of the two middle values for an even count); `None` when empty.
    pub fn median(&self) -> Option<f64> {
        let sorted = self.sorted();
        let n = sorted.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(sorted[n / 2]),
            _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
        }
    }

    /// The smallest measurement.
    pub fn min(&self) -> Option<f64> {
        self.sorted().first().copied()
    }

    /// The largest measurement.
    pub fn max(&self) -> Option<f64> {
        self.sorted().last().copied()
    }

    fn sorted(&self) -> Vec<f64> {
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }
}
