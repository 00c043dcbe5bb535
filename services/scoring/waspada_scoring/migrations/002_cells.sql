-- State of each region+category (regency x category), bounded by the number of regions: the model's
-- memory, counts and level as JSON, plus the level and its time span as columns so that the spread
-- of a category across regions is read set-based (one query per batch).
CREATE TABLE cells (
    regency     text NOT NULL,
    category    text NOT NULL,
    province    text NOT NULL,
    level       text NOT NULL,
    level_since timestamptz NOT NULL,  -- event time the current level began
    level_held  timestamptz NOT NULL,  -- event time a report last supported the level
    score       real NOT NULL,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (regency, category)
);
CREATE INDEX cells_elevated ON cells (category, level_held) WHERE level <> 'normal';

-- The published event is kept as the exact bytes sent (re-published as is on redelivery): storing
-- bytes costs PostgreSQL a third of parsing jsonb, at thousands of rows per second. Read it with
-- convert_from(event, 'UTF8')::jsonb. Rows of the skeleton model keep their jsonb payload.
ALTER TABLE assessments ADD COLUMN event bytea;
ALTER TABLE assessments ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE assessments ADD CONSTRAINT assessments_event_or_payload CHECK (event IS NOT NULL OR payload IS NOT NULL);
-- For comparing runs (replay) and answering "when did this region+category escalate".
ALTER TABLE assessments ADD COLUMN province text;
ALTER TABLE assessments ADD COLUMN previous_level text;

-- The walking skeleton's per-regency counts are superseded by cells.
DROP TABLE region_state;
