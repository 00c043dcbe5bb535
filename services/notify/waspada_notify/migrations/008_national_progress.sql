-- National roll-ups are settled in event-time order up to the time every partition's clock has
-- reached (see docs/notify.md): how far that has gone.
CREATE TABLE national_progress (
    id         smallint PRIMARY KEY CHECK (id = 1),
    settled_to timestamptz NOT NULL
);
