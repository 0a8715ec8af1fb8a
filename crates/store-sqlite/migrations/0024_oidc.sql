-- Login with an OpenID Connect provider such as ProConnect (issue 23): an administrator's
-- invitation binds an e-mail (and optionally a SIRET) to a role and an organisation; the first
-- login of that e-mail creates the account and binds the provider's subject to it. Keep in step
-- with the other tree's 0024_oidc.sql.

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    organisation_id INTEGER REFERENCES organisations (id),
    siret TEXT,
    created_at TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    used_at TEXT
);

CREATE TABLE oidc_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (issuer, subject)
);
