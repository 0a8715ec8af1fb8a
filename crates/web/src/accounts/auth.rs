//! Who is asking: the session cookie (pages) or the API token (`/api/v1`), checked by one
//! middleware before any handler runs; CSRF tokens on every unsafe page request; the login,
//! logout and password-reset pages.

use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use logis_app::accounts as auth;
use logis_domain::{Permission, Principal};
use logis_store::{Actor, User, Via};
use serde::Deserialize;
use std::net::SocketAddr;

pub(crate) const SESSION_COOKIE: &str = "logis_session";
/// Double-submit CSRF cookie of the forms shown before a session exists (login, reset).
pub(crate) const PRE_COOKIE: &str = "logis_pre";
/// Largest form body the CSRF check reads (uploads carry their token in the query string).
const FORM_LIMIT: usize = 1 << 20;

/// The authenticated user of a request, put in its extensions by [`authenticate`].
#[derive(Clone)]
pub(crate) struct Authed {
    pub user: User,
    pub principal: Principal,
    /// The session's CSRF token (empty for API tokens, which need none).
    pub csrf: String,
    pub via: Via,
    /// The assignments of reports its organisation has to handle (pages of a partner's agent).
    pub to_handle: Option<u64>,
}

impl Authed {
    pub fn actor(&self) -> Actor {
        auth::actor(&self.user, self.via)
    }

    /// 403 unless the principal may do `p`.
    pub fn require(&self, p: Permission) -> Result<(), PageError> {
        if self.principal.may(p) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    pub fn chrome(&self, nav: &'static str) -> Chrome {
        Chrome {
            nav,
            reference: logis_io::reference::VERSION,
            who: match &self.user.organisation {
                Some(o) => format!("{} — {}", self.user.display_name, o),
                None => self.user.display_name.clone(),
            },
            csrf: self.csrf.clone(),
            admin: self.principal.may(Permission::ManageUsers),
            operations: self.principal.may(Permission::ReadOperations),
            write: self.principal.may(Permission::WriteOperations),
            land: self.principal.may(Permission::ReadLand),
            financing: self.principal.may(Permission::ReadFinancing),
            proximity: self.principal.may(Permission::ReadProximity),
            households: self.principal.may(Permission::ReadHouseholds),
            relocation_officer: self.principal.may(Permission::ManageRelocation),
            declare_relocation: self.principal.may(Permission::DeclareRelocation),
            to_handle: self.to_handle,
        }
    }
}

pub(crate) fn forbidden() -> PageError {
    PageError {
        status: StatusCode::FORBIDDEN,
        message: "Votre rôle ne permet pas cette action.".into(),
    }
}

/// Paths that need no login: the login and reset pages, the health check, the static assets.
fn is_public(path: &str) -> bool {
    path == "/connexion"
        || path == "/connexion/openid"
        || path == "/connexion/openid/retour"
        || path == "/sante"
        || path == "/favicon.ico"
        || path.starts_with("/static/")
        || path.starts_with("/reinitialiser/")
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn api_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "erreur": message }))).into_response()
}

/// Require a login on every route but the public ones; check CSRF tokens on unsafe page
/// requests.
pub(crate) async fn authenticate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if is_public(&path) {
        return next.run(req).await;
    }
    let api = path.starts_with("/api/");
    let store = s.store.clone();
    let found = if api {
        let Some(secret) = bearer(req.headers()).map(str::to_string) else {
            return api_error(
                StatusCode::UNAUTHORIZED,
                "authentification requise : en-tête « Authorization: Bearer <jeton> » (jetons : page « Mon compte »)",
            );
        };
        blocking(move || {
            auth::token_user(store.as_ref(), &secret)
                .map(|u| u.map(|u| (u, String::new())))
                .map_err(crate::app_to_store)
        })
        .await
    } else {
        match cookie(req.headers(), SESSION_COOKIE).map(str::to_string) {
            None => Ok(None),
            Some(c) => {
                blocking(move || auth::session(store.as_ref(), &c).map_err(crate::app_to_store))
                    .await
            }
        }
    };
    let (user, csrf) = match found {
        Ok(Some(found)) => found,
        Ok(None) if api => {
            return api_error(StatusCode::UNAUTHORIZED, "jeton d'API inconnu ou révoqué");
        }
        Ok(None) => {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let next_q = serde_urlencoded::to_string([("suite", target)]).unwrap_or_default();
            return Redirect::to(&format!("/connexion?{next_q}")).into_response();
        }
        Err(e) if api => {
            return api_error(e.status, &e.message);
        }
        Err(e) => return e.into_response(),
    };
    let principal = auth::principal(&user);
    // A partner's agent sees in the header how many reports its organisation has to handle.
    let to_handle = match principal.organisation_id {
        Some(org) if !api && principal.may(Permission::ActOnProximity) => {
            let store = s.store.clone();
            blocking(move || {
                use logis_store::ProximityRecords;
                store.open_count(org)
            })
            .await
            .ok()
        }
        _ => None,
    };
    let authed = Authed {
        principal,
        user,
        csrf,
        via: if api { Via::Api } else { Via::Web },
        to_handle,
    };
    let mut req = req;
    if !api && !matches!(*req.method(), Method::GET | Method::HEAD) {
        req = match check_csrf(req, &authed.csrf).await {
            Ok(r) => r,
            Err(resp) => return resp,
        };
    }
    req.extensions_mut().insert(authed);
    next.run(req).await
}

fn csrf_refused() -> Response {
    PageError {
        status: StatusCode::FORBIDDEN,
        message: "Formulaire expiré ou d'une autre origine (jeton CSRF absent ou invalide). Rechargez la page et recommencez.".into(),
    }
    .into_response()
}

/// The CSRF token of an unsafe request: the `csrf` field of a form body, else the
/// `X-CSRF-Token` header, else the `csrf` query parameter (file uploads).
async fn check_csrf(req: Request, expected: &str) -> Result<Request, Response> {
    let from_header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let from_query = req.uri().query().and_then(|q| csrf_field(q.as_bytes()));
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (req, from_body) = if is_form {
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
            Ok(b) => b,
            Err(_) => {
                return Err(PageError {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    message: "Formulaire trop volumineux.".into(),
                }
                .into_response());
            }
        };
        let token = csrf_field(&bytes);
        (
            Request::from_parts(parts, axum::body::Body::from(bytes)),
            token,
        )
    } else {
        (req, None)
    };
    let given = from_body.or(from_header).or(from_query);
    match given {
        Some(t) if !expected.is_empty() && auth::same_secret(&t, expected) => Ok(req),
        _ => Err(csrf_refused()),
    }
}

/// The `csrf` field of URL-encoded pairs (a form body or a query string).
fn csrf_field(encoded: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
}

pub(crate) fn cookie_header(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let v = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn client_address(req_ext: Option<&ConnectInfo<SocketAddr>>) -> String {
    req_ext
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "inconnue".into())
}

/// A safe place to go after login: a local path only.
/// Where to go after the login: `t` when it is a path of this server — resolved as a browser
/// would against the public address (tabs and newlines dropped, `\\` read as `/`), its origin
/// unchanged — given back as that resolved path and query (percent-encoded); else `/`.
fn local_target(t: Option<&str>, public_url: &str) -> String {
    let (Some(t), Ok(base)) = (t, url::Url::parse(public_url)) else {
        return "/".into();
    };
    if !t.starts_with('/') {
        return "/".into();
    }
    match base.join(t) {
        Ok(u) if u.origin() == base.origin() => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        _ => "/".into(),
    }
}

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    chrome: Chrome,
    /// An OpenID provider is configured: its button.
    openid: bool,
    csrf: String,
    login: String,
    suite: String,
    error: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginQuery {
    suite: Option<String>,
}

/// A form shown before a session exists: `page` renders it with the pre-session token, which is
/// also set as a cookie (double submit), and the answer has `status`. The browser's token is kept
/// when it has one, so that a second tab, or a request the browser makes on its own (an icon),
/// does not invalidate the form already shown.
fn pre_form(
    s: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    page: impl FnOnce(String) -> Response,
) -> Result<Response, PageError> {
    let token = match cookie(headers, PRE_COOKIE).filter(|c| plausible_token(c)) {
        Some(existing) => existing.to_string(),
        None => auth::random_token().map_err(|_| PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "Erreur interne".into(),
        })?,
    };
    let cookie = cookie_header(PRE_COOKIE, &token, 3600, s.secure_cookies);
    let mut res = page(token);
    *res.status_mut() = status;
    res.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(res)
}

pub(crate) async fn login_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Result<Response, PageError> {
    pre_form(&s, &headers, StatusCode::OK, |csrf| {
        render(&LoginPage {
            chrome: Chrome::anonymous(),
            openid: s.oidc.is_some(),
            csrf,
            login: String::new(),
            suite: local_target(q.suite.as_deref(), &s.public_url),
            error: String::new(),
        })
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    suite: String,
}

/// A token as [`auth::random_token`] makes them: 43 URL-safe base64 characters.
pub(crate) fn plausible_token(t: &str) -> bool {
    t.len() == 43
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn pre_ok(headers: &HeaderMap, given: &str) -> bool {
    cookie(headers, PRE_COOKIE).is_some_and(|c| !c.is_empty() && auth::same_secret(c, given))
}

pub(crate) async fn login_submit(
    State(s): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    if !pre_ok(&headers, &f.csrf) {
        return Ok(csrf_refused());
    }
    let address = client_address(connect.as_ref().map(|c| &c.0));
    let store = s.store.clone();
    let (login, password) = (f.identifiant.clone(), f.mot_de_passe.clone());
    let outcome = blocking(move || {
        auth::login(store.as_ref(), &login, &password, &address).map_err(crate::app_to_store)
    })
    .await?;
    match outcome {
        Ok(session) => {
            tracing::info!(utilisateur = %session.user.login, "connexion");
            let mut res =
                Redirect::to(&local_target(Some(&f.suite), &s.public_url)).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(
                    SESSION_COOKIE,
                    &session.cookie,
                    logis_app::accounts::SESSION_SECS,
                    s.secure_cookies,
                ),
            );
            res.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(PRE_COOKIE, "", 0, s.secure_cookies),
            );
            Ok(res)
        }
        Err(message) => pre_form(&s, &headers, StatusCode::UNAUTHORIZED, |csrf| {
            render(&LoginPage {
                chrome: Chrome::anonymous(),
                openid: s.oidc.is_some(),
                csrf,
                login: f.identifiant.chars().take(64).collect(),
                suite: local_target(Some(&f.suite), &s.public_url),
                error: message,
            })
        }),
    }
}

pub(crate) async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(c) = cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let store = s.store.clone();
        blocking(move || auth::logout(store.as_ref(), &c).map_err(crate::app_to_store)).await?;
    }
    let mut res = Redirect::to("/connexion").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(SESSION_COOKIE, "", 0, s.secure_cookies),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "accounts/reset.html")]
struct ResetPage {
    chrome: Chrome,
    csrf: String,
    error: String,
    done: bool,
}

pub(crate) async fn reset_page(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    pre_form(&s, &headers, StatusCode::OK, |csrf| {
        render(&ResetPage {
            chrome: Chrome::anonymous(),
            csrf,
            error: String::new(),
            done: false,
        })
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    confirmation: String,
}

pub(crate) async fn reset_submit(
    State(s): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    Form(f): Form<ResetForm>,
) -> Result<Response, PageError> {
    if !pre_ok(&headers, &f.csrf) {
        return Ok(csrf_refused());
    }
    let again = |error: String, status: StatusCode| {
        pre_form(&s, &headers, status, |csrf| {
            render(&ResetPage {
                chrome: Chrome::anonymous(),
                csrf,
                error,
                done: false,
            })
        })
    };
    if f.mot_de_passe != f.confirmation {
        return again(
            "les deux mots de passe saisis sont différents".into(),
            StatusCode::BAD_REQUEST,
        );
    }
    if let Err(e) = logis_domain::accounts::check_password(&f.mot_de_passe) {
        return again(e, StatusCode::BAD_REQUEST);
    }
    let store = s.store.clone();
    let password = f.mot_de_passe.clone();
    let done = blocking(move || {
        auth::use_reset(store.as_ref(), &secret, &password).map_err(crate::app_to_store)
    })
    .await?;
    match done {
        Some(_) => Ok(render(&ResetPage {
            chrome: Chrome::anonymous(),
            csrf: String::new(),
            error: String::new(),
            done: true,
        })),
        None => again(
            "ce lien n'est plus valable (déjà utilisé ou expiré) : demandez-en un nouveau à l'administrateur".into(),
            StatusCode::GONE,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::local_target;

    const BASE: &str = "http://127.0.0.1:8080";

    #[test]
    fn only_this_servers_paths_are_followed_after_login() {
        for (given, expected) in [
            ("/operations?annee_min=2026", "/operations?annee_min=2026"),
            ("/rapports/production", "/rapports/production"),
            ("/\t/evil.example", "/"),
            ("/\t/evil.example/x", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
            ("/\n/evil.example", "/"),
            ("/a\nb", "/ab"),
            ("/x y", "/x%20y"),
            ("evil", "/"),
            ("", "/"),
        ] {
            assert_eq!(local_target(Some(given), BASE), expected, "{given:?}");
        }
        assert_eq!(local_target(None, BASE), "/");
    }
}
