//! The land bank's pages: the list and the map of sites, a site's page (its timeline, parcels,
//! interests, operations, and the forms of the EPCI's decisions and of the landlords'
//! interests), the import of a land file, the land report and its downloads (`pages.rs`); the
//! grouped tenders, their import and the cost report (`tenders.rs`).

pub mod pages;
pub mod tenders;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/foncier", get(pages::list))
        .route(
            "/foncier/import",
            get(pages::import_form).post(pages::import_upload).layer(
                axum::extract::DefaultBodyLimit::max(crate::register::import::UPLOAD_LIMIT),
            ),
        )
        .route("/foncier/rapport", get(pages::report))
        .route("/foncier/rapport/export", get(pages::report_export))
        .route("/foncier/{id}", get(pages::site))
        .route("/foncier/{id}/decision", post(pages::decision))
        .route("/foncier/{id}/interet", post(pages::interest))
        .route("/foncier/{id}/operations", post(pages::link))
        .route("/appels-offres", get(tenders::list).post(tenders::add))
        .route(
            "/appels-offres/import",
            get(tenders::import_form)
                .post(tenders::import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::register::import::UPLOAD_LIMIT,
                )),
        )
        .route("/appels-offres/couts", get(tenders::costs))
        .route("/appels-offres/couts/export", get(tenders::costs_export))
}
