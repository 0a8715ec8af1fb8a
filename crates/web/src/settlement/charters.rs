//! The local settlement charters' pages: the list with the count signed per year (the seed's
//! indicator), a charter with its quartier's indicators over the surveys, and the EPCI's forms.

use super::{Section, indicator_choices};
use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render_refused};
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use logis_domain::Permission;
use logis_domain::settlement::charter::{CharterForm, CharterStatus};
use logis_store::settlement::occupancy::CharterRecord;

/// The form's values as sent (kept to show them back after an error).
#[derive(Debug, Default, Clone)]
pub(crate) struct Values {
    pub commune: String,
    pub quartier: String,
    pub title: String,
    pub partners: String,
    pub status: String,
    pub signed: String,
    pub objectives: String,
    pub indicators: Vec<String>,
}

impl Values {
    fn of(fields: &[(String, String)]) -> Values {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Values {
            commune: get("commune"),
            quartier: get("quartier"),
            title: get("titre"),
            partners: get("partenaires"),
            status: get("statut"),
            signed: get("signature"),
            objectives: get("objectifs"),
            indicators: fields
                .iter()
                .filter(|(k, _)| k == "indicateurs")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }
    fn from_record(c: &CharterRecord) -> Values {
        let c = &c.charter;
        Values {
            commune: c.commune.as_str().to_string(),
            quartier: c.quartier.clone(),
            title: c.title.clone(),
            partners: c.partners.clone(),
            status: c.status.code().to_string(),
            signed: c
                .signed
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            objectives: c.objectives.clone(),
            indicators: c.indicators.iter().map(|i| i.code().to_string()).collect(),
        }
    }
    fn form(&self) -> CharterForm<'_> {
        CharterForm {
            commune: &self.commune,
            quartier: &self.quartier,
            title: &self.title,
            partners: &self.partners,
            status: &self.status,
            signed: &self.signed,
            objectives: &self.objectives,
            indicators: self.indicators.iter().map(String::as_str).collect(),
        }
    }
    pub fn has(&self, code: &&str) -> bool {
        self.indicators.iter().any(|i| i == code)
    }
}

/// A charter as listed.
pub(crate) struct Row {
    pub id: i64,
    pub commune: String,
    pub quartier: String,
    pub title: String,
    pub status: &'static str,
    pub signed: String,
}

#[derive(Template)]
#[template(path = "settlement/charters.html")]
struct ListPage {
    chrome: Chrome,
    section: Section,
    rows: Vec<Row>,
    per_year: Vec<(i32, u64)>,
    values: Values,
    errors: Vec<(&'static str, String)>,
    saved: bool,
    statuses: Vec<(&'static str, &'static str)>,
    indicators: Vec<(&'static str, &'static str)>,
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    CharterStatus::ALL
        .iter()
        .map(|s| (s.code(), s.label()))
        .collect()
}

async fn list_page(
    s: &AppState,
    a: &Authed,
    values: Values,
    errors: Vec<(&'static str, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let (rows, per_year) = blocking(move || {
        let store = state.store.as_ref();
        let geo = store.geography()?;
        let (list, per_year) =
            logis_app::settlement::occupancy::charters(store).map_err(crate::app_to_store)?;
        let rows = list
            .iter()
            .map(|c| Row {
                id: c.id,
                commune: geo
                    .commune(c.charter.commune.as_str())
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
                quartier: c.charter.quartier.clone(),
                title: c.charter.title.clone(),
                status: c.charter.status.label(),
                signed: c
                    .charter
                    .signed
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
            })
            .collect();
        Ok((rows, per_year))
    })
    .await?;
    let refused = !errors.is_empty();
    Ok(render_refused(
        &ListPage {
            chrome: a.chrome("peuplement"),
            section: Section::of(a),
            rows,
            per_year,
            values,
            errors,
            saved,
            statuses: statuses(),
            indicators: indicator_choices(),
        },
        refused,
    ))
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<super::SavedQuery>,
) -> Result<Response, PageError> {
    list_page(
        &s,
        &a,
        Values::default(),
        Vec::new(),
        !q.enregistre.is_empty(),
    )
    .await
}

/// Save a charter (`id`: an update); the errors, or the id saved.
async fn save(
    s: &AppState,
    a: &Authed,
    id: Option<i64>,
    values: &Values,
) -> Result<Result<i64, Vec<(&'static str, String)>>, PageError> {
    a.require(Permission::EditReference)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let v = values.clone();
    blocking(move || {
        logis_app::settlement::occupancy::save_charter(
            state.store.as_ref(),
            &principal,
            &actor,
            id,
            &v.form(),
        )
        .map_err(crate::app_to_store)
    })
    .await
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let values = Values::of(&fields);
    match save(&s, &a, None, &values).await? {
        Ok(id) => {
            Ok(Redirect::to(&format!("/peuplement/chartes/{id}?enregistre=1")).into_response())
        }
        Err(errors) => list_page(&s, &a, values, errors, false).await,
    }
}

#[derive(Template)]
#[template(path = "settlement/charter.html")]
struct CharterPage {
    chrome: Chrome,
    section: Section,
    id: i64,
    row: Row,
    partners: String,
    objectives: String,
    followed: Vec<&'static str>,
    history: Vec<logis_app::settlement::occupancy::CharterSurvey>,
    values: Values,
    errors: Vec<(&'static str, String)>,
    saved: bool,
    statuses: Vec<(&'static str, &'static str)>,
    indicators: Vec<(&'static str, &'static str)>,
}

async fn charter_page(
    s: &AppState,
    a: &Authed,
    id: i64,
    values: Option<Values>,
    errors: Vec<(&'static str, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let (record, commune, history) = blocking(move || {
        let store = state.store.as_ref();
        let (list, _) =
            logis_app::settlement::occupancy::charters(store).map_err(crate::app_to_store)?;
        let Some(c) = list.into_iter().find(|c| c.id == id) else {
            return Err(logis_store::StoreError::NotFound(format!("charte {id}")));
        };
        let commune = store
            .geography()?
            .commune(c.charter.commune.as_str())
            .map(|x| x.name.clone())
            .unwrap_or_default();
        let h = logis_app::settlement::occupancy::charter_history(store, &c)
            .map_err(crate::app_to_store)?;
        Ok((c, commune, h))
    })
    .await?;
    let c = &record.charter;
    let followed = if c.indicators.is_empty() {
        logis_domain::settlement::occupancy::Indicator::ALL
            .iter()
            .map(|i| i.label())
            .collect()
    } else {
        c.indicators.iter().map(|i| i.label()).collect()
    };
    let refused = !errors.is_empty();
    Ok(render_refused(
        &CharterPage {
            chrome: a.chrome("peuplement"),
            section: Section::of(a),
            id,
            row: Row {
                id,
                commune,
                quartier: c.quartier.clone(),
                title: c.title.clone(),
                status: c.status.label(),
                signed: c
                    .signed
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
            },
            partners: c.partners.clone(),
            objectives: c.objectives.clone(),
            followed,
            history,
            values: values.unwrap_or_else(|| Values::from_record(&record)),
            errors,
            saved,
            statuses: statuses(),
            indicators: indicator_choices(),
        },
        refused,
    ))
}

pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    Query(q): Query<super::SavedQuery>,
) -> Result<Response, PageError> {
    charter_page(&s, &a, id, None, Vec::new(), !q.enregistre.is_empty()).await
}

pub(crate) async fn update(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let values = Values::of(&fields);
    match save(&s, &a, Some(id), &values).await {
        Ok(Ok(id)) => {
            Ok(Redirect::to(&format!("/peuplement/chartes/{id}?enregistre=1")).into_response())
        }
        Ok(Err(errors)) => charter_page(&s, &a, id, Some(values), errors, false).await,
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(e),
        Err(e) => Err(e),
    }
}
