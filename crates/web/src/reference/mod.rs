//! The reference geography's pages: the référentiel (the territory, its communes, and the
//! organisations, programmes, projects and quartiers operations refer to) and the commune
//! search (`pages.rs`), and the API's `/api/v1/communes` (`api.rs`).

pub mod api;
pub mod pages;

use crate::AppState;
use axum::Router;
use axum::routing::get;

/// The reference pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/referentiel", get(pages::page))
        .route("/communes", get(pages::communes))
        .merge(api::routes())
}
