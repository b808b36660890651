//! InvokeAction: the checks at invoke, StopProvider, and a stream Terraform drops.

use super::*;

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

type Events = crate::framework::server::respond::EventStream<pb::invoke_action::Event>;

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
