-- Retention: saved search texts (paging buttons) are dropped after [bot] history_days of not
-- being used, like the search log. Rows from before this version count as used now.
ALTER TABLE saved_queries ADD COLUMN used_at TEXT;
UPDATE saved_queries SET used_at = datetime('now');
CREATE INDEX saved_queries_used_at ON saved_queries (used_at);
