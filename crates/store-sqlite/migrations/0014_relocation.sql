-- Relocation of households (issue 18): households to relocate (pseudonymised: a landlord's
-- identifier, never a name), the pool of vacancies, proposals and answers, relocations, and the
-- journal of every read of a household's record (which logis cannot alter).
-- Keep in step with crates/store-postgres/migrations/0014_relocation.sql (schema-parity test).

CREATE TABLE relocation_households (
    id INTEGER PRIMARY KEY,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL,
    reference_key TEXT NOT NULL,
    project TEXT NOT NULL,
    operation TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL REFERENCES communes (code),
    persons INTEGER NOT NULL CHECK (persons > 0),
    resources_cents INTEGER NOT NULL CHECK (resources_cents >= 0),
    rent_cents INTEGER NOT NULL CHECK (rent_cents >= 0),
    charges_cents INTEGER NOT NULL CHECK (charges_cents >= 0),
    benefit_cents INTEGER NOT NULL CHECK (benefit_cents >= 0),
    reduced_mobility BOOLEAN NOT NULL,
    wished TEXT NOT NULL DEFAULT '',
    other_commune BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    ccas_origin_id INTEGER REFERENCES organisations (id),
    ccas_destination_id INTEGER REFERENCES organisations (id),
    closed_on DATE,
    anonymised BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (landlord_id, reference_key)
);
CREATE INDEX relocation_households_project ON relocation_households (project, status);

CREATE TABLE relocation_vacancies (
    id INTEGER PRIMARY KEY,
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL,
    reference_key TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    qpv BOOLEAN NOT NULL,
    rooms INTEGER NOT NULL CHECK (rooms > 0),
    surface_m2 INTEGER,
    rent_cents INTEGER NOT NULL CHECK (rent_cents >= 0),
    charges_cents INTEGER NOT NULL CHECK (charges_cents >= 0),
    new_or_recent BOOLEAN NOT NULL,
    adapted BOOLEAN NOT NULL,
    financing TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'libre',
    UNIQUE (landlord_id, reference_key)
);

CREATE TABLE relocation_proposals (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES relocation_households (id) ON DELETE CASCADE,
    vacancy_id INTEGER NOT NULL REFERENCES relocation_vacancies (id),
    rank INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 3),
    proposed_on DATE NOT NULL,
    answer TEXT NOT NULL DEFAULT 'sans_reponse',
    refusal_reason TEXT NOT NULL DEFAULT '',
    answered_on DATE,
    UNIQUE (household_id, rank)
);

CREATE TABLE relocations (
    household_id INTEGER PRIMARY KEY REFERENCES relocation_households (id) ON DELETE CASCADE,
    vacancy_id INTEGER REFERENCES relocation_vacancies (id),
    relocated_on DATE NOT NULL,
    definitive BOOLEAN NOT NULL,
    rent_cents INTEGER NOT NULL CHECK (rent_cents >= 0),
    charges_cents INTEGER NOT NULL CHECK (charges_cents >= 0),
    benefit_cents INTEGER NOT NULL CHECK (benefit_cents >= 0)
);

CREATE TABLE relocation_reads (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER,
    user_name TEXT NOT NULL,
    household_id INTEGER NOT NULL,
    via TEXT NOT NULL
);
CREATE INDEX relocation_reads_household ON relocation_reads (household_id, at);
CREATE TRIGGER relocation_reads_no_update BEFORE UPDATE ON relocation_reads
BEGIN SELECT RAISE(ABORT, 'le journal des consultations ne peut pas être modifié'); END;
CREATE TRIGGER relocation_reads_no_delete BEFORE DELETE ON relocation_reads
BEGIN SELECT RAISE(ABORT, 'le journal des consultations ne peut pas être modifié'); END;
