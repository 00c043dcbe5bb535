-- An alert row carries its payload and state (together over 2 kB), so PostgreSQL compresses them: lz4
-- costs a fraction of the CPU of the default pglz (docs/benchmarks.md). Applies to rows written from now on.
ALTER TABLE alerts ALTER COLUMN payload SET COMPRESSION lz4, ALTER COLUMN state SET COMPRESSION lz4;
ALTER TABLE alert_versions ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE deliveries ALTER COLUMN payload SET COMPRESSION lz4;
