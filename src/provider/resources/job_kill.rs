//! Resource `mrs_job_kill`: creating it kills an MRS job.
//!
//! Creating converges (see [`crate::provider::kill`]): a job that had already ended (killed earlier by
//! this configuration, out of band, or finished by itself) is success with a warning, and a
//! kill MRS accepted is saved even when the wait after it failed, tainted. The next apply
//! replaces that record, and the replacement confirms the earlier kill instead of sending a new
//! one: destroying an unconfirmed record shelves it ([`crate::provider::records`]) for the create that
//! follows, which keeps its `request_id`.
//!
//! The resource records a kill that happened. Reading it makes no request (a job that MRS has
//! purged from its history must not make Terraform plan a new kill); destroying it only forgets
//! the record. Changing `cluster_id`, `job_execution_id`, `project_id`, `region` or `triggers`
//! replaces it, which sends the kill again.
//!
//! There is no `id`: a kill is an event, not an object in MRS, and `request_id` already names it.
//! Every attribute is written to state once per applied resource, for the whole state each time
//! (Terraform's local backend), so a derived one would only make large applies slower.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::framework::{Attribute, Ctx, Diagnostics, PlanEdit, Resource, Schema};
use crate::provider::Clients;
use crate::provider::kill::{Caller, KillJob, kill_job};
use crate::provider::location::{JobLocation, job_location_attributes};
use crate::provider::operation::{
    self, TRIGGERS, Timeouts, WAIT_FOR_TERMINATION, fill_planned_location, with_timeouts_block,
};
use crate::provider::records::{self, EarlierKill};
use crate::tfvalue::Value;

/// The `mrs_job_kill` resource.
#[derive(Debug, Default)]
pub struct JobKillResource;

/// The version of the state this schema writes. Bump it when the stored shape changes, and
/// declare a [`crate::framework::StateUpgrader`] from the version before in `state_upgraders`.
pub(crate) const SCHEMA_VERSION: i64 = 0;

/// `request_id`: `X-Request-Id` of the accepted kill.
const REQUEST_ID: &str = "request_id";
/// `killed_at`: when MRS accepted the kill.
const KILLED_AT: &str = "killed_at";
/// `final_job_state`: the terminal state the provider saw.
const FINAL_JOB_STATE: &str = "final_job_state";

/// `mrs_job_kill`'s values; field names are attribute names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobKillModel {
    /// Where the job is: `cluster_id`, `job_execution_id`, `project_id`, `region`.
    #[serde(flatten)]
    pub location: JobLocation,
    /// Arbitrary values whose change sends the kill again.
    pub triggers: Option<BTreeMap<String, String>>,
    /// Wait for a terminal job state after the kill.
    pub wait_for_termination: Option<bool>,
    /// `X-Request-Id` of the accepted kill.
    pub request_id: Option<String>,
    /// When MRS accepted the kill.
    pub killed_at: Option<String>,
    /// The terminal state the provider saw: after waiting, or when MRS refused the kill (0175)
    /// because the job had already ended.
    pub final_job_state: Option<String>,
    /// `timeouts { create = "10m" }`.
    pub timeouts: Option<Timeouts>,
}

#[async_trait]
impl Resource<Clients> for JobKillResource {
    type Model = JobKillModel;

    fn type_name(&self) -> &'static str {
        "mrs_job_kill"
    }

    fn schema(&self) -> Schema {
        let schema = job_location_attributes(Schema::new(
            "Kills a job on an MRS cluster when created. Destroying it only forgets the record.",
            "Kills a job on an MRS cluster when created (`POST …/job-executions/{job_execution_id}/kill`; \
             HTTP 202 means MRS accepted the kill). Reading makes no request; destroying only forgets the record. \
             Change `triggers` to send the kill again.",
        ).with_version(SCHEMA_VERSION))
        .attribute(Attribute::string_map(TRIGGERS).optional().requires_replace().describe(
            "Arbitrary values; changing any replaces the resource and sends the kill again.",
            "Arbitrary string values; changing any of them replaces the resource, which sends the kill again.",
        ))
        .attribute(Attribute::bool(WAIT_FOR_TERMINATION).optional().default_value(Value::Bool(false)).describe(
            "After the kill is accepted, wait until the job is KILLED, FAILED or FINISHED. Default false.",
            "After MRS accepts the kill, poll the job (every 1 s, backing off to 10 s) until it is `KILLED`, \
             `FAILED` or `FINISHED`, within the create timeout. Default `false`.",
        ))
        .attribute(
            Attribute::string(REQUEST_ID)
                .computed()
                .describe(
                    "X-Request-Id of the accepted kill (or of the 0175 answer when the job had already ended).",
                    "`X-Request-Id` MRS returned with the accepted kill, or with its `0175` answer when the job had already \
                     ended; quote it to support.",
                ),
        )
        .attribute(
            Attribute::string(KILLED_AT)
                .computed()
                .describe(
                    "When MRS accepted the kill, or the job was found already ended (RFC 3339, UTC).",
                    "When MRS accepted the kill, or when the provider found the job already ended; RFC 3339 in UTC.",
                ),
        )
        .attribute(Attribute::string(FINAL_JOB_STATE).computed().describe(
            "The terminal job state the provider saw (KILLED, FAILED or FINISHED): after waiting, or when the job had already ended. Null otherwise.",
            "The terminal `job_state` the provider saw: `KILLED`, `FAILED` or `FINISHED`. Set when \
             `wait_for_termination` is true and the wait ended, and whenever MRS refused the kill (error `0175`) \
             because the job had already ended (killed earlier, or finished or failed by itself). Null when the kill \
             was accepted and not waited for. A `postcondition` on it can require `KILLED`.",
        ));
        with_timeouts_block(
            schema,
            "Time allowed for the kill and the wait, e.g. 10m. Default 10m.",
            "Time allowed for the kill, its retries and the wait, e.g. `\"10m\"`. Default `\"10m\"`.",
        )
    }

    /// Shows region and project in the plan when the provider's configuration already says them,
    /// instead of "(known after apply)". `final_job_state` stays unknown even when not waiting:
    /// a job found already ended sets it.
    async fn modify_plan(&self, ctx: &Ctx<Clients>, plan: &mut PlanEdit<'_>) {
        let Some(clients) = ctx.configured() else {
            return;
        };
        clients.check_planned_region(plan);
        fill_planned_location(clients, plan);
        crate::provider::plan_check::check_new_kill(ctx, plan).await;
    }

    async fn create(
        &self,
        ctx: &Ctx<Clients>,
        mut planned: JobKillModel,
        diags: &mut Diagnostics,
    ) -> Option<JobKillModel> {
        let deadline = Instant::now() + Timeouts::create(planned.timeouts.as_ref());
        let (client, project_id) =
            operation::locate(ctx, &planned.location, deadline, diags).await?;
        let wait = planned.wait_for_termination.unwrap_or(false);
        let earlier = records::take_kill(&records::job_key(
            client.region(),
            &project_id,
            &planned.location.cluster_id,
            &planned.location.job_execution_id,
        ));
        let job = KillJob {
            client: &client,
            project_id: &project_id,
            cluster_id: &planned.location.cluster_id,
            job_id: &planned.location.job_execution_id,
            wait,
            deadline,
            stop: ctx.stop_token(),
            caller: Caller::Resource,
            earlier,
        };
        let report = kill_job(
            job,
            &|line| tracing::info!(target: "provider", "{line}"),
            diags,
        )
        .await?;

        planned.location.region = Some(client.region().to_owned());
        planned.location.project_id = Some(project_id);
        planned.request_id = report.request_id;
        planned.killed_at = Some(report.killed_at);
        planned.final_job_state = report.final_state.map(|s| s.as_str().to_owned());
        planned.wait_for_termination = Some(wait);
        Some(planned)
    }

    async fn read(
        &self,
        _ctx: &Ctx<Clients>,
        state: JobKillModel,
        _diags: &mut Diagnostics,
    ) -> Option<JobKillModel> {
        Some(state)
    }

    async fn update(
        &self,
        _ctx: &Ctx<Clients>,
        _prior: JobKillModel,
        planned: JobKillModel,
        _diags: &mut Diagnostics,
    ) -> JobKillModel {
        planned
    }

    /// Forgets the record; one whose wait did not confirm the kill is shelved for the create
    /// that replaces it (a tainted record's replacement), which confirms the kill instead of
    /// sending another.
    async fn delete(&self, _ctx: &Ctx<Clients>, prior: JobKillModel, diags: &mut Diagnostics) {
        let unconfirmed =
            prior.wait_for_termination == Some(true) && prior.final_job_state.is_none();
        if let (true, Some(region), Some(project_id), Some(killed_at)) = (
            unconfirmed,
            &prior.location.region,
            &prior.location.project_id,
            &prior.killed_at,
        ) {
            records::shelve_kill(
                records::job_key(
                    region,
                    project_id,
                    &prior.location.cluster_id,
                    &prior.location.job_execution_id,
                ),
                EarlierKill {
                    request_id: prior.request_id.clone(),
                    killed_at: killed_at.clone(),
                },
            );
        }
        diags.add_warning(
            "Only the record of the kill was removed",
            format!(
                "Destroying mrs_job_kill sends nothing to MRS: job {} on cluster {} stays as it is. \
                 The resource only recorded that the kill was sent.",
                prior.location.job_execution_id, prior.location.cluster_id
            ),
        );
    }

    async fn import(
        &self,
        _ctx: &Ctx<Clients>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<JobKillModel> {
        diags.add_error(
            "mrs_job_kill cannot be imported",
            format!(
                "mrs_job_kill records a kill this configuration sent; there is no object in MRS to import for {id:?}. \
                 Declare the resource and run `terraform apply` to send the kill."
            ),
        );
        None
    }
}
