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
            TraceEvent::ProcessStarting => "exec provider".to_owned(),
            TraceEvent::Handshake => "handshake done".to_owned(),
            TraceEvent::Rpc(name) => name.clone(),
            TraceEvent::ProcessExited => "provider exited".to_owned(),
        }
    }

    fn from_message(line: &str) -> Option<Self> {
        if line.contains("provider: starting plugin:") {
            Some(TraceEvent::ProcessStarting)
        } else if line.contains("provider: using plugin:") {
            Some(TraceEvent::Handshake)
        } else if line.contains("plugin process exited") {
            Some(TraceEvent::ProcessExited)
        } else {
            let (_, rest) = line.split_once("GRPCProvider.v6: ")?;
            let name = rest.split_whitespace().next()?;
            Some(TraceEvent::Rpc(name.to_owned()))
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

    /// Milliseconds from the start of the log to the first provider exec, and from the last
    /// provider exit to the end: Terraform's own work around the provider.
    pub fn outside_provider_ms(&self) -> Option<(f64, f64)> {
        let first = self
            .events
            .iter()
            .find(|e| e.event == TraceEvent::ProcessStarting)?;
        let last = self
            .events
            .iter()
            .rev()
            .find(|e| e.event == TraceEvent::ProcessExited)?;
        Some((first.at_ms, self.span_ms - last.at_ms))
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
