//! The action RPCs (protocol 6.10, Terraform 1.14): validation, plan, and the streamed invoke.

use std::sync::Arc;

use super::convert::diagnostics_to_proto;
use super::respond::{
    EventStream, WithDiagnostics, async_stream, decode, error_diagnostic, single_event,
    unsupported, validate_config, validate_request, what_a_panic_leaves,
};
use super::{Inner, pb};
use crate::framework::{Described, Diagnostics, Progress, Provider, validate_against_schema};

use pb::invoke_action::{Event, event};

/// ValidateActionConfig.
pub(super) async fn validate<P: Provider>(
    inner: &Inner<P>,
    req: pb::validate_action_config::Request,
) -> pb::validate_action_config::Response {
    let owner = inner
        .actions
        .get(req.action_type.as_str())
        .map(|o| o.as_ref() as &dyn Described);
    pb::validate_action_config::Response::from_diagnostics(validate_request(
        &inner.identity,
        owner,
        "action type",
        &req.action_type,
        req.config.as_ref(),
    ))
}

/// PlanAction: an action changes nothing Terraform plans, so only the schema's checks run.
pub(super) async fn plan<P: Provider>(
    inner: &Inner<P>,
    req: pb::plan_action::Request,
) -> pb::plan_action::Response {
    let Some(action) = inner.actions.get(req.action_type.as_str()) else {
        return pb::plan_action::Response::from_diagnostics(unsupported(
            &inner.identity,
            "action type",
            &req.action_type,
        ));
    };
    let mut diags = Diagnostics::new();
    if let Some(config) = decode(
        req.config.as_ref(),
        action.value_type(),
        "action configuration",
        &mut diags,
    ) {
        validate_against_schema(action.schema(), &config, &mut diags);
    }
    pb::plan_action::Response::from_diagnostics(diagnostics_to_proto(diags))
}

fn completed(diagnostics: Vec<pb::Diagnostic>) -> Event {
    Event {
        r#type: Some(event::Type::Completed(event::Completed { diagnostics })),
    }
}

/// InvokeAction: runs the action and streams its progress, as Terraform 1.14 expects. The
/// configuration is checked again now that every value is known; after StopProvider only the
/// final `completed` event is sent (Terraform's stop hook stops reading progress, and a later
/// event makes it panic); when Terraform drops the stream, the invocation is cancelled.
pub(super) fn invoke<P: Provider>(
    inner: &Arc<Inner<P>>,
    req: pb::invoke_action::Request,
) -> EventStream<Event> {
    let Some(action) = inner.actions.get(req.action_type.as_str()) else {
        return single_event(completed(unsupported(
            &inner.identity,
            "action type",
            &req.action_type,
        )));
    };
    let mut checks = Diagnostics::new();
    let Some(config) = decode(
        req.config.as_ref(),
        action.value_type(),
        "action configuration",
        &mut checks,
    ) else {
        return single_event(completed(diagnostics_to_proto(checks)));
    };
    // An ID unknown at plan is known now: it gets the same checks a known one got at validate.
    validate_config(action.as_ref(), config.clone(), &mut checks);
    if checks.has_errors() {
        return single_event(completed(diagnostics_to_proto(checks)));
    }

    let stop = inner.stop.clone();
    let invocation = stop.child_token();
    let (progress, mut messages) = Progress::channel();
    let ctx = inner.ctx_with_stop(invocation.clone());
    let inner = Arc::clone(inner);
    let run = tokio::spawn(async move {
        // Warnings from the checks above stay with the outcome: their values may have been
        // unknown at validate time, so Terraform has not shown them yet.
        let mut diags = checks;
        if let Some(action) = inner.actions.get(req.action_type.as_str()) {
            action.invoke(&ctx, &config, &progress, &mut diags).await;
        }
        diagnostics_to_proto(diags)
    });
    async_stream(move |tx| async move {
        loop {
            let message = tokio::select! {
                biased;
                () = tx.closed() => {
                    tracing::debug!("Terraform dropped the action's stream; cancelling the invocation");
                    invocation.cancel();
                    return;
                }
                message = messages.recv() => message,
            };
            let Some(message) = message else { break };
            // Wait for room in the stream, but drop the message if the stop comes first.
            let permit = tokio::select! {
                biased;
                () = stop.cancelled() => continue,
                permit = tx.reserve() => permit,
            };
            let Ok(permit) = permit else {
                invocation.cancel();
                return;
            };
            permit.send(Ok(Event {
                r#type: Some(event::Type::Progress(event::Progress { message })),
            }));
        }
        let diagnostics = match run.await {
            Ok(diagnostics) => diagnostics,
            Err(e) => error_diagnostic(
                "Provider bug: internal error",
                format!(
                    "The action stopped unexpectedly: {e}. {} Please report this to the \
                     provider's maintainers.",
                    what_a_panic_leaves("InvokeAction")
                ),
            ),
        };
        let _ = tx.send(Ok(completed(diagnostics))).await;
    })
}
