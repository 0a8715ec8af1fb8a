-- logis register: reference geography, organisations, programmes, projects, quartiers,
-- operations and their lines, stage events, financing plans.
-- Keep in step with crates/store-postgres/migrations/0001_register.sql (schema-parity test).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL
);

CREATE TABLE epcis (
    siren TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    kind TEXT NOT NULL
);

CREATE TABLE communes (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    department TEXT NOT NULL,
    population INTEGER,
    epci_siren TEXT REFERENCES epcis (siren)
);
CREATE INDEX communes_name_key ON communes (name_key);
CREATE INDEX communes_epci ON communes (epci_siren);

CREATE TABLE former_communes (
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    current_code TEXT NOT NULL REFERENCES communes (code),
    PRIMARY KEY (code, name)
);
CREATE INDEX former_communes_current ON former_communes (current_code);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    siren TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (kind, name_key)
);

CREATE TABLE programmes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    start_year INTEGER,
    end_year INTEGER,
    epci_siren TEXT REFERENCES epcis (siren)
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    programme_id INTEGER REFERENCES programmes (id)
);

CREATE TABLE quartiers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    UNIQUE (commune_code, name_key)
);

CREATE TABLE operations (
    id INTEGER PRIMARY KEY,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL,
    label TEXT,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    project_id INTEGER REFERENCES projects (id),
    programme_id INTEGER REFERENCES programmes (id),
    quartier_id INTEGER REFERENCES quartiers (id),
    UNIQUE (landlord_id, reference)
);
CREATE INDEX operations_commune ON operations (commune_code);
CREATE INDEX operations_programme ON operations (programme_id);
CREATE INDEX operations_project ON operations (project_id);

CREATE TABLE operation_lines (
    id INTEGER PRIMARY KEY,
    operation_id INTEGER NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    nature TEXT NOT NULL,
    site TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    financing TEXT NOT NULL DEFAULT '',
    year INTEGER NOT NULL,
    dwellings INTEGER NOT NULL CHECK (dwellings > 0),
    stage TEXT,
    stage_date DATE,
    cost_cents INTEGER CHECK (cost_cents >= 0),
    UNIQUE (operation_id, nature, site, product, financing, year)
);
CREATE INDEX operation_lines_year ON operation_lines (year);

CREATE TABLE stage_events (
    id INTEGER PRIMARY KEY,
    line_id INTEGER NOT NULL REFERENCES operation_lines (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    event_date DATE NOT NULL,
    UNIQUE (line_id, stage)
);

CREATE TABLE funding_items (
    id INTEGER PRIMARY KEY,
    operation_id INTEGER NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('own_funds', 'subsidy', 'loan')),
    source_id INTEGER REFERENCES organisations (id),
    label TEXT NOT NULL DEFAULT '',
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0)
);
CREATE INDEX funding_items_operation ON funding_items (operation_id);
