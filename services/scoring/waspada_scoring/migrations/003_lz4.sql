-- Cheaper storage for what is written once per report (docs/benchmarks.md):
-- a cell's state is read and written whole: json keeps it as given, jsonb would parse and rebuild it;
ALTER TABLE cells ALTER COLUMN state TYPE json USING state::json;
-- stored events are about 2 kB, so PostgreSQL compresses many of them: lz4 costs a fraction of the
-- CPU of the default pglz. Applies to rows written from now on.
ALTER TABLE assessments ALTER COLUMN event SET COMPRESSION lz4;
ALTER TABLE cells ALTER COLUMN state SET COMPRESSION lz4;
