-- One-time sign-in links to the staff web pages, sent by the bot to an admin (/web): only a
-- hash of the token is kept; a link signs in once, within its minutes.
CREATE TABLE IF NOT EXISTS staff_links (
    token_hash TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
