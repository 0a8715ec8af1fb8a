-- An import's creations recorded in bulk (issue 19): the operations and lines an import creates
-- carry the id of the import's record in the audit trail (audit_log, action « debut_import »)
-- instead of one audit row each; the trail read per operation puts their creation back
-- (logis_store::audit::import_creations). Rows created before this migration keep their own
-- audit rows (import_id NULL). Keep in step with crates/store-sqlite/migrations/0016_import_audit.sql.

ALTER TABLE operations ADD COLUMN import_id BIGINT;
ALTER TABLE operation_lines ADD COLUMN import_id BIGINT;
