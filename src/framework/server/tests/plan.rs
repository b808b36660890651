//! PlanResourceChange returns what `modify_plan` added through `PlanEdit`.

use super::thing::{thing, thing_type};
use super::*;

async fn plan(
    service: &ProviderService<TestProvider>,
    prior: &Value,
    name: &str,
) -> pb::plan_resource_change::Response {
    let ty = thing_type();
    let proposed = thing(prior.attr("id").cloned().unwrap_or(Value::Null), name);
    service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(prior, &ty),
            proposed_new_state: dynamic(&proposed, &ty),
            config: dynamic(&thing(Value::Null, name), &ty),
            ..Default::default()
        }))
        .await
        .expect("an answer")
        .into_inner()
}

fn attribute_names(paths: &[pb::AttributePath]) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    paths
        .iter()
        .flat_map(|path| &path.steps)
        .filter_map(|step| match &step.selector {
            Some(Selector::AttributeName(name)) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn modify_plan_warnings_and_replacements_reach_the_plan() {
    let service = Script::default().serve();
    let prior = thing(Value::from("thing-1"), "a");
    let response = plan(&service, &prior, "replace me").await;
    assert_eq!(attribute_names(&response.requires_replace), ["name"]);
    let summaries: Vec<_> = response
        .diagnostics
        .iter()
        .map(|d| (d.severity, d.summary.as_str()))
        .collect();
    assert_eq!(
        summaries,
        [(pb::diagnostic::Severity::Warning as i32, "Replacing")]
    );
    assert!(response.planned_state.is_some());

    let unchanged = plan(&service, &prior, "a").await;
    assert!(unchanged.requires_replace.is_empty());
    assert!(unchanged.diagnostics.is_empty());
}

#[tokio::test]
async fn a_create_keeps_modify_plan_warnings_but_replaces_nothing() {
    let service = Script::default().serve();
    let response = plan(&service, &Value::Null, "replace me").await;
    assert!(response.requires_replace.is_empty());
    assert_eq!(response.diagnostics.len(), 1, "{:?}", response.diagnostics);
    assert_eq!(response.diagnostics[0].summary, "Replacing");
}

#[tokio::test]
async fn a_modify_plan_error_lands_on_its_attribute() {
    let service = Script::default().serve();
    let response = plan(&service, &Value::Null, "refuse me").await;
    assert_eq!(error_summaries(&response.diagnostics), ["Name refused"]);
    let attribute = response.diagnostics[0].attribute.clone();
    assert_eq!(
        attribute_names(&attribute.into_iter().collect::<Vec<_>>()),
        ["name"]
    );
}

#[tokio::test]
async fn private_bytes_set_by_modify_plan_are_planned_and_others_pass_through() {
    let service = TestProvider::serve(Script::default(), CancellationToken::new());
    let set = plan(&service, &Value::Null, "remember me").await;
    assert_eq!(set.planned_private, b"remembered");
    let ty = thing_type();
    let kept = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(&thing(Value::from("thing-1"), "a"), &ty),
            proposed_new_state: dynamic(&thing(Value::from("thing-1"), "a"), &ty),
            config: dynamic(&thing(Value::Null, "a"), &ty),
            prior_private: b"from the last apply".to_vec(),
            ..Default::default()
        }))
        .await
        .expect("an answer")
        .into_inner();
    assert_eq!(kept.planned_private, b"from the last apply");
}
