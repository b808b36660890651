//! Action `mrs_job_kill` (Terraform 1.14+): kill a job from a plan without keeping anything in
//! state — `terraform apply -invoke=action.mrs_job_kill.stop_etl`, or an `action_trigger` in a
//! resource's lifecycle. Same validation, client and convergence as the resource (a job that
//! had already ended is success with a warning and a progress line saying what was found); its
//! messages speak of the action and its `timeout`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::{Action, Ctx, Diagnostics, Progress, Schema};
use crate::provider::Clients;
use crate::provider::kill::{Caller, KillJob, kill_job};
use crate::provider::location::{JobLocation, job_location_attributes};
use crate::provider::operation::{self, ActionTiming, action_timing_attributes, stateless};

/// The `mrs_job_kill` action.
#[derive(Debug, Default)]
pub struct JobKillAction;

/// The action's configuration; it shares its location part with the resource's model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobKillActionModel {
    /// Where the job is: `cluster_id`, `job_execution_id`, `project_id`, `region`.
    #[serde(flatten)]
    pub location: JobLocation,
    /// `wait_for_termination` and `timeout`.
    #[serde(flatten)]
    pub timing: ActionTiming,
}

#[async_trait]
impl Action<Clients> for JobKillAction {
    type Model = JobKillActionModel;

    fn type_name(&self) -> &'static str {
        "mrs_job_kill"
    }

    fn schema(&self) -> Schema {
        let schema = job_location_attributes(Schema::new(
            "Kills a job on an MRS cluster; keeps nothing in state.",
            "Kills a job on an MRS cluster when invoked, reporting progress; keeps nothing in state. Needs Terraform 1.14 or later.",
        ));
        stateless(action_timing_attributes(
            schema,
            (
                "Wait until the job is KILLED, FAILED or FINISHED. Default false.",
                "Wait until the job is `KILLED`, `FAILED` or `FINISHED`. Default `false`.",
            ),
            (
                "Time allowed for the kill and the wait, e.g. 10m. Default 10m.",
                "Time allowed for the kill and the wait, e.g. `\"10m\"`. Default `\"10m\"`.",
            ),
        ))
    }

    async fn invoke(
        &self,
        ctx: &Ctx<Clients>,
        config: JobKillActionModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let deadline = config.timing.deadline();
        let Some((client, project_id)) =
            operation::locate(ctx, &config.location, deadline, diags).await
        else {
            return;
        };
        let job = KillJob {
            client: &client,
            project_id: &project_id,
            cluster_id: &config.location.cluster_id,
            job_id: &config.location.job_execution_id,
            wait: config.timing.wait(),
            deadline,
            stop: ctx.stop_token(),
            caller: Caller::Action,
            earlier: None,
        };
        let report_line = |line: String| progress.report(line);
        let _ = kill_job(job, &report_line, diags).await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::framework::validate_against_schema;
    use crate::tfvalue::{AttributePath, Value};

    fn config_with_timeout(timeout: Value) -> Value {
        let mut attrs = BTreeMap::new();
        attrs.insert("cluster_id".to_owned(), Value::String("c".into()));
        attrs.insert("job_execution_id".to_owned(), Value::String("j".into()));
        attrs.insert("timeout".to_owned(), timeout);
        Value::Object(attrs)
    }

    #[test]
    fn wait_and_timeout_reach_the_action_through_its_flattened_timing() {
        let mut config = config_with_timeout(Value::String("90s".into()));
        if let Value::Object(attrs) = &mut config {
            attrs.insert("wait_for_termination".to_owned(), Value::Bool(true));
        }
        let model: JobKillActionModel =
            crate::tfvalue::from_value(&config).expect("the configuration fits the model");
        assert!(model.timing.wait());
        assert_eq!(model.timing.timeout.as_deref(), Some("90s"));
        assert_eq!(model.location.job_execution_id, "j");
        let unset: JobKillActionModel =
            crate::tfvalue::from_value(&config_with_timeout(Value::Null)).expect("fits");
        assert!(!unset.timing.wait(), "no wait unless asked");
        assert_eq!(unset.timing.timeout, None);
    }

    #[test]
    fn bad_timeout_is_an_error_on_timeout_at_validate_and_unknown_is_not() {
        let schema = JobKillAction.schema();
        for bad in ["garbage", "10", "-5s", "ten minutes", ""] {
            let mut diags = Diagnostics::new();
            validate_against_schema(
                &schema,
                &config_with_timeout(Value::String(bad.into())),
                &mut diags,
            );
            let errors: Vec<_> = diags.iter().collect();
            assert_eq!(errors.len(), 1, "{bad:?}: {diags:?}");
            assert_eq!(errors[0].attribute, Some(AttributePath::attr("timeout")));
        }
        for fine in [Value::Unknown, Value::Null, Value::String("90s".into())] {
            let mut diags = Diagnostics::new();
            validate_against_schema(&schema, &config_with_timeout(fine.clone()), &mut diags);
            assert!(diags.is_empty(), "{fine:?}: {diags:?}");
        }
    }
}
