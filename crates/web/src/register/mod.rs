//! The operations register's pages: the dashboard (`dashboard.rs`, its chart in `chart.rs`),
//! the list, the operation page with its history and the export (`operations.rs`), the
//! operation form (`operation_form.rs`), the import (`import.rs`), the map (`map.rs`), the
//! reports (`reports.rs`), and the register's part of the JSON API (`api.rs`).

pub mod api;
pub mod chart;
pub mod dashboard;
pub mod import;
pub mod map;
pub mod operation_form;
pub mod operations;
pub mod reports;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The register's pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::dashboard))
        .route("/operations", get(operations::list))
        .route("/operations/export", get(operations::export))
        .route(
            "/operations/nouvelle",
            get(operation_form::new_form).post(operation_form::create),
        )
        .route("/operations/{id}", get(operations::operation))
        .route(
            "/operations/{id}/modifier",
            get(operation_form::edit_form).post(operation_form::update),
        )
        .route(
            "/operations/{id}/historique.csv",
            get(operations::history_csv),
        )
        .route(
            "/import",
            get(import::form)
                .post(import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(import::UPLOAD_LIMIT)),
        )
        .route("/import/confirmer", post(import::confirm))
        .route("/import/modele.csv", get(import::template_csv))
        .route("/carte", get(map::page))
        .route("/rapports", get(reports::index))
        .route("/rapports/{name}", get(reports::page))
        .route("/rapports/{name}/export", get(reports::export))
        .merge(api::routes())
}
