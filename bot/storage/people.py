"""Users' languages, subscribers, the numbered list each chat saw last, saved search texts."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from bot.storage.connection import Database


class PeopleRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def user_language(self, platform: str, user_id: str) -> str | None:
        return await self.db.fetchval(
            "SELECT language FROM users WHERE platform = ? AND user_id = ?", (platform, user_id)
        )

    async def set_user_language(self, platform: str, user_id: str, language: str) -> None:
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO users (platform, user_id, language) VALUES (?, ?, ?) "
                "ON CONFLICT (platform, user_id) DO UPDATE SET language = excluded.language",
                (platform, user_id, language),
            )
            await self.db.execute(
                "UPDATE subscribers SET language = ? WHERE platform = ? AND chat_id = ?", (language, platform, user_id)
            )

    async def subscribe(self, platform: str, chat_id: str, language: str) -> bool:
        """Returns False if the chat was already an active subscriber."""
        changed = await self.db.execute(
            "INSERT INTO subscribers (platform, chat_id, language, active) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (platform, chat_id) DO UPDATE SET active = 1, language = excluded.language, "
            "inactive_reason = NULL, subscribed_at = datetime('now') WHERE subscribers.active = 0",
            (platform, chat_id, language),
        )
        return changed > 0

    async def unsubscribe(self, platform: str, chat_id: str) -> bool:
        changed = await self.db.execute(
            "DELETE FROM subscribers WHERE platform = ? AND chat_id = ? AND active = 1", (platform, chat_id)
        )
        return changed > 0

    async def is_subscribed(self, platform: str, chat_id: str) -> bool:
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM subscribers WHERE platform = ? AND chat_id = ? AND active = 1", (platform, chat_id)
            )
        )

    async def mark_inactive(self, platform: str, chat_id: str, reason: str) -> None:
        await self.db.execute(
            "UPDATE subscribers SET active = 0, inactive_reason = ? WHERE platform = ? AND chat_id = ?",
            (reason, platform, chat_id),
        )

    async def subscriber_counts(self) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT platform, count(*) FROM subscribers WHERE active = 1 GROUP BY platform", tuples=True
        )
        return dict(rows)

    async def forget(self, platform: str, user_id: str, chat_id: str) -> int:
        """Delete the person's own rows (language, subscription, last list); returns how many.
        Repository.forget adds their deliveries and uploads, in the same transaction."""
        async with self.db.transaction():
            removed = await self.db.execute("DELETE FROM users WHERE platform = ? AND user_id = ?", (platform, user_id))
            removed += await self.db.execute(
                "DELETE FROM subscribers WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )
            removed += await self.db.execute(
                "DELETE FROM choice_sessions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )
        return removed

    # -- the last numbered list, and search texts behind paging buttons --------------------

    async def save_choices(self, platform: str, chat_id: str, actions: Sequence[str]) -> None:
        await self.db.execute(
            "INSERT INTO choice_sessions (platform, chat_id, actions, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (platform, chat_id) DO UPDATE SET actions = excluded.actions, created_at = excluded.created_at",
            (platform, chat_id, json.dumps(list(actions)), time.time()),
        )

    async def load_choices(self, platform: str, chat_id: str, max_age_seconds: float) -> list[str] | None:
        row = await self.db.fetchone(
            "SELECT actions, created_at FROM choice_sessions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
        )
        if row is None or time.time() - row["created_at"] > max_age_seconds:
            return None
        return json.loads(row["actions"])

    async def save_query(self, text: str) -> int:
        # A search saved before is only read (its last use is kept to the day, for retention):
        # a reply needs no write, so it never waits for a staff import's write lock.
        found = await self.db.fetchall(
            "SELECT id, used_at >= datetime('now', '-1 day') FROM saved_queries WHERE text = ?", (text,), tuples=True
        )
        if found and found[0][1]:
            return int(found[0][0])
        (row,) = await self.db.returning(
            "INSERT INTO saved_queries (text, used_at) VALUES (?, datetime('now')) "
            "ON CONFLICT (text) DO UPDATE SET used_at = excluded.used_at RETURNING id",
            (text,),
        )
        return row["id"]

    async def saved_query(self, query_id: int) -> str | None:
        return await self.db.fetchval("SELECT text FROM saved_queries WHERE id = ?", (query_id,))

    async def prune_history(self, days: int) -> tuple[int, int]:
        """Retention: drop search-log rows older than `days` and saved search texts unused for
        as long (their paging buttons then answer "expired"). Returns (log rows, saved texts)."""
        since = f"-{int(days)} days"
        async with self.db.transaction():
            searches = await self.db.execute("DELETE FROM search_log WHERE at < datetime('now', ?)", (since,))
            saved = await self.db.execute("DELETE FROM saved_queries WHERE used_at < datetime('now', ?)", (since,))
        return searches, saved
