"""`Repository`: the area repositories over one Database, opened (migrated, seeded) as one.

Callers keep `services.repo.subscribe(...)`: each old method name forwards to the area that
owns it (`repo.people.subscribe`). New code may use the areas directly.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bot.storage.catalogue import TRANSLATIONS_VERSION, CatalogueRepository
from bot.storage.connection import Database
from bot.storage.inbox import InboxRepository, open_inbox
from bot.storage.migrations import LATEST, migrate, schema_version
from bot.storage.outbox import OutboxRepository
from bot.storage.people import PeopleRepository
from bot.storage.staff import StaffRepository


class _Forward:
    """`name = _Forward("area")` on Repository: `repo.name` is `repo.area.name`."""

    def __init__(self, area: str) -> None:
        self.area = area

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, repo: Repository | None, owner: type | None = None):
        if repo is None:
            return self
        return getattr(getattr(repo, self.area), self.name)


class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.catalogue = CatalogueRepository(db)
        self.people = PeopleRepository(db)
        self.outbox = OutboxRepository(db)
        self.staff = StaffRepository(db)
        self.inbox = InboxRepository(db)

    @property
    def path(self) -> Path:
        return self.db.path

    @classmethod
    async def open(cls, path: Path | str, *, seed_dir: Path | None = None) -> Repository:
        """Open the file, migrate it and (with `seed_dir`) seed an empty catalogue.

        Any number of processes may do this at once: the check, the migrations and the seeding
        happen in one exclusive transaction, so the first does them and the others find them
        done. On any failure the connections are closed again (their worker threads would
        otherwise keep the process alive) and the error names the file.
        """
        db = await Database.open(path)
        try:
            repo = cls(db)
            await repo._prepare(seed_dir)
            repo.inbox.queue = await open_inbox(db)  # the inbox's own file
        except BaseException:
            await db.close()
            raise
        return repo

    async def _prepare(self, seed_dir: Path | None) -> None:
        # The common case (migrated and seeded) needs no write lock at all.
        if await schema_version(self.db) == LATEST and not (seed_dir and await self.catalogue.is_empty()):
            await self.catalogue.catalogue_version()  # a damaged meta table fails the start, not a chat later
            return
        async with self.db.transaction("EXCLUSIVE"):
            before = await migrate(self.db)
            if seed_dir is not None and await self.catalogue.is_empty():
                from bot.seed import seed_catalogue

                await seed_catalogue(self, seed_dir)
            elif seed_dir is not None and 0 < before < TRANSLATIONS_VERSION:
                # A catalogue from before the translation columns: fill them from data/ for
                # the rows it shares with the seed; everything else stays as it was.
                from bot.seed import backfill_translations

                await backfill_translations(self, seed_dir)
            await self.catalogue.catalogue_version()

    async def close(self) -> None:
        try:
            await self.inbox.close()  # the queued search log
        finally:
            if self.inbox.queue is not self.db:
                await self.inbox.queue.close()
            await self.db.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Several repository calls as one: all or nothing, nobody else's writes in between."""
        async with self.db.transaction():
            yield

    async def schema_version(self) -> int:
        return await schema_version(self.db)

    async def forget(self, platform: str, user_id: str, chat_id: str) -> int:
        """Delete everything stored about a person; returns how many rows went."""
        async with self.db.transaction():
            removed = await self.people.forget(platform, user_id, chat_id)
            removed += await self.outbox.forget_chat(platform, chat_id)
            removed += await self.staff.forget_user(platform, user_id)
        return removed

    # catalogue
    catalogue_version = _Forward("catalogue")
    is_empty = _Forward("catalogue")
    load_catalogue = _Forward("catalogue")
    product = _Forward("catalogue")
    counts = _Forward("catalogue")
    stored_rows = _Forward("catalogue")
    apply_import = _Forward("catalogue")
    backfill_translations = _Forward("catalogue")
    # people
    user_language = _Forward("people")
    set_user_language = _Forward("people")
    prune_history = _Forward("people")
    subscribe = _Forward("people")
    unsubscribe = _Forward("people")
    is_subscribed = _Forward("people")
    mark_inactive = _Forward("people")
    subscriber_counts = _Forward("people")
    save_choices = _Forward("people")
    load_choices = _Forward("people")
    save_query = _Forward("people")
    saved_query = _Forward("people")
    # outbox
    create_draft = _Forward("outbox")
    confirm_broadcast = _Forward("outbox")
    cancel_broadcast = _Forward("outbox")
    ensure_reminder = _Forward("outbox")
    due_deliveries = _Forward("outbox")
    has_pending = _Forward("outbox")
    claim_deliveries = _Forward("outbox")
    release_claims = _Forward("outbox")
    mark_delivery = _Forward("outbox")
    start_broadcast_clock = _Forward("outbox")
    finish_broadcasts = _Forward("outbox")
    delivery_counts = _Forward("outbox")
    broadcast = _Forward("outbox")
    broadcasts = _Forward("outbox")
    set_progress_message = _Forward("outbox")
    mark_reported = _Forward("outbox")
    acquire_lease = _Forward("outbox")
    release_lease = _Forward("outbox")
    pause_platform = _Forward("outbox")
    resume_platform = _Forward("outbox")
    platform_pauses = _Forward("outbox")
    # staff
    save_pending_import = _Forward("staff")
    take_pending_import = _Forward("staff")
    # inbox
    log_search = _Forward("inbox")
    flush_search_log = _Forward("inbox")
    top_queries = _Forward("inbox")
    searches_by = _Forward("inbox")
