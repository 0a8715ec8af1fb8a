//! The référentiel: the territory and its communes, the organisations, programmes, projects and
//! quartiers that operations refer to (read-only pages; the CLI and the API change them).

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, n, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use logis_domain::Permission;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "reference/reference.html")]
struct ReferencePage {
    chrome: Chrome,
    territory: String,
    /// (code, name, population)
    communes: Vec<(String, String, String)>,
    population: String,
    /// (kind, name, siren, commune)
    organisations: Vec<(&'static str, String, String, String)>,
    /// (name, period, targets defined)
    programmes: Vec<(i64, String, String, bool)>,
    /// (name, kind, programme)
    projects: Vec<(String, &'static str, String)>,
    /// (name, kind, commune)
    quartiers: Vec<(String, &'static str, String)>,
}

pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReference)?;
    let state = s.clone();
    let (geo, territory, orgs, programmes, projects, quartiers) = blocking(move || {
        let st = state.store.as_ref();
        let programmes = st
            .programmes()?
            .into_iter()
            .map(|p| {
                let t = st.targets(p.id)?.is_some();
                Ok((p, t))
            })
            .collect::<Result<Vec<_>, logis_store::StoreError>>()?;
        Ok((
            state.geography()?,
            logis_app::reference::territory(st).map_err(crate::app_to_store)?,
            st.organisations()?,
            programmes,
            st.projects()?,
            st.quartiers()?,
        ))
    })
    .await?;
    let commune_name = |code: &str| {
        geo.commune(code)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let mut communes: Vec<(String, String, u64)> = match &territory {
        Some(t) => geo
            .territory_members(t)
            .map(|c| {
                (
                    c.code.as_str().to_string(),
                    c.name.clone(),
                    u64::from(c.population.unwrap_or(0)),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    communes.sort_by(|a, b| a.1.cmp(&b.1));
    let population = communes.iter().map(|c| c.2).sum();
    Ok(render(&ReferencePage {
        chrome: a.chrome("referentiel"),
        territory: territory
            .as_ref()
            .map(|t| {
                t.parts()
                    .iter()
                    .map(|p| match p {
                        logis_domain::TerritoryPart::Epci(s) => geo
                            .epci(s.as_str())
                            .map(|e| format!("{} ({}, SIREN {})", e.name, e.kind, e.siren.as_str()))
                            .unwrap_or_else(|| format!("EPCI {s}")),
                        logis_domain::TerritoryPart::Department(d) => format!("département {d}"),
                    })
                    .collect::<Vec<_>>()
                    .join(" ; ")
            })
            .unwrap_or_default(),
        communes: communes
            .into_iter()
            .map(|(code, name, pop)| (code, name, n(pop)))
            .collect(),
        population: n(population),
        organisations: orgs
            .iter()
            .map(|o| {
                (
                    o.kind.label(),
                    o.name.clone(),
                    o.siren
                        .as_ref()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    o.commune
                        .as_ref()
                        .map(|c| commune_name(c.as_str()))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        programmes: programmes
            .iter()
            .map(|(p, t)| {
                let period = match (p.start_year, p.end_year) {
                    (Some(a), Some(b)) => format!("{} – {}", a.get(), b.get()),
                    (Some(a), None) => format!("depuis {}", a.get()),
                    (None, Some(b)) => format!("jusqu'en {}", b.get()),
                    (None, None) => String::new(),
                };
                (p.id, p.name.clone(), period, *t)
            })
            .collect(),
        projects: projects
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.kind.label(),
                    p.programme_id
                        .and_then(|id| programmes.iter().find(|(x, _)| x.id == id))
                        .map(|(x, _)| x.name.clone())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        quartiers: quartiers
            .iter()
            .map(|q| {
                (
                    q.name.clone(),
                    q.kind.label(),
                    commune_name(q.commune.as_str()),
                )
            })
            .collect(),
    }))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CommuneQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "reference/communes.html")]
struct CommunesPage {
    chrome: Chrome,
    q: String,
    items: Vec<(String, String, String, String, String)>,
}

pub(crate) async fn communes(
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
                    .map(|p| logis_domain::numbers::group_thousands(i64::from(p)))
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
