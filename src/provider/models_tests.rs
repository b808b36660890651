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
