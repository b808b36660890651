//! What every operation that calls MRS sets up the same way before its first request, whether a
//! resource or an action asked, for one job or a whole cluster: its time budget (`timeouts {
//! create }` or `timeout`), the client and project for its region, and the schema pieces that
//! carry them. One place, so the resource and the action cannot drift apart on any of them.
//! The names of the attributes they share are constants here, written once for the schema, the
//! model and every plan or diagnostic that names them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Clients;
use super::kill::DEFAULT_TIMEOUT;
use super::location::{PROJECT_ID, REGION, RegionAndProject};
use crate::framework::duration::parse_duration;
use crate::framework::validator::duration;
use crate::framework::{Attr, Attribute, Ctx, Diagnostics, Nesting, PlanEdit, Schema};
use crate::mrs::MrsClient;
use crate::tfvalue::Value;

/// `timeouts`: a resource's block of operation timeouts.
pub(crate) const TIMEOUTS: &str = "timeouts";
/// `create`, in `timeouts`: the time allowed for a create.
pub(crate) const CREATE: &str = "create";
/// `timeout`: an action's time allowed.
pub(crate) const TIMEOUT: &str = "timeout";
/// `wait_for_termination`: wait for the killed jobs to end.
pub(crate) const WAIT_FOR_TERMINATION: &str = "wait_for_termination";
/// `triggers`: arbitrary values whose change replaces a record and kills again.
pub(crate) const TRIGGERS: &str = "triggers";

/// The `timeouts` block of a resource whose create calls MRS.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Timeouts {
    /// Time allowed for the whole create: the requests, their retries and any wait.
    pub create: Option<String>,
}

impl Timeouts {
    /// The create timeout in `timeouts`, or the default when the block or its value is absent.
    pub fn create(timeouts: Option<&Timeouts>) -> Duration {
        timeout(timeouts.and_then(|t| t.create.as_deref()))
    }
}

/// An action's time allowed and whether it waits: the model part of
/// [`action_timing_attributes`], flattened into each action's model as the location is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionTiming {
    /// Wait until the killed jobs have ended.
    pub wait_for_termination: Option<bool>,
    /// Time allowed, e.g. `10m`.
    pub timeout: Option<String>,
}

impl ActionTiming {
    /// When the action must be done: `timeout` (or the default) from now.
    pub fn deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::now() + timeout(self.timeout.as_deref())
    }

    /// Whether to wait for the killed jobs to end; no by default.
    pub fn wait(&self) -> bool {
        self.wait_for_termination.unwrap_or(false)
    }
}

/// Adds an action's `wait_for_termination` and `timeout`, each described by its (plain,
/// markdown) pair: what the wait waits for and what the time covers differ per action.
pub fn action_timing_attributes(
    schema: Schema,
    wait: (&str, &str),
    time_allowed: (&str, &str),
) -> Schema {
    schema
        .attribute(
            Attribute::bool(WAIT_FOR_TERMINATION)
                .optional()
                .describe(wait.0, wait.1),
        )
        .attribute(duration_attribute(TIMEOUT, time_allowed.0, time_allowed.1))
}

/// The time allowed by a duration the user wrote, or the default when there is none. Text that
/// is not a duration was refused at validate, so here it falls back to the default too.
pub fn timeout(text: Option<&str>) -> Duration {
    text.map(parse_duration)
        .transpose()
        .unwrap_or(None)
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// The configured clients, then the client and project ID for the `region` and `project_id` of
/// `location` (the provider's where they are unset); each failure is an error in `diags`.
pub async fn locate(
    ctx: &Ctx<Clients>,
    location: &impl RegionAndProject,
    deadline: tokio::time::Instant,
    diags: &mut Diagnostics,
) -> Option<(MrsClient, String)> {
    let clients = ctx.client(diags)?;
    clients
        .locate(location.region(), location.project_id(), deadline, diags)
        .await
}

/// Fills a planned `region`, and then `project_id`, from the provider's configuration when it
/// already says them, so the plan shows them instead of "(known after apply)".
pub fn fill_planned_location(clients: &Clients, plan: &mut PlanEdit<'_>) {
    plan.fill_unknown(REGION, Value::String(clients.default_region().to_owned()));
    if let Attr::Known(region) = plan.string(REGION)
        && let Some(project_id) = clients.known_project_id(&region)
    {
        plan.fill_unknown(PROJECT_ID, Value::String(project_id.to_owned()));
    }
}

/// An optional duration such as `"10m"`, refused at validate when it is not one (a typed
/// duration validator, which waits while the value is unknown).
pub fn duration_attribute(name: &str, plain: &str, markdown: &str) -> Attribute {
    Attribute::string(name)
        .optional()
        .validate(duration::any())
        .describe(plain, markdown)
}

/// Adds the `timeouts` block, whose one attribute `create` is described by `plain` and
/// `markdown`.
pub fn with_timeouts_block(schema: Schema, plain: &str, markdown: &str) -> Schema {
    schema.block(
        TIMEOUTS,
        Nesting::Single,
        Schema::new("Operation timeouts.", "Operation timeouts.")
            .attribute(duration_attribute(CREATE, plain, markdown)),
    )
}

/// An action's schema from attributes shared with a resource: an action keeps no state, so
/// nothing in it is computed and nothing is replaced.
pub fn stateless(mut schema: Schema) -> Schema {
    for attribute in &mut schema.attributes {
        attribute.computed = false;
        attribute.requires_replace = false;
    }
    schema
}

/// The answer of a data source's `request`, or `None` with an error in `diags` when Terraform
/// stops the provider before MRS answers.
pub async fn read_unless_stopped<T>(
    ctx: &Ctx<Clients>,
    request: impl std::future::Future<Output = T>,
    diags: &mut Diagnostics,
) -> Option<T> {
    tokio::select! {
        answer = request => Some(answer),
        () = ctx.stop_token().cancelled() => {
            diags.add_error("Read interrupted", "Terraform was stopped before MRS answered.");
            None
        }
    }
}
