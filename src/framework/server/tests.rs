//! The framework's promises pinned through [`ProviderService`] itself, RPC by RPC, with a tiny
//! provider of its own: what a resource returns next to an error is what Terraform receives.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tonic::Request;

use crate::framework::{
    Action, AnyAction, AnyResource, Attr, Attribute, Config, ConfigureRequest, Ctx, Diagnostics,
    PlanEdit, Progress, Provider, ProviderService, Resource, Schema, action, resource,
};
use crate::plugin::ProviderIdentity;
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::proto::tfplugin6::provider_server::Provider as _;
use crate::tfvalue::{self, AttributePath, Type, Value};

const IDENTITY: ProviderIdentity = ProviderIdentity {
    name: "test",
    address: "registry.terraform.io/example/test",
    binary: "terraform-provider-test",
    version: "0.0.0",
    description: "A provider for the framework's own tests.",
    api: "Test",
    log_target: "terraform_provider_test",
};

/// How the test resource's create and update end.
#[derive(Debug, Clone, Copy, Default)]
pub(super) enum Ending {
    /// Success.
    #[default]
    Clean,
    /// An error, with the new state returned anyway.
    StateWithError,
    /// An error and nothing to save (`create` only).
    NothingWithError,
}

/// What the test provider's parts do.
#[derive(Default)]
pub(super) struct Script {
    pub(super) create: Ending,
    pub(super) update: Ending,
    pub(super) actions: Vec<Box<dyn AnyAction<()>>>,
}

/// Offers `test_thing` and the script's actions.
pub(super) struct TestProvider {
    create: Ending,
    update: Ending,
    // Boxed actions cannot be cloned; the service asks for them once.
    actions: std::sync::Mutex<Vec<Box<dyn AnyAction<()>>>>,
}

impl TestProvider {
    pub(super) fn serve(script: Script, stop: CancellationToken) -> ProviderService<Self> {
        let provider = TestProvider {
            create: script.create,
            update: script.update,
            actions: std::sync::Mutex::new(script.actions),
        };
        ProviderService::new(provider, stop)
    }
}

#[async_trait]
impl Provider for TestProvider {
    type Client = ();

    fn identity(&self) -> ProviderIdentity {
        IDENTITY
    }

    fn schema(&self) -> Schema {
        Schema::default()
    }

    async fn configure(&self, _: ConfigureRequest, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource<()>>> {
        vec![resource(Thing {
            create: self.create,
            update: self.update,
        })]
    }

    fn actions(&self) -> Vec<Box<dyn AnyAction<()>>> {
        self.actions
            .lock()
            .map(|mut actions| std::mem::take(&mut *actions))
            .unwrap_or_default()
    }
}

/// `test_thing`: a name the configuration sets and an ID the provider assigns.
struct Thing {
    create: Ending,
    update: Ending,
}

#[derive(Debug, Serialize, Deserialize)]
struct ThingModel {
    id: Option<String>,
    name: String,
}

#[async_trait]
impl Resource<()> for Thing {
    type Model = ThingModel;

    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        Schema::default()
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("name").required())
    }

    // A name asks for what the test wants to see: a warning and a replacement, or an error.
    fn modify_plan(&self, _: &Ctx<()>, plan: &mut PlanEdit<'_>) {
        match plan.string("name") {
            Attr::Known(name) if name == "replace me" => {
                plan.add_warning("Replacing", "this name needs a new thing");
                plan.require_replace(AttributePath::attr("name"));
            }
            Attr::Known(name) if name == "refuse me" => {
                plan.add_attribute_error(
                    AttributePath::attr("name"),
                    "Name refused",
                    "pick another name",
                );
            }
            _ => {}
        }
    }

    async fn create(
        &self,
        _: &Ctx<()>,
        planned: ThingModel,
        diags: &mut Diagnostics,
    ) -> Option<ThingModel> {
        let created = ThingModel {
            id: Some("thing-1".into()),
            name: planned.name,
        };
        match self.create {
            Ending::Clean => Some(created),
            Ending::StateWithError => {
                diags.add_error("Wait failed", "the thing was created, then the wait failed");
                Some(created)
            }
            Ending::NothingWithError => {
                diags.add_error("Create refused", "nothing was created");
                None
            }
        }
    }

    async fn read(
        &self,
        _: &Ctx<()>,
        state: ThingModel,
        _: &mut Diagnostics,
    ) -> Option<ThingModel> {
        Some(state)
    }

    async fn update(
        &self,
        _: &Ctx<()>,
        prior: ThingModel,
        planned: ThingModel,
        diags: &mut Diagnostics,
    ) -> ThingModel {
        if let Ending::StateWithError | Ending::NothingWithError = self.update {
            diags.add_error("Update half done", "the name changed, the rest failed");
        }
        ThingModel {
            id: Some(format!("{}-renamed", prior.id.unwrap_or_default())),
            name: planned.name,
        }
    }

    async fn delete(&self, _: &Ctx<()>, _: ThingModel, _: &mut Diagnostics) {}
}

fn thing_type() -> Type {
    Type::object([("id", Type::String), ("name", Type::String)])
}

fn thing(id: Value, name: &str) -> Value {
    Value::Object(
        [
            ("id".to_owned(), id),
            ("name".to_owned(), Value::from(name)),
        ]
        .into_iter()
        .collect(),
    )
}

pub(super) fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: tfvalue::encode_msgpack(value, ty).expect("encode"),
        json: Vec::new(),
    })
}

fn error_summaries(diagnostics: &[pb::Diagnostic]) -> Vec<&str> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| d.summary.as_str())
        .collect()
}

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

/// `test_wait`: reports that it started, waits for its stop token, then reports again.
#[derive(Clone, Default)]
struct Waiter {
    invocations: Arc<AtomicUsize>,
    started: Arc<Notify>,
    saw_cancel: Arc<Notify>,
}

#[derive(Debug, Serialize, Deserialize)]
struct WaiterModel {
    mode: String,
}

fn no_spaces(text: &str) -> Result<(), String> {
    if text.contains(' ') {
        Err(format!("{text:?} contains a space."))
    } else {
        Ok(())
    }
}

#[async_trait]
impl Action<()> for Waiter {
    type Model = WaiterModel;

    fn type_name(&self) -> &'static str {
        "test_wait"
    }

    fn schema(&self) -> Schema {
        Schema::default().attribute(
            Attribute::string("mode")
                .required()
                .validate_string(no_spaces),
        )
    }

    fn validate(&self, config: &Config, diags: &mut Diagnostics) {
        if config.string("mode").known().as_deref() == Some("noisy") {
            diags.add_warning("Noisy mode", "The mode \"noisy\" is allowed, but loud.");
        }
        if config.string("mode").known().as_deref() == Some("forbidden") {
            diags.add_attribute_error(
                crate::tfvalue::AttributePath::attr("mode"),
                "Forbidden mode",
                "The mode \"forbidden\" is not allowed.",
            );
        }
    }

    async fn invoke(
        &self,
        ctx: &Ctx<()>,
        _: WaiterModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        self.invocations.fetch_add(1, Ordering::SeqCst);
        progress.report("started");
        self.started.notify_one();
        ctx.stop_token().cancelled().await;
        self.saw_cancel.notify_one();
        progress.report("after the stop");
        diags.add_warning("Stopped", "The wait was stopped.");
    }
}

fn waiter_service(waiter: &Waiter, stop: CancellationToken) -> ProviderService<TestProvider> {
    let script = Script {
        actions: vec![action(waiter.clone())],
        ..Script::default()
    };
    TestProvider::serve(script, stop)
}

fn mode(text: &str) -> Option<pb::DynamicValue> {
    let ty = Type::object([("mode", Type::String)]);
    let value = Value::Object(
        [("mode".to_owned(), Value::from(text))]
            .into_iter()
            .collect(),
    );
    dynamic(&value, &ty)
}

type Events = super::respond::EventStream<pb::invoke_action::Event>;

async fn invoke(service: &ProviderService<TestProvider>, config: &str) -> Events {
    service
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "test_wait".into(),
            config: mode(config),
            client_capabilities: None,
        }))
        .await
        .expect("a stream")
        .into_inner()
}

/// The next event, which must come within a few seconds.
async fn next_event(events: &mut Events) -> Option<pb::invoke_action::event::Type> {
    tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("an event or the end of the stream in time")
        .map(|event| event.expect("no gRPC error").r#type.expect("a typed event"))
}

#[tokio::test]
async fn after_stop_provider_an_action_sends_only_its_completed_event() {
    use pb::invoke_action::event::Type as Event;
    let waiter = Waiter::default();
    let service = waiter_service(&waiter, CancellationToken::new());
    let mut events = invoke(&service, "wait").await;
    match next_event(&mut events).await {
        Some(Event::Progress(p)) => assert_eq!(p.message, "started"),
        other => panic!("expected the first progress event, got {other:?}"),
    }
    service
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .expect("stop");
    let mut after_stop = Vec::new();
    while let Some(event) = next_event(&mut events).await {
        after_stop.push(event);
    }
    assert_eq!(after_stop.len(), 1, "{after_stop:?}");
    let Event::Completed(done) = &after_stop[0] else {
        panic!("a progress event after StopProvider: {after_stop:?}");
    };
    assert_eq!(done.diagnostics.len(), 1, "{:?}", done.diagnostics);
    assert_eq!(done.diagnostics[0].summary, "Stopped");
}

#[tokio::test]
async fn warnings_of_the_checks_at_invoke_reach_the_completed_event() {
    use pb::invoke_action::event::Type as Event;
    let waiter = Waiter::default();
    let service = waiter_service(&waiter, CancellationToken::new());
    let mut events = invoke(&service, "noisy").await;
    assert!(matches!(
        next_event(&mut events).await,
        Some(Event::Progress(_))
    ));
    service
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .expect("stop");
    let Some(Event::Completed(done)) = next_event(&mut events).await else {
        panic!("expected the completed event");
    };
    let summaries: Vec<_> = done
        .diagnostics
        .iter()
        .map(|d| d.summary.as_str())
        .collect();
    assert_eq!(summaries, ["Noisy mode", "Stopped"]);
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_invocation_but_not_the_provider() {
    let waiter = Waiter::default();
    let stop = CancellationToken::new();
    let service = waiter_service(&waiter, stop.clone());
    let events = invoke(&service, "wait").await;
    tokio::time::timeout(Duration::from_secs(5), waiter.started.notified())
        .await
        .expect("the action started");
    drop(events);
    tokio::time::timeout(Duration::from_secs(5), waiter.saw_cancel.notified())
        .await
        .expect("the action's stop token was cancelled when Terraform went away");
    assert!(!stop.is_cancelled(), "only this invocation is cancelled");
}

#[tokio::test]
async fn invoke_checks_the_known_config_again_and_does_not_run_on_errors() {
    use pb::invoke_action::event::Type as Event;
    let waiter = Waiter::default();
    let service = waiter_service(&waiter, CancellationToken::new());
    for bad in ["has space", "forbidden"] {
        let validated = service
            .validate_action_config(Request::new(pb::validate_action_config::Request {
                action_type: "test_wait".into(),
                config: mode(bad),
            }))
            .await
            .expect("validate")
            .into_inner()
            .diagnostics;
        assert_eq!(validated.len(), 1, "{validated:?}");
        let mut events = invoke(&service, bad).await;
        let Some(Event::Completed(done)) = next_event(&mut events).await else {
            panic!("expected only a completed event for {bad:?}");
        };
        assert_eq!(
            done.diagnostics, validated,
            "the same diagnostic as at validate"
        );
        assert!(next_event(&mut events).await.is_none());
    }
    assert_eq!(
        waiter.invocations.load(Ordering::SeqCst),
        0,
        "never invoked"
    );
}

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
    let service = TestProvider::serve(Script::default(), CancellationToken::new());
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
    let service = TestProvider::serve(Script::default(), CancellationToken::new());
    let response = plan(&service, &Value::Null, "replace me").await;
    assert!(response.requires_replace.is_empty());
    assert_eq!(response.diagnostics.len(), 1, "{:?}", response.diagnostics);
    assert_eq!(response.diagnostics[0].summary, "Replacing");
}

#[tokio::test]
async fn a_modify_plan_error_lands_on_its_attribute() {
    let service = TestProvider::serve(Script::default(), CancellationToken::new());
    let response = plan(&service, &Value::Null, "refuse me").await;
    assert_eq!(error_summaries(&response.diagnostics), ["Name refused"]);
    let attribute = response.diagnostics[0].attribute.clone();
    assert_eq!(
        attribute_names(&attribute.into_iter().collect::<Vec<_>>()),
        ["name"]
    );
}
