//! Relocation's part of the JSON API: a household's record (read only by those
//! `Principal::sees_household` names — 404 otherwise — and journaled as a read through the
//! API), and the indicators (aggregates with the statistical secret but for the relocation
//! officer).

use crate::AppState;
use crate::accounts::auth::Authed;
use crate::api::{ApiError, ApiResult, not_found, parse_id, require, run};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use logis_domain::Permission;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/relogement/menages/{id}", get(household))
        .route("/api/v1/relogement/indicateurs", get(indicators))
}

/// Relocation's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(household, indicators),
    components(schemas(Household, Proposal, Relocation, Indicator))
)]
pub(crate) struct Doc;

/// A proposal made to a household.
#[derive(Debug, Serialize, ToSchema)]
pub struct Proposal {
    pub rang: u32,
    pub logement: String,
    /// AAAA-MM-JJ
    pub date: String,
    /// acceptee, refusee ou sans_reponse
    pub reponse: String,
    /// Code du motif de refus (vide sinon)
    pub motif: String,
}

/// A relocation of a household.
#[derive(Debug, Serialize, ToSchema)]
pub struct Relocation {
    /// Logement de la réserve (absent : hors réserve)
    pub logement: Option<String>,
    pub date: String,
    pub definitif: bool,
    pub loyer_centimes: i64,
    pub charges_centimes: i64,
    pub aide_logement_centimes: i64,
}

/// A household to relocate (pseudonymised: the landlord's identifier, never a name).
#[derive(Debug, Serialize, ToSchema)]
pub struct Household {
    pub id: i64,
    pub menage: String,
    pub bailleur_id: i64,
    pub projet: String,
    pub operation: Option<String>,
    pub commune_insee: String,
    pub personnes: u32,
    pub ressources_centimes: i64,
    pub loyer_centimes: i64,
    pub charges_centimes: i64,
    pub aide_logement_centimes: i64,
    /// Loyer + charges − aide au logement
    pub reste_a_charge_centimes: i64,
    pub pmr: bool,
    pub communes_souhaitees: Vec<String>,
    pub autre_commune: bool,
    pub statut: String,
    pub ccas_origine_id: Option<i64>,
    pub ccas_accueil_id: Option<i64>,
    pub propositions: Vec<Proposal>,
    pub relogements: Vec<Relocation>,
}

#[utoipa::path(get, path = "/api/v1/relogement/menages/{id}", tag = "relogement",
    params(("id" = String, Path, description = "Numéro du ménage")),
    responses((status = 200, body = Household), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn household(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<String>,
) -> ApiResult<Household> {
    require(&a, Permission::ReadHouseholds)?;
    let id = parse_id(&id)?;
    let store = s.store.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let found = run(move || {
        let st = store.as_ref();
        let Some(h) = logis_app::relocation::visible_household(st, &principal, id)
            .map_err(crate::app_to_store)?
        else {
            return Ok(None);
        };
        st.record_reads(&actor, &[id], "api")?;
        Ok(Some((h, st.proposals(id)?, st.relocations(id)?)))
    })
    .await?;
    let Some((h, proposals, relocations)) = found else {
        return Err(not_found());
    };
    Ok(Json(Household {
        id,
        reste_a_charge_centimes: h.out_of_pocket(),
        menage: h.reference,
        bailleur_id: h.landlord,
        projet: h.project,
        operation: h.operation,
        commune_insee: h.commune.as_str().into(),
        personnes: h.persons,
        ressources_centimes: h.resources,
        loyer_centimes: h.rent,
        charges_centimes: h.charges,
        aide_logement_centimes: h.benefit,
        pmr: h.reduced_mobility,
        communes_souhaitees: h.wished.iter().map(|c| c.as_str().to_string()).collect(),
        autre_commune: h.other_commune,
        statut: h.status.code().into(),
        ccas_origine_id: h.ccas_origin,
        ccas_accueil_id: h.ccas_destination,
        propositions: proposals
            .into_iter()
            .map(|p| Proposal {
                rang: p.rank,
                logement: p.vacancy,
                date: p.proposed_on.to_string(),
                reponse: p.answer,
                motif: p.refusal_reason,
            })
            .collect(),
        relogements: relocations
            .into_iter()
            .map(|r| Relocation {
                logement: r.vacancy,
                date: r.on.to_string(),
                definitif: r.definitive,
                loyer_centimes: r.after[0],
                charges_centimes: r.after[1],
                aide_logement_centimes: r.after[2],
            })
            .collect(),
    }))
}

/// One value of the indicators (the long table of the CSV export).
#[derive(Debug, Serialize, ToSchema)]
pub struct Indicator {
    /// Le projet de renouvellement, ou « Total »
    pub projet: String,
    pub indicateur: String,
    pub libelle: String,
    /// nombre, %, euros par mois
    pub unite: String,
    /// Un nombre, « < 5 » ou « secret » (secret statistique), ou vide
    pub valeur: String,
}

#[utoipa::path(get, path = "/api/v1/relogement/indicateurs", tag = "relogement",
    responses((status = 200, body = Vec<Indicator>), (status = 401, body = ApiError)))]
async fn indicators(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> ApiResult<Vec<Indicator>> {
    require(&a, Permission::ReadReports)?;
    let detail = a.principal.sees_every_household();
    let store = s.store.clone();
    let report = run(move || {
        logis_app::relocation::indicators_report(store.as_ref(), detail)
            .map_err(crate::app_to_store)
    })
    .await?;
    let text = |c: Option<&logis_io::report::Cell>| c.map(|c| c.plain()).unwrap_or_default();
    Ok(Json(
        report
            .long_rows
            .iter()
            .map(|r| Indicator {
                projet: text(r.first()),
                indicateur: text(r.get(1)),
                libelle: text(r.get(2)),
                unite: text(r.get(3)),
                valeur: text(r.get(4)),
            })
            .collect(),
    ))
}
