-- Operations taken from SIAP (issue 23): each one's SIAP number and the fingerprint of its lines
-- and financing plan as the last SIAP import left them, so that a change made in logis since is
-- reported as a conflict rather than overwritten. Keep in step with the other tree's
-- 0023_siap.sql.

CREATE TABLE siap_links (
    operation_id INTEGER PRIMARY KEY REFERENCES operations (id),
    numero TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
