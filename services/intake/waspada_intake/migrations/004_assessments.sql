-- Assessments read back from risk.assessed.v1 get their own narrow table: inserting a small row is far
-- cheaper than rewriting the wide report row, and every index on it, once per report (the largest
-- single database cost per report before, docs/benchmarks.md). A report's state is derived on read:
-- assessed when it has a row here, published when its outbox row is gone, accepted before that.
CREATE TABLE assessments (
    report_id     text PRIMARY KEY,
    score         real NOT NULL,
    level         text NOT NULL,
    model_version text NOT NULL,
    assessed_at   timestamptz NOT NULL,
    explanation   json  -- kept and returned whole: json is stored as given, jsonb is parsed and rebuilt
);
INSERT INTO assessments (report_id, score, level, model_version, assessed_at, explanation)
SELECT report_id, score, level, model_version, assessed_at, explanation
FROM reports WHERE state = 'assessed' AND score IS NOT NULL AND level IS NOT NULL
    AND model_version IS NOT NULL AND assessed_at IS NOT NULL;
ALTER TABLE reports DROP COLUMN state, DROP COLUMN score, DROP COLUMN level, DROP COLUMN model_version,
    DROP COLUMN assessed_at, DROP COLUMN explanation;
-- The same for the report's facts: written once per report, returned whole, queried by key rarely.
ALTER TABLE reports ALTER COLUMN facts TYPE json USING facts::json;
-- Compressed values (rows over about 2 kB) use lz4: a fraction of the CPU of the default pglz.
ALTER TABLE reports ALTER COLUMN facts SET COMPRESSION lz4;
ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE assessments ALTER COLUMN explanation SET COMPRESSION lz4;
