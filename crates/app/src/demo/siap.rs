//! The demo's operations taken from SIAP (issue 23): two INVENTED operations of an invented
//! landlord (« Bailleur fictif de la démonstration », SIREN 999 999 998, valid by its key and
//! obviously not a company's), in Gravelines and Loon-Plage, imported through `app::siap` as the
//! CUD would import its SIAP batch (`data/demo/siap-cud.json`, one with the contract's
//! `plansFinancement`, one with the example's `planFinancement`). Importing it again changes
//! nothing.

use crate::Result;
use logis_domain::{Principal, Role};
use logis_store::{Actor, NewOrganisation, Store};

/// The demo's SIAP batch.
pub const SIAP_FILE: &str = include_str!("../../../../data/demo/siap-cud.json");
const OWNER: &str = "Bailleur fictif de la démonstration";

pub(super) fn load(store: &dyn Store, actor: &Actor) -> Result<()> {
    if !store.organisations()?.iter().any(|o| o.name == OWNER) {
        store.add_organisation(
            actor,
            &NewOrganisation {
                kind: logis_domain::register::vocab::OrgKind::Landlord,
                name: OWNER.into(),
                siren: Some(
                    logis_domain::Siren::parse("999999998")
                        .map_err(|e| crate::AppError::Invalid(e.0))?,
                ),
                commune: None,
            },
        )?;
    }
    let admin = Principal {
        user_id: 0,
        login: "demo".into(),
        role: Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let r = crate::siap::import_siap(store, &admin, actor, SIAP_FILE.as_bytes(), true, false)?;
    if !r.problems.is_empty() {
        return Err(crate::AppError::Invalid(format!(
            "lot SIAP de démonstration refusé :\n{}",
            r.render_fr()
        )));
    }
    Ok(())
}
