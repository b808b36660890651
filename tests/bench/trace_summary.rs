//! Reads a `TF_LOG=trace` log of one apply and says where the time went: when Terraform started
//! each provider process, when the handshake completed, each RPC it made, and the gaps between.
//!
//! Terraform stamps its log lines to the millisecond (`2026-01-02T03:04:05.678Z [TRACE] ...`); the
//! events that matter are go-plugin's (`provider: starting plugin`, `using plugin`, `plugin
//! process exited`) and the gRPC client's (`GRPCProvider.v6: <Rpc>`).

use std::collections::BTreeMap;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One event of interest in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceEvent {
    /// Terraform starts generating the client certificate for the next provider process
    /// (go-plugin's AutoMTLS: a fresh ECDSA P-521 key and self-signed certificate each time).
    ClientCertificate,
    /// Terraform is about to exec a provider process.
    ProcessStarting,
    /// Terraform read the handshake line and connected.
    Handshake,
    /// Terraform called an RPC (its name, e.g. `PlanResourceChange`).
    Rpc(String),
    /// A provider process exited.
    ProcessExited,
}

impl TraceEvent {
    fn describe(&self) -> String {
        match self {
            TraceEvent::ClientCertificate => "client certificate".to_owned(),
            TraceEvent::ProcessStarting => "exec provider".to_owned(),
            TraceEvent::Handshake => "handshake done".to_owned(),
            TraceEvent::Rpc(name) => name.clone(),
            TraceEvent::ProcessExited => "provider exited".to_owned(),
        }
    }

    fn from_message(line: &str) -> Option<Self> {
        if line.contains("provider: configuring client automatic mTLS") {
            Some(TraceEvent::ClientCertificate)
        } else if line.contains("provider: starting plugin:") {
            Some(TraceEvent::ProcessStarting)
        } else if line.contains("provider: using plugin:") {
            Some(TraceEvent::Handshake)
        } else if line.contains("plugin process exited") {
            Some(TraceEvent::ProcessExited)
        } else {
            // RPC lines name the call (`GRPCProvider.v6: PlanResourceChange`); other lines of the
            // same logger (`returning cached schema`) describe work done without a call.
            let (_, rest) = line.split_once("GRPCProvider.v6: ")?;
            let name = rest.split_whitespace().next()?.trim_end_matches(':');
            name.starts_with(|c: char| c.is_ascii_uppercase())
                .then(|| TraceEvent::Rpc(name.to_owned()))
        }
    }
}

/// An event and its time, in milliseconds since the first line of the log.
#[derive(Debug, Clone)]
pub struct TimedEvent {
    /// Milliseconds since the log began.
    pub at_ms: f64,
    /// What happened.
    pub event: TraceEvent,
}

/// The provider-related timeline of one apply.
#[derive(Debug, Clone, Default)]
pub struct TraceSummary {
    /// From the first to the last log line, in milliseconds.
    pub span_ms: f64,
    /// The events in order.
    pub events: Vec<TimedEvent>,
}

/// The apply's time split by what the provider processes were doing, in milliseconds, assuming
/// Terraform runs them one after the other (as it does for an apply of one resource).
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Log start → first client certificate (or exec): Terraform alone.
    pub before_first_exec: f64,
    /// Client certificate → exec: Terraform generating its AutoMTLS certificate, summed.
    pub client_certificate: f64,
    /// Exec → handshake read, summed over processes.
    pub startup: f64,
    /// Handshake → first RPC (mTLS and HTTP/2 set-up, Terraform's client set-up), summed.
    pub connect: f64,
    /// First RPC → `Close`: the provider serving calls, summed.
    pub serving: f64,
    /// `Close` → process exit, summed.
    pub shutdown: f64,
    /// Process exit → next client certificate: Terraform alone between its phases, summed.
    pub between_processes: f64,
    /// Last exit → end of the log: Terraform alone.
    pub after_last_exit: f64,
}

/// A gap between two consecutive events.
#[derive(Debug, Clone)]
pub struct Gap {
    /// How long nothing of interest happened, in milliseconds.
    pub ms: f64,
    /// The event before the gap.
    pub after: String,
    /// The event that ended it.
    pub before: String,
}

impl TraceSummary {
    /// Parses a Terraform log; lines without a timestamp (continuations) are skipped.
    pub fn parse(log: &str) -> Self {
        let mut first = None;
        let mut last = None;
        let mut events = Vec::new();
        for line in log.lines() {
            let Some(stamp) = line.split_whitespace().next() else {
                continue;
            };
            let Ok(at) = OffsetDateTime::parse(stamp, &Rfc3339) else {
                continue;
            };
            let origin = *first.get_or_insert(at);
            last = Some(at);
            if let Some(event) = TraceEvent::from_message(line) {
                events.push(TimedEvent {
                    at_ms: (at - origin).as_seconds_f64() * 1e3,
                    event,
                });
            }
        }
        let span_ms = match (first, last) {
            (Some(first), Some(last)) => (last - first).as_seconds_f64() * 1e3,
            _ => 0.0,
        };
        Self { span_ms, events }
    }

    /// How many provider processes Terraform started.
    pub fn processes(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.event == TraceEvent::ProcessStarting)
            .count()
    }

    /// How many times each RPC was called.
    pub fn rpc_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for event in &self.events {
            if let TraceEvent::Rpc(name) = &event.event {
                *counts.entry(name.clone()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Milliseconds from each exec of a provider to its handshake, in order.
    pub fn startup_ms(&self) -> Vec<f64> {
        let mut pending = Vec::new();
        let mut startups = Vec::new();
        for event in &self.events {
            match event.event {
                TraceEvent::ProcessStarting => pending.push(event.at_ms),
                TraceEvent::Handshake if !pending.is_empty() => {
                    startups.push(event.at_ms - pending.remove(0));
                }
                _ => {}
            }
        }
        startups
    }

    /// Splits the apply's time into [`Phases`].
    pub fn phases(&self) -> Phases {
        let mut phases = Phases::default();
        let (mut exec_at, mut handshake_at, mut first_rpc_at, mut close_at, mut exit_at) =
            (None, None, None, None, None);
        let mut certificate_at = None;
        for TimedEvent { at_ms: at, event } in &self.events {
            match event {
                TraceEvent::ClientCertificate => {
                    match exit_at {
                        Some(exit) => phases.between_processes += at - exit,
                        None => phases.before_first_exec = *at,
                    }
                    certificate_at = Some(*at);
                }
                TraceEvent::ProcessStarting => {
                    match (certificate_at.take(), exit_at) {
                        (Some(certificate), _) => phases.client_certificate += at - certificate,
                        (None, Some(exit)) => phases.between_processes += at - exit,
                        (None, None) => phases.before_first_exec = *at,
                    }
                    (exec_at, handshake_at, first_rpc_at, close_at) = (Some(*at), None, None, None);
                }
                TraceEvent::Handshake => {
                    phases.startup += exec_at.map_or(0.0, |exec| at - exec);
                    handshake_at = Some(*at);
                }
                TraceEvent::Rpc(name) => {
                    if first_rpc_at.is_none() {
                        phases.connect += handshake_at.map_or(0.0, |handshake| at - handshake);
                        first_rpc_at = Some(*at);
                    }
                    if name == "Close" {
                        phases.serving += first_rpc_at.map_or(0.0, |first| at - first);
                        close_at = Some(*at);
                    }
                }
                TraceEvent::ProcessExited => {
                    phases.shutdown += close_at.map_or(0.0, |close| at - close);
                    exit_at = Some(*at);
                }
            }
        }
        phases.after_last_exit = exit_at.map_or(0.0, |exit| self.span_ms - exit);
        phases
    }

    /// The `count` longest gaps between consecutive events, longest first.
    pub fn longest_gaps(&self, count: usize) -> Vec<Gap> {
        let mut gaps: Vec<Gap> = self
            .events
            .windows(2)
            .map(|pair| Gap {
                ms: pair[1].at_ms - pair[0].at_ms,
                after: pair[0].event.describe(),
                before: pair[1].event.describe(),
            })
            .collect();
        gaps.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        gaps.truncate(count);
        gaps
    }

    /// The events as `(ms since start, ms since previous event, description)`.
    pub fn timeline(&self) -> Vec<(f64, f64, String)> {
        let mut previous = 0.0;
        self.events
            .iter()
            .map(|e| {
                let row = (e.at_ms, e.at_ms - previous, e.event.describe());
                previous = e.at_ms;
                row
            })
            .collect()
    }
}
