//! A loopback HTTP server that answers with whatever bytes a test hands it, for the answers no
//! well-behaved server (the emulator included) would send: broken status lines, absurd headers,
//! echoed request headers. It reads each request's head, hands it to the test's `answer`, writes
//! the bytes back and closes the connection.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// Builds the bytes answered to a request, given the request's head (request line and headers).
pub type Answer = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

/// A running raw server; it stops when dropped.
pub struct RawServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    /// Starts on 127.0.0.1, answering every request with `answer`.
    pub async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    // A request head is small; stop reading at its end or at 64 KiB.
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let bytes = answer(&String::from_utf8_lossy(&head));
                    let _ = socket.write_all(&bytes).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { addr, task }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An HTTP/1.1 answer with `status`, extra `headers` and `body`, its length declared.
pub fn http_answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}
