-- Deliveries are claimed by the sender that holds the platform's lease before they are sent:
-- a sender that lost its lease cannot claim, and the next holder takes the claims over.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_until REAL NOT NULL DEFAULT 0;
-- When the first failed attempt was: a delivery is 'failed' only after [broadcast] retry_hours.
ALTER TABLE deliveries ADD COLUMN first_failed_at REAL;

-- A platform whose token was rejected while sending: its announcements wait (nothing is marked
-- failed) until a send goes through again. Shown by `ocop-bot broadcasts`.
CREATE TABLE IF NOT EXISTS sender_pauses (
    platform TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    since REAL NOT NULL
);
