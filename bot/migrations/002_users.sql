-- People and conversation state, kept in our own tables rather than framework pickles.
CREATE TABLE users (
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    language TEXT,
    first_seen TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (platform, user_id)
);

CREATE TABLE subscribers (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'vi',
    active INTEGER NOT NULL DEFAULT 1,
    subscribed_at TEXT NOT NULL DEFAULT (datetime('now')),
    inactive_reason TEXT,
    PRIMARY KEY (platform, chat_id)
);

-- The last numbered list shown in a chat, so "2" means something after a restart too.
CREATE TABLE choice_sessions (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    actions TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (platform, chat_id)
);

-- Search texts referenced from paging buttons (callback data has 64 bytes only).
CREATE TABLE saved_queries (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);

-- What people look for, without who looked.
CREATE TABLE search_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (datetime('now')),
    query TEXT NOT NULL,
    language TEXT NOT NULL,
    platform TEXT NOT NULL,
    results INTEGER NOT NULL
);
CREATE INDEX search_log_at ON search_log (at);

-- Webhook deliveries already taken, so a redelivery is handled once.
CREATE TABLE processed_updates (
    platform TEXT NOT NULL,
    update_key TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (platform, update_key)
);
