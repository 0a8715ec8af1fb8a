//! Login with an OpenID Connect provider (ProConnect; issue 23), beside the local accounts:
//! discovery at start, the authorization code flow with PKCE, the state bound to the browser by
//! a cookie and used once, the nonce and the ID token's signature and claims checked by
//! `openidconnect`, then the user info (`email`, `siret`, `given_name`, `usual_name`); the
//! account is the one `app::oidc::login` gives, or the reason it is refused is shown.

use super::auth::{self as pages, cookie, cookie_header};
use crate::{AppState, PageError, blocking};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The provider logis is configured with (`logis serve --oidc-issuer … --oidc-client-id …
/// --oidc-client-secret-file …`).
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

/// The cookie binding a login in progress to the browser that started it.
const STATE_COOKIE: &str = "logis_openid";
/// How long a login in progress waits for the provider's answer.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// At most this many logins in progress are held (the oldest forgotten first).
const PENDING_MOST: usize = 10_000;

struct Pending {
    verifier: String,
    nonce: String,
    since: Instant,
}

/// The provider, discovered, and the logins in progress.
pub(crate) struct Oidc {
    metadata: CoreProviderMetadata,
    config: OidcConfig,
    redirect: String,
    http: reqwest::Client,
    pending: Mutex<HashMap<String, Pending>>,
}

/// The claims ProConnect adds (its documented ones beyond the standard claims).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct ExtraClaims {
    #[serde(default)]
    siret: Option<String>,
    #[serde(default)]
    usual_name: Option<String>,
}
impl AdditionalClaims for ExtraClaims {}

impl Oidc {
    /// Discover the provider (`/.well-known/openid-configuration`); `public_url`: where logis is
    /// reached (the redirect URI is `{public_url}/connexion/openid/retour`).
    pub(crate) async fn discover(config: OidcConfig, public_url: &str) -> Result<Oidc, String> {
        let http = reqwest::Client::builder()
            // Following redirects would open the client to request forgery.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| format!("client HTTP : {e}"))?;
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| format!("adresse du fournisseur « {} » : {e}", config.issuer))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| {
                format!(
                    "découverte du fournisseur {} impossible : {e}",
                    config.issuer
                )
            })?;
        Ok(Oidc {
            metadata,
            config,
            redirect: format!(
                "{}/connexion/openid/retour",
                public_url.trim_end_matches('/')
            ),
            http,
            pending: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn issuer(&self) -> &str {
        &self.config.issuer
    }

    fn client(
        &self,
    ) -> Result<
        openidconnect::core::CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        String,
    > {
        Ok(CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(self.redirect.clone()).map_err(|e| e.to_string())?))
    }
}

fn refused(status: StatusCode, message: String) -> Result<Response, PageError> {
    Err(PageError { status, message })
}

/// Start a login: to the provider, with PKCE, a state (bound to this browser) and a nonce.
pub(crate) async fn start(State(s): State<AppState>) -> Result<Response, PageError> {
    let Some(oidc) = s.oidc.clone() else {
        return refused(
            StatusCode::NOT_FOUND,
            "Aucun fournisseur d'identité n'est configuré.".into(),
        );
    };
    let client = oidc.client().map_err(|m| PageError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: m,
    })?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("given_name".into()))
        .add_scope(Scope::new("usual_name".into()))
        .add_scope(Scope::new("siret".into()))
        .set_pkce_challenge(challenge)
        .url();
    {
        let mut pending = oidc.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, p| p.since.elapsed() < PENDING_TTL);
        if pending.len() >= PENDING_MOST
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.since)
                .map(|(k, _)| k.clone())
        {
            pending.remove(&oldest);
        }
        pending.insert(
            state.secret().clone(),
            Pending {
                verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
                since: Instant::now(),
            },
        );
    }
    let mut res = Redirect::to(url.as_str()).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(STATE_COOKIE, state.secret(), 600, s.secure_cookies),
    );
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The provider's answer: the state checked (this browser's, once), the code exchanged with the
/// PKCE verifier, the ID token verified, the user info read; a session, or the refusal.
pub(crate) async fn callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Result<Response, PageError> {
    let Some(oidc) = s.oidc.clone() else {
        return refused(
            StatusCode::NOT_FOUND,
            "Aucun fournisseur d'identité n'est configuré.".into(),
        );
    };
    if let Some(e) = q.error {
        return refused(
            StatusCode::FORBIDDEN,
            format!(
                "Le fournisseur d'identité a refusé la connexion : {e}{}",
                q.error_description
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
        );
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "Réponse du fournisseur d'identité incomplète (code ou état manquant).".into(),
        );
    };
    let bound =
        cookie(&headers, STATE_COOKIE).is_some_and(|c| logis_app::accounts::same_secret(c, &state));
    let pending = oidc
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&state)
        .filter(|p| p.since.elapsed() < PENDING_TTL);
    let Some(pending) = pending.filter(|_| bound) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "Cette demande de connexion a déjà servi, a expiré ou a été commencée dans un autre navigateur : recommencez la connexion.".into(),
        );
    };
    let client = oidc.client().map_err(|m| PageError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: m,
    })?;
    let forbidden = |what: &str, e: String| PageError {
        status: StatusCode::FORBIDDEN,
        message: format!("Connexion refusée : {what} ({e})."),
    };
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| forbidden("fournisseur mal configuré", e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&oidc.http)
        .await
        .map_err(|e| forbidden("le code n'a pas pu être échangé", e.to_string()))?;
    let id_token = token
        .id_token()
        .ok_or_else(|| forbidden("aucun jeton d'identité", "réponse sans id_token".into()))?;
    let verifier = client.id_token_verifier();
    let id_claims = id_token
        .claims(&verifier, &Nonce::new(pending.nonce))
        .map_err(|e| forbidden("jeton d'identité invalide", e.to_string()))?;
    let subject = id_claims.subject().clone();
    let mut claims = logis_app::oidc::Claims {
        issuer: oidc.config.issuer.clone(),
        subject: subject.as_str().to_string(),
        email: id_claims.email().map(|e| e.as_str().to_string()),
        given_name: id_claims
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string()),
        ..Default::default()
    };
    if let Ok(request) = client.user_info(token.access_token().clone(), Some(subject)) {
        let info: UserInfoClaims<ExtraClaims, CoreGenderClaim> = request
            .request_async(&oidc.http)
            .await
            .map_err(|e| forbidden("informations de l'utilisateur illisibles", e.to_string()))?;
        if let Some(e) = info.email() {
            claims.email = Some(e.as_str().to_string());
        }
        if let Some(n) = info.given_name().and_then(|n| n.get(None)) {
            claims.given_name = Some(n.as_str().to_string());
        }
        claims.siret = info.additional_claims().siret.clone();
        claims.usual_name = info.additional_claims().usual_name.clone();
    }
    let store = s.store.clone();
    let outcome = blocking(move || {
        let user =
            match logis_app::oidc::login(store.as_ref(), &claims).map_err(crate::app_to_store)? {
                Ok(u) => u,
                Err(m) => return Ok(Err(m)),
            };
        logis_app::accounts::open_session(store.as_ref(), user)
            .map(Ok)
            .map_err(crate::app_to_store)
    })
    .await?;
    match outcome {
        Ok(session) => {
            tracing::info!(utilisateur = %session.user.login, "connexion par OpenID Connect");
            let mut res = Redirect::to("/").into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(
                    pages::SESSION_COOKIE,
                    &session.cookie,
                    logis_app::accounts::SESSION_SECS,
                    s.secure_cookies,
                ),
            );
            res.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(STATE_COOKIE, "", 0, s.secure_cookies),
            );
            Ok(res)
        }
        Err(message) => refused(StatusCode::FORBIDDEN, message),
    }
}
