-- Keys expire and record when they were last used (written in batches by the services, never per
-- request). The audit log records human and administrative actions; it is append-only: UPDATE and
-- DELETE are refused by a trigger (retention, when needed, is a deliberate migration, not an API).
ALTER TABLE api_keys
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN revoked_by   text;

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,           -- the key's name (a person's or an agency's key)
    actor_scope text NOT NULL,           -- the key's scope: province code, national or admin
    action      text NOT NULL,           -- e.g. alert.acknowledged, silence.created, key.revoked
    target      text,                    -- what it acted on: alert id, silence id, key name, report id
    scope       text,                    -- the province concerned, when there is one
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    service     text NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_scope_at ON audit_log (scope, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'auth.audit_log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
