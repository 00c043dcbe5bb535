-- Retention: `processed` ids only guard against redelivery within Kafka's retention (the replay
-- horizon); delivery records are evidence of who was told, kept for the delivery-log retention.
CREATE INDEX processed_at ON processed (processed_at);
CREATE INDEX delivery_attempts_attempted_at ON delivery_attempts (attempted_at);
