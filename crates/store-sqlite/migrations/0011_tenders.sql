-- Grouped tenders (issue 16): a coordinating landlord and its members, lots awarded to a
-- company (SIRET), the register's operations each lot covers with their estimate and award;
-- and the habitable surface of an operation line, for the cost per m².
-- Keep in step with crates/store-postgres/migrations/0011_tenders.sql (schema-parity test).

ALTER TABLE operation_lines ADD COLUMN surface_m2 INTEGER CHECK (surface_m2 > 0);

CREATE TABLE tenders (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    reference_key TEXT NOT NULL UNIQUE,
    coordinator_id INTEGER NOT NULL REFERENCES organisations (id),
    works TEXT NOT NULL,
    published_on DATE,
    awarded_on DATE,
    works_start_on DATE
);

CREATE TABLE tender_members (
    tender_id INTEGER NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (tender_id, landlord_id)
);

CREATE TABLE tender_lots (
    id INTEGER PRIMARY KEY,
    tender_id INTEGER NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    company_siret TEXT,
    awarded_on DATE,
    UNIQUE (tender_id, name)
);

CREATE TABLE tender_operations (
    lot_id INTEGER NOT NULL REFERENCES tender_lots (id) ON DELETE CASCADE,
    operation_id INTEGER NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    estimate_cents INTEGER CHECK (estimate_cents >= 0),
    awarded_cents INTEGER CHECK (awarded_cents >= 0),
    PRIMARY KEY (lot_id, operation_id)
);
CREATE INDEX tender_operations_operation ON tender_operations (operation_id);
