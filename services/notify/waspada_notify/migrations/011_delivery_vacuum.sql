-- Deliveries move from pending to delivered within a second, leaving a dead entry in the partial index
-- the worker claims from (deliveries_due) each time; vacuum after every few thousand changes instead of
-- at 20 % of a table that only grows.
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                            autovacuum_vacuum_cost_delay = 0);
