-- Programme targets: a total over a period, a social share, an annual band, and splits.
-- Keep in step with crates/store-postgres/migrations/0002_targets.sql (schema-parity test).

CREATE TABLE programme_targets (
    programme_id INTEGER PRIMARY KEY REFERENCES programmes (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    total INTEGER CHECK (total > 0),
    first_year INTEGER NOT NULL,
    last_year INTEGER NOT NULL,
    social_percent INTEGER CHECK (social_percent BETWEEN 0 AND 100),
    band_min INTEGER,
    band_max INTEGER
);

CREATE TABLE programme_target_splits (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programme_targets (programme_id) ON DELETE CASCADE,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    dwellings INTEGER NOT NULL CHECK (dwellings >= 0),
    UNIQUE (programme_id, dimension, key)
);
