"""The composition root: builds every service once and hands them to the adapters."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.certificates import CertificateBook
from bot.config import DATA_DIR, Config
from bot.geo import Gazetteer
from bot.i18n import I18n
from bot.models import Catalogue
from bot.search import SearchIndex, Vocabulary
from bot.storage import Repository
from bot.understanding.lexicon import Lexicon
from bot.understanding.message import Understander
from bot.understanding.places import PlaceNames

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The catalogue and the indexes built from it, swapped as one when staff import."""

    catalogue: Catalogue
    index: SearchIndex
    gazetteer: Gazetteer
    place_names: PlaceNames
    certificates: CertificateBook


class CatalogueState:
    """Keeps the in-memory index in step with the database, even when another process imports."""

    def __init__(self, repo: Repository, vocab: Vocabulary, *, check_interval: float = 1.0) -> None:
        self._repo = repo
        self._vocab = vocab
        self._check_interval = check_interval
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()
        self._rebuild: asyncio.Task[None] | None = None

    async def get(self) -> Snapshot:
        """The current snapshot. When the catalogue changed (an import, here or in another
        process), the new one is built in the background and this answers from the current
        one meanwhile: the message that happened to notice the change does not wait ~2 s
        (40,000 products) for the rebuild either. Only the very first load is waited for."""
        now = time.monotonic()
        if self._snapshot is not None and (now - self._checked_at < self._check_interval or self._lock.locked()):
            return self._snapshot
        if self._snapshot is None:
            return await self.fresh()
        self._checked_at = now
        if self._rebuild is None or self._rebuild.done():
            self._rebuild = asyncio.create_task(self._refresh_quietly(), name="catalogue-rebuild")
        return self._snapshot

    async def fresh(self) -> Snapshot:
        """The snapshot of the catalogue as it is now, waiting for a rebuild if it changed
        (after a staff upload applied in this process: its author sees the result at once)."""
        async with self._lock:
            version = await self._repo.catalogue_version()
            self._checked_at = time.monotonic()
            if self._snapshot is None or self._snapshot.catalogue.version != version:
                await self._reload()
        assert self._snapshot is not None
        return self._snapshot

    async def settled(self) -> None:
        """Wait for a rebuild under way, if any (for tests: the bot never needs to)."""
        if self._rebuild is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._rebuild)

    async def _refresh_quietly(self) -> None:
        try:
            await self.fresh()
        except Exception as exc:  # the current snapshot keeps answering; the next check tries again
            log.error("catalogue reload failed: %s", exc)

    async def close(self) -> None:
        if self._rebuild is not None and not self._rebuild.done():
            self._rebuild.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._rebuild

    async def _reload(self) -> None:
        """Build the new snapshot in a worker thread (0.7 s at 20,000 products, 3.9 s at 100,000:
        never on the event loop), then swap it in with one assignment."""
        with _prompt_thread_switches(), _no_collection_pauses():
            catalogue = await self._repo.load_catalogue()
            started = time.perf_counter()
            self._snapshot = await asyncio.to_thread(build_snapshot, catalogue, self._vocab)
        log.info(
            "catalogue version %d loaded: %d products, index built in %.0f ms",
            catalogue.version, len(catalogue.products), (time.perf_counter() - started) * 1000,
        )  # fmt: skip


@contextlib.contextmanager
def _prompt_thread_switches(seconds: float = 0.0005) -> Iterator[None]:
    """While a rebuild runs in a thread, the loop thread gets the GIL back within `seconds`
    instead of Python's 5 ms: a reply touches the GIL hundreds of times (every socket and
    database call releases it), and at 5 ms a wait each, one reply took seconds."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, seconds))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@contextlib.contextmanager
def _no_collection_pauses() -> Iterator[None]:
    """Python's full garbage collection walks every object and holds the GIL throughout: with a
    40,000-product index in memory one pass held the loop 85 ms, in the middle of a rebuild and
    then now and again. So no collection during the rebuild, and afterwards what exists (the
    new index above all) is frozen out of later passes. The old index is freed by reference
    counting when the last reply using it is done; only cyclic garbage present at the freeze
    stays, once per import."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def build_snapshot(catalogue: Catalogue, vocab: Vocabulary) -> Snapshot:
    """The catalogue with its indexes; pure, so it can run off the event loop."""
    index = SearchIndex(catalogue.products, catalogue.localities, vocab)
    index.name_pairs  # noqa: B018  (built here, off the loop, not at the first message)
    index.gloss_words  # noqa: B018
    index.warm()
    return Snapshot(
        catalogue,
        index,
        Gazetteer(catalogue.localities),
        PlaceNames(catalogue.places, catalogue.localities),
        CertificateBook(catalogue.products),
    )


@dataclass
class Services:
    config: Config
    repo: Repository
    catalogue: CatalogueState
    i18n: I18n
    facts: dict
    today: Callable[[], date]
    understander: Understander

    async def close(self) -> None:
        await self.catalogue.close()
        await self.repo.close()


async def build_services(
    config: Config, *, data_dir: Path = DATA_DIR, today: Callable[[], date] | None = None
) -> Services:
    repo = await Repository.open(config.database_path, seed_dir=data_dir)
    try:
        lexicon = Lexicon.load(data_dir)
        vocab = Vocabulary.load(data_dir, lexicon)
        zone = ZoneInfo(config.bot.timezone)
        with (data_dir / "facts.toml").open("rb") as fh:
            facts = tomllib.load(fh)
        services = Services(
            config=config,
            repo=repo,
            catalogue=CatalogueState(repo, vocab),
            i18n=I18n.load(data_dir / "locales"),
            facts=facts,
            today=today or (lambda: datetime.now(zone).date()),
            understander=Understander(lexicon),
        )
        await services.catalogue.get()
        return services
    except BaseException:
        await repo.close()  # its threads would keep a failed process alive
        raise
