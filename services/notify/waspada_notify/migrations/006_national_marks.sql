-- When a province had a region at siaga or above, per category (event time): the national roll-up
-- counts the provinces with a mark within its window before the time it is evaluated at, so a
-- province whose later reports were already processed never counts for an earlier time.
CREATE TABLE marks (
    category text NOT NULL,
    province text NOT NULL,
    at       timestamptz NOT NULL,
    rank     smallint NOT NULL,
    PRIMARY KEY (category, at, province)
);
