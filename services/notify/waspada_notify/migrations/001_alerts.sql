-- Assessments already applied: replays and redeliveries change nothing.
CREATE TABLE processed (
    report_id    text PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- Current state of every alert (one per group and audience and lifecycle).
CREATE TABLE alerts (
    alert_id    text PRIMARY KEY,
    group_key   text NOT NULL,
    audience    text NOT NULL,
    province    text NOT NULL,
    regency     text,
    category    text NOT NULL,
    level       text NOT NULL,
    status      text NOT NULL,
    version     integer NOT NULL,
    first_seen  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    payload     jsonb NOT NULL
);
-- At most one open (firing) alert per group and audience.
CREATE UNIQUE INDEX alerts_open_group ON alerts (group_key, audience) WHERE status = 'firing';
CREATE INDEX alerts_province ON alerts (province, updated_at DESC);

-- One row per (alert version, receiver): what must be delivered and how it went.
CREATE TABLE deliveries (
    alert_id     text NOT NULL,
    version      integer NOT NULL,
    receiver     text NOT NULL,
    channel      text NOT NULL,
    target       text NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    last_error   text,
    payload      jsonb NOT NULL,
    PRIMARY KEY (alert_id, version, receiver)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE status IN ('pending', 'sending');

-- Every delivery attempt: who was told, by which channel, when, and how it went.
CREATE TABLE delivery_attempts (
    id            bigserial PRIMARY KEY,
    alert_id      text NOT NULL,
    version       integer NOT NULL,
    receiver      text NOT NULL,
    channel       text NOT NULL,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    outcome       text NOT NULL,
    response_code integer,
    error         text
);
CREATE INDEX delivery_attempts_alert ON delivery_attempts (alert_id, attempted_at);
