-- The social housing stock from the RPLS (issue 20): each vintage's dwellings as the file gives
-- them (the "version loi" fields empty in an open file), the sums every indicator is computed
-- from per commune, QPV and landlord and the breakdowns per commune (computed while the file is
-- read, written in the import's transaction), and the main residences per commune (INSEE
-- census). A vintage is replaced whole by its next import. Keep in step with the other tree's
-- 0017_stock.sql (schema-parity test).

CREATE TABLE stock_vintages (
    vintage BIGINT PRIMARY KEY,
    fields TEXT NOT NULL,
    dwellings BIGINT NOT NULL,
    rejected BIGINT NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

CREATE TABLE stock_dwellings (
    vintage BIGINT NOT NULL,
    rpls_id TEXT,
    commune_code TEXT NOT NULL,
    in_qpv BOOLEAN,
    qpv TEXT,
    building TEXT,
    rooms BIGINT,
    surface_cm2 BIGINT,
    built BIGINT,
    first_let BIGINT,
    financing BIGINT,
    conventioned BOOLEAN,
    mode BIGINT,
    lease_start TEXT,
    vacancy_start TEXT,
    rent_cents BIGINT,
    energy TEXT,
    ghg TEXT,
    segment TEXT,
    reservation BIGINT,
    landlord_siren TEXT
);

CREATE TABLE stock_sums (
    vintage BIGINT NOT NULL,
    scale TEXT NOT NULL CHECK (scale IN ('commune', 'qpv', 'bailleur')),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    dwellings BIGINT NOT NULL,
    in_qpv BIGINT NOT NULL,
    conventioned BIGINT NOT NULL,
    let_count BIGINT NOT NULL,
    vacant BIGINT NOT NULL,
    vacant_3_months BIGINT NOT NULL,
    mobility_base BIGINT NOT NULL,
    moved_in BIGINT NOT NULL,
    rent_cents BIGINT NOT NULL,
    rent_surface_cm2 BIGINT NOT NULL,
    class_a BIGINT NOT NULL,
    class_b BIGINT NOT NULL,
    class_c BIGINT NOT NULL,
    class_d BIGINT NOT NULL,
    class_e BIGINT NOT NULL,
    class_f BIGINT NOT NULL,
    class_g BIGINT NOT NULL,
    class_unknown BIGINT NOT NULL,
    PRIMARY KEY (vintage, scale, code)
);

CREATE TABLE stock_breakdowns (
    vintage BIGINT NOT NULL,
    commune_code TEXT NOT NULL,
    dimension TEXT NOT NULL,
    -- « key=dwellings|key=dwellings » (one row per commune and dimension)
    counts TEXT NOT NULL,
    PRIMARY KEY (vintage, commune_code, dimension)
);

-- Rents per commune: by financing (`financement`), construction period (`periode`), and for
-- the dwellings first let in the last five years (`recents`) against all (`tous`).
CREATE TABLE stock_rents (
    vintage BIGINT NOT NULL,
    commune_code TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    rent_cents BIGINT NOT NULL,
    surface_cm2 BIGINT NOT NULL,
    dwellings BIGINT NOT NULL,
    PRIMARY KEY (vintage, commune_code, dimension, key)
);

CREATE TABLE main_residences (
    commune_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    main_residences BIGINT NOT NULL,
    PRIMARY KEY (commune_code, year)
);
