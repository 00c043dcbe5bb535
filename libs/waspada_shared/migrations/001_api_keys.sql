-- Bearer keys shared by every HTTP API, stored as SHA-256 hashes (keys are random, high-entropy tokens).
CREATE TABLE api_keys (
    key_hash   text PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    scope      text NOT NULL,              -- province code, 'national' or 'admin'
    rate_limit real,                       -- requests per second; NULL = service default
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
