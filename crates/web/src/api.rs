//! The JSON API, `/api/v1/…`, authenticated by per-user API tokens (`Authorization: Bearer`),
//! with the same permissions as the pages. Its OpenAPI 3 document, generated from these
//! handlers by utoipa, is served at `/api/openapi.json`. Every answer is JSON; every error is
//! `{"erreur": "…"}` in French; query and path values are parsed here, never by a rejecting
//! extractor, so that bad input gets a 400 with a message rather than a bare text.

use crate::accounts::auth::Authed;
use crate::{AppState, PageError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use logis_domain::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// The API's own route (its document); each capability mounts its routes with its pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi))
}

/// An error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    /// What went wrong, in French.
    pub erreur: String,
}

pub(crate) struct ApiFail(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for ApiFail {
    fn into_response(self) -> Response {
        (self.0, Json(ApiError { erreur: self.1 })).into_response()
    }
}

impl From<PageError> for ApiFail {
    fn from(e: PageError) -> Self {
        ApiFail(e.status, e.message)
    }
}

pub(crate) type ApiResult<T> = Result<Json<T>, ApiFail>;

pub(crate) fn bad(msg: impl Into<String>) -> ApiFail {
    ApiFail(StatusCode::BAD_REQUEST, msg.into())
}

pub(crate) fn not_found() -> ApiFail {
    ApiFail(
        StatusCode::NOT_FOUND,
        "introuvable, ou non visible avec votre compte".into(),
    )
}

pub(crate) fn require(a: &Authed, p: Permission) -> Result<(), ApiFail> {
    a.require(p).map_err(ApiFail::from)
}

pub(crate) async fn run<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, logis_store::StoreError> + Send + 'static,
) -> Result<T, ApiFail> {
    crate::blocking(f).await.map_err(ApiFail::from)
}

pub(crate) fn parse_id(s: &str) -> Result<i64, ApiFail> {
    s.trim().parse::<i64>().map_err(|_| not_found())
}

pub(crate) fn api_not_found() -> Response {
    ApiFail(
        StatusCode::NOT_FOUND,
        "aucune route de l'API à cette adresse (voir /api/openapi.json)".into(),
    )
    .into_response()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "logis — API JSON",
        version = "1",
        description = "Registre partagé des opérations d'habitat. Authentification : jeton d'API personnel (page « Mon compte »), en-tête Authorization: Bearer <jeton>. Mêmes droits que les pages."
    ),
    components(schemas(ApiError)),
    modifiers(&BearerAuth),
    security(("jeton" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jeton",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI 3 document of the API.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::accounts::api::Doc::openapi());
    doc.merge(crate::register::api::Doc::openapi());
    doc.merge(crate::reference::api::Doc::openapi());
    doc.merge(crate::relocation::api::Doc::openapi());
    doc
}

async fn openapi(Extension(_a): Extension<Authed>) -> Response {
    Json(openapi_document()).into_response()
}

/// A query value, trimmed (`None` when empty).
pub(crate) fn opt(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(crate) fn int<T: std::str::FromStr>(
    v: &Option<String>,
    what: &str,
) -> Result<Option<T>, ApiFail> {
    opt(v)
        .map(|s| {
            s.parse::<T>()
                .map_err(|_| bad(format!("{what} invalide « {s} »")))
        })
        .transpose()
}

/// Query parameters as text pairs, then the typed struct (unknown keys ignored, repeated
/// keys: the last one).
pub(crate) fn params<T: for<'de> Deserialize<'de>>(
    pairs: Vec<(String, String)>,
) -> Result<T, ApiFail> {
    let map: std::collections::BTreeMap<String, String> = pairs.into_iter().collect();
    serde_json::from_value(serde_json::to_value(map).unwrap_or_default())
        .map_err(|_| bad("paramètres illisibles"))
}
