//! Where a job or a cluster is: the attributes that locate it and the model parts that hold
//! them, shared by the resources, the data sources and the actions. The attribute names are
//! constants here, used by the schema builders below and by every place that reads a planned or
//! configured value or points a diagnostic at one, so the name is written once; the model parts'
//! field names are checked against these schemas by `models_tests.rs`.

use serde::{Deserialize, Serialize};

use crate::framework::{Attribute, Schema};
use crate::provider::validators;

/// `cluster_id`: the MRS cluster.
pub(crate) const CLUSTER_ID: &str = "cluster_id";
/// `job_execution_id`: one job execution on the cluster.
pub(crate) const JOB_EXECUTION_ID: &str = "job_execution_id";
/// `project_id`: the project, the provider's unless set.
pub(crate) const PROJECT_ID: &str = "project_id";
/// `region`: the cluster's region, the provider's unless set.
pub(crate) const REGION: &str = "region";

/// Where a job is: the model part of [`job_location_attributes`], flattened into the models of
/// the types that act on one job. serde buffers a flattened part, which turns an unknown value
/// into null on the way: so every field of a shared part is an `Option` (unknown and null both
/// mean "not known to the provider yet") or an attribute the configuration must set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobLocation {
    /// Cluster ID.
    pub cluster_id: String,
    /// Job execution ID.
    pub job_execution_id: String,
    /// Project ID (the provider's when not set).
    pub project_id: Option<String>,
    /// Region (the provider's when not set).
    pub region: Option<String>,
}

/// Where a cluster is: the model part of [`cluster_location_attributes`], flattened into the
/// models of the types that act on a whole cluster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClusterLocation {
    /// Cluster ID.
    pub cluster_id: String,
    /// Project ID (the provider's when not set).
    pub project_id: Option<String>,
    /// Region (the provider's when not set).
    pub region: Option<String>,
}

/// The `region` and `project_id` a type was given (unset: the provider's), whichever location
/// part it has.
pub trait RegionAndProject {
    /// The configured `region`, if any.
    fn region(&self) -> Option<&str>;
    /// The configured `project_id`, if any.
    fn project_id(&self) -> Option<&str>;
}

impl RegionAndProject for JobLocation {
    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
    fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }
}

impl RegionAndProject for ClusterLocation {
    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
    fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }
}

/// Attributes that locate a job, shared by the resource, the data source and the action.
pub(super) fn job_location_attributes(schema: Schema) -> Schema {
    schema
        .attribute(
            Attribute::string(CLUSTER_ID)
                .required()
                .requires_replace()
                .validate_string(validators::validate_id)
                .describe(
                    "ID of the MRS cluster that runs the job.",
                    "ID of the MRS cluster that runs the job (a UUID, as shown in the MRS console).",
                ),
        )
        .attribute(
            Attribute::string(JOB_EXECUTION_ID)
                .required()
                .requires_replace()
                .validate_string(validators::validate_id)
                .describe(
                    "ID of the job execution.",
                    "ID of the job execution (`job_id` in the MRS API), a UUID.",
                ),
        )
        .attribute(project_id_attribute().requires_replace())
        .attribute(region_attribute().requires_replace())
}

/// `project_id` of a job or cluster: the provider's unless set.
pub(super) fn project_id_attribute() -> Attribute {
    Attribute::string(PROJECT_ID)
        .optional()
        .computed()
        .validate_string(validators::validate_id)
        .describe(
            "Project ID; defaults to the provider's.",
            "Project ID; defaults to the provider's `project_id` (or the one IAM returns for the region).",
        )
}

/// `region` of the cluster a job runs on, or of a cluster: the provider's unless set.
pub(super) fn region_attribute() -> Attribute {
    Attribute::string(REGION)
        .optional()
        .computed()
        .validate_string(validators::validate_region)
        .describe(
            "Region of the cluster; defaults to the provider's.",
            "Region of the cluster; defaults to the provider's `region`.",
        )
}

/// `cluster_id`, `region` and `project_id`: where a cluster is, for the types that act on a
/// whole cluster.
pub(super) fn cluster_location_attributes(schema: Schema, replace: bool) -> Schema {
    let cluster = Attribute::string(CLUSTER_ID)
        .required()
        .validate_string(validators::validate_id)
        .describe(
            "ID of the MRS cluster.",
            "ID of the MRS cluster (a UUID, as shown in the MRS console).",
        );
    let mut attributes = [cluster, project_id_attribute(), region_attribute()];
    if replace {
        for attribute in &mut attributes {
            attribute.requires_replace = true;
        }
    }
    attributes
        .into_iter()
        .fold(schema, |schema, attribute| schema.attribute(attribute))
}
