"""Staff uploads waiting for "apply": validated rows kept until confirmed or replaced."""

from __future__ import annotations

import json
import time

from bot.storage.connection import Database


class StaffRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save_pending_import(self, platform: str, user_id: str, table: str, records: list[dict]) -> int:
        """One pending upload per staff member: a new one replaces the old."""
        async with self.db.transaction():
            await self.db.execute("DELETE FROM pending_imports WHERE platform = ? AND user_id = ?", (platform, user_id))
            return await self.db.insert(
                "INSERT INTO pending_imports (created_at, platform, user_id, table_name, records) "
                "VALUES (?, ?, ?, ?, ?)",
                (time.time(), platform, user_id, table, json.dumps(records, ensure_ascii=False)),
            )

    async def take_pending_import(self, import_id: int, platform: str, user_id: str) -> tuple[str, list[dict]] | None:
        """The upload's rows, removed as they are taken: two presses of "apply" apply once."""
        rows = await self.db.returning(
            "DELETE FROM pending_imports WHERE id = ? AND platform = ? AND user_id = ? RETURNING table_name, records",
            (import_id, platform, user_id),
        )
        return (rows[0]["table_name"], json.loads(rows[0]["records"])) if rows else None

    async def forget_user(self, platform: str, user_id: str) -> int:
        return await self.db.execute(
            "DELETE FROM pending_imports WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
