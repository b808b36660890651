//! Structured logs in the shape Terraform understands.
//!
//! Terraform reads a provider's stderr through go-plugin: JSON lines with `@level`, `@message`,
//! `@module` and `@timestamp` (hclog's JSON format) are re-logged at their own level, so they
//! appear under `TF_LOG=DEBUG` etc. This module installs a `tracing` layer that writes exactly that.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

/// Environment variable with the provider-specific log level; wins over [`LOG_LEVEL_KEY`].
pub const PROVIDER_LOG_LEVEL_KEY: &str = "TF_LOG_PROVIDER";

/// Terraform's general log level variable.
pub const LOG_LEVEL_KEY: &str = "TF_LOG";

/// hclog's timestamp layout: RFC 3339 with microseconds.
const TIMESTAMP_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

/// The most verbose level our own events are written at, chosen from `TF_LOG_PROVIDER` / `TF_LOG`.
///
/// Terraform's logging is off unless one of them is set, and Terraform also filters our lines by
/// its own level, so when both are unset we keep only warnings and errors: cheap, and nothing is
/// lost that Terraform would have shown. Like Terraform, any value that is not a level name
/// (including `JSON`) means TRACE, and `OFF` silences us.
pub fn level_from_env(lookup: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let chosen = lookup(PROVIDER_LOG_LEVEL_KEY)
        .filter(|v| !v.trim().is_empty())
        .or_else(|| lookup(LOG_LEVEL_KEY).filter(|v| !v.trim().is_empty()));
    let Some(value) = chosen else {
        return LevelFilter::WARN;
    };
    match value.trim().to_ascii_uppercase().as_str() {
        "OFF" => LevelFilter::OFF,
        "ERROR" => LevelFilter::ERROR,
        "WARN" => LevelFilter::WARN,
        "INFO" => LevelFilter::INFO,
        "DEBUG" => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Where log lines go; shared so tests can capture them.
type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// A `tracing` layer writing one hclog-style JSON object per event.
pub struct JsonLogLayer {
    sink: Sink,
    own_level: LevelFilter,
    own_crate: &'static str,
}

impl JsonLogLayer {
    /// A layer writing to `sink`, keeping the events of `own_crate` (the provider's crate, as
    /// `tracing` targets name it) up to `own_level`; events from other crates (hyper, h2,
    /// rustls…) are kept only at WARN and above, whatever the level.
    pub fn new(
        sink: Box<dyn Write + Send>,
        own_level: LevelFilter,
        own_crate: &'static str,
    ) -> Self {
        JsonLogLayer {
            sink: Arc::new(Mutex::new(sink)),
            own_level,
            own_crate,
        }
    }

    fn wanted(&self, metadata: &Metadata<'_>) -> bool {
        let ceiling = if is_within(self.own_crate, metadata.target()) {
            self.own_level
        } else {
            self.own_level.min(LevelFilter::WARN)
        };
        ceiling >= *metadata.level()
    }
}

fn is_within(own_crate: &str, target: &str) -> bool {
    target == own_crate
        || target
            .strip_prefix(own_crate)
            .is_some_and(|rest| rest.starts_with("::"))
}

/// hclog module name for a `tracing` target: the modules of `own_crate` lose the crate prefix
/// and use dots (`my_provider::api::client` → `api.client`); the crate root is `provider`.
pub fn module_name(own_crate: &str, target: &str) -> String {
    let within_crate = target.strip_prefix(own_crate).and_then(|rest| {
        if rest.is_empty() {
            Some("")
        } else {
            rest.strip_prefix("::")
        }
    });
    match within_crate {
        Some("") => "provider".to_owned(),
        Some(path) => path.replace("::", "."),
        None => target.replace("::", "."),
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Collects an event's fields into the JSON object, `message` becoming `@message`.
struct FieldCollector<'a>(&'a mut Map<String, Value>);

impl FieldCollector<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let key = if field.name() == "message" {
            "@message"
        } else {
            field.name()
        };
        self.0.insert(key.to_owned(), value);
    }
}

impl Visit for FieldCollector<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

/// Renders one event as an hclog JSON line (without the newline); see [`module_name`] for `own_crate`.
pub fn render_event(own_crate: &str, event: &Event<'_>, now: time::OffsetDateTime) -> String {
    let metadata = event.metadata();
    let mut object = Map::new();
    object.insert("@level".into(), level_name(metadata.level()).into());
    object.insert("@message".into(), Value::from(""));
    object.insert(
        "@module".into(),
        module_name(own_crate, metadata.target()).into(),
    );
    let timestamp = now
        .to_offset(time::UtcOffset::UTC)
        .format(TIMESTAMP_FORMAT)
        .unwrap_or_default();
    object.insert("@timestamp".into(), timestamp.into());
    event.record(&mut FieldCollector(&mut object));
    Value::Object(object).to_string()
}

impl<S: Subscriber> Layer<S> for JsonLogLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.wanted(metadata)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !self.wanted(event.metadata()) {
            return;
        }
        let mut line = render_event(self.own_crate, event, time::OffsetDateTime::now_utc());
        line.push('\n');
        // A poisoned lock only means another thread panicked mid-write; keep logging.
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        // Nowhere to report a failing stderr; dropping the line is all we can do.
        let _ = sink.write_all(line.as_bytes()).and_then(|()| sink.flush());
    }
}

/// Installs the JSON stderr logger for the whole process, level from the environment, with
/// `own_crate` as the provider's crate (see [`JsonLogLayer::new`]).
/// Does nothing if a global subscriber is already set (e.g. by a test harness).
pub fn init_from_env(own_crate: &'static str) {
    let level = level_from_env(|key| std::env::var(key).ok());
    let layer = JsonLogLayer::new(Box::new(std::io::stderr()), level, own_crate);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN_CRATE: &str = "terraform_provider_mrs";

    /// A clonable in-memory sink.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<Value> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        }
    }

    fn capture(level: LevelFilter, body: impl FnOnce()) -> Vec<Value> {
        let captured = Captured::default();
        let layer = JsonLogLayer::new(Box::new(captured.clone()), level, OWN_CRATE);
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, body);
        captured.lines()
    }

    #[test]
    fn event_becomes_an_hclog_json_line_with_fields() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::info!(target: "terraform_provider_mrs::mrs::client", job_id = "j-1", attempt = 2, "killing job");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["@level"], "info");
        assert_eq!(line["@message"], "killing job");
        assert_eq!(line["@module"], "mrs.client");
        assert_eq!(line["job_id"], "j-1");
        assert_eq!(line["attempt"], 2);
        let timestamp = line["@timestamp"].as_str().unwrap();
        time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
            .unwrap();
        // 2024-01-02T03:04:05.123456Z: microseconds, UTC.
        assert_eq!(
            timestamp.len(),
            "2024-01-02T03:04:05.123456Z".len(),
            "{timestamp}"
        );
    }

    #[test]
    fn levels_below_the_chosen_one_are_dropped() {
        let lines = capture(LevelFilter::INFO, || {
            tracing::debug!(target: "terraform_provider_mrs::provider", "hidden");
            tracing::warn!(target: "terraform_provider_mrs::provider", "shown");
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["@level"], "warn");
        assert_eq!(lines[0]["@module"], "provider");
    }

    #[test]
    fn other_crates_are_kept_at_warn_and_above_only() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::debug!(target: "h2::codec", "frame");
            tracing::error!(target: "hyper::server", "broken");
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["@module"], "hyper.server");
        assert_eq!(lines[0]["@level"], "error");
    }

    #[test]
    fn crate_root_target_is_module_provider() {
        assert_eq!(module_name(OWN_CRATE, "terraform_provider_mrs"), "provider");
        assert_eq!(
            module_name(OWN_CRATE, "terraform_provider_mrs::plugin::serve"),
            "plugin.serve"
        );
        assert_eq!(
            module_name(OWN_CRATE, "terraform_provider_mrsx"),
            "terraform_provider_mrsx"
        );
    }

    fn level_for(pairs: &[(&str, &str)]) -> LevelFilter {
        level_from_env(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn level_comes_from_tf_log_provider_then_tf_log_case_insensitively() {
        assert_eq!(level_for(&[]), LevelFilter::WARN);
        assert_eq!(level_for(&[("TF_LOG", "debug")]), LevelFilter::DEBUG);
        assert_eq!(
            level_for(&[("TF_LOG", "DEBUG"), ("TF_LOG_PROVIDER", "error")]),
            LevelFilter::ERROR
        );
        assert_eq!(level_for(&[("TF_LOG_PROVIDER", "Off")]), LevelFilter::OFF);
        assert_eq!(level_for(&[("TF_LOG", "JSON")]), LevelFilter::TRACE);
        assert_eq!(level_for(&[("TF_LOG", "anything")]), LevelFilter::TRACE);
        assert_eq!(
            level_for(&[("TF_LOG_PROVIDER", ""), ("TF_LOG", "info")]),
            LevelFilter::INFO
        );
    }
}
