//! The joint action plan's pages: the actions the user reads (the EPCI and the partnerships'
//! members) with their progress, the counts per theme and status for everyone else, the form
//! proposing an action (prefilled from a finding: `?constat=…&bailleur=…&residence=…&commune=…`),
//! an action's page with its decisions, and the committee's workbook.

use super::Section;
use crate::accounts::auth::{Authed, forbidden};
use crate::{AppState, Chrome, PageError, blocking, render_refused};
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use logis_app::plans::actions::{ActionFields, ActionView};
use logis_domain::Permission;
use logis_domain::plans::actions::{ActionKind, ActionStatus};
use logis_store::plans::actions::LinkKind;
use serde::Deserialize;

type Errors = Vec<(&'static str, String)>;

fn fields_of(f: &[(String, String)]) -> ActionFields {
    let get = |k: &str| super::field(f, k);
    ActionFields {
        title: get("titre"),
        kind: get("type"),
        status: get("statut"),
        partnership: get("partenariat"),
        lead: get("pilote"),
        landlords: f
            .iter()
            .filter(|(k, _)| k == "bailleurs")
            .map(|(_, v)| v.clone())
            .collect(),
        communes: get("communes"),
        residences: get("residences"),
        operations: get("operations"),
        sites: get("sites"),
        first_year: get("annee_debut"),
        last_year: get("annee_fin"),
        detail: get("detail"),
        origin: get("origine"),
    }
}

fn fields_from(a: &ActionView) -> ActionFields {
    let r = &a.record.action;
    let targets = |k: LinkKind| {
        a.record
            .links(k)
            .map(|l| l.label.clone())
            .collect::<Vec<_>>()
    };
    ActionFields {
        title: r.draft.title.clone(),
        kind: r.draft.kind.code().into(),
        status: r.draft.status.code().into(),
        partnership: a.partnership.clone(),
        lead: a.lead.clone(),
        landlords: targets(LinkKind::Landlord),
        communes: targets(LinkKind::Commune).join(", "),
        // A residence's label is « Résidence (Commune), Bailleur »: back to « Résidence,
        // Commune, Bailleur ».
        residences: a
            .record
            .links(LinkKind::Residence)
            .map(|l| {
                let (head, owner) = l.label.rsplit_once(", ").unwrap_or((l.label.as_str(), ""));
                match head.rsplit_once(" (") {
                    Some((n, c)) => format!("{n}, {}, {owner}", c.trim_end_matches(')')),
                    None => head.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        operations: targets(LinkKind::Operation).join(", "),
        sites: targets(LinkKind::Site).join(", "),
        first_year: r
            .draft
            .first_year
            .map(|y| y.to_string())
            .unwrap_or_default(),
        last_year: r.draft.last_year.map(|y| y.to_string()).unwrap_or_default(),
        detail: r.draft.detail.clone(),
        origin: r.origin.clone(),
    }
}

/// The form's choices.
pub(crate) struct Choices {
    pub kinds: Vec<(&'static str, &'static str)>,
    pub statuses: Vec<(&'static str, &'static str)>,
    /// The partnerships the user proposes actions in.
    pub partnerships: Vec<String>,
    /// Their members (for the lead) and their landlords.
    pub members: Vec<String>,
    pub landlords: Vec<String>,
}

impl Choices {
    pub fn landlord_checked(&self, f: &ActionFields, name: &&String) -> bool {
        f.landlords.iter().any(|l| l == *name)
    }
}

fn choices(store: &dyn logis_store::Store, a: &Authed) -> Result<Choices, logis_store::StoreError> {
    let orgs = store.organisations()?;
    let mine: Vec<_> = store
        .partnerships()?
        .into_iter()
        .filter(|p| logis_app::plans::actions::writes_actions(&a.principal, p))
        .collect();
    let mut members: Vec<String> = Vec::new();
    let mut landlords: Vec<String> = Vec::new();
    for o in &orgs {
        if mine.iter().any(|p| p.members.contains(&o.id)) {
            members.push(o.name.clone());
            if o.kind == logis_domain::register::vocab::OrgKind::Landlord {
                landlords.push(o.name.clone());
            }
        }
    }
    Ok(Choices {
        kinds: ActionKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        statuses: ActionStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        partnerships: mine.into_iter().map(|p| p.name).collect(),
        members,
        landlords,
    })
}

#[derive(Template)]
#[template(path = "plans/actions.html")]
struct ListPage {
    chrome: Chrome,
    section: Section,
    actions: Vec<ActionView>,
    counts: Vec<(&'static str, &'static str, u64)>,
    choices: Choices,
    values: ActionFields,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    constat: String,
    #[serde(default)]
    bailleur: String,
    #[serde(default)]
    residence: String,
    #[serde(default)]
    commune: String,
}

async fn list_page(
    s: &AppState,
    a: &Authed,
    q: ListQuery,
    values: Option<ActionFields>,
    errors: Errors,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let authed = a.clone();
    let (actions, counts, choices, values) = blocking(move || {
        let store = state.store.as_ref();
        let p = &authed.principal;
        let actions =
            logis_app::plans::actions::actions_for(store, p).map_err(crate::app_to_store)?;
        let counts = logis_app::plans::actions::action_counts(store)
            .map_err(crate::app_to_store)?
            .into_iter()
            .map(|(t, s, n)| (t, s.label(), n))
            .collect();
        let choices = choices(store, &authed)?;
        let values = match values {
            Some(v) => v,
            None if !q.constat.is_empty() && !choices.partnerships.is_empty() => {
                logis_app::plans::actions::proposal(
                    store,
                    p,
                    &q.constat,
                    &q.bailleur,
                    &q.residence,
                    &q.commune,
                )
                .map_err(crate::app_to_store)?
            }
            None => ActionFields {
                partnership: choices.partnerships.first().cloned().unwrap_or_default(),
                ..Default::default()
            },
        };
        Ok((actions, counts, choices, values))
    })
    .await?;
    let refused = !errors.is_empty();
    Ok(render_refused(
        &ListPage {
            chrome: a.chrome("psp"),
            section: Section::of(a),
            actions,
            counts,
            choices,
            values,
            errors,
        },
        refused,
    ))
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    list_page(&s, &a, q, None, Vec::new()).await
}

/// Save (`id`: change) an action from the form; the errors, or the id.
async fn save(
    s: &AppState,
    a: &Authed,
    id: Option<i64>,
    values: &ActionFields,
) -> Result<Result<i64, Errors>, PageError> {
    if !Section::of(a).writes() {
        return Err(forbidden());
    }
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let v = values.clone();
    let out = blocking(move || {
        Ok(logis_app::plans::actions::save_action(
            state.store.as_ref(),
            &principal,
            &actor,
            id,
            &v,
        ))
    })
    .await?;
    match out {
        Ok(r) => Ok(r),
        // The app refuses a partnership or an action the user does not write.
        Err(logis_app::AppError::Invalid(_)) => Err(forbidden()),
        Err(e) => Err(crate::app_to_store(e).into()),
    }
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let values = fields_of(&fields);
    match save(&s, &a, None, &values).await? {
        Ok(id) => Ok(Redirect::to(&format!("/psp/actions/{id}?enregistre=1")).into_response()),
        Err(errors) => list_page(&s, &a, ListQuery::default(), Some(values), errors).await,
    }
}

#[derive(Template)]
#[template(path = "plans/action.html")]
struct ActionPage {
    chrome: Chrome,
    section: Section,
    action: ActionView,
    /// The user changes it (the EPCI, its lead's or landlords' editors).
    writes: bool,
    choices: Choices,
    values: ActionFields,
    errors: Errors,
    decision: DecisionForm,
    decision_errors: Errors,
    saved: bool,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    statut: String,
}

/// What an action's page shows after a form.
#[derive(Default)]
struct Shown {
    values: Option<ActionFields>,
    errors: Errors,
    decision: DecisionForm,
    decision_errors: Errors,
    saved: bool,
}

async fn action_page(
    s: &AppState,
    a: &Authed,
    id: i64,
    shown: Shown,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let authed = a.clone();
    let (action, choices) = blocking(move || {
        let store = state.store.as_ref();
        let Some(action) = logis_app::plans::actions::actions_for(store, &authed.principal)
            .map_err(crate::app_to_store)?
            .into_iter()
            .find(|x| x.record.id == id)
        else {
            return Err(logis_store::StoreError::NotFound(format!("action {id}")));
        };
        Ok((action, choices(store, &authed)?))
    })
    .await?;
    let section = Section::of(a);
    let org = a.principal.organisation_id.map(|o| o.to_string());
    let writes = section.epci
        || (section.landlord
            && org.as_ref().is_some_and(|o| {
                *o == action.record.action.lead.to_string()
                    || action
                        .record
                        .links(LinkKind::Landlord)
                        .any(|l| l.target == *o)
            }));
    let refused = !shown.errors.is_empty() || !shown.decision_errors.is_empty();
    Ok(render_refused(
        &ActionPage {
            chrome: a.chrome("psp"),
            section,
            values: shown.values.unwrap_or_else(|| fields_from(&action)),
            action,
            writes,
            choices,
            errors: shown.errors,
            decision: shown.decision,
            decision_errors: shown.decision_errors,
            saved: shown.saved,
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
    let shown = Shown {
        saved: !q.enregistre.is_empty(),
        ..Default::default()
    };
    action_page(&s, &a, id, shown).await
}

pub(crate) async fn update(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let values = fields_of(&fields);
    match save(&s, &a, Some(id), &values).await? {
        Ok(id) => Ok(Redirect::to(&format!("/psp/actions/{id}?enregistre=1")).into_response()),
        Err(errors) => {
            let shown = Shown {
                values: Some(values),
                errors,
                ..Default::default()
            };
            action_page(&s, &a, id, shown).await
        }
    }
}

/// Record the committee's decision (the EPCI).
pub(crate) async fn decide(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DecisionForm>,
) -> Result<Response, PageError> {
    if !Section::of(&a).epci {
        return Err(forbidden());
    }
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let f = form.clone();
    let out = blocking(move || {
        logis_app::plans::actions::record_decision(
            state.store.as_ref(),
            &principal,
            &actor,
            id,
            &f.date,
            &f.decision,
            &f.statut,
        )
        .map_err(crate::app_to_store)
    })
    .await?;
    match out {
        Ok(_) => Ok(Redirect::to(&format!("/psp/actions/{id}?enregistre=1")).into_response()),
        Err(decision_errors) => {
            let shown = Shown {
                decision: form,
                decision_errors,
                ..Default::default()
            };
            action_page(&s, &a, id, shown).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CommitteeQuery {
    #[serde(default)]
    partenariat: String,
}

/// The committee's workbook (one sheet per theme) of the actions the user reads.
pub(crate) async fn committee(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<CommitteeQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let bytes = blocking(move || {
        let store = state.store.as_ref();
        let id = match q.partenariat.trim() {
            "" => None,
            name => Some(
                store
                    .partnerships()?
                    .into_iter()
                    .find(|p| p.name == name)
                    .map(|p| p.id)
                    .ok_or_else(|| {
                        logis_store::StoreError::Invalid(format!("partenariat inconnu « {name} »"))
                    })?,
            ),
        };
        let sheets = logis_app::plans::actions::committee_sheets(store, &principal, id)
            .map_err(crate::app_to_store)?;
        let refs: Vec<(&str, &logis_io::report::Report)> =
            sheets.iter().map(|(n, r)| (*n, r)).collect();
        logis_io::report::write_xlsx_book(&refs)
            .map_err(|e| logis_store::StoreError::Backend(e.to_string()))
    })
    .await?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"logis-comite-plan-actions.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
