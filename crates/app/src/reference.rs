//! Setting a database up: reference geography, the territory of the instance.

use crate::{AppError, Result};
use logis_domain::Territory;
use logis_store::{Actor, Store};

/// Setting: the instance's territory (one or more EPCIs or departments, as
/// [`Territory::to_text`] writes it), where ambiguous commune names resolve and whose communes
/// the dashboard, the map and the référentiel show. (Its key predates territories of several
/// parts: a single SIREN reads as before.)
pub const TERRITORY: &str = "territoire_epci";
/// Setting: which package version the reference tables were loaded from.
pub const REFERENCE_VERSION: &str = "version_referentiel";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// True when the reference tables were (re)loaded by this call.
    pub reference_loaded: bool,
    pub communes: usize,
    pub former_communes: usize,
    pub epcis: usize,
}

/// Make a database ready: load the embedded reference geography unless this version is there.
/// Idempotent.
pub fn init(store: &dyn Store) -> Result<InitReport> {
    let data = logis_io::reference::embedded().map_err(|e| AppError::Invalid(e.to_string()))?;
    let current = store.setting(REFERENCE_VERSION)?;
    let load =
        current.as_deref() != Some(logis_io::reference::VERSION) || !store.reference_loaded()?;
    if load {
        let actor = Actor::system("init");
        store.load_reference(&actor, &data)?;
        store.set_setting(&actor, REFERENCE_VERSION, logis_io::reference::VERSION)?;
    }
    Ok(InitReport {
        reference_loaded: load,
        communes: data.communes.len(),
        former_communes: data.former.len(),
        epcis: data.epcis.len(),
    })
}

/// The instance's territory, if set.
pub fn territory(store: &dyn Store) -> Result<Option<Territory>> {
    Ok(store
        .setting(TERRITORY)?
        .and_then(|s| Territory::parse(&s).ok()))
}

/// The reference geography (loaded, else the French refusal to run `logis init` first) and the
/// instance's territory: what every import resolves its communes against.
pub fn geography(
    store: &dyn Store,
) -> Result<(std::sync::Arc<logis_domain::Geography>, Option<Territory>)> {
    let geo = store.geography()?;
    if geo.is_empty() {
        return Err(AppError::NoReference);
    }
    Ok((geo, territory(store)?))
}

/// Set the territory: EPCIs and departments known to the reference.
pub fn set_territory(store: &dyn Store, actor: &Actor, territory: &Territory) -> Result<()> {
    let geo = store.geography()?;
    if geo.is_empty() {
        return Err(AppError::NoReference);
    }
    territory.check(&geo).map_err(AppError::Invalid)?;
    store.set_setting(actor, TERRITORY, &territory.to_text())?;
    Ok(())
}
