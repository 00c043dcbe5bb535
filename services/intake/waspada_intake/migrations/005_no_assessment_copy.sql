-- Intake reads a report's assessment from scoring.assessments (same database) instead of keeping a copy
-- read back from risk.assessed.v1 (docs/benchmarks.md).
DROP TABLE assessments;
