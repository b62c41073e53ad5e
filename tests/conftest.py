from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.config import DATA_DIR, Config, DatabaseSection
from bot.services import build_services
from bot.storage import Repository

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 29)
_TEMPLATE: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def seeded_template(tmp_path_factory) -> Path:
    """One database migrated and seeded from data/ per test session; tests start from copies
    of it (seeding took ~0.13 s a test). Tests of seeding itself open a new file instead."""

    async def seed(path: Path) -> None:
        repo = await Repository.open(path, seed_dir=DATA_DIR)
        await repo.close()  # the last connection closed: everything is in the main file

    path = tmp_path_factory.mktemp("template") / "seeded.sqlite3"
    asyncio.run(seed(path))
    assert not Path(f"{path}-wal").exists()
    _TEMPLATE[:] = [path]
    return path


def seeded_db(path: Path) -> Path:
    """A seeded database at `path`: a copy of the session's template, unless there is one
    already (a test restarting a bot on its database keeps it)."""
    if not path.exists():
        shutil.copyfile(_TEMPLATE[0], path)
    return path


def make_config(tmp_path: Path, **sections) -> Config:
    return Config(database=DatabaseSection(path=str(tmp_path / "ocop.sqlite3")), base_dir=tmp_path, **sections)


@pytest.fixture
async def services(tmp_path):
    config = make_config(tmp_path)
    seeded_db(config.database_path)
    built = await build_services(config, today=lambda: TODAY)
    yield built
    await built.close()


def run_cli(*args: str, db: Path, stdin: str | None = None, env: dict | None = None, timeout: float = 30):
    """Run `ocop-bot` as a user would, in a child process."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=db.parent,
    )
