//! go-plugin's own gRPC services, served next to `tfplugin6.Provider`.
//!
//! Terraform's go-plugin client calls these on every provider: `GRPCController.Shutdown` when it is
//! done with us (we must exit promptly, or it kills us), `GRPCStdio.StreamStdio` to mirror our
//! stdio (our logs already go to stderr, which it reads directly, so the stream stays silent), and
//! `GRPCBroker.StartStream` for brokered sub-connections, which this provider never offers.

use futures::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::proto::goplugin::grpc_broker_server::GrpcBroker;
use super::proto::goplugin::grpc_controller_server::GrpcController;
use super::proto::goplugin::grpc_stdio_server::GrpcStdio;
use super::proto::goplugin::{ConnInfo, Empty, StdioData};

/// Answers `plugin.GRPCController/Shutdown` by cancelling the process-wide shutdown token.
#[derive(Debug, Clone)]
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    /// A controller that cancels `shutdown` when asked to stop.
    pub fn new(shutdown: CancellationToken) -> Self {
        Controller { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("client asked the plugin to shut down");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// Answers `plugin.GRPCStdio/StreamStdio` with a stream that sends nothing and ends at shutdown.
#[derive(Debug, Clone)]
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    /// A stdio service whose streams close when `shutdown` is cancelled.
    pub fn new(shutdown: CancellationToken) -> Self {
        Stdio { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<BoxStream<StdioData>>, Status> {
        let silent = futures::stream::pending().take_until(self.shutdown.clone().cancelled_owned());
        Ok(Response::new(Box::pin(silent)))
    }
}

/// Answers `plugin.GRPCBroker/StartStream`: reads and ignores whatever the client sends and keeps
/// the reply stream open, empty, until the client hangs up or the process shuts down.
#[derive(Debug, Clone)]
pub struct Broker {
    shutdown: CancellationToken,
}

impl Broker {
    /// A broker whose streams close when `shutdown` is cancelled.
    pub fn new(shutdown: CancellationToken) -> Self {
        Broker { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcBroker for Broker {
    async fn start_stream(
        &self,
        request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<BoxStream<ConnInfo>>, Status> {
        let mut inbound = request.into_inner();
        let client_gone = CancellationToken::new();
        let reply_ends = client_gone.clone();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    message = inbound.next() => match message {
                        Some(Ok(info)) => tracing::debug!(
                            service_id = info.service_id,
                            "ignoring a broker message: this provider brokers no services"
                        ),
                        Some(Err(_)) | None => break,
                    },
                }
            }
            client_gone.cancel();
        });
        let reply = futures::stream::pending().take_until(reply_ends.cancelled_owned());
        Ok(Response::new(Box::pin(reply)))
    }
}
