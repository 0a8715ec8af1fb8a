use super::*;
use logis_store::accounts;
use logis_store::accounts::sql;

/// A [`User`] read from the columns of [`sql::USERS`], in that order.
fn user_from_row(r: &Row) -> Result<User> {
    let role: &str = r.get(3);
    let commune: Option<&str> = r.get(6);
    Ok(User {
        id: r.get(0),
        login: r.get(1),
        display_name: r.get(2),
        role: decode(Role::from_code(role), "le rôle", role)?,
        organisation_id: r.get(4),
        organisation: r.get(5),
        commune: commune.map(code).transpose()?,
        disabled: r.get(7),
        has_password: r.get(8),
        created_at: r.get(9),
    })
}

fn token_from_row(r: &Row) -> ApiToken {
    ApiToken {
        id: r.get(0),
        user_id: r.get(1),
        name: r.get(2),
        prefix: r.get(3),
        created_at: r.get(4),
        last_used_at: r.get(5),
        revoked_at: r.get(6),
    }
}

impl AccountStore for PostgresStore {
    fn add_user(&self, actor: &Actor, u: &NewUser) -> Result<User> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            sql::INSERT_USER,
            &[
                &u.login,
                &u.display_name,
                &u.role.code(),
                &u.organisation_id,
                &now(),
            ],
        );
        let id: i64 = match res {
            Ok(r) => r.get(0),
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => {
                return Err(accounts::messages::account_exists(&u.login));
            }
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                return Err(accounts::messages::unknown_organisation());
            }
            Err(e) => return Err(pg(e)),
        };
        let row = tx.query_one(sql::USER_BY_ID, &[&id]).map_err(pg)?;
        let user = user_from_row(&row)?;
        record(
            &mut tx,
            actor,
            &Change::created("utilisateur", id, None, &user),
        )?;
        tx.commit().map_err(pg)?;
        Ok(user)
    }

    fn users(&self) -> Result<Vec<User>> {
        self.conn()?
            .query(
                &format!("{} ORDER BY u.login COLLATE \"C\"", sql::USERS),
                &[],
            )
            .map_err(pg)?
            .iter()
            .map(user_from_row)
            .collect()
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        self.conn()?
            .query_opt(sql::USER_BY_ID, &[&id])
            .map_err(pg)?
            .map(|r| user_from_row(&r))
            .transpose()
    }

    fn user_credentials(&self, login: &str) -> Result<Option<(User, Option<String>)>> {
        self.conn()?
            .query_opt(sql::USER_CREDENTIALS, &[&login])
            .map_err(pg)?
            .map(|r| Ok((user_from_row(&r)?, r.get(10))))
            .transpose()
    }

    fn set_user_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let n = tx
            .execute(sql::SET_DISABLED, &[&disabled, &now(), &user_id])
            .map_err(pg)?;
        if n == 0 {
            return Err(accounts::messages::account_not_found(user_id));
        }
        if disabled {
            tx.execute(sql::DELETE_SESSIONS_BY_USER_ID, &[&user_id])
                .map_err(pg)?;
        }
        record(
            &mut tx,
            actor,
            &accounts::changes::disabled(user_id, disabled),
        )?;
        tx.commit().map_err(pg)
    }

    fn set_password(&self, actor: &Actor, user_id: i64, hash: &str) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let n = tx
            .execute(sql::SET_PASSWORD, &[&hash, &user_id])
            .map_err(pg)?;
        if n == 0 {
            return Err(accounts::messages::account_not_found(user_id));
        }
        tx.execute(sql::DELETE_SESSIONS_BY_USER_ID, &[&user_id])
            .map_err(pg)?;
        tx.execute(sql::FORGET_FAILURES_OF_USER, &[&user_id])
            .map_err(pg)?;
        record(&mut tx, actor, &accounts::changes::password_set(user_id))?;
        tx.commit().map_err(pg)
    }

    fn add_password_reset(
        &self,
        actor: &Actor,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        tx.execute(sql::RETIRE_RESETS_OF_USER, &[&now(), &user_id])
            .map_err(pg)?;
        tx.execute(
            sql::INSERT_PASSWORD_RESET,
            &[&token_hash, &user_id, &now(), &expires_at],
        )
        .map_err(|e| {
            if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
                accounts::messages::account_not_found(user_id)
            } else {
                pg(e)
            }
        })?;
        record(
            &mut tx,
            actor,
            &accounts::changes::reset_link(user_id, expires_at),
        )?;
        tx.commit().map_err(pg)
    }

    fn use_password_reset(&self, token_hash: &str, new_hash: &str) -> Result<Option<User>> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let t = now();
        let user_id: Option<i64> = tx
            .query_opt(sql::USE_RESET, &[&t, &token_hash])
            .map_err(pg)?
            .map(|r| r.get(0));
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        let user = tx
            .query_opt(sql::ENABLED_USER_BY_ID, &[&user_id])
            .map_err(pg)?
            .map(|r| user_from_row(&r))
            .transpose()?;
        let Some(user) = user else {
            return Ok(None);
        };
        tx.execute(sql::SET_PASSWORD, &[&new_hash, &user_id])
            .map_err(pg)?;
        tx.execute(sql::DELETE_SESSIONS_BY_USER_ID, &[&user_id])
            .map_err(pg)?;
        tx.execute(sql::FORGET_FAILURES_OF_USER, &[&user_id])
            .map_err(pg)?;
        let actor = Actor {
            user_id: Some(user.id),
            name: user.login.clone(),
            organisation_id: user.organisation_id,
            via: logis_store::Via::Web,
        };
        record(
            &mut tx,
            &actor,
            &accounts::changes::password_by_link(user_id),
        )?;
        tx.commit().map_err(pg)?;
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
        let mut tx = c.transaction().map_err(pg)?;
        // Attempts for one login, and from one address, run one by one: each holds its login's
        // then its address's lock until it commits (always in that order, so no deadlock).
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('login:' || $1)), pg_advisory_xact_lock(hashtext('address:' || $2))",
            &[&login, &address],
        )
        .map_err(pg)?;
        let t = now();
        tx.execute(sql::DELETE_LOGIN_ATTEMPTS_BEFORE, &[&(t - 86_400)])
            .map_err(pg)?;
        let r = tx
            .query_one(sql::RECENT_FAILURES, &[&login, &since, &address])
            .map_err(pg)?;
        let (by_login, by_address) = (count(r.get(0)), count(r.get(1)));
        if refused(by_login, by_address) {
            return Ok(Err((by_login, by_address)));
        }
        let id: i64 = tx
            .query_one(sql::CLAIM_LOGIN_ATTEMPT, &[&login, &address, &t])
            .map_err(pg)?
            .get(0);
        tx.commit().map_err(pg)?;
        Ok(Ok(id))
    }

    fn login_succeeded(&self, attempt_id: i64) -> Result<()> {
        self.conn()?
            .execute(sql::LOGIN_SUCCEEDED, &[&attempt_id])
            .map(|_| ())
            .map_err(pg)
    }

    fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut c = self.conn()?;
        let t = now();
        c.execute(sql::DELETE_EXPIRED_SESSIONS, &[&t]).map_err(pg)?;
        c.execute(
            sql::INSERT_SESSION,
            &[&token_hash, &user_id, &csrf, &t, &expires_at],
        )
        .map(|_| ())
        .map_err(pg)
    }

    fn session_user(&self, token_hash: &str) -> Result<Option<(User, String)>> {
        self.conn()?
            .query_opt(sql::SESSION_USER, &[&token_hash, &now()])
            .map_err(pg)?
            .map(|r| Ok((user_from_row(&r)?, r.get(10))))
            .transpose()
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn()?
            .execute(sql::DELETE_SESSIONS_BY_TOKEN_HASH, &[&token_hash])
            .map(|_| ())
            .map_err(pg)
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
        let mut tx = c.transaction().map_err(pg)?;
        let row = tx
            .query_one(
                sql::INSERT_API_TOKEN,
                &[&user_id, &name, &token_hash, &prefix, &now()],
            )
            .map_err(pg)?;
        let token = token_from_row(&row);
        record(
            &mut tx,
            actor,
            &Change::created("jeton_api", token.id, None, &token),
        )?;
        tx.commit().map_err(pg)?;
        Ok(token)
    }

    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        Ok(self
            .conn()?
            .query(sql::API_TOKENS, &[&user_id])
            .map_err(pg)?
            .iter()
            .map(token_from_row)
            .collect())
    }

    fn revoke_api_token(&self, actor: &Actor, user_id: i64, token_id: i64) -> Result<bool> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let n = tx
            .execute(sql::REVOKE_TOKEN, &[&now(), &token_id, &user_id])
            .map_err(pg)?;
        if n == 0 {
            return Ok(false);
        }
        record(&mut tx, actor, &accounts::changes::token_revoked(token_id))?;
        tx.commit().map_err(pg)?;
        Ok(true)
    }

    fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let mut c = self.conn()?;
        let found = c
            .query_opt(sql::TOKEN_USER, &[&token_hash])
            .map_err(pg)?
            .map(|r| Ok::<_, StoreError>((user_from_row(&r)?, r.get::<_, i64>(10))))
            .transpose()?;
        let Some((user, token_id)) = found else {
            return Ok(None);
        };
        c.execute(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::BIGINT - 60)",
            &[&token_id, &now()],
        )
        .map_err(pg)?;
        Ok(Some(user))
    }
}
