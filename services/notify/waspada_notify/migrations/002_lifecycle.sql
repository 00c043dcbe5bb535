-- Notify, complete: groups, the alert lifecycle, versions, acknowledgements, silences, delivery log.
-- Additive over 001 (walking skeleton): earlier rows stay readable.

-- One row per group: a region (province/regency/category) or a roll-up (province/*/category,
-- */*/category). `state` is the domain's GroupState; the columns index it.
CREATE TABLE groups (
    key                text PRIMARY KEY,
    coverage           text NOT NULL,
    province           text NOT NULL,
    regency            text,
    category           text NOT NULL,
    level              text NOT NULL,
    last_qualifying_at timestamptz,
    state              jsonb NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX groups_hot ON groups (category, last_qualifying_at);

-- The newest event time seen (the clock of quiet-time resolution and roll-up windows).
CREATE TABLE watermark (
    id         integer PRIMARY KEY CHECK (id = 1),
    event_time timestamptz NOT NULL
);

ALTER TABLE alerts
    ADD COLUMN coverage       text NOT NULL DEFAULT 'region',
    ADD COLUMN provinces      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN state          jsonb,
    ADD COLUMN created_at     timestamptz,
    ADD COLUMN resolved_at    timestamptz,
    ADD COLUMN last_report_at timestamptz,
    ADD COLUMN ack_deadline   timestamptz,
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN repeat_due_at  timestamptz,
    ADD COLUMN muted_by       text;
UPDATE alerts SET provinces = ARRAY[province], created_at = updated_at WHERE created_at IS NULL;
CREATE INDEX alerts_firing_category ON alerts (category) WHERE status = 'firing';
CREATE INDEX alerts_provinces ON alerts USING gin (provinces);
CREATE INDEX alerts_created ON alerts (created_at);

-- Every version as it was sent: the history behind CAP `references` and "who was told what".
CREATE TABLE alert_versions (
    alert_id   text NOT NULL,
    version    integer NOT NULL,
    event      text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (alert_id, version)
);

CREATE TABLE acks (
    id         bigserial PRIMARY KEY,
    alert_id   text NOT NULL,
    version    integer NOT NULL,
    acked_by   text NOT NULL,
    note       text NOT NULL DEFAULT '',
    principal  text NOT NULL,
    acked_at   timestamptz NOT NULL,
    in_time    boolean
);
CREATE INDEX acks_alert ON acks (alert_id);

CREATE TABLE silences (
    silence_id text PRIMARY KEY,
    matchers   jsonb NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    created_by text NOT NULL,
    comment    text NOT NULL,
    principal  text NOT NULL,
    province   text,                     -- the province a province-scoped key silenced (NULL: any)
    created_at timestamptz NOT NULL DEFAULT now(),
    expired_at timestamptz
);
CREATE INDEX silences_active ON silences (ends_at);

-- Deliveries: one per (alert version, receiver, target); also suppressed (muted) and superseded rows.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_pkey;
ALTER TABLE deliveries ADD PRIMARY KEY (alert_id, version, receiver, target);
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'suppressed', 'superseded'));
ALTER TABLE deliveries
    ADD COLUMN received_at timestamptz,   -- intake receipt of the report behind the version
    ADD COLUMN reason      text;          -- why suppressed (silence or inhibiting alert)

ALTER TABLE delivery_attempts
    ADD COLUMN target      text,
    ADD COLUMN attempt     integer,
    ADD COLUMN finished_at timestamptz,
    ADD COLUMN duration_ms real;
