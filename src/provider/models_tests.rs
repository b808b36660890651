//! Every resource, data source and action the provider offers: its model struct and its schema
//! name the same attributes, so a new attribute added to one side only fails here, not in a
//! user's apply. The list comes from the provider itself, so a new type is checked too.

use crate::framework::{Described, Provider};
use crate::provider::MrsProvider;

fn offered() -> Vec<(String, Result<(), String>)> {
    let provider = MrsProvider;
    let mut found = Vec::new();
    let mut add = |kind: &str, item: &dyn Described| {
        found.push((format!("{kind} {}", item.type_name()), item.check_model()));
    };
    for r in provider.resources() {
        add("resource", r.as_ref());
    }
    for d in provider.data_sources() {
        add("data source", d.as_ref());
    }
    for a in provider.actions() {
        add("action", a.as_ref());
    }
    found
}

#[test]
fn every_model_names_exactly_its_schemas_attributes() {
    let checked = offered();
    assert_eq!(checked.len(), 6, "two of each kind: {checked:?}");
    let misfits: Vec<_> = checked
        .iter()
        .filter_map(|(name, result)| result.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(misfits.is_empty(), "{misfits:#?}");
}

#[test]
fn every_resource_declares_an_upgrader_for_each_earlier_version_only() {
    for resource in MrsProvider.resources() {
        let current = resource.schema().version;
        let mut versions: Vec<i64> = resource
            .state_upgraders()
            .iter()
            .map(|u| u.prior_version)
            .collect();
        versions.sort_unstable();
        assert_eq!(
            versions,
            (0..current).collect::<Vec<_>>(),
            "{}: one upgrader per version before {current}",
            resource.type_name()
        );
    }
}

/// A state of `mrs_job_kill` as Terraform 1.11 stored it with schema version 0 (the
/// `attributes` of its instance in `terraform.tfstate`): a kill that was waited for, with
/// triggers and a create timeout.
const JOB_KILL_STATE_V0: &str = r#"{
  "cluster_id": "6a8b6ef4-2c1d-4f0e-9b7a-3d5e8f1a2b4c",
  "final_job_state": "KILLED",
  "job_execution_id": "d4c3b2a1-0f9e-4d8c-b7a6-958473625140",
  "killed_at": "2026-12-04T09:15:02Z",
  "project_id": "0b2c4d6e8f0a1b3c5d7e9f1a3b5c7d9e",
  "region": "cn-north-4",
  "request_id": "b1f3e5d7c9a1b3d5e7f9a1c3e5d7b9f1",
  "timeouts": {
    "create": "15m"
  },
  "triggers": {
    "rerun": "2026-12-01"
  },
  "wait_for_termination": true
}"#;

#[test]
fn a_stored_version_0_job_kill_state_is_read_whole_by_the_current_schema() {
    use crate::framework::{Diagnostics, StoredState, upgrade_stored_state};
    use crate::tfvalue;

    let resources = MrsProvider.resources();
    let job_kill = resources
        .iter()
        .find(|r| r.type_name() == "mrs_job_kill")
        .expect("mrs_job_kill is offered");
    let flatmap = Default::default();
    let stored = StoredState {
        version: 0,
        json: JOB_KILL_STATE_V0.as_bytes(),
        flatmap: &flatmap,
    };
    let mut diags = Diagnostics::new();
    let upgraded = upgrade_stored_state(
        job_kill.type_name(),
        job_kill.schema(),
        job_kill.value_type(),
        &job_kill.state_upgraders(),
        stored,
        &mut diags,
    )
    .expect("the stored state is readable");
    assert!(diags.is_empty(), "{diags:?}");
    // Every value the user's state held is still there, under the same name.
    let original: serde_json::Value =
        serde_json::from_str(JOB_KILL_STATE_V0).expect("the fixture is JSON");
    assert_eq!(
        tfvalue::to_json_value(&upgraded).expect("known values"),
        original
    );
}
