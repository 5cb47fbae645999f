//! Connections: accepting them up to a limit, serving each with hyper on a task of its own,
//! and shutting down gracefully (stop accepting, finish every request in flight, then return).
//!
//! Architecture invariant: a connection over the limit is answered at once with a 503 and
//! closed; it never holds a task that serves requests, so the connections within the limit
//! keep being answered.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::metrics::Metrics;

/// How connections are served.
pub struct Limits {
    /// Connections open at once; more are refused with a 503.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and stay idle between requests.
    pub header_timeout: Duration,
    /// How long a shutdown waits for requests in flight before it gives up on them.
    pub drain_timeout: Duration,
}

/// What a shutdown left: connections still open when the drain timeout passed.
pub struct Drained {
    pub abandoned: usize,
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets every
/// connection finish the request it is serving (idle ones close at once) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> Drained {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // Out of file descriptors or a connection reset before it was accepted: the
            // listener itself is fine, so wait a moment rather than spin or stop.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            metrics.connection_refused();
            tokio::spawn(refuse(stream));
            continue;
        };
        // Small JSON responses on kept-alive connections would otherwise wait for the
        // client's delayed acknowledgement.
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        let metrics = metrics.clone();
        metrics.connection_opened();
        // A connection ends with an error when its client times out, resets or sends
        // garbage; that concerns that client only.
        tokio::spawn(async move {
            let _ = connection.await;
            metrics.connection_closed();
            drop(permit);
        });
    }
    drop(listener);
    let open = graceful.count();
    match tokio::time::timeout(limits.drain_timeout, graceful.shutdown()).await {
        Ok(()) => Drained { abandoned: 0 },
        Err(_) => Drained { abandoned: open },
    }
}

/// The answer of a connection over the limit: a 503 the client can read, then the close.
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = r#"{"error":"busy","message":"the server has as many connections open as it accepts (--max-connections); try again"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
pub async fn signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
