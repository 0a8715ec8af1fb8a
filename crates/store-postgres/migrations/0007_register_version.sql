-- The register's version: every write that changes operations, lines or the reference geography
-- increments it in its own transaction (logis_store::cube::sql::BUMP), so that a process holding
-- the register's sums in memory (logis_store::cube) knows when to read them again, even when the
-- write came from another process (the CLI beside a server, another server on PostgreSQL).
-- Keep in step with crates/store-sqlite/migrations/0007_register_version.sql (schema-parity test).
CREATE TABLE register_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO register_version (id, version) VALUES (1, 1);
