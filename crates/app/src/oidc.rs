//! Login with an OpenID Connect provider such as ProConnect (issue 23), beside the local
//! accounts: an administrator invites an e-mail (and optionally a SIRET, whose SIREN must be its
//! organisation's) with a role; a first login of an unknown e-mail creates nothing (the person is
//! told to ask for an invitation); a login whose SIRET does not belong to the invited
//! organisation is refused, with the reason in French. Nothing here is ProConnect's own beyond
//! the claims it documents (`email`, `siret`, `given_name`, `usual_name`).

use crate::{AppError, Result};
use logis_domain::codes::Siret;
use logis_domain::{Principal, Role};
use logis_store::oidc::Invitation;
use logis_store::{Actor, Store, User};

/// The claims of a verified ID token (and the user info) that logis reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub siret: Option<String>,
    pub given_name: Option<String>,
    pub usual_name: Option<String>,
}

fn valid_email(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(a, b)| {
            !a.is_empty() && b.contains('.') && !b.starts_with('.') && !b.ends_with('.')
        })
        && !e.contains(char::is_whitespace);
    ok.then_some(e)
}

/// Invite an e-mail (the EPCI's administrator): its role, its organisation (name or SIREN;
/// required by most roles), an optional SIRET whose SIREN must be the organisation's.
pub fn invite(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    email: &str,
    role: &str,
    organisation: &str,
    siret: &str,
) -> Result<i64> {
    if principal.role != Role::Admin {
        return Err(AppError::Invalid(
            "seul l'administrateur invite une personne".into(),
        ));
    }
    let email = valid_email(email).ok_or_else(|| {
        AppError::Invalid(format!(
            "adresse électronique invalide « {} »",
            email.trim()
        ))
    })?;
    let role = Role::parse(role).map_err(|e| AppError::Invalid(e.0))?;
    let orgs = store.organisations()?;
    let org = match organisation.trim() {
        "" => None,
        o => {
            // By its number (the page's list), its name or its SIREN.
            let by_number = o
                .parse::<i64>()
                .ok()
                .filter(|n| orgs.iter().any(|x| x.id == *n));
            let id = match by_number {
                Some(n) => n,
                None => crate::proximity::organisations(store)?
                    .find(o)
                    .ok_or_else(|| AppError::Invalid(format!("organisation inconnue « {o} »")))?,
            };
            orgs.iter().find(|x| x.id == id)
        }
    };
    role.check_organisation(
        org.map(|o| o.kind),
        org.is_some_and(|o| o.commune.is_some()),
    )
    .map_err(|e| AppError::Invalid(e.0))?;
    let siret = match siret.trim() {
        "" => None,
        s => {
            let s = Siret::parse(s).map_err(|e| AppError::Invalid(e.0))?;
            match org.and_then(|o| o.siren.as_ref()) {
                Some(siren) if s.as_str().get(..9) == Some(siren.as_str()) => {}
                Some(siren) => {
                    return Err(AppError::Invalid(format!(
                        "le SIRET {} n'est pas un établissement de {} (SIREN {})",
                        s.as_str(),
                        org.map(|o| o.name.as_str()).unwrap_or(""),
                        siren.as_str()
                    )));
                }
                None => {
                    return Err(AppError::Invalid(
                        "un SIRET demande une organisation dont le SIREN est connu".into(),
                    ));
                }
            }
            Some(s.as_str().to_string())
        }
    };
    if store.invitations()?.iter().any(|i| i.email == email) {
        return Err(AppError::Invalid(format!("{email} est déjà invitée")));
    }
    Ok(store.invite(actor, &email, role, org.map(|o| o.id), siret.as_deref())?)
}

/// Why a login through the provider is refused, in French.
fn refused(message: String) -> Result<std::result::Result<User, String>> {
    Ok(Err(message))
}

/// The account of a verified login: the one its subject is bound to, else the one its invitation
/// opens (created now, bound to the subject); or why it is refused.
pub fn login(store: &dyn Store, claims: &Claims) -> Result<std::result::Result<User, String>> {
    let orgs = store.organisations()?;
    // The SIRET claimed, against an organisation (and an invitation's own SIRET).
    let siret_refusal = |org: Option<i64>, wanted: Option<&str>| -> Option<String> {
        let claimed = claims
            .siret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(w) = wanted {
            return match claimed {
                Some(c) if c == w => None,
                Some(c) => Some(format!(
                    "Connexion refusée : votre invitation est pour l'établissement de SIRET {w}, le fournisseur d'identité indique le SIRET {c}."
                )),
                None => Some(format!(
                    "Connexion refusée : votre invitation est pour l'établissement de SIRET {w}, le fournisseur d'identité n'indique aucun SIRET."
                )),
            };
        }
        let org = orgs.iter().find(|o| Some(o.id) == org)?;
        let siren = org.siren.as_ref()?;
        match claimed {
            Some(c) if c.get(..9) == Some(siren.as_str()) => None,
            Some(c) => Some(format!(
                "Connexion refusée : le SIRET {c} n'est pas un établissement de {} (SIREN {}), l'organisation de votre compte.",
                org.name,
                siren.as_str()
            )),
            None => None,
        }
    };
    if let Some(id) = store.identity_user(&claims.issuer, &claims.subject)? {
        let Some(user) = store.user(id)? else {
            return refused("Connexion refusée : compte introuvable.".into());
        };
        if user.disabled {
            return refused("Connexion refusée : ce compte est désactivé.".into());
        }
        if let Some(r) = siret_refusal(user.organisation_id, None) {
            return refused(r);
        }
        return Ok(Ok(user));
    }
    let Some(email) = claims.email.as_deref().and_then(valid_email) else {
        return refused(
            "Connexion refusée : le fournisseur d'identité n'a pas transmis d'adresse électronique.".into(),
        );
    };
    let invitation: Option<Invitation> =
        store.invitations()?.into_iter().find(|i| i.email == email);
    let Some(inv) = invitation.filter(|i| i.user_id.is_none()) else {
        return refused(format!(
            "Aucun compte n'est ouvert pour {email} : un administrateur de logis doit d'abord vous inviter."
        ));
    };
    if let Some(r) = siret_refusal(inv.organisation_id, inv.siret.as_deref()) {
        return refused(r);
    }
    let name = [claims.given_name.as_deref(), claims.usual_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let actor = Actor {
        user_id: None,
        name: format!("openid:{email}"),
        organisation_id: inv.organisation_id,
        via: logis_store::Via::Web,
    };
    let user = match crate::accounts::add_user(
        store,
        &actor,
        &email,
        &name,
        inv.role,
        inv.organisation_id,
    ) {
        Ok(u) => u,
        // A login interrupted after its account was created: that account.
        Err(AppError::Store(logis_store::StoreError::Conflict(_))) => {
            match store.users()?.into_iter().find(|u| u.login == email) {
                Some(u) => u,
                None => return refused("Connexion refusée : compte introuvable.".into()),
            }
        }
        Err(e) => return Err(e),
    };
    store.bind_identity(&actor, &claims.issuer, &claims.subject, user.id, inv.id)?;
    Ok(Ok(user))
}
