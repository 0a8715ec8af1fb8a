//! "Mon compte" (password change, API tokens) and the administrator's pages (accounts,
//! organisations). Every write goes through `logis-app` with the user as audit actor.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use logis_app::accounts as auth;
use logis_domain::{OrgKind, Permission, Role};
use logis_store::NewOrganisation;
use serde::Deserialize;

fn date(ts: i64) -> String {
    crate::local_time(ts, "%d/%m/%Y %H:%M")
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    chrome: Chrome,
    login: String,
    name: String,
    role: &'static str,
    organisation: String,
    /// (id, name, prefix, created, last used, revoked)
    tokens: Vec<(i64, String, String, String, String, String)>,
    message: String,
    error: String,
    /// A token secret shown once, right after its creation.
    secret: String,
}

async fn account_page(
    s: &AppState,
    a: &Authed,
    message: String,
    error: String,
    secret: String,
) -> Result<Response, PageError> {
    let store = s.store.clone();
    let id = a.user.id;
    let tokens = blocking(move || store.api_tokens(id)).await?;
    let mut res = render(&AccountPage {
        chrome: a.chrome("compte"),
        login: a.user.login.clone(),
        name: a.user.display_name.clone(),
        role: a.user.role.label(),
        organisation: a.user.organisation.clone().unwrap_or_default(),
        tokens: tokens
            .into_iter()
            .map(|t| {
                (
                    t.id,
                    t.name,
                    t.prefix,
                    date(t.created_at),
                    t.last_used_at.map(date).unwrap_or_default(),
                    t.revoked_at.map(date).unwrap_or_default(),
                )
            })
            .collect(),
        message,
        error: error.clone(),
        secret,
    });
    if !error.is_empty() {
        *res.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(res)
}

pub(crate) async fn account(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    account_page(&s, &a, String::new(), String::new(), String::new()).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    actuel: String,
    #[serde(default)]
    nouveau: String,
    #[serde(default)]
    confirmation: String,
}

pub(crate) async fn change_password(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    if f.nouveau != f.confirmation {
        return account_page(
            &s,
            &a,
            String::new(),
            "les deux nouveaux mots de passe sont différents".into(),
            String::new(),
        )
        .await;
    }
    let store = s.store.clone();
    let user = a.user.clone();
    let r = blocking(move || {
        auth::change_password(store.as_ref(), &user, &f.actuel, &f.nouveau)
            .map_err(crate::app_to_store)
    })
    .await?;
    match r {
        // Changing the password ends every session, this one included.
        Ok(()) => Ok(axum::response::Redirect::to("/connexion").into_response()),
        Err(e) => account_page(&s, &a, String::new(), e, String::new()).await,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    nom: String,
}

pub(crate) async fn create_token(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    let store = s.store.clone();
    let actor = a.actor();
    let id = a.user.id;
    let r = blocking(move || Ok(auth::create_token(store.as_ref(), &actor, id, &f.nom))).await?;
    match r {
        Ok((t, secret)) => {
            account_page(
                &s,
                &a,
                format!(
                    "Jeton « {} » créé. Copiez-le maintenant : il ne sera plus affiché.",
                    t.name
                ),
                String::new(),
                secret,
            )
            .await
        }
        Err(e) => account_page(&s, &a, String::new(), e.to_string(), String::new()).await,
    }
}

pub(crate) async fn revoke_token(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let store = s.store.clone();
    let actor = a.actor();
    let user = a.user.id;
    let done = blocking(move || store.revoke_api_token(&actor, user, id)).await?;
    if done {
        account_page(
            &s,
            &a,
            "Jeton révoqué.".into(),
            String::new(),
            String::new(),
        )
        .await
    } else {
        Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "Ce jeton n'existe pas ou est déjà révoqué.".into(),
        })
    }
}

#[derive(Template)]
#[template(path = "accounts/users.html")]
struct UsersPage {
    chrome: Chrome,
    /// (id, login, name, role, organisation, active, password chosen)
    users: Vec<(i64, String, String, &'static str, String, bool, bool)>,
    roles: Vec<(&'static str, &'static str)>,
    organisations: Vec<(i64, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    /// (e-mail, role, organisation, SIRET, state)
    invitations: Vec<(String, &'static str, String, String, String)>,
    message: String,
    error: String,
    link: String,
}

async fn users_page(
    s: &AppState,
    a: &Authed,
    message: String,
    error: String,
    link: String,
) -> Result<Response, PageError> {
    a.require(Permission::ManageUsers)?;
    let store = s.store.clone();
    let (users, orgs, invitations) =
        blocking(move || Ok((store.users()?, store.organisations()?, store.invitations()?)))
            .await?;
    let invitations = invitations
        .into_iter()
        .map(|i| {
            (
                i.email,
                i.role.label(),
                orgs.iter()
                    .find(|o| Some(o.id) == i.organisation_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                i.siret.unwrap_or_default(),
                i.used_at
                    .map(|d| format!("compte ouvert le {d}"))
                    .unwrap_or_else(|| "en attente de la première connexion".into()),
            )
        })
        .collect();
    let mut res = render(&UsersPage {
        chrome: a.chrome("admin"),
        users: users
            .into_iter()
            .map(|u| {
                (
                    u.id,
                    u.login,
                    u.display_name,
                    u.role.label(),
                    u.organisation.unwrap_or_default(),
                    !u.disabled,
                    u.has_password,
                )
            })
            .collect(),
        roles: Role::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        organisations: orgs
            .into_iter()
            .map(|o| (o.id, format!("{} ({})", o.name, o.kind.label())))
            .collect(),
        kinds: OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        invitations,
        message,
        error: error.clone(),
        link,
    });
    if !error.is_empty() {
        *res.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(res)
}

pub(crate) async fn users(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    users_page(&s, &a, String::new(), String::new(), String::new()).await
}

fn reset_url(s: &AppState, secret: &str) -> String {
    format!("{}/reinitialiser/{secret}", s.public_url)
}

#[derive(Debug, Deserialize)]
pub(crate) struct UserForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
}

pub(crate) async fn add_user(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Form(f): Form<UserForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageUsers)?;
    let role = match Role::parse(&f.role) {
        Ok(r) => r,
        Err(e) => return users_page(&s, &a, String::new(), e.0, String::new()).await,
    };
    let org = match f.organisation.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return users_page(
                    &s,
                    &a,
                    String::new(),
                    format!("organisation invalide « {v} »"),
                    String::new(),
                )
                .await;
            }
        },
    };
    let store = s.store.clone();
    let actor = a.actor();
    let r = blocking(move || {
        Ok(
            auth::add_user(store.as_ref(), &actor, &f.identifiant, &f.nom, role, org)
                .and_then(|u| Ok((auth::reset_link(store.as_ref(), &actor, u.id)?, u))),
        )
    })
    .await?;
    match r {
        Ok((secret, u)) => {
            let link = reset_url(&s, &secret);
            users_page(
                &s,
                &a,
                format!("Compte « {} » créé. Transmettez-lui ce lien (valable 48 h, une seule fois) pour choisir son mot de passe :", u.login),
                String::new(),
                link,
            )
            .await
        }
        Err(e) => users_page(&s, &a, String::new(), e.to_string(), String::new()).await,
    }
}

/// `/admin/utilisateurs/{id}/{action}`: desactiver, reactiver, reinitialiser.
pub(crate) async fn user_action(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageUsers)?;
    let store = s.store.clone();
    let actor = a.actor();
    let me = a.user.id;
    let act = action.clone();
    let r = blocking(move || {
        let Some(u) = store.user(id)? else {
            return Ok(Err(format!("compte {id} introuvable")));
        };
        match act.as_str() {
            "desactiver" if u.id == me => Ok(Err(
                "vous ne pouvez pas désactiver votre propre compte".into(),
            )),
            "desactiver" => store
                .set_user_disabled(&actor, id, true)
                .map(|()| Ok((format!("Compte « {} » désactivé.", u.login), String::new()))),
            "reactiver" => store
                .set_user_disabled(&actor, id, false)
                .map(|()| Ok((format!("Compte « {} » réactivé.", u.login), String::new()))),
            "reinitialiser" => auth::reset_link(store.as_ref(), &actor, id)
                .map_err(crate::app_to_store)
                .map(|secret| {
                    Ok((
                        format!(
                            "Nouveau lien pour « {} » (valable 48 h, une seule fois) :",
                            u.login
                        ),
                        secret,
                    ))
                }),
            _ => Ok(Err(format!("action inconnue « {act} »"))),
        }
    })
    .await?;
    match r {
        Ok((message, secret)) => {
            let link = if secret.is_empty() {
                String::new()
            } else {
                reset_url(&s, &secret)
            };
            users_page(&s, &a, message, String::new(), link).await
        }
        Err(e) if e.starts_with("compte") || e.starts_with("action") => Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: e,
        }),
        Err(e) => users_page(&s, &a, String::new(), e, String::new()).await,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct OrgForm {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    type_organisation: String,
    #[serde(default)]
    siren: String,
    #[serde(default)]
    commune: String,
}

pub(crate) async fn add_organisation(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Form(f): Form<OrgForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageUsers)?;
    let parsed = (|| -> Result<NewOrganisation, String> {
        Ok(NewOrganisation {
            kind: OrgKind::parse(&f.type_organisation).map_err(|e| e.0)?,
            name: f.nom.chars().take(200).collect(),
            siren: match f.siren.trim() {
                "" => None,
                v => Some(logis_domain::Siren::parse(v).map_err(|e| e.0)?),
            },
            commune: match f.commune.trim() {
                "" => None,
                v => Some(logis_domain::CommuneCode::parse(v).map_err(|e| e.0)?),
            },
        })
    })();
    let org = match parsed {
        Ok(o) => o,
        Err(e) => return users_page(&s, &a, String::new(), e, String::new()).await,
    };
    let store = s.store.clone();
    let actor = a.actor();
    let r = blocking(move || Ok(store.add_organisation(&actor, &org))).await?;
    match r {
        Ok(o) => {
            users_page(
                &s,
                &a,
                format!("Organisation « {} » ajoutée.", o.name),
                String::new(),
                String::new(),
            )
            .await
        }
        Err(e @ (logis_store::StoreError::Conflict(_) | logis_store::StoreError::Invalid(_))) => {
            users_page(&s, &a, String::new(), e.to_string(), String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct InvitationForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    siret: String,
}

/// Invite an e-mail to log in through the OpenID provider (the administrator).
pub(crate) async fn invite(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Form(f): Form<InvitationForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageUsers)?;
    let store = s.store.clone();
    let actor = a.actor();
    let principal = a.principal.clone();
    let email = f.email.trim().to_lowercase();
    let r = blocking(move || {
        Ok(logis_app::oidc::invite(
            store.as_ref(),
            &principal,
            &actor,
            &f.email,
            &f.role,
            &f.organisation,
            &f.siret,
        ))
    })
    .await?;
    match r {
        Ok(_) => {
            users_page(
                &s,
                &a,
                format!("{email} est invitée : sa première connexion par le fournisseur d'identité ouvrira son compte."),
                String::new(),
                String::new(),
            )
            .await
        }
        Err(e) => users_page(&s, &a, String::new(), e.to_string(), String::new()).await,
    }
}
