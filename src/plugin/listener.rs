//! Where the gRPC server listens: a private unix socket, or loopback TCP when that is impossible.
//!
//! The socket is the door to a process holding cloud credentials, so it lives in a directory only
//! we can enter (unless Terraform chose the directory), has mode 0600, and is removed when the
//! listener is dropped. Accepted connections are wrapped in [`PluginConnection`], the one stream
//! type tonic serves, whether plain (debug mode) or TLS (AutoMTLS).

use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::handshake::{PortRange, ServeAddr};

/// Mode of the socket file: read/write for our user only.
pub const SOCKET_FILE_MODE: u32 = 0o600;

/// Mode of the directory we create for the socket: only our user may enter it.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// How many random socket names to try before giving up on a crowded directory.
const NAME_ATTEMPTS: usize = 8;

/// How long a connecting client gets to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why no listener could be opened.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Neither a unix socket nor any TCP port in the range could be bound.
    #[error(
        "could not listen for Terraform: unix socket failed ({unix}); no TCP port in {min}..={max} on \
         127.0.0.1 could be bound ({tcp})"
    )]
    NoListener {
        /// Why the unix socket failed.
        unix: io::Error,
        /// Lowest TCP port tried.
        min: u16,
        /// Highest TCP port tried.
        max: u16,
        /// The last TCP error.
        tcp: io::Error,
    },
}

/// A unix socket file (and the private directory we made for it), removed when dropped.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    /// Present when we created the directory ourselves; deleting it removes it.
    private_dir: Option<tempfile::TempDir>,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        // The file may already be gone; nothing useful to do about other errors at exit.
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.private_dir.take() {
            let _ = dir.close();
        }
    }
}

/// The bound listener.
#[derive(Debug)]
pub enum PluginListener {
    /// A unix domain socket.
    Unix {
        /// The listening socket.
        listener: UnixListener,
        /// Removes the file (and our private directory) on drop.
        file: SocketFile,
    },
    /// Loopback TCP.
    Tcp(TcpListener),
}

impl PluginListener {
    /// Binds a unix socket in `socket_dir` (or a fresh private directory), falling back to TCP on
    /// 127.0.0.1 within `ports`. A private directory's name starts with `dir_prefix`, so a
    /// person looking in `/tmp` can tell whose it is. Must run inside a tokio runtime.
    pub fn bind(
        socket_dir: Option<&Path>,
        ports: &PortRange,
        dir_prefix: &str,
    ) -> Result<Self, ListenError> {
        let unix_error = match bind_unix(socket_dir, dir_prefix) {
            Ok(listener) => return Ok(listener),
            Err(err) => err,
        };
        tracing::warn!(error = %unix_error, "unix socket unavailable, falling back to TCP");
        let mut last_tcp_error =
            io::Error::new(io::ErrorKind::AddrNotAvailable, "empty port range");
        for port in ports.ports() {
            match std::net::TcpListener::bind(("127.0.0.1", port))
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .and_then(TcpListener::from_std)
            {
                Ok(listener) => return Ok(PluginListener::Tcp(listener)),
                Err(err) => last_tcp_error = err,
            }
        }
        Err(ListenError::NoListener {
            unix: unix_error,
            min: *ports.ports().start(),
            max: *ports.ports().end(),
            tcp: last_tcp_error,
        })
    }

    /// The address to publish in the handshake line.
    pub fn addr(&self) -> io::Result<ServeAddr> {
        match self {
            PluginListener::Unix { file, .. } => Ok(ServeAddr::Unix(file.path.clone())),
            PluginListener::Tcp(listener) => listener.local_addr().map(ServeAddr::Tcp),
        }
    }

    /// Waits for the next client connection.
    pub async fn accept(&self) -> io::Result<Transport> {
        match self {
            PluginListener::Unix { listener, .. } => {
                listener.accept().await.map(|(s, _)| Transport::Unix(s))
            }
            PluginListener::Tcp(listener) => {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                Ok(Transport::Tcp(stream))
            }
        }
    }

    /// Accepts connections until `stop` fires, handing them (after the TLS handshake when `tls`
    /// is set) to the returned stream for tonic. Failed handshakes are logged and dropped: the
    /// client gets no answer.
    pub fn into_incoming(
        self,
        tls: Option<TlsAcceptor>,
        stop: CancellationToken,
    ) -> tokio_stream::wrappers::ReceiverStream<io::Result<PluginConnection>> {
        let (sender, receiver) = mpsc::channel(16);
        let this = Arc::new(self);
        tokio::spawn(async move {
            loop {
                let transport = tokio::select! {
                    () = stop.cancelled() => break,
                    accepted = this.accept() => accepted,
                };
                let transport = match transport {
                    Ok(transport) => transport,
                    Err(err) => {
                        tracing::warn!(error = %err, "accepting a connection failed");
                        continue;
                    }
                };
                let sender = sender.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let connection = match tls {
                        None => PluginConnection::Plain(transport),
                        Some(acceptor) => {
                            match tokio::time::timeout(
                                TLS_HANDSHAKE_TIMEOUT,
                                acceptor.accept(transport),
                            )
                            .await
                            {
                                Ok(Ok(stream)) => PluginConnection::Tls(Box::new(stream)),
                                Ok(Err(err)) => {
                                    tracing::warn!(error = %err, "rejected a client that failed the mTLS handshake");
                                    return;
                                }
                                Err(_) => {
                                    tracing::warn!(
                                        "dropped a client that did not finish the TLS handshake"
                                    );
                                    return;
                                }
                            }
                        }
                    };
                    // The server is shutting down if nobody receives; the connection just closes.
                    let _ = sender.send(Ok(connection)).await;
                });
            }
            // Keep the socket file until accepting stops; `this` drops here and removes it.
            drop(this);
        });
        tokio_stream::wrappers::ReceiverStream::new(receiver)
    }
}

fn bind_unix(socket_dir: Option<&Path>, dir_prefix: &str) -> io::Result<PluginListener> {
    let (dir, private_dir) = match socket_dir {
        Some(dir) => (dir.to_path_buf(), None),
        None => {
            let private = tempfile::Builder::new()
                .prefix(dir_prefix)
                .permissions(std::fs::Permissions::from_mode(PRIVATE_DIR_MODE))
                .tempdir()?;
            (private.path().to_path_buf(), Some(private))
        }
    };
    let mut last_error = io::Error::new(io::ErrorKind::AlreadyExists, "no free socket name");
    for _ in 0..NAME_ATTEMPTS {
        let path = dir.join(format!("plugin{}", rand::random::<u32>()));
        match std::os::unix::net::UnixListener::bind(&path) {
            Ok(listener) => {
                let file = SocketFile { path, private_dir };
                std::fs::set_permissions(
                    &file.path,
                    std::fs::Permissions::from_mode(SOCKET_FILE_MODE),
                )?;
                listener.set_nonblocking(true)?;
                let listener = UnixListener::from_std(listener)?;
                return Ok(PluginListener::Unix { listener, file });
            }
            Err(err) if err.kind() == io::ErrorKind::AddrInUse => last_error = err,
            Err(err) => return Err(err),
        }
    }
    Err(last_error)
}

/// A raw accepted connection.
#[derive(Debug)]
pub enum Transport {
    /// Over the unix socket.
    Unix(UnixStream),
    /// Over loopback TCP (TCP_NODELAY set).
    Tcp(TcpStream),
}

/// A connection ready for HTTP/2: plain in debug mode, TLS under AutoMTLS.
#[derive(Debug)]
pub enum PluginConnection {
    /// No TLS (debug mode, or a client that did not ask for AutoMTLS).
    Plain(Transport),
    /// mTLS with the pinned client.
    Tls(Box<tokio_rustls::server::TlsStream<Transport>>),
}

impl tonic::transport::server::Connected for PluginConnection {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

/// Forwards an I/O call to whichever stream variant is inside.
macro_rules! delegate {
    ($self:ident, $stream:ident => $call:expr) => {
        match $self.get_mut() {
            PluginConnection::Plain(Transport::Unix($stream)) => {
                let $stream = Pin::new($stream);
                $call
            }
            PluginConnection::Plain(Transport::Tcp($stream)) => {
                let $stream = Pin::new($stream);
                $call
            }
            PluginConnection::Tls(tls) => {
                let $stream = Pin::new(tls.as_mut());
                $call
            }
        }
    };
}

impl AsyncRead for PluginConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for PluginConnection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_shutdown(cx))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            PluginConnection::Plain(Transport::Unix(s)) => s.is_write_vectored(),
            PluginConnection::Plain(Transport::Tcp(s)) => s.is_write_vectored(),
            PluginConnection::Tls(s) => s.is_write_vectored(),
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Unix(s) => Pin::new(s).poll_flush(cx),
            Transport::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt as _;

    const TEST_PREFIX: &str = "tf-provider-mrs-";

    #[tokio::test]
    async fn default_socket_lives_in_a_private_dir_with_mode_0600_and_is_removed_on_drop() {
        let listener = PluginListener::bind(None, &PortRange::any(), TEST_PREFIX).unwrap();
        let ServeAddr::Unix(path) = listener.addr().unwrap() else {
            panic!("expected a unix socket");
        };
        let meta = std::fs::metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, SOCKET_FILE_MODE);
        let dir = path.parent().unwrap().to_path_buf();
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            PRIVATE_DIR_MODE
        );

        drop(listener);
        assert!(!path.exists());
        assert!(!dir.exists());
    }

    #[tokio::test]
    async fn socket_goes_into_the_directory_terraform_chose_which_is_kept() {
        let chosen = tempfile::tempdir().unwrap();
        let listener =
            PluginListener::bind(Some(chosen.path()), &PortRange::any(), TEST_PREFIX).unwrap();
        let ServeAddr::Unix(path) = listener.addr().unwrap() else {
            panic!("expected a unix socket");
        };
        assert_eq!(path.parent(), Some(chosen.path()));
        drop(listener);
        assert!(!path.exists());
        assert!(chosen.path().exists());
    }

    #[tokio::test]
    async fn unusable_socket_dir_falls_back_to_loopback_tcp() {
        let listener = PluginListener::bind(
            Some(Path::new("/nonexistent/dir/for/sure")),
            &PortRange::any(),
            TEST_PREFIX,
        )
        .unwrap();
        let ServeAddr::Tcp(addr) = listener.addr().unwrap() else {
            panic!("expected TCP");
        };
        assert!(addr.ip().is_loopback());
        let client = tokio::spawn(TcpStream::connect(addr));
        let Transport::Tcp(accepted) = listener.accept().await.unwrap() else {
            panic!("expected a TCP connection");
        };
        assert!(accepted.nodelay().unwrap());
        client.await.unwrap().unwrap();
    }
}
