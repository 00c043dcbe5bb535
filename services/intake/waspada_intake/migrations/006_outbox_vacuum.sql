-- The outbox is a queue: every row is inserted, then deleted within a second. Vacuumed at the default
-- 20 % of its (small) size it is vacuumed almost never relative to its churn, and the relay's index scan
-- walks the dead entries; vacuum it after every few thousand deletions instead.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                        autovacuum_vacuum_cost_delay = 0);
