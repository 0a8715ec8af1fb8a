//! Proximity management's pages (`pages.rs`): the sites and their competence tables, the reports
//! of dysfunctions (form with photos, a report's page with its assignments and their steps, the
//! partner's queue « à traiter »), committees, conciergeries, imports and the committees'
//! report; the offer for workers on mobility against the employers' demand (`mobility.rs`).
//! Who sees what is decided by `logis_app::proximity::forms` and the principal's permissions
//! (`ReadProximity`, `ActOnProximity`, `ManageProximity`, `DeclareMobility`); a report the user
//! does not read answers 404, as an unknown one.

pub mod mobility;
pub mod pages;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub(crate) fn routes() -> Router<AppState> {
    let upload = || DefaultBodyLimit::max(crate::register::import::UPLOAD_LIMIT);
    Router::new()
        .route("/proximite", get(pages::sites).post(pages::create_site))
        .route(
            "/proximite/sites/{id}/competence",
            post(pages::set_competence),
        )
        .route("/proximite/sites/{id}", get(pages::site))
        .route("/proximite/sites/{id}/comite", post(pages::committee))
        .route("/proximite/signalements", get(pages::reports))
        .route(
            "/proximite/signalements/nouveau",
            get(pages::new_form).post(pages::create).layer(upload()),
        )
        .route("/proximite/signalements/{id}", get(pages::report))
        .route(
            "/proximite/signalements/{id}/photos/{position}",
            get(pages::photo),
        )
        .route("/proximite/signalements/{id}/etape", post(pages::step))
        .route("/proximite/signalements/{id}/partage", post(pages::share))
        .route("/proximite/a-traiter", get(pages::queue))
        .route("/proximite/rapport", get(pages::committees_report))
        .route("/proximite/rapport/export", get(pages::committees_export))
        .route(
            "/proximite/import",
            get(pages::import_form)
                .post(pages::import_upload)
                .layer(upload()),
        )
        .route("/proximite/conciergeries", get(pages::conciergeries))
        .route(
            "/proximite/conciergeries/sites",
            post(pages::conciergerie_site),
        )
        .route(
            "/proximite/conciergeries/participations",
            post(pages::conciergerie_share),
        )
        .route("/mobilite", get(mobility::coverage))
        .route("/mobilite/export", get(mobility::export))
        .route(
            "/mobilite/import",
            get(mobility::import_form)
                .post(mobility::import_upload)
                .layer(upload()),
        )
        .route("/mobilite/saisie", post(mobility::entry))
}
