//! The register's part of the JSON API: lines, operations and their history, imports,
//! programmes and their targets, reports, organisations.

use crate::AppState;
use crate::accounts::auth::Authed;
use crate::api::{
    ApiError, ApiFail, ApiResult, bad, int, not_found, opt, params, parse_id, require, run,
};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use logis_app::reports::ReportName;
use logis_domain::{Nature, Permission, Role};
use logis_store::{LineFilter, LineRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// Largest file an import through the API may send.
pub const UPLOAD_LIMIT: usize = 64 << 20;
const API_PAGE: u64 = 100;

/// The register's API routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/operations", get(operations))
        .route(
            "/api/v1/operations/import",
            axum::routing::post(import).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/api/v1/operations/{id}", get(operation))
        .route("/api/v1/operations/{id}/historique", get(history))
        .route("/api/v1/programmes", get(programmes))
        .route(
            "/api/v1/programmes/{id}/objectifs",
            get(targets).put(put_targets),
        )
        .route("/api/v1/rapports/{nom}", get(report))
        .route("/api/v1/organisations", get(organisations))
}

/// The register's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        operations,
        operation,
        history,
        import,
        programmes,
        targets,
        put_targets,
        report,
        organisations
    ),
    components(schemas(
        Line,
        LinePage,
        Operation,
        Funding,
        AuditRow,
        Programme,
        Targets,
        TargetSplit,
        ReportRows,
        Organisation,
        ImportResult,
        ImportProblem
    ))
)]
pub(crate) struct Doc;

/// One operation line.
#[derive(Debug, Serialize, ToSchema)]
pub struct Line {
    pub ligne_id: i64,
    pub operation_id: i64,
    pub bailleur: String,
    pub reference: String,
    pub commune_insee: String,
    pub commune: String,
    pub projet: Option<String>,
    pub programme: Option<String>,
    pub quartier: Option<String>,
    pub libelle: Option<String>,
    /// Code de la nature (new_build, demolition, rehabilitation…).
    pub nature: String,
    pub site: Option<String>,
    pub produit: Option<String>,
    pub financement: Option<String>,
    pub logements: u32,
    pub annee: i32,
    pub stade: Option<String>,
    /// AAAA-MM-JJ
    pub date_stade: Option<String>,
    /// Coût en centimes, pour les rôles qui lisent les plans de financement
    pub cout_centimes: Option<i64>,
    /// Étiquette énergétique (A à G) avant les travaux d'une réhabilitation
    pub dpe_avant: Option<String>,
    /// Étiquette énergétique (A à G) après les travaux
    pub dpe_apres: Option<String>,
    /// Consommation d'énergie primaire avant, en kWh/m²/an
    pub cep_avant: Option<u32>,
    /// Consommation d'énergie primaire après, en kWh/m²/an
    pub cep_apres: Option<u32>,
    /// Identifiants RPLS des logements de la ligne, séparés par « | »
    pub rpls: Option<String>,
}

impl Line {
    /// A line as the API gives it; its cost price only to those who may read financing.
    fn of(l: LineRecord, costs: bool) -> Self {
        Line {
            ligne_id: l.line_id,
            operation_id: l.operation_id,
            bailleur: l.landlord,
            reference: l.reference,
            commune_insee: l.commune.as_str().into(),
            commune: l.commune_name,
            projet: l.project,
            programme: l.programme,
            quartier: l.quartier,
            libelle: l.label,
            nature: l.nature.code().into(),
            site: l.site.map(|s| s.code().into()),
            produit: l.product.map(|p| p.code().into()),
            financement: l.financing.map(|f| f.code().into()),
            logements: l.dwellings,
            annee: l.year,
            stade: l.stage.map(|s| s.code().into()),
            date_stade: l.stage_date.map(|d| d.format("%Y-%m-%d").to_string()),
            cout_centimes: l.cost_cents.filter(|_| costs),
            dpe_avant: l.energy.before.map(|x| x.code().into()),
            dpe_apres: l.energy.after.map(|x| x.code().into()),
            cep_avant: l.energy.cep_before,
            cep_apres: l.energy.cep_after,
            rpls: l.rpls_ids,
        }
    }
}

/// A page of lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinePage {
    pub total: u64,
    pub page: u64,
    pub par_page: u64,
    pub lignes: Vec<Line>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LineParams {
    /// Numéro d'organisation du bailleur
    bailleur: Option<String>,
    /// Numéro du programme
    programme: Option<String>,
    /// Code INSEE de la commune
    commune: Option<String>,
    /// Nature (code ou libellé : « Démolition », new_build…)
    nature: Option<String>,
    /// Première année
    annee_min: Option<String>,
    /// Dernière année
    annee_max: Option<String>,
    /// Page (à partir de 1), 100 lignes par page
    page: Option<String>,
}

impl LineParams {
    fn filter(&self) -> Result<LineFilter, ApiFail> {
        let year = |v: &Option<String>, what: &str| -> Result<Option<i32>, ApiFail> {
            int::<i64>(v, what)?
                .map(|y| {
                    logis_domain::Year::new(y)
                        .map(|y| y.get())
                        .map_err(|e| bad(e.0))
                })
                .transpose()
        };
        Ok(LineFilter {
            landlord_id: int(&self.bailleur, "bailleur")?,
            programme_id: int(&self.programme, "programme")?,
            commune: opt(&self.commune)
                .map(|c| logis_domain::CommuneCode::parse(c).map_err(|e| bad(e.0)))
                .transpose()?,
            nature: opt(&self.nature)
                .map(|n| Nature::parse(n).map_err(|e| bad(e.0)))
                .transpose()?,
            year_from: year(&self.annee_min, "année minimale")?,
            year_to: year(&self.annee_max, "année maximale")?,
            ..Default::default()
        })
    }
}

#[utoipa::path(get, path = "/api/v1/operations", tag = "opérations", params(LineParams),
    responses((status = 200, body = LinePage), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn operations(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<LinePage> {
    require(&a, Permission::ReadOperations)?;
    let q: LineParams = params(q)?;
    let mut filter = q.filter()?;
    filter.scope = a.principal.line_scope();
    let costs = a.principal.may(Permission::ReadFinancing);
    let page = int::<u64>(&q.page, "page")?
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let store = s.store.clone();
    let (total, lines) = run(move || {
        // A text search is narrowed to its operations once, for the count and the page.
        let mut filter = store.text_search_in_memory(&filter)?.unwrap_or(filter);
        let total = store.count_lines(&filter)?;
        filter.limit = Some(API_PAGE);
        filter.offset = Some((page - 1) * API_PAGE);
        Ok((total, logis_store::collect_lines(store.as_ref(), &filter)?))
    })
    .await?;
    Ok(Json(LinePage {
        total,
        page,
        par_page: API_PAGE,
        lignes: lines.into_iter().map(|l| Line::of(l, costs)).collect(),
    }))
}

/// One source of a financing plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct Funding {
    /// own_funds, subsidy, loan
    pub nature: String,
    pub source: Option<String>,
    pub libelle: String,
    pub montant_centimes: i64,
}

/// An operation with its lines (and its financing plan for the roles that see it).
#[derive(Debug, Serialize, ToSchema)]
pub struct Operation {
    pub id: i64,
    pub bailleur_id: i64,
    pub bailleur: String,
    pub reference: String,
    pub libelle: Option<String>,
    pub commune_insee: String,
    pub commune: String,
    pub projet: Option<String>,
    pub programme: Option<String>,
    pub quartier: Option<String>,
    pub lignes: Vec<Line>,
    pub plan_financement: Option<Vec<Funding>>,
}

async fn visible(
    s: &AppState,
    a: &Authed,
    id: &str,
) -> Result<logis_store::OperationRecord, ApiFail> {
    let id = parse_id(id)?;
    crate::register::operations::visible_operation(s, a, id)
        .await
        .map_err(|e| {
            if e.status == StatusCode::NOT_FOUND {
                not_found()
            } else {
                ApiFail::from(e)
            }
        })
}

#[utoipa::path(get, path = "/api/v1/operations/{id}", tag = "opérations",
    params(("id" = String, Path, description = "Numéro de l'opération")),
    responses((status = 200, body = Operation), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn operation(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<String>,
) -> ApiResult<Operation> {
    let head = visible(&s, &a, &id).await?;
    let store = s.store.clone();
    let with_plan = a.principal.may(Permission::ReadFinancing);
    let id = head.id;
    let (lines, plan, orgs) = run(move || {
        let f = LineFilter {
            operation_id: Some(id),
            ..Default::default()
        };
        Ok((
            logis_store::collect_lines(store.as_ref(), &f)?,
            if with_plan {
                Some(store.financing_plan(id)?)
            } else {
                None
            },
            store.organisations()?,
        ))
    })
    .await?;
    Ok(Json(Operation {
        id: head.id,
        bailleur_id: head.landlord_id,
        bailleur: head.landlord,
        reference: head.reference,
        libelle: head.label,
        commune_insee: head.commune.as_str().into(),
        commune: head.commune_name,
        projet: head.project,
        programme: head.programme,
        quartier: head.quartier,
        lignes: lines.into_iter().map(|l| Line::of(l, with_plan)).collect(),
        plan_financement: plan.map(|p| {
            p.into_iter()
                .map(|f| Funding {
                    nature: f.kind.code().into(),
                    source: f
                        .source_id
                        .and_then(|id| orgs.iter().find(|o| o.id == id))
                        .map(|o| o.name.clone()),
                    libelle: f.label,
                    montant_centimes: f.amount_cents,
                })
                .collect()
        }),
    }))
}

/// One change of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRow {
    pub id: i64,
    /// Date et heure UTC, RFC 3339
    pub date: String,
    pub utilisateur: String,
    pub organisation_id: Option<i64>,
    /// web, api, cli, systeme
    pub via: String,
    /// operation, ligne, plan_financement…
    pub element: String,
    pub identifiant: String,
    pub action: String,
    /// Valeurs avant (texte JSON)
    pub avant: Option<String>,
    /// Valeurs après (texte JSON)
    pub apres: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/operations/{id}/historique", tag = "opérations",
    params(("id" = String, Path, description = "Numéro de l'opération")),
    responses((status = 200, body = Vec<AuditRow>), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn history(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<String>,
) -> ApiResult<Vec<AuditRow>> {
    let head = visible(&s, &a, &id).await?;
    let store = s.store.clone();
    let costs = a.principal.may(Permission::ReadFinancing);
    let rows = run(move || {
        let rows = store.audit(&logis_store::AuditFilter {
            operation_id: Some(head.id),
            ..Default::default()
        })?;
        Ok(logis_app::register::history::for_reader(rows, costs))
    })
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|h| AuditRow {
                id: h.id,
                date: chrono::DateTime::from_timestamp(h.at, 0)
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_default(),
                utilisateur: h.user_name,
                organisation_id: h.organisation_id,
                via: h.via,
                element: h.entity,
                identifiant: h.entity_id,
                action: h.action,
                avant: h.before,
                apres: h.after,
            })
            .collect(),
    ))
}

/// One problem of a refused import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblem {
    /// Numéro de ligne du fichier (1 = en-tête)
    pub ligne: u64,
    pub colonne: String,
    pub message: String,
}

/// What an import did, or why it was refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Vrai si le fichier a été enregistré.
    pub enregistre: bool,
    pub lignes_lues: u64,
    pub operations_creees: u64,
    pub operations_modifiees: u64,
    pub lignes_creees: u64,
    pub lignes_modifiees: u64,
    pub lignes_inchangees: u64,
    pub erreurs: Vec<ImportProblem>,
    /// Totaux déclarés en désaccord avec leur détail
    pub totaux_en_desaccord: Vec<String>,
    /// Le rapport complet, en français
    pub rapport: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportParams {
    /// « true » : vérifier sans rien écrire
    verifier: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/operations/import", tag = "opérations", params(ImportParams),
    request_body(content = String, description = "Fichier CSV (séparateur ; ou ,) ou XLSX des lignes d'opération", content_type = "text/csv"),
    responses((status = 200, body = ImportResult, description = "Enregistré (ou vérifié sans erreur)"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 422, body = ImportResult, description = "Refusé : rien n'a été écrit")))]
async fn import(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Result<Response, ApiFail> {
    require(&a, Permission::WriteOperations)?;
    let q: ImportParams = params(q)?;
    let check_only = match opt(&q.verifier) {
        None | Some("false") | Some("0") | Some("non") => false,
        Some("true") | Some("1") | Some("oui") => true,
        Some(other) => {
            return Err(bad(format!(
                "verifier : « true » ou « false », pas « {other} »"
            )));
        }
    };
    if body.is_empty() {
        return Err(bad(
            "fichier vide : envoyez le CSV ou le XLSX dans le corps de la requête",
        ));
    }
    let only_landlord = match a.principal.role {
        Role::Admin => None,
        _ => a.principal.organisation_id,
    };
    let store = s.store.clone();
    let actor = a.actor();
    let report = crate::blocking(move || {
        let mut src = match logis_io::open_bytes(body.to_vec()) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e.to_string())),
        };
        logis_app::register::import::import_operations(
            store.as_ref(),
            &actor,
            src.as_mut(),
            &logis_app::register::import::ImportOptions {
                commit: !check_only,
                territory: None,
                only_landlord,
            },
            &mut |_| {},
        )
        .map(Ok)
        .map_err(crate::app_to_store)
    })
    .await?;
    let report = report.map_err(|e| bad(format!("fichier illisible : {e}")))?;
    let status = if report.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let st = &report.stats;
    let body = ImportResult {
        enregistre: report.committed,
        lignes_lues: st.lines_read,
        operations_creees: st.operations_created,
        operations_modifiees: st.operations_updated,
        lignes_creees: st.lines_created,
        lignes_modifiees: st.lines_updated,
        lignes_inchangees: st.lines_unchanged,
        erreurs: report
            .problems
            .iter()
            .map(|p| ImportProblem {
                ligne: p.row,
                colonne: p.column.clone(),
                message: p.message.clone(),
            })
            .collect(),
        totaux_en_desaccord: report
            .total_discrepancies
            .iter()
            .map(|d| d.render_fr())
            .collect(),
        rapport: report.render_fr(),
    };
    Ok((status, Json(body)).into_response())
}

/// A programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct Programme {
    pub id: i64,
    pub nom: String,
    pub description: String,
    pub annee_debut: Option<i32>,
    pub annee_fin: Option<i32>,
    pub epci_siren: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/programmes", tag = "programmes",
    responses((status = 200, body = Vec<Programme>), (status = 401, body = ApiError)))]
async fn programmes(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> ApiResult<Vec<Programme>> {
    require(&a, Permission::ReadReference)?;
    let store = s.store.clone();
    let list = run(move || store.programmes()).await?;
    Ok(Json(
        list.into_iter()
            .map(|p| Programme {
                id: p.id,
                nom: p.name,
                description: p.description,
                annee_debut: p.start_year.map(|y| y.get()),
                annee_fin: p.end_year.map(|y| y.get()),
                epci_siren: p.epci.map(|s| s.as_str().into()),
            })
            .collect(),
    ))
}

/// A programme's targets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Targets {
    /// « production » ou une nature (« réhabilitation », « démolition »…)
    pub perimetre: String,
    pub total: Option<u64>,
    pub annee_debut: i32,
    pub annee_fin: i32,
    /// Part de logements sociaux visée, en %
    pub part_sociale: Option<u8>,
    pub fourchette_min: Option<u64>,
    pub fourchette_max: Option<u64>,
    #[serde(default)]
    pub repartitions: Vec<TargetSplit>,
}

/// A split of a target.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TargetSplit {
    /// bailleur, commune, produit, nature
    pub dimension: String,
    pub libelle: String,
    pub logements: u64,
}

#[utoipa::path(get, path = "/api/v1/programmes/{id}/objectifs", tag = "programmes",
    params(("id" = String, Path, description = "Numéro du programme")),
    responses((status = 200, body = Targets), (status = 401, body = ApiError), (status = 404, body = ApiError)))]
async fn targets(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<String>,
) -> ApiResult<Targets> {
    require(&a, Permission::ReadReports)?;
    let id = parse_id(&id)?;
    let store = s.store.clone();
    let t = run(move || store.targets(id))
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(Targets {
        perimetre: t.scope.label(),
        total: t.total,
        annee_debut: t.first_year,
        annee_fin: t.last_year,
        part_sociale: t.social_percent,
        fourchette_min: t.annual_band.map(|b| b.0),
        fourchette_max: t.annual_band.map(|b| b.1),
        repartitions: t
            .splits
            .into_iter()
            .map(|sp| TargetSplit {
                dimension: sp.dimension.code().into(),
                libelle: sp.label,
                logements: sp.dwellings,
            })
            .collect(),
    }))
}

#[utoipa::path(put, path = "/api/v1/programmes/{id}/objectifs", tag = "programmes",
    params(("id" = String, Path, description = "Numéro du programme")),
    request_body = Targets,
    responses((status = 200, body = Targets), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn put_targets(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Targets> {
    require(&a, Permission::EditReference)?;
    let id = parse_id(&id)?;
    let t: Targets =
        serde_json::from_slice(&body).map_err(|e| bad(format!("objectifs illisibles : {e}")))?;
    let store = s.store.clone();
    let programme = run(move || store.programmes())
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(not_found)?;
    let text = logis_app::register::targets::TargetsText {
        programme: programme.name,
        scope: t.perimetre.clone(),
        total: t.total,
        first_year: t.annee_debut,
        last_year: t.annee_fin,
        social_percent: t.part_sociale,
        band: match (t.fourchette_min, t.fourchette_max) {
            (Some(a), Some(b)) => Some(format!("{a}-{b}")),
            (None, None) => None,
            _ => {
                return Err(bad(
                    "donnez les deux bornes de la fourchette annuelle, ou aucune",
                ));
            }
        },
        splits: t
            .repartitions
            .iter()
            .map(|sp| format!("{}:{}={}", sp.dimension, sp.libelle, sp.logements))
            .collect(),
    };
    let store = s.store.clone();
    let actor = a.actor();
    let saved = crate::blocking(move || {
        Ok(logis_app::register::targets::set_targets(
            store.as_ref(),
            &actor,
            &text,
        ))
    })
    .await?;
    match saved {
        Ok(_) => targets(State(s), Extension(a), Path(id.to_string())).await,
        Err(e) => Err(bad(e.to_string())),
    }
}

/// A report in long format: one row per cell, the columns of the CSV export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRows {
    pub nom: String,
    pub titre: String,
    pub perimetre: String,
    pub colonnes: Vec<String>,
    pub lignes: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportParams {
    /// Numéro du programme
    programme: Option<String>,
    /// Numéro d'organisation du bailleur
    bailleur: Option<String>,
    /// Code INSEE de la commune
    commune: Option<String>,
    /// Première année
    annee_min: Option<String>,
    /// Dernière année
    annee_max: Option<String>,
    /// « origine » : regrouper par commune telle qu'écrite par la source (anciennes communes à
    /// part) ; « aujourdhui » (par défaut) : par commune d'aujourd'hui
    communes: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/rapports/{nom}", tag = "rapports",
    params(("nom" = String, Path, description = "production, rehabilitation, renouvellement, financement, reequilibrage, programme"), ReportParams),
    responses((status = 200, body = ReportRows), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn report(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(nom): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<ReportRows> {
    let name = ReportName::parse(&nom)
        .ok_or_else(|| ApiFail(StatusCode::NOT_FOUND, "rapport inconnu".into()))?;
    let q: ReportParams = params(q)?;
    let lp = LineParams {
        bailleur: q.bailleur,
        programme: q.programme,
        commune: q.commune,
        annee_min: q.annee_min,
        annee_max: q.annee_max,
        ..Default::default()
    };
    let mut filter = lp.filter()?;
    filter.communes_as_written =
        logis_app::reports::communes_as_written(q.communes.as_deref()).map_err(bad)?;
    let filter = crate::register::reports::scoped(&a, name, filter)?;
    let store = s.store.clone();
    let r = run(move || {
        logis_app::reports::build(store.as_ref(), name, &filter).map_err(crate::app_to_store)
    })
    .await?;
    Ok(Json(ReportRows {
        nom: r.name.into(),
        titre: r.title.clone(),
        perimetre: r.scope.clone(),
        colonnes: r.long_columns.iter().map(|c| c.to_string()).collect(),
        lignes: r
            .long_rows
            .iter()
            .map(|row| row.iter().map(|c| c.plain()).collect())
            .collect(),
        notes: r.notes.clone(),
    }))
}

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Organisation {
    pub id: i64,
    /// bailleur, epci, commune, etat, financeur, ccas
    #[serde(rename = "type")]
    pub type_: String,
    pub nom: String,
    pub siren: Option<String>,
    pub commune_insee: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "référentiel",
    responses((status = 200, body = Vec<Organisation>), (status = 401, body = ApiError)))]
async fn organisations(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> ApiResult<Vec<Organisation>> {
    require(&a, Permission::ReadReference)?;
    let store = s.store.clone();
    let list = run(move || store.organisations()).await?;
    Ok(Json(
        list.into_iter()
            .map(|o| Organisation {
                id: o.id,
                type_: o.kind.code().into(),
                nom: o.name,
                siren: o.siren.map(|s| s.as_str().into()),
                commune_insee: o.commune.map(|c| c.as_str().into()),
            })
            .collect(),
    ))
}
