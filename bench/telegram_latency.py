"""Telegram bot latency and throughput through the fake Bot API (real HTTP on 127.0.0.1).

    /tmp/venv/bin/python bench/telegram_latency.py [--sequential 300] [--users 1000] [--in-process]

(a) latency: one message at a time, each from a new user: the time from the update
    being queued in the fake server to the bot's sendMessage arriving there (both
    stamped by the fake with time.monotonic()), p50/p90/p99;
(b) throughput: `--users` distinct users each send one message at the same moment:
    updates answered per second, from the first update queued to the last answer.

By default the fake server (and the driver that pushes updates and reads its clock) runs
in a child process, as Telegram would be elsewhere: the bot's process has the GIL to
itself. `--in-process` puts the fake in a thread of the bot's process instead, a
pessimistic figure (the two compete for one GIL). Our own global send limit (30 msg/s,
Telegram's bulk limit) is switched off: it would measure Telegram's policy, not the bot.
Not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import platform
import shlex
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import telegram  # noqa: E402

from bot.config import Config, DatabaseSection, TelegramSection  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.telegram.app import build_application, running  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TOKEN = "123456:BENCH-token"
# What people type: product names, star questions, places, greetings (Vietnamese and English).
QUERIES = (
    "mật ong", "chè Suối Giàng", "bưởi Múc mấy sao", "honey", "ruou Sa Pa", "/start", "cá hồi", "tea",
    "táo mèo", "/help", "gần Sa Pa", "Tương ớt Mường Khương có phải OCOP không", "4 sao", "mien dong",
)  # fmt: skip


# -- the driver: pushes updates into the fake and reads the fake's timestamps ---------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def sequential(fake: FakeTelegram, n: int, first_chat: int) -> list[float]:
    latencies = []
    for i in range(n):
        chat = first_chat + i
        queued = time.monotonic()
        fake.push_text(chat, QUERIES[i % len(QUERIES)])
        reply = fake.wait_for_calls_sync("sendMessage", 1, chat_id=chat, timeout=10)[0]
        latencies.append((reply.time - queued) * 1000)
    return latencies


def burst(fake: FakeTelegram, users: int) -> tuple[float, int]:
    chats = [str(1_000_000 + i) for i in range(users)]
    queued = time.monotonic()
    for i, chat in enumerate(chats):
        fake.push_text(int(chat), QUERIES[i % len(QUERIES)])
    deadline = queued + 120
    while True:
        first: dict[str, float] = {}
        for call in fake.calls_for("sendMessage", failed=False):
            first.setdefault(str(call.chat_id), call.time)
        done = [first[c] for c in chats if c in first]
        if len(done) == users or time.monotonic() > deadline:
            return max(done) - queued, len(done)
        time.sleep(0.05)


def drive(fake: FakeTelegram, n: int, users: int) -> list[str]:
    sequential(fake, 20, 5_000)  # warm-up: connections, caches
    latencies = sequential(fake, n, 10_000)
    elapsed, done = burst(fake, users)
    failed = len(fake.calls_for(failed=True))
    return [
        f"(a) latency, {len(latencies)} sequential messages: p50 {percentile(latencies, 50):.1f} ms, "
        f"p90 {percentile(latencies, 90):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
        f"mean {statistics.fmean(latencies):.1f} ms, max {max(latencies):.1f} ms",
        f"(b) throughput, {users} users at once: {done} answered in {elapsed:.2f} s = {done / elapsed:.0f} updates/s",
        f"failed API calls during the run: {failed}",
    ]


def fake_process(conn, n: int, users: int) -> None:  # type: ignore[no-untyped-def]
    """Child process: the fake server and the driver. Sends base_url, waits for "go", sends results."""
    with FakeTelegram() as fake:
        conn.send(fake.base_url)
        conn.recv()
        conn.send(drive(fake, n, users))
        conn.recv()  # "stop": keep serving until the bot has shut down


# -- the bot ----------------------------------------------------------------------------------


async def run_bot(base_url: str, run_driver: Callable[[], list[str]]) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        section = TelegramSection(base_url=base_url, base_file_url=base_url.replace("/bot", "/file/bot"))
        config = Config(database=DatabaseSection(path=str(Path(tmp) / "bench.db")), telegram=section)
        services = await build_services(config, today=lambda: date(2026, 11, 29))
        try:
            async with running(build_application(services, TOKEN, overall_rate=None), poll_timeout=10):
                return await asyncio.to_thread(run_driver)
        finally:
            await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequential", type=int, default=300, help="messages for the latency run")
    parser.add_argument("--users", type=int, default=1000, help="simultaneous users for the throughput run")
    parser.add_argument("--in-process", action="store_true", help="run the fake server in a thread of this process")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    print("command:", shlex.join([Path(sys.executable).as_posix(), *sys.argv]))
    where = "a thread of the bot's process" if args.in_process else "a child process"
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"python-telegram-bot {telegram.__version__}; fake server in {where}"
    )
    if args.in_process:
        with FakeTelegram() as fake:
            lines = asyncio.run(run_bot(fake.base_url, lambda: drive(fake, args.sequential, args.users)))
    else:
        ours, theirs = multiprocessing.get_context("spawn").Pipe()
        child = multiprocessing.get_context("spawn").Process(
            target=fake_process, args=(theirs, args.sequential, args.users), daemon=True
        )
        child.start()
        base_url = ours.recv()

        def remote() -> list[str]:
            ours.send("go")
            return ours.recv()

        try:
            lines = asyncio.run(run_bot(base_url, remote))
        finally:
            ours.send("stop")
            child.join(timeout=10)
    print("\n".join(lines))


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
