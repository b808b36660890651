//! The managed-resource RPCs: validation, state upgrades, refresh, plan, apply and import,
//! each dispatched to the resource Terraform names.

use std::panic::AssertUnwindSafe;

use futures::FutureExt as _;

use super::convert::{diagnostics_to_proto, path_to_proto};
use super::respond::{
    WithDiagnostics, decode, encode, panic_text, unsupported, validate_request, what_a_panic_leaves,
};
use super::{Inner, pb};
use crate::framework::{
    AnyResource, Described, Diagnostics, PlanEdit, Provider, RecordedState, StoredState,
    plan_resource, upgrade_stored_state, validate_against_schema,
};
use crate::tfvalue::Value;

/// The resource Terraform named, or the diagnostic saying there is none.
fn find<'a, P: Provider>(
    inner: &'a Inner<P>,
    type_name: &str,
) -> Result<&'a dyn AnyResource<P::Client>, Vec<pb::Diagnostic>> {
    inner
        .resources
        .get(type_name)
        .map(|r| r.as_ref())
        .ok_or_else(|| unsupported(&inner.identity, "resource type", type_name))
}

/// ValidateResourceConfig.
pub(super) async fn validate<P: Provider>(
    inner: &Inner<P>,
    req: pb::validate_resource_config::Request,
) -> pb::validate_resource_config::Response {
    let owner = inner
        .resources
        .get(req.type_name.as_str())
        .map(|o| o.as_ref() as &dyn Described);
    pb::validate_resource_config::Response::from_diagnostics(validate_request(
        &inner.identity,
        owner,
        "resource type",
        &req.type_name,
        req.config.as_ref(),
    ))
}

/// UpgradeResourceState: stored JSON (or very old flatmap) state, run through the resource's
/// upgrader for its version when older, then read with today's schema.
pub(super) async fn upgrade_state<P: Provider>(
    inner: &Inner<P>,
    req: pb::upgrade_resource_state::Request,
) -> pb::upgrade_resource_state::Response {
    let resource = match find(inner, &req.type_name) {
        Ok(resource) => resource,
        Err(diagnostics) => {
            return pb::upgrade_resource_state::Response::from_diagnostics(diagnostics);
        }
    };
    let mut diags = Diagnostics::new();
    let ty = resource.value_type();
    let raw = req.raw_state.unwrap_or_default();
    let stored = StoredState {
        version: req.version,
        json: &raw.json,
        flatmap: &raw.flatmap,
    };
    let upgraded = upgrade_stored_state(
        &req.type_name,
        resource.schema(),
        ty,
        &resource.state_upgraders(),
        stored,
        &mut diags,
    );
    let upgraded_state = upgraded.and_then(|value| encode(&value, ty, &mut diags));
    pb::upgrade_resource_state::Response {
        upgraded_state,
        diagnostics: diagnostics_to_proto(diags),
    }
}

/// ReadResource: refresh; a null state stays null.
pub(super) async fn read<P: Provider>(
    inner: &Inner<P>,
    req: pb::read_resource::Request,
) -> pb::read_resource::Response {
    let resource = match find(inner, &req.type_name) {
        Ok(resource) => resource,
        Err(diagnostics) => return pb::read_resource::Response::from_diagnostics(diagnostics),
    };
    let ty = resource.value_type();
    let mut diags = Diagnostics::new();
    let Some(current) = decode(req.current_state.as_ref(), ty, "resource state", &mut diags) else {
        return pb::read_resource::Response::from_diagnostics(diagnostics_to_proto(diags));
    };
    let new_state = if current.is_null() {
        Value::Null
    } else {
        resource.read(&inner.ctx(), &current, &mut diags).await
    };
    pb::read_resource::Response {
        new_state: encode(&new_state, ty, &mut diags),
        private: req.private,
        diagnostics: diagnostics_to_proto(diags),
        ..Default::default()
    }
}

/// PlanResourceChange: the framework's plan rules, then the resource's own refinements.
pub(super) async fn plan<P: Provider>(
    inner: &Inner<P>,
    req: pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    let resource = match find(inner, &req.type_name) {
        Ok(resource) => resource,
        Err(diagnostics) => {
            return pb::plan_resource_change::Response::from_diagnostics(diagnostics);
        }
    };
    let ty = resource.value_type();
    let mut diags = Diagnostics::new();
    let decoded = (
        decode(req.prior_state.as_ref(), ty, "prior state", &mut diags),
        decode(
            req.proposed_new_state.as_ref(),
            ty,
            "proposed state",
            &mut diags,
        ),
        decode(
            req.config.as_ref(),
            ty,
            "resource configuration",
            &mut diags,
        ),
    );
    let (Some(prior), Some(proposed), Some(config)) = decoded else {
        return pb::plan_resource_change::Response::from_diagnostics(diagnostics_to_proto(diags));
    };
    if !config.is_null() {
        validate_against_schema(resource.schema(), &config, &mut diags);
        if diags.has_errors() {
            return pb::plan_resource_change::Response::from_diagnostics(diagnostics_to_proto(
                diags,
            ));
        }
    }
    let mut plan = plan_resource(resource.schema(), &prior, &proposed, &config);
    let mut planned_private = None;
    if !plan.planned.is_null() {
        let mut edit = PlanEdit::new(&mut plan.planned)
            .with_prior(&prior)
            .with_config(&config)
            .with_prior_private(&req.prior_private);
        resource.modify_plan(&inner.ctx(), &mut edit).await;
        planned_private = edit.take_private();
        let (edit_diags, replace) = edit.finish();
        diags.extend(edit_diags);
        // A create replaces nothing; Terraform expects no replace paths for it.
        if !prior.is_null() {
            for path in replace {
                if !plan.requires_replace.contains(&path) {
                    plan.requires_replace.push(path);
                }
            }
        }
    }
    pb::plan_resource_change::Response {
        planned_state: encode(&plan.planned, ty, &mut diags),
        requires_replace: plan.requires_replace.iter().map(path_to_proto).collect(),
        planned_private: planned_private.unwrap_or(req.prior_private),
        diagnostics: diagnostics_to_proto(diags),
        ..Default::default()
    }
}

/// ApplyResourceChange: create, update or delete, saving what the resource returned.
pub(super) async fn apply<P: Provider>(
    inner: &Inner<P>,
    req: pb::apply_resource_change::Request,
) -> pb::apply_resource_change::Response {
    let resource = match find(inner, &req.type_name) {
        Ok(resource) => resource,
        Err(diagnostics) => {
            return pb::apply_resource_change::Response::from_diagnostics(diagnostics);
        }
    };
    let ty = resource.value_type();
    let mut diags = Diagnostics::new();
    let decoded = (
        decode(req.prior_state.as_ref(), ty, "prior state", &mut diags),
        decode(req.planned_state.as_ref(), ty, "planned state", &mut diags),
    );
    let (Some(prior), Some(planned)) = decoded else {
        return pb::apply_resource_change::Response::from_diagnostics(diagnostics_to_proto(diags));
    };
    // The resource may record what it has achieved as it goes (`Ctx::record_progress`): a panic
    // half-way then still hands Terraform the kills, say, that the remote system accepted.
    let recorded = RecordedState::new(ty.clone());
    let ctx = inner
        .ctx()
        .recording(recorded.clone())
        .with_planned_private(req.planned_private.clone());
    let work = async {
        if planned.is_null() {
            resource.delete(&ctx, &prior, &mut diags).await;
            // A failed destroy keeps the object in state, so nothing real is forgotten.
            if diags.has_errors() {
                prior.clone()
            } else {
                Value::Null
            }
        } else if prior.is_null() {
            resource.create(&ctx, &planned, &mut diags).await
        } else {
            resource.update(&ctx, &prior, &planned, &mut diags).await
        }
    };
    let new_state = match AssertUnwindSafe(work).catch_unwind().await {
        Ok(state) => state,
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            tracing::error!(rpc = "ApplyResourceChange", panic = %text, "provider panicked while handling a request");
            let (state, leaves) = match recorded.take() {
                Some(state) => (
                    state,
                    "What the resource had recorded before the panic (requests the remote system \
                     had accepted) is saved in state, and Terraform marks it tainted; anything after \
                     that may or may not have been done. Check the remote system before applying again.",
                ),
                None => (
                    if prior.is_null() {
                        Value::Null
                    } else {
                        prior.clone()
                    },
                    what_a_panic_leaves("ApplyResourceChange"),
                ),
            };
            diags.add_error(
                "Provider bug: internal error",
                format!(
                    "The provider panicked while handling ApplyResourceChange: {text}. {leaves} \
                     Please report this to the provider's maintainers."
                ),
            );
            state
        }
    };
    pb::apply_resource_change::Response {
        new_state: encode(&new_state, ty, &mut diags),
        private: req.planned_private,
        diagnostics: diagnostics_to_proto(diags),
        ..Default::default()
    }
}

/// ImportResourceState.
pub(super) async fn import<P: Provider>(
    inner: &Inner<P>,
    req: pb::import_resource_state::Request,
) -> pb::import_resource_state::Response {
    let resource = match find(inner, &req.type_name) {
        Ok(resource) => resource,
        Err(diagnostics) => {
            return pb::import_resource_state::Response::from_diagnostics(diagnostics);
        }
    };
    let mut diags = Diagnostics::new();
    let state = resource.import(&inner.ctx(), &req.id, &mut diags).await;
    let imported_resources = if state.is_null() || diags.has_errors() {
        Vec::new()
    } else {
        encode(&state, resource.value_type(), &mut diags)
            .map(|state| pb::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(state),
                ..Default::default()
            })
            .into_iter()
            .collect()
    };
    pb::import_resource_state::Response {
        imported_resources,
        diagnostics: diagnostics_to_proto(diags),
        ..Default::default()
    }
}
