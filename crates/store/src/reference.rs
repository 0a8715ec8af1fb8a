//! The reference geography (departments, EPCIs, communes and former communes, derived from a
//! pinned registry package) and the installation's settings, as the store keeps them.

use crate::Result;
use crate::audit::Actor;
use logis_domain::{Commune, Epci, FormerCommune, Geography};

/// Every reference table, as derived from the pinned registry package.
#[derive(Debug, Clone, Default)]
pub struct ReferenceData {
    pub departments: Vec<(String, String, String)>,
    pub epcis: Vec<Epci>,
    pub communes: Vec<Commune>,
    pub former: Vec<FormerCommune>,
}

/// The geography cache every adapter keeps: read once, shared, dropped by `load_reference`.
#[derive(Default)]
pub struct GeographyCache(std::sync::Mutex<Option<std::sync::Arc<Geography>>>);

impl GeographyCache {
    /// The cached geography, or `load` it (and keep it when it is not empty).
    pub fn get_or_load(
        &self,
        load: impl FnOnce() -> Result<Geography>,
    ) -> Result<std::sync::Arc<Geography>> {
        if let Ok(guard) = self.0.lock()
            && let Some(g) = guard.as_ref()
        {
            return Ok(g.clone());
        }
        let g = std::sync::Arc::new(load()?);
        if !g.is_empty()
            && let Ok(mut guard) = self.0.lock()
        {
            *guard = Some(g.clone());
        }
        Ok(g)
    }
    pub fn clear(&self) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = None;
        }
    }
}

/// The reference geography and the settings.
pub trait ReferenceStore: Send + Sync {
    fn reference_loaded(&self) -> Result<bool>;
    /// Replace the reference tables (communes, former communes, EPCIs, departments).
    fn load_reference(&self, actor: &Actor, data: &ReferenceData) -> Result<()>;
    /// The reference geography; adapters read it once and share it until the next
    /// `load_reference`.
    fn geography(&self) -> Result<std::sync::Arc<Geography>>;
    /// Communes whose name key contains the key of `text`, or whose code starts with it.
    fn search_communes(&self, text: &str, limit: u32) -> Result<Vec<Commune>>;

    /// A setting (the territory, the reference data's version).
    fn setting(&self, key: &str) -> Result<Option<String>>;
    fn set_setting(&self, actor: &Actor, key: &str, value: &str) -> Result<()>;
}

/// This capability's SQL that both dialects read alike, written once (`$N` parameters in
/// order of first appearance: see [`crate::parameters_in_order`]).
pub mod sql {
    pub const REFERENCE_LOADED: &str = "SELECT EXISTS (SELECT 1 FROM communes)";
    pub const SETTING: &str = "SELECT value FROM settings WHERE key = $1";
    pub const SET_SETTING: &str = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

    /// Every text above, for the test of their parameters' order.
    pub const ALL: &[&str] = &[REFERENCE_LOADED, SETTING, SET_SETTING];
}

/// What the audit trail records of the reference's writes, the same from both adapters.
pub mod changes {
    use crate::audit::Change;

    /// The reference tables replaced by `data`.
    pub fn loaded(data: &super::ReferenceData) -> Change<'static> {
        Change {
            entity: "referentiel",
            entity_id: "geographie".into(),
            operation_id: None,
            action: "chargement",
            before: None,
            after: Some(serde_json::json!({
                "communes": data.communes.len(),
                "communes_deleguees": data.former.len(),
                "epci": data.epcis.len(),
            })),
        }
    }

    /// A setting given `value` (it was `before`).
    pub fn setting<'a>(key: &str, before: Option<String>, value: &str) -> Change<'a> {
        Change {
            entity: "parametre",
            entity_id: key.into(),
            operation_id: None,
            action: if before.is_some() {
                "modification"
            } else {
                "creation"
            },
            before: before.map(serde_json::Value::String),
            after: Some(serde_json::Value::String(value.into())),
        }
    }
}
