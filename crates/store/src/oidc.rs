//! Logins through an OpenID Connect provider (issue 23), written once on [`crate::tx`]: the
//! administrators' invitations and the providers' subjects bound to accounts.

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Row, Transactions, Value};
use logis_domain::Role;

pub mod sql {
    pub const INSERT_INVITATION: &str = "INSERT INTO invitations (email, role, organisation_id, siret, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
    pub const INVITATIONS: &str = "SELECT id, email, role, organisation_id, siret, created_at, user_id, used_at FROM invitations ORDER BY email";
    pub const USE_INVITATION: &str =
        "UPDATE invitations SET user_id = $1, used_at = $2 WHERE id = $3 AND user_id IS NULL";
    pub const IDENTITY: &str =
        "SELECT user_id FROM oidc_identities WHERE issuer = $1 AND subject = $2";
    pub const INSERT_IDENTITY: &str =
        "INSERT INTO oidc_identities (issuer, subject, user_id) VALUES ($1, $2, $3)";
    pub const ALL: &[&str] = &[
        INSERT_INVITATION,
        INVITATIONS,
        USE_INVITATION,
        IDENTITY,
        INSERT_IDENTITY,
    ];
}

/// An invitation as held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    /// Lower case.
    pub email: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub siret: Option<String>,
    pub created_at: String,
    /// The account its first login created.
    pub user_id: Option<i64>,
    pub used_at: Option<String>,
}

fn invitation_of(r: &Row) -> Result<Invitation> {
    let role = r.text(2)?;
    Ok(Invitation {
        id: r.int(0)?,
        email: r.text(1)?,
        role: Role::from_code(&role).ok_or_else(|| {
            crate::StoreError::Backend(format!("rôle stocké illisible « {role} »"))
        })?,
        organisation_id: r.opt_int(3)?,
        siret: r.opt_text(4)?,
        created_at: r.text(5)?,
        user_id: r.opt_int(6)?,
        used_at: r.opt_text(7)?,
    })
}

fn stamp() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M").to_string()
}

/// The OpenID logins' storage (adapters: `impl OidcStore for … {}`).
pub trait OidcStore: Transactions {
    /// Invite an e-mail (unique: a second invitation of it is a conflict).
    fn invite(
        &self,
        actor: &Actor,
        email: &str,
        role: Role,
        organisation_id: Option<i64>,
        siret: Option<&str>,
    ) -> Result<i64> {
        tx::write(self, |tx| {
            let id = tx.insert(
                sql::INSERT_INVITATION,
                &[
                    Value::text(email),
                    Value::text(role.code()),
                    Value::Int(organisation_id),
                    Value::Text(siret.map(str::to_string)),
                    Value::text(stamp()),
                ],
            )?;
            tx.record(
                actor,
                &Change::event(
                    "invitation",
                    id,
                    "creation",
                    serde_json::json!({ "email": email, "role": role.code(), "organisation": organisation_id, "siret": siret }),
                ),
            )?;
            Ok(id)
        })
    }

    fn invitations(&self) -> Result<Vec<Invitation>> {
        tx::read(self, |tx| {
            tx.query(sql::INVITATIONS, &[])?
                .iter()
                .map(invitation_of)
                .collect()
        })
    }

    /// The account bound to a provider's subject.
    fn identity_user(&self, issuer: &str, subject: &str) -> Result<Option<i64>> {
        tx::read(self, |tx| {
            tx.query(sql::IDENTITY, &[Value::text(issuer), Value::text(subject)])?
                .first()
                .map(|r| r.int(0))
                .transpose()
        })
    }

    /// Bind a provider's subject to an account, the invitation it came from marked used.
    fn bind_identity(
        &self,
        actor: &Actor,
        issuer: &str,
        subject: &str,
        user_id: i64,
        invitation_id: i64,
    ) -> Result<()> {
        tx::write(self, |tx| {
            tx.execute(
                sql::INSERT_IDENTITY,
                &[
                    Value::text(issuer),
                    Value::text(subject),
                    Value::int(user_id),
                ],
            )?;
            tx.execute(
                sql::USE_INVITATION,
                &[
                    Value::int(user_id),
                    Value::text(stamp()),
                    Value::int(invitation_id),
                ],
            )?;
            tx.record(
                actor,
                &Change::event(
                    "compte",
                    user_id,
                    "connexion_openid",
                    serde_json::json!({ "fournisseur": issuer, "invitation": invitation_id }),
                ),
            )
        })
    }
}
