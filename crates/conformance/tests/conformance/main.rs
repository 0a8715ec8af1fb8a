//! The conformance suite: every body runs on SQLite and on PostgreSQL (the `conformance!`
//! macro below), against real databases. One file per capability; the helpers they share are
//! here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Run each named body on both backends: `<file>::sqlite::<name>` and `<file>::postgres::<name>`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(logis_conformance::Kind::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(logis_conformance::Kind::Postgres) } )*
        }
    };
}

mod accounts;
mod audit;
mod demo;
mod land;
mod occupancy;
mod oidc;
mod plans;
mod proximity;
mod reference;
mod register;
mod register_import;
mod register_reports;
mod relocation;
mod schema_parity;
mod settlement;
mod siap;
mod stock;

use logis_app::register::import::{ImportOptions, import_operations};
use logis_conformance::{Kind, TestDb, actor, admin, principal};
use logis_domain::{Nature, OrgKind, Product, RehabFinancing, Site, Stage};
use logis_io::write::ExportFormat;
use logis_store::{
    FundingItem, FundingKind, LineFilter, NewOrganisation, NewProgramme, StoreError, collect_lines,
};

const HEADER: &str = "reference;bailleur;commune;projet;programme;quartier;libelle;nature;site;produit;financement;logements;annee;stade;date_stade;cout";
/// Windows-1252 bytes of a text whose characters are all in Latin-1 (as French Excel saves).
fn cp1252(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("caractère hors Latin-1"))
        .collect()
}
fn sample_csv() -> String {
    [
        HEADER,
        "OP-1;Vilogia;Dunkerque;;;;Résidence du Port;Construction neuve;;PLUS;;24;2026;Agrément;15/03/2026;3 120 000,50",
        "OP-1;Vilogia;Dunkerque;;;;Résidence du Port;Construction neuve;;PLAI;;8;2026;;;",
        "OP-2;Partenord Habitat;59271;COURGHAIN;;Courghain;Courghain démolition;Démolition;;;;120;2025;;;",
        "OP-2;Partenord Habitat;59271;COURGHAIN;;Courghain;Courghain démolition;Reconstruction;sur_site;PLUS CD;;60;2026;;;",
        "OP-3;flandre opale habitat;Saint Pol sur mer;;;;Réhabilitation rue Faidherbe;REHABILITATION;;;Palulos;45;2027;;;",
        ";;;;;;Total général;;;;;257;;;;",
    ]
    .join("\r\n")
}
fn summary_line_count(db: &TestDb) -> (u64, u64) {
    let s = db.summary().unwrap();
    (s.lines, s.dwellings)
}
fn chrono_date(y: i32, m: u32, d: u32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
}
fn report_rows(
    db: &TestDb,
    name: logis_app::reports::ReportName,
    f: &LineFilter,
) -> Vec<Vec<String>> {
    let r = logis_app::reports::build(db.store.as_ref(), name, f).unwrap();
    r.long_rows
        .iter()
        .map(|row| row.iter().map(|c| c.plain()).collect())
        .collect()
}
fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}
