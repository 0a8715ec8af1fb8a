//! logis web server: server-rendered, accessible French pages over the store. Handlers stay thin:
//! they parse the request, call the store or a use case of `logis-app` on a blocking thread, and
//! render a template (askama escapes every value).

use askama::Template;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use logis_domain::numbers::group_thousands;
use logis_domain::{Geography, Nature, OrgKind};
use logis_io::write::ExportFormat;
use logis_store::{LineFilter, Store, StoreError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

pub mod account;
pub mod api;
pub mod auth;
pub mod reports;

use auth::Authed;
use axum::Extension;
use logis_domain::Permission;

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
    /// Mark cookies Secure (logis behind HTTPS): `LOGIS_HTTPS=1`.
    secure_cookies: bool,
    /// Where the server is reached, for the links it prints (`LOGIS_PUBLIC_URL`).
    public_url: String,
}

impl AppState {
    /// The reference geography (the store keeps it in memory once read).
    fn geography(&self) -> Result<Arc<Geography>, StoreError> {
        self.store.geography()
    }
}

/// Largest request body (forms, JSON); imports through the API may send up to
/// [`api::UPLOAD_LIMIT`].
const BODY_LIMIT: usize = 2 << 20;

/// The application's routes over `store`. Every route but `/connexion`, `/reinitialiser/…`,
/// `/sante` and the stylesheet requires a login ([`auth::authenticate`]).
pub fn router(store: Arc<dyn Store>) -> Router {
    let state = AppState {
        store,
        secure_cookies: std::env::var("LOGIS_HTTPS").is_ok_and(|v| v == "1"),
        public_url: std::env::var("LOGIS_PUBLIC_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:8080".into()),
    };
    Router::new()
        .route("/", get(dashboard))
        .route("/connexion", get(auth::login_page).post(auth::login_submit))
        .route("/deconnexion", post(auth::logout))
        .route(
            "/reinitialiser/{secret}",
            get(auth::reset_page).post(auth::reset_submit),
        )
        .route("/compte", get(account::account))
        .route("/compte/mot-de-passe", post(account::change_password))
        .route("/compte/jetons", post(account::create_token))
        .route("/compte/jetons/{id}/revoquer", post(account::revoke_token))
        .route(
            "/admin/utilisateurs",
            get(account::users).post(account::add_user),
        )
        .route(
            "/admin/utilisateurs/{id}/{action}",
            post(account::user_action),
        )
        .route("/admin/organisations", post(account::add_organisation))
        .route("/operations", get(operations))
        .route("/operations/export", get(export))
        .route("/operations/{id}", get(operation))
        .route("/operations/{id}/historique.csv", get(operation_history))
        .route("/communes", get(communes))
        .route("/rapports", get(reports::index))
        .route("/rapports/{name}", get(reports::page))
        .route("/rapports/{name}/export", get(reports::export))
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
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Serve until Ctrl-C.
pub async fn serve(store: Arc<dyn Store>, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("logis écoute sur http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        router(store).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
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
        match e {
            StoreError::Backend(detail) => {
                tracing::error!("erreur de la base : {detail}");
                PageError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "La base de données n'a pas pu répondre. Réessayez plus tard.".into(),
                }
            }
            other => PageError {
                status: StatusCode::BAD_REQUEST,
                message: other.to_string(),
            },
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
    match tokio::task::spawn_blocking(move || store.summary()).await {
        Ok(Ok(sum)) => Json(serde_json::json!({ "statut": "ok", "base": s.store.backend(), "operations": sum.operations })).into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "statut": "indisponible" }))).into_response(),
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    territory: String,
    operations: String,
    lines: String,
    dwellings: String,
    organisations: String,
    natures: Vec<&'static str>,
    /// (landlord, dwellings per nature column, total)
    rows: Vec<(String, Vec<String>, String)>,
}

fn n(v: u64) -> String {
    group_thousands(i64::try_from(v).unwrap_or(i64::MAX))
}

async fn dashboard(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let (summary, totals, territory) = blocking(move || {
        let store = &state.store;
        let territory = match store.setting(logis_app::setup::TERRITORY)? {
            Some(siren) => state
                .geography()?
                .epci(&siren)
                .map(|e| e.name.clone())
                .unwrap_or_default(),
            None => String::new(),
        };
        Ok((
            store.summary()?,
            store.totals_by_landlord_nature()?,
            territory,
        ))
    })
    .await?;
    let natures: Vec<Nature> = Nature::ALL
        .iter()
        .copied()
        .filter(|n| totals.iter().any(|t| t.nature == *n))
        .collect();
    let mut by_landlord: BTreeMap<String, BTreeMap<Nature, u64>> = BTreeMap::new();
    for t in &totals {
        *by_landlord
            .entry(t.landlord.clone())
            .or_default()
            .entry(t.nature)
            .or_default() += t.dwellings;
    }
    let rows = by_landlord
        .into_iter()
        .map(|(landlord, m)| {
            let cells = natures
                .iter()
                .map(|nat| m.get(nat).map(|v| n(*v)).unwrap_or_else(|| "—".into()))
                .collect();
            (landlord, cells, n(m.values().sum()))
        })
        .collect();
    Ok(render(&Dashboard {
        chrome: a.chrome("dashboard"),
        territory,
        operations: n(summary.operations),
        lines: n(summary.lines),
        dwellings: n(summary.dwellings),
        organisations: n(summary.organisations),
        natures: natures.iter().map(|n| n.label()).collect(),
        rows,
    }))
}

#[derive(Debug, Default, Deserialize)]
struct LineQuery {
    bailleur: Option<String>,
    nature: Option<String>,
    annee: Option<String>,
    page: Option<String>,
    format: Option<String>,
}

impl LineQuery {
    /// The filter, or a French message naming the bad parameter.
    fn filter(&self) -> Result<LineFilter, String> {
        let mut f = LineFilter::default();
        if let Some(b) = self.bailleur.as_deref().filter(|b| !b.is_empty()) {
            f.landlord_id = Some(
                b.parse()
                    .map_err(|_| format!("bailleur invalide « {b} »"))?,
            );
        }
        if let Some(nat) = self.nature.as_deref().filter(|v| !v.is_empty()) {
            f.nature = Some(Nature::parse(nat).map_err(|e| e.0)?);
        }
        if let Some(y) = self
            .annee
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            let y: i32 = y.parse().map_err(|_| {
                format!("année invalide « {y} » (attendu : une année, par exemple 2026)")
            })?;
            f.year_from = Some(y);
            f.year_to = Some(y);
        }
        Ok(f)
    }

    /// The filter part of a query string, to carry into links ("&bailleur=3&nature=…").
    fn carry(&self, f: &LineFilter) -> String {
        let mut q = String::new();
        if let Some(b) = f.landlord_id {
            q.push_str(&format!("&bailleur={b}"));
        }
        if let Some(nat) = f.nature {
            q.push_str(&format!("&nature={}", nat.code()));
        }
        if let Some(y) = f.year_from {
            q.push_str(&format!("&annee={y}"));
        }
        q
    }
}

struct LineRow {
    operation_id: i64,
    landlord: String,
    reference: String,
    label: String,
    commune: String,
    project: String,
    nature: &'static str,
    product: &'static str,
    dwellings: String,
    year: i32,
    stage: &'static str,
}

#[derive(Template)]
#[template(path = "operations.html")]
struct OperationsPage {
    chrome: Chrome,
    landlords: Vec<(i64, String, bool)>,
    natures: Vec<(&'static str, &'static str, bool)>,
    year: String,
    error: String,
    total: String,
    page: u64,
    pages: u64,
    query: String,
    items: Vec<LineRow>,
}

async fn operations(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<LineQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadOperations)?;
    let (mut filter, error) = match q.filter() {
        Ok(f) => (f, String::new()),
        Err(e) => (LineFilter::default(), e),
    };
    filter.scope = a.principal.line_scope();
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let query = q.carry(&filter);
    let store = s.store.clone();
    let f2 = filter.clone();
    let (orgs, total) =
        blocking(move || Ok((store.organisations()?, store.count_lines(&f2)?))).await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = page.min(pages);
    filter.limit = Some(PAGE_SIZE);
    filter.offset = Some((page - 1) * PAGE_SIZE);
    let store = s.store.clone();
    let f3 = filter.clone();
    let lines = blocking(move || logis_store::collect_lines(store.as_ref(), &f3)).await?;
    let items = lines
        .into_iter()
        .map(|l| LineRow {
            operation_id: l.operation_id,
            landlord: l.landlord,
            reference: l.reference,
            label: l.label.unwrap_or_default(),
            commune: l.commune_name,
            project: l.project.unwrap_or_default(),
            nature: l.nature.label(),
            product: l
                .product
                .map(|p| p.label())
                .or(l.financing.map(|f| f.label()))
                .unwrap_or(""),
            dwellings: group_thousands(i64::from(l.dwellings)),
            year: l.year,
            stage: l.stage.map(|s| s.label()).unwrap_or(""),
        })
        .collect();
    Ok(render(&OperationsPage {
        chrome: a.chrome("operations"),
        landlords: orgs
            .into_iter()
            .filter(|o| o.kind == OrgKind::Landlord)
            .map(|o| (o.id, o.name, filter.landlord_id == Some(o.id)))
            .collect(),
        natures: Nature::ALL
            .iter()
            .map(|n| (n.code(), n.label(), filter.nature == Some(*n)))
            .collect(),
        year: filter.year_from.map(|y| y.to_string()).unwrap_or_default(),
        error,
        total: n(total),
        page,
        pages,
        query,
        items,
    }))
}

/// Stream the export: the store writes on a blocking thread into a channel the response reads.
async fn export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<LineQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadOperations)?;
    let mut filter = q.filter().map_err(|message| PageError {
        status: StatusCode::BAD_REQUEST,
        message,
    })?;
    filter.scope = a.principal.line_scope();
    let format = match q.format.as_deref() {
        None => ExportFormat::Csv,
        Some(f) => ExportFormat::parse(f).ok_or_else(|| PageError {
            status: StatusCode::BAD_REQUEST,
            message: format!("format d'export inconnu « {f} » (csv ou xlsx)"),
        })?,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(8);
    let store = s.store.clone();
    tokio::task::spawn_blocking(move || {
        let sink = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(64 * 1024),
        };
        let result = logis_app::export::export_operations(store.as_ref(), &filter, format, sink)
            .and_then(|(mut w, _)| {
                w.flush_now()
                    .map_err(|e| logis_app::AppError::Invalid(e.to_string()))?;
                Ok(())
            });
        if let Err(e) = result {
            tracing::error!("export interrompu : {e}");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let name = format!("logis-operations.{}", format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A `Write` that sends 64 KiB chunks to the response body.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Vec<u8>>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn flush_now(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(64 * 1024));
            self.tx
                .blocking_send(Ok(chunk))
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client parti"))?;
        }
        Ok(())
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush_now()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_now()
    }
}

#[derive(Debug, Default, Deserialize)]
struct CommuneQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "communes.html")]
struct CommunesPage {
    chrome: Chrome,
    q: String,
    items: Vec<(String, String, String, String, String)>,
}

async fn communes(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<CommuneQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReference)?;
    let text =
        q.q.unwrap_or_default()
            .chars()
            .take(100)
            .collect::<String>();
    let state = s.clone();
    let t2 = text.clone();
    let (found, geo) = blocking(move || {
        if t2.trim().is_empty() {
            return Ok((Vec::new(), None));
        }
        Ok((
            state.store.search_communes(&t2, 50)?,
            Some(state.geography()?),
        ))
    })
    .await?;
    let items = found
        .into_iter()
        .map(|c| {
            let epci = c
                .epci
                .as_ref()
                .and_then(|e| geo.as_ref().and_then(|g| g.epci(e.as_str())))
                .map(|e| e.name.clone())
                .unwrap_or_default();
            (
                c.code.as_str().to_string(),
                c.name,
                c.department,
                c.population
                    .map(|p| group_thousands(i64::from(p)))
                    .unwrap_or_default(),
                epci,
            )
        })
        .collect();
    Ok(render(&CommunesPage {
        chrome: a.chrome("communes"),
        q: text,
        items,
    }))
}

/// The head, lines, financing plan and history of an operation the user may read; another
/// organisation's operation answers 404, as an unknown one does.
async fn visible_operation(
    s: &AppState,
    a: &Authed,
    id: i64,
) -> Result<logis_store::OperationRecord, PageError> {
    a.require(Permission::ReadOperations)?;
    let store = s.store.clone();
    let head = blocking(move || store.operation(id)).await?;
    head.filter(|h| a.principal.sees_operation(h.landlord_id, &h.commune))
        .ok_or_else(|| PageError {
            status: StatusCode::NOT_FOUND,
            message: "Cette opération n'existe pas ou n'est pas visible avec votre compte.".into(),
        })
}

/// A Unix time in local time, with `format` (chrono's).
pub(crate) fn local_time(ts: i64, format: &str) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.with_timezone(&chrono::Local).format(format).to_string())
        .unwrap_or_default()
}

fn fr_datetime(ts: i64) -> String {
    local_time(ts, "%d/%m/%Y %H:%M:%S")
}

fn entity_fr(e: &str) -> &str {
    match e {
        "operation" => "Opération",
        "ligne" => "Ligne",
        "plan_financement" => "Plan de financement",
        other => other,
    }
}

#[derive(Template)]
#[template(path = "operation.html")]
struct OperationPage {
    chrome: Chrome,
    id: i64,
    reference: String,
    label: String,
    landlord: String,
    commune: String,
    programme: String,
    project: String,
    quartier: String,
    lines: Vec<(
        &'static str,
        &'static str,
        &'static str,
        String,
        i32,
        &'static str,
        String,
    )>,
    show_plan: bool,
    plan: Vec<(&'static str, String, String, String)>,
    history: Vec<(String, String, String, String, String, String, String)>,
}

async fn operation(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, PageError> {
    let head = visible_operation(&s, &a, id).await?;
    let store = s.store.clone();
    let show_plan = a.principal.may(Permission::ReadFinancing);
    let (lines, plan, history, orgs) = blocking(move || {
        let f = LineFilter {
            operation_id: Some(id),
            ..Default::default()
        };
        Ok((
            logis_store::collect_lines(store.as_ref(), &f)?,
            if show_plan {
                store.financing_plan(id)?
            } else {
                Vec::new()
            },
            store.audit(&logis_store::AuditFilter {
                operation_id: Some(id),
                limit: Some(500),
                ..Default::default()
            })?,
            store.organisations()?,
        ))
    })
    .await?;
    Ok(render(&OperationPage {
        chrome: a.chrome("operations"),
        id,
        reference: head.reference,
        label: head.label.unwrap_or_default(),
        landlord: head.landlord,
        commune: format!("{} ({})", head.commune_name, head.commune),
        programme: head.programme.unwrap_or_else(|| "—".into()),
        project: head.project.unwrap_or_else(|| "—".into()),
        quartier: head.quartier.unwrap_or_else(|| "—".into()),
        lines: lines
            .into_iter()
            .map(|l| {
                (
                    l.nature.label(),
                    l.site.map(|s| s.label()).unwrap_or(""),
                    l.product
                        .map(|p| p.label())
                        .or(l.financing.map(|f| f.label()))
                        .unwrap_or(""),
                    group_thousands(i64::from(l.dwellings)),
                    l.year,
                    l.stage.map(|s| s.label()).unwrap_or(""),
                    l.stage_date
                        .map(|d| d.format("%d/%m/%Y").to_string())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        show_plan,
        plan: plan
            .into_iter()
            .map(|p| {
                (
                    p.kind.label(),
                    p.source_id
                        .and_then(|id| orgs.iter().find(|o| o.id == id))
                        .map(|o| o.name.clone())
                        .unwrap_or_default(),
                    p.label,
                    logis_domain::numbers::format_euros_cents(p.amount_cents),
                )
            })
            .collect(),
        history: history
            .into_iter()
            .map(|h| {
                (
                    fr_datetime(h.at),
                    h.user_name,
                    h.via,
                    format!("{} {}", entity_fr(&h.entity), h.entity_id),
                    h.action,
                    h.before.unwrap_or_default(),
                    h.after.unwrap_or_default(),
                )
            })
            .collect(),
    }))
}

/// The history of an operation as CSV (French Excel: `;`, UTF-8 with BOM).
async fn operation_history(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, PageError> {
    visible_operation(&s, &a, id).await?;
    let store = s.store.clone();
    let rows = blocking(move || {
        store.audit(&logis_store::AuditFilter {
            operation_id: Some(id),
            ..Default::default()
        })
    })
    .await?;
    let mut out =
        String::from("\u{feff}date;utilisateur;via;element;identifiant;action;avant;apres\r\n");
    // Quoted cells; a leading formula character is neutralised for spreadsheets.
    let cell = |v: &str| {
        let v = if v.starts_with(['=', '+', '-', '@']) {
            format!("'{v}")
        } else {
            v.to_string()
        };
        format!("\"{}\"", v.replace('"', "\"\""))
    };
    for h in rows {
        out.push_str(
            &[
                cell(&fr_datetime(h.at)),
                cell(&h.user_name),
                cell(&h.via),
                cell(&h.entity),
                cell(&h.entity_id),
                cell(&h.action),
                cell(h.before.as_deref().unwrap_or("")),
                cell(h.after.as_deref().unwrap_or("")),
            ]
            .join(";"),
        );
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"logis-operation-{id}-historique.csv\""),
            ),
        ],
        out,
    )
        .into_response())
}
