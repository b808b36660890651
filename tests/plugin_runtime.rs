//! The provider binary as Terraform sees it: handshake, AutoMTLS, go-plugin services, shutdown,
//! refusals, socket hygiene and `--debug`.

pub mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::process::Stdio;

use common::plugin_client::{
    ClientIdentity, Handshake, MAGIC_COOKIE, PluginProcess, bare_command, connect, is_socket,
    read_line,
};
use terraform_provider_mrs::plugin::proto::goplugin::grpc_broker_client::GrpcBrokerClient;
use terraform_provider_mrs::plugin::proto::goplugin::grpc_stdio_client::GrpcStdioClient;
use terraform_provider_mrs::plugin::proto::tfplugin6::get_provider_schema;
use terraform_provider_mrs::plugin::proto::tfplugin6::provider_client::ProviderClient;
use tokio::io::BufReader;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn get_provider_schema_answers_over_mtls_on_a_unix_socket() {
    let plugin = PluginProcess::launch().await;
    let handshake = plugin.handshake();
    assert_eq!(handshake.core_version, 1);
    assert_eq!(handshake.protocol_version, 6);
    assert_eq!(handshake.network, "unix");
    assert_eq!(handshake.protocol, "grpc");
    assert!(
        handshake.server_cert_der.is_some(),
        "AutoMTLS must send a server cert"
    );

    let schema = plugin
        .provider()
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema over mTLS")
        .into_inner();
    assert!(schema.provider.is_some());
}

#[tokio::test]
async fn health_service_reports_plugin_serving() {
    let plugin = PluginProcess::launch().await;
    let status = HealthClient::new(plugin.channel())
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .expect("health check")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
}

#[tokio::test]
async fn stdio_and_broker_streams_open_and_end_cleanly_at_shutdown() {
    let plugin = PluginProcess::launch().await;
    let mut stdio = GrpcStdioClient::new(plugin.channel())
        .stream_stdio(())
        .await
        .expect("StreamStdio is accepted")
        .into_inner();
    let (_keep_sending, outbound) = tokio::sync::mpsc::channel(1);
    let mut broker = GrpcBrokerClient::new(plugin.channel())
        .start_stream(tokio_stream::wrappers::ReceiverStream::new(outbound))
        .await
        .expect("StartStream is accepted")
        .into_inner();

    let status = plugin.shutdown_and_wait().await;
    assert!(status.success(), "{status:?}");
    assert!(
        matches!(stdio.message().await, Ok(None)),
        "stdio stream ends without error"
    );
    assert!(
        matches!(broker.message().await, Ok(None)),
        "broker stream ends without error"
    );
}

async fn schema_with(
    handshake: &Handshake,
    identity: Option<&ClientIdentity>,
) -> Result<get_provider_schema::Response, Box<dyn std::error::Error + Send + Sync>> {
    let channel = connect(handshake, identity).await?;
    let response = ProviderClient::new(channel)
        .get_provider_schema(get_provider_schema::Request {})
        .await?;
    Ok(response.into_inner())
}

#[tokio::test]
async fn client_without_a_certificate_gets_no_answer() {
    let plugin = PluginProcess::launch().await;
    let result = schema_with(plugin.handshake(), None).await;
    assert!(
        result.is_err(),
        "a client without a cert was answered: {result:?}"
    );
    // The rightful client is still served.
    assert!(
        schema_with(plugin.handshake(), Some(plugin.identity()))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn client_with_another_certificate_gets_no_answer() {
    let plugin = PluginProcess::launch().await;
    let intruder = ClientIdentity::generate();
    let result = schema_with(plugin.handshake(), Some(&intruder)).await;
    assert!(
        result.is_err(),
        "a client with a foreign cert was answered: {result:?}"
    );
}

#[tokio::test]
async fn shutdown_ends_the_process_with_status_0_and_removes_the_socket() {
    let plugin = PluginProcess::launch().await;
    let socket = plugin.socket_path();
    let socket_dir = socket.parent().expect("socket dir").to_path_buf();
    assert!(is_socket(&socket));

    let status = plugin.shutdown_and_wait().await;
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists(), "socket file left behind");
    assert!(!socket_dir.exists(), "private socket dir left behind");
}

#[tokio::test]
async fn sigterm_ends_the_process_with_status_0_and_removes_the_socket() {
    let mut plugin = PluginProcess::launch().await;
    let socket = plugin.socket_path();
    let pid = plugin.pid().expect("running") as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = plugin.wait().await;
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists());
}

#[tokio::test]
async fn sigint_is_ignored_while_terraform_manages_the_provider() {
    let plugin = PluginProcess::launch().await;
    let pid = plugin.pid().expect("running") as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    plugin
        .provider()
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .expect("still serving after SIGINT");
    let status = plugin.shutdown_and_wait().await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn socket_file_is_mode_0600_in_a_0700_directory() {
    let plugin = PluginProcess::launch().await;
    let socket = plugin.socket_path();
    let mode = std::fs::metadata(&socket)
        .expect("socket")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "socket mode {mode:o}");
    let dir = socket.parent().expect("dir");
    let dir_mode = std::fs::metadata(dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700, "dir mode {dir_mode:o}");
}

#[tokio::test]
async fn socket_is_created_in_plugin_unix_socket_dir() {
    let chosen = tempfile::tempdir().expect("tempdir");
    let dir = chosen.path().to_path_buf();
    let plugin = PluginProcess::launch_with(|cmd| {
        cmd.env("PLUGIN_UNIX_SOCKET_DIR", &dir);
    })
    .await;
    let socket = plugin.socket_path();
    assert_eq!(socket.parent(), Some(chosen.path()));
    let status = plugin.shutdown_and_wait().await;
    assert!(status.success());
    assert!(!socket.exists());
    assert!(
        chosen.path().exists(),
        "Terraform's directory must be left alone"
    );
}

#[tokio::test]
async fn missing_magic_cookie_exits_nonzero_with_an_explanation() {
    let output = bare_command()
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("run the provider");
    assert!(!output.status.success());
    assert!(
        output.stdout.is_empty(),
        "no handshake line without the cookie"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Terraform provider plugin"), "{stderr}");
    assert!(stderr.contains("dev_overrides"), "{stderr}");
}

#[tokio::test]
async fn protocol_5_only_is_refused_with_an_error_naming_5() {
    let output = bare_command()
        .env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("run the provider");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("version(s) 5"), "{stderr}");
    assert!(stderr.contains("protocol 6"), "{stderr}");
}

#[tokio::test]
async fn debug_mode_prints_a_reattach_line_whose_socket_serves_grpc() {
    let mut child = bare_command()
        .arg("--debug")
        .spawn()
        .expect("start --debug");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let reattach = loop {
        let line = read_line(&mut stdout).await;
        if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            break rest.trim_end_matches('\'').to_owned();
        }
    };
    let config: serde_json::Value = serde_json::from_str(&reattach).expect("reattach JSON");
    // One value for both clients: the same entry under Terraform's and OpenTofu's address.
    let entry = &config["registry.terraform.io/huaweicloud/mrs"];
    assert_eq!(
        config["registry.opentofu.org/huaweicloud/mrs"], *entry,
        "{config}"
    );
    assert_eq!(config.as_object().map(|o| o.len()), Some(2), "{config}");
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Pid"], child.id().expect("running"));
    assert_eq!(entry["Addr"]["Network"], "unix");
    let path = entry["Addr"]["String"].as_str().expect("socket path");
    assert!(is_socket(std::path::Path::new(path)));

    // Debug mode has no TLS: Terraform reattaches with plain gRPC.
    let handshake = Handshake::parse(&format!("1|6|unix|{path}|grpc|")).expect("handshake");
    let schema = schema_with(&handshake, None)
        .await
        .expect("GetProviderSchema in debug mode");
    assert!(schema.provider.is_some());
    child.kill().await.expect("kill the debug provider");
}

// The real go-plugin client (Go TLS, a P-521 client certificate, grpc-go) is exercised by
// tests/terraform_e2e.rs, with every Terraform version the suite runs.
