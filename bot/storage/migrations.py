"""The schema: numbered files in bot/migrations/, applied in order inside the caller's
exclusive transaction, so two processes starting together migrate once. A migration is SQL
(`NNN_name.sql`), or Python (`NNN_name.py` with `async def upgrade(db)`) where SQL alone
cannot do it (keys computed by the bot's own text normalisation)."""

from __future__ import annotations

import importlib.util
import logging
import re
import sqlite3
from pathlib import Path

from bot.storage.connection import Database, StorageError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_MIGRATION_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.(?:sql|py)$")


class MigrationError(StorageError):
    pass


def migrations() -> list[tuple[int, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        match = _MIGRATION_RE.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return found


LATEST = migrations()[-1][0]


def statements(sql: str) -> list[str]:
    """The statements of a script, one by one (executescript would COMMIT the caller's
    transaction first)."""
    found, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                found.append(current.strip())
            current = ""
    if current.strip() and not all(part.strip().startswith("--") for part in current.strip().splitlines()):
        raise ValueError(f"unterminated statement: {current.strip()[:80]!r}")
    return found


async def schema_version(db: Database) -> int:
    return int(await db.fetchval("PRAGMA user_version", default=0))


async def migrate(db: Database) -> int:
    """Bring the schema up to date; returns the version found. Call it inside
    `db.transaction("EXCLUSIVE")`: the version is read under the same lock it is changed."""
    if not db.in_transaction():
        raise RuntimeError("migrate() runs inside the caller's exclusive transaction")
    found = await schema_version(db)
    if found > LATEST:
        raise MigrationError(
            db.path, f"schema version {found} is newer than this bot knows ({LATEST}): upgrade the bot"
        )
    for number, path in migrations():
        if number <= found:
            continue
        try:
            if path.suffix == ".py":
                await _python_migration(path).upgrade(db)
            else:
                for statement in statements(path.read_text(encoding="utf-8")):
                    await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {number}")
        except (sqlite3.Error, ValueError) as exc:
            if isinstance(exc, StorageError) and not exc.sqlite_errorname.startswith("SQLITE_ERROR"):
                raise  # the file, not the migration: read-only, full disk, locked...
            reason = exc.reason if isinstance(exc, StorageError) else str(exc)
            raise MigrationError(db.path, f"migration {path.name} failed: {reason}") from None
        log.info("database migrated to version %d (%s)", number, path.name)
    return found


def _python_migration(path: Path):
    spec = importlib.util.spec_from_file_location(f"bot_migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
