//! 6. Plugin trust (what tests/plugin_runtime.rs does not already cover).

use super::*;

#[tokio::test]
async fn client_speaking_plain_grpc_without_tls_gets_no_answer() {
    let plugin = PluginProcess::launch().await;
    let mut plain = plugin.handshake().clone();
    plain.server_cert_der = None;
    let refused = match common::plugin_client::connect(&plain, None).await {
        Err(_) => true,
        Ok(channel) => {
            let mut client = pb::provider_client::ProviderClient::new(channel);
            let answer = tokio::time::timeout(
                Duration::from_secs(30),
                client.get_provider_schema(pb::get_provider_schema::Request {}),
            )
            .await;
            !matches!(answer, Ok(Ok(_)))
        }
    };
    assert!(refused, "a client without TLS must not get the schema");
    // The provider still serves Terraform afterwards.
    let schema = plugin
        .provider()
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("Terraform's own channel still works");
    assert!(schema.into_inner().provider.is_some());
    plugin.shutdown_and_wait().await;
}

#[tokio::test]
async fn socket_directory_grants_nothing_to_group_or_others() {
    use std::os::unix::fs::PermissionsExt as _;
    let plugin = PluginProcess::launch().await;
    let socket = plugin.socket_path();
    let dir = socket.parent().expect("socket dir");
    let dir_mode = std::fs::metadata(dir).expect("dir").permissions().mode() & 0o777;
    let sock_mode = std::fs::metadata(&socket)
        .expect("socket")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode & 0o077, 0, "directory mode {dir_mode:o}");
    assert_eq!(sock_mode & 0o077, 0, "socket mode {sock_mode:o}");
    plugin.shutdown_and_wait().await;
    assert!(!socket.exists(), "socket removed on exit");
}
