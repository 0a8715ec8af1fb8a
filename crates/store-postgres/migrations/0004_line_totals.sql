-- Pre-aggregated sums of operation lines, rebuilt in the transaction of every import: reports
-- read them instead of the lines when they group by dimensions the sums keep.
-- Keep in step with crates/store-sqlite/migrations/0004_line_totals.sql (schema-parity test).
CREATE TABLE line_totals (
    programme_id BIGINT NOT NULL,
    landlord_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    quartier_id BIGINT NOT NULL,
    commune_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    nature TEXT NOT NULL,
    site TEXT NOT NULL,
    product TEXT NOT NULL,
    financing TEXT NOT NULL,
    stage TEXT NOT NULL,
    dwellings BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    cost_cents BIGINT NOT NULL,
    PRIMARY KEY (programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage)
);
CREATE INDEX line_totals_commune ON line_totals (commune_code, programme_id);
INSERT INTO line_totals
SELECT coalesce(o.programme_id, 0), o.landlord_id, coalesce(o.project_id, 0), coalesce(o.quartier_id, 0), o.commune_code,
       l.year, l.nature, l.site, l.product, l.financing, coalesce(l.stage, ''),
       sum(l.dwellings), count(*), coalesce(sum(l.cost_cents), 0)
FROM operations o JOIN operation_lines l ON l.operation_id = o.id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11;
