//! MRS errors as diagnostics: on the attribute that names what MRS could not find, with a
//! summary that says what failed and a detail that adds to it rather than repeating it.
//!
//! | MRS says | lands on |
//! |---|---|
//! | `12000003` (no such cluster) | `cluster_id` |
//! | `0176` (no such job) | the attribute naming the job: `job_execution_id`, or `job_ids` ([`for_job_ids`]) |
//! | anything else | the whole block |

use super::location::{CLUSTER_ID, JOB_EXECUTION_ID};
use crate::framework::{Diagnostic, Diagnostics};
use crate::mrs::ApiError;
use crate::tfvalue::AttributePath;

/// The attribute of `mrs_job_kill` and `mrs_job_execution` that names the job.
const JOB_ATTRIBUTE: &str = JOB_EXECUTION_ID;
/// The attribute of `mrs_jobs_kill` that names its jobs.
const JOB_IDS_ATTRIBUTE: &str = "job_ids";

const NO_SUCH_JOB: &str = "MRS has no such job on this cluster: check the job ID, and that cluster_id, region and \
     project_id are those of the job.";
const NO_SUCH_CLUSTER: &str = "MRS has no such cluster: check cluster_id, and that region and project_id are those of \
     the cluster.";

/// Reports an MRS error about one job: "no such job" on `job_execution_id`, "no such cluster"
/// on `cluster_id`, anything else as [`add_api_error`] does.
pub fn add_job_error(error: &ApiError, cluster_id: &str, job_id: &str, diags: &mut Diagnostics) {
    if error.is_job_not_found() {
        diags.add_attribute_error(
            AttributePath::attr(JOB_ATTRIBUTE),
            format!("No job {job_id} on cluster {cluster_id}"),
            detail_beyond(error, "", Some(NO_SUCH_JOB)),
        );
    } else if error.is_cluster_not_found() {
        diags.add_attribute_error(
            AttributePath::attr(CLUSTER_ID),
            format!("No cluster {cluster_id}"),
            detail_beyond(error, "", Some(NO_SUCH_CLUSTER)),
        );
    } else {
        add_api_error(error, diags);
    }
}

/// Reports an MRS API error: "no such cluster" on `cluster_id` (every resource, data source and
/// action of this provider has one), anything else on the whole block.
pub fn add_api_error(error: &ApiError, diags: &mut Diagnostics) {
    let summary = error.summary();
    if error.is_cluster_not_found() {
        diags.add_attribute_error(
            AttributePath::attr(CLUSTER_ID),
            summary.clone(),
            detail_beyond(error, &summary, Some(NO_SUCH_CLUSTER)),
        );
    } else {
        let detail = detail_beyond(error, &summary, None);
        diags.add_error(summary, detail);
    }
}

/// The same diagnostics, with those about `job_execution_id` moved to `job_ids`: what a kill of
/// one of `mrs_jobs_kill`'s jobs reports lands on the attribute that named the job.
pub fn for_job_ids(diags: Diagnostics) -> Diagnostics {
    let mut out = Diagnostics::new();
    for diagnostic in diags {
        let attribute = match diagnostic.attribute {
            Some(path) if path == AttributePath::attr(JOB_ATTRIBUTE) => {
                Some(AttributePath::attr(JOB_IDS_ATTRIBUTE))
            }
            other => other,
        };
        out.push_diagnostic(Diagnostic {
            attribute,
            ..diagnostic
        });
    }
    out
}

/// What `error` says that `summary` does not: how many attempts, the cause, the body when it had
/// no error code, the request ID, and advice (`advice`, or the error's own).
fn detail_beyond(error: &ApiError, summary: &str, advice: Option<&str>) -> String {
    let mut lines = Vec::new();
    if error.attempts > 1 {
        lines.push(format!("{} attempts were made.", error.attempts));
    }
    let known = |text: &str| !summary.is_empty() && summary.contains(text);
    if let Some(code) = error.error_code.as_deref().filter(|c| !known(c)) {
        lines.push(format!("Error code: {code}."));
    }
    if let Some(message) = error.error_msg.as_deref().filter(|m| !known(m)) {
        lines.push(format!("Message: {message}"));
    }
    if let Some(cause) = error.cause.as_deref().filter(|c| !known(c)) {
        lines.push(format!("Cause: {cause}."));
    }
    if error.error_code.is_none() && error.error_msg.is_none() && error.status.is_some() {
        lines.push(match &error.body_excerpt {
            Some(excerpt) => format!("Response body: {excerpt}"),
            None => "The response had no body.".to_owned(),
        });
    }
    if let Some(id) = &error.request_id {
        lines.push(format!(
            "Request ID: {id} (quote it if you contact Huawei Cloud support)."
        ));
    }
    if let Some(advice) = advice.or_else(|| error.advice()) {
        lines.push(advice.to_owned());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mrs::ApiErrorKind;

    fn answered(code: &str, message: &str, status: u16) -> ApiError {
        let body = format!(r#"{{"error_code":"{code}","error_msg":"{message}"}}"#);
        ApiError::from_response(
            "list jobs on cluster c1",
            status,
            Some("req-1".into()),
            body.as_bytes(),
        )
    }

    fn one(diags: &Diagnostics) -> &Diagnostic {
        assert_eq!(diags.iter().count(), 1);
        diags.iter().next().expect("one diagnostic")
    }

    #[test]
    fn no_such_cluster_lands_on_cluster_id_and_the_detail_adds_to_the_summary() {
        let mut diags = Diagnostics::new();
        add_api_error(
            &answered("12000003", "The cluster does not exist.", 404),
            &mut diags,
        );
        let d = one(&diags);
        assert_eq!(d.attribute, Some(AttributePath::attr("cluster_id")));
        assert!(d.summary.contains("12000003"), "{}", d.summary);
        assert!(!d.detail.contains("12000003"), "{}", d.detail);
        assert!(!d.detail.contains("does not exist."), "{}", d.detail);
        assert!(!d.detail.contains("Could not"), "{}", d.detail);
        assert!(d.detail.contains("req-1") && d.detail.contains("check cluster_id"));
    }

    #[test]
    fn no_such_job_lands_on_the_attribute_naming_it() {
        let error = answered("0176", "The job does not exist.", 404);
        let mut diags = Diagnostics::new();
        add_job_error(&error, "c1", "j1", &mut diags);
        assert_eq!(
            one(&diags).attribute,
            Some(AttributePath::attr("job_execution_id"))
        );
        // The job's own words stay in the detail: the summary is ours.
        assert!(one(&diags).detail.contains("0176"));
        assert!(!one(&diags).detail.contains("job_execution_id"));
        let moved = for_job_ids(diags);
        assert_eq!(one(&moved).attribute, Some(AttributePath::attr("job_ids")));

        let mut diags = Diagnostics::new();
        add_job_error(
            &answered("12000003", "No cluster.", 404),
            "c1",
            "j1",
            &mut diags,
        );
        assert_eq!(
            for_job_ids(diags)
                .iter()
                .next()
                .and_then(|d| d.attribute.clone()),
            Some(AttributePath::attr("cluster_id"))
        );
    }

    #[test]
    fn other_errors_are_on_the_block_and_keep_what_the_summary_lacks() {
        let mut error = ApiError::new(
            ApiErrorKind::Timeout,
            "list jobs on cluster c1",
            "read timed out",
        );
        error.attempts = 6;
        let mut diags = Diagnostics::new();
        add_api_error(&error, &mut diags);
        let d = one(&diags);
        assert_eq!(d.attribute, None);
        assert!(d.detail.contains("6 attempts") && d.detail.contains("read timed out"));
        assert!(
            !d.detail.contains(&d.summary),
            "{} / {}",
            d.summary,
            d.detail
        );
    }
}
