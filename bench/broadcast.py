"""Broadcast throughput and crash recovery through the fake Telegram and Zalo servers.

    python bench/broadcast.py [--recipients 10000] [--telegram-rate 100] [--zalo-rate 50]

Runs the real `ocop-bot sender` process against local fake servers (real HTTP), measures the
sustained send rate per platform as a share of the configured rate, kills the sender with
SIGKILL halfway, restarts it, and reports the recovery time and the duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import DATA_DIR  # noqa: E402
from bot.storage import Repository  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.fakes.zalo_api import FakeZalo  # noqa: E402
from tests.outbox.conftest import add_subscribers, delivered, start_sender, wait_until  # noqa: E402


def sent_rows(db: Path) -> list[tuple[str, float]]:
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute("SELECT platform, sent_at FROM deliveries WHERE status = 'sent'").fetchall()


def sustained_rate(times: list[float]) -> float:
    """Sends per second over the middle 80 % (start-up and tail excluded)."""
    times = sorted(times)
    lo, hi = int(len(times) * 0.1), int(len(times) * 0.9)
    span = times[hi] - times[lo]
    return (hi - lo) / span if span > 0 else float("inf")


async def prepare(db: Path, recipients: int) -> tuple[list[str], list[str], int]:
    repo = await Repository.open(db, seed_dir=DATA_DIR)
    tg, za = add_subscribers(db, recipients * 6 // 10, recipients - recipients * 6 // 10)
    draft = await repo.create_draft("cli", "bench", "", "Hội chợ OCOP", "", None)
    await repo.confirm_broadcast(draft)
    await repo.close()
    return tg, za, draft


def main() -> None:
    # The killed sender drops its connections mid-request: expected, not worth a traceback.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--telegram-rate", type=float, default=100)
    parser.add_argument("--zalo-rate", type=float, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram() as telegram, FakeZalo() as zalo:
        db = Path(tmp) / "bench.sqlite3"
        tg, za, _ = asyncio.run(prepare(db, args.recipients))
        config = Path(tmp) / "c.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{telegram.base_url}"\n[zalo]\nbase_url = "{zalo.base_url}"\n'
            f"[broadcast]\ntelegram_rate = {args.telegram_rate}\nzalo_rate = {args.zalo_rate}\n"
        )
        total = len(tg) + len(za)
        started = time.monotonic()
        first = start_sender(config, db, zalo.token, output=subprocess.DEVNULL)
        wait_until(lambda: len(sent_rows(db)) >= total // 2, 600)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        at_kill = len(sent_rows(db))
        second = start_sender(config, db, zalo.token, output=subprocess.DEVNULL)
        wait_until(lambda: len(sent_rows(db)) > at_kill, 60)
        recovery = time.monotonic() - killed_at
        wait_until(lambda: len(sent_rows(db)) >= total, 900)
        elapsed = time.monotonic() - started
        second.send_signal(signal.SIGTERM)
        second.wait()
        rows = sent_rows(db)
        copies = {**delivered(telegram, tg), **delivered(zalo, za)}
    by_platform = {p: [t for q, t in rows if q == p] for p in ("telegram", "zalo")}
    print(f"recipients: {total} ({len(tg)} Telegram, {len(za)} Zalo); wall time {elapsed:.1f} s incl. the kill")
    for platform, rate in (("telegram", args.telegram_rate), ("zalo", args.zalo_rate)):
        measured = sustained_rate(by_platform[platform])
        print(
            f"{platform:<9} configured {rate:>6.0f}/s  sustained {measured:>7.1f}/s  = {measured / rate:.0%} of configured"
        )
    print(f"killed with SIGKILL after {at_kill} deliveries; restarted sender sent again after {recovery:.2f} s")
    print(
        f"missed: {sum(1 for n in copies.values() if n == 0)}  sent twice: {sum(1 for n in copies.values() if n > 1)}"
    )


if __name__ == "__main__":
    main()
