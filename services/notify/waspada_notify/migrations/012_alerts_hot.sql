-- An alert's row is rewritten at every change (payload, state, updated_at, expires_at). With updated_at
-- and expires_at in indexes, every rewrite inserted into all nine indexes (about 220 µs per row in the
-- benchmark). Without them, and with room on the page, most rewrites are HOT (heap-only, no index entry).
-- The sweep's OR of three deadlines never used alerts_expiry (it reads the firing rows); the alert list
-- filters by province and sorts that province's alerts.
DROP INDEX alerts_expiry;
DROP INDEX alerts_province;
CREATE INDEX alerts_province ON alerts (province);
ALTER TABLE alerts SET (fillfactor = 60);
