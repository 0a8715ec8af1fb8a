//! The settlement observatory's use cases (issue 21, first part): the first-quartile threshold
//! of each year, and the import of the leases signed (attributions) — every row checked, a
//! lease whose applicant's resources need a threshold not set for its year refused by name, and
//! nothing written on any error.

pub mod occupancy;

use crate::{AppError, Result};
use logis_domain::cells::Cells;
use logis_domain::settlement::{
    LEASE_COLUMNS, LEASE_REQUIRED, Resources, first_quartile, parse_lease,
};
use logis_domain::{Permission, Principal, Role};
use logis_io::RowSource;
use logis_io::read::Layout;
use logis_store::tx::Imported;
use logis_store::{Actor, Store};

/// An attributions file's columns.
pub const LEASES: Layout = Layout {
    columns: LEASE_COLUMNS,
    required: LEASE_REQUIRED,
    informative: &[],
    aliases: &[
        ("numero_bail", "bail"),
        ("date_signature", "date_bail"),
        ("rpls", "logement"),
        ("contingent", "reservataire"),
        ("ressources_par_uc", "ressources_uc"),
        ("relogement_anru", "relogement_renouvellement"),
        ("nb_personnes", "personnes"),
    ],
};

/// A lease's EPCI (its commune's SIREN, or "") and the first-quartile threshold for its year:
/// that EPCI's, else the one set for every EPCI.
fn threshold_of(
    l: &logis_domain::settlement::LeaseDraft,
    geo: &logis_domain::Geography,
    thresholds: &[(i32, String, i64)],
) -> (String, Option<i64>) {
    let year = chrono::Datelike::year(&l.date);
    let epci = geo
        .commune(l.commune.as_str())
        .and_then(|c| c.epci.as_ref())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let t = thresholds
        .iter()
        .find(|(y, e, _)| *y == year && *e == epci)
        .or_else(|| {
            thresholds
                .iter()
                .find(|(y, e, _)| *y == year && e.is_empty())
        })
        .map(|(_, _, c)| *c);
    (epci, t)
}

/// Set the first-quartile threshold of `year` (euros a year per consumption unit), for one EPCI
/// (its SIREN) or for every one; the EPCI sets it (it is published by arrêté every year).
pub fn set_threshold(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    year: i32,
    euros: &str,
    epci: Option<&str>,
) -> Result<()> {
    if !principal.may(Permission::EditReference) {
        return Err(AppError::Invalid(
            "seul l'EPCI fixe le seuil du premier quartile".into(),
        ));
    }
    if !(2000..=2100).contains(&year) {
        return Err(AppError::Invalid(format!(
            "année « {year} » : une année entre 2000 et 2100 attendue"
        )));
    }
    let cents = logis_domain::numbers::parse_amount_cents(euros)
        .filter(|c| *c > 0)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "montant « {euros} » : des euros par an et par unité de consommation attendus"
            ))
        })?;
    let epci = match epci.map(str::trim).filter(|e| !e.is_empty()) {
        None => String::new(),
        Some(e) => {
            let geo = store.geography()?;
            geo.epci(e)
                .map(|x| x.siren.as_str().to_string())
                .ok_or_else(|| AppError::Invalid(format!("EPCI « {e} » inconnu (SIREN attendu)")))?
        }
    };
    Ok(store.set_threshold(actor, year, &epci, cents)?)
}

/// Import (or check) leases signed: the EPCI any landlord's, a landlord's editor its own.
pub fn import_attributions(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    source: Box<dyn RowSource>,
    commit: bool,
) -> Result<Imported> {
    let own = match principal.role {
        Role::Admin | Role::Agent => None,
        Role::LandlordEditor if principal.organisation_id.is_some() => principal.organisation_id,
        _ => {
            return Err(AppError::Invalid(
                "seuls l'EPCI et les bailleurs (saisie) importent les attributions".into(),
            ));
        }
    };
    let geo = crate::reference::geography(store)?.0;
    let (_, landlords) = crate::land::landlords(store)?;
    let thresholds = store.thresholds()?;
    let today = chrono::Local::now().date_naive();
    let mut seen = std::collections::HashMap::new();
    let known = store.known_qpvs()?;
    let mut check = |row: u64, cells: &Cells<'_>| {
        // (A lease without its commune or QPV takes them from its dwelling in the stock.)
        let place = match (
            cells.get("commune"),
            cells.get("qpv"),
            cells.get("logement"),
        ) {
            (Some(_), Some(_), _) | (_, _, None) => None,
            (_, _, Some(id)) => store
                .stock_place(id)
                .map_err(|e| vec![("logement".to_string(), format!("parc illisible : {e}"))])?,
        };
        let d = parse_lease(cells, &geo, &landlords, today, place.as_ref())
            .map_err(crate::rows::problems)?;
        let one = |column: &str, message: String| Err(vec![(column.to_string(), message)]);
        if let Some(code) = &d.qpv
            && !known.is_empty()
            && !known.contains(code)
        {
            return one("qpv", format!("QPV « {code} » inconnu du territoire"));
        }
        if own.is_some_and(|o| o != d.landlord) {
            return one(
                "bailleur",
                "vous n'importez que les attributions de votre organisation".into(),
            );
        }
        if let Some(Resources::PerUnitCents(_)) = d.resources {
            let (_, t) = threshold_of(&d, &geo, &thresholds);
            if let Err(m) = first_quartile(&d, t) {
                return one("ressources_uc", m);
            }
        }
        if let Some(first) = seen.insert((d.landlord, d.lease.clone()), row) {
            return one(
                "bail",
                format!("le bail « {} » est déjà à la ligne {first}", d.lease),
            );
        }
        Ok(d)
    };
    // (Each lease's EPCI and first quartile, for the targets' sums the store keeps.)
    let classify = |l: &logis_domain::settlement::LeaseDraft| {
        let (epci, t) = threshold_of(l, &geo, &thresholds);
        (epci, first_quartile(l, t).unwrap_or(None))
    };
    Ok(
        match crate::rows::import(source, &LEASES, &mut check, commit, |fill| {
            store.write_leases(actor, &classify, fill)
        })? {
            crate::rows::Imported::Written(out) => out,
            crate::rows::Imported::RolledBack(streamed) => Imported {
                problems: streamed.problems,
                ..Default::default()
            },
        },
    )
}

/// The stable columns of the `attributions` CSV.
pub const TARGET_COLUMNS: &[&str] = &[
    "annee",
    "echelle",
    "code",
    "libelle",
    "baux_hors_qpv",
    "dont_q1_ou_reloges",
    "part_q1_hors_qpv",
    "baux_qpv",
    "dont_autres_quartiles",
    "part_autres_qpv",
    "baux",
    "dont_prioritaires",
    "part_prioritaires",
];

/// The attribution targets per year and per EPCI, landlord and reservation holder (`logis report
/// attributions`): leases outside QPV and of those to first-quartile or relocated households,
/// against 25 %; leases in QPV and of those to the other quartiles, against 50 %; leases and of
/// those to priority (DALO) households, against 25 % — each short of its target said so. Leases
/// are personal data: counts under 5 are « < 5 » (with the shares they would reveal), through
/// `domain::secrecy`, for everyone.
pub fn attributions_report(store: &dyn Store) -> Result<logis_io::report::Report> {
    use logis_domain::secrecy::{Shown, suppress, total};
    use logis_domain::settlement::TargetSums;
    use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
    use std::collections::BTreeMap;
    let geo = store.geography()?;
    let orgs = store.organisations()?;
    // (The sums per year and EPCI, landlord or reservation holder, kept by the store.)
    let mut areas: BTreeMap<(i32, u8, String), (String, TargetSums)> = BTreeMap::new();
    for (year, scale, code, sums) in store.lease_sums()? {
        let (rank, label) = match scale.as_str() {
            "epci" => (
                0u8,
                geo.epci(&code).map(|e| e.name.clone()).unwrap_or_default(),
            ),
            "bailleur" => (
                1,
                orgs.iter()
                    .find(|o| o.id.to_string() == code)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
            ),
            _ => (
                2,
                logis_domain::settlement::ReservationHolder::from_code(&code)
                    .map(|h| h.label().to_string())
                    .unwrap_or_default(),
            ),
        };
        areas.insert((year, rank, code), (label, sums));
    }
    // Secrecy: each target's part and the rest of its base, the base shown as a total.
    // ((year, scale rank, code), (label, sums))
    type Area<'a> = (&'a (i32, u8, String), &'a (String, TargetSums));
    let rows: Vec<Area<'_>> = areas.iter().collect();
    let table = |part: fn(&TargetSums) -> (u64, u64)| {
        suppress(
            &rows
                .iter()
                .map(|(_, (_, s))| {
                    let (p, w) = part(s);
                    vec![p, w.saturating_sub(p)]
                })
                .collect::<Vec<_>>(),
        )
    };
    let outside = table(|s| (s.q1_or_relocated, s.outside_qpv));
    let inside = table(|s| (s.other_quartiles, s.in_qpv));
    let priority = table(|s| (s.priority, s.leases));
    let shown = |s: Shown| match s {
        Shown::Count(n) => Cell::Int(i64::try_from(n).unwrap_or(i64::MAX)),
        Shown::Hidden => Cell::text(logis_domain::secrecy::HIDDEN),
    };
    let share =
        |part: Option<&Vec<Shown>>, whole: u64, target: f64| match part.and_then(|p| p.first()) {
            Some(Shown::Count(n)) if whole > 0 && total(whole) != Shown::Hidden => {
                let v = *n as f64 * 100.0 / whole as f64;
                let text = logis_domain::numbers::decimal_fr(v, 1);
                Cell::text(if v < target {
                    format!("{text} (sous {target:.0} %)")
                } else {
                    text
                })
            }
            Some(_) if whole > 0 => Cell::text("secret"),
            _ => Cell::Empty,
        };
    let scales = ["epci", "bailleur", "reservataire"];
    let mut long = Vec::new();
    let mut grid = Vec::new();
    for (i, ((year, rank, code), (label, s))) in rows.iter().enumerate() {
        let row = vec![
            Cell::Int(i64::from(*year)),
            Cell::text(scales.get(usize::from(*rank)).copied().unwrap_or("")),
            Cell::text(code.clone()),
            Cell::text(label.clone()),
            shown(total(s.outside_qpv)),
            outside
                .get(i)
                .and_then(|r| r.first())
                .copied()
                .map_or(Cell::Empty, shown),
            share(outside.get(i), s.outside_qpv, 25.0),
            shown(total(s.in_qpv)),
            inside
                .get(i)
                .and_then(|r| r.first())
                .copied()
                .map_or(Cell::Empty, shown),
            share(inside.get(i), s.in_qpv, 50.0),
            shown(total(s.leases)),
            priority
                .get(i)
                .and_then(|r| r.first())
                .copied()
                .map_or(Cell::Empty, shown),
            share(priority.get(i), s.leases, 25.0),
        ];
        grid.push(GridRow {
            kind: RowKind::Detail,
            cells: row.clone(),
        });
        long.push(row);
    }
    Ok(Report {
        name: "attributions",
        title: "Objectifs d'attribution (loi Égalité et Citoyenneté)".into(),
        scope: "par année, EPCI, bailleur et réservataire".into(),
        notes: vec![
            "Hors QPV, au moins 25 % des baux aux demandeurs du premier quartile ou aux ménages relogés par le renouvellement urbain ; en QPV, au moins 50 % aux demandeurs des autres quartiles ; pour chaque réservataire, au moins 25 % aux ménages prioritaires (DALO).".into(),
            format!("Données personnelles : un effectif de moins de 5 s'affiche « {} », et avec lui ce qui permettrait de le recalculer.", logis_domain::secrecy::HIDDEN),
        ],
        long_columns: TARGET_COLUMNS.to_vec(),
        long_rows: long,
        grid: Grid {
            groups: Vec::new(),
            header: TARGET_COLUMNS.iter().map(|c| c.to_string()).collect(),
            row_header_columns: 4,
            rows: grid,
        },
    })
}
