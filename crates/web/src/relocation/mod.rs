//! Relocation's pages (« Relogement »): the indicators per renewal project with the chart of the
//! out-of-pocket cost before and after (everyone: aggregates with the statistical secret, exact
//! counts for the relocation officer), the households (their list and each one's page with its
//! timeline, read only by those `Principal::sees_household` names — 404 otherwise — each read
//! journaled), the pool of vacancies, the imports, the matching and the journal of reads.

pub mod api;
pub mod matching;
pub mod pages;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub(crate) fn routes() -> Router<AppState> {
    let upload = || DefaultBodyLimit::max(crate::register::import::UPLOAD_LIMIT);
    Router::new()
        .route("/relogement", get(pages::indicators))
        .route("/relogement/export", get(pages::export))
        .route("/relogement/menages", get(pages::households))
        .route("/relogement/menages/export", get(pages::households_export))
        .route("/relogement/menages/{id}", get(pages::household))
        .route("/relogement/menages/{id}/proposition", post(pages::propose))
        .route("/relogement/menages/{id}/relogement", post(pages::relocate))
        .route("/relogement/menages/{id}/reponse", post(pages::answer))
        .route(
            "/relogement/logements",
            get(pages::vacancies).post(pages::declare_vacancy),
        )
        .route(
            "/relogement/import",
            get(pages::import_form)
                .post(pages::import_upload)
                .layer(upload()),
        )
        .route(
            "/relogement/appariement",
            get(matching::page).post(matching::keep),
        )
        .route("/relogement/journal", get(pages::journal))
        .merge(api::routes())
}
