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

fn panic_detail(diagnostics: &[pb::Diagnostic]) -> &str {
    assert_eq!(
        error_summaries(diagnostics),
        ["Provider bug: internal error"]
    );
    &diagnostics[0].detail
}

#[tokio::test]
async fn a_create_that_panics_after_recording_progress_answers_with_what_it_recorded() {
    let script = Script {
        create: Ending::PanicAfterRecording,
        ..Script::default()
    };
    let service = TestProvider::serve(script, CancellationToken::new());
    let (state, diagnostics) = apply(&service, &Value::Null, &thing(Value::Unknown, "a")).await;
    assert_eq!(
        state,
        Some(thing(Value::from("thing-1"), "a")),
        "what the resource recorded before the panic reaches Terraform, which saves it tainted"
    );
    let detail = panic_detail(&diagnostics);
    assert!(
        detail.contains("boom after the thing was created"),
        "{detail}"
    );
    assert!(detail.contains("saved in state"), "{detail}");
}

#[tokio::test]
async fn a_create_that_panics_before_recording_anything_saves_nothing() {
    let script = Script {
        create: Ending::Panic,
        ..Script::default()
    };
    let service = TestProvider::serve(script, CancellationToken::new());
    let (state, diagnostics) = apply(&service, &Value::Null, &thing(Value::Unknown, "a")).await;
    assert_eq!(state, Some(Value::Null));
    let detail = panic_detail(&diagnostics);
    assert!(detail.contains("may or may not have been made"), "{detail}");
}

#[tokio::test]
async fn an_update_that_panics_keeps_the_recorded_state_or_else_the_prior_one() {
    let prior = thing(Value::from("thing-1"), "a");
    let planned = thing(Value::from("thing-1"), "b");
    let service = TestProvider::serve(
        Script {
            update: Ending::PanicAfterRecording,
            ..Script::default()
        },
        CancellationToken::new(),
    );
    let (state, diagnostics) = apply(&service, &prior, &planned).await;
    assert_eq!(state, Some(thing(Value::from("thing-1-renamed"), "b")));
    panic_detail(&diagnostics);

    let service = TestProvider::serve(
        Script {
            update: Ending::Panic,
            ..Script::default()
        },
        CancellationToken::new(),
    );
    let (state, diagnostics) = apply(&service, &prior, &planned).await;
    assert_eq!(state, Some(prior), "the prior state is kept");
    panic_detail(&diagnostics);
}

#[tokio::test]
async fn the_planned_private_bytes_reach_the_create_and_the_answer() {
    let service = TestProvider::serve(Script::default(), CancellationToken::new());
    let ty = thing_type();
    let response = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: dynamic(&thing(Value::Unknown, "remember me"), &ty),
            config: dynamic(&thing(Value::Null, "remember me"), &ty),
            planned_private: b"named".to_vec(),
            ..Default::default()
        }))
        .await
        .expect("an answer")
        .into_inner();
    let state = response
        .new_state
        .map(|dv| tfvalue::decode_msgpack(&dv.msgpack, &ty).expect("decodable state"));
    assert_eq!(
        state,
        Some(thing(Value::from("thing-named"), "remember me"))
    );
    assert_eq!(response.private, b"named");
}
