use super::*;
use logis_store::accounts;
use logis_store::accounts::sql;

/// A [`User`] read from the columns of [`sql::USERS`], in that order.
fn user_from_row(r: &rusqlite::Row<'_>) -> Result<User> {
    let role: String = r.get(3).map_err(be)?;
    let commune: Option<String> = r.get(6).map_err(be)?;
    Ok(User {
        id: r.get(0).map_err(be)?,
        login: r.get(1).map_err(be)?,
        display_name: r.get(2).map_err(be)?,
        role: decode(Role::from_code(&role), "le rôle", &role)?,
        organisation_id: r.get(4).map_err(be)?,
        organisation: r.get(5).map_err(be)?,
        commune: commune
            .map(|c| CommuneCode::parse(&c).map_err(|e| StoreError::Backend(e.0)))
            .transpose()?,
        disabled: r.get(7).map_err(be)?,
        has_password: r.get(8).map_err(be)?,
        created_at: r.get(9).map_err(be)?,
    })
}

fn token_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        prefix: r.get(3)?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

impl AccountStore for SqliteStore {
    fn add_user(&self, actor: &Actor, u: &NewUser) -> Result<User> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            sql::INSERT_USER,
            params![
                u.login,
                u.display_name,
                u.role.code(),
                u.organisation_id,
                now()
            ],
            |r| r.get::<_, i64>(0),
        );
        let id = match res {
            Ok(id) => id,
            Err(e) if unique_violation(&e) => {
                return Err(accounts::messages::account_exists(&u.login));
            }
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                return Err(accounts::messages::unknown_organisation());
            }
            Err(e) => return Err(be(e)),
        };
        let user = tx
            .query_row(sql::USER_BY_ID, [id], |r| Ok(user_from_row(r)))
            .map_err(be)??;
        record(&tx, actor, &Change::created("utilisateur", id, None, &user))?;
        tx.commit().map_err(be)?;
        Ok(user)
    }

    fn users(&self) -> Result<Vec<User>> {
        let c = self.conn()?;
        let mut st = c
            .prepare(&format!("{} ORDER BY u.login", sql::USERS))
            .map_err(be)?;
        let rows = st.query_map([], |r| Ok(user_from_row(r))).map_err(be)?;
        rows.map(|r| r.map_err(be)?).collect()
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        let c = self.conn()?;
        c.query_row(sql::USER_BY_ID, [id], |r| Ok(user_from_row(r)))
            .optional()
            .map_err(be)?
            .transpose()
    }

    fn user_credentials(&self, login: &str) -> Result<Option<(User, Option<String>)>> {
        let c = self.conn()?;
        c.query_row(sql::USER_CREDENTIALS, [login], |r| {
            Ok(user_from_row(r).and_then(|u| Ok((u, r.get::<_, Option<String>>(10).map_err(be)?))))
        })
        .optional()
        .map_err(be)?
        .transpose()
    }

    fn set_user_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let n = tx
            .execute(sql::SET_DISABLED, params![disabled, now(), user_id])
            .map_err(be)?;
        if n == 0 {
            return Err(accounts::messages::account_not_found(user_id));
        }
        if disabled {
            tx.execute(sql::DELETE_SESSIONS_BY_USER_ID, [user_id])
                .map_err(be)?;
        }
        record(&tx, actor, &accounts::changes::disabled(user_id, disabled))?;
        tx.commit().map_err(be)
    }

    fn set_password(&self, actor: &Actor, user_id: i64, hash: &str) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let n = tx
            .execute(sql::SET_PASSWORD, params![hash, user_id])
            .map_err(be)?;
        if n == 0 {
            return Err(accounts::messages::account_not_found(user_id));
        }
        tx.execute(sql::DELETE_SESSIONS_BY_USER_ID, [user_id])
            .map_err(be)?;
        tx.execute(sql::FORGET_FAILURES_OF_USER, [user_id])
            .map_err(be)?;
        record(&tx, actor, &accounts::changes::password_set(user_id))?;
        tx.commit().map_err(be)
    }

    fn add_password_reset(
        &self,
        actor: &Actor,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        // One valid link per account: older ones stop working.
        tx.execute(sql::RETIRE_RESETS_OF_USER, params![now(), user_id])
            .map_err(be)?;
        tx.execute(
            sql::INSERT_PASSWORD_RESET,
            params![token_hash, user_id, now(), expires_at],
        )
        .map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                accounts::messages::account_not_found(user_id)
            }
            _ => be(e),
        })?;
        record(
            &tx,
            actor,
            &accounts::changes::reset_link(user_id, expires_at),
        )?;
        tx.commit().map_err(be)
    }

    fn use_password_reset(&self, token_hash: &str, new_hash: &str) -> Result<Option<User>> {
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        let t = now();
        let user_id: Option<i64> = tx
            .query_row(sql::USE_RESET, params![t, token_hash], |r| r.get(0))
            .optional()
            .map_err(be)?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        let user = tx
            .query_row(sql::ENABLED_USER_BY_ID, [user_id], |r| Ok(user_from_row(r)))
            .optional()
            .map_err(be)?
            .transpose()?;
        let Some(user) = user else {
            return Ok(None);
        };
        tx.execute(sql::SET_PASSWORD, params![new_hash, user_id])
            .map_err(be)?;
        tx.execute(sql::DELETE_SESSIONS_BY_USER_ID, [user_id])
            .map_err(be)?;
        tx.execute(sql::FORGET_FAILURES_OF_USER, [user_id])
            .map_err(be)?;
        let actor = Actor {
            user_id: Some(user.id),
            name: user.login.clone(),
            organisation_id: user.organisation_id,
            via: logis_store::Via::Web,
        };
        record(&tx, &actor, &accounts::changes::password_by_link(user_id))?;
        tx.commit().map_err(be)?;
        Ok(Some(user))
    }

    fn claim_login_attempt(
        &self,
        login: &str,
        address: &str,
        since: i64,
        refused: &dyn Fn(u64, u64) -> bool,
    ) -> Result<std::result::Result<i64, (u64, u64)>> {
        let mut c = self.conn()?;
        // An immediate transaction holds the write lock from its start: attempts run one by one.
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        let t = now();
        // Attempts older than a day are of no use to throttling.
        tx.execute(sql::DELETE_LOGIN_ATTEMPTS_BEFORE, [t - 86_400])
            .map_err(be)?;
        let (by_login, by_address) = tx
            .query_row(sql::RECENT_FAILURES, params![login, since, address], |r| {
                Ok((u(r, 0)?, u(r, 1)?))
            })
            .map_err(be)?;
        if refused(by_login, by_address) {
            return Ok(Err((by_login, by_address)));
        }
        let id: i64 = tx
            .query_row(sql::CLAIM_LOGIN_ATTEMPT, params![login, address, t], |r| {
                r.get(0)
            })
            .map_err(be)?;
        tx.commit().map_err(be)?;
        Ok(Ok(id))
    }

    fn login_succeeded(&self, attempt_id: i64) -> Result<()> {
        self.conn()?
            .execute(sql::LOGIN_SUCCEEDED, [attempt_id])
            .map(|_| ())
            .map_err(be)
    }

    fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        let c = self.conn()?;
        let t = now();
        c.execute(sql::DELETE_EXPIRED_SESSIONS, [t]).map_err(be)?;
        c.execute(
            sql::INSERT_SESSION,
            params![token_hash, user_id, csrf, t, expires_at],
        )
        .map(|_| ())
        .map_err(be)
    }

    fn session_user(&self, token_hash: &str) -> Result<Option<(User, String)>> {
        let c = self.conn()?;
        c.query_row(sql::SESSION_USER, params![token_hash, now()], |r| {
            Ok(user_from_row(r).and_then(|u| Ok((u, r.get::<_, String>(10).map_err(be)?))))
        })
        .optional()
        .map_err(be)?
        .transpose()
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn()?
            .execute(sql::DELETE_SESSIONS_BY_TOKEN_HASH, [token_hash])
            .map(|_| ())
            .map_err(be)
    }

    fn add_api_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
    ) -> Result<ApiToken> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let token = tx
            .query_row(
                sql::INSERT_API_TOKEN,
                params![user_id, name, token_hash, prefix, now()],
                token_from_row,
            )
            .map_err(be)?;
        record(
            &tx,
            actor,
            &Change::created("jeton_api", token.id, None, &token),
        )?;
        tx.commit().map_err(be)?;
        Ok(token)
    }

    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let c = self.conn()?;
        let mut st = c.prepare(sql::API_TOKENS).map_err(be)?;
        let rows = st.query_map([user_id], token_from_row).map_err(be)?;
        rows.map(|r| r.map_err(be)).collect()
    }

    fn revoke_api_token(&self, actor: &Actor, user_id: i64, token_id: i64) -> Result<bool> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let n = tx
            .execute(sql::REVOKE_TOKEN, params![now(), token_id, user_id])
            .map_err(be)?;
        if n == 0 {
            return Ok(false);
        }
        record(&tx, actor, &accounts::changes::token_revoked(token_id))?;
        tx.commit().map_err(be)?;
        Ok(true)
    }

    fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let c = self.conn()?;
        let found = c
            .query_row(sql::TOKEN_USER, [token_hash], |r| {
                Ok(user_from_row(r).and_then(|u| Ok((u, r.get::<_, i64>(10).map_err(be)?))))
            })
            .optional()
            .map_err(be)?
            .transpose()?;
        let Some((user, token_id)) = found else {
            return Ok(None);
        };
        c.execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2 - 60)",
            params![token_id, now()],
        )
        .map_err(be)?;
        Ok(Some(user))
    }
}
