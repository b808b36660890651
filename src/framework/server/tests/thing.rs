//! `test_thing`, the resource the apply and plan tests drive, and its values.

use super::*;

/// `test_thing`: a name the configuration sets and an ID the provider assigns.
pub(super) struct Thing {
    pub(super) create: Ending,
    pub(super) update: Ending,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ThingModel {
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
    async fn modify_plan(&self, _: &Ctx<()>, plan: &mut PlanEdit<'_>) {
        match plan.string("name") {
            Attr::Known(name) if name == "replace me" => {
                plan.add_warning("Replacing", "this name needs a new thing");
                plan.require_replace(AttributePath::attr("name"));
            }
            Attr::Known(name) if name == "remember me" => {
                plan.set_private(b"remembered".to_vec());
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
        ctx: &Ctx<()>,
        planned: ThingModel,
        diags: &mut Diagnostics,
    ) -> Option<ThingModel> {
        // The ID tells the test what private bytes the plan handed to the apply.
        let id = match ctx.planned_private() {
            [] => "thing-1".to_owned(),
            private => format!("thing-{}", String::from_utf8_lossy(private)),
        };
        let created = ThingModel {
            id: Some(id),
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
            Ending::PanicAfterRecording => {
                ctx.record_progress(&created);
                panic!("boom after the thing was created")
            }
            Ending::Panic => panic!("boom before anything was recorded"),
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
        ctx: &Ctx<()>,
        prior: ThingModel,
        planned: ThingModel,
        diags: &mut Diagnostics,
    ) -> ThingModel {
        let updated = ThingModel {
            id: Some(format!("{}-renamed", prior.id.unwrap_or_default())),
            name: planned.name,
        };
        match self.update {
            Ending::Clean => {}
            Ending::StateWithError | Ending::NothingWithError => {
                diags.add_error("Update half done", "the name changed, the rest failed");
            }
            Ending::PanicAfterRecording => {
                ctx.record_progress(&updated);
                panic!("boom after the rename")
            }
            Ending::Panic => panic!("boom before the rename"),
        }
        updated
    }

    async fn delete(&self, _: &Ctx<()>, _: ThingModel, _: &mut Diagnostics) {}
}

pub(super) fn thing_type() -> Type {
    Type::object([("id", Type::String), ("name", Type::String)])
}

pub(super) fn thing(id: Value, name: &str) -> Value {
    Value::Object(
        [
            ("id".to_owned(), id),
            ("name".to_owned(), Value::from(name)),
        ]
        .into_iter()
        .collect(),
    )
}
