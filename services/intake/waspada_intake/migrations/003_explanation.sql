-- The assessment's explanation (factors and their contributions, the reasons sentence), kept from
-- risk.assessed.v1 with the score and level, so intake shows why a report scored what it did
-- without reading another service's tables.
ALTER TABLE reports ADD COLUMN explanation jsonb;
