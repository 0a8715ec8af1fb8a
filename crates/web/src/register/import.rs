//! The import pages: upload a CSV or XLSX file → preview of what would change (or the list of
//! errors with row and column, and the declared totals that disagree with their detail) →
//! confirmation, which imports the same file for real. Between preview and confirmation the file
//! waits in a private temporary directory under a random name bound to the user.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use logis_app::register::import::{ImportOptions, ImportReport, import_operations};
use logis_domain::{Permission, Role};
use std::path::PathBuf;

/// Largest file the web import accepts.
pub const UPLOAD_LIMIT: usize = 64 << 20;
/// How long an uploaded file waits for its confirmation.
const KEEP_SECS: u64 = 3600;

#[derive(Template)]
#[template(path = "register/import.html")]
struct ImportPage {
    chrome: Chrome,
    /// Empty: the upload form; else the name of the file checked or imported.
    file_name: String,
    error: String,
    /// Set when the file is clean and waits for confirmation.
    pending: String,
    committed: bool,
    report: ImportReport,
    problems_total: u64,
    columns: &'static [&'static str],
    required: &'static [&'static str],
}

fn page(a: &Authed) -> ImportPage {
    ImportPage {
        chrome: a.chrome("import"),
        file_name: String::new(),
        error: String::new(),
        pending: String::new(),
        committed: false,
        report: ImportReport::default(),
        problems_total: 0,
        columns: logis_domain::register::line::COLUMNS,
        required: logis_domain::register::line::REQUIRED,
    }
}

impl ImportPage {
    fn fmt(&self, v: impl std::borrow::Borrow<u64>) -> String {
        crate::n(*v.borrow())
    }
}

pub(crate) async fn form(Extension(a): Extension<Authed>) -> Result<Response, PageError> {
    a.require(Permission::WriteOperations)?;
    Ok(render(&page(&a)))
}

/// The directory where uploads wait, created private.
fn spool() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join("logis-imports");
    std::fs::create_dir_all(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(dir)
}

/// Remove uploads older than [`KEEP_SECS`].
fn sweep(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > KEEP_SECS);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn pending_path(dir: &std::path::Path, user_id: i64, id: &str) -> Option<PathBuf> {
    crate::accounts::auth::plausible_token(id).then(|| dir.join(format!("{user_id}-{id}")))
}

fn only_landlord(a: &Authed) -> Option<i64> {
    match a.principal.role {
        Role::Admin => None,
        _ => a.principal.organisation_id,
    }
}

fn internal(e: impl std::fmt::Display) -> PageError {
    tracing::error!("import : {e}");
    PageError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: "Erreur interne pendant l'import.".into(),
    }
}

/// Run the import of `bytes` (check only unless `commit`).
async fn run(
    s: &AppState,
    a: &Authed,
    bytes: Vec<u8>,
    commit: bool,
) -> Result<Result<ImportReport, String>, PageError> {
    let store = s.store.clone();
    let actor = a.actor();
    let only = only_landlord(a);
    blocking(move || {
        let mut src = match logis_io::open_bytes(bytes) {
            Ok(s) => s,
            Err(e) => return Ok(Err(format!("fichier illisible : {e}"))),
        };
        import_operations(
            store.as_ref(),
            &actor,
            src.as_mut(),
            &ImportOptions {
                commit,
                territory: None,
                only_landlord: only,
            },
            &mut |_| {},
        )
        .map(Ok)
        .map_err(crate::app_to_store)
    })
    .await
}

fn with_report(mut p: ImportPage, report: ImportReport) -> ImportPage {
    p.problems_total = report.problems.len() as u64 + report.problems_not_listed;
    p.committed = report.committed;
    p.report = report;
    p
}

pub(crate) async fn upload(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    a.require(Permission::WriteOperations)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let mut p = page(&a);
                p.error = format!("envoi interrompu ou trop volumineux (64 Mio au plus) : {e}");
                let mut res = render(&p);
                *res.status_mut() = StatusCode::BAD_REQUEST;
                return Ok(res);
            }
        };
        if field.name() == Some("fichier") {
            let name: String = field
                .file_name()
                .unwrap_or("fichier")
                .chars()
                .take(200)
                .collect();
            match field.bytes().await {
                Ok(b) => file = Some((name, b.to_vec())),
                Err(e) => {
                    let mut p = page(&a);
                    p.error = format!("envoi interrompu ou trop volumineux (64 Mio au plus) : {e}");
                    let mut res = render(&p);
                    *res.status_mut() = StatusCode::BAD_REQUEST;
                    return Ok(res);
                }
            }
        }
    }
    let mut p = page(&a);
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        p.error = "Choisissez un fichier CSV ou XLSX à importer.".into();
        let mut res = render(&p);
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    p.file_name = name;
    let report = match run(&s, &a, bytes.clone(), false).await? {
        Ok(r) => r,
        Err(message) => {
            p.error = message;
            let mut res = render(&p);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
    };
    let clean = !report.has_errors();
    if clean {
        let id = logis_app::accounts::random_token().map_err(internal)?;
        let dir = spool().map_err(internal)?;
        sweep(&dir);
        let path = pending_path(&dir, a.user.id, &id).ok_or_else(|| internal("nom"))?;
        std::fs::write(&path, &bytes).map_err(internal)?;
        std::fs::write(path.with_extension("nom"), p.file_name.as_bytes()).map_err(internal)?;
        p.pending = id;
    }
    let mut res = render(&with_report(p, report));
    if !clean {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct Confirm {
    #[serde(default)]
    fichier: String,
}

pub(crate) async fn confirm(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(c): axum::Form<Confirm>,
) -> Result<Response, PageError> {
    a.require(Permission::WriteOperations)?;
    let dir = spool().map_err(internal)?;
    let path = pending_path(&dir, a.user.id, &c.fichier);
    let bytes = path.as_ref().and_then(|p| std::fs::read(p).ok());
    let mut p = page(&a);
    let Some(bytes) = bytes else {
        p.error = "Ce fichier n'est plus en attente (déjà importé, ou vérifié il y a plus d'une heure) : envoyez-le de nouveau.".into();
        let mut res = render(&p);
        *res.status_mut() = StatusCode::GONE;
        return Ok(res);
    };
    let name_path = path.as_ref().map(|p| p.with_extension("nom"));
    p.file_name = name_path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_else(|| "fichier".into());
    let report = run(&s, &a, bytes, true).await?;
    if let Some(path) = &path {
        let _ = std::fs::remove_file(path);
    }
    if let Some(path) = &name_path {
        let _ = std::fs::remove_file(path);
    }
    match report {
        Ok(r) => {
            let failed = r.has_errors();
            let mut res = render(&with_report(p, r));
            if failed {
                *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Ok(res)
        }
        Err(message) => {
            p.error = message;
            let mut res = render(&p);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

/// An empty file in the exchange format, with one example row, for Excel (`;`, UTF-8 BOM).
pub(crate) async fn template_csv(Extension(a): Extension<Authed>) -> Result<Response, PageError> {
    a.require(Permission::WriteOperations)?;
    let columns: Vec<&str> = logis_domain::register::line::COLUMNS
        .iter()
        .copied()
        .filter(|c| !logis_domain::register::line::INFORMATIVE.contains(c))
        .collect();
    let example = [
        ("reference", "VIL-2027-01"),
        ("bailleur", "Vilogia"),
        ("commune", "Grande-Synthe"),
        ("libelle", "Résidence du Canal"),
        ("nature", "Construction neuve"),
        ("produit", "PLUS"),
        ("logements", "24"),
        ("annee", "2027"),
        ("stade", "Programmé"),
    ];
    let row: Vec<&str> = columns
        .iter()
        .map(|c| {
            example
                .iter()
                .find(|(k, _)| k == c)
                .map(|(_, v)| *v)
                .unwrap_or("")
        })
        .collect();
    let body = format!("\u{feff}{}\r\n{}\r\n", columns.join(";"), row.join(";"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"logis-modele-import.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
