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
    let (state, diagnostics) = create(Ending::StateWithError).await;
    assert_eq!(
        state,
        Some(thing(Value::from("thing-1"), "a")),
        "the created object reaches Terraform, which saves it tainted"
    );
    assert_eq!(error_summaries(&diagnostics), ["Wait failed"]);
}

#[tokio::test]
async fn create_returning_nothing_answers_with_a_null_state_and_the_error() {
    let (state, diagnostics) = create(Ending::NothingWithError).await;
    assert_eq!(state, Some(Value::Null), "nothing is saved");
    assert_eq!(error_summaries(&diagnostics), ["Create refused"]);
}

#[tokio::test]
async fn update_returning_a_value_and_an_error_saves_that_value() {
    let (state, diagnostics) = update(Ending::StateWithError).await;
    assert_eq!(
        state,
        Some(thing(Value::from("thing-1-renamed"), "b")),
        "what update returned, not the prior state and not the plan"
    );
    assert_eq!(error_summaries(&diagnostics), ["Update half done"]);
}

#[tokio::test]
async fn a_clean_create_answers_with_its_state_and_no_diagnostics() {
    let (state, diagnostics) = create(Ending::Clean).await;
    assert_eq!(state, Some(thing(Value::from("thing-1"), "a")));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

/// A fresh provider whose create and update end as told.
fn serve(create: Ending, update: Ending) -> ProviderService<TestProvider> {
    Script {
        create,
        update,
        ..Script::default()
    }
    .serve()
}

/// A create of `test_thing` named "a" by a provider whose create ends with `ending`.
async fn create(ending: Ending) -> (Option<Value>, Vec<pb::Diagnostic>) {
    let service = serve(ending, Ending::Clean);
    apply(&service, &Value::Null, &thing(Value::Unknown, "a")).await
}

/// A rename of `thing-1` from "a" to "b" by a provider whose update ends with `ending`.
async fn update(ending: Ending) -> (Option<Value>, Vec<pb::Diagnostic>) {
    let service = serve(Ending::Clean, ending);
    apply(
        &service,
        &renamed_from(),
        &thing(Value::from("thing-1"), "b"),
    )
    .await
}

/// The prior state of [`update`].
fn renamed_from() -> Value {
    thing(Value::from("thing-1"), "a")
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
    let (state, diagnostics) = create(Ending::PanicAfterRecording).await;
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
    let (state, diagnostics) = create(Ending::Panic).await;
    assert_eq!(state, Some(Value::Null));
    let detail = panic_detail(&diagnostics);
    assert!(detail.contains("may or may not have been made"), "{detail}");
}

#[tokio::test]
async fn an_update_that_panics_keeps_the_recorded_state_or_else_the_prior_one() {
    let (state, diagnostics) = update(Ending::PanicAfterRecording).await;
    assert_eq!(state, Some(thing(Value::from("thing-1-renamed"), "b")));
    panic_detail(&diagnostics);

    let (state, diagnostics) = update(Ending::Panic).await;
    assert_eq!(state, Some(renamed_from()), "the prior state is kept");
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
