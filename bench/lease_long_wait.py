"""Issue 10 item 4 at production settings: two senders (as two processes), the 10 s lease,
and one 429 with a 12 s retry_after from the fake Telegram; how many recipients got the
announcement twice.

    python bench/lease_long_wait.py [--recipients 120] [--retry-after 12] [--rate 25]

The two senders run in this one process with their own lease owners, against one database
file, through real HTTP to the fake server.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bot.outbox_runtime as outbox_runtime  # noqa: E402
from bot.config import Config, DatabaseSection  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.transports import TelegramTransport  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.outbox.conftest import add_subscribers, delivered  # noqa: E402


async def main(recipients: int, retry_after: int, rate: float) -> None:
    import os

    from telegram import Bot

    os.environ["PTB_TIMEDELTA"] = "true"
    names = itertools.count()
    outbox_runtime.owner_id = lambda: f"otherhost:sender-{next(names)}"
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram() as fake:
        config = Config(database=DatabaseSection(path=str(Path(tmp) / "bench.db")))
        services = await build_services(config)
        try:
            tg, _ = add_subscribers(config.database_path, recipients, 0)
            fake.fail("sendMessage", 429, retry_after=retry_after, times=1)
            draft = await services.repo.create_draft("cli", "staff", "", "Hội chợ", "", None)
            await services.repo.confirm_broadcast(draft)
            stop = asyncio.Event()
            bots = [Bot("123:ABC", base_url=fake.base_url) for _ in range(2)]
            tasks = []
            started = time.monotonic()
            for bot in bots:
                await bot.initialize()
                transport = TelegramTransport(bot)
                tasks.append(asyncio.create_task(outbox_runtime.run_sender(services, transport, stop, rate=rate)))
                await asyncio.sleep(0.2)
            while (await services.repo.delivery_counts(draft))["sent"] < recipients:  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.1)
            took = time.monotonic() - started
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for bot in bots:
                await bot.shutdown()
        finally:
            await services.close()
        copies = delivered(fake, tg)
        twice = sum(1 for n in copies.values() if n > 1)
        missed = sum(1 for n in copies.values() if n == 0)
        print(
            f"recipients {recipients}, retry_after {retry_after} s, lease {outbox_runtime.LEASE_TTL:g} s, rate {rate:g}/s"
        )
        print(f"sent twice: {twice}, missed: {missed}, all sent after {took:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=120)
    parser.add_argument("--retry-after", type=int, default=12)
    parser.add_argument("--rate", type=float, default=25)
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.retry_after, args.rate))
