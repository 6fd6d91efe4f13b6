//! The accept loop. It is ours rather than `axum::serve` for one fault: a dropped
//! connection. Returning an error from the service makes hyper close the connection
//! without a response, before the call takes effect or, worse for a client, after.

use std::convert::Infallible;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::routes::into_axum;
use crate::state::{lock, Shared};

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Drop {
    No,
    BeforeEffect,
    AfterEffect,
}

fn decide_drop(state: &Shared, path: &str) -> Drop {
    if path.starts_with("/_sim/") {
        return Drop::No;
    }
    let mut sim = lock(state);
    let rate = sim.faults.drop_rate;
    if rate <= 0.0 || sim.roll() >= rate {
        return Drop::No;
    }
    if sim.roll() < 0.5 {
        Drop::BeforeEffect
    } else {
        Drop::AfterEffect
    }
}

pub(crate) async fn serve(listener: TcpListener, router: axum::Router, state: Shared, stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let state = state.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                        let router = router.clone();
                        let state = state.clone();
                        async move {
                            let drop = decide_drop(&state, request.uri().path());
                            if drop == Drop::BeforeEffect {
                                return Err(Dropped);
                            }
                            let response = router.oneshot(into_axum(request)).await.unwrap_or_else(|e: Infallible| match e {});
                            if drop == Drop::AfterEffect {
                                return Err(Dropped);
                            }
                            Ok(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}
