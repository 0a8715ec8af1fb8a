//! The accounts' part of the JSON API: who the token belongs to.

use crate::AppState;
use crate::accounts::auth::Authed;
use crate::api::{ApiError, ApiResult};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// The accounts' API routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/moi", get(me))
}

/// The accounts' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(me), components(schemas(Me)))]
pub(crate) struct Doc;

/// The user behind the token.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub identifiant: String,
    pub nom: String,
    /// admin_epci, agent_epci, bailleur_editeur, bailleur_lecteur, commune_lecteur, etat_lecteur, observateur
    pub role: String,
    pub role_libelle: String,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/moi", tag = "compte",
    responses((status = 200, body = Me), (status = 401, body = ApiError)))]
async fn me(Extension(a): Extension<Authed>) -> ApiResult<Me> {
    Ok(Json(Me {
        id: a.user.id,
        identifiant: a.user.login.clone(),
        nom: a.user.display_name.clone(),
        role: a.user.role.code().into(),
        role_libelle: a.user.role.label().into(),
        organisation_id: a.user.organisation_id,
        organisation: a.user.organisation.clone(),
    }))
}
