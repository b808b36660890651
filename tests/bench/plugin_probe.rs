//! Measures the provider process on its own, as Terraform sees it: the time from exec to the
//! go-plugin handshake line, and the `GetProviderSchema` round trip over the real mTLS socket.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use terraform_provider_mrs::plugin::proto::tfplugin6::get_provider_schema;

use crate::common::plugin_client::{ClientIdentity, MAGIC_COOKIE, PluginProcess};
use crate::error::BenchError;
use crate::samples::Samples;

/// Milliseconds from exec of the provider to the first line it prints on stdout, once per run.
/// Every run gets a fresh client certificate, as Terraform generates one per process.
pub fn handshake_latency_ms(provider_binary: &str, runs: usize) -> Result<Samples, BenchError> {
    let mut samples = Samples::new();
    for _ in 0..runs {
        let identity = ClientIdentity::generate();
        let mut command = Command::new(provider_binary);
        command
            .env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_CLIENT_CERT", &identity.cert_pem)
            .env_remove("PLUGIN_UNIX_SOCKET_DIR")
            .env_remove("TF_REATTACH_PROVIDERS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let started = Instant::now();
        let mut child = command.spawn().map_err(|source| BenchError::Spawn {
            program: provider_binary.to_owned(),
            source,
        })?;
        let mut line = String::new();
        let read = match child.stdout.take() {
            Some(stdout) => BufReader::new(stdout).read_line(&mut line),
            None => Ok(0),
        };
        let elapsed = started.elapsed();
        // The process has served its purpose; whether it is still there to kill does not matter.
        let _ = child.kill();
        let _ = child.wait();
        match read {
            Ok(n) if n > 0 && line.starts_with("1|6|") => samples.push(elapsed.as_secs_f64() * 1e3),
            Ok(_) => {
                return Err(BenchError::Probe(format!(
                    "expected a handshake line `1|6|...` on stdout, got {line:?}"
                )));
            }
            Err(e) => {
                return Err(BenchError::Probe(format!(
                    "reading the handshake line: {e}"
                )));
            }
        }
    }
    Ok(samples)
}

/// `GetProviderSchema` round trips, in milliseconds, on one provider process over mTLS.
#[derive(Debug, Clone)]
pub struct SchemaRoundTrips {
    /// The first call on a fresh connection (schema built, TLS session warm).
    pub first_ms: f64,
    /// The calls after it.
    pub warm_ms: Samples,
}

/// Starts the provider as Terraform does and calls `GetProviderSchema` `1 + runs` times.
pub fn schema_round_trips(runs: usize) -> Result<SchemaRoundTrips, BenchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::Probe(format!("starting a tokio runtime: {e}")))?;
    runtime.block_on(async {
        let plugin = PluginProcess::launch().await;
        let mut client = plugin.provider();
        let mut times = Vec::with_capacity(runs + 1);
        for _ in 0..=runs {
            let started = Instant::now();
            let response = client
                .get_provider_schema(get_provider_schema::Request {})
                .await
                .map_err(|status| BenchError::Probe(format!("GetProviderSchema: {status}")))?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
            if response.get_ref().provider.is_none() {
                return Err(BenchError::Probe(
                    "GetProviderSchema returned no provider schema".into(),
                ));
            }
        }
        plugin.shutdown_and_wait().await;
        let first_ms = times[0];
        let mut warm_ms = Samples::new();
        times[1..].iter().for_each(|&t| warm_ms.push(t));
        Ok(SchemaRoundTrips { first_ms, warm_ms })
    })
}
