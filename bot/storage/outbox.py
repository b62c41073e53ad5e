"""Announcements, their per-recipient deliveries (the durable outbox) and the sender leases."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from bot.storage.connection import Database


@dataclass(frozen=True)
class Delivery:
    broadcast_id: int
    platform: str
    chat_id: str
    language: str
    attempts: int
    text: str
    first_failed_at: float | None = None


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


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_draft(
        self, author_platform: str, author_user: str, author_chat: str, text_vi: str, text_en: str,
        scheduled_at: str | None,
    ) -> int:  # fmt: skip
        return await self.db.insert(
            "INSERT INTO broadcasts (author_platform, author_user, author_chat, text_vi, text_en, scheduled_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (author_platform, author_user, author_chat, text_vi, text_en, scheduled_at),
        )

    async def confirm_broadcast(self, broadcast_id: int) -> int | None:
        """Queue a draft and one delivery per active subscriber, in one transaction.

        Returns the number of recipients, or None if it was not a draft (already confirmed,
        cancelled, or unknown): confirming twice never queues twice.
        """
        async with self.db.transaction():
            confirmed = await self.db.execute(
                "UPDATE broadcasts SET status = 'queued', confirmed_at = datetime('now') "
                "WHERE id = ? AND status = 'draft'",
                (broadcast_id,),
            )
            if not confirmed:
                return None
            return await self.db.execute(
                "INSERT INTO deliveries (broadcast_id, platform, chat_id, language) "
                "SELECT ?, platform, chat_id, language FROM subscribers WHERE active = 1",
                (broadcast_id,),
            )

    async def cancel_broadcast(self, broadcast_id: int) -> bool:
        changed = await self.db.execute(
            "UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status = 'draft'", (broadcast_id,)
        )
        return changed > 0

    async def ensure_reminder(self, event_id: int, text_vi: str, text_en: str) -> int:
        """The reminder broadcast of an event, created once; new subscribers join it.

        Returns how many deliveries were added now (0 when everyone already has one).
        """
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO broadcasts (author_platform, author_user, author_chat, text_vi, text_en, "
                "status, confirmed_at, reported, reminder_event_id) "
                "VALUES ('system', 'reminder', '', ?, ?, 'queued', datetime('now'), 1, ?) "
                "ON CONFLICT (reminder_event_id) DO NOTHING",
                (text_vi, text_en, event_id),
            )
            added = await self.db.execute(
                "INSERT INTO deliveries (broadcast_id, platform, chat_id, language) "
                "SELECT b.id, s.platform, s.chat_id, s.language FROM broadcasts b, subscribers s "
                "WHERE b.reminder_event_id = ? AND s.active = 1 "
                "ON CONFLICT (broadcast_id, platform, chat_id) DO NOTHING",
                (event_id,),
            )
            # A reminder that gained recipients is open again until they are served.
            if added:
                await self.db.execute(
                    "UPDATE broadcasts SET status = 'queued', finished_at = NULL WHERE reminder_event_id = ?",
                    (event_id,),
                )
            return added

    async def due_deliveries(self, platform: str, limit: int) -> list[Delivery]:
        rows = await self.db.fetchall(
            "SELECT d.broadcast_id, d.platform, d.chat_id, d.language, d.attempts, b.text_vi, b.text_en "
            "FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id "
            "WHERE d.platform = ? AND d.status = 'pending' AND d.next_attempt_at <= ? AND b.status = 'queued' "
            "AND (b.scheduled_at IS NULL OR b.scheduled_at <= ?) "
            "ORDER BY d.broadcast_id, d.next_attempt_at, d.rowid LIMIT ?",
            (platform, time.time(), utc_now_iso(), limit),
            tuples=True,
        )
        return [
            Delivery(
                broadcast_id,
                platform_,
                chat_id,
                language,
                attempts,
                text_en if language == "en" and text_en else text_vi,
            )
            for broadcast_id, platform_, chat_id, language, attempts, text_vi, text_en in rows
        ]

    async def has_pending(self, platform: str) -> bool:
        """Deliveries still to make for broadcasts already due (retries waiting included)."""
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id "
                "WHERE d.platform = ? AND d.status = 'pending' AND b.status = 'queued' "
                "AND (b.scheduled_at IS NULL OR b.scheduled_at <= ?) LIMIT 1",
                (platform, utc_now_iso()),
            )
        )

    async def claim_deliveries(
        self, platform: str, owner: str, limit: int, claim_ttl: float, *, require_lease: bool = True
    ) -> list[Delivery]:
        """Claim up to `limit` due deliveries for `owner`, in one transaction.

        With `require_lease`, only while `owner` holds the platform's unexpired lease (else
        nothing): a sender that lost its lease cannot take work. Rows claimed by another owner
        are skipped until their claim lapses (a new lease holder takes them over at once, see
        acquire_lease).
        """
        now = time.time()
        async with self.db.transaction():
            if require_lease:
                row = await self.db.fetchone(
                    "SELECT owner, expires_at FROM sender_leases WHERE platform = ?", (platform,)
                )
                if row is None or row["owner"] != owner or row["expires_at"] <= now:
                    return []
            rows = await self.db.returning(
                "UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE rowid IN ("
                "SELECT d.rowid FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id "
                "WHERE d.platform = ? AND d.status = 'pending' AND d.next_attempt_at <= ? AND b.status = 'queued' "
                "AND (b.scheduled_at IS NULL OR b.scheduled_at <= ?) "
                "AND (d.claimed_by IS NULL OR d.claimed_by = ? OR d.claimed_until < ?) "
                "ORDER BY d.broadcast_id, d.next_attempt_at, d.rowid LIMIT ?) "
                "RETURNING rowid, broadcast_id, platform, chat_id, language, attempts, next_attempt_at, first_failed_at",
                (owner, now + claim_ttl, platform, now, utc_now_iso(), owner, now, limit),
            )
            if not rows:
                return []
            ids = sorted({r["broadcast_id"] for r in rows})
            marks = ", ".join("?" * len(ids))
            texts = {
                r["id"]: (r["text_vi"], r["text_en"])
                for r in await self.db.fetchall(
                    f"SELECT id, text_vi, text_en FROM broadcasts WHERE id IN ({marks})",  # noqa: S608
                    ids,
                )
            }
        rows = sorted(rows, key=lambda r: (r["broadcast_id"], r["next_attempt_at"], r["rowid"]))
        out = []
        for r in rows:
            text_vi, text_en = texts[r["broadcast_id"]]
            text = text_en if r["language"] == "en" and text_en else text_vi
            out.append(
                Delivery(
                    r["broadcast_id"],
                    r["platform"],
                    r["chat_id"],
                    r["language"],
                    r["attempts"],
                    text,
                    r["first_failed_at"],
                )
            )
        return out

    async def release_claims(self, platform: str, owner: str, deliveries: Sequence[Delivery] | None = None) -> int:
        """Give back `owner`'s claims (all of them on the platform, or just `deliveries`)."""
        if deliveries is None:
            return await self.db.execute(
                "UPDATE deliveries SET claimed_by = NULL, claimed_until = 0 "
                "WHERE platform = ? AND claimed_by = ? AND status = 'pending'",
                (platform, owner),
            )
        return await self.db.executemany(
            "UPDATE deliveries SET claimed_by = NULL, claimed_until = 0 "
            "WHERE broadcast_id = ? AND platform = ? AND chat_id = ? AND claimed_by = ?",
            [(d.broadcast_id, d.platform, d.chat_id, owner) for d in deliveries],
        )

    async def mark_delivery(
        self, delivery: Delivery, status: str, *, error: str | None = None, retry_at: float | None = None
    ) -> None:
        key = (delivery.broadcast_id, delivery.platform, delivery.chat_id)
        unclaim = "claimed_by = NULL, claimed_until = 0"
        if status == "sent":
            sql = f"UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1, {unclaim}"
            params: tuple = (time.time(),)
        elif status == "retry":
            sql = (
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
                f"first_failed_at = coalesce(first_failed_at, ?), {unclaim}"
            )
            params = (retry_at or 0.0, error, time.time())
        else:
            sql = f"UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, {unclaim}"
            params = (status, error)
        sql = f"{sql} WHERE broadcast_id = ? AND platform = ? AND chat_id = ?"
        if status != "blocked":
            await self.db.execute(sql, (*params, *key))
            return
        async with self.db.transaction():
            await self.db.execute(sql, (*params, *key))
            # The chat is gone for every later announcement too.
            await self.db.execute(
                "UPDATE subscribers SET active = 0, inactive_reason = ? WHERE platform = ? AND chat_id = ?",
                (error or "blocked", delivery.platform, delivery.chat_id),
            )

    async def start_broadcast_clock(self, broadcast_id: int) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET started_at = ? WHERE id = ? AND started_at IS NULL", (time.time(), broadcast_id)
        )

    async def finish_broadcasts(self) -> list[int]:
        """Close queued broadcasts with nothing pending; returns the ids just closed."""
        rows = await self.db.returning(
            "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE status = 'queued' AND NOT EXISTS "
            "(SELECT 1 FROM deliveries d WHERE d.broadcast_id = broadcasts.id AND d.status = 'pending') RETURNING id",
            (time.time(),),
        )
        return sorted(r["id"] for r in rows)

    async def delivery_counts(self, broadcast_id: int) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT status, count(*) FROM deliveries WHERE broadcast_id = ? GROUP BY status", (broadcast_id,),
            tuples=True,
        )  # fmt: skip
        return {"pending": 0, "sent": 0, "blocked": 0, "failed": 0, **dict(rows)}

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _broadcast(row) if row else None

    async def broadcasts(
        self, *, author_platform: str | None = None, statuses: Sequence[str] = ("queued", "done")
    ) -> list[Broadcast]:
        marks = ", ".join("?" * len(statuses))
        sql = f"SELECT * FROM broadcasts WHERE status IN ({marks})"  # noqa: S608 - placeholders only
        params: list = list(statuses)
        if author_platform:
            sql += " AND author_platform = ?"
            params.append(author_platform)
        return [_broadcast(r) for r in await self.db.fetchall(sql + " ORDER BY id DESC", params)]

    async def set_progress_message(self, broadcast_id: int, message_id: str) -> None:
        await self.db.execute("UPDATE broadcasts SET progress_message_id = ? WHERE id = ?", (message_id, broadcast_id))

    async def mark_reported(self, broadcast_id: int) -> bool:
        changed = await self.db.execute(
            "UPDATE broadcasts SET reported = 1 WHERE id = ? AND reported = 0", (broadcast_id,)
        )
        return changed > 0

    async def forget_chat(self, platform: str, chat_id: str) -> int:
        """Deliveries still queued for a chat whose person asked to be forgotten."""
        return await self.db.execute("DELETE FROM deliveries WHERE platform = ? AND chat_id = ?", (platform, chat_id))

    # -- one sender per platform ------------------------------------------------------------

    async def acquire_lease(self, platform: str, owner: str, ttl: float, owner_alive: Callable[[str], bool]) -> bool:
        """Take or renew the platform's sender lease. `owner_alive(owner)` tells a dead holder.

        Taking it over from another owner also takes over that owner's claims: it cannot send
        them any more (a sender checks its lease before each send)."""
        now = time.time()
        async with self.db.transaction():
            row = await self.db.fetchone("SELECT owner, expires_at FROM sender_leases WHERE platform = ?", (platform,))
            free = row is None or row["owner"] == owner or row["expires_at"] < now
            if not free and not owner_alive(row["owner"]):
                free = True
            if free:
                await self.db.execute(
                    "INSERT INTO sender_leases (platform, owner, expires_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (platform) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at",
                    (platform, owner, now + ttl),
                )
                if row is None or row["owner"] != owner:
                    await self.db.execute(
                        "UPDATE deliveries SET claimed_by = NULL, claimed_until = 0 "
                        "WHERE platform = ? AND status = 'pending' AND claimed_by IS NOT NULL AND claimed_by != ?",
                        (platform, owner),
                    )
            return free

    async def pause_platform(self, platform: str, reason: str) -> None:
        """The platform's token was rejected: its announcements wait (kept since the first)."""
        await self.db.execute(
            "INSERT INTO sender_pauses (platform, reason, since) VALUES (?, ?, ?) "
            "ON CONFLICT (platform) DO UPDATE SET reason = excluded.reason",
            (platform, reason, time.time()),
        )

    async def resume_platform(self, platform: str) -> bool:
        return await self.db.execute("DELETE FROM sender_pauses WHERE platform = ?", (platform,)) > 0

    async def platform_pauses(self) -> dict[str, tuple[str, float]]:
        rows = await self.db.fetchall("SELECT platform, reason, since FROM sender_pauses", tuples=True)
        return {platform: (reason, since) for platform, reason, since in rows}

    async def release_lease(self, platform: str, owner: str) -> None:
        await self.db.execute("DELETE FROM sender_leases WHERE platform = ? AND owner = ?", (platform, owner))


def _broadcast(r: aiosqlite.Row) -> Broadcast:
    return Broadcast(
        r["id"], r["created_at"], r["author_platform"], r["author_user"], r["author_chat"], r["text_vi"],
        r["text_en"], r["scheduled_at"], r["status"], r["started_at"], r["finished_at"],
        r["progress_message_id"], bool(r["reported"]), r["reminder_event_id"],
    )  # fmt: skip
