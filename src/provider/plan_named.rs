//! Honest reports of `mrs_jobs_kill`: the jobs its plan named travel to the apply in the
//! plan's private state (tfplugin6 `planned_private`), and after the kills a warning says how
//! many the plan named and which jobs were killed that it did not show.
//!
//! Which plan that is: Terraform plans every change again at the start of its apply and hands
//! the apply *that* plan's private state, never the one of the plan it showed first. For a
//! create, that second plan gets no private state to carry over (its `prior_private` is the
//! state's, empty), and applying a saved plan (`plan -out`, `apply FILE`) is no different; this
//! was checked with Terraform 1.11 (`a_saved_plan_applied_later_names_every_job_it_kills`). So
//! the jobs named here are those of the plan made when the apply started; its warning, in the
//! apply's output, names every job that matched then, and this report names every job killed
//! after it: those that arrived or began to match while the apply ran.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::records::KilledJob;
use crate::mrs::shown_text::one_line_bounded;

/// Jobs named one per line before the rest are only counted.
const NAMED_AT_MOST: usize = 100;

/// What a plan showed, as kept in its private state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanNamed {
    /// The job IDs the plan's warning named.
    pub named: BTreeSet<String>,
}

impl PlanNamed {
    /// The private bytes for a plan that named `job_ids`.
    pub fn to_private(job_ids: impl IntoIterator<Item = String>) -> Vec<u8> {
        let named = PlanNamed {
            named: job_ids.into_iter().collect(),
        };
        serde_json::to_vec(&named).unwrap_or_default()
    }

    /// What the plan named, read from its private bytes; `None` when it named nothing it could
    /// list (its selection was not known yet, the listing failed) or the bytes are not ours.
    pub fn from_private(private: &[u8]) -> Option<Self> {
        if private.is_empty() {
            return None;
        }
        serde_json::from_slice(private).ok()
    }

    /// The warning for an apply that killed `killed`: how many jobs the plan named, and the
    /// killed jobs it did not name (first [`NAMED_AT_MOST`], then a count). `None` when every
    /// killed job was named.
    pub fn report(&self, cluster_id: &str, killed: &[KilledJob]) -> Option<(String, String)> {
        let unnamed: Vec<&KilledJob> = killed
            .iter()
            .filter(|job| !self.named.contains(&job.job_id))
            .collect();
        if unnamed.is_empty() {
            return None;
        }
        let summary = format!(
            "mrs_jobs_kill killed {} job(s) on cluster {cluster_id} that its plan did not name",
            unnamed.len()
        );
        let mut detail = format!(
            "The plan Terraform made of this resource when the apply started named {} job(s); the apply killed {}. \
             These were killed without being named in that plan (they were submitted, or began to match the \
             selection, while the apply ran):\n",
            self.named.len(),
            killed.len()
        );
        for job in unnamed.iter().take(NAMED_AT_MOST) {
            let _ = writeln!(
                detail,
                "  {}  {}",
                one_line_bounded(&job.job_id, 128),
                one_line_bounded(job.job_name.as_deref().unwrap_or("-"), 256)
            );
        }
        if unnamed.len() > NAMED_AT_MOST {
            let _ = writeln!(
                detail,
                "  … and {} more ({} in all).",
                unnamed.len() - NAMED_AT_MOST,
                unnamed.len()
            );
        }
        detail.push_str("Every job killed is recorded in `jobs`.");
        Some((summary, detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn killed(id: &str, name: &str) -> KilledJob {
        KilledJob {
            job_id: id.to_owned(),
            job_name: Some(name.to_owned()),
            request_id: None,
            final_job_state: None,
        }
    }

    #[test]
    fn private_bytes_that_are_not_ours_or_empty_name_nothing() {
        assert_eq!(PlanNamed::from_private(b""), None);
        assert_eq!(PlanNamed::from_private(b"\x00garbage"), None);
        let named = PlanNamed::from_private(&PlanNamed::to_private(["j1".to_owned()]));
        assert_eq!(named.map(|n| n.named.len()), Some(1));
    }

    #[test]
    fn the_report_counts_the_named_and_lists_the_unnamed_escaped_first_hundred_then_a_count() {
        let plan = PlanNamed {
            named: ["a".to_owned(), "b".to_owned()].into(),
        };
        assert_eq!(plan.report("c1", &[killed("a", "x")]), None);
        let mut jobs = vec![
            killed("a", "x"),
            killed("new", "evil\u{1b}[2J\nPlan: 0 to add"),
        ];
        jobs.extend((0..120).map(|i| killed(&format!("late{i}"), "etl")));
        let (summary, detail) = plan.report("c1", &jobs).expect("a warning");
        assert_eq!(
            summary,
            "mrs_jobs_kill killed 121 job(s) on cluster c1 that its plan did not name"
        );
        assert!(
            detail.contains("named 2 job(s); the apply killed 122."),
            "{detail}"
        );
        assert!(!detail.contains('\u{1b}'), "escaped: {detail}");
        assert!(
            !detail.lines().any(|l| l.starts_with("Plan: ")),
            "a name cannot forge a plan line: {detail}"
        );
        assert_eq!(
            detail.lines().filter(|l| l.starts_with("  late")).count(),
            99
        );
        assert!(detail.contains("  … and 21 more (121 in all)."), "{detail}");
    }
}
