//! The framework's promises pinned through [`ProviderService`] itself, RPC by RPC, with a tiny
//! provider of its own: what a resource returns next to an error is what Terraform receives.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tonic::Request;

use super::{
    AnyAction, AnyResource, Attribute, ConfigureRequest, Ctx, Diagnostics, Provider,
    ProviderService, Resource, Schema, resource,
};
use crate::plugin::ProviderIdentity;
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::proto::tfplugin6::provider_server::Provider as _;
use crate::tfvalue::{self, Type, Value};

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
