//! When an apply's MRS requests happened, read from the emulator's counters while it runs: where
//! the wall time of quieting a cluster goes (before the first kill, sending the kills, waiting for
//! the deaths, after the last request).
//!
//! The counters are sampled every [`POLL_INTERVAL`] from a second thread, so each time is good to
//! about that much, and the sampling costs the emulator a little: it is used only on untimed
//! applies.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mrs_emulator::EmulatorHandle;

/// How often the emulator's counters are read.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// Seconds from the start of the apply to each event (`None`: it did not happen).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestTimeline {
    /// The first MRS request (the plan's listing).
    pub first_request_s: Option<f64>,
    /// The first kill request.
    pub first_kill_s: Option<f64>,
    /// The last kill request.
    pub last_kill_s: Option<f64>,
    /// The last MRS request of any kind (the final quiet check).
    pub last_request_s: Option<f64>,
    /// The apply returned.
    pub end_s: f64,
}

/// Runs `apply` while watching `emulator`'s counters; its result and the timeline.
pub fn during<R>(emulator: &EmulatorHandle, apply: impl FnOnce() -> R) -> (R, RequestTimeline) {
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let base = emulator.stats();
    let (base_total, base_kills) = (base.requests.total(), base.requests.kill);
    std::thread::scope(|scope| {
        let poller = scope.spawn(|| {
            let mut timeline = RequestTimeline::default();
            let (mut total, mut kills) = (base_total, base_kills);
            while !stop.load(Ordering::Relaxed) {
                let now = emulator.stats();
                let t = Some(started.elapsed().as_secs_f64());
                if now.requests.total() > total {
                    total = now.requests.total();
                    timeline.first_request_s = timeline.first_request_s.or(t);
                    timeline.last_request_s = t;
                }
                if now.requests.kill > kills {
                    kills = now.requests.kill;
                    timeline.first_kill_s = timeline.first_kill_s.or(t);
                    timeline.last_kill_s = t;
                }
                std::thread::sleep(POLL_INTERVAL);
            }
            timeline
        });
        let result = apply();
        let end_s = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        // A poller that panicked saw nothing we can trust; report no events rather than guess.
        let timeline = poller.join().unwrap_or_default();
        (result, RequestTimeline { end_s, ..timeline })
    })
}

impl RequestTimeline {
    /// One line for the report: the phases between the events, in seconds. `kill_delay` is the
    /// emulator's time from an accepted kill to KILLED, so the last job died at about the last
    /// kill plus it; what the wait took beyond that is said too.
    pub fn phases(&self, kill_delay: Duration) -> String {
        let span = |from: Option<f64>, to: Option<f64>| match (from, to) {
            (Some(a), Some(b)) => format!("{:.2} s", b - a),
            _ => "–".to_owned(),
        };
        format!(
            "start → first MRS request {}; → first kill {}; kills sent over {}; last kill → last request {} \
             (the last job died {:.0} s after its kill: the wait ran {} past it); last request → apply returned {} \
             (whole apply {:.2} s)",
            span(Some(0.0), self.first_request_s),
            span(self.first_request_s, self.first_kill_s),
            span(self.first_kill_s, self.last_kill_s),
            span(self.last_kill_s, self.last_request_s),
            kill_delay.as_secs_f64(),
            span(
                self.last_kill_s.map(|t| t + kill_delay.as_secs_f64()),
                self.last_request_s
            ),
            span(self.last_request_s, Some(self.end_s)),
            self.end_s
        )
    }
}
