//! The landlords' strategic plans' page (« Plans de patrimoine »; issue 22, first part): the
//! cross-analysis of the current plans and its downloads, each residence read only by those who
//! may (`app::plans::visible_landlords`).

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use logis_domain::Permission;
use logis_io::report::Report;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/psp", get(page))
}

#[derive(Template)]
#[template(path = "plans/cross.html")]
struct CrossPage {
    chrome: Chrome,
    report: Report,
}

/// The cross-analysis (`?format=csv|xlsx`: the download).
pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<crate::land::pages::ExportQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let xlsx = crate::land::pages::xlsx_asked(&q)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let report = blocking(move || {
        logis_app::plans::cross_analysis_for(state.store.as_ref(), &principal)
            .map_err(crate::app_to_store)
    })
    .await?;
    if q.asked() {
        return crate::land::pages::download(&report, xlsx, "logis-psp");
    }
    Ok(render(&CrossPage {
        chrome: a.chrome("psp"),
        report,
    }))
}
