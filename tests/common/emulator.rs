//! Starts the MRS emulator in the test process, on a runtime of its own, so synchronous tests can
//! drive Terraform as a child process and inspect the emulator in between.

use mrs_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

/// Credentials the emulator accepts by default.
pub const ACCESS_KEY: &str = "EMULATORACCESSKEY";
/// Secret key paired with [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "emulator-secret-key";
/// Region the emulator's IAM knows.
pub const REGION: &str = "cn-north-4";

/// Client settings for the emulator serving at `url`, as MRS and as IAM, with the keys and region
/// it accepts. Each test sets on top what it is about (project, retries, timeouts, CA).
pub fn client_config(url: &str) -> terraform_provider_mrs::mrs::ClientConfig {
    use terraform_provider_mrs::mrs::{ClientConfig, Credentials};
    let mut config = ClientConfig::new(
        REGION,
        Credentials::AkSk {
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            security_token: None,
        },
    );
    config.endpoint = Some(url.to_owned());
    config.iam_endpoint = Some(url.to_owned());
    config
}

/// A running emulator and the runtime that drives it.
pub struct RunningEmulator {
    handle: Option<EmulatorHandle>,
    runtime: tokio::runtime::Runtime,
}

impl RunningEmulator {
    /// Starts an emulator with `config`.
    pub fn start(config: EmulatorConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let handle = runtime
            .block_on(Emulator::start(config))
            .expect("start emulator");
        Self {
            handle: Some(handle),
            runtime,
        }
    }

    /// Starts an emulator with the default configuration.
    pub fn start_default() -> Self {
        Self::start(EmulatorConfig::default())
    }

    /// Serves the same emulator on `address` too, with its own certificate or plain HTTP
    /// (see [`EmulatorHandle::listen_also`]); returns the address bound.
    pub fn also_listen_on(
        &self,
        address: std::net::SocketAddr,
        tls: Option<&mrs_emulator::TlsIdentity>,
    ) -> std::net::SocketAddr {
        self.runtime
            .block_on(self.handle().listen_also(address, tls))
            .expect("emulator listens on one more address")
    }

    /// The emulator's handle.
    pub fn handle(&self) -> &EmulatorHandle {
        self.handle.as_ref().expect("emulator running")
    }
}

impl std::ops::Deref for RunningEmulator {
    type Target = EmulatorHandle;
    fn deref(&self) -> &EmulatorHandle {
        self.handle()
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}
