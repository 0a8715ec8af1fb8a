//! The SIAP import's page (issue 23; the EPCI's administrator): a JSON file of operations as SIAP gives them,
//! checked (« Vérifier seulement ») or imported, conflicts taken from SIAP only when asked; the
//! outcome as `app::siap::import_siap` reports it.

use crate::accounts::auth::{Authed, forbidden};
use crate::{AppState, Chrome, PageError, blocking, render, render_refused};
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::routing::get;
use logis_domain::Role;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/import/siap", get(form).post(upload))
}

#[derive(Template, Default)]
#[template(path = "siap/import.html")]
struct SiapPage {
    chrome: Chrome,
    file_name: String,
    error: String,
    /// (operation, field, message)
    problems: Vec<(String, String, String)>,
    /// (operation, form of its financing plan read)
    read: Vec<(String, &'static str)>,
    conflicts: Vec<(String, String)>,
    summary: String,
    committed: bool,
}

fn require_epci(a: &Authed) -> Result<(), PageError> {
    if a.principal.role == Role::Admin {
        Ok(())
    } else {
        Err(forbidden())
    }
}

pub(crate) async fn form(Extension(a): Extension<Authed>) -> Result<Response, PageError> {
    require_epci(&a)?;
    Ok(render(&SiapPage {
        chrome: a.chrome("import"),
        ..Default::default()
    }))
}

pub(crate) async fn upload(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    require_epci(&a)?;
    let mut page = SiapPage {
        chrome: a.chrome("import"),
        ..Default::default()
    };
    let ((name, bytes), flags) = match crate::land::pages::read_upload_flags(multipart).await {
        Ok(x) => x,
        Err(e) => {
            page.error = e;
            return Ok(render_refused(&page, true));
        }
    };
    page.file_name = name;
    let (commit, force) = (
        !flags.iter().any(|f| f == "verifier"),
        flags.iter().any(|f| f == "forcer"),
    );
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let r = blocking(move || {
        logis_app::siap::import_siap(
            state.store.as_ref(),
            &principal,
            &actor,
            &bytes,
            commit,
            force,
        )
        .map_err(crate::app_to_store)
    })
    .await?;
    page.problems = r
        .problems
        .iter()
        .map(|p| (p.operation.clone(), p.field.clone(), p.message.clone()))
        .collect();
    page.read = r
        .read
        .iter()
        .map(|(n, f)| (n.clone(), f.describe()))
        .collect();
    page.conflicts = r.conflicts.clone();
    page.committed = r.committed;
    if r.problems.is_empty() {
        page.summary = r.summary().unwrap_or_default();
    }
    let refused = !page.problems.is_empty();
    Ok(render_refused(&page, refused))
}
