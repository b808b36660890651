//! Records of kills that must survive a replacement.
//!
//! Terraform taints an instance whose create returned errors, and replaces a tainted instance
//! destroy-first: it calls Delete with the old record, then Create with no prior state
//! (REFERENCE §12). A kill MRS accepted whose wait did not confirm it (timed out, interrupted,
//! a look refused) would lose its `request_id` there, and the new create would send a second
//! kill into the job's dying window and meet `0175`.
//!
//! Both calls of one replacement reach the same provider process, one after the other. So
//! Delete hands an unconfirmed record to this process-wide shelf, keyed by what the kill was
//! aimed at, and the Create that follows takes it back: it confirms the earlier kill (watches,
//! sends nothing) and keeps its `request_id`, and `mrs_jobs_kill` keeps every job it recorded.
//! A record shelved by a plain `terraform destroy` is never taken and ends with the process.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};

/// One element of `mrs_jobs_kill`'s `jobs`: the record of one kill MRS accepted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KilledJob {
    /// Job ID.
    pub job_id: String,
    /// Job name, as listed.
    pub job_name: Option<String>,
    /// `X-Request-Id` of the accepted kill.
    pub request_id: Option<String>,
    /// Terminal state seen when waiting.
    pub final_job_state: Option<String>,
}

/// An accepted kill of one job that no look has confirmed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierKill {
    /// `X-Request-Id` MRS returned when it accepted the kill.
    pub request_id: Option<String>,
    /// When MRS accepted it, RFC 3339.
    pub killed_at: String,
}

#[derive(Debug, Clone)]
enum Shelved {
    One(EarlierKill),
    Many(Vec<KilledJob>),
}

fn shelf() -> &'static Mutex<HashMap<String, Shelved>> {
    static SHELF: OnceLock<Mutex<HashMap<String, Shelved>>> = OnceLock::new();
    SHELF.get_or_init(Mutex::default)
}

fn put(key: String, value: Shelved) {
    shelf()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, value);
}

fn take(key: &str) -> Option<Shelved> {
    shelf()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(key)
}

/// The key of one job's kill: where the job is, and which job. Parts are joined with NUL, which
/// no ID contains.
pub fn job_key(region: &str, project_id: &str, cluster_id: &str, job_id: &str) -> String {
    ["job", region, project_id, cluster_id, job_id].join("\0")
}

/// The key of a cluster-wide kill: where, and the selection as text.
pub fn selection_key(region: &str, project_id: &str, cluster_id: &str, selection: &str) -> String {
    ["jobs", region, project_id, cluster_id, selection].join("\0")
}

/// Keeps an unconfirmed kill of one job until the create that replaces its record.
pub fn shelve_kill(key: String, kill: EarlierKill) {
    put(key, Shelved::One(kill));
}

/// Takes back an unconfirmed kill of one job shelved by the replaced record.
pub fn take_kill(key: &str) -> Option<EarlierKill> {
    match take(key)? {
        Shelved::One(kill) => Some(kill),
        Shelved::Many(_) => None,
    }
}

/// Keeps the jobs of an `mrs_jobs_kill` record until the create that replaces it.
pub fn shelve_jobs(key: String, jobs: Vec<KilledJob>) {
    put(key, Shelved::Many(jobs));
}

/// Takes back the jobs of the replaced `mrs_jobs_kill` record.
pub fn take_jobs(key: &str) -> Vec<KilledJob> {
    match take(key) {
        Some(Shelved::Many(jobs)) => jobs,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shelved_kill_is_taken_once_and_only_by_its_own_key() {
        let key = job_key("r", "p", "c-shelf", "j1");
        let kill = EarlierKill {
            request_id: Some("req-1".into()),
            killed_at: "2026-12-04T00:00:00Z".into(),
        };
        shelve_kill(key.clone(), kill.clone());
        assert_eq!(take_kill(&job_key("r", "p", "c-shelf", "j2")), None);
        assert_eq!(take_jobs(&key), Vec::new(), "a job's kill is not a list");
        shelve_kill(key.clone(), kill.clone());
        assert_eq!(take_kill(&key), Some(kill));
        assert_eq!(take_kill(&key), None, "taken once");
    }
}
