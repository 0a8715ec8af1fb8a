-- The settlement observatory, second part (issue 21): the landlords' occupancy surveys (one row
-- per household, personal data read only by the landlord that supplied them), their sums per
-- landlord, commune and quartier (what every page of indicators reads), the EPCI's rule for
-- sensitive quartiers, the SNE demand per commune and year, and the local settlement charters.
-- Keep in step with the other tree's 0020_occupancy.sql (schema-parity test).

CREATE TABLE occupancy (
    survey INTEGER NOT NULL,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    commune_code TEXT NOT NULL,
    quartier TEXT,
    in_qpv BOOLEAN,
    dwelling TEXT,
    persons INTEGER,
    children INTEGER,
    composition TEXT,
    holder_age INTEGER,
    resources_pct INTEGER,
    housing_benefit BOOLEAN,
    employed BOOLEAN,
    recent BOOLEAN NOT NULL
);
CREATE INDEX occupancy_survey_landlord ON occupancy (survey, landlord_id);

-- « households,recent;count/base,… (nine indicators);count/base,… (recent movers') »
CREATE TABLE occupancy_sums (
    survey INTEGER NOT NULL,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    commune_code TEXT NOT NULL,
    quartier TEXT NOT NULL,
    sums TEXT NOT NULL,
    PRIMARY KEY (survey, landlord_id, commune_code, quartier)
);

CREATE TABLE sensitivity_rule (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    index_permille INTEGER NOT NULL CHECK (index_permille >= 1000),
    indicators INTEGER NOT NULL CHECK (indicators BETWEEN 1 AND 9)
);

CREATE TABLE sne_demand (
    commune_code TEXT NOT NULL REFERENCES communes (code),
    year INTEGER NOT NULL,
    demands INTEGER NOT NULL,
    transfers INTEGER NOT NULL,
    attributions INTEGER NOT NULL,
    past_delay INTEGER NOT NULL,
    PRIMARY KEY (commune_code, year)
);

CREATE TABLE charters (
    id INTEGER PRIMARY KEY,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    quartier TEXT NOT NULL,
    title TEXT NOT NULL,
    partners TEXT NOT NULL,
    status TEXT NOT NULL,
    signed DATE,
    objectives TEXT NOT NULL,
    -- indicator codes separated by commas
    indicators TEXT NOT NULL
);

-- The attribution targets' sums per year and EPCI, landlord or reservation holder, recomputed
-- from the leases after each import and each threshold set (what the targets' page reads).
CREATE TABLE lease_sums (
    year INTEGER NOT NULL,
    scale TEXT NOT NULL CHECK (scale IN ('epci', 'bailleur', 'reservataire')),
    code TEXT NOT NULL,
    outside_qpv INTEGER NOT NULL,
    q1_or_relocated INTEGER NOT NULL,
    in_qpv INTEGER NOT NULL,
    other_quartiles INTEGER NOT NULL,
    leases INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    PRIMARY KEY (year, scale, code)
);

-- A lease's dwelling found in the stock by its RPLS identifier (its commune and QPV).
CREATE INDEX stock_dwellings_rpls ON stock_dwellings (rpls_id) WHERE rpls_id IS NOT NULL;
