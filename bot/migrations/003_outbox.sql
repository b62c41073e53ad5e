-- Announcements and their per-recipient deliveries: the durable outbox.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    author_platform TEXT NOT NULL,
    author_user TEXT NOT NULL,
    author_chat TEXT NOT NULL,
    text_vi TEXT NOT NULL,
    text_en TEXT NOT NULL DEFAULT '',
    -- UTC, ISO 8601; NULL = send now.
    scheduled_at TEXT,
    -- draft -> queued -> done; or cancelled.
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'queued', 'done', 'cancelled')),
    confirmed_at TEXT,
    started_at REAL,
    finished_at REAL,
    progress_message_id TEXT,
    reported INTEGER NOT NULL DEFAULT 0,
    -- Set for automatic fair reminders: one broadcast per event.
    reminder_event_id INTEGER UNIQUE
);

CREATE TABLE deliveries (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'vi',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'blocked', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at REAL,
    PRIMARY KEY (broadcast_id, platform, chat_id)
);
CREATE INDEX deliveries_pending ON deliveries (platform, status, next_attempt_at);

-- A staff upload waiting for "apply": validated rows kept until confirmed or replaced.
CREATE TABLE pending_imports (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    table_name TEXT NOT NULL,
    records TEXT NOT NULL
);

-- One sender per platform at a time: a lease renewed by its holder, taken over when it lapses
-- or when the holder's process is gone.
CREATE TABLE sender_leases (
    platform TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
);
