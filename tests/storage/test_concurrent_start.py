"""Several processes starting on one new database at once (e.g. `serve` and `sender` under
systemd): every one starts, the schema is migrated once and the catalogue seeded once."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import time

from bot.config import DATA_DIR
from bot.storage import migrations
from tests.conftest import REPO, run_cli

# Imports first, then waits for a common start time, so the processes really open together.
OPEN_AT = """
import asyncio, sys, time
from pathlib import Path
from bot.config import DATA_DIR
from bot.storage import Repository

async def main(db, at):
    time.sleep(max(0.0, at - time.time()))
    repo = await Repository.open(Path(db), seed_dir=DATA_DIR)
    await repo.close()

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
"""


def csv_rows(name: str) -> int:
    with (DATA_DIR / name).open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def table_counts(db) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = ("products", "places", "events", "localities", "shop_links")
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608
        counts["user_version"] = conn.execute("PRAGMA user_version").fetchone()[0]
    return counts


def expected_counts() -> dict[str, int]:
    return {
        "products": csv_rows("products.csv"),
        "places": csv_rows("places.csv"),
        "events": csv_rows("events.csv"),
        "localities": csv_rows("localities.csv"),
        "shop_links": csv_rows("shop_links.csv"),
        "user_version": migrations()[-1][0],
    }


def test_processes_opening_a_new_database_together_all_start_and_seed_once(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = 3
    for trial in range(5):
        db = tmp_path / f"trial{trial}.sqlite3"
        at = time.time() + 1.0  # after every child has imported the bot
        children = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT, str(db), str(at)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        outcomes = [(child.wait(timeout=60), child.stderr.read()) for child in children]
        for child in children:
            child.stdout.close()
            child.stderr.close()
        assert [rc for rc, _ in outcomes] == [0] * processes, [err for _, err in outcomes]
        assert table_counts(db) == expected_counts(), f"trial {trial}"


def test_ask_processes_started_together_on_a_new_database(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--db", str(db), "ask", "mật ong"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [child.communicate(timeout=60) for child in children]
    assert [c.returncode for c in children] == [0, 0, 0], [err for _, err in results]
    assert all("Mật ong" in out for out, _ in results)
    assert table_counts(db) == expected_counts()
    # and a later start on the now-seeded file changes nothing
    assert run_cli("search", "mật ong", db=db).returncode == 0
    assert table_counts(db) == expected_counts()
