//! Watches the provider processes Terraform starts: their PIDs and their peak resident memory.
//!
//! Terraform execs the provider as its direct child, so polling the `terraform` process's
//! `/proc/<pid>/task/*/children` lists for our binary finds every provider that lives longer
//! than a polling interval. `VmHWM` is the kernel's own high-water mark of a process's RSS, so the last
//! value read before the process exits is its peak, however briefly the peak lasted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often `/proc` is scanned. Short enough to catch a provider that only answers a schema call.
const POLL_INTERVAL: Duration = Duration::from_millis(2);

/// What the watcher saw.
#[derive(Debug, Clone, Default)]
pub struct WatchReport {
    /// Distinct provider PIDs.
    pub pids: BTreeSet<u32>,
    /// Peak RSS (`VmHWM`) of each provider process, in KiB.
    pub peak_rss_kib: BTreeMap<u32, u64>,
}

impl WatchReport {
    /// The largest peak RSS of any one provider process, in bytes.
    pub fn max_peak_rss_bytes(&self) -> Option<u64> {
        self.peak_rss_kib.values().max().map(|kib| kib * 1024)
    }
}

/// A background thread polling `/proc` until [`ProcessWatch::finish`].
pub struct ProcessWatch {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<WatchReport>,
}

impl ProcessWatch {
    /// Starts watching children of `parent` that run `binary`.
    pub fn start(parent: u32, binary: &Path) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let binary = std::fs::canonicalize(binary).unwrap_or_else(|_| binary.to_path_buf());
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || watch(parent, &binary, &stop))
        };
        Self { stop, thread }
    }

    /// Stops watching and returns what was seen.
    pub fn finish(self) -> WatchReport {
        self.stop.store(true, Ordering::Relaxed);
        // A watcher that panicked saw nothing we can trust; report nothing rather than guess.
        self.thread.join().unwrap_or_default()
    }
}

fn watch(parent: u32, binary: &PathBuf, stop: &AtomicBool) -> WatchReport {
    let mut report = WatchReport::default();
    while !stop.load(Ordering::Relaxed) {
        scan(parent, binary, &mut report);
        std::thread::sleep(POLL_INTERVAL);
    }
    report
}

fn scan(parent: u32, binary: &PathBuf, report: &mut WatchReport) {
    for pid in children_of(parent) {
        if !report.pids.contains(&pid) && !runs(pid, binary) {
            continue;
        }
        report.pids.insert(pid);
        if let Some(kib) = peak_rss_kib(pid) {
            let peak = report.peak_rss_kib.entry(pid).or_insert(0);
            *peak = (*peak).max(kib);
        }
    }
}

/// Children of `parent`, from each of its threads' `children` list (Go starts them from any thread).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{parent}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

fn runs(pid: u32, binary: &PathBuf) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| &exe == binary)
}

/// `VmHWM` from `/proc/<pid>/status`, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
