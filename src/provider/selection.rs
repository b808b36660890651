//! Which jobs of a cluster a cluster-wide kill aims at: the filters (`job_name`, `user`,
//! `job_type`, `queue`) or exactly `job_ids`. The resource and the action `mrs_jobs_kill` share
//! these attributes, their model part and the rule that keeps the two ways apart, so neither can
//! drift from the other.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::framework::{Attribute, Schema};
use crate::provider::quiet::Selection;
use crate::provider::validators::{validate_filter, validate_id};
use crate::tfvalue::Type;

/// `job_name`: part of the job name (the API's fuzzy match).
pub(crate) const JOB_NAME: &str = "job_name";
/// `user`: the submitting user.
pub(crate) const USER: &str = "user";
/// `job_type`: the job type, e.g. `SparkSubmit`.
pub(crate) const JOB_TYPE: &str = "job_type";
/// `queue`: the YARN queue.
pub(crate) const QUEUE: &str = "queue";
/// `job_ids`: exactly these jobs.
pub(crate) const JOB_IDS: &str = "job_ids";

/// The filters that narrow the selection; none may be set together with `job_ids`.
pub(crate) const FILTERS: [&str; 4] = [JOB_NAME, USER, JOB_TYPE, QUEUE];

/// The selection's part of a model, flattened into the resource's and the action's.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobSelection {
    /// Only jobs whose name contains this.
    pub job_name: Option<String>,
    /// Only jobs of this user.
    pub user: Option<String>,
    /// Only jobs of this type.
    pub job_type: Option<String>,
    /// Only jobs in this queue.
    pub queue: Option<String>,
    /// Exactly these jobs.
    pub job_ids: Option<BTreeSet<String>>,
}

impl JobSelection {
    /// The selection on `cluster_id`, as the listing and the kills take it.
    pub fn on_cluster(&self, cluster_id: &str) -> Selection {
        Selection {
            cluster_id: cluster_id.to_owned(),
            job_name: self.job_name.clone(),
            user: self.user.clone(),
            job_type: self.job_type.clone(),
            queue: self.queue.clone(),
            job_ids: self.job_ids.clone(),
        }
    }

    /// The selection as text, to tell two selections on one cluster apart.
    pub fn key_text(&self) -> String {
        format!(
            "{:?}",
            (
                &self.job_name,
                &self.user,
                &self.job_type,
                &self.queue,
                &self.job_ids
            )
        )
    }
}

/// Why `job_ids` and the filters exclude each other, and what each choice does. The framework
/// judges the conflict only once the values are known, so a module passing `job_ids` and `user`
/// through variables that default to null validates.
const SELECTION_ADVICE: &str = "job_ids names exactly the jobs to kill; the filters narrow every job that has not ended. \
     Keep job_ids to kill exactly those jobs, or the filters to kill the jobs that match them.";

/// The attributes both the resource and the action have besides the location.
pub(crate) fn selection_attributes(schema: Schema) -> Schema {
    let filter = |name: &str, plain: &str, markdown: &str| {
        Attribute::string(name)
            .optional()
            .requires_replace()
            .validate_string(validate_filter)
            .describe(plain, markdown)
    };
    schema
        .attribute(filter(
            JOB_NAME,
            "Only jobs whose name contains this text (the MRS API's fuzzy match).",
            "Only jobs whose name contains this text (the MRS API's fuzzy match). Not with `job_ids`.",
        ))
        .attribute(filter(
            USER,
            "Only jobs submitted by this user.",
            "Only jobs submitted by this user. Not with `job_ids`.",
        ))
        .attribute(filter(
            JOB_TYPE,
            "Only jobs of this type, e.g. SparkSubmit.",
            "Only jobs of this type, e.g. `SparkSubmit`, `Flink`. Not with `job_ids`.",
        ))
        .attribute(filter(
            QUEUE,
            "Only jobs in this YARN queue.",
            "Only jobs in this YARN queue. Not with `job_ids`.",
        ))
        .attribute(
            Attribute::new(JOB_IDS, Type::set(Type::String))
                .optional()
                .requires_replace()
                .validate_string(validate_id)
                .describe(
                    "Exactly these jobs instead of every job that has not ended.",
                    "Exactly these job IDs, instead of every job that has not ended (`NEW`, `NEW_SAVING`, \
                     `SUBMITTED`, `ACCEPTED`, `RUNNING`). Cannot be combined with the filters.",
                ),
        )
        .conflicts(JOB_IDS, &FILTERS, SELECTION_ADVICE)
}
