//! logis web server: server-rendered, accessible French pages over the store. Handlers stay thin:
//! they parse the request, call the store or a use case of `logis-app` on a blocking thread, and
//! render a template (askama escapes every value).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use logis_domain::Geography;
use logis_domain::numbers::group_thousands;
use logis_store::{Store, StoreError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

pub mod account;
pub mod api;
pub mod auth;
pub mod chart;
pub mod import_page;
pub mod map;
pub mod operation_form;
pub mod operations;
pub mod reference;
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
    /// May create, change and import operations.
    pub write: bool,
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
    maps: Arc<logis_app::cache::StampCache<map::MapData>>,
    /// Pages of the operations' list, likewise.
    lists: Arc<logis_app::cache::StampCache<operations::ListPage>>,
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
    routes(state(store))
}

fn state(store: Arc<dyn Store>) -> AppState {
    AppState {
        store,
        pages: Arc::default(),
        maps: Arc::new(logis_app::cache::StampCache::new(16)),
        lists: Arc::new(logis_app::cache::StampCache::new(256)),
        secure_cookies: std::env::var("LOGIS_HTTPS").is_ok_and(|v| v == "1"),
        public_url: std::env::var("LOGIS_PUBLIC_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:8080".into()),
    }
}

fn routes(state: AppState) -> Router {
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
        .route("/operations", get(operations::list))
        .route("/operations/export", get(operations::export))
        .route(
            "/operations/nouvelle",
            get(operation_form::new_form).post(operation_form::create),
        )
        .route("/operations/{id}", get(operations::operation))
        .route(
            "/operations/{id}/modifier",
            get(operation_form::edit_form).post(operation_form::update),
        )
        .route(
            "/operations/{id}/historique.csv",
            get(operations::history_csv),
        )
        .route(
            "/import",
            get(import_page::form).post(import_page::upload).layer(
                axum::extract::DefaultBodyLimit::max(import_page::UPLOAD_LIMIT),
            ),
        )
        .route("/import/confirmer", post(import_page::confirm))
        .route("/import/modele.csv", get(import_page::template_csv))
        .route("/carte", get(map::page))
        .route("/referentiel", get(reference::page))
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
    // Read the register into memory now rather than on the first report (logis_store::cube).
    let warm = Arc::clone(&store);
    tokio::task::spawn_blocking(move || {
        let t = std::time::Instant::now();
        match warm.aggregate(&logis_store::LineFilter::default(), &[]) {
            Ok(_) => tracing::info!("registre en mémoire en {:.1} s", t.elapsed().as_secs_f64()),
            Err(e) => tracing::warn!("registre en mémoire : {e}"),
        }
    });
    let state = state(store);
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
    /// (id, name, selected) of the programmes with targets.
    programmes: Vec<(i64, String, bool)>,
    programme: Option<ProgrammeView>,
    reports: Vec<(&'static str, &'static str)>,
    message: String,
    /// The whole register by landlord and nature: nature labels, then (landlord, cells, total).
    natures: Vec<&'static str>,
    rows: Vec<(String, Vec<String>, String)>,
}

/// The selected programme on the dashboard.
struct ProgrammeView {
    id: i64,
    name: String,
    objective: String,
    /// (label, value, detail) key figures.
    figures: Vec<(&'static str, String, String)>,
    projection: String,
    chart: chart::YearChart,
    band: String,
    /// (year, planned, programmed, delivered, position in the band)
    years: Vec<(i32, String, String, String, &'static str)>,
    by_landlord: Vec<(String, String, String)>,
    by_commune: Vec<(String, String, String)>,
}

fn n(v: u64) -> String {
    group_thousands(i64::try_from(v).unwrap_or(i64::MAX))
}

/// A share in French for a page ("—" when the whole is 0).
fn pct(part: u64, whole: u64) -> String {
    logis_domain::numbers::percent_fr(part, whole).unwrap_or_else(|| "—".into())
}

#[derive(Debug, Default, Deserialize)]
struct DashboardQuery {
    #[serde(default)]
    programme: String,
}

/// Planned and delivered dwellings of a programme's scope, by `dim`, largest first.
fn planned_delivered(
    store: &dyn Store,
    f: &logis_store::LineFilter,
    dim: logis_store::query::Dim,
) -> Result<Vec<(String, String, String)>, StoreError> {
    use logis_domain::Stage;
    let rows = store.aggregate(f, &[dim, logis_store::query::Dim::Stage])?;
    let mut m: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &rows {
        let key = r.key(0).to_string();
        let stage = Stage::from_code(r.key(1));
        let e = m.entry(key).or_default();
        let v = r.dwellings.max(0) as u64;
        e.0 += v;
        if stage.is_some_and(|s| s >= Stage::Delivered) {
            e.1 += v;
        }
    }
    let mut v: Vec<(String, u64, u64)> = m.into_iter().map(|(k, (p, d))| (k, p, d)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(v.into_iter().map(|(k, p, d)| (k, n(p), n(d))).collect())
}

async fn dashboard(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let wanted: Option<i64> = q.programme.trim().parse().ok();
    let current_year = chrono::Datelike::year(&chrono::Local::now().date_naive());
    let (summary, territory, programmes, selected, totals) = blocking(move || {
        let store = state.store.as_ref();
        let territory = match store.setting(logis_app::setup::TERRITORY)? {
            Some(siren) => state
                .geography()?
                .epci(&siren)
                .map(|e| e.name.clone())
                .unwrap_or_default(),
            None => String::new(),
        };
        let ids = store.programmes_with_targets()?;
        let with_targets: Vec<(i64, String)> = store
            .programmes()?
            .into_iter()
            .filter(|p| ids.binary_search(&p.id).is_ok())
            .map(|p| (p.id, p.name))
            .collect();
        let pid = wanted
            .filter(|w| with_targets.iter().any(|(id, _)| id == w))
            .or_else(|| with_targets.first().map(|(id, _)| *id));
        let selected = match pid {
            None => None,
            Some(pid) => {
                let f = logis_store::LineFilter {
                    programme_id: Some(pid),
                    ..Default::default()
                };
                let (name, targets, progress) =
                    logis_app::reports::programme_progress(store, &f, current_year)
                        .map_err(reports::app_to_store)?;
                let mut scoped = f.clone();
                scoped.natures = targets.scope.natures();
                let by_landlord =
                    planned_delivered(store, &scoped, logis_store::query::Dim::Landlord)?;
                let by_commune =
                    planned_delivered(store, &scoped, logis_store::query::Dim::CommuneName)?;
                Some((pid, name, targets, progress, by_landlord, by_commune))
            }
        };
        let with_targets_empty = with_targets.is_empty();
        Ok((
            store.summary()?,
            territory,
            with_targets,
            selected,
            // The whole register by landlord and nature, when no programme has targets to show
            // (from the pre-aggregated sums; still the slowest part of this page at 1M lines).
            if with_targets_empty {
                Some(store.aggregate(
                    &logis_store::LineFilter::default(),
                    &[
                        logis_store::query::Dim::Landlord,
                        logis_store::query::Dim::Nature,
                    ],
                )?)
            } else {
                None
            },
        ))
    })
    .await?;
    let totals: Vec<(String, logis_domain::Nature, u64)> = totals
        .iter()
        .flat_map(|t| t.iter())
        .filter_map(|r| {
            let nature = logis_domain::Nature::from_code(r.key(1))?;
            Some((r.key(0).to_string(), nature, r.dwellings.max(0) as u64))
        })
        .collect();
    let natures: Vec<logis_domain::Nature> = logis_domain::Nature::ALL
        .iter()
        .copied()
        .filter(|n| totals.iter().any(|t| t.1 == *n))
        .collect();
    let mut by_landlord: BTreeMap<String, BTreeMap<logis_domain::Nature, u64>> = BTreeMap::new();
    for (landlord, nature, dwellings) in &totals {
        *by_landlord
            .entry(landlord.clone())
            .or_default()
            .entry(*nature)
            .or_default() += dwellings;
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
    let chosen = selected.as_ref().map(|x| x.0);
    let programme = selected.map(|(id, name, t, p, by_landlord, by_commune)| {
        use logis_domain::targets::Bucket;
        let idx = |b: Bucket| Bucket::ALL.iter().position(|x| *x == b).unwrap_or(0);
        let (planned, programmed, delivered) = (
            idx(Bucket::Planned),
            idx(Bucket::Programmed),
            idx(Bucket::Delivered),
        );
        let total = |i: usize| p.totals.get(i).copied().unwrap_or(0);
        let objective = format!(
            "{} {} de {} à {}{}{}",
            t.total.map(n).unwrap_or_else(|| "—".into()),
            t.scope.label(),
            t.first_year,
            t.last_year,
            t.social_percent
                .map(|s| format!(", dont {s} % de logements sociaux"))
                .unwrap_or_default(),
            t.annual_band
                .map(|(lo, hi)| format!(", entre {} et {} par an", n(lo), n(hi)))
                .unwrap_or_default(),
        );
        let mut figures = vec![
            (
                "Logements prévus",
                n(total(planned)),
                t.total
                    .map(|o| format!("{} de l'objectif", pct(total(planned), o)))
                    .unwrap_or_default(),
            ),
            (
                "Logements programmés",
                n(total(programmed)),
                t.total
                    .map(|o| format!("{} de l'objectif", pct(total(programmed), o)))
                    .unwrap_or_default(),
            ),
            (
                "Logements livrés",
                n(total(delivered)),
                t.total
                    .map(|o| format!("{} de l'objectif", pct(total(delivered), o)))
                    .unwrap_or_default(),
            ),
        ];
        figures.push((
            "Part de logements sociaux",
            pct(p.social, p.with_product),
            t.social_percent
                .map(|s| format!("objectif {s} %"))
                .unwrap_or_default(),
        ));
        let projection = match &p.projection {
            Some(pr) => match pr.reached_in {
                Some(y) if y < current_year => format!("Objectif atteint en {y}."),
                Some(y) => format!(
                    "Au rythme de {} logements programmés par an ({}–{}), l'objectif serait atteint en {y}{}.",
                    n(pr.pace),
                    pr.window.0,
                    pr.window.1,
                    if pr.on_time { ", dans les délais" } else { ", après l'échéance" }
                ),
                None => format!(
                    "Aucun logement programmé de {} à {} : pas de projection.",
                    pr.window.0, pr.window.1
                ),
            },
            None => String::new(),
        };
        let bar = |y: &logis_domain::targets::YearProgress, i: usize| {
            y.by_bucket.get(i).copied().unwrap_or(0)
        };
        let chart = chart::year_chart(
            &p.years
                .iter()
                .map(|y| (y.year, bar(y, planned), bar(y, delivered)))
                .collect::<Vec<_>>(),
            t.annual_band,
        );
        ProgrammeView {
            id,
            name,
            objective,
            figures,
            projection,
            chart,
            band: t
                .annual_band
                .map(|(lo, hi)| format!("{} – {}", n(lo), n(hi)))
                .unwrap_or_default(),
            years: p
                .years
                .iter()
                .map(|y| {
                    (
                        y.year,
                        n(bar(y, planned)),
                        n(bar(y, programmed)),
                        n(bar(y, delivered)),
                        y.band.map(|b| b.label()).unwrap_or(""),
                    )
                })
                .collect(),
            by_landlord,
            by_commune,
        }
    });
    let message = if programmes.is_empty() {
        "Aucun programme n'a encore d'objectifs : définissez-les avec « logis objectifs » ou l'API (PUT /api/v1/programmes/{id}/objectifs).".to_string()
    } else {
        String::new()
    };
    Ok(render(&Dashboard {
        chrome: a.chrome("dashboard"),
        territory,
        operations: n(summary.operations),
        lines: n(summary.lines),
        dwellings: n(summary.dwellings),
        organisations: n(summary.organisations),
        programmes: programmes
            .into_iter()
            .map(|(id, name)| (id, name, Some(id) == chosen))
            .collect(),
        programme,
        reports: logis_app::reports::ReportName::ALL
            .iter()
            .map(|r| (r.code(), r.title()))
            .collect(),
        message,
        natures: natures.iter().map(|x| x.label()).collect(),
        rows,
    }))
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

/// A Unix time in local time, with `format` (chrono's).
pub(crate) fn local_time(ts: i64, format: &str) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.with_timezone(&chrono::Local).format(format).to_string())
        .unwrap_or_default()
}
