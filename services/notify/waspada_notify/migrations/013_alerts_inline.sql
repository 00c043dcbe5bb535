-- 010 changed these columns' type to json, and a type change resets a column's compression to the
-- default (pglz): 009's lz4 had been undone. Set it again.
ALTER TABLE alerts ALTER COLUMN payload SET COMPRESSION lz4, ALTER COLUMN state SET COMPRESSION lz4;
ALTER TABLE alert_versions ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE deliveries ALTER COLUMN payload SET COMPRESSION lz4;
-- An alert's row (payload and state together about 3.6 kB) is rewritten at every change. Past the
-- default 2 kB target PostgreSQL compressed both and, still over 2 kB, moved one into the TOAST table: a
-- second insert, an index entry and a dead chunk at every rewrite. Up to half a page the row stays as
-- it is, in the heap, where an update can be HOT.
ALTER TABLE alerts SET (toast_tuple_target = 4080);
