-- Event-time clocks, one per Kafka partition of risk.assessed.v1 (a province's assessments share one):
-- quiet time and province roll-ups are counted on the clock of the partition a group's reports come
-- from, so what resolves when is the same however a replay is batched.
CREATE TABLE clocks (
    key        text PRIMARY KEY,
    event_time timestamptz NOT NULL
);
ALTER TABLE groups
    ADD COLUMN clock            text,
    ADD COLUMN candidate        text CHECK (candidate IN ('pending', 'confirmed', 'declined')),
    ADD COLUMN candidate_report text;
CREATE INDEX groups_clock ON groups (clock) WHERE level <> 'normal';

-- Level-4 candidates awaiting a decision, and when their desks are reminded (wall clock).
ALTER TABLE alerts
    ADD COLUMN candidate_status text,
    ADD COLUMN remind_at        timestamptz;
CREATE INDEX alerts_candidates ON alerts (remind_at) WHERE status = 'firing' AND candidate_status = 'pending';

-- Decisions on Level-4 candidates: append-only events. A replay that meets the same candidate (group
-- and report) applies the recorded decision again.
CREATE TABLE decisions (
    id          bigserial PRIMARY KEY,
    group_key   text NOT NULL,
    report_id   text NOT NULL,
    alert_id    text NOT NULL,
    decision    text NOT NULL CHECK (decision IN ('confirm', 'decline')),
    decided_by  text NOT NULL,
    reason      text NOT NULL,
    principal   text NOT NULL,
    decided_at  timestamptz NOT NULL,
    UNIQUE (group_key, report_id)
);
