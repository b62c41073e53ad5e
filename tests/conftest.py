from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.config import Config, DatabaseSection
from bot.services import build_services

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 29)


def make_config(tmp_path: Path, **sections) -> Config:
    return Config(database=DatabaseSection(path=str(tmp_path / "ocop.sqlite3")), base_dir=tmp_path, **sections)


@pytest.fixture
async def services(tmp_path):
    built = await build_services(make_config(tmp_path), today=lambda: TODAY)
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
