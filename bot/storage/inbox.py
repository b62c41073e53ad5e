"""What comes in: webhook deliveries already taken, and what people searched for."""

from __future__ import annotations

import time

from bot.storage.connection import Database

PROCESSED_KEEP_SECONDS = 7 * 86400  # platforms redeliver within minutes, not weeks
PRUNE_EVERY = 1000  # claims between two prunings


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._claims = 0

    async def claim_update(self, platform: str, key: str) -> bool:
        """True the first time a delivery is seen; False for a redelivery."""
        now = time.time()
        changed = await self.db.execute(
            "INSERT INTO processed_updates (platform, update_key, at) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, update_key) DO NOTHING",
            (platform, key, now),
        )
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.db.execute("DELETE FROM processed_updates WHERE at < ?", (now - PROCESSED_KEEP_SECONDS,))
        return changed > 0

    async def log_search(self, query: str, language: str, platform: str, results: int) -> None:
        await self.db.execute(
            "INSERT INTO search_log (query, language, platform, results) VALUES (?, ?, ?, ?)",
            (query[:200], language, platform, results),
        )

    async def top_queries(self, days: int, limit: int, *, only_empty: bool) -> list[tuple[str, int]]:
        rows = await self.db.fetchall(
            "SELECT lower(query) AS q, count(*) AS n FROM search_log "
            "WHERE at >= datetime('now', ?) AND (? = 0 OR results = 0) GROUP BY q ORDER BY n DESC, q LIMIT ?",
            (f"-{int(days)} days", int(only_empty), limit),
            tuples=True,
        )
        return [(q, n) for q, n in rows]
