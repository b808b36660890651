//! Schema rules wait for unknown values: ValidateResourceConfig with a module's variables still
//! unknown passes, and the same rule fails once Terraform sends the values, at validate and at
//! plan alike.

use super::*;

/// `test_selection`: `ids` or a `user` filter, not both.
pub(super) struct Selection;

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SelectionModel {
    ids: Option<Vec<String>>,
    user: Option<String>,
}

#[async_trait]
impl Resource<()> for Selection {
    type Model = SelectionModel;

    fn type_name(&self) -> &'static str {
        "test_selection"
    }

    fn schema(&self) -> Schema {
        Schema::default()
            .attribute(Attribute::new("ids", Type::set(Type::String)).optional())
            .attribute(Attribute::string("user").optional())
            .conflicts("ids", &["user"], "Pick one.")
    }

    async fn create(
        &self,
        _: &Ctx<()>,
        planned: SelectionModel,
        _: &mut Diagnostics,
    ) -> Option<SelectionModel> {
        Some(planned)
    }

    async fn read(
        &self,
        _: &Ctx<()>,
        state: SelectionModel,
        _: &mut Diagnostics,
    ) -> Option<SelectionModel> {
        Some(state)
    }

    async fn update(
        &self,
        _: &Ctx<()>,
        _: SelectionModel,
        planned: SelectionModel,
        _: &mut Diagnostics,
    ) -> SelectionModel {
        planned
    }

    async fn delete(&self, _: &Ctx<()>, _: SelectionModel, _: &mut Diagnostics) {}
}

fn selection_type() -> Type {
    Type::object([("ids", Type::set(Type::String)), ("user", Type::String)])
}

fn selection(ids: Value, user: Value) -> Value {
    Value::Object(
        [("ids".to_owned(), ids), ("user".to_owned(), user)]
            .into_iter()
            .collect(),
    )
}

async fn validate(service: &ProviderService<TestProvider>, config: &Value) -> Vec<pb::Diagnostic> {
    service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: "test_selection".into(),
            config: dynamic(config, &selection_type()),
            ..Default::default()
        }))
        .await
        .expect("an answer")
        .into_inner()
        .diagnostics
}

async fn plan(service: &ProviderService<TestProvider>, config: &Value) -> Vec<pb::Diagnostic> {
    let ty = selection_type();
    service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_selection".into(),
            prior_state: dynamic(&Value::Null, &ty),
            proposed_new_state: dynamic(config, &ty),
            config: dynamic(config, &ty),
            ..Default::default()
        }))
        .await
        .expect("an answer")
        .into_inner()
        .diagnostics
}

#[tokio::test]
async fn a_rule_waits_for_unknown_values_and_runs_again_once_they_are_known() {
    let service = Script::default().serve();
    let ids = Value::Set(vec![Value::from("j1")]);

    // `terraform validate` of a module: both variables unknown, or one known and one not.
    for config in [
        selection(Value::Unknown, Value::Unknown),
        selection(ids.clone(), Value::Unknown),
        selection(Value::Unknown, Value::from("etl")),
    ] {
        assert!(validate(&service, &config).await.is_empty(), "{config:?}");
        assert!(plan(&service, &config).await.is_empty(), "{config:?}");
    }

    // At plan the variables are known: null (the variable's default) is not set.
    let module_defaults = selection(ids.clone(), Value::Null);
    assert!(validate(&service, &module_defaults).await.is_empty());
    assert!(plan(&service, &module_defaults).await.is_empty());

    // Both set: the same rule fails, on `ids`, whichever RPC carries the known values.
    let both = selection(ids, Value::from("etl"));
    for diagnostics in [validate(&service, &both).await, plan(&service, &both).await] {
        assert_eq!(
            error_summaries(&diagnostics),
            ["ids cannot be combined with user"]
        );
        let steps = &diagnostics[0]
            .attribute
            .as_ref()
            .expect("on an attribute")
            .steps;
        assert_eq!(
            steps[0].selector,
            Some(pb::attribute_path::step::Selector::AttributeName(
                "ids".into()
            ))
        );
    }
}
