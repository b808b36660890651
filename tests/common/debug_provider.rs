//! The provider started as a person debugging it would: `terraform-provider-mrs --debug`, which
//! serves on its own and prints the `TF_REATTACH_PROVIDERS` value that makes a client use it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the provider may take to print its reattach line.
const START_GUARD: Duration = Duration::from_secs(30);

/// A `--debug` provider process; killed when dropped.
pub struct DebugProvider {
    child: Child,
    reattach: String,
}

impl DebugProvider {
    /// Starts the provider with `--debug` and `env` added (the only HW_ settings it sees), and
    /// waits for its reattach line.
    pub fn start(env: &[(&str, String)]) -> Self {
        let mut command = Command::new(super::plugin_client::provider_binary());
        for (key, _) in std::env::vars() {
            if key.starts_with("HW_") || key.starts_with("TF_") || key.starts_with("PLUGIN_") {
                command.env_remove(key);
            }
        }
        command
            .arg("--debug")
            .env(
                "HW_METADATA_ENDPOINT",
                super::plugin_client::unreachable_metadata_endpoint(),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start the provider with --debug");
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, reattach) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                    let _ = found.send(value.trim_end_matches('\'').to_owned());
                }
            }
        });
        let reattach = match reattach.recv_timeout(START_GUARD) {
            Ok(value) => value,
            Err(e) => {
                let _ = child.kill();
                panic!("the --debug provider printed no TF_REATTACH_PROVIDERS line ({e})");
            }
        };
        Self { child, reattach }
    }

    /// The `TF_REATTACH_PROVIDERS` value it printed, unquoted.
    pub fn reattach(&self) -> &str {
        &self.reattach
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for DebugProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
