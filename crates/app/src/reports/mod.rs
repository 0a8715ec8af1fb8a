//! Programme reports, computed by the store's aggregates from the detail lines (never from
//! declared totals): production (PLH programming table), rehabilitation programming, urban
//! renewal (ANRU table). Each report is a long table for scripts and a grid laid out as the
//! published tables are.
//!
//! One file per report (`production.rs`, `rehabilitation.rs`, `renewal.rs`, `financing.rs`,
//! `rebalancing.rs`, `programme.rs`); the pivot and layout code they share is `layout.rs`. This
//! file names the reports, builds them in the shape a caller asks for (whole, long table, one
//! page), caches pages, and resolves the filters users type.

mod financing;
mod layout;
mod production;
mod programme;
mod rebalancing;
mod rehabilitation;
mod renewal;

use financing::financement;
use production::production;
use programme::programme;
pub use programme::{PACE_YEARS, programme_progress};
use rebalancing::reequilibrage;
use rehabilitation::rehabilitation;
use renewal::renouvellement;

use crate::{AppError, Result};
use logis_domain::Stage;
use logis_io::report::{GridPage, Report};
use logis_store::{LineFilter, Store};

/// The reports logis computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportName {
    Production,
    Rehabilitation,
    Renouvellement,
    Programme,
    Financement,
    Reequilibrage,
}

impl ReportName {
    pub const ALL: &'static [ReportName] = &[
        ReportName::Production,
        ReportName::Rehabilitation,
        ReportName::Renouvellement,
        ReportName::Programme,
        ReportName::Financement,
        ReportName::Reequilibrage,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReportName::Production => "production",
            ReportName::Rehabilitation => "rehabilitation",
            ReportName::Renouvellement => "renouvellement",
            ReportName::Programme => "programme",
            ReportName::Financement => "financement",
            ReportName::Reequilibrage => "reequilibrage",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ReportName::Production => {
                "Programmation de la production de logements par commune, année et produit"
            }
            ReportName::Rehabilitation => {
                "Programmation des réhabilitations par commune, année et financement"
            }
            ReportName::Renouvellement => {
                "Renouvellement urbain : démolitions, reconstructions et réhabilitations par projet"
            }
            ReportName::Programme => {
                "Avancement du programme : objectifs et réalisations par année"
            }
            ReportName::Financement => "Prix de revient et plans de financement des opérations",
            ReportName::Reequilibrage => {
                "Rééquilibrage de l'offre : reconstitution des logements démolis et offre sociale par commune"
            }
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let key = logis_domain::text::name_key(s);
        ReportName::ALL
            .iter()
            .copied()
            .find(|r| logis_domain::text::name_key(r.code()) == key)
    }
}

/// Compute `name` over the lines matching `filter`, seen from today.
/// The filter a principal's report runs with: the financing report (cost prices and plans,
/// per operation) needs [`Permission::ReadFinancing`] and covers only the operations the
/// principal reads one by one; every other report is an aggregate all roles see, whose
/// per-operation rows (rehabilitation's) follow the operation list's scope. `Err`: the French
/// reason for a refusal.
pub fn filter_for(
    principal: &logis_domain::Principal,
    name: ReportName,
    mut filter: LineFilter,
) -> std::result::Result<LineFilter, String> {
    if name == ReportName::Financement {
        if !principal.may(logis_domain::Permission::ReadFinancing) {
            return Err("le rapport de financement (prix de revient et plans de financement par opération) n'est pas ouvert à votre rôle".into());
        }
        filter.scope = principal.line_scope();
    }
    filter.details = logis_store::Details::of(principal.line_scope());
    Ok(filter)
}

fn this_year() -> i32 {
    chrono::Datelike::year(&chrono::Local::now().date_naive())
}

pub fn build(store: &dyn Store, name: ReportName, filter: &LineFilter) -> Result<Report> {
    build_at(store, name, filter, this_year())
}

/// Compute `name`, seen from `current_year` (the programme's projection depends on it).
pub fn build_at(
    store: &dyn Store,
    name: ReportName,
    filter: &LineFilter,
    current_year: i32,
) -> Result<Report> {
    let shape = Shape {
        long: true,
        page: None,
    };
    Ok(build_shaped(store, name, filter, current_year, shape)?.0)
}

/// The report for a CSV file: its whole long table (the CSV's rows), its grid laid out for its
/// first page only (a CSV has no grid; a per-operation grid of the whole register is millions
/// of cells).
pub fn build_long(store: &dyn Store, name: ReportName, filter: &LineFilter) -> Result<Report> {
    let shape = Shape {
        long: true,
        page: Some((1, 200)),
    };
    Ok(build_shaped(store, name, filter, this_year(), shape)?.0)
}

/// The report for a page: one page of `size` rows of its grid (the published layout) with its
/// totals, without the long table, which only files need. For a large register the
/// per-operation reports have a grid row per operation: only the rows shown are laid out.
pub fn build_page(
    store: &dyn Store,
    name: ReportName,
    filter: &LineFilter,
    page: usize,
    size: usize,
) -> Result<(Report, GridPage)> {
    let shape = Shape {
        long: false,
        page: Some((page, size)),
    };
    let (mut report, kept) = build_shaped(store, name, filter, this_year(), shape)?;
    // (The small reports make their long table anyway; a page has none.)
    report.long_rows.clear();
    let kept = match kept {
        Some(k) => k,
        None => report.grid.keep_page(page, size),
    };
    Ok((report, kept))
}

/// Report pages computed once and served again while nothing they read has changed (see
/// [`crate::cache::StampCache`]): the steering committee's tables are opened far more often
/// than the register changes.
pub struct PageCache(crate::cache::StampCache<(Report, GridPage)>);

impl Default for PageCache {
    /// 32 pages (a whole-register page with every year is about 2 MiB).
    fn default() -> Self {
        PageCache(crate::cache::StampCache::new(32))
    }
}

impl PageCache {
    /// [`build_page`], or the same page computed before at the same stamp (and computed again
    /// after a write by [`PageCache::refresh`]).
    pub fn page(
        &self,
        store: &dyn Store,
        name: ReportName,
        filter: &LineFilter,
        page: usize,
        size: usize,
    ) -> Result<std::sync::Arc<(Report, GridPage)>> {
        // The filter's every field (its scope included) and the year the projection is seen from.
        let key = format!("{}|{page}|{size}|{}|{filter:?}", name.code(), this_year());
        let filter = filter.clone();
        self.0.get_kept(store, key, move |st| {
            build_page(st, name, &filter, page, size)
        })
    }

    /// See [`crate::cache::StampCache::refresh`].
    pub fn refresh(&self, store: &dyn Store) -> Result<usize> {
        self.0.refresh(store)
    }
}

/// What a caller wants of a report: the long table or not, the whole grid or one page of it
/// (page, rows per page).
#[derive(Clone, Copy)]
struct Shape {
    long: bool,
    page: Option<(usize, usize)>,
}

/// A report, and the page of its grid when it laid out only that page.
type Shaped = (Report, Option<GridPage>);

fn build_shaped(
    store: &dyn Store,
    name: ReportName,
    filter: &LineFilter,
    current_year: i32,
    shape: Shape,
) -> Result<Shaped> {
    let scope = describe(store, filter)?;
    let whole = |r: Result<Report>| r.map(|r| (r, None));
    match name {
        ReportName::Programme => whole(programme(store, filter, scope, current_year)),
        ReportName::Financement => financement(store, filter, scope, shape),
        ReportName::Reequilibrage => reequilibrage(store, filter, scope, shape),
        ReportName::Production => production(store, filter, scope, shape),
        ReportName::Rehabilitation => rehabilitation(store, filter, scope, shape),
        ReportName::Renouvellement => renouvellement(store, filter, scope, shape),
    }
}

/// The filters in French, for the report's subtitle.
pub fn describe(store: &dyn Store, f: &LineFilter) -> Result<String> {
    let mut parts = Vec::new();
    // "programme : Dunkerque 2030", or the id when the name is gone.
    let mut named = |what: &str,
                     id: Option<i64>,
                     names: &dyn Fn() -> Result<Vec<(i64, String)>>|
     -> Result<()> {
        if let Some(id) = id {
            let name = names()?
                .into_iter()
                .find(|(i, _)| *i == id)
                .map(|(_, n)| n)
                .unwrap_or_else(|| format!("n° {id}"));
            parts.push(format!("{what} : {name}"));
        }
        Ok(())
    };
    named("programme", f.programme_id, &|| {
        Ok(store
            .programmes()?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect())
    })?;
    named("bailleur", f.landlord_id, &|| {
        Ok(store
            .organisations()?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect())
    })?;
    named("projet", f.project_id, &|| {
        Ok(store
            .projects()?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect())
    })?;
    named("quartier", f.quartier_id, &|| {
        Ok(store
            .quartiers()?
            .into_iter()
            .map(|q| (q.id, q.name))
            .collect())
    })?;
    if f.commune.is_some() || f.epci.is_some() {
        let geo = store.geography()?;
        if let Some(c) = &f.commune {
            let name = geo
                .commune(c.as_str())
                .map(|c| c.name.clone())
                .unwrap_or_default();
            parts.push(format!("commune : {name} ({c})"));
        }
        if let Some(e) = &f.epci {
            let name = geo
                .epci(e.as_str())
                .map(|e| e.name.clone())
                .unwrap_or_default();
            parts.push(format!("EPCI : {name}"));
        }
    }
    match (f.year_from, f.year_to) {
        (Some(a), Some(b)) if a == b => parts.push(format!("année : {a}")),
        (Some(a), Some(b)) => parts.push(format!("années : {a} à {b}")),
        (Some(a), None) => parts.push(format!("années : depuis {a}")),
        (None, Some(b)) => parts.push(format!("années : jusqu'à {b}")),
        (None, None) => {}
    }
    if let Some(s) = f.stage {
        parts.push(format!("stade : {}", s.label()));
    }
    if f.communes_as_written {
        parts.push("communes telles qu'écrites par la source (anciennes communes à part)".into());
    }
    Ok(if parts.is_empty() {
        "Tout le registre".into()
    } else {
        parts.join(" ; ")
    })
}

/// The `communes` choice of a report's address (page and API): `origine` groups by the communes
/// as the source wrote them, `aujourdhui` (or nothing) by today's; else the French refusal.
pub fn communes_as_written(choice: Option<&str>) -> std::result::Result<bool, String> {
    match choice.map(str::trim) {
        None | Some("") | Some("aujourdhui") => Ok(false),
        Some("origine") => Ok(true),
        Some(other) => Err(format!(
            "communes : choix inconnu « {other} » (aujourdhui ou origine)"
        )),
    }
}

/// Report filters as users type them on the command line.
#[derive(Debug, Clone, Default)]
pub struct FilterText {
    pub programme: Option<String>,
    pub bailleur: Option<String>,
    pub commune: Option<String>,
    pub epci: Option<String>,
    pub quartier: Option<String>,
    pub projet: Option<String>,
    pub annee_min: Option<i32>,
    pub annee_max: Option<i32>,
    pub stade: Option<String>,
    /// Group by the communes as written (`--communes-d-origine`).
    pub communes_d_origine: bool,
}

/// Resolve typed names into a filter; unknown names get a French error with the closest ones.
pub fn resolve_filter(store: &dyn Store, t: &FilterText) -> Result<LineFilter> {
    use logis_domain::text::{closest, name_key};
    let find = |what: &str, wanted: &str, names: Vec<(i64, String)>| -> Result<i64> {
        let key = name_key(wanted);
        if let Some((id, _)) = names.iter().find(|(_, n)| name_key(n) == key) {
            return Ok(*id);
        }
        let near = closest(wanted, names.iter().map(|(_, n)| n.as_str()), 3);
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!(" (proches : {})", near.join(", "))
        };
        Err(AppError::Invalid(format!(
            "{what} inconnu(e) « {wanted} »{hint}"
        )))
    };
    let mut f = LineFilter::default();
    if let Some(p) = &t.programme {
        f.programme_id = Some(find(
            "programme",
            p,
            store
                .programmes()?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        )?);
    }
    if let Some(b) = &t.bailleur {
        let orgs: Vec<_> = store
            .organisations()?
            .into_iter()
            .filter(|o| o.kind == logis_domain::OrgKind::Landlord)
            .collect();
        let by_siren = orgs
            .iter()
            .find(|o| o.siren.as_ref().is_some_and(|s| s.as_str() == b.trim()))
            .map(|o| o.id);
        f.landlord_id = Some(match by_siren {
            Some(id) => id,
            None => find(
                "bailleur",
                b,
                orgs.into_iter().map(|o| (o.id, o.name)).collect(),
            )?,
        });
    }
    if let Some(p) = &t.projet {
        f.project_id = Some(find(
            "projet",
            p,
            store
                .projects()?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        )?);
    }
    if let Some(q) = &t.quartier {
        f.quartier_id = Some(find(
            "quartier",
            q,
            store
                .quartiers()?
                .into_iter()
                .map(|q| (q.id, q.name))
                .collect(),
        )?);
    }
    if t.commune.is_some() || t.epci.is_some() {
        let geo = store.geography()?;
        if let Some(c) = &t.commune {
            let territory = crate::reference::territory(store)?;
            f.commune = Some(
                geo.resolve(c, territory.as_ref())
                    .map_err(|e| AppError::Invalid(e.to_string()))?
                    .code
                    .clone(),
            );
        }
        if let Some(e) = &t.epci {
            let siren = logis_domain::Siren::parse(e).map_err(|e| AppError::Invalid(e.0))?;
            if geo.epci(siren.as_str()).is_none() {
                return Err(AppError::Invalid(format!(
                    "aucun EPCI de SIREN {siren} dans le référentiel"
                )));
            }
            f.epci = Some(siren);
        }
    }
    f.year_from = t.annee_min;
    f.year_to = t.annee_max;
    if let Some(s) = &t.stade {
        f.stage = Some(Stage::parse(s).map_err(|e| AppError::Invalid(e.0))?);
    }
    f.communes_as_written = t.communes_d_origine;
    Ok(f)
}
