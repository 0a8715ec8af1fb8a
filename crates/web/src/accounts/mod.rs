//! Accounts: login, logout and password resets (`auth.rs`, with the session, API-token and CSRF
//! middleware every route passes), the account page and the administration of users and
//! organisations (`pages.rs`), and the API's `/api/v1/moi` (`api.rs`).

pub mod api;
pub mod auth;
pub mod oidc;
pub mod pages;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The accounts' pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/connexion", get(auth::login_page).post(auth::login_submit))
        .route("/deconnexion", post(auth::logout))
        .route("/connexion/openid", get(oidc::start))
        .route("/connexion/openid/retour", get(oidc::callback))
        .route(
            "/reinitialiser/{secret}",
            get(auth::reset_page).post(auth::reset_submit),
        )
        .route("/compte", get(pages::account))
        .route("/compte/mot-de-passe", post(pages::change_password))
        .route("/compte/jetons", post(pages::create_token))
        .route("/compte/jetons/{id}/revoquer", post(pages::revoke_token))
        .route(
            "/admin/utilisateurs",
            get(pages::users).post(pages::add_user),
        )
        .route(
            "/admin/utilisateurs/{id}/{action}",
            post(pages::user_action),
        )
        .route("/admin/organisations", post(pages::add_organisation))
        .route("/admin/invitations", post(pages::invite))
        .merge(api::routes())
}
