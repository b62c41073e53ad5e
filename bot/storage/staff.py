"""Staff uploads waiting for "apply": validated rows kept until confirmed or replaced; one-time
sign-in links to the staff web pages."""

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
        removed = await self.db.execute(
            "DELETE FROM pending_imports WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return removed + await self.db.execute(
            "DELETE FROM staff_links WHERE platform = ? AND user_id = ?", (platform, user_id)
        )

    async def create_login_link(self, token_hash: str, platform: str, user_id: str, seconds: float) -> None:
        """A sign-in link valid for `seconds`; links a day past their end are dropped."""
        now = time.time()
        async with self.db.transaction():
            await self.db.execute("DELETE FROM staff_links WHERE expires_at < ?", (now - 86_400,))
            await self.db.execute(
                "INSERT INTO staff_links (token_hash, platform, user_id, expires_at) VALUES (?, ?, ?, ?)",
                (token_hash, platform, user_id, now + seconds),
            )

    async def use_login_link(self, token_hash: str) -> bool:
        """True once for a link still within its time; never again."""
        now = time.time()
        changed = await self.db.execute(
            "UPDATE staff_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (now, token_hash, now),
        )
        return changed == 1
