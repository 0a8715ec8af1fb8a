-- Every audited write (operations, lines, targets, financing plans, organisations, programmes,
-- projects, quartiers, accounts…) increments write_count in its own transaction: with the
-- register's version, a stamp that changes whenever what a report shows may have changed, so
-- that a report page computed once can be served again until then (logis_app::reports::PageCache).
-- Keep in step with crates/store-sqlite/migrations/0008_write_count.sql (schema-parity test).
ALTER TABLE register_version ADD COLUMN write_count BIGINT NOT NULL DEFAULT 0;
