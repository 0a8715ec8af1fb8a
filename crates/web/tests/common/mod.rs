//! The real router served on a loopback port, for the tests that drive it from another process
//! (schemathesis, the browser journey).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

/// A server running on its own runtime until dropped.
pub struct Served {
    pub addr: SocketAddr,
    _rt: tokio::runtime::Runtime,
}

/// Serve `store` on 127.0.0.1 (a free port), as `logis serve` does (with the peer address).
pub fn serve(store: Arc<dyn logis_store::Store>) -> Served {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = logis_web::router(store);
    rt.spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Served { addr, _rt: rt }
}
