//! Action `mrs_jobs_kill` (Terraform 1.14+): quiet a cluster from a plan without keeping
//! anything in state, e.g. with `action_trigger { events = [before_update] }` on a cluster whose
//! size is about to change. Same selection and the same kills as the resource; one progress
//! event per job and a summary.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::{Action, Ctx, Diagnostics, Progress, Schema};
use crate::provider::Clients;
use crate::provider::kill::Caller;
use crate::provider::location::{ClusterLocation, cluster_location_attributes};
use crate::provider::operation::{self, ActionTiming, action_timing_attributes, stateless};
use crate::provider::quiet::{Quiet, describe_targets, list_targets, quiet_cluster};
use crate::provider::selection::{JobSelection, selection_attributes};

/// The `mrs_jobs_kill` action.
#[derive(Debug, Default)]
pub struct JobsKillAction;

/// The action's configuration; it shares its location and selection parts with the
/// resource's model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobsKillActionModel {
    /// Where the cluster is: `cluster_id`, `project_id`, `region`.
    #[serde(flatten)]
    pub location: ClusterLocation,
    /// Which jobs: the filters or `job_ids`.
    #[serde(flatten)]
    pub selection: JobSelection,
    /// `wait_for_termination` and `timeout`.
    #[serde(flatten)]
    pub timing: ActionTiming,
}

#[async_trait]
impl Action<Clients> for JobsKillAction {
    type Model = JobsKillActionModel;

    fn type_name(&self) -> &'static str {
        "mrs_jobs_kill"
    }

    fn schema(&self) -> Schema {
        let schema = cluster_location_attributes(
            Schema::new(
                "Kills every job on an MRS cluster that has not ended (or those selected); keeps nothing in state.",
                "Quiets an MRS cluster when invoked: kills every job that has not ended, narrowed by `job_name`, `user`, \
                 `job_type` or `queue`, or exactly the jobs in `job_ids`, reporting each job and a summary; keeps nothing \
                 in state. Needs Terraform 1.14 or later.",
            ),
            false,
        );
        stateless(action_timing_attributes(
            selection_attributes(schema),
            (
                "Wait until every killed job has ended. Default false.",
                "Wait until every killed job is `KILLED`, `FAILED` or `FINISHED`. Default `false`.",
            ),
            (
                "Time allowed for the listing, the kills and the wait, e.g. 10m. Default 10m.",
                "Time allowed for the listing, the kills and the wait, e.g. `\"10m\"`. Default `\"10m\"`.",
            ),
        ))
    }

    async fn invoke(
        &self,
        ctx: &Ctx<Clients>,
        config: JobsKillActionModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let deadline = config.timing.deadline();
        let Some((client, project_id)) =
            operation::locate(ctx, &config.location, deadline, diags).await
        else {
            return;
        };
        let selection = config.selection.on_cluster(&config.location.cluster_id);
        // `job_ids` are looked up first (some may be no listing's); otherwise the jobs of each
        // page are killed while the next pages are read.
        let given = match &selection.job_ids {
            Some(_) => {
                let Some(targets) = list_targets(
                    &client,
                    &project_id,
                    &selection,
                    deadline,
                    ctx.stop_token(),
                    diags,
                )
                .await
                else {
                    return;
                };
                Some(targets)
            }
            None => None,
        };
        if let Some(targets) = given.as_ref().filter(|t| !t.is_empty()) {
            let (summary, _) = describe_targets(&config.location.cluster_id, targets, "is killing");
            progress.report(summary);
        }
        let quiet = Quiet {
            client: &client,
            project_id: &project_id,
            targets: given.clone(),
            cluster_id: &config.location.cluster_id,
            wait: config.timing.wait(),
            deadline,
            stop: ctx.stop_token(),
            caller: Caller::Action,
            already: Vec::new(),
            selection: &selection,
            on_record: &|_| {},
        };
        let report_line = |line: String| progress.report(line);
        let report = quiet_cluster(quiet, &report_line, diags).await;
        if given
            .as_ref()
            .or(report.listed.as_ref())
            .is_some_and(Vec::is_empty)
        {
            diags.add_warning(
                format!(
                    "mrs_jobs_kill found nothing to kill on cluster {}",
                    config.location.cluster_id
                ),
                "No job matched the selection.",
            );
        }
    }
}
