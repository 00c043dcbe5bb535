-- Intake shows a report's assessment (state, score, level, factors) from this table instead of keeping
-- its own copy read back from risk.assessed.v1 (one consumer, one insert and one Kafka read less per
-- report, docs/benchmarks.md). The time of the assessment is a column for that read.
ALTER TABLE assessments ADD COLUMN assessed_at timestamptz;
UPDATE assessments
SET assessed_at = (coalesce(convert_from(event, 'UTF8')::json, payload::json) ->> 'assessed_at')::timestamptz;
