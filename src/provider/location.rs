//! Where a job or a cluster is: the attributes that locate it, shared by the resources, the data
//! sources and the actions.

use crate::framework::{Attribute, Schema};
use crate::provider::validators;

/// Attributes that locate a job, shared by the resource, the data source and the action.
pub(super) fn job_location_attributes(schema: Schema) -> Schema {
    schema
        .attribute(
            Attribute::string("cluster_id")
                .required()
                .requires_replace()
                .validate_string(validators::validate_id)
                .describe(
                    "ID of the MRS cluster that runs the job.",
                    "ID of the MRS cluster that runs the job (a UUID, as shown in the MRS console).",
                ),
        )
        .attribute(
            Attribute::string("job_execution_id")
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
    Attribute::string("project_id")
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
    Attribute::string("region")
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
    let cluster = Attribute::string("cluster_id")
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
