-- The landlords' strategic plans (issue 22): partnerships (a named set of member organisations
-- with a territory), what each landlord shares with which partnership, and the plans' versions
-- with their residences (a new version of a landlord's plan becomes its current one; the
-- previous ones are kept for comparison). Keep in step with the other tree's 0021_plans.sql.

CREATE TABLE partnerships (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    territory TEXT NOT NULL
);

CREATE TABLE partnership_members (
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (partnership_id, organisation_id)
);

CREATE TABLE plan_shares (
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id),
    PRIMARY KEY (landlord_id, partnership_id)
);

CREATE TABLE psp_versions (
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    version INTEGER NOT NULL,
    residences INTEGER NOT NULL,
    dwellings INTEGER NOT NULL,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (landlord_id, version)
);

CREATE TABLE psp_residences (
    landlord_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    residence_key TEXT NOT NULL,
    residence TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    quartier TEXT,
    dwellings INTEGER NOT NULL,
    built INTEGER,
    label TEXT,
    attractiveness INTEGER,
    technical_state INTEGER,
    strategy TEXT NOT NULL,
    start_year INTEGER,
    end_year INTEGER,
    cost_cents INTEGER,
    target_label TEXT,
    rpls TEXT NOT NULL,
    PRIMARY KEY (landlord_id, version, residence_key),
    FOREIGN KEY (landlord_id, version) REFERENCES psp_versions (landlord_id, version)
);
