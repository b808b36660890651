//! ApplyResourceChange saves what a resource returned, errors or not.

use super::thing::{thing, thing_type};
use super::*;

async fn apply(
    service: &ProviderService<TestProvider>,
    prior: &Value,
    planned: &Value,
) -> (Option<Value>, Vec<pb::Diagnostic>) {
    let ty = thing_type();
    let response = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(prior, &ty),
            planned_state: dynamic(planned, &ty),
            config: dynamic(&thing(Value::Null, "x"), &ty),
            ..Default::default()
        }))
        .await
        .expect("an answer")
        .into_inner();
    let state = response
        .new_state
        .map(|dv| tfvalue::decode_msgpack(&dv.msgpack, &ty).expect("decodable state"));
    (state, response.diagnostics)
}

#[tokio::test]
async fn create_returning_state_and_an_error_answers_with_both() {
    let script = Script {
        create: Ending::StateWithError,
        ..Script::default()
    };
    let service = TestProvider::serve(script, CancellationToken::new());
    let (state, diagnostics) = apply(&service, &Value::Null, &thing(Value::Unknown, "a")).await;
    assert_eq!(
        state,
        Some(thing(Value::from("thing-1"), "a")),
        "the created object reaches Terraform, which saves it tainted"
    );
    assert_eq!(error_summaries(&diagnostics), ["Wait failed"]);
}

#[tokio::test]
async fn create_returning_nothing_answers_with_a_null_state_and_the_error() {
    let script = Script {
        create: Ending::NothingWithError,
        ..Script::default()
    };
    let service = TestProvider::serve(script, CancellationToken::new());
    let (state, diagnostics) = apply(&service, &Value::Null, &thing(Value::Unknown, "a")).await;
    assert_eq!(state, Some(Value::Null), "nothing is saved");
    assert_eq!(error_summaries(&diagnostics), ["Create refused"]);
}

#[tokio::test]
async fn update_returning_a_value_and_an_error_saves_that_value() {
    let script = Script {
        update: Ending::StateWithError,
        ..Script::default()
    };
    let service = TestProvider::serve(script, CancellationToken::new());
    let prior = thing(Value::from("thing-1"), "a");
    let (state, diagnostics) = apply(&service, &prior, &thing(Value::from("thing-1"), "b")).await;
    assert_eq!(
        state,
        Some(thing(Value::from("thing-1-renamed"), "b")),
        "what update returned, not the prior state and not the plan"
    );
    assert_eq!(error_summaries(&diagnostics), ["Update half done"]);
}

#[tokio::test]
async fn a_clean_create_answers_with_its_state_and_no_diagnostics() {
    let service = TestProvider::serve(Script::default(), CancellationToken::new());
    let (state, diagnostics) = apply(&service, &Value::Null, &thing(Value::Unknown, "a")).await;
    assert_eq!(state, Some(thing(Value::from("thing-1"), "a")));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}
