//! The matching page: run the engine for the households still to relocate (of one project, or
//! all) against the free vacancies, under the cost rules of this run (the defaults prefilled);
//! read each proposal and its reasons; keep some, recorded as proposals (each dwelling leaves the
//! pool until the answer). Running writes nothing; the relocation officer's only.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking};
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use logis_domain::Permission;
use logis_domain::relocation::CostRules;

/// One proposal as the page shows it.
struct Line {
    key: String,
    household_id: i64,
    household: String,
    landlord: String,
    vacancy: String,
    vacancy_landlord: String,
    commune: String,
    cost: i64,
    reasons: String,
}

#[derive(Template)]
#[template(path = "relocation/matching.html")]
struct MatchingPage {
    chrome: Chrome,
    projects: Vec<String>,
    project: String,
    /// (field, label, value)
    rules: Vec<(&'static str, &'static str, i64)>,
    ran: bool,
    lines: Vec<Line>,
    households: usize,
    without_any: usize,
    total: i64,
    error: String,
    kept: Option<usize>,
    refused: Vec<String>,
    today: String,
}

async fn matching_page(
    s: &AppState,
    a: &Authed,
    fields: Vec<(String, String)>,
    kept: Option<(usize, Vec<String>)>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageRelocation)?;
    let field = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let project = field("projet");
    let ran = field("lancer") == "1";
    let (rules, mut error) = match logis_app::relocation::rules_of(&fields) {
        Ok(r) => (r, String::new()),
        Err(e) => (CostRules::default(), e.to_string()),
    };
    let state = s.clone();
    let run = ran && error.is_empty();
    let p2 = project.clone();
    let (projects, found, names) = blocking(move || {
        let st = state.store.as_ref();
        let projects = logis_app::relocation::projects(st).map_err(crate::app_to_store)?;
        let found = if run {
            Some(
                logis_app::relocation::matching(
                    st,
                    Some(p2.as_str()).filter(|p| !p.is_empty()),
                    &rules,
                )
                .map_err(crate::app_to_store)?,
            )
        } else {
            None
        };
        Ok((projects, found, super::pages::Names::read(st)?))
    })
    .await?;
    if !project.is_empty()
        && !projects
            .iter()
            .any(|p| logis_domain::text::name_key(p) == logis_domain::text::name_key(&project))
        && error.is_empty()
    {
        error = format!("projet inconnu « {project} »");
    }
    let found = found.unwrap_or_default();
    let lines = found
        .proposals
        .iter()
        .map(|p| Line {
            key: format!("{}-{}", p.household_id, p.vacancy_id),
            household_id: p.household_id,
            household: p.household.reference.clone(),
            landlord: names.org(p.household.landlord),
            vacancy: p.vacancy.reference.clone(),
            vacancy_landlord: names.org(p.vacancy.landlord),
            commune: names.commune(&p.vacancy.commune),
            cost: p.cost,
            reasons: p.reasons.clone(),
        })
        .collect();
    let failed = !error.is_empty() || kept.as_ref().is_some_and(|(_, r)| !r.is_empty());
    let (kept, refused) = match kept {
        Some((n, r)) => (Some(n), r),
        None => (None, Vec::new()),
    };
    let page = MatchingPage {
        chrome: a.chrome("relogement"),
        projects,
        project,
        rules: logis_app::relocation::RULES
            .iter()
            .zip(logis_app::relocation::rule_values(&rules))
            .map(|((f, l), v)| (*f, *l, v))
            .collect(),
        ran: run,
        lines,
        households: found.households,
        without_any: found.without_any,
        total: found.total,
        error,
        kept,
        refused,
        today: crate::proximity::pages::today()
            .format("%Y-%m-%d")
            .to_string(),
    };
    Ok(crate::render_refused(&page, failed))
}

pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(fields): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    matching_page(&s, &a, fields, None).await
}

/// Keep the proposals ticked (`garder`: household id-vacancy id, repeated) on `date`.
pub(crate) async fn keep(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageRelocation)?;
    let date_text = fields
        .iter()
        .find(|(k, _)| k == "date")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let Some(date) = logis_domain::numbers::parse_date(&date_text) else {
        return Err(PageError {
            status: StatusCode::BAD_REQUEST,
            message: format!("« {} » n'est pas une date (jj/mm/aaaa)", date_text.trim()),
        });
    };
    let mut pairs = Vec::new();
    for (_, v) in fields.iter().filter(|(k, _)| k == "garder") {
        let parsed = v
            .split_once('-')
            .and_then(|(h, d)| Some((h.parse::<i64>().ok()?, d.parse::<i64>().ok()?)));
        match parsed {
            Some(p) => pairs.push(p),
            None => {
                return Err(PageError {
                    status: StatusCode::BAD_REQUEST,
                    message: format!("proposition illisible « {v} »"),
                });
            }
        }
    }
    if pairs.is_empty() {
        return Err(PageError {
            status: StatusCode::BAD_REQUEST,
            message: "cochez au moins une proposition à garder".into(),
        });
    }
    let state = s.clone();
    let actor = a.actor();
    let kept = blocking(move || {
        logis_app::relocation::keep_proposals(state.store.as_ref(), &actor, &pairs, date)
            .map_err(crate::app_to_store)
    })
    .await?;
    // (The page again, run on what is left, with what was kept and what could not be.)
    let mut again: Vec<(String, String)> = fields
        .into_iter()
        .filter(|(k, _)| k != "garder" && k != "date" && k != "csrf")
        .collect();
    again.push(("lancer".into(), "1".into()));
    let mut res = matching_page(&s, &a, again, Some(kept.clone())).await?;
    if !kept.1.is_empty() {
        *res.status_mut() = StatusCode::CONFLICT;
    }
    Ok(res)
}
