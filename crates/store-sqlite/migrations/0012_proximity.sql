-- Shared proximity management (issue 17): sites (a quartier or a residence) and their
-- competence table, conciergeries' sites and cost shares, reports of dysfunctions with their
-- photos, assignments to partners with their steps, committees; the offer for workers on
-- mobility, the employers' demand and the placements.
-- Keep in step with crates/store-postgres/migrations/0012_proximity.sql (schema-parity test).

CREATE TABLE proximity_sites (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    quartier TEXT NOT NULL DEFAULT ''
);

CREATE TABLE proximity_competences (
    site_id INTEGER NOT NULL REFERENCES proximity_sites (id) ON DELETE CASCADE,
    theme TEXT NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES organisations (id),
    deadline_days INTEGER NOT NULL CHECK (deadline_days BETWEEN 1 AND 365),
    PRIMARY KEY (site_id, theme)
);

CREATE TABLE conciergerie_sites (
    conciergerie_id INTEGER NOT NULL REFERENCES organisations (id),
    site_id INTEGER NOT NULL REFERENCES proximity_sites (id) ON DELETE CASCADE,
    PRIMARY KEY (conciergerie_id, site_id)
);

CREATE TABLE conciergerie_costs (
    conciergerie_id INTEGER NOT NULL REFERENCES organisations (id),
    year INTEGER NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES organisations (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (conciergerie_id, year, partner_id)
);

CREATE TABLE proximity_reports (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL,
    site_id INTEGER NOT NULL REFERENCES proximity_sites (id),
    theme TEXT NOT NULL,
    reported_on DATE NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    place_key TEXT NOT NULL DEFAULT '',
    lon_e6 INTEGER,
    lat_e6 INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (organisation_id, reference)
);
CREATE INDEX proximity_reports_site ON proximity_reports (site_id, reported_on);

CREATE TABLE proximity_assignments (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES proximity_reports (id) ON DELETE CASCADE,
    partner_id INTEGER NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL,
    opened_on DATE NOT NULL,
    due_on DATE NOT NULL,
    ended_on DATE,
    reason TEXT NOT NULL DEFAULT '',
    UNIQUE (report_id, partner_id)
);
CREATE INDEX proximity_assignments_partner ON proximity_assignments (partner_id, status);

CREATE TABLE proximity_assignment_events (
    id INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES proximity_assignments (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL,
    user_name TEXT NOT NULL
);
CREATE INDEX proximity_assignment_events_assignment ON proximity_assignment_events (assignment_id);

CREATE TABLE proximity_committees (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES proximity_sites (id) ON DELETE CASCADE,
    held_on DATE NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (site_id, held_on)
);

CREATE TABLE mobility_offers (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    reference_key TEXT NOT NULL UNIQUE,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    commune_code TEXT NOT NULL REFERENCES communes (code),
    dwellings INTEGER NOT NULL CHECK (dwellings > 0),
    beds INTEGER NOT NULL CHECK (beds >= dwellings),
    monthly_price_cents INTEGER CHECK (monthly_price_cents >= 0),
    furnished BOOLEAN,
    services TEXT NOT NULL DEFAULT '',
    from_month TEXT NOT NULL,
    until_month TEXT,
    later_use TEXT NOT NULL DEFAULT ''
);

CREATE TABLE mobility_demand (
    employer_siret TEXT NOT NULL,
    employer_name TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    month TEXT NOT NULL,
    workers INTEGER NOT NULL CHECK (workers > 0),
    stay_months INTEGER CHECK (stay_months > 0),
    budget_cents INTEGER CHECK (budget_cents >= 0),
    profile TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (employer_siret, commune_code, month)
);

CREATE TABLE mobility_occupancy (
    offer_id INTEGER NOT NULL REFERENCES mobility_offers (id) ON DELETE CASCADE,
    month TEXT NOT NULL,
    employer_siret TEXT NOT NULL,
    occupants INTEGER NOT NULL CHECK (occupants >= 0),
    PRIMARY KEY (offer_id, month, employer_siret)
);

CREATE TABLE proximity_photos (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES proximity_reports (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 3),
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    UNIQUE (report_id, position)
);
