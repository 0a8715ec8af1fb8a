//! `logis user`: accounts (create, list, disable, enable, a reset link).

use super::*;

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Crée un compte et affiche le lien à usage unique pour choisir son mot de passe
    Add {
        /// Identifiant de connexion (lettres sans accent, chiffres, . - _ @)
        #[arg(long)]
        login: String,
        /// Nom affiché
        #[arg(long, default_value = "")]
        nom: String,
        /// Rôle : admin_epci, agent_epci, bailleur_editeur, bailleur_lecteur, commune_lecteur,
        /// etat_lecteur, observateur
        #[arg(long)]
        role: String,
        /// Numéro de l'organisation (voir « logis org list »)
        #[arg(long)]
        org: Option<i64>,
    },
    /// Liste les comptes (CSV)
    List,
    /// Désactive un compte (ses sessions sont fermées, ses jetons ne marchent plus)
    Disable { login: String },
    /// Réactive un compte
    Enable { login: String },
    /// Affiche un nouveau lien à usage unique pour choisir un mot de passe
    Reset { login: String },
}

/// The address printed in front of password links.
pub(crate) fn public_url() -> String {
    std::env::var("LOGIS_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into())
}

fn find_user(store: &dyn Store, login: &str) -> Result<logis_store::User, Failure> {
    let l = login.trim().to_lowercase();
    store
        .users()?
        .into_iter()
        .find(|u| u.login == l)
        .ok_or_else(|| Failure(format!("aucun compte « {login} »")))
}

pub(crate) fn user_command(db: Option<&str>, cmd: UserCommand) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let actor = Actor::cli();
    match cmd {
        UserCommand::Add {
            login,
            nom,
            role,
            org,
        } => {
            let role = Role::parse(&role).map_err(|e| Failure(e.0))?;
            let user = auth::add_user(store.as_ref(), &actor, &login, &nom, role, org)?;
            let secret = auth::reset_link(store.as_ref(), &actor, user.id)?;
            println!(
                "Compte créé : {} ({}).\nPour choisir son mot de passe (lien valable 48 h, une seule fois) :\n  {}/reinitialiser/{secret}",
                user.login,
                user.role.label(),
                public_url()
            );
        }
        UserCommand::List => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(std::io::stdout().lock());
            let io = |e: csv::Error| Failure(format!("erreur d'écriture : {e}"));
            w.write_record([
                "id",
                "identifiant",
                "nom",
                "role",
                "organisation",
                "actif",
                "mot_de_passe_choisi",
            ])
            .map_err(io)?;
            for u in store.users()? {
                w.write_record([
                    u.id.to_string(),
                    u.login,
                    u.display_name,
                    u.role.code().to_string(),
                    u.organisation.unwrap_or_default(),
                    if u.disabled { "non" } else { "oui" }.to_string(),
                    if u.has_password { "oui" } else { "non" }.to_string(),
                ])
                .map_err(io)?;
            }
            w.flush()?;
        }
        UserCommand::Disable { login } => {
            let u = find_user(store.as_ref(), &login)?;
            store.set_user_disabled(&actor, u.id, true)?;
            println!("Compte {} désactivé.", u.login);
        }
        UserCommand::Enable { login } => {
            let u = find_user(store.as_ref(), &login)?;
            store.set_user_disabled(&actor, u.id, false)?;
            println!("Compte {} réactivé.", u.login);
        }
        UserCommand::Reset { login } => {
            let u = find_user(store.as_ref(), &login)?;
            let secret = auth::reset_link(store.as_ref(), &actor, u.id)?;
            println!(
                "Lien pour choisir un nouveau mot de passe (valable 48 h, une seule fois) :\n  {}/reinitialiser/{secret}",
                public_url()
            );
        }
    }
    Ok(())
}

/// `logis invitation …`: who may log in through the OpenID provider (issue 23).
#[derive(clap::Subcommand)]
pub(crate) enum InvitationCommand {
    /// Invite une adresse électronique avec un rôle (et son organisation, un SIRET facultatif)
    Creer {
        #[arg(long)]
        email: String,
        /// admin, agent, bailleur_editeur, bailleur_lecteur, commune, etat, observateur…
        #[arg(long)]
        role: String,
        /// L'organisation (nom ou SIREN)
        #[arg(long, default_value = "")]
        organisation: String,
        /// Le SIRET de l'établissement (son SIREN doit être celui de l'organisation)
        #[arg(long, default_value = "")]
        siret: String,
    },
    /// Liste les invitations et celles qui ont servi
    Lister,
}

pub(crate) fn invitation(db: Option<&str>, cmd: InvitationCommand) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    match cmd {
        InvitationCommand::Creer {
            email,
            role,
            organisation,
            siret,
        } => {
            logis_app::oidc::invite(
                store.as_ref(),
                &crate::land::cli_principal(),
                &Actor::cli(),
                &email,
                &role,
                &organisation,
                &siret,
            )?;
            println!(
                "Invitation enregistrée : {} peut se connecter par le fournisseur d'identité.",
                email.trim().to_lowercase()
            );
        }
        InvitationCommand::Lister => {
            let orgs = store.organisations()?;
            for i in store.invitations()? {
                let org = orgs
                    .iter()
                    .find(|o| Some(o.id) == i.organisation_id)
                    .map(|o| o.name.as_str())
                    .unwrap_or("—");
                println!(
                    "{} — {} — {}{} — {}",
                    i.email,
                    i.role.label(),
                    org,
                    i.siret.map(|s| format!(" (SIRET {s})")).unwrap_or_default(),
                    i.used_at
                        .map(|d| format!("compte ouvert le {d}"))
                        .unwrap_or_else(|| "en attente".into())
                );
            }
        }
    }
    Ok(())
}
