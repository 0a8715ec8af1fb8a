-- Indexes for reports: a territory (communes of an EPCI) inside a programme.
-- Keep in step with crates/store-postgres/migrations/0003_report_indexes.sql.
DROP INDEX operations_commune;
CREATE INDEX operations_commune_programme ON operations (commune_code, programme_id);
