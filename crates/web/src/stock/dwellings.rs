//! The RPLS dwellings one by one (`/parc/logements`): the complete file's rents, occupancy and
//! reservations, read by the EPCI (every landlord's) and by a landlord's users (their own,
//! matched by their organisation's SIREN); everyone else reads the aggregates only (403).

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use logis_domain::numbers::format_euros_cents;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, Clone)]
pub(crate) struct DwellingsQuery {
    #[serde(default)]
    commune: String,
    #[serde(default)]
    millesime: String,
}

/// One dwelling as the page shows it.
pub(crate) struct Shown {
    id: String,
    qpv: String,
    building: String,
    rooms: String,
    surface: String,
    built: String,
    financing: String,
    occupancy: String,
    rent: String,
    class: String,
    reservation: String,
    landlord: String,
}

#[derive(Template)]
#[template(path = "stock/dwellings.html")]
struct DwellingsPage {
    chrome: Chrome,
    commune: String,
    commune_name: String,
    vintages: Vec<(i32, bool)>,
    rows: Vec<Shown>,
    more: bool,
    own_only: bool,
}

fn occupancy(mode: Option<i64>) -> &'static str {
    match mode {
        Some(1) => "loué",
        Some(2) => "vacant, proposé à la location",
        Some(3) => "vide (travaux, démolition, vente)",
        Some(4) => "loué à une association",
        Some(5) => "occupé autrement",
        Some(9) => "sans objet",
        _ => "",
    }
}

fn reservation(code: Option<i64>) -> &'static str {
    match code {
        Some(1) => "État (fonctionnaires)",
        Some(2) => "État (publics prioritaires)",
        Some(3) => "Action Logement",
        Some(4) => "collectivités, EPCI",
        Some(5) => "État (R.314)",
        Some(6) => "autre",
        Some(7) => "non réservé",
        _ => "",
    }
}

pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<DwellingsQuery>,
) -> Result<Response, PageError> {
    let Some(scope) = a.principal.stock_dwellings() else {
        return Err(PageError {
            status: StatusCode::FORBIDDEN,
            message: "Les logements un par un (loyers, occupation, réservations) sont réservés à l'EPCI et au bailleur qui les possède ; les indicateurs agrégés sont sur la page « Parc social ».".into(),
        });
    };
    let state = s.clone();
    let query = q.clone();
    let (vintages, chosen, commune, commune_name, rows) = blocking(move || {
        let store = state.store.as_ref();
        let bad = |m: String| logis_store::StoreError::Invalid(m);
        let held = store.stock_vintages()?;
        let chosen = match query.millesime.trim() {
            "" => held.last().map(|v| v.vintage),
            t => Some(
                t.parse::<i32>()
                    .ok()
                    .filter(|v| held.iter().any(|h| h.vintage == *v))
                    .ok_or_else(|| bad(format!("millésime « {t} » non importé")))?,
            ),
        };
        let geo = store.geography()?;
        let (commune, name) = match query.commune.trim() {
            "" => (String::new(), String::new()),
            t => {
                let c = geo.resolve(t, None).map_err(|e| bad(e.to_string()))?;
                (c.code.as_str().to_string(), c.name.clone())
            }
        };
        // A landlord's users read their landlord's dwellings, matched by its SIREN.
        let landlord = match scope {
            None => None,
            Some(org) => Some(
                store
                    .organisations()?
                    .into_iter()
                    .find(|o| o.id == org)
                    .and_then(|o| o.siren.map(|s| s.as_str().to_string()))
                    .unwrap_or_else(|| "-".into()),
            ),
        };
        let rows = match (chosen, commune.is_empty()) {
            (Some(v), false) => store.stock_dwellings(v, &commune, landlord.as_deref())?,
            _ => Vec::new(),
        };
        Ok((held, chosen, commune, name, rows))
    })
    .await?;
    let more = rows.len() > 500;
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let shown = rows
        .into_iter()
        .take(500)
        .map(|d| Shown {
            id: d.id.unwrap_or_default(),
            qpv: d.qpv.unwrap_or_default(),
            building: d.building.unwrap_or_default(),
            rooms: opt(d.rooms),
            surface: d
                .surface_cm2
                .map(|c| format!("{},{:02}", c / 100, c % 100))
                .unwrap_or_default(),
            built: opt(d.built),
            financing: d
                .financing
                .map(|f| {
                    let code = f.to_string();
                    match logis_domain::stock::financing_label(&code) {
                        "" => code,
                        l => l.to_string(),
                    }
                })
                .unwrap_or_default(),
            occupancy: occupancy(d.mode).to_string(),
            rent: d.rent_cents.map(format_euros_cents).unwrap_or_default(),
            class: logis_domain::stock::energy_class(
                d.energy
                    .as_deref()
                    .and_then(|l| logis_domain::stock::Letter::parse(l).ok().flatten()),
                d.ghg
                    .as_deref()
                    .and_then(|l| logis_domain::stock::Letter::parse(l).ok().flatten()),
            )
            .map(|l| l.code().to_string())
            .unwrap_or_default(),
            reservation: reservation(d.reservation).to_string(),
            landlord: d.landlord_siren.unwrap_or_default(),
        })
        .collect();
    Ok(render(&DwellingsPage {
        chrome: a.chrome("parc"),
        commune,
        commune_name,
        vintages: vintages
            .iter()
            .rev()
            .map(|v| (v.vintage, Some(v.vintage) == chosen))
            .collect(),
        rows: shown,
        more,
        own_only: scope.is_some(),
    }))
}
