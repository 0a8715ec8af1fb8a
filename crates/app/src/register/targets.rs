//! Setting a programme's targets from what users type.

use crate::{AppError, Result};
use logis_domain::numbers::parse_integer;
use logis_domain::register::targets::{Split, SplitDimension, TargetScope, Targets};
use logis_domain::text::name_key;
use logis_domain::{Nature, OrgKind, Product};
use logis_store::Actor;
use logis_store::Store;

#[derive(Debug, Clone, Default)]
pub struct TargetsText {
    pub programme: String,
    /// "production" or a nature ("réhabilitation").
    pub scope: String,
    pub total: Option<u64>,
    pub first_year: i32,
    pub last_year: i32,
    pub social_percent: Option<u8>,
    /// "1200-1500".
    pub band: Option<String>,
    /// "bailleur:Vilogia=4000", "commune:Dunkerque=3000", "produit:PLAI=1500", "nature:Démolition=200".
    pub splits: Vec<String>,
}

fn invalid(s: impl Into<String>) -> AppError {
    AppError::Invalid(s.into())
}

/// Resolve, check and store the targets; returns them.
pub fn set_targets(store: &dyn Store, actor: &Actor, t: &TargetsText) -> Result<Targets> {
    let programme = store
        .programmes()?
        .into_iter()
        .find(|p| name_key(&p.name) == name_key(&t.programme))
        .ok_or_else(|| invalid(format!("programme inconnu « {} »", t.programme)))?;
    let scope = if name_key(&t.scope) == "production" || t.scope.trim().is_empty() {
        TargetScope::Production
    } else {
        TargetScope::Nature(
            Nature::parse(&t.scope).map_err(|e| invalid(format!("périmètre : {}", e.0)))?,
        )
    };
    let band = match t.band.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => {
            let (lo, hi) = b.split_once(['-', '–']).ok_or_else(|| {
                invalid(format!(
                    "bande annuelle « {b} » : attendu minimum-maximum, par exemple 1200-1500"
                ))
            })?;
            let n = |v: &str| {
                parse_integer(v)
                    .filter(|n| *n >= 0)
                    .map(|n| n as u64)
                    .ok_or_else(|| invalid(format!("bande annuelle : « {v} » n'est pas un nombre")))
            };
            Some((n(lo)?, n(hi)?))
        }
    };
    let mut splits = Vec::new();
    let geo = if t.splits.iter().any(|s| s.starts_with("commune")) {
        Some(store.geography()?)
    } else {
        None
    };
    let landlords: Vec<_> = store
        .organisations()?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Landlord)
        .collect();
    for raw in &t.splits {
        let err = || {
            invalid(format!(
                "répartition « {raw} » : attendu dimension:valeur=logements, par exemple bailleur:Vilogia=4000"
            ))
        };
        let (dim, rest) = raw.split_once(':').ok_or_else(err)?;
        let (value, count) = rest.rsplit_once('=').ok_or_else(err)?;
        let dimension = SplitDimension::from_code(&name_key(dim)).ok_or_else(|| {
            invalid(format!(
                "répartition « {raw} » : dimension inconnue (bailleur, commune, produit, nature)"
            ))
        })?;
        let dwellings = parse_integer(count).filter(|n| *n >= 0).ok_or_else(err)? as u64;
        let (key, label) = match dimension {
            SplitDimension::Landlord => {
                let o = landlords
                    .iter()
                    .find(|o| name_key(&o.name) == name_key(value))
                    .ok_or_else(|| {
                        invalid(format!("répartition : bailleur inconnu « {value} »"))
                    })?;
                (o.name.clone(), o.name.clone())
            }
            SplitDimension::Commune => {
                let geo = geo.as_ref().ok_or(AppError::NoReference)?;
                let c = geo
                    .resolve(value, crate::reference::territory(store)?.as_ref())
                    .map_err(|e| invalid(e.to_string()))?;
                (c.code.to_string(), c.name.clone())
            }
            SplitDimension::Product => {
                let p = Product::parse(value).map_err(|e| invalid(e.0))?;
                (p.code().to_string(), p.label().to_string())
            }
            SplitDimension::Nature => {
                let n = Nature::parse(value).map_err(|e| invalid(e.0))?;
                (n.code().to_string(), n.label().to_string())
            }
        };
        splits.push(Split {
            dimension,
            key,
            label,
            dwellings,
        });
    }
    let targets = Targets::new(
        scope,
        t.total,
        (t.first_year, t.last_year),
        t.social_percent,
        band,
        splits,
    )
    .map_err(|e| invalid(e.0))?;
    store.set_targets(actor, programme.id, &targets)?;
    Ok(targets)
}
