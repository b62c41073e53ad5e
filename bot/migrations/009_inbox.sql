-- The durable inbox: a webhook update is written here before the platform gets its 200,
-- and answered from here by the workers; `done` only after the platform accepted the answer.
-- (platform, update_key) deduplicates redeliveries; done rows are kept a week for that,
-- without their payload.
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    update_key TEXT NOT NULL,
    chat_key TEXT NOT NULL,
    payload TEXT,
    state TEXT NOT NULL DEFAULT 'pending',  -- pending | done
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    received_at REAL NOT NULL,
    done_at REAL,
    UNIQUE (platform, update_key)
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (platform, state, chat_key, id);
