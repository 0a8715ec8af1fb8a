-- The settlement observatory (issue 21): the first-quartile threshold of each year (and EPCI,
-- '' for every one), and the leases signed (attributions), one row per landlord's lease (a lease
-- imported again is updated, never counted twice). Personal data: only the landlord that
-- supplied them reads its rows. Keep in step with the other tree's 0019_settlement.sql.

CREATE TABLE q1_thresholds (
    year BIGINT NOT NULL,
    epci_siren TEXT NOT NULL DEFAULT '',
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (year, epci_siren)
);

CREATE TABLE leases (
    landlord_id BIGINT NOT NULL REFERENCES organisations (id),
    lease TEXT NOT NULL,
    signed DATE NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    in_qpv BOOLEAN NOT NULL,
    qpv TEXT,
    dwelling TEXT,
    holder TEXT NOT NULL,
    resources_cents BIGINT,
    quartile BIGINT,
    relocated BOOLEAN NOT NULL,
    dalo BOOLEAN NOT NULL,
    priority BOOLEAN NOT NULL,
    persons BIGINT,
    PRIMARY KEY (landlord_id, lease)
);
