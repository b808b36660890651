//! One job as both data sources show it: `mrs_job_execution` has a job's details as top-level
//! attributes, and `mrs_job_executions` has one entry per job in `jobs`, with the same details
//! and a few more. The details are one table here, so an attribute added to it appears in both,
//! with the same name, type and conversion from the API's answer.

use serde::{Deserialize, Serialize};

use crate::framework::{Attribute, Schema};
use crate::mrs::JobDetail;
use crate::tfvalue::Type;

/// One attribute of a job's details: its name, whether it is a number (else a string), and its
/// description.
struct Detail {
    name: &'static str,
    number: bool,
    description: &'static str,
}

const fn text(name: &'static str, description: &'static str) -> Detail {
    Detail {
        name,
        number: false,
        description,
    }
}

/// The details both data sources show, in the order `mrs_job_execution` declares them; the
/// names are [`JobDetails`]' fields.
const DETAILS: [Detail; 11] = [
    text(
        "job_state",
        "Job state: NEW, NEW_SAVING, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED or KILLED.",
    ),
    text(
        "job_result",
        "Job result: SUCCEEDED, FAILED, KILLED or UNDEFINED.",
    ),
    text("job_name", "Job name."),
    text("job_type", "Job type, e.g. SparkSubmit, Flink, HiveScript."),
    Detail {
        name: "job_progress",
        number: true,
        description: "Progress, 0 to 100.",
    },
    text("user", "User who submitted the job."),
    text("queue", "YARN queue."),
    text("app_id", "YARN application ID."),
    text(
        "submitted_time",
        "When the job was submitted (RFC 3339, UTC).",
    ),
    text(
        "started_time",
        "When the job started (RFC 3339, UTC); null before it starts.",
    ),
    text(
        "finished_time",
        "When the job ended (RFC 3339, UTC); null while it runs.",
    ),
];

/// The string attributes only an entry of `jobs` has, besides `elapsed_time`.
const ENTRY_ONLY_TEXT: [&str; 5] = [
    "job_id",
    "tracking_url",
    "arguments",
    "launcher_id",
    "properties",
];

/// A job's details as both data sources show them; field names are attribute names.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct JobDetails {
    /// NEW, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED, ...
    pub job_state: Option<String>,
    /// SUCCEEDED, FAILED, KILLED, UNDEFINED.
    pub job_result: Option<String>,
    /// Job name.
    pub job_name: Option<String>,
    /// Job type, e.g. SparkSubmit.
    pub job_type: Option<String>,
    /// Progress, 0–100.
    pub job_progress: Option<f64>,
    /// Submitting user.
    pub user: Option<String>,
    /// YARN queue.
    pub queue: Option<String>,
    /// YARN application ID.
    pub app_id: Option<String>,
    /// RFC 3339.
    pub submitted_time: Option<String>,
    /// RFC 3339.
    pub started_time: Option<String>,
    /// RFC 3339.
    pub finished_time: Option<String>,
}

/// One element of `mrs_job_executions`' `jobs`: the details and what only the list shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobEntry {
    /// Job ID.
    pub job_id: Option<String>,
    /// The details `mrs_job_execution` shows too.
    #[serde(flatten)]
    pub details: JobDetails,
    /// YARN tracking URL.
    pub tracking_url: Option<String>,
    /// Run time in ms.
    pub elapsed_time: Option<i64>,
    /// Arguments as MRS renders them.
    pub arguments: Option<String>,
    /// Launcher job ID.
    pub launcher_id: Option<String>,
    /// Properties as MRS renders them.
    pub properties: Option<String>,
}

impl JobEntry {
    /// The entry for one listed job.
    pub fn from_detail(job: JobDetail) -> Self {
        Self {
            job_id: job.job_id,
            details: JobDetails {
                job_state: job.job_state.map(|s| s.as_str().to_owned()),
                job_result: job.job_result,
                job_name: job.job_name,
                job_type: job.job_type,
                job_progress: job.job_progress,
                user: job.user,
                queue: job.queue,
                app_id: job.app_id,
                submitted_time: epoch_millis_to_rfc3339(job.submitted_time),
                started_time: epoch_millis_to_rfc3339(job.started_time),
                finished_time: epoch_millis_to_rfc3339(job.finished_time),
            },
            tracking_url: job.tracking_url,
            elapsed_time: job.elapsed_time,
            arguments: job.arguments,
            launcher_id: job.launcher_id,
            properties: job.properties,
        }
    }
}

/// Milliseconds since the epoch as RFC 3339 UTC; MRS uses 0 or absence for "not yet".
pub(crate) fn epoch_millis_to_rfc3339(ms: Option<i64>) -> Option<String> {
    let ms = ms.filter(|ms| *ms > 0)?;
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn detail_type(detail: &Detail) -> Type {
    if detail.number {
        Type::Number
    } else {
        Type::String
    }
}

/// Adds the details as computed top-level attributes (`mrs_job_execution`).
pub(super) fn detail_attributes(schema: Schema) -> Schema {
    DETAILS.iter().fold(schema, |schema, detail| {
        schema.attribute(
            Attribute::new(detail.name, detail_type(detail))
                .computed()
                .describe(detail.description, detail.description),
        )
    })
}

/// The type of one element of `jobs` (`mrs_job_executions`).
pub(super) fn job_entry_type() -> Type {
    Type::object(
        DETAILS
            .iter()
            .map(|detail| (detail.name, detail_type(detail)))
            .chain(ENTRY_ONLY_TEXT.map(|name| (name, Type::String)))
            .chain([("elapsed_time", Type::Number)]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::model_fits_schema;

    #[test]
    fn epoch_millis_become_rfc3339_and_zero_is_absent() {
        assert_eq!(
            epoch_millis_to_rfc3339(Some(1_700_000_000_000)).as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(epoch_millis_to_rfc3339(Some(0)), None);
        assert_eq!(epoch_millis_to_rfc3339(None), None);
    }

    #[test]
    fn an_entry_names_exactly_the_attributes_of_its_type() {
        let Type::Object { attrs, .. } = job_entry_type() else {
            panic!("an object type");
        };
        let schema = attrs
            .into_iter()
            .fold(Schema::default(), |schema, (name, ty)| {
                schema.attribute(Attribute::new(&name, ty))
            });
        assert_eq!(model_fits_schema::<JobEntry>(&schema), Ok(()));
        let details = detail_attributes(Schema::default());
        assert_eq!(model_fits_schema::<JobDetails>(&details), Ok(()));
    }
}
