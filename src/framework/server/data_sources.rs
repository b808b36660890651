//! The data-source RPCs: validation and read, dispatched to the data source Terraform names.

use super::convert::diagnostics_to_proto;
use super::respond::{WithDiagnostics, decode, encode, unsupported, validate_request};
use super::{Inner, pb};
use crate::framework::{Described, Diagnostics, Provider};

/// ValidateDataResourceConfig.
pub(super) async fn validate<P: Provider>(
    inner: &Inner<P>,
    req: pb::validate_data_resource_config::Request,
) -> pb::validate_data_resource_config::Response {
    let owner = inner
        .data_sources
        .get(req.type_name.as_str())
        .map(|o| o.as_ref() as &dyn Described);
    pb::validate_data_resource_config::Response::from_diagnostics(validate_request(
        &inner.identity,
        owner,
        "data source",
        &req.type_name,
        req.config.as_ref(),
    ))
}

/// ReadDataSource: no state on errors, so Terraform never stores half a read.
pub(super) async fn read<P: Provider>(
    inner: &Inner<P>,
    req: pb::read_data_source::Request,
) -> pb::read_data_source::Response {
    let Some(data_source) = inner.data_sources.get(req.type_name.as_str()) else {
        return pb::read_data_source::Response::from_diagnostics(unsupported(
            &inner.identity,
            "data source",
            &req.type_name,
        ));
    };
    let ty = data_source.value_type();
    let mut diags = Diagnostics::new();
    let Some(config) = decode(
        req.config.as_ref(),
        ty,
        "data source configuration",
        &mut diags,
    ) else {
        return pb::read_data_source::Response::from_diagnostics(diagnostics_to_proto(diags));
    };
    let state = data_source.read(&inner.ctx(), &config, &mut diags).await;
    let state = if diags.has_errors() {
        None
    } else {
        encode(&state, ty, &mut diags)
    };
    pb::read_data_source::Response {
        state,
        diagnostics: diagnostics_to_proto(diags),
        ..Default::default()
    }
}
