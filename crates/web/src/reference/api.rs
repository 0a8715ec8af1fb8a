//! The reference geography's part of the JSON API: the commune search.

use crate::AppState;
use crate::accounts::auth::Authed;
use crate::api::{ApiError, ApiResult, opt, params, require, run};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use logis_domain::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The reference's API routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/communes", get(communes))
}

/// The reference's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(communes), components(schemas(Commune)))]
pub(crate) struct Doc;

/// A commune of the reference geography.
#[derive(Debug, Serialize, ToSchema)]
pub struct Commune {
    pub code_insee: String,
    pub nom: String,
    pub departement: String,
    pub population: Option<u32>,
    pub epci_siren: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CommuneParams {
    /// Nom (sans tenir compte des accents) ou début de code INSEE
    q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/communes", tag = "référentiel", params(CommuneParams),
    responses((status = 200, body = Vec<Commune>), (status = 401, body = ApiError)))]
async fn communes(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Vec<Commune>> {
    require(&a, Permission::ReadReference)?;
    let q: CommuneParams = params(q)?;
    let text: String = opt(&q.q).unwrap_or("").chars().take(100).collect();
    if text.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let store = s.store.clone();
    let found = run(move || store.search_communes(&text, 50)).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|c| Commune {
                code_insee: c.code.as_str().into(),
                nom: c.name,
                departement: c.department,
                population: c.population,
                epci_siren: c.epci.map(|e| e.as_str().into()),
            })
            .collect(),
    ))
}
