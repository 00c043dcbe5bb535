-- Event time at which a firing alert ends unless new reports arrive: a region alert after the quiet
-- time since its last qualifying report; a roll-up when its window no longer holds enough members.
-- Lets the sweep find exactly the alerts that may have expired.
ALTER TABLE alerts ADD COLUMN expires_at timestamptz;
UPDATE alerts SET expires_at = last_report_at + interval '72 hours' WHERE status = 'firing';
CREATE INDEX alerts_expiry ON alerts (expires_at) WHERE status = 'firing';
