-- Reports as received: the durable record behind every 202.
CREATE TABLE reports (
    report_id     text PRIMARY KEY,
    content_hash  text NOT NULL,
    province      text NOT NULL,
    regency       text NOT NULL,
    facts         jsonb NOT NULL,          -- the report without `reporter`
    reporter_enc  bytea,                   -- Fernet token of the reporter object, or NULL
    received_at   timestamptz NOT NULL,
    submitted_by  text NOT NULL,
    state         text NOT NULL DEFAULT 'accepted' CHECK (state IN ('accepted', 'published', 'assessed')),
    score         real,
    level         text,
    model_version text,
    assessed_at   timestamptz
);
CREATE INDEX reports_province_received ON reports (province, received_at);

-- Transactional outbox: rows written in the same transaction as the report, relayed to Kafka.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    report_id  text NOT NULL,
    topic      text NOT NULL,
    key        text NOT NULL,
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Rejections counted for the reporting-performance figures (share rejected per province).
CREATE TABLE rejections (
    id          bigserial PRIMARY KEY,
    province    text,
    reason      text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejections_province_received ON rejections (province, received_at);
