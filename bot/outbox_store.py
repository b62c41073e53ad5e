"""SQL for announcements, deliveries and pending staff imports (part of the Repository)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Delivery:
    broadcast_id: int
    platform: str
    chat_id: str
    language: str
    attempts: int
    text: str


@dataclass(frozen=True)
class Broadcast:
    id: int
    created_at: str
    author_platform: str
    author_user: str
    author_chat: str
    text_vi: str
    text_en: str
    scheduled_at: str | None
    status: str
    started_at: float | None
    finished_at: float | None
    progress_message_id: str | None
    reported: bool
    reminder_event_id: int | None


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class OutboxQueries:
    """Mixed into Repository: same connection, same transaction rules."""

    _conn: object  # provided by Repository

    async def create_draft(
        self, author_platform: str, author_user: str, author_chat: str, text_vi: str, text_en: str,
        scheduled_at: str | None,
    ) -> int:  # fmt: skip
        async with self._conn.execute(
            "INSERT INTO broadcasts (author_platform, author_user, author_chat, text_vi, text_en, scheduled_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (author_platform, author_user, author_chat, text_vi, text_en, scheduled_at),
        ) as cur:
            return cur.lastrowid

    async def confirm_broadcast(self, broadcast_id: int) -> int | None:
        """Queue a draft and one delivery per active subscriber, in one transaction.

        Returns the number of recipients, or None if it was not a draft (already confirmed,
        cancelled, or unknown): confirming twice never queues twice.
        """
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            async with self._conn.execute(
                "UPDATE broadcasts SET status = 'queued', confirmed_at = datetime('now') "
                "WHERE id = ? AND status = 'draft'",
                (broadcast_id,),
            ) as cur:
                if cur.rowcount == 0:
                    await self._conn.execute("ROLLBACK")
                    return None
            async with self._conn.execute(
                "INSERT INTO deliveries (broadcast_id, platform, chat_id, language) "
                "SELECT ?, platform, chat_id, language FROM subscribers WHERE active = 1",
                (broadcast_id,),
            ) as cur:
                count = cur.rowcount
            await self._conn.execute("COMMIT")
            return count
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise

    async def cancel_broadcast(self, broadcast_id: int) -> bool:
        async with self._conn.execute(
            "UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status = 'draft'", (broadcast_id,)
        ) as cur:
            return cur.rowcount > 0

    async def ensure_reminder(self, event_id: int, text_vi: str, text_en: str) -> int:
        """The reminder broadcast of an event, created once; new subscribers join it.

        Returns how many deliveries were added now (0 when everyone already has one).
        """
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            await self._conn.execute(
                "INSERT OR IGNORE INTO broadcasts (author_platform, author_user, author_chat, text_vi, text_en, "
                "status, confirmed_at, reported, reminder_event_id) "
                "VALUES ('system', 'reminder', '', ?, ?, 'queued', datetime('now'), 1, ?)",
                (text_vi, text_en, event_id),
            )
            async with self._conn.execute(
                "INSERT OR IGNORE INTO deliveries (broadcast_id, platform, chat_id, language) "
                "SELECT b.id, s.platform, s.chat_id, s.language FROM broadcasts b, subscribers s "
                "WHERE b.reminder_event_id = ? AND s.active = 1",
                (event_id,),
            ) as cur:
                added = cur.rowcount
            # A reminder that gained recipients is open again until they are served.
            if added:
                await self._conn.execute(
                    "UPDATE broadcasts SET status = 'queued', finished_at = NULL WHERE reminder_event_id = ?",
                    (event_id,),
                )
            await self._conn.execute("COMMIT")
            return added
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise

    async def due_deliveries(self, platform: str, limit: int) -> list[Delivery]:
        rows = await self._all(
            "SELECT d.broadcast_id, d.platform, d.chat_id, d.language, d.attempts, b.text_vi, b.text_en "
            "FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id "
            "WHERE d.platform = ? AND d.status = 'pending' AND d.next_attempt_at <= ? AND b.status = 'queued' "
            "AND (b.scheduled_at IS NULL OR b.scheduled_at <= ?) "
            "ORDER BY d.broadcast_id, d.next_attempt_at, d.rowid LIMIT ?",
            (platform, time.time(), utc_now_iso(), limit),
        )
        return [
            Delivery(
                r["broadcast_id"],
                r["platform"],
                r["chat_id"],
                r["language"],
                r["attempts"],
                r["text_en"] if r["language"] == "en" and r["text_en"] else r["text_vi"],
            )  # fmt: skip
            for r in rows
        ]

    async def has_pending(self, platform: str) -> bool:
        """Deliveries still to make for broadcasts already due (retries waiting included)."""
        rows = await self._all(
            "SELECT 1 FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id "
            "WHERE d.platform = ? AND d.status = 'pending' AND b.status = 'queued' "
            "AND (b.scheduled_at IS NULL OR b.scheduled_at <= ?) LIMIT 1",
            (platform, utc_now_iso()),
        )
        return bool(rows)

    async def mark_delivery(
        self, delivery: Delivery, status: str, *, error: str | None = None, retry_at: float | None = None
    ) -> None:
        key = (delivery.broadcast_id, delivery.platform, delivery.chat_id)
        if status == "sent":
            sql = "UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1"
            params: tuple = (time.time(),)
        elif status == "retry":
            sql = "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
            params = (retry_at or 0.0, error)
        else:
            sql = "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?"
            params = (status, error)
        await self._write(f"{sql} WHERE broadcast_id = ? AND platform = ? AND chat_id = ?", (*params, *key))
        if status == "blocked":
            await self.mark_inactive(delivery.platform, delivery.chat_id, error or "blocked")

    async def start_broadcast_clock(self, broadcast_id: int) -> None:
        await self._write(
            "UPDATE broadcasts SET started_at = ? WHERE id = ? AND started_at IS NULL", (time.time(), broadcast_id)
        )

    async def finish_broadcasts(self) -> list[int]:
        """Close queued broadcasts with nothing pending; returns the ids just closed."""
        rows = await self._all(
            "SELECT id FROM broadcasts b WHERE status = 'queued' AND NOT EXISTS "
            "(SELECT 1 FROM deliveries d WHERE d.broadcast_id = b.id AND d.status = 'pending')"
        )
        ids = [r["id"] for r in rows]
        for broadcast_id in ids:
            await self._write(
                "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ? AND status = 'queued'",
                (time.time(), broadcast_id),
            )
        return ids

    async def delivery_counts(self, broadcast_id: int) -> dict[str, int]:
        rows = await self._all(
            "SELECT status, count(*) AS n FROM deliveries WHERE broadcast_id = ? GROUP BY status", (broadcast_id,)
        )
        counts = {"pending": 0, "sent": 0, "blocked": 0, "failed": 0}
        counts.update({r["status"]: r["n"] for r in rows})
        return counts

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        rows = await self._all("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _broadcast(rows[0]) if rows else None

    async def broadcasts(self, *, author_platform: str | None = None, statuses=("queued", "done")) -> list[Broadcast]:
        marks = ", ".join("?" * len(statuses))
        sql = f"SELECT * FROM broadcasts WHERE status IN ({marks})"  # noqa: S608 - placeholders only
        params: list = list(statuses)
        if author_platform:
            sql += " AND author_platform = ?"
            params.append(author_platform)
        return [_broadcast(r) for r in await self._all(sql + " ORDER BY id DESC", params)]

    async def set_progress_message(self, broadcast_id: int, message_id: str) -> None:
        await self._write("UPDATE broadcasts SET progress_message_id = ? WHERE id = ?", (message_id, broadcast_id))

    async def mark_reported(self, broadcast_id: int) -> bool:
        changed = await self._write("UPDATE broadcasts SET reported = 1 WHERE id = ? AND reported = 0", (broadcast_id,))
        return changed > 0

    # -- one sender per platform ------------------------------------------------------------

    async def acquire_lease(self, platform: str, owner: str, ttl: float, owner_alive) -> bool:
        """Take or renew the platform's sender lease. `owner_alive(owner)` tells a dead holder."""
        now = time.time()
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            rows = await self._all("SELECT owner, expires_at FROM sender_leases WHERE platform = ?", (platform,))
            free = not rows or rows[0]["owner"] == owner or rows[0]["expires_at"] < now
            if not free and not owner_alive(rows[0]["owner"]):
                free = True
            if free:
                await self._conn.execute(
                    "INSERT OR REPLACE INTO sender_leases (platform, owner, expires_at) VALUES (?, ?, ?)",
                    (platform, owner, now + ttl),
                )
            await self._conn.execute("COMMIT")
            return free
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise

    async def release_lease(self, platform: str, owner: str) -> None:
        await self._write("DELETE FROM sender_leases WHERE platform = ? AND owner = ?", (platform, owner))

    # -- staff uploads waiting for confirmation --------------------------------------------

    async def save_pending_import(self, platform: str, user_id: str, table: str, records: list[dict]) -> int:
        await self._write("DELETE FROM pending_imports WHERE platform = ? AND user_id = ?", (platform, user_id))
        async with self._conn.execute(
            "INSERT INTO pending_imports (created_at, platform, user_id, table_name, records) VALUES (?, ?, ?, ?, ?)",
            (time.time(), platform, user_id, table, json.dumps(records, ensure_ascii=False)),
        ) as cur:
            return cur.lastrowid

    async def take_pending_import(self, import_id: int, platform: str, user_id: str) -> tuple[str, list[dict]] | None:
        rows = await self._all(
            "SELECT table_name, records FROM pending_imports WHERE id = ? AND platform = ? AND user_id = ?",
            (import_id, platform, user_id),
        )
        if not rows:
            return None
        await self._write("DELETE FROM pending_imports WHERE id = ?", (import_id,))
        return rows[0]["table_name"], json.loads(rows[0]["records"])


def _broadcast(r) -> Broadcast:
    return Broadcast(
        r["id"], r["created_at"], r["author_platform"], r["author_user"], r["author_chat"], r["text_vi"],
        r["text_en"], r["scheduled_at"], r["status"], r["started_at"], r["finished_at"],
        r["progress_message_id"], bool(r["reported"]), r["reminder_event_id"],
    )  # fmt: skip
