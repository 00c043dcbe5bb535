-- Group state as plain columns (read per batch without JSON decoding), and light lookups of firing
-- alerts by group and by category (inhibition sources).
ALTER TABLE groups
    ADD COLUMN score            real NOT NULL DEFAULT 0,
    ADD COLUMN last_assessed_at timestamptz,
    ADD COLUMN last_report_id   text,
    ADD COLUMN reached_waspada  timestamptz,
    ADD COLUMN reached_siaga    timestamptz,
    ADD COLUMN reached_awas     timestamptz;
UPDATE groups SET
    score = coalesce((state->>'score')::real, 0),
    last_assessed_at = (state->>'last_assessed_at')::timestamptz,
    last_report_id = state->>'last_report_id',
    reached_waspada = (state->'reached'->>'waspada')::timestamptz,
    reached_siaga = (state->'reached'->>'siaga')::timestamptz,
    reached_awas = (state->'reached'->>'awas')::timestamptz;
ALTER TABLE groups ALTER COLUMN state DROP NOT NULL;
UPDATE groups SET state = NULL;
CREATE INDEX alerts_firing_group ON alerts (group_key) WHERE status = 'firing';
