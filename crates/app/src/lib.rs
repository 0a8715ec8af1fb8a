//! logis use cases, shared by the CLI and the web: set up a database, import and export
//! operations, load the demo territory. Handlers and commands stay thin and call these.
//!
//! A capability is a module: `register` (import, export, the operation form, targets) with its
//! `reports`, `accounts` (passwords, sessions, tokens, throttling), `reference` (the reference
//! data and the territory), `land` (the land bank, grouped tenders, their reports); `demo` loads every capability's demo data, `cache` keeps answers
//! while nothing they read has changed.

pub mod accounts;
pub mod cache;
pub mod demo;
pub mod land;
pub mod oidc;
pub mod plans;
pub mod proximity;
pub mod reference;
pub mod register;
pub mod relocation;
pub mod reports;
pub mod rows;
pub mod settlement;
pub mod siap;
pub mod stock;

use logis_io::ReadError;
use logis_io::write::WriteError;
use logis_store::StoreError;

/// Errors of a use case. French, shown to users as they are.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(
        "les données de référence (communes, EPCI) ne sont pas chargées : lancez d'abord « logis init »"
    )]
    NoReference,
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, AppError>;

/// A header's problems as the import reports them: on row 1, with their column.
pub(crate) fn header_refusal(
    problems: Vec<logis_io::read::HeaderProblem>,
) -> Vec<logis_store::RowProblem> {
    problems
        .into_iter()
        .map(|p| logis_store::RowProblem {
            row: 1,
            column: p.column,
            message: p.message,
        })
        .collect()
}

/// The default database of the CLI and the server.
pub const DEFAULT_DATABASE: &str = "sqlite://logis.db";

/// A Unix time in the server's local time, with `format` (chrono's).
pub fn local_time(ts: i64, format: &str) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.with_timezone(&chrono::Local).format(format).to_string())
        .unwrap_or_default()
}
