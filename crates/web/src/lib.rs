//! logis web server: server-rendered, accessible French pages over the store. Handlers stay thin:
//! they parse the request, call the store or a use case of `logis-app` on a blocking thread, and
//! render a template (askama escapes every value).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use logis_domain::Geography;
use logis_domain::numbers::group_thousands;
use logis_store::{Store, StoreError};
use std::net::SocketAddr;
use std::sync::Arc;

pub mod accounts;
pub mod api;
pub mod land;
pub mod plans;
pub mod proximity;
pub mod reference;
pub mod register;
pub mod relocation;
pub mod settlement;
pub mod siap;
pub mod stock;

use accounts::auth;

/// What every page's frame shows: navigation, the user and the logout form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chrome {
    pub nav: &'static str,
    pub reference: &'static str,
    /// The user's name and organisation (empty: not logged in, no navigation).
    pub who: String,
    pub csrf: String,
    pub admin: bool,
    pub operations: bool,
    /// May create, change and import operations.
    pub write: bool,
    /// Sees the land bank's sites.
    pub land: bool,
    /// Sees cost prices (the grouped tenders, the cost report).
    pub financing: bool,
    /// Sees proximity management's sites (nav « Proximité »).
    pub proximity: bool,
    /// Reads households one by one (some of them).
    pub households: bool,
    /// Runs the matching, records proposals and relocations (the relocation officer).
    pub relocation_officer: bool,
    /// Declares households and vacancies.
    pub declare_relocation: bool,
    /// Acts on reports of dysfunctions: the count of its organisation's assignments to handle.
    pub to_handle: Option<u64>,
}

impl Chrome {
    pub fn anonymous() -> Self {
        Chrome {
            reference: logis_io::reference::VERSION,
            ..Default::default()
        }
    }
}

const PAGE_SIZE: u64 = 50;
/// The stylesheet (also inlined in standalone HTML reports).
pub(crate) const CSS: &str = include_str!("../static/logis.css");

/// The static assets, embedded in the binary: (name, content type, content).
const ASSETS: &[(&str, &str, &str)] = &[
    ("logis.css", "text/css; charset=utf-8", CSS),
    (
        "logis.svg",
        "image/svg+xml",
        include_str!("../static/logis.svg"),
    ),
];

#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    /// Report pages served again while the register has not changed.
    pages: Arc<logis_app::reports::PageCache>,
    /// Maps served again while the register has not changed.
    maps: Arc<logis_app::cache::StampCache<register::map::MapData>>,
    /// Pages of the operations' list, likewise.
    lists: Arc<logis_app::cache::StampCache<register::operations::ListPage>>,
    /// The strategic plans' cross-analysis, whole (each reader's restriction applied after).
    plans: Arc<logis_app::cache::StampCache<logis_io::report::Report>>,
    /// Mark cookies Secure (logis behind HTTPS): `LOGIS_HTTPS=1`.
    secure_cookies: bool,
    /// Where the server is reached, for the links it prints (`LOGIS_PUBLIC_URL`).
    public_url: String,
    /// The OpenID provider, when one is configured (`logis serve --oidc-issuer …`).
    oidc: Option<Arc<accounts::oidc::Oidc>>,
}

impl AppState {
    /// The reference geography (the store keeps it in memory once read).
    fn geography(&self) -> Result<Arc<Geography>, StoreError> {
        self.store.geography()
    }
}

/// Largest request body (forms, JSON); imports through the API may send up to
/// [`register::api::UPLOAD_LIMIT`].
const BODY_LIMIT: usize = 2 << 20;

/// The application's routes over `store`. Every route but `/connexion`, `/reinitialiser/…`,
/// `/sante` and the stylesheet requires a login ([`auth::authenticate`]).
pub fn router(store: Arc<dyn Store>) -> Router {
    routes(state(store))
}

fn state(store: Arc<dyn Store>) -> AppState {
    AppState {
        store,
        pages: Arc::default(),
        maps: Arc::new(logis_app::cache::StampCache::new(16)),
        lists: Arc::new(logis_app::cache::StampCache::new(256)),
        plans: Arc::new(logis_app::cache::StampCache::new(16)),
        secure_cookies: std::env::var("LOGIS_HTTPS").is_ok_and(|v| v == "1"),
        public_url: std::env::var("LOGIS_PUBLIC_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:8080".into()),
        oidc: None,
    }
}

/// The application's routes over `store` with an OpenID provider (discovered now); `public_url`:
/// where logis is reached (the provider sends the browser back to it).
pub async fn router_with_oidc(
    store: Arc<dyn Store>,
    config: accounts::oidc::OidcConfig,
    public_url: &str,
) -> Result<Router, String> {
    let mut s = state(store);
    s.public_url = public_url.trim_end_matches('/').to_string();
    s.oidc = Some(Arc::new(
        accounts::oidc::Oidc::discover(config, &s.public_url).await?,
    ));
    Ok(routes(s))
}

fn routes(state: AppState) -> Router {
    Router::new()
        .merge(accounts::routes())
        .merge(register::routes())
        .merge(reference::routes())
        .merge(land::routes())
        .merge(proximity::routes())
        .merge(relocation::routes())
        .merge(stock::routes())
        .merge(settlement::routes())
        .merge(plans::routes())
        .merge(siap::routes())
        .merge(api::routes())
        .route("/sante", get(health))
        .route("/static/{name}", get(asset))
        .route("/favicon.ico", get(favicon))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            std::time::Duration::from_secs(120),
        ))
        .layer(axum::middleware::from_fn(french_rejections))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Every refusal in French: what the framework answers before a handler runs (an address or a
/// query it cannot read, a body too large, a method not allowed…) comes as English plain text,
/// or nothing; it becomes the French error page, or the API's JSON error under `/api/`.
async fn french_rejections(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let kind = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(kind.is_empty() || kind.starts_with("text/plain")) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    tracing::debug!("refus du cadre web ({status}) : {text}");
    let message = rejection_fr(status, &text);
    let french = if api {
        api::ApiFail(status, message).into_response()
    } else {
        PageError { status, message }.into_response()
    };
    let (french_parts, french_body) = french.into_parts();
    // (Keep what the refusal says in its headers, such as the methods allowed.)
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &french_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, french_body)
}

/// The French words for a refusal of the framework (`text`: what it said, in English).
fn rejection_fr(status: StatusCode, text: &str) -> String {
    let t = text.to_ascii_lowercase();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "le contenu envoyé est trop volumineux (au plus {} Mo pour un formulaire, {} Mo pour un fichier)",
            BODY_LIMIT >> 20,
            register::api::UPLOAD_LIMIT >> 20
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            "cette adresse n'accepte pas cette méthode HTTP (voir l'en-tête Allow)".into()
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "type de contenu non accepté pour cette adresse (Content-Type)".into()
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            "contenu illisible : des champs manquent ou ne sont pas du type attendu".into()
        }
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
            "la requête a pris trop de temps : réessayez, ou réduisez ce qui est demandé".into()
        }
        StatusCode::NOT_FOUND => "cette adresse ne correspond à aucune page de logis".into(),
        _ if t.contains("duplicate field") => {
            "adresse invalide : un paramètre y est donné deux fois".into()
        }
        _ if t.contains("utf-8") || t.contains("utf8") => {
            "adresse invalide : elle contient des caractères illisibles (UTF-8 attendu)".into()
        }
        _ if t.contains("cannot parse") || t.contains("invalid url") => {
            "adresse invalide : un de ses éléments n'a pas la forme attendue (un numéro, par exemple)".into()
        }
        _ if t.contains("boundary") || t.contains("multipart") => {
            "formulaire d'envoi de fichier mal formé (multipart/form-data sans séparateur « boundary » valide)".into()
        }
        _ if t.contains("query string") => {
            "adresse invalide : un de ses paramètres est illisible".into()
        }
        _ if status.is_server_error() => "erreur interne du serveur".into(),
        _ => "requête invalide".into(),
    }
}

/// Serve until Ctrl-C.
pub async fn serve(store: Arc<dyn Store>, addr: SocketAddr) -> std::io::Result<()> {
    serve_with(store, addr, None).await
}

/// [`serve`], with an OpenID provider when `oidc` names one (discovered before serving).
pub async fn serve_with(
    store: Arc<dyn Store>,
    addr: SocketAddr,
    oidc: Option<accounts::oidc::OidcConfig>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("logis écoute sur http://{}", listener.local_addr()?);
    // Read the register into memory now rather than on the first report (logis_store::cube).
    let warm = Arc::clone(&store);
    tokio::task::spawn_blocking(move || {
        let t = std::time::Instant::now();
        match warm.aggregate(&logis_store::LineFilter::default(), &[]) {
            Ok(_) => tracing::info!("registre en mémoire en {:.1} s", t.elapsed().as_secs_f64()),
            Err(e) => tracing::warn!("registre en mémoire : {e}"),
        }
    });
    let mut state = state(store);
    if let Some(config) = oidc {
        let oidc = accounts::oidc::Oidc::discover(config, &state.public_url)
            .await
            .map_err(std::io::Error::other)?;
        tracing::info!("connexion OpenID Connect : {}", oidc.issuer());
        state.oidc = Some(Arc::new(oidc));
    }
    refresh_in_background(state.clone());
    axum::serve(
        listener,
        routes(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// After a write (or an import by the CLI beside the server), compute again the report pages,
/// maps and list pages last asked for, so that they stay served at once: polls the store's stamp
/// four times a second on a thread of its own.
fn refresh_in_background(s: AppState) {
    if !logis_app::cache::enabled() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("logis-refresh".into())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_millis(250));
                let st = s.store.as_ref();
                let t = std::time::Instant::now();
                let done = [s.pages.refresh(st), s.maps.refresh(st), s.lists.refresh(st)];
                let mut computed = 0;
                for d in done {
                    match d {
                        Ok(n) => computed += n,
                        Err(e) => tracing::warn!("pages recalculées après une écriture : {e}"),
                    }
                }
                if computed > 0 {
                    tracing::info!(
                        "{computed} page(s) recalculée(s) après une écriture en {:.2} s",
                        t.elapsed().as_secs_f64()
                    );
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("pas de recalcul en arrière-plan : {e}");
    }
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// An error page; backend details go to the log, not to the user.
struct PageError {
    status: StatusCode,
    message: String,
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        if e.is_internal() {
            tracing::error!("erreur de la base : {e}");
            return PageError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "La base de données n'a pas pu répondre. Réessayez plus tard.".into(),
            };
        }
        PageError {
            status: match e {
                StoreError::NotFound(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            },
            message: e.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
}

fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("rendu de page impossible : {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne").into_response()
        }
    }
}

/// A page that shows a refusal (`refused`: answered 400, the page says why), else 200.
pub(crate) fn render_refused<T: Template>(t: &T, refused: bool) -> Response {
    let mut res = render(t);
    if refused {
        *res.status_mut() = StatusCode::BAD_REQUEST;
    }
    res
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let heading = if self.status == StatusCode::NOT_FOUND {
            "Page introuvable"
        } else {
            "Une erreur est survenue"
        };
        let mut res = render(&ErrorPage {
            chrome: Chrome::anonymous(),
            heading,
            message: &self.message,
        });
        *res.status_mut() = self.status;
        res
    }
}

/// Run a store call on a blocking thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, PageError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(PageError::from),
        Err(e) => {
            tracing::error!("tâche interrompue : {e}");
            Err(PageError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "Erreur interne".into(),
            })
        }
    }
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return api::api_not_found();
    }
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "Cette adresse ne correspond à aucune page de logis.".into(),
    }
    .into_response()
}

async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "introuvable").into_response(),
    }
}

async fn favicon() -> Response {
    asset(axum::extract::Path("logis.svg".to_string())).await
}

async fn health(State(s): State<AppState>) -> Response {
    let store = s.store.clone();
    // The status only: who asks need not learn the database's kind nor the register's size.
    match tokio::task::spawn_blocking(move || store.reference_loaded()).await {
        Ok(Ok(_)) => Json(serde_json::json!({ "statut": "ok" })).into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "statut": "indisponible" })),
        )
            .into_response(),
    }
}

/// One line typed on a form whose fields are named as a file's `columns`: that line as a file of
/// one row (each value cut at 500 characters; a column without a field is empty), for the same
/// import and the same French refusals as the file.
pub(crate) fn form_as_file(
    columns: &[&str],
    fields: &[(String, String)],
) -> Box<logis_io::read::MemorySource> {
    let header = columns.iter().map(|c| c.to_string()).collect();
    let row = columns
        .iter()
        .map(|c| {
            fields
                .iter()
                .find(|(k, _)| k == c)
                .map(|(_, v)| v.chars().take(500).collect())
                .unwrap_or_default()
        })
        .collect();
    Box::new(logis_io::read::MemorySource::new(header, vec![row]))
}

/// A use case's error as the store's (a French message kept as it is).
pub(crate) fn app_to_store(e: logis_app::AppError) -> logis_store::StoreError {
    match e {
        logis_app::AppError::Store(s) => s,
        other => logis_store::StoreError::Invalid(other.to_string()),
    }
}

fn n(v: u64) -> String {
    group_thousands(i64::try_from(v).unwrap_or(i64::MAX))
}

/// A Unix time in local time, with `format` (chrono's).
pub(crate) fn local_time(ts: i64, format: &str) -> String {
    logis_app::local_time(ts, format)
}
