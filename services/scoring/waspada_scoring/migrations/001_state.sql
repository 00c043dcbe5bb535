-- One row per assessed report: the idempotency key and the stored event (re-published on redelivery).
CREATE TABLE assessments (
    report_id     text PRIMARY KEY,
    regency       text NOT NULL,
    category      text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    score         real NOT NULL,
    level         text NOT NULL,
    model_version text NOT NULL,
    payload       jsonb NOT NULL
);

-- Per-regency state, bounded by the number of regions: daily report counts over a rolling window.
CREATE TABLE region_state (
    regency   text PRIMARY KEY,
    state     jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
