//! The settlement observatory's pages (« Peuplement »; issue 21, first part): the attribution
//! targets per year, EPCI, landlord and reservation holder, and their downloads. Leases are
//! personal data: the page shows aggregates with small counts hidden (`domain::secrecy`).

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
    Router::new().route("/peuplement/attributions", get(targets))
}

#[derive(Template)]
#[template(path = "settlement/targets.html")]
struct TargetsPage {
    chrome: Chrome,
    report: Report,
}

/// The attribution targets (`?format=csv|xlsx`: the download).
pub(crate) async fn targets(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<crate::land::pages::ExportQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let download = q.asked();
    let xlsx = crate::land::pages::xlsx_asked(&q)?;
    let state = s.clone();
    let report = blocking(move || {
        logis_app::settlement::attributions_report(state.store.as_ref())
            .map_err(crate::app_to_store)
    })
    .await?;
    if download {
        return crate::land::pages::download(&report, xlsx, "logis-attributions");
    }
    Ok(render(&TargetsPage {
        chrome: a.chrome("parc"),
        report,
    }))
}
