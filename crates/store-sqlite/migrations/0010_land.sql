-- The land bank (issue 16): sites the EPCI identifies, their parcels, the steps of their life,
-- landlords' expressions of interest, allocations (a site is held by at most one landlord at a
-- time: the partial unique index below), and the register's operations built on them.
-- Keep in step with crates/store-postgres/migrations/0010_land.sql (schema-parity test).

CREATE TABLE land_sites (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    reference_key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL REFERENCES communes (code),
    area_m2 INTEGER CHECK (area_m2 >= 0),
    owner TEXT NOT NULL,
    capacity INTEGER CHECK (capacity >= 0),
    social_percent INTEGER CHECK (social_percent BETWEEN 0 AND 100),
    status TEXT NOT NULL,
    status_date DATE NOT NULL,
    identified_on DATE NOT NULL,
    zoning TEXT NOT NULL DEFAULT '',
    pollution BOOLEAN,
    flood_risk BOOLEAN,
    constraints TEXT NOT NULL DEFAULT '',
    documents TEXT NOT NULL DEFAULT '',
    lon_e6 INTEGER,
    lat_e6 INTEGER
);
CREATE INDEX land_sites_commune ON land_sites (commune_code);

CREATE TABLE land_parcels (
    site_id INTEGER NOT NULL REFERENCES land_sites (id) ON DELETE CASCADE,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    parcel TEXT NOT NULL,
    PRIMARY KEY (site_id, parcel),
    UNIQUE (commune_code, parcel)
);

CREATE TABLE land_events (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES land_sites (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    event_date DATE NOT NULL,
    landlord_id INTEGER REFERENCES organisations (id),
    reason TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL,
    user_name TEXT NOT NULL
);
CREATE INDEX land_events_site ON land_events (site_id);

CREATE TABLE land_interests (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES land_sites (id) ON DELETE CASCADE,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    dwellings INTEGER CHECK (dwellings >= 0),
    products TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    expressed_on DATE NOT NULL,
    UNIQUE (site_id, landlord_id)
);

CREATE TABLE land_allocations (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES land_sites (id) ON DELETE CASCADE,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    allocated_on DATE NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    withdrawn_on DATE,
    withdrawal_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX land_allocations_site ON land_allocations (site_id);
-- At most one allocation in force per site, whoever writes.
CREATE UNIQUE INDEX land_allocations_in_force ON land_allocations (site_id) WHERE withdrawn_on IS NULL;

CREATE TABLE land_site_operations (
    site_id INTEGER NOT NULL REFERENCES land_sites (id) ON DELETE CASCADE,
    operation_id INTEGER NOT NULL UNIQUE REFERENCES operations (id) ON DELETE CASCADE,
    PRIMARY KEY (site_id, operation_id)
);
