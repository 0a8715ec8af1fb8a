-- The social housing stock from the RPLS (issue 20): each vintage's dwellings as the file gives
-- them (the "version loi" fields empty in an open file), the sums every indicator is computed
-- from per commune, QPV and landlord and the breakdowns per commune (computed while the file is
-- read, written in the import's transaction), and the main residences per commune (INSEE
-- census). A vintage is replaced whole by its next import. Keep in step with the other tree's
-- 0017_stock.sql (schema-parity test).

CREATE TABLE stock_vintages (
    vintage INTEGER PRIMARY KEY,
    fields TEXT NOT NULL,
    dwellings INTEGER NOT NULL,
    rejected INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

CREATE TABLE stock_dwellings (
    vintage INTEGER NOT NULL,
    rpls_id TEXT,
    commune_code TEXT NOT NULL,
    in_qpv BOOLEAN,
    qpv TEXT,
    building TEXT,
    rooms INTEGER,
    surface_cm2 INTEGER,
    built INTEGER,
    first_let INTEGER,
    financing INTEGER,
    conventioned BOOLEAN,
    mode INTEGER,
    lease_start TEXT,
    vacancy_start TEXT,
    rent_cents INTEGER,
    energy TEXT,
    ghg TEXT,
    segment TEXT,
    reservation INTEGER,
    landlord_siren TEXT
);

CREATE TABLE stock_sums (
    vintage INTEGER NOT NULL,
    scale TEXT NOT NULL CHECK (scale IN ('commune', 'qpv', 'bailleur')),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    dwellings INTEGER NOT NULL,
    in_qpv INTEGER NOT NULL,
    conventioned INTEGER NOT NULL,
    let_count INTEGER NOT NULL,
    vacant INTEGER NOT NULL,
    vacant_3_months INTEGER NOT NULL,
    mobility_base INTEGER NOT NULL,
    moved_in INTEGER NOT NULL,
    rent_cents INTEGER NOT NULL,
    rent_surface_cm2 INTEGER NOT NULL,
    class_a INTEGER NOT NULL,
    class_b INTEGER NOT NULL,
    class_c INTEGER NOT NULL,
    class_d INTEGER NOT NULL,
    class_e INTEGER NOT NULL,
    class_f INTEGER NOT NULL,
    class_g INTEGER NOT NULL,
    class_unknown INTEGER NOT NULL,
    PRIMARY KEY (vintage, scale, code)
);

CREATE TABLE stock_breakdowns (
    vintage INTEGER NOT NULL,
    commune_code TEXT NOT NULL,
    dimension TEXT NOT NULL,
    -- « key=dwellings|key=dwellings » (one row per commune and dimension)
    counts TEXT NOT NULL,
    PRIMARY KEY (vintage, commune_code, dimension)
);

-- Rents per commune: by financing (`financement`), construction period (`periode`), and for
-- the dwellings first let in the last five years (`recents`) against all (`tous`).
CREATE TABLE stock_rents (
    vintage INTEGER NOT NULL,
    commune_code TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    rent_cents INTEGER NOT NULL,
    surface_cm2 INTEGER NOT NULL,
    dwellings INTEGER NOT NULL,
    PRIMARY KEY (vintage, commune_code, dimension, key)
);

CREATE TABLE main_residences (
    commune_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    main_residences INTEGER NOT NULL,
    PRIMARY KEY (commune_code, year)
);
