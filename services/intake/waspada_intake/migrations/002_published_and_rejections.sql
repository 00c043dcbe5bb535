-- A report is `published` once its outbox row is gone: derived on read instead of updating the
-- report row (a second write per report) after every relay round.
CREATE INDEX outbox_report_id ON outbox (report_id);

-- Rejections by door; Kafka ones carry their record's topic/partition/offset so that a redelivered
-- batch is counted once.
ALTER TABLE rejections ADD COLUMN door text NOT NULL DEFAULT 'kafka';
ALTER TABLE rejections ADD COLUMN source text;
CREATE UNIQUE INDEX rejections_source ON rejections (source) WHERE source IS NOT NULL;
