-- Alert payloads and states are written whole and read whole (one key, ack_required, is read in
-- SQL, which json serves as well): json keeps the text as given, jsonb parses and rebuilds every value
-- on the way in and serialises it again on the way out (docs/benchmarks.md).
ALTER TABLE alerts ALTER COLUMN payload TYPE json USING payload::json,
                   ALTER COLUMN state TYPE json USING state::json;
ALTER TABLE alert_versions ALTER COLUMN payload TYPE json USING payload::json;
ALTER TABLE deliveries ALTER COLUMN payload TYPE json USING payload::json;
