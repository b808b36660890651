//! Resource `mrs_jobs_kill`: creating it quiets a cluster, killing every job that has not
//! ended (narrowed by name, user, type or queue), or exactly the jobs in `job_ids`.
//!
//! Like `mrs_job_kill` it records an event: reading makes no request, destroying only forgets.
//! Which jobs match is only known at apply, so the plan leaves `jobs` unknown and names the jobs
//! that match *now* in a warning; a planned value read from the live API would make Terraform
//! reject its apply-time re-plan as inconsistent as soon as one job ends in between.
//!
//! Every kill goes through `kill_job` (one job's rules, convergence included), all of them at
//! once (`quiet.rs`); the shared client paces them at the API's limit, and the wait is one
//! coalesced poll of the cluster rather than one per job. What was killed is saved even when some kills failed or
//! the wait did not end well, tainted. Terraform replaces a tainted record destroy-first; destroying shelves its
//! `jobs` ([`crate::provider::records`]) and the create that follows keeps them, kills none of them twice and watches
//! those not yet confirmed, so `jobs` never shrinks from one apply to the next.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::framework::{Attribute, Config, Ctx, Diagnostics, PlanEdit, Resource, Schema};
use crate::provider::Clients;
use crate::provider::kill::Caller;
use crate::provider::location::{
    CLUSTER_ID, ClusterLocation, PROJECT_ID, REGION, cluster_location_attributes,
};
use crate::provider::operation::{
    self, TRIGGERS, Timeouts, WAIT_FOR_TERMINATION, fill_planned_location, with_timeouts_block,
};
use crate::provider::plan_check;
use crate::provider::plan_named::PlanNamed;
use crate::provider::quiet::{
    KilledJob, Quiet, Selection, describe_targets, list_targets, quiet_cluster, select,
};
use crate::provider::records;
use crate::provider::selection::{
    FILTERS, JOB_IDS, JOB_NAME, JOB_TYPE, JobSelection, QUEUE, USER, selection_attributes,
};
use crate::tfvalue::{Type, Value};

/// The version of the state this schema writes. Bump it when the stored shape changes, and
/// declare a [`crate::framework::StateUpgrader`] from the version before in `state_upgraders`.
pub(crate) const SCHEMA_VERSION: i64 = 0;

/// `jobs`: the jobs whose kill MRS accepted.
const JOBS: &str = "jobs";

/// The `mrs_jobs_kill` resource.
#[derive(Debug, Default)]
pub struct JobsKillResource;

/// `mrs_jobs_kill`'s values; field names are attribute names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobsKillModel {
    /// Where the cluster is: `cluster_id`, `project_id`, `region`.
    #[serde(flatten)]
    pub location: ClusterLocation,
    /// Which jobs: the filters or `job_ids`.
    #[serde(flatten)]
    pub selection: JobSelection,
    /// Wait for every killed job to end.
    pub wait_for_termination: Option<bool>,
    /// Arbitrary values whose change kills again.
    pub triggers: Option<BTreeMap<String, String>>,
    /// The jobs whose kill MRS accepted.
    pub jobs: Option<Vec<KilledJob>>,
    /// `timeouts { create = "10m" }`.
    pub timeouts: Option<Timeouts>,
}

impl JobsKillModel {
    fn selection(&self) -> Selection {
        self.selection.on_cluster(&self.location.cluster_id)
    }

    /// The key under which a replaced record's jobs wait for its replacement.
    fn shelf_key(&self, region: &str, project_id: &str) -> String {
        records::selection_key(
            region,
            project_id,
            &self.location.cluster_id,
            &self.selection.key_text(),
        )
    }
}

/// The selection from a planned value, when every part of it is known.
fn known_selection(planned: &Config) -> Option<(Selection, Option<String>, Option<String>)> {
    let selection_known = [CLUSTER_ID, REGION, JOB_IDS]
        .into_iter()
        .chain(FILTERS)
        .all(|name| planned.value().attr(name).is_none_or(Value::is_fully_known));
    if !selection_known {
        return None;
    }
    let text = |name: &str| planned.string(name).known();
    let job_ids = match planned.value().attr(JOB_IDS) {
        Some(Value::Set(items) | Value::List(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ => None,
    };
    let selection = Selection {
        cluster_id: text(CLUSTER_ID)?,
        job_name: text(JOB_NAME),
        user: text(USER),
        job_type: text(JOB_TYPE),
        queue: text(QUEUE),
        job_ids,
    };
    Some((selection, text(REGION), text(PROJECT_ID)))
}

#[async_trait]
impl Resource<Clients> for JobsKillResource {
    type Model = JobsKillModel;

    fn type_name(&self) -> &'static str {
        "mrs_jobs_kill"
    }

    fn schema(&self) -> Schema {
        let schema = cluster_location_attributes(
            Schema::new(
                "Kills every job on an MRS cluster that has not ended (or those selected) when created. Destroying it only forgets the record.",
                "Quiets an MRS cluster when created: kills every job that has not ended (`NEW`, `NEW_SAVING`, `SUBMITTED`, \
                 `ACCEPTED`, `RUNNING`), narrowed by `job_name`, `user`, `job_type` or `queue`, or exactly the jobs in \
                 `job_ids`. The plan names the jobs that match in a warning; the apply lists them again and kills those, all \
                 at once. Reading makes no request; destroying only forgets the record. Change `triggers` to kill again.",
            ),
            true,
        )
        .with_version(SCHEMA_VERSION);
        let schema = selection_attributes(schema)
            .attribute(Attribute::string_map(TRIGGERS).optional().requires_replace().describe(
                "Arbitrary values; changing any replaces the resource and kills again.",
                "Arbitrary string values; changing any of them replaces the resource, which lists and kills again.",
            ))
            .attribute(Attribute::bool(WAIT_FOR_TERMINATION).optional().default_value(Value::Bool(false)).describe(
                "After the kills are accepted, wait until every killed job has ended. Default false.",
                "After MRS accepts the kills, poll the cluster (once a second, one listing for all the jobs) until every \
                 killed job is `KILLED`, `FAILED` or `FINISHED`, within the create timeout. Default `false`.",
            ))
            .attribute(
                Attribute::new(
                    JOBS,
                    Type::list(Type::object([
                        ("job_id", Type::String),
                        ("job_name", Type::String),
                        ("request_id", Type::String),
                        ("final_job_state", Type::String),
                    ])),
                )
                .computed()
                .describe(
                    "The jobs whose kill MRS accepted.",
                    "The jobs whose kill MRS accepted: `job_id`, `job_name`, `request_id` (`X-Request-Id` of the kill) and \
                     `final_job_state` (the terminal state seen when waiting; null otherwise).",
                ),
            );
        with_timeouts_block(
            schema,
            "Time allowed for the listing, the kills and the wait, e.g. 10m. Default 10m.",
            "Time allowed for the listing, the kills, their retries and the wait, e.g. `\"10m\"`. Default `\"10m\"`.",
        )
    }

    /// Shows region and project when the provider already knows them, and for a create or
    /// replacement (`jobs` unknown) names in a warning the jobs that match now. `jobs` itself
    /// stays unknown: a list read from the live API would make the apply-time plan differ.
    async fn modify_plan(&self, ctx: &Ctx<Clients>, plan: &mut PlanEdit<'_>) {
        let Some(clients) = ctx.configured() else {
            return;
        };
        fill_planned_location(clients, plan);
        clients.check_planned_region(plan);
        let planned = plan.config();
        if plan.has_errors() || !planned.value().attr(JOBS).is_some_and(Value::is_unknown) {
            return;
        }
        let Some((selection, region, project_id)) = known_selection(&planned) else {
            plan.add_warning(
                "mrs_jobs_kill cannot list its jobs yet",
                "Part of the selection (cluster_id, the filters or job_ids) is only known after apply, so the plan cannot \
                 name the jobs that will be killed. The apply lists and kills those that match then.",
            );
            return;
        };
        let deadline = Instant::now() + plan_check::PLAN_CHECK_TIMEOUT;
        let Some((client, project_id)) = plan_check::locate(
            clients,
            plan,
            region.as_deref(),
            project_id.as_deref(),
            deadline,
        )
        .await
        else {
            return;
        };
        let diags = plan.diagnostics();
        let listed = tokio::select! {
            result = select(&client, &project_id, &selection, deadline) => result,
            () = ctx.stop_token().cancelled() => return,
        };
        match listed {
            Ok(targets) if targets.is_empty() => {
                diags.add_warning(
                    format!("mrs_jobs_kill has nothing to kill on cluster {}", selection.cluster_id),
                    "No job matches the selection right now. The apply lists the jobs again; if none matches then either, \
                     it records an empty `jobs` list.",
                );
                plan.set_private(PlanNamed::to_private([]));
            }
            Ok(targets) => {
                let (summary, detail) =
                    describe_targets(&selection.cluster_id, &targets, "would kill");
                diags.add_warning(summary, detail);
                plan_check::check_named_jobs(
                    &client,
                    &project_id,
                    &selection,
                    &targets,
                    deadline,
                    diags,
                )
                .await;
                // The apply says which jobs it killed that this plan did not name.
                plan.set_private(PlanNamed::to_private(targets.into_iter().map(|t| t.job_id)));
            }
            Err(err) => plan_check::report_cluster_error(&err, &selection.cluster_id, diags),
        }
    }

    async fn create(
        &self,
        ctx: &Ctx<Clients>,
        mut planned: JobsKillModel,
        diags: &mut Diagnostics,
    ) -> Option<JobsKillModel> {
        let deadline = Instant::now() + Timeouts::create(planned.timeouts.as_ref());
        let (client, project_id) =
            operation::locate(ctx, &planned.location, deadline, diags).await?;
        let selection = planned.selection();
        // `job_ids` are looked up first (some may be no listing's); otherwise the jobs of each
        // page are killed while the next pages are read.
        let given = match &selection.job_ids {
            Some(_) => Some(
                list_targets(
                    &client,
                    &project_id,
                    &selection,
                    deadline,
                    ctx.stop_token(),
                    diags,
                )
                .await?,
            ),
            None => None,
        };
        let wait = planned.wait_for_termination.unwrap_or(false);
        let already = records::take_jobs(&planned.shelf_key(client.region(), &project_id));
        // What state holds should the apply panic half-way: every kill accepted so far.
        let mut so_far = planned.clone();
        so_far.location.region = Some(client.region().to_owned());
        so_far.location.project_id = Some(project_id.clone());
        so_far.wait_for_termination = Some(wait);
        let on_record = |jobs: &[KilledJob]| {
            let mut recorded = so_far.clone();
            recorded.jobs = Some(jobs.to_vec());
            ctx.record_progress(&recorded);
        };
        let quiet = Quiet {
            client: &client,
            project_id: &project_id,
            targets: given.clone(),
            cluster_id: &planned.location.cluster_id,
            wait,
            deadline,
            stop: ctx.stop_token(),
            caller: Caller::Resource,
            already,
            selection: &selection,
            on_record: &on_record,
        };
        let report = quiet_cluster(
            quiet,
            &|line| tracing::info!(target: "provider", "{line}"),
            diags,
        )
        .await;
        let listed = given.as_ref().or(report.listed.as_ref());
        if listed.is_some_and(Vec::is_empty) {
            diags.add_warning(
                format!(
                    "mrs_jobs_kill found nothing to kill on cluster {}",
                    planned.location.cluster_id
                ),
                "No job matched the selection at apply time; `jobs` is recorded as an empty list.",
            );
        }
        if let Some((summary, detail)) = PlanNamed::from_private(ctx.planned_private())
            .and_then(|named| named.report(&planned.location.cluster_id, &report.killed))
        {
            diags.add_warning(summary, detail);
        }
        // Nothing happened in MRS (every kill failed, or the listing did): nothing to record.
        if report.killed.is_empty() && (report.failed > 0 || listed.is_none()) {
            return None;
        }
        planned.location.region = Some(client.region().to_owned());
        planned.location.project_id = Some(project_id);
        planned.wait_for_termination = Some(wait);
        planned.jobs = Some(report.killed);
        Some(planned)
    }

    async fn read(
        &self,
        _ctx: &Ctx<Clients>,
        state: JobsKillModel,
        _diags: &mut Diagnostics,
    ) -> Option<JobsKillModel> {
        Some(state)
    }

    async fn update(
        &self,
        _ctx: &Ctx<Clients>,
        _prior: JobsKillModel,
        planned: JobsKillModel,
        _diags: &mut Diagnostics,
    ) -> JobsKillModel {
        planned
    }

    /// Forgets the record, shelving its `jobs` for the create that replaces it (a tainted
    /// record's replacement), so no accepted kill leaves the state.
    async fn delete(&self, _ctx: &Ctx<Clients>, prior: JobsKillModel, diags: &mut Diagnostics) {
        if let (Some(region), Some(project_id), Some(jobs)) = (
            &prior.location.region,
            &prior.location.project_id,
            &prior.jobs,
        ) && !jobs.is_empty()
        {
            records::shelve_jobs(prior.shelf_key(region, project_id), jobs.clone());
        }
        diags.add_warning(
            "Only the record of the kills was removed",
            format!(
                "Destroying mrs_jobs_kill sends nothing to MRS: the jobs on cluster {} stay as they are. \
                 The resource only recorded which kills were sent.",
                prior.location.cluster_id
            ),
        );
    }

    async fn import(
        &self,
        _ctx: &Ctx<Clients>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<JobsKillModel> {
        diags.add_error(
            "mrs_jobs_kill cannot be imported",
            format!(
                "mrs_jobs_kill records kills this configuration sent; there is no object in MRS to import for {id:?}. \
                 Declare the resource and run `terraform apply` to kill the jobs."
            ),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::validate_against_schema;
    use crate::tfvalue::AttributePath;

    fn errors(pairs: &[(&str, Value)]) -> Vec<(String, Option<AttributePath>)> {
        let config = Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        );
        let mut diags = Diagnostics::new();
        validate_against_schema(&JobsKillResource.schema(), &config, &mut diags);
        diags
            .iter()
            .map(|d| (d.summary.clone(), d.attribute.clone()))
            .collect()
    }

    #[test]
    fn job_ids_and_filters_conflict_only_once_known() {
        let ids = Value::Set(vec![Value::String("j1".into())]);
        // A module whose job_ids and user variables default to null, at `terraform validate`.
        assert!(errors(&[("job_ids", Value::Unknown), ("user", Value::Unknown)]).is_empty());
        // At plan, the variables known: null is not set.
        assert!(errors(&[("job_ids", ids.clone()), ("user", Value::Null)]).is_empty());
        assert!(errors(&[("job_ids", Value::Null), ("user", Value::from("etl"))]).is_empty());
        let found = errors(&[
            ("job_ids", ids),
            ("user", Value::from("etl")),
            ("queue", Value::Unknown),
        ]);
        assert_eq!(
            found,
            [(
                "job_ids cannot be combined with user".to_owned(),
                Some(AttributePath::attr("job_ids"))
            )]
        );
        let bad = errors(&[(
            "job_ids",
            Value::Set(vec![Value::Unknown, Value::from("a/b")]),
        )]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].1, Some(AttributePath::attr("job_ids")));
    }
}
