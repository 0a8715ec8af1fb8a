-- A household relocated temporarily is relocated again, definitively (issue 18): a household has
-- up to two relocations, one temporary and one definitive, each with its own identifier.
-- Keep in step with crates/store-postgres/migrations/0015_relocation_temporary.sql.

CREATE TABLE relocations_new (
    household_id INTEGER NOT NULL REFERENCES relocation_households (id) ON DELETE CASCADE,
    vacancy_id INTEGER REFERENCES relocation_vacancies (id),
    relocated_on DATE NOT NULL,
    definitive BOOLEAN NOT NULL,
    rent_cents INTEGER NOT NULL CHECK (rent_cents >= 0),
    charges_cents INTEGER NOT NULL CHECK (charges_cents >= 0),
    benefit_cents INTEGER NOT NULL CHECK (benefit_cents >= 0),
    id INTEGER PRIMARY KEY,
    UNIQUE (household_id, definitive)
);
INSERT INTO relocations_new (household_id, vacancy_id, relocated_on, definitive, rent_cents, charges_cents, benefit_cents)
    SELECT household_id, vacancy_id, relocated_on, definitive, rent_cents, charges_cents, benefit_cents FROM relocations;
DROP TABLE relocations;
ALTER TABLE relocations_new RENAME TO relocations;
