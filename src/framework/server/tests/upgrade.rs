//! UpgradeResourceState runs a resource's upgrader for the stored version before reading the
//! state with today's schema: `test_renamed` is at version 1, and its version 0 called `title`
//! `name`.

use super::*;
use crate::framework::{JsonObject, StateUpgrader};

/// `test_renamed`: version 1 renamed version 0's `name` to `title`.
pub(super) struct Renamed;

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct RenamedModel {
    id: String,
    title: Option<String>,
}

/// Version 0's `name` is version 1's `title`.
fn from_version_0(mut state: JsonObject) -> Result<JsonObject, String> {
    let name = state.remove("name").unwrap_or(serde_json::Value::Null);
    state.insert("title".to_owned(), name);
    Ok(state)
}

#[async_trait]
impl Resource<()> for Renamed {
    type Model = RenamedModel;

    fn type_name(&self) -> &'static str {
        "test_renamed"
    }

    fn schema(&self) -> Schema {
        Schema::default()
            .with_version(1)
            .attribute(Attribute::string("id").required())
            .attribute(Attribute::string("title").optional())
    }

    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        vec![StateUpgrader::new(0, from_version_0)]
    }

    async fn create(
        &self,
        _: &Ctx<()>,
        planned: RenamedModel,
        _: &mut Diagnostics,
    ) -> Option<RenamedModel> {
        Some(planned)
    }

    async fn read(
        &self,
        _: &Ctx<()>,
        state: RenamedModel,
        _: &mut Diagnostics,
    ) -> Option<RenamedModel> {
        Some(state)
    }

    async fn update(
        &self,
        _: &Ctx<()>,
        _: RenamedModel,
        planned: RenamedModel,
        _: &mut Diagnostics,
    ) -> RenamedModel {
        planned
    }

    async fn delete(&self, _: &Ctx<()>, _: RenamedModel, _: &mut Diagnostics) {}
}

fn renamed_type() -> Type {
    Type::object([("id", Type::String), ("title", Type::String)])
}

async fn upgrade(version: i64, json: &str) -> (Option<Value>, Vec<pb::Diagnostic>) {
    let service = Script::default().serve();
    let response = service
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "test_renamed".into(),
            version,
            raw_state: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .expect("an answer")
        .into_inner();
    let state = response
        .upgraded_state
        .map(|dv| tfvalue::decode_msgpack(&dv.msgpack, &renamed_type()).expect("decodable state"));
    (state, response.diagnostics)
}

#[tokio::test]
async fn a_version_0_state_is_upgraded_before_todays_schema_reads_it() {
    let (state, diagnostics) = upgrade(0, r#"{"id":"r-1","name":"nightly"}"#).await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let state = state.expect("an upgraded state");
    assert_eq!(state.attr("title"), Some(&Value::from("nightly")));
    assert_eq!(state.attr("id"), Some(&Value::from("r-1")));
}

#[tokio::test]
async fn a_version_1_state_skips_the_upgrader() {
    let (state, diagnostics) = upgrade(1, r#"{"id":"r-1","title":"kept"}"#).await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(
        state.expect("a state").attr("title"),
        Some(&Value::from("kept"))
    );
}

#[tokio::test]
async fn a_version_0_state_read_without_its_upgrader_would_lose_the_renamed_value() {
    // What the upgrader prevents: today's schema alone drops `name` and leaves `title` null.
    let json = br#"{"id":"r-1","name":"nightly"}"#;
    let read = tfvalue::decode_json(json, &renamed_type()).expect("lenient read");
    assert_eq!(read.attr("title"), Some(&Value::Null));
    let (state, _) = upgrade(0, std::str::from_utf8(json).expect("utf-8")).await;
    assert_ne!(state.expect("a state"), read);
}
