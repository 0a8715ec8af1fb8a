//! The reference's subcommands: `init` (the reference data, the territory, the first
//! administrator) and `communes`.

use super::*;
use crate::accounts::public_url;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ListFormat {
    Csv,
}

/// `logis init`.
pub(crate) fn init(
    db: Option<&str>,
    territoire: Option<String>,
    admin: String,
) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let r = setup::init(store.as_ref())?;
    if r.reference_loaded {
        println!(
            "Référentiel chargé : {} communes, {} anciennes communes, {} EPCI.",
            r.communes, r.former_communes, r.epcis
        );
    } else {
        println!(
            "Référentiel déjà à jour ({}).",
            logis_io::reference::VERSION
        );
    }
    if let Some(t) = territoire {
        let territory = logis_domain::Territory::parse(&t).map_err(Failure)?;
        setup::set_territory(store.as_ref(), &Actor::cli(), &territory)?;
        let geo = store.geography()?;
        println!(
            "Territoire : {} ({} communes).",
            territory.describe(&geo),
            geo.territory_members(&territory).count()
        );
    }
    if store.users()?.is_empty() {
        let actor = Actor::cli();
        let user = auth::add_user(
            store.as_ref(),
            &actor,
            &admin,
            "Administrateur",
            Role::Admin,
            None,
        )?;
        let secret = auth::reset_link(store.as_ref(), &actor, user.id)?;
        println!(
            "Premier administrateur créé : « {} ».\nLancez « logis serve », puis ouvrez ce lien (valable 48 h, une seule fois) pour choisir son mot de passe :\n  {}/reinitialiser/{secret}\nEnsuite, connectez-vous sur {}/connexion.",
            user.login,
            public_url(),
            public_url()
        );
    }
    Ok(())
}

/// `logis communes`.
pub(crate) fn communes(db: Option<&str>, search: Option<String>) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    if !store.reference_loaded()? {
        return Err(AppError::NoReference.into());
    }
    let geo = store.geography()?;
    let communes = match search.as_deref() {
        Some(text) => store.search_communes(text, 1000)?,
        None => geo.communes().to_vec(),
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(std::io::stdout().lock());
    let io = |e: csv::Error| Failure(format!("erreur d'écriture : {e}"));
    w.write_record([
        "code_insee",
        "nom",
        "departement",
        "population",
        "epci_siren",
        "epci",
    ])
    .map_err(io)?;
    for c in communes {
        let epci = c.epci.as_ref().and_then(|e| geo.epci(e.as_str()));
        w.write_record([
            c.code.as_str().to_string(),
            c.name,
            c.department,
            c.population.map(|p| p.to_string()).unwrap_or_default(),
            c.epci
                .as_ref()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            epci.map(|e| e.name.clone()).unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    w.flush()?;
    Ok(())
}
